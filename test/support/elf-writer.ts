/**
 * A small ELF writer for the tests: the files gcc on this machine cannot make (big-endian ELF32 and
 * ELF64) and the hostile ones (fields edited afterwards by offset). The layout is the usual one: file
 * header, program headers, each section's data, the section-name table, the section headers.
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
  const u16 = (o: number, v: number) => view.setUint16(o, v, little);
  const u32 = (o: number, v: number) => view.setUint32(o, v, little);
  const word = (o: number, v: bigint | number) => (is64 ? view.setBigUint64(o, BigInt(v), little) : view.setUint32(o, Number(v), little));

  bytes.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1]);
  u16(16, 2); // ET_EXEC
  u16(18, spec.machine ?? 21);
  u32(20, 1);
  word(24, 0x1000);
  word(is64 ? 32 : 28, phoff);
  word(is64 ? 40 : 32, shoff);
  u16(is64 ? 52 : 40, ehsize);
  u16(is64 ? 54 : 42, phentsize);
  u16(is64 ? 56 : 44, loads.length);
  u16(is64 ? 58 : 46, shentsize);
  u16(is64 ? 60 : 48, all.length);
  u16(is64 ? 62 : 50, all.length - 1);

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
    const h = phoff + i * phentsize;
    u32(h, 1); // PT_LOAD
    if (is64) {
      u32(h + 4, 4); // PF_R
      view.setBigUint64(h + 8, BigInt(s.offset), little);
      view.setBigUint64(h + 16, addr, little);
      view.setBigUint64(h + 24, addr, little);
      view.setBigUint64(h + 32, BigInt(s.size), little);
      view.setBigUint64(h + 40, BigInt(s.size), little);
      view.setBigUint64(h + 48, 8n, little);
    } else {
      u32(h + 4, s.offset);
      u32(h + 8, Number(addr));
      u32(h + 12, Number(addr));
      u32(h + 16, s.size);
      u32(h + 20, s.size);
      u32(h + 24, 4);
      u32(h + 28, 8);
    }
  });
  return { bytes, sections, shoff, phoff };
}

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
