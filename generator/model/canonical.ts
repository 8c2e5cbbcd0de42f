/**
 * The canonical layout: for each guard string of a version, everything the other kernel relies on
 * and nothing it does not (no docs, no source locations). Two layouts are the same ABI exactly when
 * their canonical forms are equal, so this is what the lock file records, what the checker compares
 * and what the docs' changelog lists.
 *
 * A guard is identified by its role (where its string sits: an FDT node, a struct's char[] field,
 * the selector of another header's field, or a header's own library string), never by its macro's
 * name: renaming the macro is no bump. Its key names the header, the role and the value of every
 * string from the outermost down, so an outer string's bump gives every layout beneath it a new key.
 */
import type {
  AreaModel,
  BlockModel,
  ContainerModel,
  FieldModel,
  GuardModel,
  GuardRole,
  NodeModel,
  PointerForm,
  PointerModel,
  PropertyModel,
  StructModel,
  TargetModel,
  TypeInfo,
  VersionModel,
} from './model.ts';
import { versionNodes } from './model.ts';
import { describeTarget } from './repr.ts';

export type CanonicalType =
  | { readonly kind: 'scalar'; readonly name: string }
  | { readonly kind: 'bits'; readonly base: string; readonly width: number }
  | { readonly kind: 'chars'; readonly length: number; readonly c?: string }
  | { readonly kind: 'array'; readonly element: CanonicalType; readonly length: number; readonly c?: string }
  | { readonly kind: 'flexible'; readonly element: CanonicalType }
  | { readonly kind: 'bitmap'; readonly bits: number; readonly c?: string }
  | { readonly kind: 'struct' | 'union'; readonly name: string }
  | { readonly kind: 'inline'; readonly aggregate: 'struct' | 'union'; readonly packed: boolean; readonly fields: readonly CanonicalField[] }
  | { readonly kind: 'pointer'; readonly nullable: boolean; readonly form?: PointerForm; readonly target: TargetModel };

export interface CanonicalField {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** A bit-field's first bit past `offset`, in allocation order, and its width. */
  readonly bits?: { readonly shift: number; readonly width: number };
  readonly anonymous?: boolean;
  /** A page-list descriptor's field: what its area holds. */
  readonly holds?: AreaModel;
  readonly type: CanonicalType;
}

export interface CanonicalStruct {
  readonly name: string;
  readonly kind: 'struct' | 'union';
  readonly packed: boolean;
  readonly size: number;
  /** sizeof as C text, when it depends on the page size (`PAGE_SIZE`). */
  readonly sizeC?: string;
  readonly align: number;
  readonly fields: readonly CanonicalField[];
}

export interface CanonicalProperty {
  readonly name: string;
  /** Absent where the kernel writes the name as a literal. */
  readonly macro?: string;
  readonly kind: 'string' | 'u64' | 'pointer';
  readonly pointer?: { readonly nullable: boolean; readonly target: TargetModel };
}

/**
 * A node's own part. Its subnodes are not listed: each has a string of its own whose entry names the
 * node's path and the strings enclosing it, so a subnode added under an unchanged string is a new
 * entry (the older kernel ignores the node), and one removed or renamed is missing from under its
 * parent, which the parent's string must answer for.
 */
export interface CanonicalNode {
  readonly path: string;
  readonly nameMacro?: string;
  /** Set for a node that stands for every child named at run time. */
  readonly anyName?: string;
  readonly properties: readonly CanonicalProperty[];
  /** Subnodes with no string of their own: this node's string guards them. */
  readonly children?: readonly CanonicalNode[];
}

/** Where the state travels: only the outermost string guards it. */
export type CanonicalContainer =
  | {
      readonly kind: 'fdt';
      readonly khoEntry?: { readonly macro: string; readonly value: string };
      readonly maxSize?: { readonly macro: string; readonly c: string };
    }
  | { readonly kind: 'kho-entry'; readonly khoEntry: { readonly macro: string; readonly value: string }; readonly struct: string; readonly field?: string }
  | { readonly kind: 'reached-from'; readonly from: string; readonly field: string; readonly selector: string; readonly target: TargetModel };

/** What one guard string guards. */
export interface GuardLayout {
  readonly container?: CanonicalContainer;
  readonly node?: CanonicalNode;
  readonly structs: readonly CanonicalStruct[];
}

export interface CompatibleRef {
  readonly macro: string;
  readonly value: string;
}

/** An enclosing guard: its string and its identity. */
export interface OuterRef extends CompatibleRef {
  readonly role: string;
}

export interface CanonicalGuard {
  /** The header, role and value of every string from the outermost down: `luo@/=luo-v1 > luo@/luo-session=luo-session-v2`. */
  readonly key: string;
  /** The header and role alone: the guard's identity across versions (`luo@/luo-session`). */
  readonly role: string;
  readonly header: string;
  readonly macro: string;
  readonly value: string;
  /** The strings of the enclosing guards, outermost first; bumping any of them covers this layout too. */
  readonly outer: readonly OuterRef[];
  /** Other headers' strings composed into this one. */
  readonly components: readonly CompatibleRef[];
  readonly layout: GuardLayout;
}

export interface CanonicalVersion {
  readonly header: string;
  readonly name: string;
  /** The container's guards, root first, then the version's own library string. */
  readonly guards: readonly CanonicalGuard[];
}

/** How a role reads in keys and messages: `/luo-session`, `luo_ser.compatible`, `(library)`. */
export function roleText(role: GuardRole): string {
  switch (role.kind) {
    case 'node':
      return role.node;
    case 'field':
      return `${role.struct}.${role.field}`;
    case 'selector':
      return `${role.header}.${role.struct}.${role.field}`;
    case 'library':
      return '(library)';
  }
}

/** A role in words, for findings: `the compatible of FDT node /luo-session`. */
export function roleWords(role: GuardRole): string {
  switch (role.kind) {
    case 'node':
      return role.node === '/' ? 'the root compatible of the FDT' : `the compatible of FDT node ${role.node}`;
    case 'field':
      return `the string in ${role.struct}.${role.field}`;
    case 'selector':
      return `the handler string in ${role.struct}.${role.field} (${role.header}.h)`;
    case 'library':
      return 'the header\'s own string';
  }
}

export function guardKey(chain: readonly { header: string; role: string; value: string }[]): string {
  return chain.map((c) => `${c.header}@${c.role}=${c.value}`).join(' > ');
}

export function canonicalVersion(version: VersionModel): CanonicalVersion {
  const nodes = new Map(versionNodes(version).map((n) => [n.path, n]));
  const structs = new Map(version.visibleStructs.map((s) => [s.name, s]));
  const byMacro = new Map(version.guards.map((g) => [g.macro, g]));
  const guards = version.guards.map((guard): CanonicalGuard => {
    const outerGuards = guard.outer.map((macro) => byMacro.get(macro)!);
    const role = roleText(guard.role);
    const chain = [...outerGuards.map((g) => ({ header: version.header, role: roleText(g.role), value: g.value })), { header: version.header, role, value: guard.value }];
    return {
      key: guardKey(chain),
      role: `${version.header}@${role}`,
      header: version.header,
      macro: guard.macro,
      value: guard.value,
      outer: outerGuards.map((g) => ({ macro: g.macro, value: g.value, role: `${version.header}@${roleText(g.role)}` })),
      components: guard.components.map((c) => ({ macro: c.macro, value: c.value })),
      layout: guardLayout(guard, version, nodes, structs),
    };
  });
  return { header: version.header, name: version.name, guards };
}

function guardLayout(guard: GuardModel, version: VersionModel, nodes: ReadonlyMap<string, NodeModel>, structs: ReadonlyMap<string, StructModel>): GuardLayout {
  const node = guard.role.kind === 'node' ? nodes.get(guard.role.node) : undefined;
  const outermost = guard.outer.length === 0 && guard.role.kind !== 'library';
  const container = outermost && version.container ? canonicalContainer(version.container) : undefined;
  return {
    ...(container ? { container } : {}),
    ...(node ? { node: canonicalNode(node) } : {}),
    structs: guard.structs.map((name) => canonicalStruct(structs.get(name)!)),
  };
}

function canonicalContainer(container: ContainerModel): CanonicalContainer {
  switch (container.kind) {
    case 'fdt':
      return {
        kind: 'fdt',
        ...(container.khoEntry ? { khoEntry: { macro: container.khoEntry.name, value: String(container.khoEntry.value) } } : {}),
        ...(container.maxSize ? { maxSize: { macro: container.maxSize.name, c: container.maxSize.c } } : {}),
      };
    case 'kho-entry':
      return { kind: 'kho-entry', khoEntry: { macro: container.khoEntry.name, value: String(container.khoEntry.value) }, struct: container.struct, ...(container.field ? { field: container.field } : {}) };
    case 'reached-from':
      return { kind: 'reached-from', from: `${container.from.header}.${container.from.struct}`, field: container.field, selector: container.selector, target: canonicalTarget(container.target) };
  }
}

export function canonicalNode(node: NodeModel): CanonicalNode {
  const unguarded = node.children.filter((c) => !c.compatible);
  return {
    path: node.path,
    ...(node.nameMacro ? { nameMacro: node.nameMacro } : {}),
    ...(node.anyName !== undefined ? { anyName: node.anyName } : {}),
    properties: node.properties.map(canonicalProperty),
    ...(unguarded.length > 0 ? { children: unguarded.map(canonicalNode) } : {}),
  };
}

function canonicalProperty(property: PropertyModel): CanonicalProperty {
  return {
    name: property.name,
    ...(property.macro ? { macro: property.macro } : {}),
    kind: property.kind,
    ...(property.pointer ? { pointer: { nullable: property.pointer.nullable, target: canonicalTarget(property.pointer.target) } } : {}),
  };
}

export function canonicalStruct(struct: StructModel): CanonicalStruct {
  return {
    name: struct.name,
    kind: struct.kind,
    packed: struct.packed,
    size: struct.size,
    ...(struct.sizeC !== String(struct.size) && struct.sizeC !== '' ? { sizeC: struct.sizeC } : {}),
    align: struct.align,
    fields: struct.fields.map(canonicalField),
  };
}

function canonicalField(field: FieldModel): CanonicalField {
  return {
    name: field.name,
    offset: field.offset,
    size: field.size,
    ...(field.bits ? { bits: { shift: field.bits.shift, width: field.bits.width } } : {}),
    ...(field.anonymous ? { anonymous: true } : {}),
    ...(field.holds ? { holds: canonicalArea(field.holds) } : {}),
    type: canonicalType(field.type),
  };
}

function canonicalArea(area: AreaModel): AreaModel {
  const { list } = area;
  return {
    list: { descriptor: list.descriptor, first: list.first, chunk: list.chunk, next: [...list.next], pages: list.pages, order: list.order, totalPages: list.totalPages },
    entry: area.entry,
    count: area.count,
  };
}

/** A length's C text, kept only where it says more than the number. */
function lengthC(length: number, c: string): { c?: string } {
  return c === String(length) ? {} : { c };
}

export function canonicalType(type: TypeInfo): CanonicalType {
  switch (type.kind) {
    case 'scalar':
      return { kind: 'scalar', name: type.name };
    case 'bits':
      return { kind: 'bits', base: type.base.name, width: type.width };
    case 'chars':
      return { kind: 'chars', length: type.length, ...lengthC(type.length, type.lengthC) };
    case 'array':
      return { kind: 'array', element: canonicalType(type.element), length: type.length, ...lengthC(type.length, type.lengthC) };
    case 'flexible':
      return { kind: 'flexible', element: canonicalType(type.element) };
    case 'bitmap':
      return { kind: 'bitmap', bits: type.bits, ...lengthC(type.bits, type.bitsC) };
    case 'aggregate':
      return { kind: type.aggregate, name: type.name };
    case 'inline':
      return { kind: 'inline', aggregate: type.aggregate, packed: type.packed, fields: type.fields.map(canonicalField) };
    case 'pointer':
      return canonicalPointer(type);
  }
}

function canonicalPointer(pointer: PointerModel): CanonicalType {
  // A plain u64 is the default form; only another spelling is recorded.
  return { kind: 'pointer', nullable: pointer.nullable, ...(pointer.form !== 'u64' ? { form: pointer.form } : {}), target: canonicalTarget(pointer.target) };
}

/** A fixed key order, so that equal targets serialise equally whatever built them. */
function canonicalTarget(target: TargetModel): TargetModel {
  switch (target.shape) {
    case 'struct':
      return { shape: 'struct', struct: target.struct };
    case 'array':
      return { shape: 'array', entry: target.entry, count: target.count, block: canonicalBlock(target.block) };
    case 'header-array':
      return { shape: 'header-array', header: target.header, count: target.count, entry: target.entry, block: canonicalBlock(target.block) };
    case 'chain':
      return {
        shape: 'chain',
        header: target.header,
        next: target.next,
        count: target.count,
        entry: target.entry,
        block: canonicalBlock(target.block),
        ...(target.total ? { total: target.total } : {}),
      };
    case 'selected':
      return { shape: 'selected', selector: target.selector };
    case 'radix-tree':
      return { shape: 'radix-tree', node: target.node, table: target.table, leaf: target.leaf, bitmap: target.bitmap, depth: target.depth, order0: target.order0 };
    case 'bitmap-chunks':
      return {
        shape: 'bitmap-chunks',
        header: target.header,
        next: target.next,
        order: target.order,
        count: target.count,
        entry: target.entry,
        start: target.start,
        bitmap: target.bitmap,
        bits: { struct: target.bits.struct, field: target.bits.field },
        block: canonicalBlock(target.block),
      };
    case 'client':
      return { shape: 'client', ...(target.size !== undefined ? { size: target.size } : {}) };
  }
}

function canonicalBlock(block: BlockModel): BlockModel {
  return block.kind === 'pages' ? { kind: 'pages', pages: block.pages } : { kind: 'header-field', field: block.field, unit: block.unit };
}

// -----------------------------------------------------------------------------------------------
// One-line renderings, for findings, changelogs and the lock file's readers.

export function describeType(type: CanonicalType): string {
  switch (type.kind) {
    case 'scalar':
      return type.name;
    case 'bits':
      return `${type.base}:${type.width}`;
    case 'chars':
      return `char[${lengthText(type.length, type.c)}]`;
    case 'array':
      return `${describeType(type.element)}[${lengthText(type.length, type.c)}]`;
    case 'flexible':
      return `${describeType(type.element)}[]`;
    case 'bitmap':
      return `bitmap of ${lengthText(type.bits, type.c)} bits`;
    case 'struct':
    case 'union':
      return `${type.kind} ${type.name}`;
    case 'inline':
      return `${type.aggregate} { ${type.fields.map((f) => `${describeType(f.type)} ${f.name}`).join('; ')} }`;
    case 'pointer':
      return `${type.form === 'khoser' ? 'KHOSER' : type.form ?? 'u64'} PA of ${describeTarget(type.target)}${type.nullable ? ' (0 = none)' : ''}`;
  }
}

function lengthText(length: number, c?: string): string {
  return c ? `${c} = ${length}` : String(length);
}

export function describeProperty(property: CanonicalProperty): string {
  const value = property.pointer ? describeType({ kind: 'pointer', ...property.pointer }) : property.kind === 'u64' ? 'u64' : 'string';
  return `${property.macro ? `${property.macro} ` : ''}"${property.name}": ${value}`;
}

/** Stable JSON for equality tests: key order is fixed by construction above. */
export function sameLayout(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
