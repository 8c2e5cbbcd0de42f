/**
 * The walker: from an FDT (a client's, or KHO's root) or a raw KHO entry and physical memory to the
 * whole handover state, following every address the model declares. Nothing here knows LUO's names;
 * the model's pointer shapes say what to read: structs, header-arrays, arrays and chains; the state
 * of a KHO client, picked by the client node's name; a handler's state, picked by the string beside
 * its address; the entries of a page-list area; the preserved-memory radix tree.
 *
 * Hostile images end in an ImageError that says where, and never cost more than the bytes given:
 * a count is checked against its block and the memory before anything is allocated for it, a chain
 * that comes back to a block it has been through is a loop, and once the blocks read add up to more
 * bytes than memory holds, two of them must overlap, which ends the walk at once.
 *
 * A walk that reads a preserved-memory map checks, at its end, every block it read (the map's own
 * pages aside) against the map: a block outside it is a warning, not an error, since the image is
 * readable; it is memory the next kernel would not get back.
 */
import { typeLayout, type AreaModel, type NodeModel, type PointerModel, type PropertyModel, type StructModel, type TargetModel, type VersionModel } from '../model/index.ts';
import { FdtError, readFdt, type FdtNodeData } from '../fdt/index.ts';
import { checkedCharsLength, dataView, readChars } from '../codec/runtime.ts';
import { imageCodecsFor, isCodecError, type StructCodec } from './codecs.ts';
import { address, readUnsigned, type Address, type UnsignedAt } from './address.ts';
import { BlockTable, type BlockShape } from './blocks.ts';
import { LoopCheck } from './loop-check.ts';
import { chainDepth, chainLoop, entryLoop, NESTED_CHAINS, type ChainKind, type ChainLoop, type ChainWalker, type EntriesKind, type EntryLoop, type StepKind } from './entry-loop.ts';
import { SelectorMemo } from './selector-memo.ts';
import { ImageError, Place, Site, hex } from './errors.ts';
import { nodePath, readRawU64, readString, requireProperty } from './fdt-values.ts';
import { DEFAULT_PAGE_SIZE, VersionLayout } from './layout.ts';
import type { PhysicalMemory } from './memory.ts';
import {
  PreservedSet,
  RangeRuns,
  isMapTarget,
  radixGeometry,
  readRadixTree,
  setBits,
  type BitmapChunksTarget,
  type MapMemory,
  type PreservedRange,
  type RadixGeometry,
  type RadixTarget,
} from './preserved.ts';
import { fdtOf, handlerFor, khoEntryName, nodeChildren, pickEntryVersion, pickVersion } from './select.ts';
import type { BlockInfo, DecodedImage, HandlerState, ImageState, NodeState, PreservedCheck, PropertyState, StructValue } from './state.ts';
import type { ImageVisitor, WalkNote, WalkSummary } from './walk.ts';

export interface DecodeOptions {
  /** Byte order of the structs and of u64 properties; default true (x86-64, arm64). */
  readonly littleEndian?: boolean;
  /** PAGE_SIZE of the kernel that wrote the image; default 4096. */
  readonly pageSize?: number;
  /**
   * The header whose versions the source's own state may be of (default: any of `versions`); the
   * states it leads to (a client's, a handler's) may still be of any.
   */
  readonly header?: string;
}

type RawStruct = Record<string, unknown>;
/** Targets that lead to entries, and those whose blocks start with a header. */
type EntryTarget = Extract<TargetModel, { shape: 'header-array' | 'array' | 'chain' }>;
type HeaderTarget = Extract<TargetModel, { shape: 'header-array' | 'chain' }>;
type ChainTarget = Extract<TargetModel, { shape: 'chain' }>;
/** Targets whose memory is one struct or entries in blocks: what a plan is made for. */
type PlannedTarget = Extract<TargetModel, { shape: 'struct' | 'header-array' | 'array' | 'chain' }>;

/**
 * Where a handover's state starts: a client's FDT blob (or KHO's root FDT), KHO's root FDT alone
 * (`kho`: only versions whose FDT travels under no KHO entry), or the physical address of the raw
 * struct a KHO entry holds (its version read from the compatible string in it).
 */
export type ImageSource = Uint8Array | { readonly kho: Uint8Array } | { readonly entryAt: bigint };

/** Blocks outside the preserved memory listed one by one; beyond, only counted. */
export const MAX_WARNINGS = 10_000;

const FDT_MAGIC = 0xd00dfeed;
const FDT_HEADER_BYTES = 40;
/** Page groups larger than this (2^40 bytes) are no vmalloc area a kernel made. */
const MAX_GROUP_SHIFT = 40;

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
  const preserved = start.context.finish();
  const table = start.context.table;
  let blocks: BlockInfo[] | undefined;
  return {
    state,
    get blocks() {
      return (blocks ??= table.infos());
    },
    ...(preserved ? { preserved } : {}),
  };
}

/**
 * The same walk as decodeImage, with the same checks, but nothing is kept: every struct is handed to
 * `visitor` as a zero-copy view (readStruct) and then dropped, so memory stays flat however large the
 * image. A view's fields are read, and a string's bytes checked, when the visitor or the walker (for
 * pointers and counts) asks for them; a bad field the visitor reads is the ImageError decodeImage
 * gives. What is kept is a row of numbers per block read (BlockTable), for the overlap check at the
 * end, and the preserved-memory map's ranges.
 */
export function walkImage(
  versions: readonly VersionModel[],
  source: ImageSource,
  memory: PhysicalMemory,
  visitor: ImageVisitor,
  options: DecodeOptions = {},
): WalkSummary {
  const { version, context, walk } = startWalk(versions, source, memory, options, visitor);
  walk();
  const preserved = context.finish();
  const table = context.table;
  const summary = { version: version.name, structs: context.structs, blocks: table.length, bytes: table.bytes };
  // Not enumerable: the summary stays plain numbers to compare and print.
  Object.defineProperty(summary, 'block', { value: (index: number) => table.info(index) });
  Object.defineProperty(summary, 'preserved', { value: preserved });
  return summary as WalkSummary;
}

/** Where a walk starts: the version the source names, and what walking it from its top gives. */
export interface WalkStart {
  readonly version: VersionModel;
  /** The FDT's root, for a source that is an FDT. */
  readonly root?: FdtNodeData;
  readonly context: WalkContext;
  walk(): ImageState;
}

/** Pick the version the source names and set up a walk over the memory. */
export function startWalk(
  versions: readonly VersionModel[],
  source: ImageSource,
  memory: PhysicalMemory,
  options: DecodeOptions,
  visitor?: ImageVisitor,
): WalkStart {
  const context = new WalkContext(versions, memory, options.littleEndian ?? true, options.pageSize ?? DEFAULT_PAGE_SIZE, visitor);
  const { header } = options;
  const top = header === undefined ? versions : versions.filter((v) => v.header === header);
  if (source instanceof Uint8Array || 'kho' in source) {
    const blob = source instanceof Uint8Array ? source : source.kho;
    const root = readFdt(blob).root;
    // KHO's root FDT is the one FDT that travels under no KHO entry.
    const candidates = (among: readonly VersionModel[]) => (source instanceof Uint8Array ? among : among.filter((v) => v.container?.kind === 'fdt' && !v.container.khoEntry));
    const version = pickOfHeader(header, () => pickVersion(candidates(top), root), () => pickVersion(candidates(versions), root));
    const walker = context.walker(version);
    return { version, root, context, walk: () => ({ version: version.name, root: walker.node(fdtOf(version).root, root, undefined) }) };
  }
  const pa = source.entryAt;
  const version = pickOfHeader(header, () => pickEntryVersion(top, memory, pa, context.littleEndian), () => pickEntryVersion(versions, memory, pa, context.littleEndian));
  const container = version.container as Extract<VersionModel['container'], { kind: 'kho-entry' }>;
  const walker = context.walker(version);
  const site = Site.at(Place.at(`KHO entry "${String(container.khoEntry.value)}"`));
  return { version, context, walk: () => ({ version: version.name, entry: walker.entry(container.struct, pa, site) }) };
}

/**
 * The version `pick` finds among a header's versions. Where it finds none and `header` restricted
 * them, the version `pickAny` finds among all says whose string the source holds, which is the error.
 */
function pickOfHeader(header: string | undefined, pick: () => VersionModel, pickAny: () => VersionModel): VersionModel {
  try {
    return pick();
  } catch (error) {
    if (header === undefined || !(error instanceof ImageError)) throw error;
    let other: VersionModel;
    try {
      other = pickAny();
    } catch {
      throw error;
    }
    throw new ImageError(error.where, `holds the string of ${other.name}, a version of header ${other.header}, not of header ${header}`);
  }
}

type FieldType = StructModel['fields'][number]['type'];

/** One field of a struct that is, or holds, a pointer: its path text and the offsets it needs, worked out once. */
interface PointerStep {
  readonly field: StructModel['fields'][number];
  /** The struct the field belongs to: a handler's state is reached from a named struct's field. */
  readonly owner: StructModel;
  readonly path: string;
  /** For a nested struct: its own steps. */
  readonly nested?: readonly PointerStep[];
  /** The count beside the pointer in `owner` (an array's count, a chain's total, an area's count). */
  readonly count?: UnsignedAt;
  /** For a selected address: the string beside it that names the handler. */
  readonly selector?: Selector;
  /** Whether following the pointers takes a value from the struct as read (a page-list descriptor, an array), not only bytes. */
  readonly needsValue: boolean;
  /** For a selected address: the handlers a string there may name, each with its string's bytes (UTF-8), found in the family once. */
  readonly handlers?: readonly Handler[];
}

/**
 * A struct's codec, and, in a walk with transient views, the one view of it that is moved from
 * struct to struct (made at the first).
 */
interface StructReader {
  readonly codec: StructCodec;
  moving?: RawStruct;
}

/**
 * A pointer a visiting walk follows out of an entry, found once per struct: nested structs' pointers
 * flattened out, at offsets from the entry's start. An entry loop (./entry-loop.ts) calls the walker
 * for each, by its kind.
 */
interface VisitStep {
  /**
   * `selected`: an address whose handler the string beside it names; `follow`: any other address,
   * read from the bytes and followed; `value`: a field the walk reads as a value (a page-list
   * descriptor, an array), taken from a view of the entry.
   */
  readonly kind: StepKind;
  readonly step: PointerStep;
  /** Where the field is, from the entry's start. */
  readonly at: number;
  /** Where the field's own struct starts (the counts and strings beside it are in it), from the entry's start. */
  readonly base: number;
  /** For a selected address: the last string beside it, and the handler it named. */
  readonly memo?: SelectorMemo<Handler>;
  /** For a chain followed by a compiled loop (followsAsChain): its plan and loop, made with the plan of the entries it is in. */
  chain?: ChainPlan;
}

/**
 * A chain followed out of an entry: its target and plan, the entries a block of it holds when its
 * size is fixed (-1 when a header field gives it), and its loop (./entry-loop.ts).
 */
interface ChainPlan {
  readonly target: ChainTarget;
  readonly plan: TargetPlan;
  readonly capacity: number;
  /** What its loop is compiled for: a loop over the entries that lead to it may write it in. */
  readonly kind: ChainKind;
  readonly loop: ChainLoop;
}

/**
 * A handler a selected address may lead to: the string that names it (UTF-8), its version, and the
 * field text its state's place has after the entry's (`path -> version`), made once.
 */
interface Handler {
  readonly name: Uint8Array;
  readonly version: VersionModel;
  readonly via: string;
}

/** The `char[length]` string beside a selected address, in its struct, and its path for a CodecError. */
interface Selector {
  readonly offset: number;
  readonly length: number;
  readonly path: string;
}

/** What reading the struct or entries a pointer target reaches takes. */
interface TargetPlan {
  /** The struct pointed at, or the entry struct. */
  readonly struct: StructModel;
  readonly reader: StructReader;
  /** Its shape's id in the block table. */
  readonly shape: number;
  /** Undefined when the struct holds no pointer. */
  readonly pointers: readonly PointerStep[] | undefined;
  /** The same pointers as a visiting walk follows them; undefined for none. */
  readonly visitSteps: readonly VisitStep[] | undefined;
  /** A visiting walk's loop over entries of the struct, compiled for these steps. */
  readonly loop: EntryLoop | undefined;
  /** A header-array's or a chain's header: where its count is, and a chain's next address. */
  readonly header?: { readonly struct: StructModel; readonly reader: StructReader; readonly count: UnsignedAt; readonly next: UnsignedAt | undefined };
}

/**
 * The selector string at `bytes[at..]`, which names no handler, checked as the view's getter checks
 * it (NUL, UTF-8): a bad one is the decoder's error for the struct, entry `index` of the block at
 * `site`. Its length, to the NUL.
 */
function checkSelector(bytes: Uint8Array, at: number, selector: Selector, site: Site, index: number): number {
  try {
    return checkedCharsLength(bytes, at, selector.length, selector.path);
  } catch (error) {
    throw codecErrorAt(error, site, index);
  }
}

/**
 * The handler among `handlers` whose name, NUL-terminated, is at `bytes[at..]` (each name fits the
 * field with its NUL); undefined for none.
 */
function handlerNamed(handlers: readonly Handler[], bytes: Uint8Array, at: number): Handler | undefined {
  for (let h = 0; h < handlers.length; h++) {
    const name = handlers[h]!.name;
    const length = name.length;
    // The NUL first: one load tells most strings from a name of another length.
    if (bytes[at + length] !== 0) continue;
    let i = 0;
    while (i < length && bytes[at + i] === name[i]) i++;
    if (i === length) return handlers[h];
  }
  return undefined;
}

const UTF8 = new TextEncoder();

/** In a streaming walk, the entries of a block are visited, not kept: every block gives this one array. */
const NOT_KEPT: StructValue[] = [];

/**
 * What every version's walker of one walk shares: the memory, the table of blocks read, the visitor,
 * the family's versions (a client's or a handler's state is another version's), the preserved ranges.
 */
export class WalkContext {
  readonly table: BlockTable;
  /** Structs read. */
  structs = 0;
  readonly codecOptions: { readonly littleEndian: boolean };
  /** Whether a note is read by anyone: a note costs a string and a place per file. */
  readonly takesNotes: boolean;
  private readonly walkers = new Map<VersionModel, Walker>();
  private ranges: PreservedRange[] | undefined;
  private readonly shapes = new Map<string, number>();

  constructor(
    readonly family: readonly VersionModel[],
    readonly memory: PhysicalMemory,
    readonly littleEndian: boolean,
    readonly pageSize: number,
    readonly visitor?: ImageVisitor,
  ) {
    this.table = new BlockTable(memory.totalBytes);
    this.codecOptions = { littleEndian };
    this.takesNotes = visitor?.note !== undefined;
  }

  walker(version: VersionModel): Walker {
    let walker = this.walkers.get(version);
    if (!walker) this.walkers.set(version, (walker = new Walker(this, version)));
    return walker;
  }

  /** A shape named once: a struct pointed at (or a blob), read by more than one walker. */
  shapeOf(what: string, unpreserved = false): number {
    const key = `${unpreserved ? '!' : ''}${what}`;
    let id = this.shapes.get(key);
    if (id === undefined) this.shapes.set(key, (id = this.table.shapeId({ struct: what, ...(unpreserved ? { unpreserved } : {}) })));
    return id;
  }

  /** The shape of a run of entries with no header (a page group of an area), named once. */
  entriesShape(struct: string): number {
    const key = `[]${struct}`;
    let id = this.shapes.get(key);
    if (id === undefined) this.shapes.set(key, (id = this.table.shapeId({ entry: { struct, offset: 0 } })));
    return id;
  }

  record(site: Site, pa: Address, address: number, size: number, shape: number, entries: number): void {
    this.table.add(site, pa, address, size, shape, entries);
  }

  /** `length` bytes at `pa`, recorded as a block of `shape`. */
  read(pa: Address, length: number, shape: number, site: Site): { bytes: Uint8Array; offset: number } {
    const slice = this.memory.slice(pa, length, site);
    this.record(site, pa, slice.address, length, shape, -1);
    return slice;
  }

  addRanges(ranges: readonly PreservedRange[]): void {
    this.ranges = [...(this.ranges ?? []), ...ranges];
  }

  note(note: WalkNote): void {
    this.visitor?.note?.(note);
  }

  /** The checks made once the walk is over: overlaps, then the blocks outside the preserved memory. */
  finish(): PreservedCheck | undefined {
    this.table.checkOverlaps();
    if (!this.ranges) return undefined;
    const { blocks, total } = this.table.uncovered(new PreservedSet(this.ranges), MAX_WARNINGS);
    return { warnings: blocks.map((b) => ({ place: b.place, what: b.what, pa: b.pa, size: b.size })), total };
  }
}

/**
 * One version's walker. Without a visitor it keeps the state it reads (decodeImage); with one, it
 * hands each struct to the visitor and keeps nothing (walkImage). Both keep the table of blocks read,
 * for the overlap check.
 *
 * Places are passed as Sites (`anchor -> entry N -> field`) so that following a pointer out of each of
 * a million entries makes no Place; one is made when an error needs its text.
 */
export class Walker implements ChainWalker<VisitStep> {
  private readonly layout: VersionLayout;
  private readonly visitor: ImageVisitor | undefined;
  private readonly transientViews: boolean;
  readonly memory: PhysicalMemory;

  constructor(
    readonly context: WalkContext,
    readonly version: VersionModel,
  ) {
    this.layout = new VersionLayout(version, imageCodecsFor(version), context.pageSize);
    this.visitor = context.visitor;
    this.transientViews = context.visitor?.transientViews === true;
    this.memory = context.memory;
    this.codecOptions = context.codecOptions;
    this.takesNotes = context.takesNotes;
  }

  readonly codecOptions: { readonly littleEndian: boolean };
  readonly takesNotes: boolean;

  // ---------------------------------------------------------------------------------------------
  // The FDT

  /** A node; `prefix` is where its FDT was found, for an FDT reached from another (a client's). */
  node(model: NodeModel, data: FdtNodeData, prefix: Place | undefined): NodeState {
    const properties: Record<string, PropertyState> = {};
    for (const property of model.properties) {
      const where = nodePath(model.path, property.name);
      properties[property.name] = this.property(property, requireProperty(data, property.name, where), data, anchor(prefix, where));
    }
    const children: Record<string, NodeState> = {};
    for (const child of nodeChildren(model, data)) children[child.name] = this.node(child.model, child.data, prefix);
    // pickVersion has made sure the model's string is among the node's.
    return { ...(model.compatible ? { compatible: model.compatible.value } : {}), properties, children };
  }

  private property(model: PropertyModel, data: { name: string; value: Uint8Array }, node: FdtNodeData, place: Place): PropertyState {
    const where = place.toString();
    switch (model.kind) {
      case 'string':
        return readString(data, where);
      case 'u64':
        return readRawU64(data, this.context.littleEndian, where);
      case 'pointer': {
        const pa = readRawU64(data, this.context.littleEndian, where);
        const target = model.pointer!.target;
        if (target.shape === 'client') {
          if (pa === 0n) throw place.error('is 0, but must point at the state of the client the node is named after');
          const size = target.size === undefined ? undefined : readRawU64(requireProperty(node, target.size, nodePath(model.name, target.size)), this.context.littleEndian, `${where.slice(0, where.lastIndexOf('/'))}/${target.size}`);
          return this.client(node.name, pa, size, Site.at(place));
        }
        return this.follow(model.pointer!, address(pa), Site.at(place), undefined, undefined, 0) as PropertyState;
      }
    }
  }

  /** The struct a raw KHO entry holds, at `pa`; `site` names the entry. */
  entry(struct: string, pa: bigint, site: Site): StructValue {
    const pointer: PointerModel = { nullable: false, form: 'u64', target: { shape: 'struct', struct } };
    return this.follow(pointer, address(pa), site, undefined, undefined, 0) as StructValue;
  }

  // ---------------------------------------------------------------------------------------------
  // Other versions' state: a KHO client's, a handler's

  /**
   * The state of the client named `name` at `pa` (`size` bytes, where the node says): an FDT or a raw
   * struct of a version that travels under that KHO entry; the address itself for a name no version
   * of the family uses.
   */
  private client(name: string, pa: bigint, size: bigint | undefined, site: Site): ImageState | bigint {
    const candidates = this.context.family.filter((v) => khoEntryName(v) === name);
    const reached = { kind: 'client', name, site } as const;
    if (candidates.length === 0) {
      // Unknown: shown as its address, not read (the dump need not hold it).
      this.context.note({ kind: 'state', reached });
      return pa;
    }
    const fdts = candidates.filter((v) => v.container?.kind === 'fdt');
    const raws = candidates.filter((v) => v.container?.kind === 'kho-entry');
    const isFdt = fdts.length > 0 && (raws.length === 0 || this.fdtMagicAt(pa, site));
    if (isFdt) {
      const blob = this.clientFdt(pa, size, site);
      const root = nested(site, () => readFdt(blob).root);
      const version = nested(site, () => pickVersion(fdts, root));
      this.context.note({ kind: 'state', version, root, reached });
      const prefix = site.place().then(version.name);
      return { version: version.name, root: this.context.walker(version).node(fdtOf(version).root, root, prefix) };
    }
    const version = nested(site, () => pickEntryVersion(raws, this.memory, pa, this.context.littleEndian));
    const container = version.container as Extract<VersionModel['container'], { kind: 'kho-entry' }>;
    const struct = this.context.walker(version).layout.struct(container.struct);
    if (size !== undefined && size < BigInt(struct.size)) {
      throw site.error(`the client's size ${size} is smaller than struct ${struct.name} (${struct.size} bytes), which ${version.name} keeps there`);
    }
    this.context.note({ kind: 'state', version, reached });
    return { version: version.name, entry: this.context.walker(version).entry(container.struct, pa, Site.at(site.place().then(version.name))) };
  }

  private fdtMagicAt(pa: bigint, site: Site): boolean {
    const slice = this.memory.slice(pa, 4, site);
    return new DataView(slice.bytes.buffer, slice.bytes.byteOffset + slice.offset, 4).getUint32(0, false) === FDT_MAGIC;
  }

  /** The FDT blob at `pa`, its size from its header (within `size`, where the node says). */
  private clientFdt(pa: bigint, size: bigint | undefined, site: Site): Uint8Array {
    const header = this.memory.slice(pa, FDT_HEADER_BYTES, site);
    const view = new DataView(header.bytes.buffer, header.bytes.byteOffset + header.offset, FDT_HEADER_BYTES);
    if (view.getUint32(0, false) !== FDT_MAGIC) throw site.error(`holds no FDT (magic ${hex(view.getUint32(0, false))}, not ${hex(FDT_MAGIC)})`);
    const total = view.getUint32(4, false);
    if (total < FDT_HEADER_BYTES) throw site.error(`the FDT's total size ${total} is smaller than its header`);
    if (size !== undefined && BigInt(total) > size) throw site.error(`the FDT's total size ${total} is more than the ${size} bytes the client's size says`);
    const slice = this.context.read(pa, total, this.context.shapeOf('FDT'), site);
    return slice.bytes.subarray(slice.offset, slice.offset + total);
  }

  /**
   * What a selected address leads to: the state of the version whose string the selector holds
   * (reached from this struct's field), or the address itself when no version has that string.
   * `owner` (at `bytes[base..]`) holds the address, at `bytes[at..]`; it is entry `index` of the block
   * found at `site` (index -1: the struct at `site`), and `value` is the address as the decoded struct
   * holds it.
   */
  private selected(step: PointerStep, at: number, value: unknown, bytes: Uint8Array, base: number, site: Site, index: number, path: string): HandlerState | unknown {
    const { handler } = this.selectedHandler(step, bytes, base + step.selector!.offset, site, index, path);
    // Decoding, the struct keeps the address it holds; visiting, nothing is kept.
    if (!handler) return value;
    // An element of an array of addresses has its index in its path: its text made here.
    return this.handlerState(handler.version, at, bytes, site, index, path === step.path ? handler.via : `${path} -> ${handler.version.name}`);
  }

  /**
   * The handler the selector string at `bytes[name..]` names, if any, and the string's length to its
   * NUL. The bytes are compared with the handlers' names and their NUL: no string is made. One that
   * names no handler is checked as the view's getter checks it (NUL, UTF-8; a bad one is the
   * decoder's error for the struct); one that does is a string already.
   */
  private selectedHandler(step: PointerStep, bytes: Uint8Array, name: number, site: Site, index: number, path: string): { handler: Handler | undefined; length: number } {
    const selector = step.selector!;
    const handler = handlerNamed(step.handlers!, bytes, name);
    const length = handler ? handler.name.length : checkSelector(bytes, name, selector, site, index);
    if (this.context.takesNotes) this.noteHandler(handler?.version, bytes, name, selector, site, index, path);
    return { handler, length };
  }

  /** A note of which string selected a handler's state (`handler`, undefined for none), and where: made only for a visitor that takes notes. */
  private noteHandler(handler: VersionModel | undefined, bytes: Uint8Array, name: number, selector: Selector, site: Site, index: number, path: string): void {
    const reached = { kind: 'handler', name: readChars(bytes, name, selector.length, selector.path), site: this.entrySite(site, index, path) } as const;
    this.context.note(handler ? { kind: 'state', version: handler, reached } : { kind: 'state', reached });
  }

  /**
   * The state of `handler` that the address at `bytes[at..]` leads to. Its place is the address's,
   * then the handler's version (`via` is the text of both), kept as a Site on the place of the block
   * the address is in: a place of its own per file, which the block table would intern, made the
   * walk's memory and its collector's work grow with the number of files.
   */
  private handlerState(handler: VersionModel, at: number, bytes: Uint8Array, site: Site, index: number, via: string): HandlerState {
    const container = handler.container as Extract<VersionModel['container'], { kind: 'reached-from' }>;
    const here = this.entrySite(site, index, via);
    const pa = readUnsigned(dataView(bytes), at, 8, this.context.littleEndian);
    const entry = this.context.walker(handler).follow({ nullable: false, form: 'u64', target: container.target }, pa, here, undefined, undefined, 0);
    return { version: handler.name, entry } as HandlerState;
  }

  // ---------------------------------------------------------------------------------------------
  // Pointers

  /**
   * What `pa` points at. `step` is the pointer's field, in its struct at `bytes[base..]`, for the
   * counts kept beside it; undefined for an address that is no struct's field (a node's property).
   */
  follow(pointer: PointerModel, pa: Address, site: Site, step: PointerStep | undefined, bytes: Uint8Array | undefined, base: number): unknown {
    const target = pointer.target;
    // A map that may be 0 holds nothing then: no memory is preserved, which is for the check to say.
    if (pa === 0 && pointer.nullable && isMapTarget(target)) return this.ranges([]);
    if (pa === 0) {
      if (pointer.nullable) return null;
      throw site.error(`is 0, but must point at ${describeTarget(target)}`);
    }
    switch (target.shape) {
      case 'struct': {
        const plan = this.plan(target);
        const slice = this.memory.slice(pa, plan.struct.size, site);
        this.context.record(site, pa, slice.address, plan.struct.size, plan.shape, -1);
        return this.struct(plan, slice.bytes, slice.offset, site, -1);
      }
      case 'header-array': {
        const plan = this.plan(target);
        return this.block(plan, target, pa, site).entries;
      }
      case 'array': {
        const count = this.ownerCount(step, bytes, base, site);
        return this.entries(this.plan(target), target, pa, count, 0, site, undefined);
      }
      case 'chain':
        return this.chain(target, pa, site, step, bytes, base);
      case 'radix-tree':
        return this.radixTree(target, BigInt(pa), site);
      case 'bitmap-chunks':
        return this.bitmapChunks(target, BigInt(pa), site);
      case 'selected':
        throw site.error('a handler\'s state is named by the string beside its address: only a struct\'s field can lead to it');
      case 'client':
        throw site.error('a client\'s state is named by its node: only a node\'s property can lead to it');
    }
  }

  /** The count beside `step`'s pointer in its struct at `bytes[base..]`, read from the bytes. */
  private ownerCount(step: PointerStep | undefined, bytes: Uint8Array | undefined, base: number, site: Site): Address {
    const count = step?.count;
    if (!count || !bytes) throw site.error(`the count field beside this pointer is missing`);
    return readUnsigned(dataView(bytes), base + count.offset, count.size, this.context.littleEndian);
  }

  /** A header followed by its entries: one block of a header-array or of a chain, `plan` its entries'. */
  private block(plan: TargetPlan, target: HeaderTarget, pa: Address, site: Site) {
    const header = plan.header!;
    const slice = this.memory.slice(pa, header.struct.size, site);
    const values = this.decode(header.reader, slice.bytes, slice.offset, site, -1);
    this.context.structs++;
    this.visit(header.struct.name, values, site, -1);
    const view = dataView(slice.bytes);
    const le = this.context.littleEndian;
    const count = readUnsigned(view, slice.offset + header.count.offset, header.count.size, le);
    // Read before the entries are walked: a visitor may keep the header, but the walk needs nothing of it after.
    const next = header.next && readUnsigned(view, slice.offset + header.next.offset, header.next.size, le);
    return { next, count, entries: this.entries(plan, target, pa, count, header.struct.size, site, values) };
  }

  /** `count` entries at `pa + skip`, checked against the block they must fit in (`header`: its header's values, for its size). */
  private entries(plan: TargetPlan, target: EntryTarget, pa: Address, count: Address, skip: number, site: Site, header: RawStruct | undefined): StructValue[] {
    const entry = plan.struct;
    const blockBytes = this.layout.blockBytes(target.block, header ?? {});
    const room = blockBytes - skip;
    if (room < 0) throw site.error(`a block of ${blockBytes} bytes cannot hold its ${skip}-byte header`);
    const capacity = Math.floor(room / entry.size);
    // A count (a number, or a bigint past 2^53) against a number: exact whatever the count.
    if (count > capacity) {
      throw site.error(`count ${count} is more than the ${capacity} entries of struct ${entry.name} a block of ${blockBytes} bytes holds`);
    }
    const n = Number(count);
    // Within capacity the length is exact as a number unless the block itself is past 2^53 bytes.
    const length = skip + n * entry.size;
    const slice = this.memory.slice(pa, Number.isSafeInteger(length) ? length : BigInt(skip) + BigInt(count) * BigInt(entry.size), site);
    this.context.record(site, pa, slice.address, length, plan.shape, n);
    return this.entriesAt(plan, slice.bytes, slice.offset + skip, n, 0, site);
  }

  /** `n` entries of `plan`'s struct at `bytes[at..]`, numbered from `first` in the block found at `site`. */
  private entriesAt(plan: TargetPlan, bytes: Uint8Array, at: number, n: number, first: number, site: Site): StructValue[] {
    if (this.visitor) {
      this.visitEntries(this.visitor, plan, bytes, at, n, first, site);
      return NOT_KEPT;
    }
    const entries: StructValue[] = new Array(n);
    for (let i = 0; i < n; i++, at += plan.struct.size) entries[i] = this.struct(plan, bytes, at, site, first + i);
    return entries;
  }

  /**
   * entriesAt for a visiting walk: the entries' loop compiled for their struct (./entry-loop.ts),
   * which hands each entry over and calls back for its pointers; the bytes of all `n` are in `bytes`.
   */
  private visitEntries(visitor: ImageVisitor, plan: TargetPlan, bytes: Uint8Array, at: number, n: number, first: number, site: Site): void {
    this.context.structs += n;
    plan.loop!(this, visitor, plan, bytes, at, n, first, site);
  }

  /** Follows the pointers of a struct that is not an entry (at `bytes[base..]`), as `steps` list them, in a visiting walk. */
  private visitPointers(steps: readonly VisitStep[], plan: TargetPlan, bytes: Uint8Array, base: number, site: Site, index: number): void {
    const view = dataView(bytes);
    for (const step of steps) {
      if (step.kind === 'selected') {
        // As the compiled entry loops do: the memo first, the walker's selectedStep for another string.
        const memo = step.memo!;
        const slot = this.takesNotes ? -1 : memo.find(view, bytes, base + step.base + step.step.selector!.offset);
        if (slot < 0) this.selectedStep(step, bytes, view, base, site, index);
        else if (memo.named[slot] !== undefined) this.namedStep(step, slot, bytes, base, site, index);
      } else if (step.kind === 'follow') this.followStep(step, bytes, view, base, site, index);
      else this.valueStep(step, plan, bytes, base, site, index);
    }
  }

  /**
   * A selected address of the entry at `bytes[entryAt..]` whose string is not one of the last few
   * beside it (SelectorMemo; a walk that takes notes asks for every string): the handler it names
   * found, the string checked, the handler's state walked, and the string remembered with its handler.
   */
  selectedStep(step: VisitStep, bytes: Uint8Array, view: DataView, entryAt: number, site: Site, index: number): void {
    const name = entryAt + step.base + step.step.selector!.offset;
    const { handler, length } = this.selectedHandler(step.step, bytes, name, site, index, step.step.path);
    if (handler) this.handlerState(handler.version, entryAt + step.at, bytes, site, index, handler.via);
    // Checked by now (a bad one has thrown): remembered with what it named.
    step.memo!.remember(view, bytes, name, length, handler);
  }

  /** A selected address whose string is in its memo's `slot`, which named a handler: that handler's state. */
  namedStep(step: VisitStep, slot: number, bytes: Uint8Array, entryAt: number, site: Site, index: number): void {
    const handler = step.memo!.named[slot]!;
    this.handlerState(handler.version, entryAt + step.at, bytes, site, index, handler.via);
  }

  /** Any other address of the entry at `bytes[entryAt..]`, followed; a chain by its compiled loop. */
  followStep(step: VisitStep, bytes: Uint8Array, view: DataView, entryAt: number, site: Site, index: number): void {
    const pointer = step.step.field.type as PointerModel;
    const pa = readUnsigned(view, entryAt + step.at, 8, this.context.littleEndian);
    // step.chain is there exactly when followsAsChain holds (plan()).
    const chain = step.chain;
    if (chain !== undefined && typeof pa === 'number' && pa !== 0) {
      chain.loop(this, this.visitor!, step, pa, bytes, entryAt + step.base, site, index);
    } else {
      this.follow(pointer, pa, this.entrySite(site, index, step.step.path), step.step, bytes, entryAt + step.base);
    }
  }

  /** Whether a pointer's chain is followed by its compiled loop: one with a total beside it and no count field to read it from is the general code's to refuse. */
  private followsAsChain(pointer: PointerModel, step: PointerStep): boolean {
    return pointer.target.shape === 'chain' && (pointer.target.total === undefined || step.count !== undefined);
  }

  /** A field of the entry at `bytes[entryAt..]` that the walk reads as a value: from a view of its own, not the moving one (following the fields before may have moved that). */
  valueStep(step: VisitStep, plan: TargetPlan, bytes: Uint8Array, entryAt: number, site: Site, index: number): void {
    const value = plan.reader.codec.view(bytes, entryAt, this.context.codecOptions)[step.step.field.name];
    this.resolveValue(step.step, step.step.field.type, value, bytes, entryAt + step.base, entryAt + step.at, site, index, step.step.path);
  }

  codecErrorAt(error: unknown, site: Site, index: number): unknown {
    return codecErrorAt(error, site, index);
  }

  /** A chain from `first`; `step` is its pointer's field, in its struct at `bytes[base..]`, for the total beside it. */
  private chain(target: ChainTarget, first: Address, site: Site, step: PointerStep | undefined, bytes: Uint8Array | undefined, base: number) {
    const plan = this.plan(target);
    const entries: StructValue[] = this.visitor ? NOT_KEPT : [];
    // A number: each block's count is checked against what the block holds before it is added.
    let count = 0;
    // Made at the second block, so that the one-block chains of an image (a session's few files) make none.
    let loop: LoopCheck | undefined;
    let pa = first;
    for (let index = 0; pa !== 0; index++) {
      const here = site.inBlock(index);
      if (index === 1) loop = new LoopCheck(first);
      const earlier = loop?.again(pa, index) ?? -1;
      if (earlier >= 0) throw chainLoops(here, pa, earlier);
      const block = this.block(plan, target, pa, here);
      count += Number(block.count);
      if (!this.visitor) for (const entry of block.entries) entries.push(entry);
      pa = block.next!;
    }
    if (target.total !== undefined) this.checkChainTotal(count, step, bytes, base, site);
    return entries;
  }

  private chainPlan(target: ChainTarget, step: PointerStep): ChainPlan {
    const plan = this.plan(target);
    const header = plan.header!;
    const room = target.block.kind === 'pages' ? this.layout.blockBytes(target.block, {}) - header.struct.size : -1;
    const kind: ChainKind = {
      shape: { header: header.struct, count: header.count, next: header.next!, total: target.total === undefined ? undefined : step.count },
      entries: this.entriesKind(plan.struct, plan.visitSteps),
    };
    return { target, plan, capacity: room < 0 ? -1 : Math.floor(room / plan.struct.size), kind, loop: chainLoop(kind) };
  }

  /** The entries a chain holds, `count`, against the total beside its pointer (`step`'s, in its struct at `bytes[base..]`, found at `site`). */
  private checkChainTotal(count: number, step: PointerStep | undefined, bytes: Uint8Array | undefined, base: number, site: Site): void {
    const total = this.ownerCount(step, bytes, base, site);
    if (total !== count) throw site.error(`the chain holds ${count} entries but the count beside the pointer says ${total}`);
  }

  // What a chain's compiled loop (./entry-loop.ts) calls back.

  chainBlock(step: VisitStep, pa: Address, here: Site): { readonly count: Address; readonly next: Address | undefined } {
    const { plan, target } = step.chain!;
    return this.block(plan, target, pa, here);
  }

  chainLoops(here: Site, pa: Address, earlier: number): ImageError {
    return chainLoops(here, pa, earlier);
  }

  chainTotalError(count: number, step: VisitStep, bytes: Uint8Array, ownerAt: number, site: Site): void {
    this.checkChainTotal(count, step.step, bytes, ownerAt, site);
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
  // The preserved-memory map

  private readonly geometries = new Map<RadixTarget, RadixGeometry>();

  private radixTree(target: RadixTarget, root: bigint, site: Site): readonly PreservedRange[] {
    let geometry = this.geometries.get(target);
    if (!geometry) this.geometries.set(target, (geometry = radixGeometry(target, (name) => this.layout.struct(name), this.context.pageSize)));
    const context = this.context;
    const memory: MapMemory = { read: (pa, size, struct, here) => context.read(pa, size, context.shapeOf(struct, true), here) };
    return this.ranges(readRadixTree(geometry, memory, root, site, context.littleEndian));
  }

  /** A map's ranges, told the context and the visitor. */
  private ranges(ranges: readonly PreservedRange[]): readonly PreservedRange[] {
    this.context.addRanges(ranges);
    this.context.note({ kind: 'ranges', ranges });
    return this.visitor ? [] : ranges;
  }

  /**
   * A chain of chunks of bitmaps: each chunk's header gives the page order of its entries, each entry
   * a page of bits and the address bit 0 stands for. The chunks and bitmap pages are the map's own.
   */
  private bitmapChunks(target: BitmapChunksTarget, first: bigint, site: Site): readonly PreservedRange[] {
    const context = this.context;
    const header = this.layout.struct(target.header);
    const entry = this.layout.struct(target.entry);
    const bits = this.layout.struct(target.bits.struct);
    const field = bits.fields.find((f) => f.name === target.bits.field)!;
    const words = field.type.kind === 'bitmap' ? field.type.words : 0;
    const pageShift = Math.log2(context.pageSize);
    const chunkShape = context.shapeOf(`${header.name} + ${entry.name}[]`, true);
    const bitsShape = context.shapeOf(bits.name, true);
    const runs = new RangeRuns(pageShift);
    const loop = new LoopCheck(first);
    for (let index = 0, pa = first; pa !== 0n; index++) {
      const here = site.inBlock(index);
      const earlier = index === 0 ? -1 : loop.again(pa, index);
      if (earlier >= 0) throw chainLoops(here, pa, earlier);
      const top = this.memory.slice(pa, header.size, here);
      // Views of their own (no moving one): the header is read again after its entries.
      const values = this.decode({ codec: this.layout.codec(header.name) }, top.bytes, top.offset, here, -1);
      const count = this.fieldCount(values, target.count, header, here);
      const order = Number(values[target.order]);
      const blockBytes = this.layout.blockBytes(target.block, values);
      const capacity = Math.floor((blockBytes - header.size) / entry.size);
      if (count > capacity) throw here.error(`count ${count} is more than the ${capacity} entries of struct ${entry.name} a block of ${blockBytes} bytes holds`);
      if (order + pageShift > 63) throw here.error(`order ${order}: page groups of 2^${order + pageShift} bytes are past the 64-bit physical address space`);
      const n = Number(count);
      const block = context.read(pa, header.size + n * entry.size, chunkShape, here);
      const shift = BigInt(pageShift + order);
      for (let i = 0; i < n; i++) {
        const place = here.place().entry(i);
        const value = this.decode(this.reader(entry.name), block.bytes, block.offset + header.size + i * entry.size, here, i);
        const start = value[target.start];
        const bitmap = value[target.bitmap];
        if (typeof start !== 'bigint' || typeof bitmap !== 'bigint') throw place.error(`${entry.name}.${target.start} and .${target.bitmap} must be u64 addresses`);
        if (bitmap === 0n) throw place.then(target.bitmap).error('is 0, but must point at a page of bits');
        const page = context.read(bitmap, bits.size, bitsShape, Site.at(place.then(target.bitmap)));
        const view = new DataView(page.bytes.buffer, page.bytes.byteOffset, page.bytes.byteLength);
        const le = context.littleEndian;
        for (let w = 0; w < words; w++) {
          const at = page.offset + field.offset + w * 8;
          for (const [half, low] of [[le ? 0 : 4, 0], [le ? 4 : 0, 32]] as const) {
            const set = view.getUint32(at + half, le);
            if (set !== 0) setBits(set, w * 64 + low, (bit, groups) => runs.add(start + (BigInt(bit) << shift), groups, order, place));
          }
        }
      }
      pa = this.nextAddress(values[target.next], here);
    }
    return this.ranges(runs.done(site.place()));
  }

  // ---------------------------------------------------------------------------------------------
  // Page-list areas

  /**
   * A page-list descriptor (`descriptor`, a field of `owner`) and the `entry[count]` its area holds:
   * its chunks read in turn (a loop is an error), every page group they list counted against the
   * descriptor's page total, then the entries read from the groups in order. The descriptor is
   * returned with its first-chunk address replaced by the entries (null for no chunk).
   */
  private area(area: AreaModel, descriptor: RawStruct, step: PointerStep, bytes: Uint8Array, base: number, site: Site): RawStruct {
    const list = area.list;
    const place = site.place();
    const first = descriptor[list.first];
    if (typeof first !== 'bigint') throw place.then(list.first).error(`holds ${String(first)}, not a u64 physical address`);
    const count = BigInt(this.ownerCount(step, bytes, base, site));
    const order = Number(descriptor[list.order]);
    const totalPages = BigInt(descriptor[list.totalPages] as number | bigint);
    if (first === 0n) {
      if (count !== 0n) throw place.error(`no chunk, so the area is empty, but ${area.count} says ${count} entries`);
      if (totalPages !== 0n) throw place.error(`no chunk, so the area is empty, but ${list.totalPages} says ${totalPages} pages`);
      return this.visitor ? descriptor : { ...descriptor, [list.first]: null };
    }
    const pageShift = Math.log2(this.context.pageSize);
    if (order + pageShift > MAX_GROUP_SHIFT) throw place.then(list.order).error(`order ${order} makes page groups of 2^${order + pageShift} bytes, more than any vmalloc area`);
    const groupPages = 1n << BigInt(order);
    const groups = this.chunks(list, first, totalPages, groupPages, place);
    const listed = BigInt(groups.length) * groupPages;
    if (listed !== totalPages) throw place.error(`the chunks list ${listed} pages (${groups.length} groups of ${groupPages}) but ${list.totalPages} says ${totalPages}`);
    const plan = this.plan({ shape: 'struct', struct: area.entry });
    const entrySize = plan.struct.size;
    const groupBytes = this.context.pageSize * 2 ** order;
    if (count * BigInt(entrySize) > totalPages * BigInt(this.context.pageSize)) {
      throw place.error(`${area.count} says ${count} entries of struct ${area.entry} (${entrySize} bytes each), more than the area's ${totalPages} pages hold`);
    }
    const entries = this.areaEntries(plan, groups, Number(count), groupBytes, place);
    return this.visitor ? descriptor : { ...descriptor, [list.first]: entries };
  }

  /** The page groups a chain of chunks lists, in order; never more than `totalPages` pages of them. */
  private chunks(list: AreaModel['list'], first: bigint, totalPages: bigint, groupPages: bigint, place: Place): Address[] {
    const chunk = this.layout.struct(list.chunk);
    const shape = this.context.shapeOf(chunk.name);
    // The page addresses and the link are read from the bytes as numbers (bigints only past 2^53),
    // not through a decoded chunk: a chunk lists hundreds of addresses, most of them 0 past the last one used.
    const pagesField = chunk.fields.find((f) => f.name === list.pages)!;
    const nextAt = this.unsignedAtPath(chunk, list.next);
    const slots = pagesField.type.kind === 'array' ? pagesField.type.length : 0;
    const le = this.context.littleEndian;
    const groupsAllowed = totalPages / groupPages;
    const maxGroups = groupsAllowed > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(groupsAllowed);
    const groups: Address[] = [];
    const loop = new LoopCheck(first);
    for (let index = 0, pa = first; pa !== 0n; index++) {
      const here = place.then(`chunk ${index}`);
      const earlier = index === 0 ? -1 : loop.again(pa, index);
      if (earlier >= 0) throw here.error(`${hex(pa)} is chunk ${earlier} again: the chunk list loops`);
      const site = Site.at(here);
      const slice = this.context.read(pa, chunk.size, shape, site);
      const view = dataView(slice.bytes);
      for (let i = 0, at = slice.offset + pagesField.offset; i < slots; i++, at += 8) {
        const address = readUnsigned(view, at, 8, le);
        if (address === 0) break;
        if (groups.length >= maxGroups) throw here.error(`lists more page groups than the area's ${totalPages} pages`);
        groups.push(address);
      }
      pa = BigInt(readUnsigned(view, slice.offset + nextAt.offset, nextAt.size, le));
    }
    return groups;
  }

  /** Where the unsigned field at `path` (through nested structs) sits in `struct` (the model has checked it is one). */
  private unsignedAtPath(struct: StructModel, path: readonly string[]): UnsignedAt {
    let fields = struct.fields;
    let offset = 0;
    let size = 0;
    for (const name of path) {
      const field = fields.find((f) => f.name === name);
      if (!field) throw new Error(`struct ${struct.name} has no field ${path.join('.')}`);
      offset += field.offset;
      size = field.size;
      fields = field.type.kind === 'aggregate' ? this.layout.struct(field.type.name).fields : field.type.kind === 'inline' ? field.type.fields : [];
    }
    return { offset, size };
  }

  /** `count` entries laid end to end over the page groups; one block per group read, as far as the entries go. */
  private areaEntries(plan: TargetPlan, groups: readonly Address[], count: number, groupBytes: number, place: Place): StructValue[] {
    const size = plan.struct.size;
    if (size > groupBytes) throw place.error(`struct ${plan.struct.name} (${size} bytes) is larger than a page group (${groupBytes} bytes)`);
    const kept: StructValue[] = [];
    const keep = (values: StructValue[]) => {
      if (values !== NOT_KEPT) for (const value of values) kept.push(value);
    };
    const bytes = count * size;
    const shape = this.context.entriesShape(plan.struct.name);
    for (let g = 0, entry = 0; g * groupBytes < bytes; g++) {
      const start = g * groupBytes;
      const end = Math.min(start + groupBytes, bytes);
      const site = Site.at(place.then(`page group ${g}`));
      const slice = this.memory.slice(groups[g]!, end - start, site);
      // The entries that end in this group, read where they are; then one that runs on into the next.
      const whole = Math.floor(end / size) - entry;
      this.context.record(site, groups[g]!, slice.address, end - start, shape, whole);
      keep(this.entriesAt(plan, slice.bytes, slice.offset + entry * size - start, whole, entry, site));
      entry += whole;
      if (entry < count && entry * size < end) {
        const split = new Uint8Array(size);
        const head = end - entry * size;
        split.set(slice.bytes.subarray(slice.offset + entry * size - start, slice.offset + end - start));
        const tail = this.memory.slice(groups[g + 1]!, size - head, site);
        split.set(tail.bytes.subarray(tail.offset, tail.offset + size - head), head);
        keep(this.entriesAt(plan, split, 0, 1, entry, site));
        entry++;
      }
    }
    return kept;
  }

  // ---------------------------------------------------------------------------------------------
  // Structs

  /**
   * A struct with its pointers followed: entry `index` of the block found at `site`, or (index -1)
   * the struct at `site` itself. The visitor sees it first, as read (pointers as addresses).
   */
  private struct(plan: TargetPlan, bytes: Uint8Array, offset: number, site: Site, index: number): StructValue {
    const values = this.decode(plan.reader, bytes, offset, site, index);
    this.context.structs++;
    this.visit(plan.struct.name, values, site, index);
    if (this.visitor) {
      if (plan.visitSteps) this.visitPointers(plan.visitSteps, plan, bytes, offset, site, index);
    } else if (plan.pointers) {
      this.resolve(plan.pointers, values, bytes, offset, site, index);
    }
    return values as StructValue;
  }

  /**
   * One struct, as the walk hands it on: decoded into a plain object when the state is kept
   * (decodeImage replaces its pointers with what they point at), a zero-copy view over the bytes
   * when it is only visited (walkImage). The one place that chooses. It is entry `index` of the
   * block found at `site`, or (index -1) the struct at `site` itself, which is where a CodecError is
   * reported.
   */
  private decode(reader: StructReader, bytes: Uint8Array, offset: number, site: Site, index: number): RawStruct {
    try {
      return this.visitor ? this.view(reader, bytes, offset) : reader.codec.decode(bytes, offset, this.context.codecOptions);
    } catch (error) {
      throw codecErrorAt(error, site, index);
    }
  }

  /** A view of the struct at `bytes[offset..]`: the reader's moving one, moved there, when views are transient. */
  private view(reader: StructReader, bytes: Uint8Array, offset: number): RawStruct {
    if (!this.transientViews) return reader.codec.view(bytes, offset, this.context.codecOptions);
    const moving = reader.moving;
    if (moving === undefined) return (reader.moving = reader.codec.view(bytes, offset, this.context.codecOptions));
    reader.codec.move(moving, bytes, offset);
    return moving;
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

  /**
   * Follow every pointer of the struct at `bytes[base..]`, entry `index` of the block found at `site`
   * (-1: the struct at `site`): its addresses and counts read from the bytes at offsets the steps
   * hold. Decoding, each pointer in `values` (the decoded struct) is replaced by what it points at;
   * visiting (`values` is the view), the struct stays as the visitor saw it.
   */
  private resolve(pointers: readonly PointerStep[], values: RawStruct, bytes: Uint8Array, base: number, site: Site, index: number): void {
    for (const step of pointers) {
      const field = step.field;
      // Visiting, only what the walk cannot read from the bytes is taken from the view: a view would
      // make a bigint for an address, and a nested view for a nested struct.
      const value = this.visitor && !step.needsValue ? undefined : values[field.name];
      const resolved = this.resolveValue(step, field.type, value, bytes, base, base + field.offset, site, index, step.path);
      if (!this.visitor) values[field.name] = resolved;
    }
  }

  /**
   * What `value` (of `type`, at `bytes[at..]`: `step`'s field or an element of it, in the struct at
   * `bytes[base..]`) becomes once its pointers are followed.
   */
  private resolveValue(step: PointerStep, type: FieldType, value: unknown, bytes: Uint8Array, base: number, at: number, site: Site, index: number, path: string): unknown {
    switch (type.kind) {
      case 'pointer':
        if (type.target.shape === 'selected') return this.selected(step, at, value, bytes, base, site, index, path);
        return this.follow(type, readUnsigned(dataView(bytes), at, 8, this.context.littleEndian), this.entrySite(site, index, path), step, bytes, base);
      case 'aggregate':
        if (step.field.holds) return this.area(step.field.holds, value as RawStruct, step, bytes, base, this.entrySite(site, index, path));
        this.resolve(step.nested!, value as RawStruct, bytes, at, site, index);
        return value;
      case 'array': {
        const stride = typeLayout(type.element, (name) => this.layout.struct(name)).size;
        // The element's nested steps, where it is a struct, have paths without the index: rebuilt here.
        return (value as unknown[]).map((element, i) =>
          type.element.kind === 'aggregate'
            ? (this.resolve(this.pointerSteps(this.layout.struct(type.element.name), `${path}[${i}]`)!, element as RawStruct, bytes, at + i * stride, site, index), element)
            : this.resolveValue(step, type.element, element, bytes, base, at + i * stride, site, index, `${path}[${i}]`),
        );
      }
      default:
        return value;
    }
  }

  /**
   * Where a pointer of entry `index` of the block found at `site` (-1: of the struct at `site`) is
   * found: `block -> entry index -> path`. Made only for a pointer that is followed; the block's
   * Place is made once for all its entries.
   */
  private entrySite(site: Site, index: number, path: string): Site {
    return new Site(this.blockPlace(site), index, path, -1);
  }

  /** The place of the block found at `site`, made once for all its entries. */
  blockPlace(site: Site): Place {
    // Compared by parts: the compiled loops make a Site for each call that needs one (entry-loop.ts).
    const last = this.lastBlockSite;
    if (last === undefined || site.anchor !== last.anchor || site.entry !== last.entry || site.field !== last.field || site.block !== last.block) {
      this.lastBlockSite = site;
      this.lastBlockPlace = site.place();
    }
    return this.lastBlockPlace!;
  }

  private lastBlockSite: Site | undefined;
  private lastBlockPlace: Place | undefined;

  // ---------------------------------------------------------------------------------------------
  // Plans: what reading a target or resolving a struct takes, worked out once, so that reading a
  // million entries looks nothing up by name.

  private readonly plans = new Map<PlannedTarget | string, TargetPlan>();
  private readonly readers = new Map<string, StructReader>();

  /** The reader of `struct`, one for all its plans: with transient views, one view per struct type. */
  private reader(struct: string): StructReader {
    let reader = this.readers.get(struct);
    if (!reader) this.readers.set(struct, (reader = { codec: this.layout.codec(struct) }));
    return reader;
  }
  private readonly steps = new Map<string, readonly PointerStep[] | undefined>();

  /**
   * What the loop of `struct`'s entries is compiled for. The chains its steps lead to that are
   * planned by now (not one still being planned: a chain of its own entries) are written into it,
   * up to NESTED_CHAINS deep.
   */
  private entriesKind(struct: StructModel, steps: readonly VisitStep[] | undefined): EntriesKind {
    const chains = (steps ?? []).map((step) => (step.chain && chainDepth(step.chain.kind.entries) < NESTED_CHAINS ? step.chain.kind : undefined));
    return {
      struct,
      kinds: (steps ?? []).map((s) => s.kind),
      transientViews: this.transientViews,
      littleEndian: this.context.littleEndian,
      ...(chains.some((chain) => chain !== undefined) ? { chains } : {}),
    };
  }

  private plan(target: PlannedTarget): TargetPlan {
    // A struct target made here (an area's entry) is planned by name, the model's by identity.
    const key = target.shape === 'struct' ? target.struct : target;
    let plan = this.plans.get(key);
    if (!plan) {
      const struct = this.layout.struct(target.shape === 'struct' ? target.struct : target.entry);
      const shape: BlockShape =
        target.shape === 'struct'
          ? { struct: struct.name }
          : { ...(target.shape === 'array' ? {} : { header: target.header }), entry: { struct: struct.name, offset: this.layout.headerSize(target) } };
      const header = target.shape === 'header-array' || target.shape === 'chain' ? this.layout.struct(target.header) : undefined;
      const steps = this.pointerSteps(struct, struct.name);
      // Only a visiting walk follows them so (each selected address with a memo of its own).
      const visiting = this.visitor && steps ? visitSteps(steps, 0) : undefined;
      plan = {
        struct,
        reader: this.reader(struct.name),
        shape: this.context.table.shapeId(shape),
        pointers: steps,
        visitSteps: visiting,
        loop: this.visitor ? entryLoop(this.entriesKind(struct, visiting)) : undefined,
        ...(header && (target.shape === 'header-array' || target.shape === 'chain')
          ? {
              header: {
                struct: header,
                reader: this.reader(header.name),
                count: this.unsignedAtPath(header, [target.count]),
                next: target.shape === 'chain' ? this.unsignedAtPath(header, [target.next]) : undefined,
              },
            }
          : {}),
      };
      this.plans.set(key, plan);
      // The chains its entries lead to, planned now (the plan is in the map: a chain of its own
      // entries finds it), so that an entry loop never meets a step with its chain not yet planned:
      // a path taken once per walk, which the JIT would compile as a way out of its code.
      for (const step of visiting ?? []) {
        const type = step.step.field.type;
        if (step.kind === 'follow' && type.kind === 'pointer' && this.followsAsChain(type, step.step)) step.chain = this.chainPlan(type.target as ChainTarget, step.step);
      }
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
            const nested = field.type.kind === 'aggregate' && !field.holds ? this.pointerSteps(this.layout.struct(field.type.name), fieldPath) : undefined;
            const needsValue = field.holds !== undefined || field.type.kind === 'array' || (nested?.some((step) => step.needsValue) ?? false);
            return { field, owner: struct, path: fieldPath, needsValue, ...(nested ? { nested } : {}), ...this.besidePointer(struct, field, path) };
          });
    this.steps.set(path, steps);
    return steps;
  }

  /** What the walk reads beside `field` of `struct` (read at `path`): the count of its entries, the string naming its handler. */
  private besidePointer(struct: StructModel, field: StructModel['fields'][number], path: string): Pick<PointerStep, 'count' | 'selector' | 'handlers'> {
    if (field.holds) return { count: this.unsignedAtPath(struct, [field.holds.count]) };
    let type = field.type;
    while (type.kind === 'array') type = type.element;
    if (type.kind !== 'pointer') return {};
    const target = type.target;
    if (target.shape === 'array') return { count: this.unsignedAtPath(struct, [target.count]) };
    if (target.shape === 'chain' && target.total !== undefined) return { count: this.unsignedAtPath(struct, [target.total]) };
    if (target.shape !== 'selected') return {};
    const selector = struct.fields.find((f) => f.name === target.selector)!;
    const length = selector.type.kind === 'chars' ? selector.type.length : 0;
    // Every string a handler of this field is reached by, each naming the handler handlerFor picks for it.
    const family = this.context.family;
    const names = new Set(family.flatMap((v) => (v.container?.kind === 'reached-from' ? [v.container.compatible.value] : [])));
    // A name too long to sit in the field with its NUL names nothing the field can hold.
    const handlers = [...names].flatMap((name): Handler[] => {
      const version = handlerFor(family, struct, field.name, name);
      const bytes = UTF8.encode(name);
      return version && bytes.length < length ? [{ name: bytes, version, via: `${path}.${field.name} -> ${version.name}` }] : [];
    });
    return { selector: { offset: selector.offset, length, path: `${path}.${selector.name}` }, handlers };
  }
}

/**
 * `steps` (of a struct at `base` from the entry's start) as a visiting walk follows them: a nested
 * struct's pointers in its place, unless one of them needs a value read (then the nested struct is
 * read whole, as decoding does).
 */
function visitSteps(steps: readonly PointerStep[], base: number): VisitStep[] {
  return steps.flatMap((step): VisitStep[] => {
    const at = base + step.field.offset;
    const type = step.field.type;
    if (step.nested && !step.needsValue) return visitSteps(step.nested, at);
    if (type.kind === 'pointer' && !step.field.holds) {
      if (type.target.shape === 'selected') return [{ kind: 'selected', step, at, base, memo: new SelectorMemo(step.selector!.length) }];
      return [{ kind: 'follow', step, at, base }];
    }
    return [{ kind: 'value', step, at, base }];
  });
}

/** The anchor of a node's property: its path, after the place its FDT was found at, if any. */
function anchor(prefix: Place | undefined, where: string): Place {
  return prefix ? prefix.then(where) : Place.at(where);
}

/** Reading another version's FDT or string: its errors, at the place that led there. */
function nested<T>(site: Site, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ImageError) throw new ImageError(`${site} -> ${error.where}`, error.problem);
    if (error instanceof FdtError) throw site.error(`the client's FDT: ${error.message}`);
    throw error;
  }
}

function chainLoops(here: Site, pa: Address, earlier: number): ImageError {
  return here.error(`${hex(pa)} is block ${earlier} again: the chain loops`);
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
    case 'radix-tree':
      return `the root of a radix tree of struct ${target.node}`;
    case 'bitmap-chunks':
      return `a chain of struct ${target.header} blocks of bitmaps`;
    case 'client':
      return 'the state of a KHO client';
  }
}
