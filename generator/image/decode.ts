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
import { codecsFor, isCodecError, type StructCodec } from './codecs.ts';
import { BlockTable, type BlockShape } from './blocks.ts';
import { Place, Site, hex } from './errors.ts';
import { nodePath, readRawU64, readString, requireProperty } from './fdt-values.ts';
import { DEFAULT_PAGE_SIZE, VersionLayout } from './layout.ts';
import type { PhysicalMemory } from './memory.ts';
import { fdtOf, nodeChildren, pickEntryVersion, pickVersion } from './select.ts';
import type { BlockInfo, DecodedImage, ImageState, NodeState, PropertyState, StructValue } from './state.ts';
import type { ImageVisitor, WalkSummary } from './walk.ts';

export interface DecodeOptions {
  /** Byte order of the structs and of u64 properties; default true (x86-64, arm64). */
  readonly littleEndian?: boolean;
  /** PAGE_SIZE of the kernel that wrote the image; default 4096. */
  readonly pageSize?: number;
}

type RawStruct = Record<string, unknown>;
/** Targets that lead to entries, and those whose blocks start with a header. */
type EntryTarget = Exclude<TargetModel, { shape: 'struct' | 'selected' }>;
type HeaderTarget = Extract<TargetModel, { shape: 'header-array' | 'chain' }>;
type ChainTarget = Extract<TargetModel, { shape: 'chain' }>;

/**
 * Where a handover's state starts: a client's FDT blob, or the physical address of the raw struct a
 * KHO entry holds (its version read from the compatible string in it).
 */
export type ImageSource = Uint8Array | { readonly entryAt: bigint };

/** The state a raw KHO entry holds: decodeImage for the struct at `pa`. */
export function decodeEntry(versions: readonly VersionModel[], pa: bigint, memory: PhysicalMemory, options: DecodeOptions = {}): DecodedImage {
  return decodeImage(versions, { entryAt: pa }, memory, options);
}

export function decodeImage(
  versions: readonly VersionModel[],
  source: ImageSource,
  memory: PhysicalMemory,
  options: DecodeOptions = {},
): DecodedImage {
  const start = startWalk(versions, source, memory, options);
  const state = start.walk();
  start.walker.checkOverlaps();
  const table = start.walker.table;
  let blocks: BlockInfo[] | undefined;
  return {
    state,
    get blocks() {
      return (blocks ??= table.infos());
    },
  };
}

/**
 * The same walk as decodeImage, with the same checks, but nothing is kept: every struct is handed to
 * `visitor` as a zero-copy view (readStruct) and then dropped, so memory stays flat however large the
 * image. A view's fields are read, and a string's bytes checked, when the visitor or the walker (for
 * pointers and counts) asks for them; a bad field the visitor reads is the ImageError decodeImage
 * gives. What is kept is a row of numbers per block read (BlockTable), for the overlap check at the end.
 */
export function walkImage(
  versions: readonly VersionModel[],
  source: ImageSource,
  memory: PhysicalMemory,
  visitor: ImageVisitor,
  options: DecodeOptions = {},
): WalkSummary {
  const { version, walker, walk } = startWalk(versions, source, memory, options, visitor);
  walk();
  walker.checkOverlaps();
  const table = walker.table;
  const summary = { version: version.name, structs: walker.structs, blocks: table.length, bytes: table.bytes };
  // Not enumerable: the summary stays plain numbers to compare and print.
  return Object.defineProperty(summary, 'block', { value: (index: number) => table.info(index) }) as WalkSummary;
}

/** Where a walk starts: the version the source names, and what walking it from its top gives. */
export interface WalkStart {
  readonly version: VersionModel;
  /** The FDT's root, for a source that is an FDT. */
  readonly root?: FdtNodeData;
  readonly walker: Walker;
  walk(): ImageState;
}

/** Pick the version the source names and set up a walker over the memory. */
export function startWalk(
  versions: readonly VersionModel[],
  source: ImageSource,
  memory: PhysicalMemory,
  options: DecodeOptions,
  visitor?: ImageVisitor,
): WalkStart {
  if (source instanceof Uint8Array) {
    const root = readFdt(source).root;
    const version = pickVersion(versions, root);
    const walker = walkerFor(version, memory, options, visitor);
    return { version, root, walker, walk: () => ({ version: version.name, root: walker.node(fdtOf(version).root, root) }) };
  }
  const pa = source.entryAt;
  const version = pickEntryVersion(versions, memory, pa);
  const container = version.container as Extract<VersionModel['container'], { kind: 'kho-entry' }>;
  const walker = walkerFor(version, memory, options, visitor);
  return { version, walker, walk: () => ({ version: version.name, entry: walker.entry(container.struct, pa, String(container.khoEntry.value)) }) };
}

function walkerFor(version: VersionModel, memory: PhysicalMemory, options: DecodeOptions, visitor?: ImageVisitor): Walker {
  const layout = new VersionLayout(version, codecsFor(version), options.pageSize ?? DEFAULT_PAGE_SIZE);
  return new Walker(layout, memory, options.littleEndian ?? true, visitor);
}

type FieldType = StructModel['fields'][number]['type'];

/** One field of a struct that is, or holds, a pointer: its path text made once. */
interface PointerStep {
  readonly field: StructModel['fields'][number];
  readonly path: string;
  /** For a nested struct: its own steps. */
  readonly nested?: readonly PointerStep[];
}

/** What reading the struct or entries a pointer target reaches takes. */
interface TargetPlan {
  /** The struct pointed at, or the entry struct. */
  readonly struct: StructModel;
  readonly codec: StructCodec;
  /** Its shape's id in the block table. */
  readonly shape: number;
  /** Undefined when the struct holds no pointer. */
  readonly pointers: readonly PointerStep[] | undefined;
}

/** In a streaming walk, the entries of a block are visited, not kept: every block gives this one array. */
const NOT_KEPT: StructValue[] = [];

/**
 * One walker for both: without a visitor it keeps the state it reads (decodeImage); with one, it hands
 * each struct to the visitor and keeps nothing (walkImage). Both keep the table of blocks read, for the
 * overlap check.
 *
 * Places are passed as Sites (`anchor -> entry N -> field`) so that following a pointer out of each of
 * a million entries makes no Place; one is made when an error needs its text.
 */
export class Walker {
  readonly table = new BlockTable();
  /** Structs read. */
  structs = 0;
  private readonly codecOptions: { littleEndian: boolean };

  constructor(
    private readonly layout: VersionLayout,
    private readonly memory: PhysicalMemory,
    private readonly littleEndian: boolean,
    private readonly visitor?: ImageVisitor,
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
    for (const child of nodeChildren(model, data)) children[child.name] = this.node(child.model, child.data);
    // pickVersion has made sure the model's string is among the node's.
    return { ...(model.compatible ? { compatible: model.compatible.value } : {}), properties, children };
  }

  private property(model: PropertyModel, data: { name: string; value: Uint8Array }, where: string): PropertyState {
    switch (model.kind) {
      case 'string':
        return readString(data, where);
      case 'u64':
        return readRawU64(data, this.littleEndian, where);
      case 'pointer':
        return this.follow(model.pointer!, readRawU64(data, this.littleEndian, where), Site.at(Place.at(where)), undefined);
    }
  }

  /** The struct a raw KHO entry holds, at `pa`. */
  entry(struct: string, pa: bigint, entryName: string): StructValue {
    const pointer: PointerModel = { nullable: false, form: 'u64', target: { shape: 'struct', struct } };
    return this.follow(pointer, pa, Site.at(Place.at(`KHO entry "${entryName}"`)), undefined) as StructValue;
  }

  // ---------------------------------------------------------------------------------------------
  // Pointers

  /** What `pa` points at; `owner` is the struct holding the pointer, for counts kept beside it. */
  private follow(pointer: PointerModel, pa: unknown, site: Site, owner: RawStruct | undefined) {
    if (typeof pa !== 'bigint') throw site.error(`holds ${String(pa)}, not a u64 physical address`);
    const target = pointer.target;
    // What a selected address holds is the handler's to say; this walk keeps the address.
    if (target.shape === 'selected') return pa;
    if (pa === 0n) {
      if (pointer.nullable) return null;
      throw site.error(`is 0, but must point at ${describeTarget(target)}`);
    }
    switch (target.shape) {
      case 'struct': {
        const plan = this.plan(target);
        const slice = this.memory.slice(pa, plan.struct.size, site);
        this.record(site, pa, slice.address, plan.struct.size, plan.shape, -1);
        return this.struct(plan, slice.bytes, slice.offset, site, site.place(), -1);
      }
      case 'header-array':
        return this.block(target, pa, site).entries;
      case 'array': {
        const count = this.ownerCount(owner, target.count, site);
        return this.entries(target, pa, count, 0, site);
      }
      case 'chain':
        return this.chain(target, pa, site, owner);
    }
  }

  private ownerCount(owner: RawStruct | undefined, field: string, site: Site): bigint {
    const value = owner?.[field];
    if (typeof value !== 'bigint' && typeof value !== 'number') {
      throw site.error(`the count field "${field}" beside this pointer is missing`);
    }
    return BigInt(value);
  }

  /** A header followed by its entries: one block of a header-array or of a chain. */
  private block(target: HeaderTarget, pa: bigint, site: Site) {
    const header = this.layout.struct(target.header);
    const slice = this.memory.slice(pa, header.size, site);
    const values = this.decode(this.layout.codec(header.name), slice.bytes, slice.offset, site, -1);
    this.structs++;
    this.visit(header.name, values, site, -1);
    const count = this.fieldCount(values, target.count, header, site);
    return { header: values, count, entries: this.entries(target, pa, count, header.size, site, values) };
  }

  /** `count` entries at `pa + skip`, checked against the block they must fit in. */
  private entries(target: EntryTarget, pa: bigint, count: bigint, skip: number, site: Site, header: RawStruct = {}): StructValue[] {
    const plan = this.plan(target);
    const entry = plan.struct;
    const blockBytes = this.layout.blockBytes(target.block, header);
    const room = blockBytes - skip;
    if (room < 0) throw site.error(`a block of ${blockBytes} bytes cannot hold its ${skip}-byte header`);
    const capacity = Math.floor(room / entry.size);
    // A u64 count against a number: no bigint arithmetic per block, and exact whatever the count.
    if (count > capacity) {
      throw site.error(`count ${count} is more than the ${capacity} entries of struct ${entry.name} a block of ${blockBytes} bytes holds`);
    }
    const n = Number(count);
    // Within capacity the length is exact as a number unless the block itself is past 2^53 bytes.
    const length = skip + n * entry.size;
    const slice = this.memory.slice(pa, Number.isSafeInteger(length) ? length : BigInt(skip) + count * BigInt(entry.size), site);
    this.record(site, pa, slice.address, length, plan.shape, n);
    const entries: StructValue[] = this.visitor ? NOT_KEPT : new Array(n);
    // The entries' pointers are found at `block -> entry i -> field`: the block's Place is made once.
    const block = plan.pointers ? site.place() : undefined;
    const codec = plan.codec;
    for (let i = 0, at = slice.offset + skip; i < n; i++, at += entry.size) {
      let value: StructValue;
      if (block) {
        value = this.struct(plan, slice.bytes, at, site, block, i);
      } else {
        value = this.decode(codec, slice.bytes, at, site, i) as StructValue;
        this.structs++;
        this.visit(entry.name, value, site, i);
      }
      if (entries !== NOT_KEPT) entries[i] = value;
    }
    return entries;
  }

  private chain(target: ChainTarget, first: bigint, site: Site, owner: RawStruct | undefined) {
    const entries: StructValue[] = [];
    let count = 0n;
    // Blocks seen, by address: made at the second block, so that the one-block chains of an image
    // (a session's few files) make no Map.
    let seen: Map<bigint, number> | undefined;
    let pa = first;
    for (let index = 0; pa !== 0n; index++) {
      const here = site.inBlock(index);
      if (index === 1) seen = new Map([[first, 0]]);
      const earlier = seen?.get(pa);
      if (earlier !== undefined) throw here.error(`${hex(pa)} is block ${earlier} again: the chain loops`);
      seen?.set(pa, index);
      const block = this.block(target, pa, here);
      count += block.count;
      if (!this.visitor) for (const entry of block.entries) entries.push(entry);
      pa = this.nextAddress(block.header[target.next], here);
    }
    if (target.total !== undefined) {
      const total = this.ownerCount(owner, target.total, site);
      if (total !== count) {
        throw site.error(`the chain holds ${count} entries but the count beside the pointer says ${total}`);
      }
    }
    return entries;
  }

  private nextAddress(value: unknown, site: Site): bigint {
    if (typeof value !== 'bigint') throw site.error('the next field of the block header is not a u64');
    return value;
  }

  private fieldCount(values: RawStruct, field: string, struct: StructModel, site: Site): bigint {
    const value = values[field];
    if (typeof value !== 'bigint' && typeof value !== 'number') throw site.error(`${struct.name}.${field} is not a number`);
    return BigInt(value);
  }

  // ---------------------------------------------------------------------------------------------
  // Structs

  /**
   * A struct with its pointers followed: entry `index` of the block found at `site` (whose Place is
   * `block`), or (index -1) the struct at `site` itself. The visitor sees it first, as read (pointers
   * as addresses).
   */
  private struct(plan: TargetPlan, bytes: Uint8Array, offset: number, site: Site, block: Place, index: number): StructValue {
    const values = this.decode(plan.codec, bytes, offset, site, index);
    this.structs++;
    this.visit(plan.struct.name, values, site, index);
    if (plan.pointers) this.resolve(plan.pointers, values, block, index);
    return values as StructValue;
  }

  /**
   * One struct, read by `codec`: entry `index` of the block found at `site`, or (index -1) the struct
   * at `site` itself, which is where a CodecError is reported.
   */
  private decode(codec: StructCodec, bytes: Uint8Array, offset: number, site: Site, index: number): RawStruct {
    try {
      return readStruct(codec, bytes, offset, this.codecOptions, this.visitor !== undefined);
    } catch (error) {
      throw codecErrorAt(error, site, index);
    }
  }

  /** Hands a struct to the visitor; a field it reads that the codec refuses is reported where the struct is. */
  private visit(name: string, value: RawStruct, site: Site, index: number): void {
    if (!this.visitor) return;
    try {
      this.visitor.struct(name, value as StructValue, site, index);
    } catch (error) {
      throw codecErrorAt(error, site, index);
    }
  }

  /** Replace every pointer inside `values` (a struct at `block -> entry index`) by what it points at. */
  private resolve(pointers: readonly PointerStep[], values: RawStruct, block: Place, index: number): void {
    for (const step of pointers) {
      const resolved = this.resolveValue(step, step.field.type, values[step.field.name], values, block, index, step.path);
      // A streaming walk leaves the struct as the visitor saw it.
      if (!this.visitor) values[step.field.name] = resolved;
    }
  }

  private resolveValue(step: PointerStep, type: FieldType, value: unknown, owner: RawStruct, block: Place, index: number, path: string): unknown {
    switch (type.kind) {
      case 'pointer':
        return this.follow(type, value, new Site(block, index, path, -1), owner);
      case 'aggregate':
        this.resolve(step.nested!, value as RawStruct, block, index);
        return value;
      case 'array':
        // The element's nested steps, where it is a struct, have paths without the index: rebuilt here.
        return (value as unknown[]).map((element, i) =>
          type.element.kind === 'aggregate'
            ? (this.resolve(this.pointerSteps(this.layout.struct(type.element.name), `${path}[${i}]`)!, element as RawStruct, block, index), element)
            : this.resolveValue(step, type.element, element, owner, block, index, `${path}[${i}]`),
        );
      default:
        return value;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Plans: what reading a target or resolving a struct takes, worked out once, so that reading a
  // million entries looks nothing up by name.

  private readonly plans = new Map<Exclude<TargetModel, { shape: 'selected' }>, TargetPlan>();
  private readonly steps = new Map<string, readonly PointerStep[] | undefined>();

  private plan(target: Exclude<TargetModel, { shape: 'selected' }>): TargetPlan {
    let plan = this.plans.get(target);
    if (!plan) {
      const struct = this.layout.struct(target.shape === 'struct' ? target.struct : target.entry);
      const shape: BlockShape =
        target.shape === 'struct'
          ? { struct: struct.name }
          : { ...(target.shape === 'array' ? {} : { header: target.header }), entry: { struct: struct.name, offset: this.layout.headerSize(target) } };
      plan = { struct, codec: this.layout.codec(struct.name), shape: this.table.shapeId(shape), pointers: this.pointerSteps(struct, struct.name) };
      this.plans.set(target, plan);
    }
    return plan;
  }

  /** The pointer fields of `struct` read at `path`, nested structs' own steps within; undefined for none. */
  private pointerSteps(struct: StructModel, path: string): readonly PointerStep[] | undefined {
    if (this.steps.has(path)) return this.steps.get(path);
    const fields = this.layout.pointerFields(struct.name);
    const steps =
      fields.length === 0
        ? undefined
        : fields.map((field): PointerStep => {
            const fieldPath = `${path}.${field.name}`;
            const nested = field.type.kind === 'aggregate' ? this.pointerSteps(this.layout.struct(field.type.name), fieldPath) : undefined;
            return { field, path: fieldPath, ...(nested ? { nested } : {}) };
          });
    this.steps.set(path, steps);
    return steps;
  }

  // ---------------------------------------------------------------------------------------------
  // Blocks

  private record(site: Site, pa: bigint, address: number, size: number, shape: number, entries: number): void {
    this.table.add(site, pa, address, size, shape, entries);
    // Blocks that do not overlap fit in memory; more bytes than that means an overlap, found now
    // rather than after walking a million aliased entries.
    if (this.table.bytes > this.memory.totalBytes) this.checkOverlaps();
  }

  checkOverlaps(): void {
    this.table.checkOverlaps(this.memory.totalBytes);
  }
}

/**
 * A struct as the walk hands it on: decoded into a plain object when the state is kept (decodeImage
 * replaces its pointers with what they point at), a zero-copy view over the bytes when it is only
 * visited (walkImage). The one place that chooses.
 */
function readStruct(codec: StructCodec, bytes: Uint8Array, offset: number, options: { littleEndian: boolean }, visiting: boolean): RawStruct {
  return visiting ? codec.view(bytes, offset, options) : codec.decode(bytes, offset, options);
}

/** A CodecError as the ImageError of entry `index` of the block at `site` (index -1: the struct at `site`); anything else as it is. */
function codecErrorAt(error: unknown, site: Site, index: number): unknown {
  if (!isCodecError(error)) return error;
  const place = site.place();
  return (index < 0 ? place : place.entry(index)).error(error.message);
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
    case 'selected':
      return `the state of the handler named by ${target.selector}`;
  }
}
