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
import type { AreaModel, FieldModel, NodeModel, PointerModel, StructModel, TypeInfo } from '../model/index.ts';
import { valueMembers } from '../codec/source.ts';
import type { VersionModel } from '../model/index.ts';
import { imageCodecsFor } from './codecs.ts';
import { startWalk, walkImage, type DecodeOptions, type ImageSource } from './decode.ts';
import { nodePath, readRawU64, readString, requireProperty } from './fdt-values.ts';
import { DEFAULT_PAGE_SIZE, VersionLayout } from './layout.ts';
import type { PhysicalMemory } from './memory.ts';
import { isMapTarget, type PreservedRange } from './preserved.ts';
import { nodeChildren } from './select.ts';
import type { ImageState, PreservedCheck, StructValue } from './state.ts';
import type { ImageVisitor, WalkNote, WalkSummary } from './walk.ts';

/** The members a struct's value has (anonymous unions and structs flattened), worked out once per field list: a stream reads them for every struct. */
const members = new WeakMap<readonly FieldModel[], ReturnType<typeof valueMembers>>();
function membersOf(fields: readonly FieldModel[]): ReturnType<typeof valueMembers> {
  let found = members.get(fields);
  if (!found) members.set(fields, (found = valueMembers(fields)));
  return found;
}

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

/** A state in memory (and what the walk found outside the preserved memory), as the same values a walk gives. */
export function emitState(state: ImageState, sink: ValueSink, preserved?: PreservedCheck): void {
  sink.open(undefined, 'object');
  sink.value('version', state.version);
  if ('entry' in state) emitValue(sink, 'entry', state.entry);
  else emitValue(sink, 'root', state.root);
  if (preserved) emitWarnings(sink, preserved);
  sink.close('object');
  sink.end();
}

/** The blocks outside the preserved memory: `warnings`, each with its path, and how many more were not listed. */
function emitWarnings(sink: ValueSink, preserved: PreservedCheck): void {
  sink.open('warnings', 'array', preserved.warnings.length);
  preserved.warnings.forEach((warning, i) => {
    sink.open(i, 'object');
    sink.value('path', warning.place.toString());
    sink.value('what', warning.what);
    sink.value('pa', warning.pa);
    sink.value('size', warning.size);
    sink.value('problem', 'not in the preserved memory: the next kernel would not get it back');
    sink.close('object');
  });
  sink.close('array');
  if (preserved.total > preserved.warnings.length) sink.value('warnings_omitted', preserved.total - preserved.warnings.length);
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

/** Each struct the walk visits and each note it makes, in order; the reader asks for the next one with `yield`. */
type Reader = Generator<void, void, StructValue | WalkNote>;

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
  const chains = sink.lengths ? new ChainLengths() : undefined;
  const readerOf = (to: ValueSink, preserved?: PreservedCheck) => {
    const readers = new Readers(options.pageSize ?? DEFAULT_PAGE_SIZE, to, options.littleEndian ?? true, chains);
    const reader = readers.of(version).state(root, preserved);
    reader.next();
    return reader;
  };
  const visiting = (reader: Reader): ImageVisitor => ({ struct: (_name, value) => void reader.next(value), note: (note) => void reader.next(note) });
  const summary = walkImage(versions, source, memory, chains ? visiting(readerOf(NO_SINK)) : { struct() {} }, options);
  chains?.rewind();
  const reader = readerOf(sink, summary.preserved);
  walkImage(versions, source, memory, visiting(reader), options);
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

/** One reader per version of a walk, all writing to one sink: a client's or a handler's state is another version's. */
class Readers {
  private readonly readers = new Map<VersionModel, VisitReader>();

  constructor(
    private readonly pageSize: number,
    private readonly sink: ValueSink,
    private readonly littleEndian: boolean,
    private readonly chains: ChainLengths | undefined,
  ) {}

  of(version: VersionModel): VisitReader {
    let reader = this.readers.get(version);
    if (!reader) {
      reader = new VisitReader(new VersionLayout(version, imageCodecsFor(version), this.pageSize), this.sink, this.littleEndian, this, this.chains);
      this.readers.set(version, reader);
    }
    return reader;
  }
}

/** The next visit, which the walk order says is a note. */
function asNote(visit: StructValue | WalkNote): WalkNote {
  return visit as WalkNote;
}

/** The next visit, which the walk order says is a struct. */
function asStruct(visit: StructValue | WalkNote): StructValue {
  return visit as StructValue;
}

class VisitReader {
  private readonly fieldModels = new Map<string, Map<string, FieldModel>>();

  constructor(
    private readonly layout: VersionLayout,
    private readonly sink: ValueSink,
    private readonly littleEndian: boolean,
    private readonly readers: Readers,
    private readonly chains?: ChainLengths,
  ) {}

  /** The state of an FDT with this root, or (no root) of the raw struct a KHO entry holds; then the warnings, if any. */
  *state(root: FdtNodeData | undefined, preserved: PreservedCheck | undefined): Reader {
    yield* this.versionState(undefined, root, 0n, preserved);
    this.sink.end();
  }

  /**
   * `{ version, root | entry }`: an FDT's root, a raw KHO entry's struct, or what a handler's address
   * (`pa`) leads to.
   */
  private *versionState(key: string | undefined, root: FdtNodeData | undefined, pa: unknown, preserved?: PreservedCheck): Reader {
    const version = this.layout.version;
    this.sink.open(key, 'object');
    this.sink.value('version', version.name);
    const container = version.container;
    if (container?.kind === 'fdt') {
      yield* this.node('root', container.root, root!);
    } else if (container?.kind === 'kho-entry') {
      yield* this.struct('entry', this.layout.struct(container.struct), asStruct(yield));
    } else if (container?.kind === 'reached-from') {
      yield* this.pointer('entry', { nullable: false, form: 'u64', target: container.target }, pa, undefined);
    }
    if (preserved) emitWarnings(this.sink, preserved);
    this.sink.close('object');
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
    // A handler's or a client's state: the walk says which version it is, or that the schema does not know it.
    if (target.shape === 'selected' || target.shape === 'client') {
      const note = asNote(yield);
      if (note.kind !== 'state' || !note.version) this.sink.value(key, pa as bigint);
      else yield* this.readers.of(note.version).versionState(String(key), note.root, pa);
      return;
    }
    // A map's ranges, as the walk read them (none for a map at 0 that may be 0; one that may not is the walk's error).
    if (isMapTarget(target)) {
      const note = asNote(yield);
      this.ranges(key, note.kind === 'ranges' ? note.ranges : []);
      return;
    }
    if (pa === 0n) {
      this.sink.value(key, null);
      return;
    }
    if (target.shape === 'struct') {
      yield* this.struct(key, this.layout.struct(target.struct), asStruct(yield));
      return;
    }
    const entry = this.layout.struct(target.entry);
    if (target.shape === 'array') {
      const count = Number(owner![target.count]);
      this.sink.open(key, 'array', count);
      yield* this.entries(entry, count, 0);
    } else if (target.shape === 'header-array') {
      const header = asStruct(yield);
      const count = Number(header[target.count]);
      this.sink.open(key, 'array', count);
      yield* this.entries(entry, count, 0);
    } else {
      const chains = this.chains;
      const slot = chains && !chains.replaying ? chains.start() : -1;
      this.sink.open(key, 'array', chains?.replaying ? chains.next() : undefined);
      let first = 0;
      for (;;) {
        const header = asStruct(yield);
        const count = Number(header[target.count]);
        yield* this.entries(entry, count, first);
        first += count;
        if (header[target.next] === 0n) break;
      }
      if (slot >= 0) chains!.set(slot, first);
    }
    this.sink.close('array');
  }

  private ranges(key: SinkKey, ranges: readonly PreservedRange[]): void {
    this.sink.open(key, 'array', ranges.length);
    ranges.forEach((range, i) => {
      this.sink.open(i, 'object');
      this.sink.value('start', range.start);
      this.sink.value('size', range.size);
      this.sink.value('order', range.order);
      this.sink.close('object');
    });
    this.sink.close('array');
  }

  /** A page-list descriptor, its first-chunk address replaced by the area's entries (the count beside it in `owner`). */
  private *area(key: SinkKey, area: AreaModel, descriptor: StructValue, owner: StructValue): Reader {
    const struct = this.layout.struct(area.list.descriptor);
    this.sink.open(key, 'object');
    for (const { name, field } of membersOf(struct.fields)) {
      if (name !== area.list.first) {
        this.typed(name, field.type, descriptor[name]);
      } else if (descriptor[name] === 0n) {
        this.sink.value(name, null);
      } else {
        const count = Number(owner[area.count]);
        this.sink.open(name, 'array', count);
        yield* this.entries(this.layout.struct(area.entry), count, 0);
        this.sink.close('array');
      }
    }
    this.sink.close('object');
  }

  private *entries(struct: StructModel, count: number, first: number): Reader {
    const plain = !this.layout.hasPointers(struct.name);
    for (let i = 0; i < count; i++) {
      const value = asStruct(yield);
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
    const fields = this.pointerFieldsOf(struct);
    this.sink.open(key, 'object');
    for (const { name, field } of membersOf(struct.fields)) {
      const pointing = fields.get(name);
      if (pointing?.holds) yield* this.area(name, pointing.holds, value[name] as StructValue, value);
      else if (pointing) yield* this.field(name, pointing.type, value[name], value);
      else this.typed(name, field.type, value[name]);
    }
    this.sink.close('object');
  }

  /** A value with no pointer to follow, its members in the model's order. */
  private plain(key: SinkKey, fields: readonly FieldModel[], value: unknown): void {
    this.sink.open(key, 'object');
    for (const { name, field } of membersOf(fields)) this.typed(name, field.type, (value as Record<string, unknown>)[name]);
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
  private pointerFieldsOf(struct: StructModel): Map<string, FieldModel> {
    let fields = this.fieldModels.get(struct.name);
    if (!fields) {
      fields = new Map(this.layout.pointerFields(struct.name).map((f) => [f.name, f]));
      this.fieldModels.set(struct.name, fields);
    }
    return fields;
  }
}
