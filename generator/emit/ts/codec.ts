/**
 * The bodies of the generated decode and encode functions: straight-line code over the model's
 * layout, one runtime call per field at a constant offset from `offset`. Nested structs and unions
 * are expanded in place, so a field's path (`luo_session_ser.file_set_ser.count`) is a literal; only
 * C arrays become a loop, with the index spliced into the path.
 */
import { findStruct, typeSize, type FieldModel, type StructModel, type TypeInfo, type VersionModel } from '../../model/index.ts';
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
export function codecFields(struct: StructModel): FieldModel[] {
  return struct.fields.filter((f) => f.type.kind !== 'flexible');
}

/** A physical address is a u64 on the wire; the walker follows it using the model. */
function scalarOf(type: TypeInfo & { kind: 'scalar' | 'pointer' }): { name: string; size: number } {
  return type.kind === 'pointer' ? { name: 'u64', size: 8 } : type;
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

  private aggregate(struct: StructModel, place: Place): ast.Expression {
    // A union decodes to every member, read from the same bytes, as C lets any member be read.
    return ast.object(codecFields(struct).map((f) => [f.name, this.value(f.type, fieldPlace(place, f))] as const));
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

  private aggregate(struct: StructModel, value: ast.Expression, place: Place): ast.Statement[] {
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
    return [
      ast.statement(ast.call(this.context.helper('checkObject'), [value, path(place)])),
      ...paddingOf(struct).map(([start, end]) => this.zero(place, start, end)),
      ...fields.flatMap((f) => this.value(f.type, ast.member(value, f.name), fieldPlace(place, f))),
    ];
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
      case 'flexible':
        throw new Error(`a flexible array member has no bytes to encode (${place.path.join('')})`);
    }
  }
}

/** Byte ranges [start, end) of a struct that no field covers: padding between fields and at the tail. */
export function paddingOf(struct: StructModel): [number, number][] {
  const gaps: [number, number][] = [];
  let covered = 0;
  for (const f of codecFields(struct)) {
    if (f.offset > covered) gaps.push([covered, f.offset]);
    covered = Math.max(covered, f.offset + f.size);
  }
  if (struct.size > covered) gaps.push([covered, struct.size]);
  return gaps;
}
