/**
 * The state as JSON. Written: 64-bit integers as decimal strings (JSON numbers lose precision past
 * 2^53), everything else as itself. Read: an integer may be a decimal string, a 0x hexadecimal string
 * or a JSON number up to 2^53 (past it, most JSON readers would round it, so it must be a string);
 * counts beside a pointer may be left out. Reading is driven by the model, which says what each place
 * holds; any mistake is an ImageError naming the JSON path (`state.root.properties["x"].sessions_pa[3].name`),
 * and text that is not JSON one naming the line and column.
 *
 * One reader serves both inputs: a JSON value already in memory (stateFromJson) and text read as a
 * stream of chunks (readStateJson), which never holds the text, only the state it builds.
 */
import { Tokenizer, TokenType } from '@streamparser/json';
import {
  type AreaModel,
  derivedFields,
  integerRange,
  isBigintType,
  memberFields,
  type FieldModel,
  type KhoEntryContainerModel,
  type NodeModel,
  type PointerModel,
  type PropertyModel,
  type StructModel,
  type TargetModel,
  type TypeInfo,
  type VersionModel,
} from '../model/index.ts';
import { ImageError } from './errors.ts';
import { fdtOf, khoEntryName } from './select.ts';
import type { ImageState, NodeState } from './state.ts';
import type { SinkKey, ValueSink } from './stream.ts';

export function stateToJson(state: ImageState): string {
  return JSON.stringify(state, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
}

// ---------------------------------------------------------------------------------------------
// Writing, as the walk goes: the same text as stateToJson, given in pieces.

/** Writes what a ValueSink receives as JSON.stringify(state, ..., 2) would. */
export class JsonWriter implements ValueSink {
  /** Per open container: whether nothing is in it yet. */
  private readonly empty: boolean[] = [];
  private indent = '';

  constructor(private readonly write: (text: string) => void) {}

  open(key: SinkKey, kind: 'object' | 'array'): void {
    this.member(key, kind === 'object' ? '{' : '[');
    this.empty.push(true);
    this.indent += '  ';
  }

  close(kind: 'object' | 'array'): void {
    this.indent = this.indent.slice(2);
    const wasEmpty = this.empty.pop();
    this.write(wasEmpty ? (kind === 'object' ? '}' : ']') : `\n${this.indent}${kind === 'object' ? '}' : ']'}`);
  }

  value(key: SinkKey, value: string | number | bigint | null): void {
    this.member(key, typeof value === 'bigint' ? `"${value}"` : JSON.stringify(value));
  }

  end(): void {
    this.write('\n');
  }

  private member(key: SinkKey, text: string): void {
    const depth = this.empty.length;
    if (depth === 0) {
      this.write(text);
      return;
    }
    const first = this.empty[depth - 1]!;
    this.empty[depth - 1] = false;
    this.write(`${first ? '\n' : ',\n'}${this.indent}${typeof key === 'string' ? `${JSON.stringify(key)}: ` : ''}${text}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A JSON number, kept as written so that a large one is reported exactly. */
class JsonNumber {
  constructor(readonly text: string) {}
}

type Scalar = string | JsonNumber | boolean | null;

/** A JSON text as events, from the tokenizer or from a value in memory. */
interface JsonEvents {
  startObject(): void;
  key(name: string): void;
  endObject(): void;
  startArray(): void;
  endArray(): void;
  scalar(value: Scalar): void;
}

/** The state from a JSON value in memory (as JSON.parse gives it). */
export function stateFromJson(versions: readonly VersionModel[], json: unknown): ImageState {
  const reader = new StateReader(versions);
  feedValue(reader, json, true);
  return reader.result();
}

/** The state from JSON text read in chunks: neither the text nor a parsed copy of it is kept. */
export async function readStateJson(versions: readonly VersionModel[], chunks: AsyncIterable<Uint8Array>): Promise<ImageState> {
  const reader = new StateReader(versions);
  const text = new JsonText(reader);
  for await (const chunk of chunks) text.write(chunk);
  text.end();
  return reader.result();
}

function feedValue(events: JsonEvents, value: unknown, top = false): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') events.scalar(value);
  else if (typeof value === 'number' || typeof value === 'bigint') events.scalar(new JsonNumber(String(value)));
  else if (Array.isArray(value)) {
    events.startArray();
    for (const element of value) feedValue(events, element);
    events.endArray();
  } else if (typeof value === 'object') {
    events.startObject();
    // The version says how to read the rest: a value in memory gives it first, whatever its key order.
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (top) entries.sort(([a], [b]) => Number(b === 'version') - Number(a === 'version'));
    for (const [name, member] of entries) {
      events.key(name);
      feedValue(events, member);
    }
    events.endObject();
  } else {
    events.scalar(String(value));
  }
}

const memberPath = (where: string, name: string | number): string =>
  typeof name === 'number' ? `${where}[${name}]` : /^[A-Za-z_]\w*$/.test(name) ? `${where}.${name}` : `${where}[${JSON.stringify(name)}]`;

function describe(value: Scalar): string {
  return value instanceof JsonNumber ? value.text : JSON.stringify(value);
}

/** What a place in the state holds: how to take a scalar there, or open an object or array there. */
interface Spec {
  /** For messages: `must be ${expected}`. */
  readonly expected: string;
  scalar?(value: Scalar, where: () => string): unknown;
  object?(parent: Frame): Frame;
  array?(parent: Frame): Frame;
}

/** An open object or array: where it is, what its next member must be, and what it becomes when closed. */
abstract class Frame {
  constructor(
    readonly parent: Frame | undefined,
    /** Its key in the parent, read when a message needs the path. */
    readonly key: string | number | undefined,
  ) {}

  /** The JSON path, `state.root.properties["luo-abi-header"].sessions_pa[3]`. */
  where(): string {
    return this.parent && !(this.parent instanceof DocumentFrame) ? memberPath(this.parent.where(), this.key!) : 'state';
  }

  /** Where the next member goes. */
  abstract childKey(): string | number;
  abstract child(): Spec;
  abstract add(value: unknown): void;
  abstract end(): unknown;
  setKey(_name: string): void {
    throw new Error('a key in an array');
  }
}

/** What an object's members may be: those a Map names, or (a node's children) any name too. */
interface MemberSpecs {
  get(name: string): Spec | undefined;
  /** The names it knows, for messages and for what is required. */
  keys(): Iterable<string>;
}

/** An object whose members are known by name: each key is checked against `specs`. */
class ObjectFrame extends Frame {
  readonly members: Record<string, unknown> = {};
  private current = '';
  private currentSpec: Spec | undefined;

  constructor(
    parent: Frame,
    key: string | number,
    private readonly specs: MemberSpecs,
    private readonly finish: (frame: ObjectFrame) => unknown,
  ) {
    super(parent, key);
  }

  override setKey(name: string): void {
    const spec = this.specs.get(name);
    if (!spec) throw new ImageError(this.where(), `has "${name}", which is not one of ${[...this.specs.keys()].join(', ') || '(none)'}`);
    if (Object.hasOwn(this.members, name)) throw new ImageError(this.where(), `has "${name}" twice`);
    this.current = name;
    this.currentSpec = spec;
  }

  childKey(): string | number {
    return this.current;
  }

  child(): Spec {
    return this.currentSpec!;
  }

  add(value: unknown): void {
    this.members[this.current] = value;
  }

  end(): unknown {
    return this.finish(this);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.members, name);
  }

  /** `name` (a member of this object, or with `inner` a member of that member) is missing. */
  missing(name: string, inner?: string): ImageError {
    const where = memberPath(this.where(), name);
    return new ImageError(inner === undefined ? where : memberPath(where, inner), 'is missing');
  }
}

/** An array of `element`s: exactly `length` of them where the type fixes it (refused at the first one too many). */
class ArrayFrame extends Frame {
  readonly elements: unknown[] = [];

  constructor(
    parent: Frame,
    key: string | number,
    private readonly element: Spec,
    private readonly length?: number,
  ) {
    super(parent, key);
  }

  childKey(): string | number {
    return this.elements.length;
  }

  child(): Spec {
    if (this.length !== undefined && this.elements.length === this.length) throw this.wrongLength('more');
    return this.element;
  }

  add(value: unknown): void {
    this.elements.push(value);
  }

  end(): unknown {
    if (this.length !== undefined && this.elements.length !== this.length) throw this.wrongLength(String(this.elements.length));
    return this.elements;
  }

  private wrongLength(has: string): ImageError {
    return new ImageError(this.where(), `must be an array of exactly ${this.length} (has ${has})`);
  }
}

/** Outside the top value: holds the state once it is read. */
class DocumentFrame extends Frame {
  value: unknown;
  done = false;

  constructor(private readonly spec: Spec) {
    super(undefined, undefined);
  }

  childKey(): string | number {
    return 0;
  }

  child(): Spec {
    return this.spec;
  }

  add(value: unknown): void {
    this.value = value;
    this.done = true;
  }

  end(): unknown {
    return this.value;
  }

}

/** A value of the wrong kind: a scalar is shown, an object or array is not. */
function mismatch(spec: Spec, where: string, got?: string): ImageError {
  return new ImageError(where, `must be ${spec.expected}${got === undefined ? '' : ` (got ${got})`}`);
}

/** Builds the state from JSON events; the model (picked by `version`) says what each place holds. */
class StateReader implements JsonEvents {
  private readonly document: DocumentFrame;
  private frame: Frame;
  private readonly family: Family;

  constructor(versions: readonly VersionModel[]) {
    this.family = new Family(versions);
    this.document = new DocumentFrame(this.family.state(() => true, 'an object with "version" and "root" (or "entry")', true));
    this.frame = this.document;
  }

  result(): ImageState {
    if (!this.document.done) throw new ImageError('state', 'is empty');
    return this.document.value as ImageState;
  }

  startObject(): void {
    const spec = this.frame.child();
    if (!spec.object) throw mismatch(spec, this.childWhere());
    this.frame = spec.object(this.frame);
  }

  key(name: string): void {
    this.frame.setKey(name);
  }

  endObject(): void {
    this.close();
  }

  startArray(): void {
    const spec = this.frame.child();
    if (!spec.array) throw mismatch(spec, this.childWhere());
    this.frame = spec.array(this.frame);
  }

  endArray(): void {
    this.close();
  }

  scalar(value: Scalar): void {
    const spec = this.frame.child();
    if (!spec.scalar) throw mismatch(spec, this.childWhere(), describe(value));
    this.frame.add(spec.scalar(value, () => this.childWhere()));
  }

  private close(): void {
    const frame = this.frame;
    const value = frame.end();
    this.frame = frame.parent!;
    this.frame.add(value);
  }

  private childWhere(): string {
    return this.frame === this.document ? 'state' : memberPath(this.frame.where(), this.frame.childKey());
  }
}

/**
 * The versions a state may hold (a whole handover holds a client's state, and a handler's, inside
 * another's), each read by its own specs, made when first needed.
 */
class Family {
  private readonly specs = new Map<VersionModel, VersionSpecs>();

  constructor(readonly versions: readonly VersionModel[]) {}

  of(version: VersionModel): VersionSpecs {
    let specs = this.specs.get(version);
    if (!specs) this.specs.set(version, (specs = new VersionSpecs(version, this)));
    return specs;
  }

  /**
   * A state `{ "version", "root" | "entry" }` of a version `allowed` accepts: "version" first, since
   * it says how to read the rest. The top one may also carry the "warnings" decode writes, skipped.
   */
  state(allowed: (version: VersionModel) => boolean, expected: string, top = false): Spec {
    return {
      expected,
      object: (parent) => {
        let specs: VersionSpecs | undefined;
        const versionSpec: Spec = {
          expected: 'the name of a version',
          scalar: (value, where) => {
            const version = this.versions.find((v) => v.name === value && allowed(v));
            if (!version) {
              const known = this.versions.filter(allowed).map((v) => v.name);
              throw new ImageError(where(), `${describe(value)} is not ${top ? 'a version' : 'a version whose state can be here'}; known: ${known.join(', ')}`);
            }
            specs = this.of(version);
            return version.name;
          },
        };
        // An FDT's state is its root node; a raw KHO entry's, the struct the entry holds; a handler's, what its address leads to.
        const topSpec = (member: 'root' | 'entry'): Spec => ({
          expected: member === 'root' ? 'a node' : 'the state the version keeps there',
          object: (frame) => this.member(specs, member, frame, 'object'),
          array: (frame) => this.member(specs, member, frame, 'array'),
        });
        const members = new Map<string, Spec>([
          ['version', versionSpec],
          ['root', topSpec('root')],
          ['entry', topSpec('entry')],
          ...(top ? ([['warnings', ANY], ['warnings_omitted', ANY]] as const) : []),
        ]);
        return new ObjectFrame(parent, parent.childKey(), members, (frame) => {
          if (!frame.has('version')) throw frame.missing('version');
          const member = specs!.version.container?.kind === 'fdt' ? 'root' : 'entry';
          if (!frame.has(member)) throw frame.missing(member);
          return { version: frame.members['version'], [member]: frame.members[member] } as unknown as ImageState;
        });
      },
    };
  }

  private member(specs: VersionSpecs | undefined, member: 'root' | 'entry', frame: Frame, kind: 'object' | 'array'): Frame {
    const where = memberPath(frame.where(), member);
    if (!specs) throw new ImageError(frame.where(), `"version" must come before "${member}" (as \`luo-abi decode\` writes it): it says how to read the rest`);
    const version = specs.version;
    const container = version.container;
    if (container?.kind === 'fdt') {
      if (member === 'entry') throw new ImageError(where, `${version.name} keeps its state in an FDT: give "root"`);
      return enter(specs.node(fdtOf(version).root), frame, kind, where);
    }
    if (member === 'root') throw new ImageError(where, `${version.name} keeps its state ${container?.kind === 'kho-entry' ? 'as a raw KHO entry' : 'where another header\'s address leads'}, not in an FDT: give "entry"`);
    if (container?.kind === 'kho-entry') return enter(specs.entry(container), frame, kind, where);
    if (container?.kind === 'reached-from') return enter(specs.target(container.target), frame, kind, where);
    throw new ImageError(where, `${version.name} hands over no state of its own`);
  }
}

/** A spec's frame for an object or an array, or the mismatch error. */
function enter(spec: Spec, parent: Frame, kind: 'object' | 'array', where: string): Frame {
  const open = kind === 'object' ? spec.object : spec.array;
  if (!open) throw mismatch(spec, where);
  return open(parent);
}

/** Anything, read and dropped: what decode writes beside the state (its warnings). */
const ANY: Spec = {
  expected: 'any value',
  scalar: () => undefined,
  object: (parent) => new ObjectFrame(parent, parent.childKey(), { get: () => ANY, keys: () => [] }, () => undefined),
  array: (parent) => new ArrayFrame(parent, parent.childKey(), ANY),
};

/** The specs of one version's places, each made once. */
class VersionSpecs {
  private readonly structs: Map<string, StructModel>;
  private readonly made = new Map<object, Spec>();

  constructor(
    readonly version: VersionModel,
    private readonly family: Family,
  ) {
    this.structs = new Map(version.visibleStructs.map((s) => [s.name, s]));
  }

  private once(key: object, make: () => Spec): Spec {
    let spec = this.made.get(key);
    if (!spec) {
      spec = make();
      this.made.set(key, spec);
    }
    return spec;
  }

  node(model: NodeModel): Spec {
    return this.once(model, () => {
      const properties = new Map(model.properties.map((p) => [p.name, this.property(p)]));
      const named = model.children.filter((c) => c.anyName === undefined);
      const children = new Map(named.map((c) => [c.name, this.node(c)]));
      // Children named at run time (a KHO client's): any name the model does not use, none required.
      const anyChild = model.children.find((c) => c.anyName !== undefined);
      const anySpec = anyChild && this.node(anyChild);
      const childSpecs: MemberSpecs = anySpec ? { get: (name) => children.get(name) ?? anySpec, keys: () => children.keys() } : children;
      const wanted = model.compatible?.value;
      const compatible: Spec = {
        expected: wanted === undefined ? 'absent (this node has no compatible string)' : `"${wanted}"`,
        scalar: (value, where) => {
          if (value !== wanted) {
            const has = wanted === undefined ? 'has no compatible string at this node' : `has "${wanted}"`;
            throw new ImageError(where(), `is ${describe(value)} but ${this.version.name} ${has}`);
          }
          return value;
        },
      };
      // A client's size is the builder's to work out where it knows the client: it may be left out.
      const sizes = new Set(model.properties.flatMap((p) => (p.pointer?.target.shape === 'client' && p.pointer.target.size ? [p.pointer.target.size] : [])));
      const propertiesSpec = objectOf('an object of properties', properties, sizes);
      const childrenSpec = objectOf('an object of nodes', childSpecs);
      const members = new Map<string, Spec>([
        ['compatible', compatible],
        ['properties', propertiesSpec],
        ['children', childrenSpec],
      ]);
      return {
        expected: 'an object (a node)',
        object: (parent) =>
          new ObjectFrame(parent, parent.childKey(), members, (frame): NodeState => {
            // Left out, a node's properties are all missing (each is named), and its children too.
            if (!frame.has('properties') && model.properties.length > 0) throw frame.missing('properties', model.properties[0]!.name);
            if (!frame.has('children') && named.length > 0) throw frame.missing('children', named[0]!.name);
            return {
              ...(wanted === undefined ? {} : { compatible: wanted }),
              properties: (frame.members['properties'] ?? {}) as NodeState['properties'],
              children: (frame.members['children'] ?? {}) as NodeState['children'],
            };
          }),
      };
    });
  }

  private property(property: PropertyModel): Spec {
    switch (property.kind) {
      case 'string':
        return STRING;
      case 'u64':
        return integerSpec(64, false);
      case 'pointer':
        return this.pointer(property.pointer!);
    }
  }

  private pointer(pointer: PointerModel): Spec {
    return this.once(pointer, () => {
      const target = pointer.target;
      const address = integerSpec(64, false);
      // A handler's or a client's state, or its address where the schema does not know it.
      if (target.shape === 'selected' || target.shape === 'client') {
        const state = this.family.state(
          (v) => (target.shape === 'selected' ? v.container?.kind === 'reached-from' : khoEntryName(v) !== undefined),
          target.shape === 'selected' ? 'an address, or { "version", "entry" } (a handler\'s state)' : 'an address, or a client\'s state { "version", "root" | "entry" }',
        );
        return { ...state, scalar: address.scalar };
      }
      const nullable: Pick<Spec, 'scalar'> = {
        scalar: (value, where) => {
          if (value === null) return null;
          throw new ImageError(where(), `must be ${spec.expected} (got ${describe(value)})`);
        },
      };
      const leads = this.target(target);
      const spec: Spec = { ...leads, ...nullable, expected: `null or ${leads.expected}` };
      return spec;
    });
  }

  /** What an address leads to, where it leads somewhere. */
  target(target: TargetModel): Spec {
    switch (target.shape) {
      case 'struct':
        return { ...this.struct(this.structNamed(target.struct)), expected: `an object (struct ${target.struct})` };
      case 'radix-tree':
      case 'bitmap-chunks':
        return { expected: 'an array of preserved ranges { start, size, order }', array: (parent) => new ArrayFrame(parent, parent.childKey(), RANGE) };
      case 'selected':
      case 'client':
        throw new Error(`${this.version.name}: a ${target.shape} address is read by pointer()`);
      default:
        return { expected: `an array of struct ${target.entry}`, array: (parent) => new ArrayFrame(parent, parent.childKey(), this.struct(this.structNamed(target.entry))) };
    }
  }

  /** The struct a raw KHO entry holds: its compatible field may be left out (encode writes the version's). */
  entry(container: KhoEntryContainerModel): Spec {
    const struct = this.structNamed(container.struct);
    return this.once(container, () =>
      objectOf(`an object (struct ${struct.name})`, this.members(struct.fields), new Set([...optionalMembers(struct.kind, struct.fields), ...derivedFields(struct), ...(container.field ? [container.field] : [])])),
    );
  }

  /** A struct's value; an anonymous member's own members stand in its place. */
  struct(struct: StructModel): Spec {
    return this.once(struct, () =>
      objectOf(`an object (${struct.kind} ${struct.name})`, this.members(struct.fields), new Set([...optionalMembers(struct.kind, struct.fields), ...derivedFields(struct)])),
    );
  }

  private members(fields: readonly FieldModel[]): Map<string, Spec> {
    return new Map(memberFields(fields).filter((f) => f.type.kind !== 'flexible').map((f) => [f.name, f.holds ? this.area(f.holds) : this.type(f.type)]));
  }

  /** A page-list descriptor: its first-chunk address is the entries its area holds (or null); its page total may be left out. */
  private area(area: AreaModel): Spec {
    return this.once(area, () => {
      const descriptor = this.structNamed(area.list.descriptor);
      const entries: Spec = {
        expected: `null or an array of struct ${area.entry}`,
        scalar: (value, where) => {
          if (value === null) return null;
          throw new ImageError(where(), `must be null or an array of struct ${area.entry} (got ${describe(value)})`);
        },
        array: (parent) => new ArrayFrame(parent, parent.childKey(), this.struct(this.structNamed(area.entry))),
      };
      // The chunk the first-chunk field points at links to the next: its own spec would never end.
      const members = new Map([[area.list.first, entries], ...this.members(descriptor.fields.filter((f) => f.name !== area.list.first))]);
      return objectOf(`an object (struct ${descriptor.name}, its ${area.list.first} the area's entries)`, members, new Set([...optionalMembers(descriptor.kind, descriptor.fields), area.list.totalPages]));
    });
  }

  private type(type: TypeInfo): Spec {
    switch (type.kind) {
      case 'scalar':
      case 'bits': {
        const range = integerRange(type)!;
        return integerSpec(range.bits, range.signed, isBigintType(type));
      }
      case 'chars':
        return STRING;
      case 'array': {
        const element = this.type(type.element);
        return { expected: `an array of ${type.length}`, array: (parent) => new ArrayFrame(parent, parent.childKey(), element, type.length) };
      }
      case 'bitmap': {
        const word = integerSpec(64, false);
        return { expected: `an array of ${type.words} unsigned longs`, array: (parent) => new ArrayFrame(parent, parent.childKey(), word, type.words) };
      }
      case 'inline':
        return this.once(type, () => objectOf(`an object (the ${type.aggregate} declared in place)`, this.members(type.fields), optionalMembers(type.aggregate, type.fields)));
      case 'aggregate':
        return this.struct(this.structNamed(type.name));
      case 'pointer':
        return this.pointer(type);
      case 'flexible':
        throw new Error(`${this.version.name}: a flexible array has no value in the state`);
    }
  }

  structNamed(name: string): StructModel {
    const struct = this.structs.get(name);
    if (!struct) throw new Error(`${this.version.name}: no struct ${name}`);
    return struct;
  }
}

/**
 * The members a state may leave out: a union's, and an anonymous union's in a struct (one of them is
 * set, which the encoder checks).
 */
function optionalMembers(kind: 'struct' | 'union', fields: readonly FieldModel[]): Set<string> {
  if (kind === 'union') return new Set(memberFields(fields).map((f) => f.name));
  return new Set(fields.flatMap((f) => (f.anonymous && f.type.kind === 'inline' ? [...optionalMembers(f.type.aggregate, f.type.fields)] : [])));
}

/** An object whose members are `specs`, each required unless `optional` names it. */
function objectOf(expected: string, specs: MemberSpecs, optional: ReadonlySet<string> = new Set()): Spec {
  return {
    expected,
    object: (parent) =>
      new ObjectFrame(parent, parent.childKey(), specs, (frame) => {
        for (const name of specs.keys()) if (!optional.has(name) && !frame.has(name)) throw frame.missing(name);
        return frame.members;
      }),
  };
}

const STRING: Spec = {
  expected: 'a string',
  scalar: (value, where) => {
    if (typeof value !== 'string') throw new ImageError(where(), `must be a string (got ${describe(value)})`);
    return value;
  },
};

const integerSpecs = new Map<string, Spec>();

/** An integer of `bits` bits: a bigint where the codecs take one (64-bit types), else a number. */
function integerSpec(bits: number, signed: boolean, bigint = bits === 64): Spec {
  const name = `${signed ? 's' : 'u'}${bits}${bigint ? 'n' : ''}`;
  let spec = integerSpecs.get(name);
  if (!spec) {
    spec = {
      expected: 'an integer',
      scalar: (value, where) => {
        const integer = readInteger(value, bits, signed, where);
        return bigint ? integer : Number(integer);
      },
    };
    integerSpecs.set(name, spec);
  }
  return spec;
}

/** One preserved range of a memory map: a run of page groups of one order. */
const RANGE: Spec = objectOf(
  'an object { start, size, order }',
  new Map([
    ['start', integerSpec(64, false)],
    ['size', integerSpec(64, false)],
    ['order', integerSpec(8, false, false)],
  ]),
);

const EXACT = 1n << 53n;

function readInteger(value: Scalar, bits: number, signed: boolean, where: () => string): bigint {
  let integer: bigint;
  if (typeof value === 'string' && /^(-?\d+|0[xX][0-9a-fA-F]+)$/.test(value)) {
    integer = BigInt(value);
  } else if (value instanceof JsonNumber && /^-?\d+$/.test(value.text)) {
    integer = BigInt(value.text);
    if (integer > EXACT || integer < -EXACT) {
      throw new ImageError(where(), `${value.text} is a JSON number past 2^53, which JSON readers round; write it as a string: "${value.text}"`);
    }
  } else {
    throw new ImageError(where(), `must be an integer, as a decimal string such as "42" (got ${describe(value)})`);
  }
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (integer < min || integer > max) throw new ImageError(where(), `${integer} is outside ${signed ? 's' : 'u'}${bits} (${min} to ${max})`);
  return integer;
}

// ---------------------------------------------------------------------------------------------
// JSON text, in chunks: @streamparser/json's tokenizer (UTF-8 split across chunks, escapes, the
// number grammar), with the structure checked here and numbers kept as written.

const VALUE = 0;
const KEY_OR_END = 1;
const KEY = 2;
const COLON = 3;
const COMMA_OR_END = 4;
const VALUE_OR_END = 5;
const DONE = 6;

const TOKEN_TEXT: Record<number, string> = {
  [TokenType.LEFT_BRACE]: '"{"',
  [TokenType.RIGHT_BRACE]: '"}"',
  [TokenType.LEFT_BRACKET]: '"["',
  [TokenType.RIGHT_BRACKET]: '"]"',
  [TokenType.COLON]: '":"',
  [TokenType.COMMA]: '","',
};

class NumberKeepingTokenizer extends Tokenizer {
  protected override parseNumber(numberStr: string): number {
    return numberStr as unknown as number;
  }
}

class JsonText {
  private readonly tokenizer = new NumberKeepingTokenizer();
  private state = VALUE;
  /** Per open container: true for an object. */
  private readonly objects: boolean[] = [];
  /** Where the current chunk starts, for line and column in messages. */
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkOffset = 0;
  private linesBefore = 0;

  constructor(private readonly events: JsonEvents) {
    this.tokenizer.onToken = ({ token, value, offset }) => this.token(token, value, offset);
    this.tokenizer.onError = (error) => {
      // The tokenizer passes on what onToken throws: the state's own errors, already precise.
      if (error instanceof ImageError) throw error;
      const at = /absolute position "?(\d+)/.exec(error.message);
      throw this.syntax(at ? Number(at[1]) : undefined, error.message.replace(/ at (chunk )?position .*$/s, '').replace(/^Unexpected/, 'unexpected'));
    };
  }

  write(chunk: Uint8Array): void {
    // The chunk before stays current until now: a number at its end is only read with this one.
    this.linesBefore += countLines(this.chunk, this.chunk.length);
    this.chunkOffset += this.chunk.length;
    this.chunk = chunk;
    this.tokenizer.write(chunk);
  }

  end(): void {
    // A number at the very end is only complete when the tokenizer is told so.
    if (!this.tokenizer.isEnded) this.tokenizer.end();
    if (this.state === VALUE && this.objects.length === 0) throw this.syntax(undefined, 'there is no JSON value');
    if (this.state !== DONE) throw this.syntax(undefined, 'the text ends before the JSON value does');
  }

  private token(token: TokenType, value: unknown, offset: number): void {
    switch (this.state) {
      case KEY_OR_END:
        if (token === TokenType.RIGHT_BRACE) return this.close(offset);
      // falls through
      case KEY:
        if (token !== TokenType.STRING) throw this.unexpected(token, offset, this.state === KEY ? 'a key (a string)' : 'a key or "}"');
        this.events.key(value as string);
        this.state = COLON;
        return;
      case COLON:
        if (token !== TokenType.COLON) throw this.unexpected(token, offset, '":"');
        this.state = VALUE;
        return;
      case COMMA_OR_END: {
        const inObject = this.objects[this.objects.length - 1]!;
        if (token === TokenType.COMMA) this.state = inObject ? KEY : VALUE;
        else if (token === (inObject ? TokenType.RIGHT_BRACE : TokenType.RIGHT_BRACKET)) this.close(offset);
        else throw this.unexpected(token, offset, inObject ? '"," or "}"' : '"," or "]"');
        return;
      }
      case VALUE_OR_END:
        if (token === TokenType.RIGHT_BRACKET) return this.close(offset);
      // falls through
      case VALUE:
        return this.value(token, value, offset);
      case DONE:
        throw this.syntax(offset, 'more text after the JSON value');
    }
  }

  private value(token: TokenType, value: unknown, offset: number): void {
    switch (token) {
      case TokenType.LEFT_BRACE:
        this.objects.push(true);
        this.events.startObject();
        this.state = KEY_OR_END;
        return;
      case TokenType.LEFT_BRACKET:
        this.objects.push(false);
        this.events.startArray();
        this.state = VALUE_OR_END;
        return;
      case TokenType.STRING:
      case TokenType.TRUE:
      case TokenType.FALSE:
      case TokenType.NULL:
        this.events.scalar(value as Scalar);
        break;
      case TokenType.NUMBER:
        this.events.scalar(new JsonNumber(value as unknown as string));
        break;
      default:
        throw this.unexpected(token, offset, 'a value');
    }
    this.afterValue();
  }

  private close(_offset: number): void {
    if (this.objects.pop()) this.events.endObject();
    else this.events.endArray();
    this.afterValue();
  }

  private afterValue(): void {
    this.state = this.objects.length === 0 ? DONE : COMMA_OR_END;
  }

  private unexpected(token: TokenType, offset: number, wanted: string): ImageError {
    return this.syntax(offset, `${TOKEN_TEXT[token] ?? 'a value'} where ${wanted} was expected`);
  }

  /** An error at byte `offset` of the text (line and column when it falls in the current chunk). */
  private syntax(offset: number | undefined, problem: string): ImageError {
    const inChunk = offset === undefined ? -1 : offset - this.chunkOffset;
    if (offset === undefined || inChunk < 0 || inChunk > this.chunk.length) {
      return new ImageError('state', `is not JSON: ${problem}${offset === undefined ? '' : ` (byte ${offset})`}`);
    }
    const line = this.linesBefore + countLines(this.chunk, inChunk) + 1;
    const lineStart = inChunk === 0 ? 0 : this.chunk.lastIndexOf(10, inChunk - 1) + 1;
    const column = inChunk - lineStart + 1;
    return new ImageError('state', `is not JSON: line ${line}, column ${column}: ${problem}`);
  }
}

function countLines(bytes: Uint8Array, end: number): number {
  let lines = 0;
  for (let at = bytes.indexOf(10); at !== -1 && at < end; at = bytes.indexOf(10, at + 1)) lines++;
  return lines;
}
