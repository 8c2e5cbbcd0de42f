/**
 * The struct codecs as JavaScript source: a function of one struct of the model (and of how to find
 * the structs it nests) that gives the bodies of its decoder and encoder and the getters of its
 * zero-copy view. The same text has two uses: the TypeScript emitter wraps it in typed declarations
 * (out/ts), and ./compile.ts compiles it at run time from the model for the image walker, so that no
 * codec can be older than the model it is used with. Both hand it the helpers of ./runtime.ts.
 *
 * The code is straight-line over the layout: one bounds check per struct, then every field read or
 * written at a constant distance from `offset`, through a DataView made once per buffer. Nested
 * structs and unions are expanded in place in the decoder and encoder, so that a field's path
 * (`luo_session_ser.file_set_ser.count`) is a literal; the view hands out a view of a nested struct.
 *
 * What a kind of field becomes is said once, in `fieldCode`: adding a kind is one case there.
 */
import type { FieldModel, StructModel, TypeInfo } from '../model/index.ts';
import { fixedWidth, typeLayout } from '../model/index.ts';

/** How the structs a struct nests are found (by C name). */
export type StructLookup = (name: string) => StructModel;

/** `luo_ser` -> `LuoSer`: the name of the struct's TypeScript interface. */
export const typeName = (struct: string): string =>
  struct
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** The view class of a struct; getters of nesting structs name it. */
export const viewClassName = (struct: string): string => `${typeName(struct)}View`;

/** Fields that have bytes in the struct: a flexible array member has none and is not part of the value. */
export function codecFields(struct: Pick<StructModel, 'fields'>): FieldModel[] {
  return struct.fields.filter((f) => f.type.kind !== 'flexible');
}

/** The bytes of a struct, or of a struct or union declared in place. */
type Aggregate = Pick<StructModel, 'kind' | 'size' | 'fields'>;

const inlineAggregate = (type: TypeInfo & { kind: 'inline' }): Aggregate => ({ kind: type.aggregate, size: type.size, fields: type.fields });

/**
 * The members a value has, each with the field that holds it: an anonymous struct or union declared
 * in place gives its own members to the enclosing value (at their offsets in it), as C does.
 */
export function valueMembers(fields: readonly FieldModel[], offset = 0): { readonly name: string; readonly field: FieldModel }[] {
  return codecFields({ fields }).flatMap((f) =>
    f.anonymous && f.type.kind === 'inline' ? valueMembers(f.type.fields, offset + f.offset) : [{ name: f.name, field: { ...f, offset: offset + f.offset } }],
  );
}

/** Whether bit-fields share the bytes: the whole struct is then zeroed before its members are written. */
function hasBits(fields: readonly FieldModel[]): boolean {
  return fields.some((f) => f.bits !== undefined || (f.type.kind === 'inline' && hasBits(f.type.fields)));
}

/**
 * The view's own state, as constructor parameters in this order. `$` cannot start a C identifier,
 * so no field's getter is shadowed by them.
 */
export const VIEW_STATE = ['$bytes', '$offset', '$le', '$view'] as const;

export interface StructSource {
  readonly struct: StructModel;
  /** Runtime helpers the code below calls, sorted. */
  readonly helpers: readonly string[];
  /** Body of `(bytes, offset = 0, options) => value`. */
  readonly decode: string;
  /** Body of `(value, bytes, offset = 0, options) => void`. */
  readonly encode: string;
  /** Body of `(bytes, offset = 0, options) => view`: the bounds check, then the view. */
  readonly view: string;
  /** The view class's getters, one per field, each a body reading the field from the view's state. */
  readonly getters: readonly { readonly field: FieldModel; readonly body: string }[];
}

// -----------------------------------------------------------------------------------------------
// Where a value sits

/** The names the code reads through: locals in a decoder or encoder, the view's state in a getter. */
interface Frame {
  readonly bytes: string;
  readonly view: string;
  readonly le: string;
}

const LOCALS: Frame = { bytes: 'bytes', view: 'view', le: 'le' };
const VIEW_FRAME: Frame = { bytes: 'this.$bytes', view: 'this.$view', le: 'this.$le' };

/** One part of a path for error messages: text, or a loop index spliced in. */
type PathPart = string | { readonly index: string };

/** `base` (an expression) plus a constant, and the path of the value there. */
interface Place {
  readonly base: string;
  readonly constant: number;
  readonly path: readonly PathPart[];
  /** Nesting depth of array loops, to name loop indices i0, i1, ... */
  readonly depth: number;
}

const at = (place: Place, extra = 0): string => {
  const constant = place.constant + extra;
  return constant === 0 ? place.base : `${place.base} + ${constant}`;
};


/** Element `index` (a literal or a loop variable) of an array whose elements are `stride` bytes. */
function elementPlace(place: Place, index: number | string, stride: number): Place {
  if (typeof index === 'number') return { ...place, constant: place.constant + index * stride, path: [...place.path, `[${index}]`] };
  return {
    base: `${at(place)} + ${index} * ${stride}`,
    constant: 0,
    path: [...place.path, '[', { index }, ']'],
    depth: place.depth + 1,
  };
}

/** The path as a JavaScript string: a literal, or a template literal with the loop indices in it. */
function pathText(place: Place): string {
  if (place.path.every((p) => typeof p === 'string')) return `'${place.path.join('')}'`;
  return `\`${place.path.map((p) => (typeof p === 'string' ? p : `\${${p.index}}`)).join('')}\``;
}

// -----------------------------------------------------------------------------------------------
// Each kind of field: how it is read and how it is written

/** The DataView accessor of a scalar of each width, after get/set: `Uint8`, `BigInt64`, ... */
const ACCESSOR: Record<ReturnType<typeof fixedWidth>, string> = {
  u8: 'Uint8',
  s8: 'Int8',
  u16: 'Uint16',
  s16: 'Int16',
  u32: 'Uint32',
  s32: 'Int32',
  u64: 'BigUint64',
  s64: 'BigInt64',
};

/** Arrays up to this length are read element by element in line; longer ones in a loop. */
const UNROLLED_ARRAY = 16;

/** What a nested struct is read as: its fields in place (decoder), or a view of it (view getters). */
type NestedRead = 'inline' | 'view';

class CodeContext {
  readonly helpers = new Set<string>();
  /** Of the frame's names, those the code made since the last `take()` reads (an unused local is a type error). */
  private used = new Set<keyof Frame>();
  constructor(readonly lookup: StructLookup) {}

  helper(name: string): string {
    this.helpers.add(name);
    return name;
  }

  /** `frame[name]`, noted as used. */
  use(frame: Frame, name: keyof Frame): string {
    this.used.add(name);
    return frame[name];
  }

  /** The names used since the last call. */
  take(): ReadonlySet<keyof Frame> {
    const used = this.used;
    this.used = new Set();
    return used;
  }

  size(type: TypeInfo): number {
    return typeLayout(type, (name) => this.lookup(name)).size;
  }
}

interface FieldCode {
  /** An expression giving the value at `place`. */
  read(place: Place, nested: NestedRead): string;
  /** Statements writing `value` (an expression) at `place`, after checking it. */
  write(place: Place, value: string): string[];
}

/** The one place that knows each kind of field. */
function fieldCode(type: TypeInfo, code: CodeContext, frame: Frame): FieldCode {
  switch (type.kind) {
    case 'scalar':
    case 'pointer': {
      // A physical address is its u64 on the wire; the walker follows it using the model. A C type
      // (unsigned int, long) is read as the fixed-width integer of its size.
      const name = type.kind === 'pointer' ? 'u64' : fixedWidth(type);
      const accessor = ACCESSOR[name];
      const order = () => (name === 'u8' || name === 's8' ? '' : `, ${code.use(frame, 'le')}`);
      const check = `check${name[0]!.toUpperCase()}${name.slice(1)}`;
      return {
        read: (place) => `${code.use(frame, 'view')}.get${accessor}(${at(place)}${order()})`,
        write: (place, value) =>
          [`${code.use(frame, 'view')}.set${accessor}(${at(place)}, ${code.helper(check)}(${value}, ${pathText(place)})${order()});`],
      };
    }
    case 'chars':
      return {
        read: (place) => `${code.helper('readChars')}(${frame.bytes}, ${at(place)}, ${type.length}, ${pathText(place)})`,
        write: (place, value) => [`${code.helper('writeChars')}(${frame.bytes}, ${at(place)}, ${type.length}, ${value}, ${pathText(place)});`],
      };
    case 'array': {
      const stride = code.size(type.element);
      const element = fieldCode(type.element, code, frame);
      return {
        read: (place, nested) => {
          if (type.length <= UNROLLED_ARRAY) {
            return `[${Array.from({ length: type.length }, (_, i) => element.read(elementPlace(place, i, stride), nested)).join(', ')}]`;
          }
          const index = `i${place.depth}`;
          // In parentheses: an element that is a struct reads as an object literal, which a bare arrow body would take for a block.
          return `Array.from({ length: ${type.length} }, (_, ${index}) => (${element.read(elementPlace(place, index, stride), nested)}))`;
        },
        write: (place, value) => {
          const index = `i${place.depth}`;
          const item = `element${place.depth}`;
          return [
            `${code.helper('checkArray')}(${value}, ${type.length}, ${pathText(place)});`,
            `${value}.forEach((${item}, ${index}) => {`,
            ...element.write(elementPlace(place, index, stride), item),
            '});',
          ];
        },
      };
    }
    case 'aggregate': {
      const struct = code.lookup(type.name);
      return {
        read: (place, nested) =>
          nested === 'view'
            ? `new ${viewClassName(struct.name)}(${frame.bytes}, ${at(place)}, ${code.use(frame, 'le')}, ${code.use(frame, 'view')})`
            : readAggregate(struct, code, frame, place, nested),
        write: (place, value) => writeAggregate(struct, code, frame, place, value),
      };
    }
    case 'inline': {
      // A struct or union declared in place has no view class of its own: it is read whole.
      const aggregate = inlineAggregate(type);
      return {
        read: (place) => readAggregate(aggregate, code, frame, place, 'inline'),
        write: (place, value) => writeAggregate(aggregate, code, frame, place, value),
      };
    }
    case 'bitmap':
      // DECLARE_BITMAP: an array of unsigned longs.
      return fieldCode({ kind: 'array', element: { kind: 'scalar', name: 'u64', size: 8, signed: false }, length: type.words, lengthC: String(type.words) }, code, frame);
    case 'bits':
      throw new Error('a bit-field is read and written with its place in the struct (memberCode)');
    case 'flexible':
      throw new Error('a flexible array member has no bytes in its struct to read or write');
  }
}

/**
 * A member of a struct: a bit-field is `width` bits `shift` bits into its storage unit (the field's
 * bytes), read and written as a whole unit; any other member is its type's.
 */
function memberCode(f: FieldModel, code: CodeContext, frame: Frame): FieldCode {
  if (!f.bits || f.type.kind !== 'bits') return fieldCode(f.type, code, frame);
  const { shift, width } = f.bits;
  const signed = f.type.base.signed;
  const unit = `${f.size}, ${shift}, ${width}, ${signed}`;
  return {
    read: (place) => `${code.helper(width > 32 ? 'readBitsBigint' : 'readBitsNumber')}(${frame.bytes}, ${at(place)}, ${unit}, ${code.use(frame, 'le')})`,
    write: (place, value) => [`${code.helper('writeBits')}(${frame.bytes}, ${at(place)}, ${unit}, ${value}, ${code.use(frame, 'le')}, ${pathText(place)});`],
  };
}

/** A struct or union as an object literal; a union reads every member from the same bytes, as C lets any member be read. */
function readAggregate(struct: Aggregate, code: CodeContext, frame: Frame, place: Place, nested: NestedRead): string {
  const members = valueMembers(struct.fields).map(({ name, field }) => {
    const here: Place = { ...place, constant: place.constant + field.offset, path: [...place.path, `.${name}`] };
    return `${name}: ${memberCode(field, code, frame).read(here, nested)}`;
  });
  return `{ ${members.join(', ')} }`;
}

function writeAggregate(struct: Aggregate, code: CodeContext, frame: Frame, place: Place, value: string): string[] {
  const zero = (start: number, end: number) => `${frame.bytes}.fill(0, ${at(place, start)}, ${at(place, end)});`;
  if (struct.kind === 'union') {
    // Exactly one member is written; the union's other bytes are zeroed so equal values give equal bytes.
    return [zero(0, struct.size), ...writeUnionMembers(struct, code, frame, place, value, place)];
  }
  return [
    `${code.helper('checkObject')}(${value}, ${pathText(place)});`,
    // Padding is zeroed so that equal values give equal bytes; bit-fields leave bits no member covers,
    // so a struct with any starts from zero whole.
    ...(hasBits(struct.fields) ? [zero(0, struct.size)] : paddingOf(struct).map(([start, end]) => zero(start, end))),
    ...writeMembers(struct, code, frame, place, value, place),
  ];
}

/**
 * The members of a struct at `place`, each taken from `value` at its path under `named` (an anonymous
 * struct or union's members are the enclosing value's, so they keep its path and value).
 */
function writeMembers(struct: Aggregate, code: CodeContext, frame: Frame, place: Place, value: string, named: Place): string[] {
  return codecFields(struct).flatMap((f) => {
    if (f.anonymous && f.type.kind === 'inline') {
      const inner = inlineAggregate(f.type);
      const here: Place = { ...place, constant: place.constant + f.offset };
      if (inner.kind === 'struct') return writeMembers(inner, code, frame, here, value, named);
      // The member written may be shorter than the union: its other bytes are zeroed, as a named union's.
      return [`${frame.bytes}.fill(0, ${at(here)}, ${at(here, inner.size)});`, ...writeUnionMembers(inner, code, frame, here, value, named)];
    }
    return memberCode(f, code, frame).write({ ...named, constant: place.constant + f.offset, path: [...named.path, `.${f.name}`] }, `${value}.${f.name}`);
  });
}

/** The one member of a union that `value` sets (its bytes already zeroed). */
function writeUnionMembers(union: Aggregate, code: CodeContext, frame: Frame, place: Place, value: string, named: Place): string[] {
  const members = codecFields(union);
  return [
    `${code.helper('checkUnion')}(${value}, [${members.map((m) => `'${m.name}'`).join(', ')}], ${pathText(named)});`,
    ...members.flatMap((m) => [
      `if (${value}.${m.name} !== undefined) {`,
      ...memberCode(m, code, frame).write({ ...named, constant: place.constant + m.offset, path: [...named.path, `.${m.name}`] }, `${value}.${m.name}`),
      '}',
    ]),
  ];
}

/** Byte ranges [start, end) of a struct that no field covers: padding between fields and at the tail. */
export function paddingOf(struct: Aggregate): [number, number][] {
  const gaps: [number, number][] = [];
  let covered = 0;
  for (const f of codecFields(struct)) {
    if (f.offset > covered) gaps.push([covered, f.offset]);
    covered = Math.max(covered, f.offset + f.size);
  }
  if (struct.size > covered) gaps.push([covered, struct.size]);
  return gaps;
}

// -----------------------------------------------------------------------------------------------
// One struct

/**
 * The first lines of every entry point: the one bounds check, then what the code after it reads: the
 * byte order (no options object is made for the default) and the buffer's DataView, made once per
 * buffer rather than once per call (a view per call was the largest single cost of decoding a small
 * struct).
 */
function entryPoint(struct: StructModel, code: CodeContext, body: string[]): string {
  const used = code.take();
  return [
    '// One bounds check for the whole struct: every access below is at a constant offset inside it.',
    `${code.helper('checkBounds')}(bytes, offset, ${struct.size}, '${struct.name}');`,
    ...(used.has('le') ? [`const le = ${code.helper('isLittleEndian')}(options);`] : []),
    ...(used.has('view')
      ? ["// The buffer's DataView, made once per buffer, not per call; its reads compile to plain loads.", `const view = ${code.helper('dataView')}(bytes);`]
      : []),
    ...body,
  ].join('\n');
}

/** The source of one struct's decoder, encoder and view. */
export function structSource(struct: StructModel, lookup: StructLookup): StructSource {
  const code = new CodeContext(lookup);
  const root: Place = { base: 'offset', constant: 0, path: [struct.name], depth: 0 };
  const self: TypeInfo = { kind: 'aggregate', aggregate: struct.kind, name: struct.name };
  const decode = entryPoint(struct, code, [
    '// One literal of a fixed shape, nested structs in place: one hidden class and one allocation per record.',
    `return ${fieldCode(self, code, LOCALS).read(root, 'inline')};`,
  ]);
  const encode = entryPoint(struct, code, fieldCode(self, code, LOCALS).write(root, 'value'));
  code.use(LOCALS, 'le');
  code.use(LOCALS, 'view');
  const view = entryPoint(struct, code, [`return new ${viewClassName(struct.name)}(bytes, offset, le, view);`]);
  // A getter reads one field from the view's state: no copy of the struct, nothing kept.
  const viewRoot: Place = { ...root, base: 'this.$offset' };
  const getters = valueMembers(struct.fields).map(({ name, field }) => ({
    field: { ...field, name },
    body: `return ${memberCode(field, code, VIEW_FRAME).read({ ...viewRoot, constant: field.offset, path: [...viewRoot.path, `.${name}`] }, 'view')};`,
  }));
  return {
    struct,
    helpers: [...code.helpers].sort(),
    decode,
    encode,
    view,
    getters,
  };
}
