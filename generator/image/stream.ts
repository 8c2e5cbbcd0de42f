/**
 * The decoded state as a stream of values, for writers that print it as it comes (JSON, the tree):
 * from a state in memory (emitState), or straight from the walk (streamImage), which keeps nothing
 * of what it has written, so that printing an image of ten million sessions costs what walking it
 * costs, not the memory of its state or of its text.
 *
 * streamImage walks twice: once with every check and nothing written (so that a bad image prints
 * nothing on stdout: an overlap is only known at the end), then again, writing each struct as the
 * walker hands it over. A writer that wants each array's length up front (the tree's `N entries`)
 * has the first walk count the entries of every chain, one number per chain, kept off the heap. The second walk is followed by a model-driven reader of the walk's visits:
 * the walk order is the model's (a struct, then what its pointers lead to, depth first, in field
 * order), so the reader knows at each visit which place of the state it fills.
 */
import type { FdtNodeData } from '../fdt/index.ts';
import type { FieldModel, NodeModel, PointerModel, StructModel, TypeInfo } from '../model/index.ts';
import { valueMembers } from '../codec/source.ts';
import type { VersionModel } from '../model/index.ts';
import { codecsFor } from './codecs.ts';
import { startWalk, walkImage, type DecodeOptions, type ImageSource } from './decode.ts';
import { nodePath, readRawU64, readString, requireProperty } from './fdt-values.ts';
import { DEFAULT_PAGE_SIZE, VersionLayout } from './layout.ts';
import type { PhysicalMemory } from './memory.ts';
import { fdtOf, nodeChildren } from './select.ts';
import type { ImageState, StructValue } from './state.ts';
import type { ImageVisitor, WalkSummary } from './walk.ts';

/** A member's key in its object, an element's index in its array; undefined for the top value. */
export type SinkKey = string | number | undefined;

/** What a writer of the state receives: containers opened and closed, and the values in them, in order. */
export interface ValueSink {
  /** Whether the writer wants each array's length when it opens (the tree prints `N entries`). */
  readonly lengths?: boolean;
  /** `length`: the array's, when known (always, for a writer that asks for lengths). */
  open(key: SinkKey, kind: 'object' | 'array', length?: number): void;
  close(kind: 'object' | 'array'): void;
  value(key: SinkKey, value: string | number | bigint | null): void;
  /** After the top value. */
  end(): void;
}

/** A state in memory, as the same values a walk gives. */
export function emitState(state: ImageState, sink: ValueSink): void {
  emitValue(sink, undefined, 'entry' in state ? { version: state.version, entry: state.entry } : { version: state.version, root: state.root });
  sink.end();
}

function emitValue(sink: ValueSink, key: SinkKey, value: unknown): void {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    sink.value(key, value);
  } else if (Array.isArray(value)) {
    sink.open(key, 'array', value.length);
    for (let i = 0; i < value.length; i++) emitValue(sink, i, value[i]);
    sink.close('array');
  } else {
    sink.open(key, 'object');
    for (const name in value as object) emitValue(sink, name, (value as Record<string, unknown>)[name]);
    sink.close('object');
  }
}

/** Each struct the walk visits, in order; the reader asks for the next one with `yield`. */
type Reader = Generator<void, void, StructValue>;

/**
 * Decodes the image into `sink` as the walk goes. Throws an ImageError (or FdtError) for a bad image
 * before the sink receives anything.
 */
export function streamImage(
  versions: readonly VersionModel[],
  source: ImageSource,
  memory: PhysicalMemory,
  sink: ValueSink,
  options: DecodeOptions = {},
): WalkSummary {
  const { version, root } = startWalk(versions, source, memory, options);
  const layout = new VersionLayout(version, codecsFor(version), options.pageSize ?? DEFAULT_PAGE_SIZE);
  const littleEndian = options.littleEndian ?? true;
  const chains = sink.lengths ? new ChainLengths() : undefined;
  const readerOf = (to: ValueSink) => {
    const reader = new VisitReader(layout, to, littleEndian, chains).state(root);
    reader.next();
    return reader;
  };
  let visitor: ImageVisitor = { struct() {} };
  if (chains) {
    const counting = readerOf(NO_SINK);
    visitor = { struct: (_name, value) => void counting.next(value) };
  }
  const summary = walkImage(versions, source, memory, visitor, options);
  chains?.rewind();
  const reader = readerOf(sink);
  walkImage(versions, source, memory, { struct: (_name, value) => void reader.next(value) }, options);
  // The reader ends with the walk; anything else is a bug here, not in the image.
  if (!reader.next().done) throw new Error('the state writer expected more of the walk than it gave');
  return summary;
}

const NO_SINK: ValueSink = { open() {}, close() {}, value() {}, end() {} };

/**
 * The number of entries of each chain, in the order the chains start: recorded by the first walk
 * (a slot taken when a chain starts, filled when it ends, since chains nest), read by the second.
 */
class ChainLengths {
  private lengths = new Float64Array(1024);
  private count = 0;
  private read = -1;

  /** Recording: a slot for a chain that starts now. */
  start(): number {
    if (this.count === this.lengths.length) {
      const bigger = new Float64Array(this.lengths.length * 2);
      bigger.set(this.lengths);
      this.lengths = bigger;
    }
    return this.count++;
  }

  set(slot: number, length: number): void {
    this.lengths[slot] = length;
  }

  rewind(): void {
    this.read = 0;
  }

  /** Replaying: the length of the chain that starts now. */
  next(): number {
    return this.lengths[this.read++]!;
  }

  get replaying(): boolean {
    return this.read >= 0;
  }
}

class VisitReader {
  private readonly fieldTypes = new Map<string, Map<string, TypeInfo>>();

  constructor(
    private readonly layout: VersionLayout,
    private readonly sink: ValueSink,
    private readonly littleEndian: boolean,
    private readonly chains?: ChainLengths,
  ) {}

  /** The state of an FDT with this root, or (no root) of the raw struct a KHO entry holds. */
  *state(root: FdtNodeData | undefined): Reader {
    const version = this.layout.version;
    this.sink.open(undefined, 'object');
    this.sink.value('version', version.name);
    if (root) {
      yield* this.node('root', fdtOf(version).root, root);
    } else {
      const container = version.container as Extract<VersionModel['container'], { kind: 'kho-entry' }>;
      yield* this.struct('entry', this.layout.struct(container.struct), yield);
    }
    this.sink.close('object');
    this.sink.end();
  }

  private *node(key: SinkKey, model: NodeModel, data: FdtNodeData): Reader {
    const sink = this.sink;
    sink.open(key, 'object');
    if (model.compatible) sink.value('compatible', model.compatible.value);
    sink.open('properties', 'object');
    for (const property of model.properties) {
      const where = nodePath(model.path, property.name);
      const raw = requireProperty(data, property.name, where);
      if (property.kind === 'string') sink.value(property.name, readString(raw, where));
      else if (property.kind === 'u64') sink.value(property.name, readRawU64(raw, this.littleEndian, where));
      else yield* this.pointer(property.name, property.pointer!, readRawU64(raw, this.littleEndian, where), undefined);
    }
    sink.close('object');
    sink.open('children', 'object');
    for (const child of nodeChildren(model, data)) yield* this.node(child.name, child.model, child.data);
    sink.close('object');
    sink.close('object');
  }

  /** What a pointer leads to; `owner` is the struct holding it, for a count kept beside it. */
  private *pointer(key: SinkKey, pointer: PointerModel, pa: unknown, owner: StructValue | undefined): Reader {
    const target = pointer.target;
    // As the walk does: a selected address is kept, not followed.
    if (target.shape === 'selected') {
      this.sink.value(key, pa as bigint);
      return;
    }
    if (pa === 0n) {
      this.sink.value(key, null);
      return;
    }
    if (target.shape === 'struct') {
      yield* this.struct(key, this.layout.struct(target.struct), yield);
      return;
    }
    const entry = this.layout.struct(target.entry);
    if (target.shape === 'array') {
      const count = Number(owner![target.count]);
      this.sink.open(key, 'array', count);
      yield* this.entries(entry, count, 0);
    } else if (target.shape === 'header-array') {
      const header = yield;
      const count = Number(header[target.count]);
      this.sink.open(key, 'array', count);
      yield* this.entries(entry, count, 0);
    } else {
      const chains = this.chains;
      const slot = chains && !chains.replaying ? chains.start() : -1;
      this.sink.open(key, 'array', chains?.replaying ? chains.next() : undefined);
      let first = 0;
      for (;;) {
        const header = yield;
        const count = Number(header[target.count]);
        yield* this.entries(entry, count, first);
        first += count;
        if (header[target.next] === 0n) break;
      }
      if (slot >= 0) chains!.set(slot, first);
    }
    this.sink.close('array');
  }

  private *entries(struct: StructModel, count: number, first: number): Reader {
    const plain = !this.layout.hasPointers(struct.name);
    for (let i = 0; i < count; i++) {
      const value = yield;
      if (plain) this.plain(first + i, struct.fields, value);
      else yield* this.struct(first + i, struct, value);
    }
  }

  /**
   * A struct as the walk hands it over (a view: its fields are read here, through the model), each
   * pointer in it replaced by what it leads to.
   */
  private *struct(key: SinkKey, struct: StructModel, value: StructValue): Reader {
    if (!this.layout.hasPointers(struct.name)) {
      this.plain(key, struct.fields, value);
      return;
    }
    const types = this.typesOf(struct);
    this.sink.open(key, 'object');
    for (const { name, field } of valueMembers(struct.fields)) {
      const type = types.get(name);
      if (type) yield* this.field(name, type, value[name], value);
      else this.typed(name, field.type, value[name]);
    }
    this.sink.close('object');
  }

  /** A value with no pointer to follow, its members in the model's order. */
  private plain(key: SinkKey, fields: readonly FieldModel[], value: unknown): void {
    this.sink.open(key, 'object');
    for (const { name, field } of valueMembers(fields)) this.typed(name, field.type, (value as Record<string, unknown>)[name]);
    this.sink.close('object');
  }

  private typed(key: SinkKey, type: TypeInfo, value: unknown): void {
    switch (type.kind) {
      case 'aggregate':
        return this.plain(key, this.layout.struct(type.name).fields, value);
      case 'inline':
        return this.plain(key, type.fields, value);
      case 'array':
      case 'bitmap': {
        const element: TypeInfo = type.kind === 'array' ? type.element : { kind: 'scalar', name: 'u64', size: 8, signed: false };
        const elements = value as readonly unknown[];
        this.sink.open(key, 'array', elements.length);
        for (let i = 0; i < elements.length; i++) this.typed(i, element, elements[i]);
        this.sink.close('array');
        return;
      }
      default:
        this.sink.value(key, value as string | number | bigint | null);
    }
  }

  private *field(key: SinkKey, type: TypeInfo, value: unknown, owner: StructValue): Reader {
    switch (type.kind) {
      case 'pointer':
        return yield* this.pointer(key, type, value, owner);
      case 'aggregate':
        return yield* this.struct(key, this.layout.struct(type.name), value as StructValue);
      case 'inline':
        return this.plain(key, type.fields, value);
      case 'array': {
        const elements = value as readonly unknown[];
        this.sink.open(key, 'array', elements.length);
        for (let i = 0; i < elements.length; i++) yield* this.field(i, type.element, elements[i], owner);
        this.sink.close('array');
        return;
      }
      default:
        this.typed(key, type, value);
    }
  }

  /** The fields of `struct` that lead to a pointer, by name. */
  private typesOf(struct: StructModel): Map<string, TypeInfo> {
    let types = this.fieldTypes.get(struct.name);
    if (!types) {
      types = new Map(this.layout.pointerFields(struct.name).map((f) => [f.name, f.type]));
      this.fieldTypes.set(struct.name, types);
    }
    return types;
  }
}
