/**
 * How the model's types are represented, answered once for every reader: the C header and the docs
 * (how C spells a member), the TypeScript codecs, the image codec and the JSON state (which values
 * are bigint, which fields have bytes, which counts travel beside their pointers), the checker and
 * the docs (what an address points at, in words).
 */
import type { FieldModel, StructModel, TargetModel, TypeInfo, VersionModel } from './model.ts';
import { memberFields, targetStructs, versionNodes } from './model.ts';

// -----------------------------------------------------------------------------------------------
// C spelling

/** The C type split around the declared name: `char` + `[LEN]`, `struct x` + ``, `u64` + `:52`. */
export function declarator(type: TypeInfo): { base: string; suffix: string } {
  switch (type.kind) {
    case 'scalar':
      return { base: type.name, suffix: '' };
    case 'bits':
      return { base: type.base.name, suffix: `:${type.width}` };
    case 'pointer':
      return { base: type.form === 'phys_addr_t' ? 'phys_addr_t' : 'u64', suffix: '' };
    case 'chars':
      return { base: 'char', suffix: `[${type.lengthC}]` };
    case 'aggregate':
      return { base: `${type.aggregate} ${type.name}`, suffix: '' };
    case 'array': {
      const element = declarator(type.element);
      return { base: element.base, suffix: `[${type.lengthC}]${element.suffix}` };
    }
    case 'flexible': {
      const element = declarator(type.element);
      return { base: element.base, suffix: `[]${element.suffix}` };
    }
    case 'bitmap':
      return { base: 'unsigned long', suffix: `[BITS_TO_LONGS(${type.bitsC})]` };
    case 'inline':
      return { base: `${type.aggregate} { ... }`, suffix: '' };
  }
}

/** The type alone, as docs show it: `u64`, `char[LIVEUPDATE_SESSION_NAME_LENGTH]`, `u64:52`. */
export function cTypeText(type: TypeInfo): string {
  if (type.kind === 'pointer' && type.form === 'khoser') return `DECLARE_KHOSER_PTR(${khoserPointee(type.target)})`;
  if (type.kind === 'bitmap') return `DECLARE_BITMAP(${type.bitsC})`;
  const { base, suffix } = declarator(type);
  return `${base}${suffix}`;
}

/** The kernel pointer type a KHOSER union holds beside the address. */
export function khoserPointee(target: TargetModel): string {
  const first = targetStructs(target)[0];
  return first ? `struct ${first} *` : 'void *';
}

/**
 * A member's declaration, as lines without the trailing semicolon's indentation: one line for most,
 * several for a struct or union declared in place. `indent` is one level (a tab in the kernel).
 */
export function memberDeclaration(field: FieldModel, indent = '\t'): string[] {
  const type = field.type;
  if (type.kind === 'pointer' && type.form === 'khoser') return [`DECLARE_KHOSER_PTR(${field.name}, ${khoserPointee(type.target)});`];
  if (type.kind === 'bitmap') return [`DECLARE_BITMAP(${field.name}, ${type.bitsC});`];
  if (type.kind === 'inline') {
    const inner = type.fields.flatMap((f) => memberDeclaration(f, indent).map((line) => `${indent}${line}`));
    const name = field.anonymous ? '' : ` ${field.name}`;
    return [`${type.aggregate} {`, ...inner, `}${type.packed ? ' __packed' : ''}${name};`];
  }
  const { base, suffix } = declarator(type);
  return [`${base} ${field.name}${suffix};`];
}

/** Macros of other kernel headers a member's spelling needs, for the includes. */
export function spellingMacros(type: TypeInfo): string[] {
  switch (type.kind) {
    case 'pointer':
      return type.form === 'khoser' ? ['DECLARE_KHOSER_PTR'] : [];
    case 'bitmap':
      return ['DECLARE_BITMAP'];
    case 'inline':
      return type.fields.flatMap((f) => spellingMacros(f.type));
    case 'array':
    case 'flexible':
      return spellingMacros(type.element);
    default:
      return [];
  }
}

// -----------------------------------------------------------------------------------------------
// Values in JavaScript: what a decoded field is

/** How a decoded value is held: integers that may pass 2^53 are bigint, the rest number. */
export type JsValueKind = 'number' | 'bigint' | 'string' | 'struct' | 'array' | 'inline';

export function jsValueKind(type: TypeInfo): JsValueKind {
  switch (type.kind) {
    case 'scalar':
      return type.size === 8 ? 'bigint' : 'number';
    case 'bits':
      return type.width > 32 ? 'bigint' : 'number';
    case 'pointer':
      return 'bigint';
    case 'chars':
      return 'string';
    case 'aggregate':
      return 'struct';
    case 'inline':
      return 'inline';
    case 'array':
    case 'flexible':
    case 'bitmap':
      return 'array';
  }
}

/** Whether a value of this integer type is a bigint in decoded state. */
export function isBigintType(type: TypeInfo): boolean {
  return jsValueKind(type) === 'bigint';
}

/** The integer range of a scalar, bit-field or pointer: what an encoder accepts. */
export function integerRange(type: TypeInfo): { bits: number; signed: boolean } | undefined {
  switch (type.kind) {
    case 'scalar':
      return { bits: type.size * 8, signed: type.signed };
    case 'bits':
      return { bits: type.width, signed: type.base.signed };
    case 'pointer':
      return { bits: 64, signed: false };
    default:
      return undefined;
  }
}

/** Fields that have bytes in the struct: a flexible array member has none and is not part of a value. */
export function valueFields(struct: StructModel | { fields: readonly FieldModel[] }): FieldModel[] {
  return struct.fields.filter((f) => f.type.kind !== 'flexible');
}

// -----------------------------------------------------------------------------------------------
// Pointers: counts beside them, what they point at in words

/**
 * The field beside a pointer that a walker reads and a builder fills in: an array's count, a chain's
 * total. Undefined for shapes that keep their counts in a header.
 */
export function siblingCount(target: TargetModel): string | undefined {
  return target.shape === 'array' ? target.count : target.shape === 'chain' ? target.total : undefined;
}

/** The fields of `struct` that a builder computes from what pointers point at, rather than take as given. */
export function derivedFields(struct: Pick<StructModel, 'fields'>): Set<string> {
  const found = new Set<string>();
  for (const f of memberFields(struct.fields)) {
    if (f.holds) found.add(f.holds.count);
    if (f.type.kind !== 'pointer') continue;
    const count = siblingCount(f.type.target);
    if (count) found.add(count);
  }
  return found;
}

/** What a physical address points at, in words, for findings and changelogs. */
export function describeTarget(target: TargetModel): string {
  switch (target.shape) {
    case 'struct':
      return `struct ${target.struct}`;
    case 'array':
      return `an array of @${target.count} struct ${target.entry} (${describeBlock(target.block)})`;
    case 'header-array':
      return `struct ${target.header} followed by its @${target.count} struct ${target.entry} (${describeBlock(target.block)})`;
    case 'chain':
      return (
        `a chain of blocks of struct ${target.header} (next @${target.next}, count @${target.count}) ` +
        `each followed by struct ${target.entry} entries (${describeBlock(target.block)}${target.total ? `, total in @${target.total}` : ''})`
      );
    case 'selected':
      return `what the handler named by @${target.selector} keeps there`;
    case 'radix-tree':
      return `a radix tree of preserved page groups (struct ${target.node} @${target.table}, struct ${target.leaf} @${target.bitmap}, ${target.depth} levels, order-0 marker bit ${target.order0})`;
    case 'bitmap-chunks':
      return `a chain of blocks of struct ${target.header} (next @${target.next}, order @${target.order}, count @${target.count}) each followed by struct ${target.entry} entries naming a bitmap of preserved page groups (@${target.start}, @${target.bitmap} -> struct ${target.bits.struct} @${target.bits.field}; ${describeBlock(target.block)})`;
    case 'client':
      return `the state of the KHO client the node's name names${target.size ? ` (size in "${target.size}")` : ''}`;
  }
}

/** The same, as a sentence for a reader of the docs. */
export function targetSentence(target: TargetModel, nullable: boolean): string {
  const none = nullable ? ' 0 means none.' : ' Never 0.';
  switch (target.shape) {
    case 'struct':
      return `one struct ${target.struct}.${none}`;
    case 'header-array':
      return `struct ${target.header} followed in the same block (${blockWords(target.block)}) by ${target.count} entries of struct ${target.entry}.${none}`;
    case 'array':
      return `an array of ${target.count} struct ${target.entry} (${blockWords(target.block)}).${none}`;
    case 'chain':
      return `the first block of a chain (${blockWords(target.block)} each): struct ${target.header} followed by its ${target.count} entries of struct ${target.entry}, linked by ${target.next} (0 ends the chain)${target.total ? `; ${target.total} holds the total over the chain` : ''}.${none}`;
    case 'selected':
      return `state of the file handler whose string is in ${target.selector}; the handler's own header says what (opaque otherwise).`;
    case 'radix-tree':
      return `the root struct ${target.node} of a radix tree of preserved memory, ${target.depth} levels deep: nodes hold the addresses of the level below in ${target.table}, leaves (struct ${target.leaf}) a bit per preserved page group in ${target.bitmap}. The tree's own pages are not preserved.${none}`;
    case 'bitmap-chunks':
      return `the first block of a chain (${blockWords(target.block)} each) of struct ${target.header} followed by its ${target.count} entries of struct ${target.entry}, each naming the page of bits (${target.bitmap}) of page groups of order ${target.order} from ${target.start}; linked by ${target.next} (0 ends the chain). Its pages are not preserved.${none}`;
    case 'client':
      return `the state of the KHO client named by this node's name: an FDT or a raw struct, as the version that travels under that name keeps it${target.size ? `; ${target.size} holds its size in bytes` : ''}.${none}`;
  }
}

function describeBlock(block: Extract<TargetModel, { block: unknown }>['block']): string {
  return block.kind === 'pages' ? `block of ${block.pages} page${block.pages === 1 ? '' : 's'}` : `block size in pages in @${block.field}`;
}

function blockWords(block: Extract<TargetModel, { block: unknown }>['block']): string {
  if (block.kind === 'header-field') return `its size in pages in ${block.field}`;
  return `${block.pages} ${block.pages === 1 ? 'page' : 'pages'}`;
}

/** Every pointer target a version declares: in its container and in its own structs' fields. */
export function versionTargets(version: VersionModel): TargetModel[] {
  const targets: TargetModel[] = [];
  for (const node of versionNodes(version)) for (const p of node.properties) if (p.pointer) targets.push(p.pointer.target);
  if (version.container?.kind === 'reached-from') targets.push(version.container.target);
  const visit = (fields: readonly FieldModel[]): void => {
    for (const f of fields) {
      if (f.type.kind === 'pointer') targets.push(f.type.target);
      if (f.type.kind === 'inline') visit(f.type.fields);
    }
  };
  for (const struct of version.structs) visit(struct.fields);
  return targets;
}

/**
 * The u64 fields that link the blocks of a chain (`header.next`), keyed `struct.field`, with the
 * structs of the entries of every chain they link. Plain numbers in the struct, but physical
 * addresses all the same.
 */
export function chainLinks(version: VersionModel): Map<string, string[]> {
  const links = new Map<string, string[]>();
  for (const target of versionTargets(version)) {
    if (target.shape !== 'chain') continue;
    const key = `${target.header}.${target.next}`;
    const entries = links.get(key) ?? [];
    if (!entries.includes(target.entry)) entries.push(target.entry);
    links.set(key, entries);
  }
  return links;
}

/** The fixed-width kernel type with a scalar's size and signedness: `unsigned int` is a u32. */
export function fixedWidth(type: { readonly size: number; readonly signed: boolean }): 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' {
  return `${type.signed ? 's' : 'u'}${type.size * 8}` as 'u8';
}
