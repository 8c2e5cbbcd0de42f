/**
 * The walker: from the LUO FDT and physical memory to the whole handover state, following every
 * pointer the model declares. Nothing here knows LUO's names; the model's pointer shapes (struct,
 * header-array, array, chain) say what to read.
 *
 * Hostile images end in an ImageError that says where, and never cost more than the bytes given:
 * a count is checked against its block and the memory before anything is allocated for it, a chain
 * that comes back to a block it has been through is a loop, and once the blocks read add up to more
 * bytes than memory holds, two of them must overlap, which ends the walk at once.
 */
import type { NodeModel, PointerModel, PropertyModel, StructModel, TargetModel, VersionModel } from '../model/index.ts';
import { readFdt, type FdtNodeData } from '../fdt/index.ts';
import { isCodecError, type CodecRegistry } from './codecs.ts';
import { ImageError, Place, hex } from './errors.ts';
import { nodePath, readRawU64, readString, requireProperty } from './fdt-values.ts';
import { DEFAULT_PAGE_SIZE, VersionLayout } from './layout.ts';
import type { PhysicalMemory } from './memory.ts';
import { nodeAt, pickVersion } from './select.ts';
import type { BlockInfo, DecodedImage, NodeState, PropertyState, StructValue } from './state.ts';
import type { ImageVisitor, WalkSummary } from './walk.ts';

export interface DecodeOptions {
  /** Byte order of the structs and of u64 properties; default true (x86-64, arm64). */
  readonly littleEndian?: boolean;
  /** PAGE_SIZE of the kernel that wrote the image; default 4096. */
  readonly pageSize?: number;
}

type RawStruct = Record<string, unknown>;
/** Targets that lead to entries, and those whose blocks start with a header. */
type EntryTarget = Exclude<TargetModel, { shape: 'struct' }>;
type HeaderTarget = Extract<TargetModel, { shape: 'header-array' | 'chain' }>;
type ChainTarget = Extract<TargetModel, { shape: 'chain' }>;

export function decodeImage(
  versions: readonly VersionModel[],
  codecs: CodecRegistry,
  fdt: Uint8Array,
  memory: PhysicalMemory,
  options: DecodeOptions = {},
): DecodedImage {
  const { tree, version, walker } = startWalk(versions, codecs, fdt, memory, options);
  const root = walker.node(version.fdt.root, tree.root);
  walker.checkOverlaps();
  return { state: { version: version.name, root }, blocks: walker.blocks };
}

/**
 * The same walk as decodeImage, with the same checks, but nothing is kept: every struct is handed to
 * `visitor` as it is read and then dropped, so memory stays flat however large the image. What is
 * kept is the extent of each block read (two numbers), for the overlap check at the end.
 */
export function walkImage(
  versions: readonly VersionModel[],
  codecs: CodecRegistry,
  fdt: Uint8Array,
  memory: PhysicalMemory,
  visitor: ImageVisitor,
  options: DecodeOptions = {},
): WalkSummary {
  const { tree, version, walker } = startWalk(versions, codecs, fdt, memory, options, visitor);
  walker.node(version.fdt.root, tree.root);
  walker.checkOverlaps();
  return { version: version.name, structs: walker.structs, blocks: walker.blockCount, bytes: walker.bytes };
}

/** Read the FDT, pick the version from its compatible strings, and set up a walker over the memory. */
function startWalk(
  versions: readonly VersionModel[],
  codecs: CodecRegistry,
  fdt: Uint8Array,
  memory: PhysicalMemory,
  options: DecodeOptions,
  visitor?: ImageVisitor,
) {
  const tree = readFdt(fdt);
  const version = pickVersion(versions, tree.root);
  const table = codecs[version.name];
  if (!table) throw new ImageError('/', `no struct codecs for version ${version.name}`);
  const layout = new VersionLayout(version, table, options.pageSize ?? DEFAULT_PAGE_SIZE);
  return { tree, version, walker: new Walker(layout, memory, options.littleEndian ?? true, visitor) };
}

/** In a streaming walk, the entries of a block are visited, not kept: every block gives this one array. */
const NOT_KEPT: StructValue[] = [];

/** One block with entries: its description (`luo_file_ser[8]`) is only made into text when read. */
class EntryBlock implements BlockInfo {
  constructor(
    readonly place: Place,
    readonly pa: bigint,
    readonly size: number,
    readonly entries: number,
    readonly entry: { readonly struct: string; readonly offset: number },
    private readonly header: string | undefined,
  ) {}

  get what(): string {
    const array = `${this.entry.struct}[${this.entries}]`;
    return this.header === undefined ? array : `${this.header} + ${array}`;
  }
}

/**
 * The extents of the blocks of a streaming walk: pa and size in growing typed arrays, no object per
 * block. Where it found a block is not kept; an overlap is reported by walk order and address.
 */
class Extents {
  pa = new BigUint64Array(1024);
  size = new Float64Array(1024);
  length = 0;

  push(pa: bigint, size: number): void {
    if (this.length === this.pa.length) {
      const pas = new BigUint64Array(this.length * 2);
      pas.set(this.pa);
      this.pa = pas;
      const sizes = new Float64Array(this.length * 2);
      sizes.set(this.size);
      this.size = sizes;
    }
    this.pa[this.length] = pa;
    this.size[this.length++] = size;
  }
}

/**
 * One walker for both: without a visitor it keeps the state it reads (decodeImage); with one, it hands
 * each struct to the visitor and keeps nothing (walkImage).
 */
class Walker {
  readonly blocks: BlockInfo[] = [];
  /** Structs read, and blocks (in a streaming walk, where `blocks` stays empty). */
  structs = 0;
  private readonly extents = new Extents();
  private bytesRead = 0;
  private readonly codecOptions: { littleEndian: boolean };
  /** The text of each pointer field's path, by the path of its struct: made once, not per struct read. */
  private readonly fieldPaths = new Map<string, readonly string[]>();

  constructor(
    private readonly layout: VersionLayout,
    private readonly memory: PhysicalMemory,
    private readonly littleEndian: boolean,
    private readonly visitor?: ImageVisitor,
  ) {
    this.codecOptions = { littleEndian };
  }

  get blockCount(): number {
    return this.visitor ? this.extents.length : this.blocks.length;
  }

  get bytes(): number {
    return this.bytesRead;
  }

  // ---------------------------------------------------------------------------------------------
  // The FDT

  node(model: NodeModel, data: FdtNodeData): NodeState {
    const properties: Record<string, PropertyState> = {};
    for (const property of model.properties) {
      const where = nodePath(model.path, property.name);
      properties[property.name] = this.property(property, requireProperty(data, property.name, where), where);
    }
    const children: Record<string, NodeState> = {};
    for (const child of model.children) {
      const childData = nodeAt(data, child.name);
      if (!childData) throw new ImageError(child.path, 'node is missing');
      children[child.name] = this.node(child, childData);
    }
    // pickVersion has made sure the model's string is among the node's.
    return { compatible: model.compatible.value, properties, children };
  }

  private property(model: PropertyModel, data: { name: string; value: Uint8Array }, where: string): PropertyState {
    switch (model.kind) {
      case 'string':
        return readString(data, where);
      case 'u64':
        return readRawU64(data, this.littleEndian, where);
      case 'pointer':
        return this.follow(model.pointer!, readRawU64(data, this.littleEndian, where), Place.at(where), undefined);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pointers

  /** What `pa` points at; `owner` is the struct holding the pointer, for counts kept beside it. */
  private follow(pointer: PointerModel, pa: unknown, place: Place, owner: RawStruct | undefined) {
    if (typeof pa !== 'bigint') throw place.error(`holds ${String(pa)}, not a u64 physical address`);
    const target = pointer.target;
    if (pa === 0n) {
      if (pointer.nullable) return null;
      throw place.error(`is 0, but must point at ${describeTarget(target)}`);
    }
    switch (target.shape) {
      case 'struct': {
        const struct = this.layout.struct(target.struct);
        const slice = this.memory.slice(pa, struct.size, place);
        this.record({ place, what: struct.name, pa, size: struct.size });
        return this.struct(struct, slice.bytes, slice.offset, place, place, -1);
      }
      case 'header-array':
        return this.block(target, pa, place).entries;
      case 'array': {
        const count = this.ownerCount(owner, target.count, place);
        return this.entries(target, pa, count, 0, place);
      }
      case 'chain':
        return this.chain(target, pa, place, owner);
    }
  }

  private ownerCount(owner: RawStruct | undefined, field: string, place: Place): bigint {
    const value = owner?.[field];
    if (typeof value !== 'bigint' && typeof value !== 'number') {
      throw place.error(`the count field "${field}" beside this pointer is missing`);
    }
    return BigInt(value);
  }

  /** A header followed by its entries: one block of a header-array or of a chain. */
  private block(target: HeaderTarget, pa: bigint, place: Place) {
    const header = this.layout.struct(target.header);
    const slice = this.memory.slice(pa, header.size, place);
    const values = this.decodeRaw(header, slice.bytes, slice.offset, place);
    this.structs++;
    this.visitor?.struct(header.name, values as StructValue, place, -1);
    const count = this.fieldCount(values, target.count, header, place);
    return { header: values, count, entries: this.entries(target, pa, count, header.size, place, values) };
  }

  /** `count` entries at `pa + skip`, checked against the block they must fit in. */
  private entries(target: EntryTarget, pa: bigint, count: bigint, skip: number, place: Place, header: RawStruct = {}): StructValue[] {
    const entry = this.layout.struct(target.entry);
    const blockBytes = this.layout.blockBytes(target.block, header);
    const room = blockBytes - BigInt(skip);
    if (room < 0n) throw place.error(`a block of ${blockBytes} bytes cannot hold its ${skip}-byte header`);
    const capacity = room / BigInt(entry.size);
    if (count > capacity) {
      throw place.error(`count ${count} is more than the ${capacity} entries of struct ${entry.name} a block of ${blockBytes} bytes holds`);
    }
    // In bigint until memory has vouched for it: a hostile count times the entry size is past 2^53.
    const slice = this.memory.slice(pa, BigInt(skip) + count * BigInt(entry.size), place);
    const size = skip + Number(count) * entry.size;
    const n = Number(count);
    if (this.visitor) this.recordExtent(pa, size);
    else this.record(new EntryBlock(place, pa, size, n, this.layout.entryAt(entry.name, skip), target.shape === 'array' ? undefined : target.header));
    const entries: StructValue[] = this.visitor ? NOT_KEPT : new Array(n);
    const withPointers = this.layout.hasPointers(entry.name);
    const codec = this.layout.codec(entry.name);
    for (let i = 0, at = slice.offset + skip; i < n; i++, at += entry.size) {
      let value: StructValue;
      if (withPointers) {
        value = this.struct(entry, slice.bytes, at, place.entry(i), place, i);
      } else {
        try {
          value = codec.decode(slice.bytes, at, this.codecOptions) as StructValue;
        } catch (error) {
          throw this.codecFailure(error, place.entry(i));
        }
        this.structs++;
        this.visitor?.struct(entry.name, value, place, i);
      }
      if (entries !== NOT_KEPT) entries[i] = value;
    }
    return entries;
  }

  private chain(target: ChainTarget, first: bigint, place: Place, owner: RawStruct | undefined) {
    const entries: StructValue[] = [];
    let count = 0n;
    const seen = new Map<bigint, number>();
    let pa = first;
    for (let index = 0; pa !== 0n; index++) {
      const here = place.block(index);
      const earlier = seen.get(pa);
      if (earlier !== undefined) throw here.error(`${hex(pa)} is block ${earlier} again: the chain loops`);
      seen.set(pa, index);
      const block = this.block(target, pa, here);
      count += block.count;
      if (!this.visitor) for (const entry of block.entries) entries.push(entry);
      pa = this.nextAddress(block.header[target.next], here);
    }
    if (target.total !== undefined) {
      const total = this.ownerCount(owner, target.total, place);
      if (total !== count) {
        throw place.error(`the chain holds ${count} entries but the count beside the pointer says ${total}`);
      }
    }
    return entries;
  }

  private nextAddress(value: unknown, place: Place): bigint {
    if (typeof value !== 'bigint') throw place.error('the next field of the block header is not a u64');
    return value;
  }

  private fieldCount(values: RawStruct, field: string, struct: StructModel, place: Place): bigint {
    const value = values[field];
    if (typeof value !== 'bigint' && typeof value !== 'number') throw place.error(`${struct.name}.${field} is not a number`);
    return BigInt(value);
  }

  // ---------------------------------------------------------------------------------------------
  // Structs

  /**
   * A struct with its pointers followed. The visitor sees it first, as read (pointers as addresses);
   * `block` and `index` say where, without making a Place per entry for it.
   */
  private struct(struct: StructModel, bytes: Uint8Array, offset: number, place: Place, block: Place, index: number): StructValue {
    const values = this.decodeRaw(struct, bytes, offset, place);
    this.structs++;
    this.visitor?.struct(struct.name, values as StructValue, block, index);
    this.resolve(struct, values, place, struct.name);
    return values as StructValue;
  }

  private decodeRaw(struct: StructModel, bytes: Uint8Array, offset: number, place: Place): RawStruct {
    try {
      return this.layout.codec(struct.name).decode(bytes, offset, this.codecOptions) as RawStruct;
    } catch (error) {
      throw this.codecFailure(error, place);
    }
  }

  /** Replace every pointer inside `values` (a struct of type `struct`) by what it points at. */
  private resolve(struct: StructModel, values: RawStruct, place: Place, path: string): void {
    const fields = this.layout.pointerFields(struct.name);
    if (fields.length === 0) return;
    let paths = this.fieldPaths.get(path);
    if (!paths) {
      paths = fields.map((field) => `${path}.${field.name}`);
      this.fieldPaths.set(path, paths);
    }
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const resolved = this.resolveValue(field.type, values[field.name], values, place, paths[i]!);
      // A streaming walk leaves the struct as the visitor saw it.
      if (!this.visitor) values[field.name] = resolved;
    }
  }

  private resolveValue(type: StructModel['fields'][number]['type'], value: unknown, owner: RawStruct, place: Place, path: string): unknown {
    switch (type.kind) {
      case 'pointer':
        return this.follow(type, value, place.then(path), owner);
      case 'aggregate':
        this.resolve(this.layout.struct(type.name), value as RawStruct, place, path);
        return value;
      case 'array':
        return (value as unknown[]).map((element, i) => this.resolveValue(type.element, element, owner, place, `${path}[${i}]`));
      default:
        return value;
    }
  }

  private codecFailure(error: unknown, place: Place): unknown {
    return isCodecError(error) ? place.error(error.message) : error;
  }

  // ---------------------------------------------------------------------------------------------
  // Blocks

  private record(block: BlockInfo): void {
    if (this.visitor) return this.recordExtent(block.pa, block.size);
    this.blocks.push(block);
    this.bytesRead += block.size;
    // Blocks that do not overlap fit in memory; more bytes than that means an overlap, found now
    // rather than after walking a million aliased entries.
    if (this.bytesRead > this.memory.totalBytes) this.checkOverlaps();
  }

  private recordExtent(pa: bigint, size: number): void {
    this.extents.push(pa, size);
    this.bytesRead += size;
    if (this.bytesRead > this.memory.totalBytes) this.checkOverlaps();
  }

  checkOverlaps(): void {
    if (this.visitor) return this.checkExtents();
    const sorted = this.blocks.filter((b) => b.size > 0);
    // Images are usually laid out in the order they are walked: then there is nothing to sort.
    if (!sorted.every((b, i) => i === 0 || sorted[i - 1]!.pa <= b.pa)) sorted.sort((a, b) => (a.pa < b.pa ? -1 : a.pa > b.pa ? 1 : 0));
    let widest: BlockInfo | undefined;
    for (const block of sorted) {
      if (widest && widest.pa + BigInt(widest.size) > block.pa) {
        throw new ImageError(
          block.place.toString(),
          `${block.what} at ${hex(block.pa)}..${hex(block.pa + BigInt(block.size))} overlaps ${widest.what} at ${hex(widest.pa)}..${hex(widest.pa + BigInt(widest.size))} read by ${widest.place}`,
        );
      }
      if (!widest || block.pa + BigInt(block.size) > widest.pa + BigInt(widest.size)) widest = block;
    }
    if (this.bytesRead > this.memory.totalBytes) {
      throw new ImageError('memory', `the blocks read add up to ${this.bytesRead} bytes, more than the ${this.memory.totalBytes} in memory`);
    }
  }

  private checkExtents(): void {
    const overlap = overlapsIn(this.extents);
    if (overlap !== undefined) throw new ImageError('memory', overlap);
    if (this.bytesRead > this.memory.totalBytes) {
      throw new ImageError('memory', `the blocks read add up to ${this.bytesRead} bytes, more than the ${this.memory.totalBytes} in memory`);
    }
  }
}

/** checkOverlaps for a streaming walk: blocks are named by the order the walk read them in. */
function overlapsIn(extents: Extents): string | undefined {
  const { pa, size, length } = extents;
  let order: number[] | undefined;
  for (let i = 1; i < length; i++) {
    if (pa[i - 1]! > pa[i]!) {
      order = Array.from({ length }, (_, k) => k).sort((a, b) => (pa[a]! < pa[b]! ? -1 : pa[a]! > pa[b]! ? 1 : 0));
      break;
    }
  }
  let widest = -1;
  let widestEnd = 0n;
  for (let k = 0; k < length; k++) {
    const i = order ? order[k]! : k;
    if (size[i] === 0) continue;
    const end = pa[i]! + BigInt(size[i]!);
    if (widest >= 0 && widestEnd > pa[i]!) {
      return `block ${i} of the walk at ${hex(pa[i]!)}..${hex(end)} overlaps block ${widest} at ${hex(pa[widest]!)}..${hex(widestEnd)}`;
    }
    if (widest < 0 || end > widestEnd) {
      widest = i;
      widestEnd = end;
    }
  }
  return undefined;
}

function describeTarget(target: TargetModel): string {
  switch (target.shape) {
    case 'struct':
      return `struct ${target.struct}`;
    case 'array':
      return `an array of struct ${target.entry}`;
    case 'header-array':
      return `struct ${target.header} and its entries`;
    case 'chain':
      return `a chain of struct ${target.header} blocks`;
  }
}
