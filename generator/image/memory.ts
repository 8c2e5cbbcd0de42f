/**
 * Physical memory as the next kernel sees it: regions, each at a base address, from raw dumps and
 * from the PT_LOADs of ELF core files. A read must lie wholly inside one region; anything else is an
 * ImageError, never a short or wrapped read.
 *
 * A region's bytes are held in memory or read from a file when the walk reaches them (a core file of
 * many gigabytes, of which a handover is a few pages): each read takes the whole pages its range lies
 * in, and the last pages read are kept for the reads that follow in them, so memory stays bounded by
 * what the walk reads at once, not by the dump.
 */
import { InputError } from '../core/errors.ts';
import { readCoreMemory } from '../elf/core.ts';
import { MAX_EXACT } from './address.ts';
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
  /** Releases what reading needs (a file descriptor); a later read may take it again. */
  close?(): void;
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
  readonly base: bigint;
  readonly length: number;
  readonly bytes: Uint8Array | undefined;
  readonly read: ((offset: number, length: number) => Uint8Array) | undefined;
  readonly close: (() => void) | undefined;
  readonly source: string | undefined;
}

const PA_LIMIT = 1n << 64n;
/** Reads from a file take whole pages of this size: the smallest PAGE_SIZE, which blocks are laid out in. */
const PAGE = 4096;
/** The most a read from a file takes past what it needs, when the walk goes forward through a file. */
const MAX_READ_AHEAD = 1 << 20;
/** How far past the last read a read still counts as going forward. */
const NEAR = 16 * PAGE;
/** The most bytes one read of a region in a file may ask for: no block of a handover comes near. */
const MAX_FILE_READ = 1 << 30;

export class PhysicalMemory {
  /** Sorted by base address. */
  private readonly regions: readonly Region[];
  private readonly absent: readonly AbsentRange[];
  /** The bytes the last slice was found in (a region, or pages read of one), their base as a number (set only when that is exact). */
  private lastRegion: { readonly base: number; readonly bytes: Uint8Array } | undefined;
  /** The last read from a file, and how far past what it needs the next forward read takes. */
  private lastRead: { readonly region: Region; readonly start: number; readonly end: number } | undefined;
  private readAhead = 0;

  constructor(regions: readonly (MemoryRegion | FileRegion)[], absent: readonly AbsentRange[] = []) {
    const sorted = regions
      .map((r): Region =>
        'bytes' in r
          ? { base: r.base, length: r.bytes.length, bytes: r.bytes, read: undefined, close: undefined, source: r.source }
          : { base: r.base, length: r.length, bytes: undefined, read: r.read, close: r.close, source: r.source },
      )
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
   * The bytes the last slice was found in and their base address, for a loop that checks its reads
   * against them itself (the compiled chain loops): any read not wholly in them is slice()'s.
   */
  get last(): { readonly base: number; readonly bytes: Uint8Array } | undefined {
    return this.lastRegion;
  }

  /** Where `[pa, pa + length)` is in the last bytes a slice was found in, or -1 when it is not there whole. */
  private offsetInLast(pa: number, length: number): number {
    const last = this.lastRegion;
    if (last === undefined) return -1;
    const offset = pa - last.base;
    return offset >= 0 && offset + length <= last.bytes.length ? offset : -1;
  }

  /**
   * The region holding `[pa, pa + length)` whole; `where` names the reader in the error (anything
   * with toString, so that a walker's place is only turned into text when there is an error).
   */
  slice(at: bigint | number, length: number | bigint, where: { toString(): string }): MemorySlice {
    // The walk reads block after block from one region: that region, in numbers, first. Addresses
    // up to 2^53 are exact as numbers (the walker carries them so), and the comparisons then
    // allocate no bigint.
    if (typeof length === 'number' && (typeof at === 'number' || at <= MAX_EXACT)) {
      const address = Number(at);
      const offset = this.offsetInLast(address, length);
      if (offset >= 0) return { bytes: this.lastRegion!.bytes, offset, address };
    }
    const pa = BigInt(at);
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

  /**
   * A range of a region in a file: the pages it lies in are read, and kept for the reads that follow.
   * While reads go forward through a file (a walk of blocks the kernel or encode laid out one after
   * the other), each takes more beyond, doubling up to MAX_READ_AHEAD; a read elsewhere takes only
   * its pages (a kernel's blocks scattered through a large dump).
   */
  private readFromFile(region: Region, offset: number, length: number, pa: bigint, where: { toString(): string }): MemorySlice {
    if (length > MAX_FILE_READ) {
      throw new ImageError(String(where), `${length} bytes at ${hex(pa)} are more than luo-abi reads from a file at once (${MAX_FILE_READ}); no block of a handover is that large`);
    }
    const start = offset - (offset % PAGE);
    const last = this.lastRead;
    // Forward: at or after the last read's start, and not far past its end (blocks a page or two apart).
    const forward = last !== undefined && last.region === region && start >= last.start && start <= last.end + Math.max(this.readAhead, NEAR);
    this.readAhead = forward ? Math.min(MAX_READ_AHEAD, Math.max(2 * this.readAhead, 4 * PAGE)) : 0;
    const end = Math.min(region.length, Math.ceil((offset + length) / PAGE) * PAGE + this.readAhead);
    const bytes = region.read!(start, end - start);
    this.lastRead = { region, start, end };
    if (region.base + BigInt(start) <= MAX_EXACT) this.lastRegion = { base: Number(region.base) + start, bytes };
    return { bytes, offset: offset - start, address: Number(pa) };
  }

  /** Releases the files regions are read from (their descriptors); memory stays readable, reopening them. */
  close(): void {
    for (const region of this.regions) region.close?.();
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
    input.held
      ? { base, bytes: input.held.subarray(fileOffset, fileOffset + length), source }
      : { base, length, read: (offset, n) => input.read(fileOffset + offset, n), close: () => input.close(), source };
  for (const { name, bytes, base } of inputs) {
    if (base !== undefined) {
      regions.push(region(bytes, base, 0, bytes.length, name));
      continue;
    }
    let core;
    try {
      core = readCoreMemory(bytes, name);
    } finally {
      // Its headers are read; the walk opens the file again when it reads memory.
      bytes.close();
    }
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
