/**
 * The header's own #defines and enums: where each goes and how it is written. Kernel headers keep a
 * macro beside the struct it sizes, so a definition goes right before the first struct that uses it
 * (directly or through another definition) and after every struct whose size it takes; the rest go
 * before the first struct.
 */
import type { ConstantModel, EnumModel, FieldModel, StructModel, TypeInfo, VersionModel } from '../../model/index.ts';
import { cIdentifiers, displayWidth, hasTopLevelOperator } from '../text.ts';

const COLUMNS = 80;

/** One #define (or a CONFIG-guarded one), or an enum of constants. */
export type Definition =
  | { readonly kind: 'constant'; readonly constant: ConstantModel }
  | { readonly kind: 'enum'; readonly enumeration: EnumModel; readonly members: readonly ConstantModel[] };

function constantsOf(definition: Definition): readonly ConstantModel[] {
  return definition.kind === 'constant' ? [definition.constant] : definition.members;
}

/** The C names a struct's declaration spells out: array lengths and bitmap sizes, nested ones too. */
export function structTexts(struct: Pick<StructModel, 'fields'>): string[] {
  const ofType = (type: TypeInfo): string[] => {
    switch (type.kind) {
      case 'chars':
        return [type.lengthC];
      case 'array':
        return [type.lengthC, ...ofType(type.element)];
      case 'flexible':
        return ofType(type.element);
      case 'bitmap':
        return [type.bitsC];
      case 'inline':
        return type.fields.flatMap(ofField);
      default:
        return [];
    }
  };
  const ofField = (field: FieldModel): string[] => ofType(field.type);
  return struct.fields.flatMap(ofField);
}

/**
 * The version's own definitions (those of other headers are included, not printed), by slot: slot
 * i holds what goes right before struct i, the last slot what goes after every struct.
 */
export function placeDefinitions(version: VersionModel): Definition[][] {
  const units: Definition[] = [];
  const unitOf = new Map<string, Definition>();
  const enums = new Map(version.enums.map((e) => [e.name, e]));
  const enumUnits = new Map<string, { kind: 'enum'; enumeration: EnumModel; members: ConstantModel[] }>();
  for (const constant of version.constants) {
    if (constant.include) continue;
    if (constant.kind === 'enum-member') {
      let unit = enumUnits.get(constant.enum!);
      if (!unit) {
        unit = { kind: 'enum', enumeration: enums.get(constant.enum!)!, members: [] };
        enumUnits.set(constant.enum!, unit);
        units.push(unit);
      }
      unit.members.push(constant);
      unitOf.set(constant.name, unit);
    } else {
      const unit = { kind: 'constant' as const, constant };
      units.push(unit);
      unitOf.set(constant.name, unit);
    }
  }
  const structIndex = new Map(version.structs.map((s, i) => [s.name, i]));
  const refsOf = new Map(
    units.map((u) => [u, [...new Set(constantsOf(u).flatMap((c) => c.refs).map((name) => unitOf.get(name)))].filter((r): r is Definition => r !== undefined && r !== u)]),
  );
  const usersOf = new Map(units.map((u) => [u, units.filter((v) => refsOf.get(v)!.includes(u))]));
  const structUsers = new Map<Definition, number[]>(units.map((u) => [u, []]));
  version.structs.forEach((struct, index) => {
    const named = new Set(structTexts(struct).flatMap(cIdentifiers));
    for (const name of named) {
      const unit = unitOf.get(name);
      if (unit && !structUsers.get(unit)!.includes(index)) structUsers.get(unit)!.push(index);
    }
  });

  // After every struct it takes the size of, and never before a definition it refers to.
  const lowest = new Map<Definition, number>();
  const lowestOf = (u: Definition): number => {
    if (!lowest.has(u)) {
      const sizes = constantsOf(u).flatMap((c) => c.sizeofStructs.flatMap((s) => (structIndex.has(s) ? [structIndex.get(s)! + 1] : [])));
      lowest.set(u, Math.max(0, ...sizes, ...refsOf.get(u)!.map(lowestOf)));
    }
    return lowest.get(u)!;
  };
  // Before its first user: a struct, or a definition that refers to it. Unused: as early as it can.
  const slots = new Map<Definition, number>();
  const slotOf = (u: Definition): number => {
    if (!slots.has(u)) {
      const users = [...structUsers.get(u)!, ...usersOf.get(u)!.map(slotOf)];
      slots.set(u, Math.max(users.length > 0 ? Math.min(...users) : 0, lowestOf(u)));
    }
    return slots.get(u)!;
  };
  for (const u of units) {
    const first = Math.min(...structUsers.get(u)!);
    if (slotOf(u) > first) {
      const name = u.kind === 'constant' ? u.constant.name : `enum ${u.enumeration.name}`;
      throw new Error(`${version.name}: ${name} is used by struct ${version.structs[first]!.name} but takes the size of a struct declared after it`);
    }
  }

  const bySlot: Definition[][] = Array.from({ length: version.structs.length + 1 }, () => []);
  for (const u of dependenciesFirst(units, refsOf)) bySlot[slotOf(u)]!.push(u);
  return bySlot;
}

/** The units in their order, but each after the ones it refers to. */
function dependenciesFirst(units: readonly Definition[], refsOf: ReadonlyMap<Definition, readonly Definition[]>): Definition[] {
  const ordered: Definition[] = [];
  const seen = new Set<Definition>();
  const visit = (u: Definition): void => {
    if (seen.has(u)) return;
    seen.add(u);
    for (const r of refsOf.get(u)!) visit(r);
    ordered.push(u);
  };
  for (const u of units) visit(u);
  return ordered;
}

// -----------------------------------------------------------------------------------------------
// Writing them

/** `#define NAME` or `#define NAME(a, b)`. */
function defineHead(constant: ConstantModel): string {
  return `#define ${constant.name}${constant.params ? `(${constant.params.join(', ')})` : ''}`;
}

/**
 * The body as printed: the schema's C text, in parentheses when an operator in it would otherwise
 * bind to what surrounds the macro where it is expanded. A string (or a concatenation) never gets
 * any, as a parenthesised string cannot be concatenated further.
 */
export function defineBody(constant: ConstantModel): string {
  const isString = typeof constant.value === 'string';
  return !isString && hasTopLevelOperator(constant.c) ? `(${constant.c})` : constant.c;
}

/**
 * Consecutive #defines with their values on one tab stop; one too long for the line goes on
 * continuation lines instead, broken between the parts of its value.
 */
export function defineLines(constants: readonly ConstantModel[]): string[] {
  const heads = constants.map(defineHead);
  const column = (Math.floor(Math.max(...heads.map(displayWidth)) / 8) + 1) * 8;
  return constants.flatMap((constant, i) => {
    const head = heads[i]!;
    const body = defineBody(constant);
    const line = `${head}${'\t'.repeat(Math.max(1, Math.ceil((column - displayWidth(head)) / 8)))}${body}`;
    if (displayWidth(line) <= COLUMNS) return [line];
    const parts = continuationParts(body, COLUMNS - 8 - 2);
    return [`${head} \\`, ...parts.map((part, j) => `\t${part}${j < parts.length - 1 ? ' \\' : ''}`)];
  });
}

/** The value cut at spaces outside literals and brackets into lines of at most `width` columns. */
function continuationParts(body: string, width: number): string[] {
  const words: string[] = [];
  let word = '';
  let depth = 0;
  let quote = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quote) {
      word += ch;
      if (ch === '\\') word += body[++i] ?? '';
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (ch === ' ' && depth === 0) {
      if (word) words.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word) words.push(word);
  const lines: string[] = [];
  for (const w of words) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + w.length <= width) lines[lines.length - 1] = `${last} ${w}`;
    else lines.push(w);
  }
  return lines;
}
