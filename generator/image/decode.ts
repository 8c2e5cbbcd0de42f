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
  const tree = readFdt(fdt);
  const version = pickVersion(versions, tree.root);
  const table = codecs[version.name];
  if (!table) throw new ImageError('/', `no struct codecs for version ${version.name}`);
  const walker = new Walker(new VersionLayout(version, table, options.pageSize ?? DEFAULT_PAGE_SIZE), memory, options.littleEndian ?? true);
  const root = walker.node(version.fdt.root, tree.root);
  walker.checkOverlaps();
  return { state: { version: version.name, root }, blocks: walker.blocks };
}

class Walker {
  readonly blocks: BlockInfo[] = [];
  private bytesRead = 0;
  private readonly codecOptions: { littleEndian: boolean };

  constructor(
    private readonly layout: VersionLayout,
    private readonly memory: PhysicalMemory,
    private readonly littleEndian: boolean,
  ) {
    this.codecOptions = { littleEndian };
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
        return this.struct(struct, slice.bytes, slice.offset, place);
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
    const count = this.fieldCount(values, target.count, header, place);
    return { header: values, entries: this.entries(target, pa, count, header.size, place, values) };
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
    const what = target.shape === 'array' ? `${entry.name}[${count}]` : `${target.header} + ${entry.name}[${count}]`;
    this.record({ place, what, pa, size, entries: Number(count), entry: { struct: entry.name, offset: skip } });
    const entries: StructValue[] = new Array(Number(count));
    const withPointers = this.layout.hasPointers(entry.name);
    const codec = this.layout.codec(entry.name);
    for (let i = 0, at = slice.offset + skip; i < entries.length; i++, at += entry.size) {
      if (withPointers) {
        entries[i] = this.struct(entry, slice.bytes, at, place.entry(i));
      } else {
        try {
          entries[i] = codec.decode(slice.bytes, at, this.codecOptions) as StructValue;
        } catch (error) {
          throw this.codecFailure(error, place.entry(i));
        }
      }
    }
    return entries;
  }

  private chain(target: ChainTarget, first: bigint, place: Place, owner: RawStruct | undefined) {
    const entries: StructValue[] = [];
    const seen = new Map<bigint, number>();
    let pa = first;
    for (let index = 0; pa !== 0n; index++) {
      const here = place.block(index);
      const earlier = seen.get(pa);
      if (earlier !== undefined) throw here.error(`${hex(pa)} is block ${earlier} again: the chain loops`);
      seen.set(pa, index);
      const block = this.block(target, pa, here);
      for (const entry of block.entries) entries.push(entry);
      pa = this.nextAddress(block.header[target.next], here);
    }
    if (target.total !== undefined) {
      const total = this.ownerCount(owner, target.total, place);
      if (total !== BigInt(entries.length)) {
        throw place.error(`the chain holds ${entries.length} entries but the count beside the pointer says ${total}`);
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

  /** A struct with its pointers followed. */
  private struct(struct: StructModel, bytes: Uint8Array, offset: number, place: Place): StructValue {
    const values = this.decodeRaw(struct, bytes, offset, place);
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
    for (const field of this.layout.pointerFields(struct.name)) {
      const fieldPath = `${path}.${field.name}`;
      values[field.name] = this.resolveValue(field.type, values[field.name], values, place, fieldPath);
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
    this.blocks.push(block);
    this.bytesRead += block.size;
    // Blocks that do not overlap fit in memory; more bytes than that means an overlap, found now
    // rather than after walking a million aliased entries.
    if (this.bytesRead > this.memory.totalBytes) this.checkOverlaps();
  }

  checkOverlaps(): void {
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
