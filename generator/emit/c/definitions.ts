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
 * continuation lines instead: a statement expression `({ a; b; })` one statement a line, as kernel
 * headers write them, a value that is one parenthesised group broken inside it, any other value
 * broken between its parts.
 */
export function defineLines(constants: readonly ConstantModel[]): string[] {
  const heads = constants.map(defineHead);
  const column = (Math.floor(Math.max(...heads.map(displayWidth)) / 8) + 1) * 8;
  return constants.flatMap((constant, i) => {
    const head = heads[i]!;
    const body = defineBody(constant);
    const line = `${head}${'\t'.repeat(Math.max(1, Math.ceil((column - displayWidth(head)) / 8)))}${body}`;
    if (displayWidth(line) <= COLUMNS) return [line];
    const statements = /^\(\{(.*)\}\)$/s.exec(body);
    const parts = splitAt(body, ' ');
    const lines = statements
      ? ['\t({', ...splitAt(statements[1]!, ';').flatMap((statement) => codeLines(statement.trim(), 16, COLUMNS - 2).map((l, j) => (j === 0 ? `\t\t${l}` : l))), '\t})']
      : parts.length === 1 && body.startsWith('(')
        ? codeLines(body, 8, COLUMNS - 2).map((l, j) => (j === 0 ? `\t${l}` : l))
        : greedy(parts, ' ', COLUMNS - 8 - 2).map((part) => `\t${part}`);
    return [`${head} \\`, ...lines.map((l, j) => (j < lines.length - 1 ? `${l} \\` : l))];
  });
}

/**
 * An enum member, `NAME = value,`, on one line when it fits; else broken after the commas of its
 * value's first call, the rest aligned under its first argument; else with the value on the next
 * line, broken so too. Later lines carry their own indentation: the template indents the first.
 */
export function enumMemberText(name: string, value: string): string {
  const line = `${name} = ${value},`;
  if (displayWidth(`\t${line}`) <= COLUMNS) return line;
  const aligned = alignedInGroup(line, 8);
  if (aligned) return aligned.join('\n');
  const next = codeLines(`${value},`, 16);
  return [`${name} =`, `\t\t${next[0]}`, ...next.slice(1)].join('\n');
}

/**
 * One line of code starting at column `start`: as it is when it fits; else broken inside its first
 * parenthesised group (alignedInGroup); else at its own spaces, later lines one tab further in.
 * Later lines carry their indentation, the first none.
 */
function codeLines(code: string, start: number, columns = COLUMNS): string[] {
  if (start + displayWidth(code) <= columns) return [code];
  const aligned = alignedInGroup(code, start, columns);
  if (aligned) return aligned;
  const indent = '\t'.repeat(Math.floor(start / 8) + 1);
  const lines = greedy(splitAt(code, ' '), ' ', columns - start - 8);
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`));
}

/**
 * `text`, starting at column `start`, broken inside its first parenthesised group, each later line
 * aligned (tabs, then spaces) one column past the opening parenthesis: after the group's commas if
 * that is enough, else at its spaces too. Undefined when no break makes every line fit.
 */
function alignedInGroup(text: string, start: number, columns = COLUMNS): string[] | undefined {
  return alignedAt(text, start, ',', columns) ?? alignedAt(text, start, ' ', columns);
}

function alignedAt(text: string, start: number, separator: ',' | ' ', columns: number): string[] | undefined {
  const open = text.indexOf('(');
  if (open < 0) return undefined;
  const close = matchingParen(text, open);
  if (close < 0) return undefined;
  const column = start + open + 1;
  const indent = '\t'.repeat(Math.floor(column / 8)) + ' '.repeat(column % 8);
  const args = splitAt(text.slice(open + 1, close), separator).map((arg) => arg.trim());
  args[0] = text.slice(0, open + 1) + args[0]!;
  args[args.length - 1] += text.slice(close);
  const lines: string[] = [];
  for (const arg of args) {
    const last = lines.at(-1);
    const width = (line: string) => (lines.length === 1 ? start + displayWidth(line) : displayWidth(line));
    if (last !== undefined && width(`${last} ${arg}`) <= columns) lines[lines.length - 1] = `${last} ${arg}`;
    else lines.push(last === undefined ? arg : `${indent}${arg}`);
  }
  const fits = lines.every((line, i) => (i === 0 ? start + displayWidth(line) : displayWidth(line)) <= columns);
  return lines.length > 1 && fits ? lines : undefined;
}

function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * `text` cut at each `separator` outside literals and brackets; a separator other than a space stays
 * at the end of its piece, and an empty last piece is dropped.
 */
function splitAt(text: string, separator: ' ' | ',' | ';'): string[] {
  const pieces: string[] = [];
  let piece = '';
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      piece += ch;
      if (ch === '\\') piece += text[++i] ?? '';
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (ch === separator && depth === 0) {
      if (separator !== ' ') piece += ch;
      if (piece.trim()) pieces.push(piece);
      piece = '';
    } else {
      piece += ch;
    }
  }
  if (piece.trim()) pieces.push(piece);
  return pieces;
}

/** Pieces joined by `joiner` into lines of at most `width` columns (a longer piece alone on its line). */
function greedy(pieces: readonly string[], joiner: string, width: number): string[] {
  const lines: string[] = [];
  for (const piece of pieces) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + joiner.length + piece.length <= width) lines[lines.length - 1] = `${last}${joiner}${piece}`;
    else lines.push(piece);
  }
  return lines;
}
