/**
 * A reader of ELF files: ELF32 and ELF64, little- and big-endian; the file header, the section headers
 * with their names and the program headers. Every offset, size and count is checked against the file
 * before it is used, and nothing is allocated by a count the file claims before the bytes that count
 * covers are known to be there: a hostile file gives an ElfError naming the offset, never a crash.
 *
 * Sections' data is checked when it is asked for (sectionData), so a damaged section that nobody reads
 * does not stop the others from being read, as with readelf.
 *
 * The file is a ByteSource: bytes in memory, or a file read a window at a time (a core file of many
 * gigabytes, of which the reader needs the headers only). Only the windows the headers occupy are read.
 */
import { InputError } from '../core/errors.ts';

export class ElfError extends InputError {
  override readonly name: string = 'ElfError';
  constructor(
    /** The file as messages name it. */
    readonly file: string,
    /** The byte offset in the file the problem is at. */
    readonly offset: number | bigint,
    problem: string,
  ) {
    super(`${file}: offset ${hex(offset)}: ${problem}`);
  }
}

export type ElfClass = 32 | 64;
export type Endian = 'little' | 'big';

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: bigint;
  /** Where the section's header is in the file. */
  readonly headerOffset: number;
}

export interface ElfSegment {
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
  readonly headerOffset: number;
}

/** A file's bytes: `read` returns `length` bytes at `offset`, both already checked to lie in the file. */
export interface ByteSource {
  readonly length: number;
  read(offset: number, length: number): Uint8Array;
}

export interface ElfFile {
  readonly file: string;
  readonly source: ByteSource;
  readonly class: ElfClass;
  readonly endian: Endian;
  readonly type: number;
  readonly machine: number;
  readonly entry: bigint;
  readonly sections: readonly ElfSection[];
  readonly segments: readonly ElfSegment[];
}

export const SHT_NOBITS = 8;
const SHN_UNDEF = 0;
const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;
/**
 * The most entries a section or program header table may have: real files have thousands at most
 * (a core of a terabyte, split wherever a dump left pages out, about a million), and each entry costs
 * some hundred bytes of objects here, so a table of the file's size cannot be read whole.
 */
const MAX_TABLE_ENTRIES = 1 << 21;
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;

/** Whether the bytes start with the ELF magic, "\x7fELF". */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/** Sizes of the structures the reader decodes, by class: the least an entry size may say. */
const SIZES = {
  32: { header: 52, section: 40, segment: 32 },
  64: { header: 64, section: 64, segment: 56 },
} as const;

export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/** A whole buffer as a ByteSource. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return { length: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/**
 * Fixed-width reads at checked offsets, in the file's byte order. Each read lies in a window that
 * `need` checked and fetched before; the reader asks for a handful (the file header, the tables, the
 * name table), so finding one is a short search.
 */
class Cursor {
  private readonly windows: { readonly start: number; readonly bytes: Uint8Array; readonly view: DataView }[] = [];
  constructor(
    readonly source: ByteSource,
    readonly little: boolean,
    readonly fail: (offset: number | bigint, problem: string) => never,
    whole?: Uint8Array,
  ) {
    if (whole) this.windows.push(windowOf(0, whole));
  }

  /** Throws unless `size` bytes at `offset` are in the file; fetches them. */
  need(offset: number | bigint, size: number | bigint, what: string): number {
    return this.bytes(offset, size, what).start;
  }

  /** `size` bytes at `offset`, checked to lie in the file. */
  bytes(offset: number | bigint, size: number | bigint, what: string): { start: number; bytes: Uint8Array } {
    const end = BigInt(offset) + BigInt(size);
    if (BigInt(offset) < 0n || end > BigInt(this.source.length)) {
      this.fail(offset, `${what} needs ${BigInt(size)} bytes there, past the end of the file (${this.source.length} bytes)`);
    }
    const start = Number(offset);
    const length = Number(size);
    const held = this.windows.find((w) => w.start <= start && start + length <= w.start + w.bytes.length);
    if (held) return { start, bytes: held.bytes.subarray(start - held.start, start - held.start + length) };
    const bytes = this.source.read(start, length);
    this.windows.push(windowOf(start, bytes));
    return { start, bytes };
  }

  private at(offset: number, size: number): { view: DataView; at: number } {
    const w = this.windows.find((w) => w.start <= offset && offset + size <= w.start + w.bytes.length)!;
    return { view: w.view, at: offset - w.start };
  }

  u16(offset: number): number {
    const { view, at } = this.at(offset, 2);
    return view.getUint16(at, this.little);
  }
  u32(offset: number): number {
    const { view, at } = this.at(offset, 4);
    return view.getUint32(at, this.little);
  }
  u64(offset: number): bigint {
    const { view, at } = this.at(offset, 8);
    return view.getBigUint64(at, this.little);
  }
  /** A word of the file's class: 4 or 8 bytes. */
  word(at: number, elfClass: ElfClass): bigint {
    return elfClass === 64 ? this.u64(at) : BigInt(this.u32(at));
  }
}

function windowOf(start: number, bytes: Uint8Array) {
  return { start, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

export interface ReadOptions {
  /**
   * Whether to read the section headers and their names (default yes). Without them only the
   * program headers are read: all a core file's memory needs, and no damaged section stops it.
   */
  readonly sections?: boolean;
}

/** Reads an ELF file's headers. `file` names it in errors. */
export function readElf(input: Uint8Array | ByteSource, file = 'the file', options: ReadOptions = {}): ElfFile {
  const fail = (offset: number | bigint, problem: string): never => {
    throw new ElfError(file, offset, problem);
  };
  const source = input instanceof Uint8Array ? bufferSource(input) : input;
  if (source.length < 16) fail(0, `${source.length} bytes is too short for an ELF identification (16 bytes)`);
  const bytes = source.read(0, 16);
  if (!hasElfMagic(bytes)) {
    fail(0, `not an ELF file: the magic is ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}, not 7f 45 4c 46 ("\\x7fELF")`);
  }
  const elfClass = bytes[4] === 1 ? 32 : bytes[4] === 2 ? 64 : fail(4, `unknown ELF class ${bytes[4]} (1 is ELF32, 2 is ELF64)`);
  const endian: Endian = bytes[5] === 1 ? 'little' : bytes[5] === 2 ? 'big' : fail(5, `unknown data encoding ${bytes[5]} (1 is little-endian, 2 is big-endian)`);
  if (bytes[6] !== 1) fail(6, `unknown ELF version ${bytes[6]} (only version 1 exists)`);
  const sizes = SIZES[elfClass];
  const c = new Cursor(source, endian === 'little', fail, input instanceof Uint8Array ? input : undefined);
  c.need(0, sizes.header, `the ELF${elfClass} file header`);

  const is64 = elfClass === 64;
  const type = c.u16(16);
  const machine = c.u16(18);
  const entry = c.word(24, elfClass);
  const phoff = c.word(is64 ? 32 : 28, elfClass);
  const shoff = c.word(is64 ? 40 : 32, elfClass);
  const phentsize = c.u16(is64 ? 54 : 42);
  let phnum = c.u16(is64 ? 56 : 44);
  const shentsize = c.u16(is64 ? 58 : 46);
  let shnum = c.u16(is64 ? 60 : 48);
  let shstrndx = c.u16(is64 ? 62 : 50);

  // Section header 0 carries the real counts when they do not fit the file header's 16 bits.
  if (shoff !== 0n && (shnum === 0 || shstrndx === SHN_XINDEX || phnum === PN_XNUM)) {
    checkEntrySize(shentsize, sizes.section, is64 ? 58 : 46, 'section', fail);
    const at = c.need(shoff, sizes.section, 'section header 0 (the extended counts)');
    if (shnum === 0) {
      const real = c.word(at + (is64 ? 32 : 20), elfClass);
      shnum = real > BigInt(source.length) ? fail(at + (is64 ? 32 : 20), `section header 0 says the file has ${real} section headers, more than it has bytes`) : Number(real);
    }
    if (shstrndx === SHN_XINDEX) shstrndx = c.u32(at + (is64 ? 40 : 24));
    if (phnum === PN_XNUM) phnum = c.u32(at + (is64 ? 44 : 28));
  }

  /** The offsets of a table's entries, once the table is known to lie in the file. */
  const table = (what: 'section' | 'program', offset: bigint, count: number, entsize: number, least: number, fields: { offset: number; entsize: number; count: number }): number[] => {
    if (count === 0) return [];
    if (offset === 0n) fail(fields.offset, `the file header counts ${count} ${what} headers but gives no offset for them`);
    checkEntrySize(entsize, least, fields.entsize, what, fail);
    if (count > MAX_TABLE_ENTRIES) fail(fields.count, `the file header counts ${count} ${what} headers, more than the ${MAX_TABLE_ENTRIES} luo-abi reads`);
    c.need(offset, BigInt(count) * BigInt(entsize), `the table of ${count} ${what} headers of ${entsize} bytes`);
    return Array.from({ length: count }, (_, index) => Number(offset) + index * entsize);
  };

  const readSections = options.sections ?? true;
  const sectionHeaders: Omit<ElfSection, 'name'>[] = (readSections ? table('section', shoff, shnum, shentsize, sizes.section, { offset: is64 ? 40 : 32, entsize: is64 ? 58 : 46, count: is64 ? 60 : 48 }) : []).map((at, index) => {
    const f = fieldsAt(c, at, SECTION_FIELDS[elfClass]);
    return { index, type: Number(f.type), flags: f.flags, addr: f.addr, offset: f.offset, size: f.size, link: Number(f.link), info: Number(f.info), addralign: f.addralign, entsize: f.entsize, headerOffset: at };
  });

  // Names: offsets into the section-name string table, each NUL-terminated inside it.
  const nameOffsets = sectionHeaders.map((s) => c.u32(s.headerOffset));
  let names: string[] = sectionHeaders.map(() => '');
  if (sectionHeaders.length > 0 && shstrndx !== SHN_UNDEF) {
    if (shstrndx >= sectionHeaders.length) {
      fail(is64 ? 62 : 50, `the section-name table is section ${shstrndx}, but there are ${sectionHeaders.length} sections`);
    }
    const table = sectionHeaders[shstrndx]!;
    const data = rangeOf(c, table, 'the section-name table');
    names = nameOffsets.map((offset, i) => {
      const where = sectionHeaders[i]!.headerOffset;
      if (offset >= data.length) {
        if (data.length === 0 && offset === 0) return '';
        fail(where, `section ${i}'s name is at ${hex(offset)} in the section-name table, which has ${data.length} bytes`);
      }
      const end = data.indexOf(0, offset);
      if (end < 0) fail(Number(table.offset) + offset, `section ${i}'s name has no NUL before the end of the section-name table`);
      return ascii(data.subarray(offset, end));
    });
  }
  const sections: ElfSection[] = sectionHeaders.map((s, i) => ({ ...s, name: names[i]! }));

  const segments: ElfSegment[] = table('program', phoff, phnum, phentsize, sizes.segment, { offset: is64 ? 32 : 28, entsize: is64 ? 54 : 42, count: is64 ? 56 : 44 }).map((at, index) => {
    const f = fieldsAt(c, at, SEGMENT_FIELDS[elfClass]);
    return { index, type: Number(f.type), flags: Number(f.flags), offset: f.offset, vaddr: f.vaddr, paddr: f.paddr, filesz: f.filesz, memsz: f.memsz, align: f.align, headerOffset: at };
  });
  return { file, source, class: elfClass, endian, type, machine, entry, sections, segments };
}

/** Where each field of a header sits, and its width: [offset, 4 or 8]. */
type Fields<K extends string> = Readonly<Record<K, readonly [number, 4 | 8]>>;
type SectionField = 'type' | 'flags' | 'addr' | 'offset' | 'size' | 'link' | 'info' | 'addralign' | 'entsize';
type SegmentField = 'type' | 'flags' | 'offset' | 'vaddr' | 'paddr' | 'filesz' | 'memsz' | 'align';

const SECTION_FIELDS: Record<ElfClass, Fields<SectionField>> = {
  32: { type: [4, 4], flags: [8, 4], addr: [12, 4], offset: [16, 4], size: [20, 4], link: [24, 4], info: [28, 4], addralign: [32, 4], entsize: [36, 4] },
  64: { type: [4, 4], flags: [8, 8], addr: [16, 8], offset: [24, 8], size: [32, 8], link: [40, 4], info: [44, 4], addralign: [48, 8], entsize: [56, 8] },
};

// ELF64 moved p_flags next to p_type, so the two classes order the fields differently.
const SEGMENT_FIELDS: Record<ElfClass, Fields<SegmentField>> = {
  32: { type: [0, 4], offset: [4, 4], vaddr: [8, 4], paddr: [12, 4], filesz: [16, 4], memsz: [20, 4], flags: [24, 4], align: [28, 4] },
  64: { type: [0, 4], flags: [4, 4], offset: [8, 8], vaddr: [16, 8], paddr: [24, 8], filesz: [32, 8], memsz: [40, 8], align: [48, 8] },
};

/** The fields of a header at `at` (already checked to lie in the file). */
function fieldsAt<K extends string>(c: Cursor, at: number, fields: Fields<K>): Record<K, bigint> {
  const out = {} as Record<K, bigint>;
  for (const [name, [offset, width]] of Object.entries(fields) as [K, readonly [number, 4 | 8]][]) {
    out[name] = width === 8 ? c.u64(at + offset) : BigInt(c.u32(at + offset));
  }
  return out;
}

function checkEntrySize(size: number, least: number, at: number, what: string, fail: (offset: number, problem: string) => never): void {
  if (size < least) fail(at, `${what} headers are ${size} bytes each, less than the ${least} bytes of one`);
}

function rangeOf(c: Cursor, section: Omit<ElfSection, 'name'>, what: string): Uint8Array {
  if (section.type === SHT_NOBITS) return new Uint8Array(0);
  const end = section.offset + section.size;
  if (end > BigInt(c.source.length)) {
    c.fail(
      section.headerOffset,
      `${what} (section ${section.index}) claims ${section.size} bytes at ${hex(section.offset)}, but the file ends at ${hex(c.source.length)}: it is truncated or the header is wrong`,
    );
  }
  return c.bytes(section.offset, section.size, what).bytes;
}

/** Printable text of a name; other bytes shown as \xNN. */
function ascii(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return text;
}

/** The first section of that name. */
export function findSection(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.name === name);
}

/** A section's bytes, checked to lie in the file (a section without file data has none). */
export function sectionData(elf: ElfFile, section: ElfSection): Uint8Array {
  const c = new Cursor(elf.source, elf.endian === 'little', (offset, problem) => {
    throw new ElfError(elf.file, offset, problem);
  });
  return rangeOf(c, section, `section ${section.name || `#${section.index}`}`);
}
