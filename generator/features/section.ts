/**
 * The kernel image's `.liveupdate_features` section: a header (magic "LVUP", format version), then one
 * entry per subsystem to the end of the section (name, how many bytes of each mask count, and the
 * supported, required and active masks). The layout is the schema's (struct liveupdate_ver_hdr and
 * struct liveupdate_feature_entry, with LIVEUPDATE_VER_HDR_MAGIC and _VER): this reads whatever the
 * newest version describing them says.
 *
 * Every problem is an ElfError naming the file offset: a section too short for its header, a wrong
 * magic or version, a last entry cut short (more entries than bytes), a name with no NUL, an empty or
 * repeated name, masks wider than the entry holds.
 */
import { ElfError, findSection, hex, sectionData, type ElfFile } from '../elf/read.ts';
import { InputError } from '../core/errors.ts';
import { allVersions, memberFields, type Model, type StructModel, type VersionModel } from '../model/index.ts';

export const FEATURE_SECTION = '.liveupdate_features';

export interface FeatureEntry {
  readonly index: number;
  /** File offset of the entry. */
  readonly offset: number;
  readonly name: string;
  readonly featBytes: number;
  readonly supported: bigint;
  readonly required: bigint;
  readonly active: bigint;
}

export interface FeatureSection {
  /** File offset of the section. */
  readonly offset: number;
  readonly size: number;
  readonly version: number;
  readonly entries: readonly FeatureEntry[];
}

/** Where each field sits, from the schema. */
export interface FeatureSectionLayout {
  readonly magic: number;
  readonly version: number;
  readonly header: { readonly size: number; readonly magic: Slot; readonly version: Slot };
  readonly entry: {
    readonly size: number;
    readonly name: Slot;
    readonly featBytes: Slot;
    readonly supported: Slot;
    readonly required: Slot;
    readonly active: Slot;
  };
}

interface Slot {
  readonly offset: number;
  readonly size: number;
}

const HEADER_STRUCT = 'liveupdate_ver_hdr';
const ENTRY_STRUCT = 'liveupdate_feature_entry';

/** The section's layout from the newest schema version that declares its structs and constants. */
export function featureSectionLayout(model: Model): FeatureSectionLayout {
  const version = [...allVersions(model)].reverse().find((v) => v.structs.some((s) => s.name === ENTRY_STRUCT));
  if (!version) throw new InputError(`the schema describes no ${FEATURE_SECTION} section (no version declares struct ${ENTRY_STRUCT}); it cannot read kernel images`);
  const struct = (name: string) => version.visibleStructs.find((s) => s.name === name) ?? missing(version, `struct ${name}`);
  const slot = (s: StructModel, field: string): Slot => {
    const f = memberFields(s.fields).find((x) => x.name === field) ?? missing(version, `${s.name}.${field}`);
    return { offset: f.offset, size: f.size };
  };
  const number = (name: string): number => {
    const value = version.constants.find((c) => c.name === name)?.value;
    return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : missing(version, name);
  };
  const header = struct(HEADER_STRUCT);
  const entry = struct(ENTRY_STRUCT);
  return {
    magic: number('LIVEUPDATE_VER_HDR_MAGIC'),
    version: number('LIVEUPDATE_VER_HDR_VER'),
    header: { size: header.size, magic: slot(header, 'magic'), version: slot(header, 'version') },
    entry: {
      size: entry.size,
      name: slot(entry, 'name'),
      featBytes: slot(entry, 'feat_bytes'),
      supported: slot(entry, 'supp'),
      required: slot(entry, 'req'),
      active: slot(entry, 'active'),
    },
  };
}

function missing(version: VersionModel, what: string): never {
  throw new InputError(`the schema's ${version.name} lacks ${what}, which reading ${FEATURE_SECTION} needs`);
}

/** The section of an ELF file, or undefined when the file has none. */
export function readFeatureSection(elf: ElfFile, layout: FeatureSectionLayout): FeatureSection | undefined {
  const section = findSection(elf, FEATURE_SECTION);
  if (!section) return undefined;
  return parseFeatureSection(sectionData(elf, section), Number(section.offset), elf.endian === 'little', layout, elf.file);
}

/** The section's bytes, which lie at `base` in `file`, decoded. */
export function parseFeatureSection(data: Uint8Array, base: number, little: boolean, layout: FeatureSectionLayout, file: string): FeatureSection {
  const fail = (at: number, problem: string): never => {
    throw new ElfError(file, base + at, `${FEATURE_SECTION}: ${problem}`);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const uint = (at: number, slot: Slot): bigint => {
    const p = at + slot.offset;
    switch (slot.size) {
      case 4:
        return BigInt(view.getUint32(p, little));
      case 8:
        return view.getBigUint64(p, little);
      case 2:
        return BigInt(view.getUint16(p, little));
      case 1:
        return BigInt(view.getUint8(p));
      default:
        throw new InputError(`the schema gives a ${slot.size}-byte integer field in ${FEATURE_SECTION}; luo-abi reads 1, 2, 4 or 8`);
    }
  };
  const { header, entry } = layout;
  if (data.length < header.size) fail(0, `the section is ${data.length} bytes, too short for its ${header.size}-byte header`);
  const magic = Number(uint(0, header.magic));
  if (magic !== layout.magic) {
    fail(header.magic.offset, `the magic is ${hex(magic)}, not LIVEUPDATE_VER_HDR_MAGIC ${hex(layout.magic)} ("LVUP"); this is not a feature list${magic === byteSwap32(layout.magic) ? ' (it is the magic byte-swapped: the section was written for the other byte order)' : ''}`);
  }
  const version = Number(uint(0, header.version));
  if (version !== layout.version) fail(header.version.offset, `format version ${version}; luo-abi reads version ${layout.version}`);
  const body = data.length - header.size;
  if (body % entry.size !== 0) {
    const last = header.size + Math.floor(body / entry.size) * entry.size;
    fail(last, `the last entry has ${body % entry.size} of its ${entry.size} bytes: the section ends at ${hex(base + data.length)}, inside entry ${Math.floor(body / entry.size)}`);
  }
  const maskBytes = Math.min(entry.supported.size, entry.required.size, entry.active.size);
  const entries: FeatureEntry[] = [];
  const seen = new Map<string, number>();
  for (let index = 0, at = header.size; at < data.length; index++, at += entry.size) {
    const nameBytes = data.subarray(at + entry.name.offset, at + entry.name.offset + entry.name.size);
    const end = nameBytes.indexOf(0);
    if (end < 0) fail(at + entry.name.offset, `entry ${index}'s name has no NUL within its ${entry.name.size} bytes`);
    if (end === 0) fail(at + entry.name.offset, `entry ${index} has an empty name`);
    const bad = nameBytes.subarray(0, end).findIndex((b) => b < 0x21 || b > 0x7e);
    if (bad >= 0) fail(at + entry.name.offset + bad, `entry ${index}'s name has the byte ${hex(nameBytes[bad]!)}, not a printable character`);
    const name = String.fromCharCode(...nameBytes.subarray(0, end));
    if (seen.has(name)) fail(at + entry.name.offset, `entry ${index} repeats the name "${name}" of entry ${seen.get(name)}`);
    seen.set(name, index);
    const featBytes = Number(uint(at, entry.featBytes));
    if (featBytes === 0 || featBytes > maskBytes) {
      fail(at + entry.featBytes.offset, `entry ${index} ("${name}") says its masks have ${featBytes} meaningful bytes; they hold ${maskBytes}`);
    }
    // Bits past feat_bytes are not part of the mask.
    const meaningful = (1n << BigInt(8 * featBytes)) - 1n;
    entries.push({
      index,
      offset: base + at,
      name,
      featBytes,
      supported: uint(at, entry.supported) & meaningful,
      required: uint(at, entry.required) & meaningful,
      active: uint(at, entry.active) & meaningful,
    });
  }
  return { offset: base, size: data.length, version, entries };
}

function byteSwap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}
