/**
 * The builder, the walker's inverse: from a state to an FDT blob and a memory image. Blocks are laid out
 * as the kernel allocates them: each on a page boundary and of its block size (16 pages for a session
 * block, 2 for a file block, an FLB block as many pages as it needs), entries never crossing into the
 * next block, a chain starting a new block when one is full. `packing: 'packed'` puts blocks back to
 * back instead, each only as long as what it holds: still a valid image, for very large synthetic ones.
 */
import { isBigintType, valueFields, type NodeModel, type PointerModel, type StructModel, type TypeInfo, type VersionModel } from '../model/index.ts';
import { writeFdt, type FdtNodeData, type FdtPropertyData } from '../fdt/index.ts';
import { codecsFor, isCodecError } from './codecs.ts';
import { ImageError, Place, hex } from './errors.ts';
import { nodePath, rawU64Value, stringValue } from './fdt-values.ts';
import { DEFAULT_PAGE_SIZE, VersionLayout } from './layout.ts';
import { fdtOf } from './select.ts';
import type { ImageState, NodeState, PropertyState } from './state.ts';

export interface EncodeOptions {
  /** Physical address of the first byte of the memory image. */
  readonly base: bigint;
  /** Byte order of the structs and of u64 properties; default true. */
  readonly littleEndian?: boolean;
  /** Default 4096. */
  readonly pageSize?: number;
  /** Default 'pages', as the kernel lays blocks out. */
  readonly packing?: 'pages' | 'packed';
  /** The largest FDT blob allowed; default the size the version's container names (LUO_FDT_SIZE). */
  readonly maxFdtSize?: number;
}

export interface EncodedImage {
  /** The FDT, for a version kept in one. */
  readonly fdt?: Uint8Array;
  /** The physical address of the struct, for a version kept as a raw KHO entry. */
  readonly entryPa?: bigint;
  /** Loaded at `base`. */
  readonly memory: Uint8Array;
  readonly base: bigint;
}

type RawStruct = Record<string, unknown>;
type EntryTarget = Exclude<PointerModel['target'], { shape: 'struct' | 'selected' }>;
type HeaderTarget = Extract<EntryTarget, { shape: 'header-array' | 'chain' }>;
type ChainTarget = Extract<EntryTarget, { shape: 'chain' }>;

/** The bytes of one allocation, held apart until the image is put together. */
interface Piece {
  readonly pa: bigint;
  readonly bytes: Uint8Array;
}

/** A block placed in memory, its entries written. */
interface LaidOut {
  readonly piece: Piece;
  readonly count: number;
  readonly blockBytes: number;
}

/**
 * The bytes of a state. The model must be laid out for `options.pageSize` (buildModel at that page
 * shift): sizes and the FDT's size limit come from it.
 */
export function encodeImage(version: VersionModel, state: ImageState, options: EncodeOptions): EncodedImage {
  if (state.version !== version.name) throw new ImageError('state', `is for version ${state.version}, not ${version.name}`);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const builder = new Builder(new VersionLayout(version, codecsFor(version), pageSize), options);
  if ('entry' in state) {
    const container = version.container;
    if (container?.kind !== 'kho-entry') throw new ImageError('state.entry', `${version.name} keeps its state in ${container ? `a ${container.kind} container` : 'no container'}, not in a raw KHO entry`);
    // The string the next kernel picks the version by: as the version has it, given or not.
    const wanted = container.compatible.value;
    const given = (state.entry as Record<string, unknown>)[container.field];
    if (given !== undefined && given !== wanted) throw new ImageError(`state.entry.${container.field}`, `is ${JSON.stringify(given)} but ${version.name} has "${wanted}"`);
    const entryPa = builder.entry(container.struct, { ...state.entry, [container.field]: wanted });
    return { entryPa, memory: builder.memory(), base: options.base };
  }
  const fdtContainer = fdtOf(version);
  const root = builder.node(fdtContainer.root, state.root, '/');
  const maxSize = options.maxFdtSize ?? (fdtContainer.maxSize ? Number(fdtContainer.maxSize.value) : pageSize);
  const fdt = writeFdt({ reservations: [], bootCpuid: 0, root }, { maxSize, maxSizeName: fdtContainer.maxSize?.name ?? 'PAGE_SIZE' });
  return { fdt, memory: builder.memory(), base: options.base };
}

class Builder {
  /**
   * Each allocation keeps only the bytes it uses; the image is assembled once at the end, so the
   * untouched rest of each block (most of a kernel-layout image) costs nothing until then.
   */
  private readonly pieces: Piece[] = [];
  /** Bytes of the image in use, from `base`. */
  private end = 0;
  private readonly littleEndian: boolean;
  private readonly codecOptions: { littleEndian: boolean };
  private readonly packed: boolean;
  private readonly base: bigint;

  constructor(
    private readonly layout: VersionLayout,
    options: EncodeOptions,
  ) {
    this.littleEndian = options.littleEndian ?? true;
    this.codecOptions = { littleEndian: this.littleEndian };
    this.packed = options.packing === 'packed';
    this.base = options.base;
    if (this.base < 0n) throw new ImageError('memory', `base ${hex(this.base)} is negative`);
    if (!this.packed && this.base % BigInt(layout.pageSize) !== 0n) {
      throw new ImageError('memory', `base ${hex(this.base)} is not on a page boundary (${layout.pageSize}); blocks are whole pages`);
    }
  }

  memory(): Uint8Array {
    const image = new Uint8Array(this.end);
    for (const piece of this.pieces) image.set(piece.bytes, Number(piece.pa - this.base));
    return image;
  }

  /** The struct a raw KHO entry holds, laid out; its physical address. */
  entry(struct: string, value: unknown): bigint {
    return this.pointer({ nullable: false, form: 'u64', target: { shape: 'struct', struct } }, value, Place.at('state.entry'), undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // The FDT: compatible first, then the node's properties in model order, then its subnodes.

  node(model: NodeModel, state: NodeState, path: string): FdtNodeData {
    if (typeof state !== 'object' || state === null) throw new ImageError(path, 'the node is missing from the state');
    if (state.compatible !== undefined && state.compatible !== model.compatible?.value) {
      throw new ImageError(nodePath(path, 'compatible'), `is "${state.compatible}" but ${this.layout.version.name} has ${model.compatible ? `"${model.compatible.value}"` : 'no compatible string there'}`);
    }
    const anyChild = model.children.find((c) => c.anyName !== undefined);
    rejectUnknown(Object.keys(state.properties ?? {}), model.properties.map((p) => p.name), `${path} properties`);
    if (!anyChild) rejectUnknown(Object.keys(state.children ?? {}), model.children.map((c) => c.name), `${path} children`);
    const properties: FdtPropertyData[] = model.compatible ? [{ name: 'compatible', value: stringValue(model.compatible.value) }] : [];
    for (const property of model.properties) {
      const where = nodePath(path, property.name);
      const value = state.properties?.[property.name];
      if (value === undefined) throw new ImageError(where, 'the property is missing from the state');
      properties.push({ name: property.name, value: this.propertyValue(property.kind, property.pointer, value, where) });
    }
    const named = model.children.filter((c) => c.anyName === undefined);
    const children = named.map((child) => this.node(child, state.children?.[child.name] as NodeState, child.path));
    // Children named at run time, in the state's order.
    const others = Object.keys(state.children ?? {}).filter((name) => !named.some((c) => c.name === name));
    for (const name of others) children.push({ ...this.node(anyChild!, state.children[name]!, nodePath(path, name)), name });
    return { name: model.name, properties, children };
  }

  private propertyValue(kind: 'string' | 'u64' | 'pointer', pointer: PointerModel | undefined, value: PropertyState, where: string): Uint8Array {
    switch (kind) {
      case 'string':
        if (typeof value !== 'string') throw new ImageError(where, 'must be a string');
        return stringValue(value);
      case 'u64':
        return rawU64Value(u64(value, where), this.littleEndian);
      case 'pointer':
        return rawU64Value(this.pointer(pointer!, value, Place.at(where), undefined), this.littleEndian);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pointers: lay out what the value holds, return its physical address.

  private pointer(pointer: PointerModel, value: unknown, place: Place, owner: RawStruct | undefined): bigint {
    const target = pointer.target;
    // What a selected address holds is the handler's: the state gives the address itself.
    if (target.shape === 'selected') return u64(value, place.toString());
    if (value === null) {
      if (!pointer.nullable) throw place.error('is null, but this pointer may not be 0');
      if (target.shape !== 'struct') this.setCount(target, owner, 0, place);
      return 0n;
    }
    if (target.shape === 'struct') {
      const struct = this.layout.struct(target.struct);
      const piece = this.allocate(struct.size, struct.size);
      this.write(struct, this.prepare(struct, value, place, struct.name), piece, 0, place);
      return piece.pa;
    }
    if (!Array.isArray(value)) throw place.error(`must be null or an array of struct ${target.entry}`);
    this.setCount(target, owner, value.length, place);
    return target.shape === 'chain' ? this.chain(target, value, place) : this.block(target, value, place);
  }

  /** Fill in the count kept beside the pointer, or check the one the state gives. */
  private setCount(target: EntryTarget, owner: RawStruct | undefined, length: number, place: Place): void {
    const field = target.shape === 'array' ? target.count : target.shape === 'chain' ? target.total : undefined;
    if (field === undefined || owner === undefined) return;
    const given = owner[field];
    if (given !== undefined && (typeof given !== 'bigint' || given !== BigInt(length))) {
      throw place.error(`holds ${length} entries but the count beside it says ${String(given)}`);
    }
    owner[field] = BigInt(length);
  }

  /** A header-array's block or a bare array: one block. */
  private block(target: EntryTarget, entries: readonly unknown[], place: Place): bigint {
    const block = this.entries(target, entries, place);
    if (target.shape === 'header-array') this.writeHeader(target, block, 0n, place);
    return block.piece.pa;
  }

  /** Blocks of at most as many entries as fit, each header pointing at the next. */
  private chain(target: ChainTarget, entries: readonly unknown[], place: Place): bigint {
    const perBlock = this.capacity(target, this.blockBytes(target, 0, place), place);
    if (perBlock < 1) throw place.error(`a block cannot hold a single struct ${target.entry}`);
    let first: bigint | undefined;
    let previous: { block: LaidOut; place: Place } | undefined;
    for (let start = 0, index = 0; start === 0 || start < entries.length; start += perBlock, index++) {
      const here = place.block(index);
      const block = this.entries(target, entries.slice(start, start + perBlock), here);
      if (previous) this.writeHeader(target, previous.block, block.piece.pa, previous.place);
      first ??= block.piece.pa;
      previous = { block, place: here };
    }
    this.writeHeader(target, previous!.block, 0n, previous!.place);
    return first!;
  }

  /** Allocate a block and write its entries; the header, if any, is the caller's to write. */
  private entries(target: EntryTarget, entries: readonly unknown[], place: Place): LaidOut {
    const entry = this.layout.struct(target.entry);
    const headerSize = this.layout.headerSize(target);
    const used = headerSize + entries.length * entry.size;
    const blockBytes = this.blockBytes(target, used, place);
    const capacity = this.capacity(target, blockBytes, place);
    if (entries.length > capacity) {
      throw place.error(`${entries.length} entries of struct ${entry.name} do not fit a block of ${blockBytes} bytes (at most ${capacity})`);
    }
    const piece = this.allocate(used, blockBytes);
    const raws = entries.map((value, i) => this.prepare(entry, value, place.entry(i), entry.name));
    raws.forEach((raw, i) => this.write(entry, raw, piece, headerSize + i * entry.size, place.entry(i)));
    return { piece, count: entries.length, blockBytes };
  }

  private writeHeader(target: HeaderTarget, block: LaidOut, next: bigint, place: Place): void {
    const header = this.layout.struct(target.header);
    const values = zeroStruct(this.layout, header);
    values[target.count] = BigInt(block.count);
    if (target.block.kind === 'header-field') values[target.block.field] = BigInt(block.blockBytes / this.layout.pageSize);
    if (target.shape === 'chain') values[target.next] = next;
    this.write(header, values, block.piece, 0, place);
  }

  private capacity(target: EntryTarget, blockBytes: number, place: Place): number {
    const room = blockBytes - this.layout.headerSize(target);
    if (room < 0) throw place.error(`a block of ${blockBytes} bytes cannot hold its header`);
    return Math.floor(room / this.layout.struct(target.entry).size);
  }

  private blockBytes(target: EntryTarget, used: number, place: Place): number {
    if (target.block.kind === 'pages') return target.block.pages * this.layout.pageSize;
    if (target.shape === 'array') throw place.error('an array without a header cannot take its size from a header field');
    return Math.max(1, Math.ceil(used / this.layout.pageSize)) * this.layout.pageSize;
  }

  // ---------------------------------------------------------------------------------------------
  // Structs

  /** The value to hand the codec: pointers laid out and replaced by their addresses. */
  private prepare(struct: StructModel, value: unknown, place: Place, path: string): RawStruct {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw place.error(`${path} must be an object`);
    const fields = this.layout.pointerFields(struct.name);
    if (fields.length === 0) return value as RawStruct;
    const raw: RawStruct = { ...(value as RawStruct) };
    for (const field of fields) raw[field.name] = this.prepareValue(field.type, raw[field.name], raw, place, `${path}.${field.name}`);
    return raw;
  }

  private prepareValue(type: TypeInfo, value: unknown, owner: RawStruct, place: Place, path: string): unknown {
    switch (type.kind) {
      case 'pointer':
        if (value === undefined) throw place.then(path).error('is missing');
        return this.pointer(type, value, place.then(path), owner);
      case 'aggregate':
        return this.prepare(this.layout.struct(type.name), value, place, path);
      case 'array':
        if (!Array.isArray(value)) throw place.error(`${path} must be an array`);
        return value.map((element, i) => this.prepareValue(type.element, element, owner, place, `${path}[${i}]`));
      default:
        return value;
    }
  }

  private write(struct: StructModel, raw: RawStruct, piece: Piece, offset: number, place: Place): void {
    try {
      this.layout.codec(struct.name).encode(raw as never, piece.bytes, offset, this.codecOptions);
    } catch (error) {
      throw isCodecError(error) ? place.error(error.message) : error;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Memory

  /** Room for `used` bytes in a block of `blockBytes`; never physical address 0, which means none. */
  private allocate(used: number, blockBytes: number): Piece {
    const alignment = this.packed ? 8 : this.layout.pageSize;
    let start = alignUp(this.end, alignment);
    if (this.base + BigInt(start) === 0n) start = alignment;
    this.end = start + (this.packed ? used : alignUp(Math.max(used, blockBytes), this.layout.pageSize));
    const piece = { pa: this.base + BigInt(start), bytes: new Uint8Array(used) };
    this.pieces.push(piece);
    return piece;
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function u64(value: unknown, where: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) throw new ImageError(where, `must be a u64, not ${String(value)}`);
  return value;
}

function rejectUnknown(given: readonly string[], known: readonly string[], where: string): void {
  const unknown = given.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ImageError(where, `${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not part of this version (known: ${known.join(', ') || 'none'})`);
  }
}

/** A header with every field zero, to fill in. */
function zeroStruct(layout: VersionLayout, struct: Pick<StructModel, 'fields'>): RawStruct {
  return Object.fromEntries(
    valueFields(struct).flatMap((f) =>
      f.anonymous && f.type.kind === 'inline' ? Object.entries(zeroStruct(layout, f.type)) : [[f.name, zeroValue(layout, f.type)] as const],
    ),
  );
}

function zeroValue(layout: VersionLayout, type: TypeInfo): unknown {
  switch (type.kind) {
    case 'scalar':
    case 'bits':
    case 'pointer':
      return isBigintType(type) ? 0n : 0;
    case 'chars':
      return '';
    case 'array':
      return Array.from({ length: type.length }, () => zeroValue(layout, type.element));
    case 'bitmap':
      return Array.from({ length: type.words }, () => 0n);
    case 'aggregate':
      return zeroStruct(layout, layout.struct(type.name));
    case 'inline':
      return zeroStruct(layout, type);
    case 'flexible':
      return [];
  }
}
