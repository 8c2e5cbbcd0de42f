/**
 * Physical memory as the next kernel sees it: regions, each at a base address, from raw dumps and
 * from the PT_LOADs of ELF core files. A read must lie wholly inside one region; anything else is an
 * ImageError, never a short or wrapped read.
 *
 * A region's bytes are held in memory or read from a file when the walk reaches them (a core file of
 * many gigabytes, of which a handover is a few pages): those are read in chunks, of which a bounded
 * number is kept, so memory stays bounded by what the walk reads, not by the dump.
 */
import { InputError } from '../core/errors.ts';
import { readCoreMemory } from '../elf/core.ts';
import { ImageError, hex } from './errors.ts';
import { openInputFile, type InputBytes } from './io.ts';

/** Bytes held in memory at a physical address. */
export interface MemoryRegion {
  readonly base: bigint;
  readonly bytes: Uint8Array;
  /** Where the bytes come from, for messages: a file, a core file's PT_LOAD. */
  readonly source?: string;
}

/** Bytes at a physical address read when needed: `read(offset, length)` for a range of [0, length). */
export interface FileRegion {
  readonly base: bigint;
  readonly length: number;
  read(offset: number, length: number): Uint8Array;
  readonly source?: string;
}

/** Physical memory a dump describes but does not hold, and why: said when a read lands there. */
export interface AbsentRange {
  readonly base: bigint;
  readonly length: bigint;
  readonly why: string;
}

/** Where a physical range lives: `bytes[offset .. offset + length)`. */
export interface MemorySlice {
  readonly bytes: Uint8Array;
  readonly offset: number;
  /** The physical address as a number: exact up to 2^53. */
  readonly address: number;
}

interface Region {
  readonly id: number;
  readonly base: bigint;
  readonly length: number;
  readonly bytes: Uint8Array | undefined;
  readonly read: ((offset: number, length: number) => Uint8Array) | undefined;
  readonly source: string | undefined;
}

const PA_LIMIT = 1n << 64n;
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
/** Bytes read from a file at once, and how many such chunks are kept: 16 MiB. */
const CHUNK = 1 << 16;
const KEPT_CHUNKS = 256;
/** The most bytes one read of a region in a file may ask for: no block of a handover comes near. */
const MAX_FILE_READ = 1 << 30;

export class PhysicalMemory {
  /** Sorted by base address. */
  private readonly regions: readonly Region[];
  private readonly absent: readonly AbsentRange[];
  /** The bytes the last slice was found in (a region, or a chunk of one), its base as a number (set only when that is exact). */
  private lastRegion: { readonly base: number; readonly bytes: Uint8Array } | undefined;
  /** Chunks read from files, least recently used first, by `region id:chunk index`. */
  private readonly chunks = new Map<string, Uint8Array>();

  constructor(regions: readonly (MemoryRegion | FileRegion)[], absent: readonly AbsentRange[] = []) {
    const sorted = regions
      .map((r, id): Region => ('bytes' in r ? { id, base: r.base, length: r.bytes.length, bytes: r.bytes, read: undefined, source: r.source } : { id, base: r.base, length: r.length, bytes: undefined, read: r.read, source: r.source }))
      .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
    sorted.forEach((region, i) => {
      const end = region.base + BigInt(region.length);
      if (region.base < 0n || end > PA_LIMIT) {
        throw new ImageError('memory', `${describeRegion(region)} is outside the 64-bit physical address space`);
      }
      const next = sorted[i + 1];
      if (next && next.base < end) {
        throw new ImageError('memory', `${describeRegion(region)} overlaps the ${describeRegion(next)}`);
      }
    });
    this.regions = sorted;
    this.absent = absent;
    this.totalBytes = sorted.reduce((sum, r) => sum + r.length, 0);
  }

  /** Bytes held by every region together. */
  readonly totalBytes: number;

  get regionList(): readonly { readonly base: bigint; readonly length: number; readonly source?: string | undefined }[] {
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
      const absent = this.absent.find((a) => a.base <= pa && pa < a.base + a.length);
      throw new ImageError(String(where), `physical address ${hex(pa)} is not in memory (${absent ? absent.why : this.describe()})`);
    }
    const offset = pa - region.base;
    if (offset + size > BigInt(region.length)) {
      const end = region.base + BigInt(region.length);
      throw new ImageError(String(where), `${size} bytes at ${hex(pa)} run past the end of the region ${hex(region.base)}..${hex(end)}`);
    }
    if (region.bytes) {
      if (region.base <= MAX_EXACT) this.lastRegion = { base: Number(region.base), bytes: region.bytes };
      return { bytes: region.bytes, offset: Number(offset), address: Number(pa) };
    }
    return this.readFromFile(region, Number(offset), Number(size), pa, where);
  }

  /** A range of a region in a file: from its chunk when it lies in one, else read as it is. */
  private readFromFile(region: Region, offset: number, length: number, pa: bigint, where: { toString(): string }): MemorySlice {
    const index = Math.floor(offset / CHUNK);
    const start = index * CHUNK;
    if (offset + length <= start + CHUNK) {
      const chunk = this.chunk(region, index, start);
      if (region.base + BigInt(start) <= MAX_EXACT) this.lastRegion = { base: Number(region.base) + start, bytes: chunk };
      return { bytes: chunk, offset: offset - start, address: Number(pa) };
    }
    if (length > MAX_FILE_READ) {
      throw new ImageError(String(where), `${length} bytes at ${hex(pa)} are more than luo-abi reads from a file at once (${MAX_FILE_READ}); no block of a handover is that large`);
    }
    return { bytes: region.read!(offset, length), offset: 0, address: Number(pa) };
  }

  private chunk(region: Region, index: number, start: number): Uint8Array {
    const key = `${region.id}:${index}`;
    let chunk = this.chunks.get(key);
    if (chunk) {
      this.chunks.delete(key);
    } else {
      chunk = region.read!(start, Math.min(CHUNK, region.length - start));
      if (this.chunks.size >= KEPT_CHUNKS) this.chunks.delete(this.chunks.keys().next().value!);
    }
    this.chunks.set(key, chunk);
    return chunk;
  }

  private regionAt(pa: bigint): Region | undefined {
    let low = 0;
    let high = this.regions.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const region = this.regions[middle]!;
      if (pa < region.base) high = middle - 1;
      else if (pa >= region.base + BigInt(region.length)) low = middle + 1;
      else return region;
    }
    return undefined;
  }

  private describe(): string {
    if (this.regions.length === 0) return 'no memory was given';
    const shown = this.regions.slice(0, SHOWN_REGIONS).map((r) => `${hex(r.base)}..${hex(r.base + BigInt(r.length))}`);
    const more = this.regions.length - shown.length;
    return `memory holds ${shown.join(', ')}${more > 0 ? ` and ${more} more regions` : ''}`;
  }
}

/** Regions an error lists before it says how many more there are: a core file may have thousands. */
const SHOWN_REGIONS = 16;

function describeRegion(region: Region): string {
  return `region at ${hex(region.base)} of ${region.length} bytes${region.source ? ` (${region.source})` : ''}`;
}

/** A memory input: a raw dump at `base`, or, without a base, an ELF core file. `name` names it in messages. */
export interface MemoryInput {
  readonly name: string;
  readonly bytes: InputBytes;
  readonly base?: bigint | undefined;
}

/**
 * Memory from raw dumps and ELF core files together: a core file's PT_LOADs at their physical
 * addresses, memory it describes but does not hold reported as absent. Bytes held in memory stay
 * where they are (a PT_LOAD is a view of the file's buffer); a file is read when needed. Inputs that
 * overlap, or a bad core file, are an InputError.
 */
export function memoryFrom(inputs: readonly MemoryInput[]): PhysicalMemory {
  const regions: (MemoryRegion | FileRegion)[] = [];
  const absent: AbsentRange[] = [];
  const region = (input: InputBytes, base: bigint, fileOffset: number, length: number, source: string): MemoryRegion | FileRegion =>
    input.held ? { base, bytes: input.held.subarray(fileOffset, fileOffset + length), source } : { base, length, read: (offset, n) => input.read(fileOffset + offset, n), source };
  for (const { name, bytes, base } of inputs) {
    if (base !== undefined) {
      regions.push(region(bytes, base, 0, bytes.length, name));
      continue;
    }
    const core = readCoreMemory(bytes, name);
    for (const range of core.ranges) regions.push(region(bytes, range.base, range.fileOffset, range.length, `${name} ${range.from}`));
    for (const gap of core.gaps) absent.push({ base: gap.base, length: gap.length, why: `${name}: ${gap.why}` });
  }
  try {
    return new PhysicalMemory(regions, absent);
  } catch (error) {
    if (error instanceof ImageError) throw new InputError(error.message);
    throw error;
  }
}

/** Memory from files: each a raw dump loaded at its base address, or an ELF core file without one. */
export function loadMemory(files: readonly { path: string; base?: bigint | undefined }[]): PhysicalMemory {
  return memoryFrom(files.map((f) => ({ name: f.path, bytes: openInputFile(f.path), base: f.base })));
}
