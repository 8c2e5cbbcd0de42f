/**
 * A small ELF writer for the tests: the files gcc on this machine cannot make (big-endian ELF32 and
 * ELF64), core files laid out as kdump's /proc/vmcore, and the hostile ones (fields edited afterwards
 * by offset). The layout is the usual one: file header, program headers, each section's data, the
 * section-name table, the section headers.
 */

export interface WrittenSection {
  readonly name: string;
  /** SHT_PROGBITS (1) unless said. */
  readonly type?: number;
  /** SHF_ALLOC (2) unless said. */
  readonly flags?: bigint;
  readonly addr?: bigint;
  readonly data: Uint8Array;
}

export interface ElfSpec {
  readonly class: 32 | 64;
  readonly endian: 'little' | 'big';
  /** EM_PPC64 (21) unless said: a big-endian machine. */
  readonly machine?: number;
  readonly sections: readonly WrittenSection[];
  /** One PT_LOAD per named section, covering its data. */
  readonly loads?: readonly string[];
}

export interface WrittenElf {
  readonly bytes: Uint8Array;
  /** Where each section's data and header are, by name. */
  readonly sections: ReadonlyMap<string, { readonly offset: number; readonly size: number; readonly header: number }>;
  readonly shoff: number;
  readonly phoff: number;
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

export function writeElf(spec: ElfSpec): WrittenElf {
  const is64 = spec.class === 64;
  const little = spec.endian === 'little';
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const phentsize = is64 ? 56 : 32;
  const loads = spec.loads ?? [];
  const all: WrittenSection[] = [{ name: '', type: 0, flags: 0n, data: new Uint8Array(0) }, ...spec.sections];
  const names = new Map<string, number>();
  let strtab = '\0';
  for (const s of [...all.slice(1), { name: '.shstrtab' }]) {
    names.set(s.name, strtab.length);
    strtab += `${s.name}\0`;
  }
  const shstrtab: WrittenSection = { name: '.shstrtab', type: 3, flags: 0n, data: new TextEncoder().encode(strtab) };
  all.push(shstrtab);

  const phoff = loads.length > 0 ? ehsize : 0;
  let at = ehsize + loads.length * phentsize;
  const placed = all.map((s, index) => {
    if (index === 0) return { offset: 0, size: 0 };
    at = align(at, 8);
    const offset = at;
    at += s.data.length;
    return { offset, size: s.data.length };
  });
  const shoff = align(at, 8);
  const size = shoff + all.length * shentsize;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const u32 = (o: number, v: number) => view.setUint32(o, v, little);

  writeFileHeader(view, spec, { type: 2, phoff, shoff, phnum: loads.length, shnum: all.length, shstrndx: all.length - 1 });

  const sections = new Map<string, { offset: number; size: number; header: number }>();
  all.forEach((s, index) => {
    const { offset, size: length } = placed[index]!;
    bytes.set(s.data, offset);
    const h = shoff + index * shentsize;
    if (index > 0) sections.set(s.name, { offset, size: length, header: h });
    if (index === 0) return;
    u32(h, names.get(s.name)!);
    u32(h + 4, s.type ?? 1);
    if (is64) {
      view.setBigUint64(h + 8, s.flags ?? 2n, little);
      view.setBigUint64(h + 16, s.addr ?? 0n, little);
      view.setBigUint64(h + 24, BigInt(offset), little);
      view.setBigUint64(h + 32, BigInt(length), little);
      view.setBigUint64(h + 48, 8n, little);
    } else {
      u32(h + 8, Number(s.flags ?? 2n));
      u32(h + 12, Number(s.addr ?? 0n));
      u32(h + 16, offset);
      u32(h + 20, length);
      u32(h + 32, 8);
    }
  });
  loads.forEach((name, i) => {
    const s = sections.get(name)!;
    const addr = all.find((x) => x.name === name)!.addr ?? 0n;
    writeProgramHeader(view, spec.class, little, phoff + i * phentsize, { type: PT_LOAD, flags: 4, offset: s.offset, vaddr: addr, paddr: addr, filesz: s.size, memsz: BigInt(s.size), align: 8 });
  });
  return { bytes, sections, shoff, phoff };
}

/** The ELF file header (ELF32 or ELF64, either byte order) at the start of `view`. */
function writeFileHeader(
  view: DataView,
  spec: { readonly class: 32 | 64; readonly endian: 'little' | 'big'; readonly machine?: number },
  fields: { type: number; phoff: number; shoff: number; phnum: number; shnum: number; shstrndx: number },
): void {
  const is64 = spec.class === 64;
  const little = spec.endian === 'little';
  const u16 = (o: number, v: number) => view.setUint16(o, v, little);
  const word = (o: number, v: number) => (is64 ? view.setBigUint64(o, BigInt(v), little) : view.setUint32(o, v, little));
  [0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1].forEach((b, i) => view.setUint8(i, b));
  u16(16, fields.type);
  u16(18, spec.machine ?? 21);
  view.setUint32(20, 1, little);
  word(24, fields.type === 2 ? 0x1000 : 0);
  word(is64 ? 32 : 28, fields.phoff);
  word(is64 ? 40 : 32, fields.shoff);
  u16(is64 ? 52 : 40, is64 ? 64 : 52);
  u16(is64 ? 54 : 42, is64 ? 56 : 32);
  u16(is64 ? 56 : 44, fields.phnum);
  u16(is64 ? 58 : 46, fields.shnum === 0 ? 0 : is64 ? 64 : 40);
  u16(is64 ? 60 : 48, fields.shnum);
  u16(is64 ? 62 : 50, fields.shstrndx);
}

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const ET_CORE = 4;

/** One PT_LOAD of a core file: memory at `paddr`. */
export interface CoreLoad {
  readonly paddr: bigint;
  /** Where the kernel saw it (the direct map, the kernel's text): readers of physical memory ignore it. */
  readonly vaddr?: bigint;
  readonly data: Uint8Array;
  /** Memory it describes, past its bytes in the file: pages the dump left out. Default data.length. */
  readonly memsz?: bigint;
  /** The file offset its data starts on a multiple of: 4096 unless said (vmcore's pages); 1 puts it right after the last. */
  readonly fileAlign?: number;
  /** Bytes of the file left unused before it (aligned after): its data then never follows the last one's. */
  readonly padding?: number;
}

/** An ELF note: name, type, descriptor. */
export interface CoreNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

export interface CoreSpec {
  readonly class: 32 | 64;
  readonly endian: 'little' | 'big';
  /** EM_X86_64 (62) unless said. */
  readonly machine?: number;
  readonly notes: readonly CoreNote[];
  readonly loads: readonly CoreLoad[];
}

export interface WrittenCore {
  readonly bytes: Uint8Array;
  /** Where each program header is: the PT_NOTE's first, then each PT_LOAD's. */
  readonly headers: readonly number[];
  /** Where each PT_LOAD's data is in the file. */
  readonly dataOffsets: readonly number[];
}

/**
 * A core file as /proc/vmcore lays it out: the file header, one PT_NOTE and then a PT_LOAD for each
 * range of memory, the notes, then each range's bytes on a page boundary of the file.
 */
export function writeCore(spec: CoreSpec): WrittenCore {
  const is64 = spec.class === 64;
  const little = spec.endian === 'little';
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const notes = noteBytes(spec.notes, little);
  const headers = Array.from({ length: 1 + spec.loads.length }, (_, i) => ehsize + i * phentsize);
  const notesOffset = ehsize + headers.length * phentsize;
  let at = notesOffset + notes.length;
  const dataOffsets = spec.loads.map((load) => {
    const offset = align(at + (load.padding ?? 0), load.fileAlign ?? 4096);
    at = offset + load.data.length;
    return offset;
  });
  const bytes = new Uint8Array(at);
  const view = new DataView(bytes.buffer);
  writeFileHeader(view, { ...spec, machine: spec.machine ?? 62 }, { type: ET_CORE, phoff: ehsize, shoff: 0, phnum: headers.length, shnum: 0, shstrndx: 0 });
  bytes.set(notes, notesOffset);
  writeProgramHeader(view, spec.class, little, headers[0]!, { type: PT_NOTE, flags: 0, offset: notesOffset, vaddr: 0n, paddr: 0n, filesz: notes.length, memsz: BigInt(notes.length), align: 4 });
  spec.loads.forEach((load, i) => {
    bytes.set(load.data, dataOffsets[i]!);
    const fields = { type: PT_LOAD, flags: 7, offset: dataOffsets[i]!, vaddr: load.vaddr ?? 0n, paddr: load.paddr, filesz: load.data.length, memsz: load.memsz ?? BigInt(load.data.length), align: 0 };
    writeProgramHeader(view, spec.class, little, headers[i + 1]!, fields);
  });
  return { bytes, headers, dataOffsets };
}

interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: bigint;
  align: number;
}

function writeProgramHeader(view: DataView, elfClass: 32 | 64, little: boolean, h: number, p: ProgramHeader): void {
  if (elfClass === 64) {
    view.setUint32(h, p.type, little);
    view.setUint32(h + 4, p.flags, little);
    view.setBigUint64(h + 8, BigInt(p.offset), little);
    view.setBigUint64(h + 16, p.vaddr, little);
    view.setBigUint64(h + 24, p.paddr, little);
    view.setBigUint64(h + 32, BigInt(p.filesz), little);
    view.setBigUint64(h + 40, p.memsz, little);
    view.setBigUint64(h + 48, BigInt(p.align), little);
  } else {
    [p.type, p.offset, Number(p.vaddr), Number(p.paddr), p.filesz, Number(p.memsz), p.flags, p.align].forEach((v, i) => view.setUint32(h + 4 * i, v, little));
  }
}

/** Notes as ELF lays them out: name size, descriptor size, type, then the name and the descriptor, each padded to 4 bytes. */
function noteBytes(notes: readonly CoreNote[], little: boolean): Uint8Array {
  const parts = notes.map((note) => {
    const name = new TextEncoder().encode(`${note.name}\0`);
    const bytes = new Uint8Array(12 + align(name.length, 4) + align(note.desc.length, 4));
    const view = new DataView(bytes.buffer);
    view.setUint32(0, name.length, little);
    view.setUint32(4, note.desc.length, little);
    view.setUint32(8, note.type, little);
    bytes.set(name, 12);
    bytes.set(note.desc, 12 + align(name.length, 4));
    return bytes;
  });
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  return all;
}

/** Where each field of a program header is, by class: to edit a written core by offset. */
export const PHDR_FIELDS = {
  64: { type: [0, 4], offset: [8, 8], vaddr: [16, 8], paddr: [24, 8], filesz: [32, 8], memsz: [40, 8] },
  32: { type: [0, 4], offset: [4, 4], vaddr: [8, 4], paddr: [12, 4], filesz: [16, 4], memsz: [20, 4] },
} as const;

/** A .liveupdate_features section's bytes: the header, then one 80-byte entry per subsystem. */
export function featureSectionBytes(
  endian: 'little' | 'big',
  entries: readonly { name: string; supp: bigint; req: bigint; active: bigint; featBytes?: number }[],
  header: { magic?: number; version?: number } = {},
): Uint8Array {
  const little = endian === 'little';
  const bytes = new Uint8Array(8 + 80 * entries.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, header.magic ?? 0x4c565550, little);
  view.setUint32(4, header.version ?? 1, little);
  entries.forEach((e, i) => {
    const at = 8 + 80 * i;
    bytes.set(new TextEncoder().encode(e.name).subarray(0, 48), at);
    view.setUint32(at + 48, e.featBytes ?? 8, little);
    view.setBigUint64(at + 56, e.supp, little);
    view.setBigUint64(at + 64, e.req, little);
    view.setBigUint64(at + 72, e.active, little);
  });
  return bytes;
}
