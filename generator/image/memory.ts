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
  /** The physical address as a number: exact up to 2^53. */
  readonly address: number;
}

const PA_LIMIT = 1n << 64n;
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

export class PhysicalMemory {
  /** Sorted by base address. */
  private readonly regions: readonly MemoryRegion[];
  /** The region the last slice found, its base as a number (set only when that is exact). */
  private lastRegion: { readonly base: number; readonly bytes: Uint8Array } | undefined;

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
    this.totalBytes = sorted.reduce((sum, r) => sum + r.bytes.length, 0);
  }

  /** Bytes held by every region together. */
  readonly totalBytes: number;

  get regionList(): readonly MemoryRegion[] {
    return this.regions;
  }

  /**
   * The region holding `[pa, pa + length)` whole; `where` names the reader in the error (anything
   * with toString, so that a walker's place is only turned into text when there is an error).
   */
  slice(pa: bigint, length: number | bigint, where: { toString(): string }): MemorySlice {
    // The walk reads block after block from one region: that region, in numbers, first. Addresses
    // up to 2^53 are exact as numbers, and the comparisons then allocate no bigint.
    const last = this.lastRegion;
    if (last && typeof length === 'number' && pa <= MAX_EXACT) {
      const address = Number(pa);
      const offset = address - last.base;
      if (offset >= 0 && offset + length <= last.bytes.length) return { bytes: last.bytes, offset, address };
    }
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
    if (region.base <= MAX_EXACT) this.lastRegion = { base: Number(region.base), bytes: region.bytes };
    return { bytes: region.bytes, offset: Number(offset), address: Number(pa) };
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
