/**
 * Physical memory as the next kernel sees it: raw files each loaded at a base address. A read must lie
 * wholly inside one region; anything else is an ImageError, never a short or wrapped read.
 */
import { readFileSync } from 'node:fs';
import { ImageError, hex } from './errors.ts';

export interface MemoryRegion {
  readonly base: bigint;
  readonly bytes: Uint8Array;
}

/** Where a physical range lives: `bytes[offset .. offset + length)`. */
export interface MemorySlice {
  readonly bytes: Uint8Array;
  readonly offset: number;
}

const PA_LIMIT = 1n << 64n;

export class PhysicalMemory {
  /** Sorted by base address. */
  private readonly regions: readonly MemoryRegion[];

  constructor(regions: readonly MemoryRegion[]) {
    const sorted = [...regions].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
    sorted.forEach((region, i) => {
      const end = region.base + BigInt(region.bytes.length);
      if (region.base < 0n || end > PA_LIMIT) {
        throw new ImageError('memory', `region at ${hex(region.base)} of ${region.bytes.length} bytes is outside the 64-bit physical address space`);
      }
      const next = sorted[i + 1];
      if (next && next.base < end) {
        throw new ImageError('memory', `region at ${hex(region.base)} of ${region.bytes.length} bytes overlaps the region at ${hex(next.base)}`);
      }
    });
    this.regions = sorted;
  }

  /** Bytes held by every region together. */
  get totalBytes(): number {
    return this.regions.reduce((sum, r) => sum + r.bytes.length, 0);
  }

  get regionList(): readonly MemoryRegion[] {
    return this.regions;
  }

  /**
   * The region holding `[pa, pa + length)` whole; `where` names the reader in the error (anything
   * with toString, so that a walker's place is only turned into text when there is an error).
   */
  slice(pa: bigint, length: number | bigint, where: { toString(): string }): MemorySlice {
    const size = BigInt(length);
    const region = this.regionAt(pa);
    if (!region) {
      throw new ImageError(String(where), `physical address ${hex(pa)} is not in memory (${this.describe()})`);
    }
    const offset = pa - region.base;
    if (offset + size > BigInt(region.bytes.length)) {
      const end = region.base + BigInt(region.bytes.length);
      throw new ImageError(String(where), `${size} bytes at ${hex(pa)} run past the end of the region ${hex(region.base)}..${hex(end)}`);
    }
    return { bytes: region.bytes, offset: Number(offset) };
  }

  private regionAt(pa: bigint): MemoryRegion | undefined {
    let low = 0;
    let high = this.regions.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const region = this.regions[middle]!;
      if (pa < region.base) high = middle - 1;
      else if (pa >= region.base + BigInt(region.bytes.length)) low = middle + 1;
      else return region;
    }
    return undefined;
  }

  private describe(): string {
    if (this.regions.length === 0) return 'no memory was given';
    return `memory holds ${this.regions.map((r) => `${hex(r.base)}..${hex(r.base + BigInt(r.bytes.length))}`).join(', ')}`;
  }
}

/** Memory from files, each loaded at its base address. */
export function loadMemory(files: readonly { path: string; base: bigint }[]): PhysicalMemory {
  return new PhysicalMemory(files.map((f) => ({ base: f.base, bytes: new Uint8Array(readFileSync(f.path)) })));
}
