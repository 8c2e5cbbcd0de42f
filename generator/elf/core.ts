/**
 * The physical memory an ELF core file holds: QEMU's `dump-guest-memory` output, kdump's
 * /proc/vmcore and a copy of it (makedumpfile's ELF format too). Each PT_LOAD holds p_filesz bytes
 * of the file, at p_offset, that were memory at the physical address p_paddr.
 *
 * - Memory a PT_LOAD describes but does not hold (p_memsz past p_filesz: pages a dump left out) is
 *   not present, never zeros: read as zeros it would decode as null pointers and empty counts, a
 *   state that was not there. It is reported, so that a read there can say why it failed.
 * - PT_LOADs may overlap where they hold the same bytes: /proc/vmcore maps the kernel's text twice,
 *   once where the kernel runs it and once in the map of all RAM, and QEMU's paging dumps map one page
 *   at each virtual address that maps it. Bytes that differ where PT_LOADs overlap are an error: which
 *   of them was the memory cannot be told.
 * - Everything is checked against the file first: a PT_LOAD past the end of the file, or past 2^64
 *   in physical memory, is an ElfError naming its program header's offset. The bytes compared where
 *   PT_LOADs overlap are bounded by the file's size, so hostile headers cannot make the check long.
 */
import { ElfError, hex, readElf, type ByteSource, type ElfFile, type ElfSegment } from './read.ts';

export const ET_CORE = 4;
export const PT_LOAD = 1;

const ELF_TYPES: Readonly<Record<number, string>> = { 0: 'ET_NONE', 1: 'ET_REL (an object file)', 2: 'ET_EXEC (an executable)', 3: 'ET_DYN (a shared object or PIE)', 4: 'ET_CORE' };

/** File bytes that were memory: `length` bytes at `fileOffset`, at physical `base`. */
export interface CoreRange {
  readonly base: bigint;
  readonly fileOffset: number;
  readonly length: number;
  /** The PT_LOADs it comes from, for messages: `PT_LOAD 3 (program header at offset 0xe8)`. */
  readonly from: string;
}

/** Memory a PT_LOAD describes but holds no bytes of. */
export interface CoreGap {
  readonly base: bigint;
  readonly length: bigint;
  /** Why it is not there, for messages. */
  readonly why: string;
}

export interface CoreMemory {
  readonly elf: ElfFile;
  /** Sorted by physical address and disjoint; ranges adjacent both in memory and in the file are one. */
  readonly ranges: readonly CoreRange[];
  readonly gaps: readonly CoreGap[];
}

/** Reads an ELF core file's program headers into the physical memory they describe. */
export function readCoreMemory(source: ByteSource, file: string): CoreMemory {
  const elf = readElf(source, file, { sections: false });
  const fail = (offset: number | bigint, problem: string): never => {
    throw new ElfError(file, offset, problem);
  };
  if (elf.type !== ET_CORE) {
    fail(16, `an ELF file of type ${ELF_TYPES[elf.type] ?? elf.type}, not a core file (ET_CORE): give a memory dump such as QEMU's dump-guest-memory output or a copy of /proc/vmcore`);
  }
  const loads = elf.segments.filter((s) => s.type === PT_LOAD);
  const gaps: CoreGap[] = [];
  for (const load of loads) {
    checkLoad(load, source.length, fail);
    if (load.memsz > load.filesz) {
      gaps.push({
        base: load.paddr + load.filesz,
        length: load.memsz - load.filesz,
        why: `${nameOf(load)} describes ${hex(load.paddr)}..${hex(load.paddr + load.memsz)} but holds only its first ${hex(load.filesz)} bytes (p_memsz past p_filesz: memory the dump left out)`,
      });
    }
  }
  // By address, the longer first where two start together: a PT_LOAD inside another is then found
  // inside it, and the other stays one range.
  const held = loads.filter((s) => s.filesz > 0n).sort((a, b) => compare(a.paddr, b.paddr) || compare(b.filesz, a.filesz) || a.index - b.index);
  if (held.length === 0) {
    fail(elf.class === 64 ? 56 : 44, `no PT_LOAD holds any bytes (${elf.segments.length} program headers, ${loads.length} of them PT_LOAD): the core holds no memory`);
  }
  return { elf, ranges: disjointRanges(held, source, fail), gaps };
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nameOf(load: ElfSegment): string {
  return `PT_LOAD ${load.index} (program header at offset ${hex(load.headerOffset)})`;
}

function checkLoad(load: ElfSegment, fileLength: number, fail: (offset: number, problem: string) => never): void {
  const name = `PT_LOAD ${load.index}`;
  if (load.filesz > load.memsz) {
    fail(load.headerOffset, `${name} holds ${hex(load.filesz)} bytes of the file but ${hex(load.memsz)} of memory (p_filesz is more than p_memsz)`);
  }
  if (load.offset + load.filesz > BigInt(fileLength)) {
    fail(
      load.headerOffset,
      `${name} claims ${hex(load.filesz)} bytes at file offset ${hex(load.offset)}, but the file ends at ${hex(fileLength)}: it is truncated (a dump cut short?) or the header is wrong`,
    );
  }
  if (load.paddr + load.memsz > 1n << 64n) {
    fail(load.headerOffset, `${name} puts ${hex(load.memsz)} bytes at physical address ${hex(load.paddr)}, past the end of the 64-bit physical address space`);
  }
}

interface Piece {
  readonly base: bigint;
  end: bigint;
  readonly fileOffset: number;
  /** The PT_LOADs whose bytes it holds, one after the other. */
  readonly loads: ElfSegment[];
}

/**
 * The PT_LOADs (sorted by address) as disjoint ranges, overlaps checked to hold the same bytes.
 * Every earlier PT_LOAD starts at or below this one's start, so what they cover from there on is
 * one run up to the furthest end: this one adds only what lies past it, at the end of the list.
 */
function disjointRanges(loads: readonly ElfSegment[], source: ByteSource, fail: (offset: number, problem: string) => never): CoreRange[] {
  const pieces: Piece[] = [];
  // Each overlap costs one, and each byte compared one: no more than the file has.
  let budget = source.length;
  for (const load of loads) {
    const start = load.paddr;
    const end = start + load.filesz;
    const fileOffset = Number(load.offset);
    for (let i = firstEndingAfter(pieces, start); i < pieces.length && pieces[i]!.base < end; i++) {
      const piece = pieces[i]!;
      const low = start > piece.base ? start : piece.base;
      const high = end < piece.end ? end : piece.end;
      const theirs = piece.fileOffset + Number(low - piece.base);
      const ours = fileOffset + Number(low - start);
      const length = Number(high - low);
      budget -= 1 + (theirs === ours ? 0 : length);
      if (budget < 0) {
        fail(load.headerOffset, `PT_LOAD ${load.index} overlaps earlier PT_LOADs, and the PT_LOADs repeat more memory than the file holds bytes (${source.length}): these program headers do not describe a memory dump`);
      }
      const differs = theirs === ours ? -1 : firstDifference(source, theirs, ours, length);
      if (differs >= 0) {
        const address = low + BigInt(differs);
        const other = piece.loads.find((l) => l.paddr + l.filesz > address)!;
        fail(
          load.headerOffset,
          `PT_LOAD ${load.index} (${hex(start)}..${hex(end)}) overlaps ${nameOf(other)} in physical memory, and they hold different bytes at ${hex(address)} (file offsets ${hex(ours + differs)} and ${hex(theirs + differs)}): which was the memory cannot be told${
            load.paddr === 0n && other.paddr === 0n ? '; both give physical address 0, as a process\'s core does (gdb, systemd-coredump): it is not a dump of physical memory' : ''
          }`,
        );
      }
    }
    const last = pieces[pieces.length - 1];
    const covered = last ? last.end : 0n;
    if (end <= covered) continue;
    const from = start > covered ? start : covered;
    const at = fileOffset + Number(from - start);
    if (last && last.end === from && last.fileOffset + Number(last.end - last.base) === at) {
      last.end = end;
      last.loads.push(load);
    } else {
      pieces.push({ base: from, end, fileOffset: at, loads: [load] });
    }
  }
  return pieces.map((p) => ({
    base: p.base,
    fileOffset: p.fileOffset,
    length: Number(p.end - p.base),
    from: p.loads.length === 1 ? nameOf(p.loads[0]!) : `${nameOf(p.loads[0]!)} and the ${p.loads.length - 1} PT_LOADs that follow it in memory and in the file`,
  }));
}

/** The index of the first piece that ends after `address` (pieces are sorted and disjoint). */
function firstEndingAfter(pieces: readonly Piece[], address: bigint): number {
  let low = 0;
  let high = pieces.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (pieces[middle]!.end > address) high = middle;
    else low = middle + 1;
  }
  return low;
}

const COMPARE_STEP = 1 << 20;

/** Where `length` bytes at `a` and at `b` first differ; -1 when they are the same. Reads a MiB at a time. */
function firstDifference(source: ByteSource, a: number, b: number, length: number): number {
  for (let done = 0; done < length; done += COMPARE_STEP) {
    const n = Math.min(COMPARE_STEP, length - done);
    const left = source.read(a + done, n);
    const right = source.read(b + done, n);
    if (Buffer.from(left.buffer, left.byteOffset, n).equals(right)) continue;
    for (let i = 0; i < n; i++) if (left[i] !== right[i]) return done + i;
  }
  return -1;
}
