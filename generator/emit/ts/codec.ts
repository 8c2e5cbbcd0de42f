/**
 * The bodies of the generated decode and encode functions: straight-line code over the model's
 * layout, one runtime call per field at a constant offset from `offset`. Nested structs and unions
 * are expanded in place, so a field's path (`luo_session_ser.file_set_ser.count`) is a literal; only
 * C arrays become a loop, with the index spliced into the path.
 */
import { findStruct, fixedWidth, typeSize, type FieldModel, type StructModel, type TypeInfo, type VersionModel } from '../../model/index.ts';
import * as ast from './ast.ts';

/** What one version module's code needs: the layouts, and which runtime helpers it used. */
export class CodecContext {
  readonly helpers = new Set<string>();
  constructor(readonly version: VersionModel) {}

  helper(name: string): ast.Expression {
    this.helpers.add(name);
    return ast.id(name);
  }

  struct(name: string): StructModel {
    return findStruct(this.version, name);
  }
}

/** Where a value sits: `offset` plus index terms plus a constant, and its path for error messages. */
interface Place {
  readonly terms: readonly ast.Expression[];
  readonly constant: number;
  readonly path: readonly (string | ReturnType<typeof ast.id>)[];
  /** Nesting depth of arrays, to name loop indices i0, i1, ... */
  readonly depth: number;
}

function rootPlace(struct: StructModel): Place {
  return { terms: [ast.id('offset')], constant: 0, path: [struct.name], depth: 0 };
}

function fieldPlace(place: Place, field: FieldModel): Place {
  return { ...place, constant: place.constant + field.offset, path: [...place.path, `.${field.name}`] };
}

function elementPlace(place: Place, index: ReturnType<typeof ast.id>, stride: number): Place {
  return {
    terms: [...place.terms, ast.times(index, ast.num(stride))],
    constant: place.constant,
    path: [...place.path, '[', index, ']'],
    depth: place.depth + 1,
  };
}

function at(place: Place, extra = 0): ast.Expression {
  const sum = place.terms.reduce((total, term) => ast.plus(total, term));
  const constant = place.constant + extra;
  return constant === 0 ? sum : ast.plus(sum, ast.num(constant));
}

const path = (place: Place): ast.Expression => ast.template(place.path);

/** Fields that have bytes in the struct: a flexible array member has none and is not encoded. */
export function codecFields(struct: Pick<StructModel, 'fields'>): FieldModel[] {
  return struct.fields.filter((f) => f.type.kind !== 'flexible');
}

/** A physical address is a u64 on the wire; the walker follows it using the model. */
function scalarOf(type: TypeInfo & { kind: 'scalar' | 'pointer' }): { name: string; size: number } {
  return type.kind === 'pointer' ? { name: 'u64', size: 8 } : { name: fixedWidth(type), size: type.size };
}

/** The bytes of a struct, or of a struct or union declared in place. */
type Aggregate = Pick<StructModel, 'kind' | 'size' | 'fields'>;

function inlineAggregate(type: TypeInfo & { kind: 'inline' }): Aggregate {
  return { kind: type.aggregate, size: type.size, fields: type.fields };
}

/** Whether a struct has bit-fields: its bytes are then zeroed whole before the fields are written. */
function hasBits(fields: readonly FieldModel[]): boolean {
  return fields.some((f) => f.bits !== undefined || (f.type.kind === 'inline' && hasBits(f.type.fields)));
}

const helperName = (verb: 'read' | 'write', scalar: string): string => `${verb}${scalar[0]!.toUpperCase()}${scalar.slice(1)}`;

// -----------------------------------------------------------------------------------------------
// Decoding

export class Decoder {
  usedLittleEndian = false;
  constructor(readonly context: CodecContext) {}

  structValue(struct: StructModel): ast.Expression {
    return this.aggregate(struct, rootPlace(struct));
  }

  private aggregate(struct: Aggregate, place: Place): ast.Expression {
    // A union decodes to every member, read from the same bytes, as C lets any member be read.
    return ast.object(this.members(struct, place));
  }

  /** The decoded members; an anonymous member's own members are the enclosing struct's. */
  private members(struct: Aggregate, place: Place): (readonly [string, ast.Expression])[] {
    return codecFields(struct).flatMap((f) => {
      const here = fieldPlace(place, f);
      if (f.anonymous && f.type.kind === 'inline') return this.members(inlineAggregate(f.type), { ...here, path: place.path });
      if (f.bits && f.type.kind === 'bits') {
        this.usedLittleEndian = true;
        const args = [ast.id('bytes'), at(here), ast.num(f.size), ast.num(f.bits.shift), ast.num(f.bits.width), ast.id(String(f.type.base.signed)), ast.id('le')];
        return [[f.name, ast.call(this.context.helper(f.bits.width > 32 ? 'readBitsBigint' : 'readBitsNumber'), args)] as const];
      }
      return [[f.name, this.value(f.type, here)] as const];
    });
  }

  private value(type: TypeInfo, place: Place): ast.Expression {
    switch (type.kind) {
      case 'scalar':
      case 'pointer': {
        const scalar = scalarOf(type);
        const args = [ast.id('bytes'), at(place)];
        if (scalar.size > 1) {
          this.usedLittleEndian = true;
          args.push(ast.id('le'));
        }
        return ast.call(this.context.helper(helperName('read', scalar.name)), args);
      }
      case 'chars':
        return ast.call(this.context.helper('readChars'), [ast.id('bytes'), at(place), ast.num(type.length), path(place)]);
      case 'array': {
        const index = ast.id(`i${place.depth}`);
        const element = this.value(type.element, elementPlace(place, index, typeSize(this.context.version, type.element)));
        return ast.call(ast.member(ast.id('Array'), 'from'), [
          ast.object([['length', ast.num(type.length)]], false),
          ast.arrow(['_', index.text], element),
        ]);
      }
      case 'aggregate':
        return this.aggregate(this.context.struct(type.name), place);
      case 'inline':
        return this.aggregate(inlineAggregate(type), place);
      case 'bitmap': {
        const index = ast.id(`i${place.depth}`);
        const word = this.value({ kind: 'scalar', name: 'unsigned long', size: 8, signed: false }, elementPlace(place, index, 8));
        return ast.call(ast.member(ast.id('Array'), 'from'), [ast.object([['length', ast.num(type.words)]], false), ast.arrow(['_', index.text], word)]);
      }
      case 'bits':
        throw new Error(`a bit-field is read with its place in the struct (${place.path.join('')})`);
      case 'flexible':
        throw new Error(`a flexible array member has no bytes to decode (${place.path.join('')})`);
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Encoding

export class Encoder {
  usedView = false;
  usedLittleEndian = false;
  constructor(readonly context: CodecContext) {}

  structStatements(struct: StructModel): ast.Statement[] {
    return this.aggregate(struct, ast.id('value'), rootPlace(struct));
  }

  private aggregate(struct: Aggregate, value: ast.Expression, place: Place): ast.Statement[] {
    const fields = codecFields(struct);
    if (struct.kind === 'union') {
      // Exactly one member is written; the union's other bytes are zeroed so equal values give equal bytes.
      return [
        ast.statement(
          ast.call(this.context.helper('checkUnion'), [value, ast.array(fields.map((f) => ast.str(f.name))), path(place)]),
        ),
        this.zero(place, 0, struct.size),
        ...fields.map((f) => {
          const member = ast.member(value, f.name);
          return ast.ifThen(ast.notUndefined(member), this.value(f.type, member, fieldPlace(place, f)));
        }),
      ];
    }
    // Bit-fields share bytes and leave bits no field covers: the whole struct starts from zero.
    const zeroes = hasBits(struct.fields) ? [this.zero(place, 0, struct.size)] : paddingOf(struct).map(([start, end]) => this.zero(place, start, end));
    return [ast.statement(ast.call(this.context.helper('checkObject'), [value, path(place)])), ...zeroes, ...this.members(struct, value, place)];
  }

  /** Writing the members; an anonymous member's own members are taken from the enclosing value. */
  private members(struct: Aggregate, value: ast.Expression, place: Place): ast.Statement[] {
    return codecFields(struct).flatMap((f) => {
      const here = fieldPlace(place, f);
      if (f.anonymous && f.type.kind === 'inline') {
        const inner = inlineAggregate(f.type);
        if (inner.kind === 'union') {
          const members = codecFields(inner);
          return [
            ast.statement(ast.call(this.context.helper('checkUnion'), [value, ast.array(members.map((m) => ast.str(m.name))), path(place)])),
            ...members.map((m) => {
              const member = ast.member(value, m.name);
              return ast.ifThen(ast.notUndefined(member), this.value(m.type, member, fieldPlace(here, m)));
            }),
          ];
        }
        return this.members(inner, value, { ...here, path: place.path });
      }
      const member = ast.member(value, f.name);
      if (f.bits && f.type.kind === 'bits') {
        this.usedLittleEndian = true;
        const args = [ast.id('bytes'), at(here), ast.num(f.size), ast.num(f.bits.shift), ast.num(f.bits.width), ast.id(String(f.type.base.signed)), member, ast.id('le'), path(here)];
        return [ast.statement(ast.call(this.context.helper('writeBits'), args))];
      }
      return this.value(f.type, member, here);
    });
  }

  private zero(place: Place, start: number, end: number): ast.Statement {
    return ast.statement(ast.call(ast.member(ast.id('bytes'), 'fill'), [ast.num(0), at(place, start), at(place, end)]));
  }

  private value(type: TypeInfo, value: ast.Expression, place: Place): ast.Statement[] {
    switch (type.kind) {
      case 'scalar':
      case 'pointer': {
        const scalar = scalarOf(type);
        this.usedView = true;
        const args = [ast.id('view'), at(place), value];
        if (scalar.size > 1) {
          this.usedLittleEndian = true;
          args.push(ast.id('le'));
        }
        return [ast.statement(ast.call(this.context.helper(helperName('write', scalar.name)), [...args, path(place)]))];
      }
      case 'chars':
        return [
          ast.statement(
            ast.call(this.context.helper('writeChars'), [ast.id('bytes'), at(place), ast.num(type.length), value, path(place)]),
          ),
        ];
      case 'array': {
        const index = ast.id(`i${place.depth}`);
        const element = ast.id(`element${place.depth}`);
        const body = this.value(type.element, element, elementPlace(place, index, typeSize(this.context.version, type.element)));
        return [
          ast.statement(ast.call(this.context.helper('checkArray'), [value, ast.num(type.length), path(place)])),
          ast.statement(ast.call(ast.member(value, 'forEach'), [ast.arrow([element.text, index.text], body)])),
        ];
      }
      case 'aggregate':
        return this.aggregate(this.context.struct(type.name), value, place);
      case 'inline':
        return this.aggregate(inlineAggregate(type), value, place);
      case 'bitmap': {
        const index = ast.id(`i${place.depth}`);
        const element = ast.id(`element${place.depth}`);
        const body = this.value({ kind: 'scalar', name: 'unsigned long', size: 8, signed: false }, element, elementPlace(place, index, 8));
        return [
          ast.statement(ast.call(this.context.helper('checkArray'), [value, ast.num(type.words), path(place)])),
          ast.statement(ast.call(ast.member(value, 'forEach'), [ast.arrow([element.text, index.text], body)])),
        ];
      }
      case 'bits':
        throw new Error(`a bit-field is written with its place in the struct (${place.path.join('')})`);
      case 'flexible':
        throw new Error(`a flexible array member has no bytes to encode (${place.path.join('')})`);
    }
  }
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
