/**
 * The builder, the walker's inverse: from a state to an FDT blob and a memory image. Blocks are laid out
 * as the kernel allocates them: each on a page boundary and of its block size (16 pages for a session
 * block, 2 for a file block, an FLB block as many pages as it needs), entries never crossing into the
 * next block, a chain starting a new block when one is full. `packing: 'packed'` puts blocks back to
 * back instead, each only as long as what it holds: still a valid image, for very large synthetic ones.
 *
 * A whole handover is laid out the same way: each client's FDT or raw struct, each handler's state,
 * each page-list area (its page groups, then its chunks). Everything written is preserved memory, as
 * the kernel preserves what it hands over; the preserved-memory map is built last, from the ranges the
 * state lists and every block written, and its own pages are not preserved.
 */
import { isBigintType, valueFields, type AreaModel, type NodeModel, type PointerModel, type StructModel, type TypeInfo, type VersionModel } from '../model/index.ts';
import { writeFdt, type FdtNodeData, type FdtPropertyData } from '../fdt/index.ts';
import { imageCodecsFor, isCodecError } from './codecs.ts';
import { ImageError, Place, hex } from './errors.ts';
import { nodePath, rawU64Value, stringValue } from './fdt-values.ts';
import { DEFAULT_PAGE_SIZE, VersionLayout } from './layout.ts';
import { buildRadixTree, checkRange, fillBits, isMapTarget, piecesOf, radixGeometry, type BitmapChunksTarget, type MapTarget, type PreservedRange } from './preserved.ts';
import { fdtOf, khoEntryName } from './select.ts';
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
  /**
   * The versions a client's or a handler's state may be of (the family's, laid out at the same page
   * size); default the version encoded alone.
   */
  readonly family?: readonly VersionModel[];
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
type EntryTarget = Extract<PointerModel['target'], { shape: 'header-array' | 'array' | 'chain' }>;
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

/** Radix leaves and nodes the builder writes at most: a map past this is no map of a real machine's memory. */
const MAX_MAP_PAGES = 1 << 16;

/**
 * The bytes of a state. The model must be laid out for `options.pageSize` (buildModel at that page
 * shift): sizes and the FDT's size limit come from it.
 */
export function encodeImage(version: VersionModel, state: ImageState, options: EncodeOptions): EncodedImage {
  if (state.version !== version.name) throw new ImageError('state', `is for version ${state.version}, not ${version.name}`);
  const memory = new Allocator(options);
  const family = options.family ?? [version];
  const builders = new Map<VersionModel, Builder>();
  const builderOf = (v: VersionModel): Builder => {
    let builder = builders.get(v);
    if (!builder) builders.set(v, (builder = new Builder(new VersionLayout(v, imageCodecsFor(v), memory.pageSize), memory, family, builderOf)));
    return builder;
  };
  const builder = builderOf(version);
  if ('entry' in state) {
    const entryPa = builder.rawEntry(state, Place.at('state.entry'));
    return { entryPa, memory: memory.finish(), base: options.base };
  }
  const fdt = builder.fdt(state.root, '', options.maxFdtSize);
  const image = memory.finish();
  return { fdt: fdt(), memory: image, base: options.base };
}

/**
 * The memory image as it is laid out: allocations in order from `base`, and the pieces the kernel
 * would preserve for each (every allocation but the preserved-memory map's own pages).
 */
class Allocator {
  /**
   * Each allocation keeps only the bytes it uses; the image is assembled once at the end, so the
   * untouched rest of each block (most of a kernel-layout image) costs nothing until then.
   */
  private readonly pieces: Piece[] = [];
  /** Bytes of the image in use, from `base`. */
  private end = 0;
  readonly pageSize: number;
  readonly littleEndian: boolean;
  readonly packed: boolean;
  private readonly base: bigint;
  /** What the kernel would preserve: every allocation but the map's. */
  readonly preserved: { range: PreservedRange; where: string }[] = [];
  /** Run once everything else is laid out: a preserved-memory map names every page written. */
  readonly maps: (() => void)[] = [];
  /** Run after the maps: the FDTs, each client's before the FDT that names it and its size. */
  readonly writes: (() => void)[] = [];

  constructor(options: EncodeOptions) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.littleEndian = options.littleEndian ?? true;
    this.packed = options.packing === 'packed';
    this.base = options.base;
    if (this.base < 0n) throw new ImageError('memory', `base ${hex(this.base)} is negative`);
    if (!this.packed && this.base % BigInt(this.pageSize) !== 0n) {
      throw new ImageError('memory', `base ${hex(this.base)} is not on a page boundary (${this.pageSize}); blocks are whole pages`);
    }
  }

  /** The image, once the steps left for the end have run. */
  finish(): Uint8Array {
    for (const step of this.maps.splice(0)) step();
    for (const step of this.writes.splice(0)) step();
    const image = new Uint8Array(this.end);
    for (const piece of this.pieces) image.set(piece.bytes, Number(piece.pa - this.base));
    return image;
  }

  /**
   * Room for `used` bytes in a block of `blockBytes`; never physical address 0, which means none.
   * `alignment` (a power of two, at least a page) places a page group of a higher order as the
   * kernel's would be; `preserve` false for the map's own pages.
   */
  allocate(used: number, blockBytes: number, options: { alignment?: number; preserve?: boolean } = {}): Piece {
    const alignment = this.packed ? 8 : Math.max(this.pageSize, options.alignment ?? 0);
    let start = alignUp(this.end, alignment);
    if (this.base + BigInt(start) === 0n) start = alignment;
    const length = this.packed ? used : alignUp(Math.max(used, blockBytes), this.pageSize);
    this.end = start + length;
    const piece = { pa: this.base + BigInt(start), bytes: new Uint8Array(used) };
    this.pieces.push(piece);
    if (options.preserve !== false && length > 0) {
      for (const range of piecesOf(piece.pa, BigInt(length), Math.log2(this.pageSize))) this.preserved.push({ range, where: 'memory written' });
    }
    return piece;
  }
}

class Builder {
  private readonly codecOptions: { littleEndian: boolean };

  constructor(
    readonly layout: VersionLayout,
    private readonly memory: Allocator,
    private readonly family: readonly VersionModel[],
    private readonly builderOf: (version: VersionModel) => Builder,
  ) {
    this.codecOptions = { littleEndian: memory.littleEndian };
  }

  private get version(): VersionModel {
    return this.layout.version;
  }

  /** The largest FDT of this version: what its container names, else a page. */
  maxFdtSize(): number {
    const maxSize = fdtOf(this.version).maxSize;
    return maxSize ? Number(maxSize.value) : this.memory.pageSize;
  }

  /**
   * The FDT blob of this version's state, given once the memory is finished: a property may hold
   * what is only known then (the map's address, a client's size). `prefix` leads the places of its
   * errors: where the FDT is found, for a client's.
   */
  fdt(root: NodeState, prefix: string, maxFdtSize?: number): () => Uint8Array {
    const fdtContainer = fdtOf(this.version);
    const tree = this.node(fdtContainer.root, root, '/', prefix);
    const maxSize = maxFdtSize ?? this.maxFdtSize();
    let blob: Uint8Array | undefined;
    this.memory.writes.push(() => void (blob = writeFdt({ reservations: [], bootCpuid: 0, root: tree }, { maxSize, maxSizeName: fdtContainer.maxSize?.name ?? 'PAGE_SIZE' })));
    return () => {
      if (!blob) throw new Error('the FDT was asked for before the memory was finished');
      return blob;
    };
  }

  /** The struct of a raw KHO entry's state, laid out; its physical address. */
  rawEntry(state: Extract<ImageState, { entry: unknown }>, place: Place): bigint {
    const container = this.version.container;
    if (container?.kind !== 'kho-entry') throw place.error(`${this.version.name} keeps its state in ${container ? `a ${container.kind} container` : 'no container'}, not in a raw KHO entry`);
    const target = { nullable: false, form: 'u64', target: { shape: 'struct', struct: container.struct } } as const;
    // Feature bits, as the state gives them, tell the next kernel what it reads.
    if (!container.field || !container.compatible) return this.pointer(target, state.entry, place, undefined, undefined);
    // The string the next kernel picks the version by: as the version has it, given or not.
    const wanted = container.compatible.value;
    const given = (state.entry as RawStruct)[container.field];
    if (given !== undefined && given !== wanted) throw new ImageError(`${place}.${container.field}`, `is ${JSON.stringify(given)} but ${this.version.name} has "${wanted}"`);
    return this.pointer(target, { ...state.entry, [container.field]: wanted }, place, undefined, undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // The FDT: compatible first, then the node's properties in model order, then its subnodes.

  node(model: NodeModel, state: NodeState, path: string, prefix: string): FdtNodeData {
    if (typeof state !== 'object' || state === null) throw new ImageError(`${prefix}${path}`, 'the node is missing from the state');
    if (state.compatible !== undefined && state.compatible !== model.compatible?.value) {
      throw new ImageError(`${prefix}${nodePath(path, 'compatible')}`, `is "${state.compatible}" but ${this.version.name} has ${model.compatible ? `"${model.compatible.value}"` : 'no compatible string there'}`);
    }
    const anyChild = model.children.find((c) => c.anyName !== undefined);
    rejectUnknown(Object.keys(state.properties ?? {}), model.properties.map((p) => p.name), `${prefix}${path} properties`);
    if (!anyChild) rejectUnknown(Object.keys(state.children ?? {}), model.children.map((c) => c.name), `${prefix}${path} children`);
    const properties: FdtPropertyData[] = model.compatible ? [{ name: 'compatible', value: stringValue(model.compatible.value) }] : [];
    // A client's size property is the builder's to fill in, once the client's state is written.
    const sizeProperties = new Set(model.properties.flatMap((p) => (p.pointer?.target.shape === 'client' && p.pointer.target.size ? [p.pointer.target.size] : [])));
    const values = new Map<string, Uint8Array>();
    for (const property of model.properties) {
      const at = `${prefix}${nodePath(path, property.name)}`;
      const value = state.properties?.[property.name];
      const target = property.pointer?.target;
      if (sizeProperties.has(property.name)) continue;
      if (value === undefined) throw new ImageError(at, 'the property is missing from the state');
      if (target?.shape === 'client') {
        const sizeName = target.size;
        const sizeAt = `${prefix}${nodePath(path, sizeName ?? '')}`;
        const client = this.client(path, value, sizeName === undefined ? undefined : { given: state.properties?.[sizeName], where: sizeAt }, at);
        values.set(property.name, rawU64Value(client.pa, this.memory.littleEndian));
        if (sizeName !== undefined) {
          const data = new Uint8Array(8);
          values.set(sizeName, data);
          this.memory.writes.push(() => data.set(rawU64Value(client.size(), this.memory.littleEndian)));
        }
        continue;
      }
      if (target && isMapTarget(target)) {
        const data = new Uint8Array(8);
        values.set(property.name, data);
        this.memory.maps.push(() => data.set(rawU64Value(this.memoryMap(target, value, at), this.memory.littleEndian)));
        continue;
      }
      values.set(property.name, this.propertyValue(property.kind, property.pointer, value, at));
    }
    for (const property of model.properties) {
      const value = values.get(property.name);
      if (!value) throw new ImageError(`${prefix}${path} properties`, `"${property.name}" is the size of a client this node does not have`);
      properties.push({ name: property.name, value });
    }
    const named = model.children.filter((c) => c.anyName === undefined);
    const children = named.map((child) => this.node(child, state.children?.[child.name] as NodeState, child.path, prefix));
    // Children named at run time, in the state's order.
    const others = Object.keys(state.children ?? {}).filter((name) => !named.some((c) => c.name === name));
    for (const name of others) children.push({ ...this.node(anyChild!, state.children[name]!, nodePath(path, name), prefix), name });
    return { name: model.name, properties, children };
  }

  private propertyValue(kind: 'string' | 'u64' | 'pointer', pointer: PointerModel | undefined, value: PropertyState, where: string): Uint8Array {
    switch (kind) {
      case 'string':
        if (typeof value !== 'string') throw new ImageError(where, 'must be a string');
        return stringValue(value);
      case 'u64':
        return rawU64Value(u64(value, where), this.memory.littleEndian);
      case 'pointer':
        return rawU64Value(this.pointer(pointer!, value, Place.at(where), undefined, undefined), this.memory.littleEndian);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Other versions' state: a KHO client's, a handler's

  /**
   * The client of the node at `path` (named by its last part): an address kept as it is, or a state
   * of a version that travels under that name, laid out; its address, and its size once written.
   * `size`: where the node has a size property, the value the state gives (checked) and its place.
   */
  private client(path: string, value: unknown, size: { given: unknown; where: string } | undefined, where: string): { pa: bigint; size: () => bigint } {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (typeof value !== 'object' || value === null) {
      const pa = u64(value, where);
      if (size === undefined) return { pa, size: () => 0n };
      if (size.given === undefined) throw new ImageError(size.where, `is missing: the size of a state the schema does not know (client "${name}") cannot be worked out`);
      const given = u64(size.given, size.where);
      return { pa, size: () => given };
    }
    const state = value as ImageState;
    const version = this.family.find((v) => v.name === state.version);
    if (!version) throw new ImageError(`${where} -> version`, `"${String(state.version)}" is not a version this image can be encoded with`);
    if (khoEntryName(version) !== name) {
      throw new ImageError(`${where} -> version`, `${version.name} travels under the KHO entry ${khoEntryName(version) ? `"${khoEntryName(version)}"` : '(none)'}, not "${name}"`);
    }
    const builder = this.builderOf(version);
    const checked = (written: bigint): bigint => {
      if (size?.given !== undefined && size.given !== written) throw new ImageError(size.where, `is ${String(size.given)} but the state written there is ${written} bytes`);
      return written;
    };
    if ('entry' in state) {
      const pa = builder.rawEntry(state, Place.at(`${where} -> ${version.name} entry`));
      const written = BigInt(builder.layout.struct((version.container as { struct: string }).struct).size);
      return { pa, size: () => checked(written) };
    }
    // As the kernel does: the client's pages first (as many as its FDT may take), the FDT written into them once complete.
    const room = builder.maxFdtSize();
    const piece = this.memory.allocate(room, room);
    const blob = builder.fdt(state.root, `${where} -> ${version.name} `, room);
    this.memory.writes.push(() => piece.bytes.set(blob()));
    return { pa: piece.pa, size: () => checked(BigInt(blob().length)) };
  }

  /** What a selected address holds: an address kept as it is, or the state of the version the selector's string names. */
  private selected(struct: StructModel, field: string, selector: string, value: unknown, owner: RawStruct, place: Place): bigint {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return u64(value, place.toString());
    const state = value as { version?: unknown; entry?: unknown };
    const version = this.family.find((v) => v.name === state.version);
    const container = version?.container;
    if (!version || container?.kind !== 'reached-from') throw place.then('version').error(`${JSON.stringify(state.version)} is not the version of a handler's state`);
    if (container.from.struct !== struct.name || container.from.header !== struct.header || container.field !== field) {
      throw place.then('version').error(`${version.name}'s state is reached from ${container.from.struct}.${container.field}, not ${struct.name}.${field}`);
    }
    if (owner[selector] !== container.compatible.value) {
      throw place.then('version').error(`${version.name} is the state of handler "${container.compatible.value}", but ${selector} is ${JSON.stringify(owner[selector])}`);
    }
    return this.builderOf(version).pointer({ nullable: false, form: 'u64', target: container.target }, state.entry, place.then('entry'), undefined, undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // The preserved-memory map

  /** The map of the state's ranges and of every page written; its address (0 for an empty map that may be 0). */
  private memoryMap(target: MapTarget, value: unknown, where: string): bigint {
    if (value !== null && !Array.isArray(value)) throw new ImageError(where, 'must be an array of preserved ranges ({ start, size, order })');
    const ranges = (value ?? []).map((range: unknown, i: number) => {
      const at = `${where}[${i}]`;
      if (typeof range !== 'object' || range === null) throw new ImageError(at, 'must be an object { start, size, order }');
      const r = range as Record<string, unknown>;
      return { range: { start: u64(r['start'], `${at}.start`), size: u64(r['size'], `${at}.size`), order: Number(r['order']) }, where: at };
    });
    const page = (size: number) => this.memory.allocate(size, size, { preserve: false });
    // The state's ranges first: where they mark the pages written too, the state's place is named.
    const all = [...ranges, ...this.memory.preserved];
    if (target.shape === 'bitmap-chunks') return this.bitmapChunks(target, all, page);
    const geometry = radixGeometry(target, (name) => this.layout.struct(name), this.memory.pageSize);
    return buildRadixTree(geometry, all, page, this.memory.littleEndian, MAX_MAP_PAGES);
  }

  /**
   * Chunks of bitmaps, as kho-v1 writes them: the orders in ascending order, each starting a chunk of
   * its own, its bitmaps by index; a chunk full, the next one. Its first chunk's address, 0 for none.
   */
  private bitmapChunks(target: BitmapChunksTarget, ranges: readonly { range: PreservedRange; where: string }[], page: (size: number) => { pa: bigint; bytes: Uint8Array }): bigint {
    const pageShift = Math.log2(this.memory.pageSize);
    const header = this.layout.struct(target.header);
    const entry = this.layout.struct(target.entry);
    const bits = this.layout.struct(target.bits.struct);
    const field = bits.fields.find((f) => f.name === target.bits.field)!;
    const bitsPerMap = field.type.kind === 'bitmap' ? field.type.words * 64 : 0;
    const byOrder = new Map<number, Map<bigint, Uint32Array>>();
    let pages = 0;
    for (const { range, where } of ranges) {
      const { first, count } = checkRange(range, { pageShift, order0: 63 - pageShift }, where);
      const maps = byOrder.get(range.order) ?? new Map<bigint, Uint32Array>();
      byOrder.set(range.order, maps);
      for (let n = first; n < first + count; ) {
        const index = n / BigInt(bitsPerMap);
        const from = Number(n % BigInt(bitsPerMap));
        const to = Number(first + count - index * BigInt(bitsPerMap) < BigInt(bitsPerMap) ? first + count - index * BigInt(bitsPerMap) : BigInt(bitsPerMap));
        let words = maps.get(index);
        if (!words) {
          if (++pages > MAX_MAP_PAGES) throw new ImageError(where, `the preserved memory needs more than ${MAX_MAP_PAGES} bitmap pages`);
          maps.set(index, (words = new Uint32Array(bitsPerMap / 32)));
        }
        fillBits(words, from, to);
        n = index * BigInt(bitsPerMap) + BigInt(to);
      }
    }
    const capacity = Math.floor((this.layoutBlockBytes(target) - header.size) / entry.size);
    const chunks: { piece: { pa: bigint; bytes: Uint8Array }; order: number; entries: { start: bigint; bitmap: bigint }[] }[] = [];
    for (const order of [...byOrder.keys()].sort((a, b) => a - b)) {
      const maps = byOrder.get(order)!;
      let chunk: (typeof chunks)[number] | undefined;
      for (const index of [...maps.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        const words = maps.get(index)!;
        const bitmap = page(bits.size);
        const raw = zeroStruct(this.layout, bits);
        raw[field.name] = Array.from({ length: words.length / 2 }, (_, w) => (BigInt(words[2 * w + 1]!) << 32n) | BigInt(words[2 * w]!));
        this.write(bits, raw, bitmap, 0, Place.at('memory map'));
        if (!chunk || chunk.entries.length === capacity) chunks.push((chunk = { piece: page(this.layoutBlockBytes(target)), order, entries: [] }));
        chunk.entries.push({ start: (index * BigInt(bitsPerMap)) << BigInt(order + pageShift), bitmap: bitmap.pa });
      }
    }
    chunks.forEach((chunk, k) => {
      const values = zeroStruct(this.layout, header);
      values[target.next] = chunks[k + 1]?.piece.pa ?? 0n;
      values[target.order] = this.integer(header.name, target.order, chunk.order);
      values[target.count] = this.integer(header.name, target.count, chunk.entries.length);
      this.write(header, values, chunk.piece, 0, Place.at('memory map').block(k));
      chunk.entries.forEach((e, i) => {
        const raw = zeroStruct(this.layout, entry);
        raw[target.start] = e.start;
        raw[target.bitmap] = e.bitmap;
        this.write(entry, raw, chunk.piece, header.size + i * entry.size, Place.at('memory map').block(k).entry(i));
      });
    });
    return chunks[0]?.piece.pa ?? 0n;
  }

  private layoutBlockBytes(target: BitmapChunksTarget): number {
    if (target.block.kind !== 'pages') throw new ImageError('memory map', 'a chunk\'s size is a number of pages');
    return target.block.pages * this.memory.pageSize;
  }

  // ---------------------------------------------------------------------------------------------
  // Pointers: lay out what the value holds, return its physical address.

  pointer(pointer: PointerModel, value: unknown, place: Place, owner: RawStruct | undefined, site: { struct: StructModel; field: string } | undefined): bigint {
    const target = pointer.target;
    if (target.shape === 'selected') return this.selected(site!.struct, site!.field, target.selector, value, owner!, place);
    if (target.shape === 'client' || isMapTarget(target)) throw place.error(`${target.shape === 'client' ? 'a client\'s state' : 'a preserved-memory map'} is only reached from an FDT property`);
    if (value === null) {
      if (!pointer.nullable) throw place.error('is null, but this pointer may not be 0');
      if (target.shape !== 'struct') this.setCount(target, owner, 0, place);
      return 0n;
    }
    if (target.shape === 'struct') {
      const struct = this.layout.struct(target.struct);
      const piece = this.memory.allocate(struct.size, struct.size);
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
    setDerived(owner, field, length, place);
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
    const piece = this.memory.allocate(used, blockBytes);
    const raws = entries.map((value, i) => this.prepare(entry, value, place.entry(i), entry.name));
    raws.forEach((raw, i) => this.write(entry, raw, piece, headerSize + i * entry.size, place.entry(i)));
    return { piece, count: entries.length, blockBytes };
  }

  private writeHeader(target: HeaderTarget, block: LaidOut, next: bigint, place: Place): void {
    const header = this.layout.struct(target.header);
    const values = zeroStruct(this.layout, header);
    values[target.count] = BigInt(block.count);
    if (target.block.kind === 'header-field') values[target.block.field] = BigInt(block.blockBytes / this.memory.pageSize);
    if (target.shape === 'chain') values[target.next] = next;
    this.write(header, values, block.piece, 0, place);
  }

  private capacity(target: EntryTarget, blockBytes: number, place: Place): number {
    const room = blockBytes - this.layout.headerSize(target);
    if (room < 0) throw place.error(`a block of ${blockBytes} bytes cannot hold its header`);
    return Math.floor(room / this.layout.struct(target.entry).size);
  }

  private blockBytes(target: EntryTarget, used: number, place: Place): number {
    if (target.block.kind === 'pages') return target.block.pages * this.memory.pageSize;
    if (target.shape === 'array') throw place.error('an array without a header cannot take its size from a header field');
    return Math.max(1, Math.ceil(used / this.memory.pageSize)) * this.memory.pageSize;
  }

  // ---------------------------------------------------------------------------------------------
  // Page-list areas

  /**
   * A page-list descriptor whose first-chunk field holds the area's entries (or null): the entries
   * laid end to end over page groups of `1 << order` pages, then the chunks that list the groups.
   * The descriptor is returned with its addresses and page total in place, the count beside it set.
   */
  private area(area: AreaModel, value: unknown, owner: RawStruct, place: Place): RawStruct {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw place.error('must be an object');
    const list = area.list;
    const descriptor = { ...(value as RawStruct) };
    const entries = descriptor[list.first];
    if (entries === undefined) throw place.then(list.first).error('is missing');
    const given = descriptor[list.totalPages];
    if (entries === null) {
      setDerived(owner, area.count, 0, place);
      if (given !== undefined && BigInt(given as number) !== 0n) throw place.then(list.totalPages).error('must be 0 for an empty area');
      return { ...descriptor, [list.first]: 0n, [list.totalPages]: this.integer(list.descriptor, list.totalPages, 0) };
    }
    if (!Array.isArray(entries)) throw place.then(list.first).error(`must be null or an array of struct ${area.entry}`);
    setDerived(owner, area.count, entries.length, place);
    const entry = this.layout.struct(area.entry);
    const order = Number(descriptor[list.order]);
    const pageShift = Math.log2(this.memory.pageSize);
    if (!Number.isInteger(order) || order < 0 || order + pageShift > 30) throw place.then(list.order).error(`order ${String(descriptor[list.order])} is not one this builder lays out (0 to ${30 - pageShift})`);
    const groupPages = 2 ** order;
    const groupBytes = this.memory.pageSize * groupPages;
    const bytes = entries.length * entry.size;
    const needed = Math.ceil(Math.ceil(bytes / this.memory.pageSize) / groupPages) * groupPages;
    const totalPages = given === undefined ? needed : Number(given);
    if (!Number.isSafeInteger(totalPages) || totalPages < needed || totalPages % groupPages !== 0) {
      throw place.then(list.totalPages).error(`is ${String(given)}: the entries need ${needed} pages, in groups of ${groupPages}`);
    }
    // The area: its groups, each filled with the entries that fall in it.
    const raws = entries.map((e, i) => this.prepare(entry, e, place.then(list.first).entry(i), entry.name));
    const whole = new Uint8Array(bytes);
    raws.forEach((raw, i) => this.write(entry, raw, { pa: 0n, bytes: whole }, i * entry.size, place.then(list.first).entry(i)));
    const groups: bigint[] = [];
    for (let g = 0; g < totalPages / groupPages; g++) {
      const used = Math.max(0, Math.min(groupBytes, bytes - g * groupBytes));
      const piece = this.memory.allocate(used, groupBytes, { alignment: groupBytes });
      piece.bytes.set(whole.subarray(g * groupBytes, g * groupBytes + used));
      groups.push(piece.pa);
    }
    // The chunks that list them, each a struct of its own, linked in order.
    const chunk = this.layout.struct(list.chunk);
    const pagesField = chunk.fields.find((f) => f.name === list.pages)!;
    const perChunk = pagesField.type.kind === 'array' ? pagesField.type.length : 0;
    const chunks: { piece: Piece; groups: bigint[] }[] = [];
    for (let start = 0; start === 0 || start < groups.length; start += perChunk) {
      chunks.push({ piece: this.memory.allocate(chunk.size, chunk.size), groups: groups.slice(start, start + perChunk) });
    }
    chunks.forEach((c, k) => {
      const values = zeroStruct(this.layout, chunk);
      values[list.pages] = Array.from({ length: perChunk }, (_, i) => c.groups[i] ?? 0n);
      let holder = values;
      for (const step of list.next.slice(0, -1)) holder = holder[step] as RawStruct;
      holder[list.next[list.next.length - 1]!] = chunks[k + 1]?.piece.pa ?? 0n;
      this.write(chunk, values, c.piece, 0, place.then(`chunk ${k}`));
    });
    return { ...descriptor, [list.first]: chunks[0]!.piece.pa, [list.totalPages]: this.integer(list.descriptor, list.totalPages, totalPages) };
  }

  /** `value` as the codec takes `struct.field`: a bigint for a 64-bit field, a number otherwise. */
  private integer(struct: string, field: string, value: number): number | bigint {
    const type = this.layout.struct(struct).fields.find((f) => f.name === field)!.type;
    return isBigintType(type) ? BigInt(value) : value;
  }

  // ---------------------------------------------------------------------------------------------
  // Structs

  /** The value to hand the codec: pointers laid out and replaced by their addresses. */
  private prepare(struct: StructModel, value: unknown, place: Place, path: string): RawStruct {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw place.error(`${path} must be an object`);
    const fields = this.layout.pointerFields(struct.name);
    if (fields.length === 0) return value as RawStruct;
    const raw: RawStruct = { ...(value as RawStruct) };
    // Areas first: the counts beside them are set before anything else reads the struct.
    for (const field of fields) {
      if (!field.holds) continue;
      if (raw[field.name] === undefined) throw place.then(`${path}.${field.name}`).error('is missing');
      raw[field.name] = this.area(field.holds, raw[field.name], raw, place.then(`${path}.${field.name}`));
    }
    for (const field of fields) {
      if (field.holds) continue;
      raw[field.name] = this.prepareValue(struct, field.name, field.type, raw[field.name], raw, place, `${path}.${field.name}`);
    }
    return raw;
  }

  private prepareValue(struct: StructModel, name: string, type: TypeInfo, value: unknown, owner: RawStruct, place: Place, path: string): unknown {
    switch (type.kind) {
      case 'pointer':
        if (value === undefined) throw place.then(path).error('is missing');
        return this.pointer(type, value, place.then(path), owner, { struct, field: name });
      case 'aggregate':
        return this.prepare(this.layout.struct(type.name), value, place, path);
      case 'array':
        if (!Array.isArray(value)) throw place.error(`${path} must be an array`);
        return value.map((element, i) => this.prepareValue(struct, name, type.element, element, owner, place, `${path}[${i}]`));
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
}

/** A count the builder works out: set where the state leaves it out, checked where it gives it. */
function setDerived(owner: RawStruct | undefined, field: string, length: number, place: Place): void {
  if (owner === undefined) return;
  const given = owner[field];
  if (given !== undefined && (typeof given !== 'bigint' || given !== BigInt(length))) {
    throw place.error(`holds ${length} entries but the count beside it says ${String(given)}`);
  }
  owner[field] = BigInt(length);
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
