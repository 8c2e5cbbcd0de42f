/**
 * The canonical layout: for each compatible string of a version, everything the other kernel relies
 * on and nothing it does not (no docs, no source locations). Two layouts are the same ABI exactly when
 * their canonical forms are equal, so this is what the lock file records and what the rules compare.
 *
 * A compatible string guards its node (the node's name and properties) and the structs the model gives it (GuardModel.structs: those its properties reach, not
 * through a subnode with a string of its own). An outer string covers everything beneath it; that is
 * expressed by the key, which names the whole chain of strings from the root down.
 */
import type {
  BlockModel,
  ConstantModel,
  FieldModel,
  GuardModel,
  NodeModel,
  PointerModel,
  PropertyModel,
  StructModel,
  TargetModel,
  TypeInfo,
  VersionModel,
} from '../model/index.ts';
import { allNodes } from '../model/index.ts';

export type CanonicalType =
  | { readonly kind: 'scalar'; readonly name: string }
  | { readonly kind: 'chars'; readonly length: number; readonly constant?: string }
  | { readonly kind: 'array'; readonly element: CanonicalType; readonly length: number; readonly constant?: string }
  | { readonly kind: 'flexible'; readonly element: CanonicalType }
  | { readonly kind: 'struct' | 'union'; readonly name: string }
  | { readonly kind: 'pointer'; readonly nullable: boolean; readonly target: TargetModel };

export interface CanonicalField {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly type: CanonicalType;
}

export interface CanonicalStruct {
  readonly name: string;
  readonly kind: 'struct' | 'union';
  readonly packed: boolean;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly CanonicalField[];
}

export interface CanonicalProperty {
  readonly name: string;
  readonly macro: string;
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
  readonly properties: readonly CanonicalProperty[];
}

/** Where the FDT travels; only the root's string guards it. */
export interface CanonicalFdt {
  readonly khoEntryName: { readonly macro: string; readonly value: string };
  readonly maxSize: { readonly macro: string; readonly c: string };
}

/** What one compatible string guards. */
export interface GuardLayout {
  readonly node: CanonicalNode;
  readonly structs: readonly CanonicalStruct[];
  readonly fdt?: CanonicalFdt;
}

export interface CompatibleRef {
  readonly macro: string;
  readonly value: string;
}

export interface CanonicalGuard {
  /** The chain of strings from the root down to this one: `LUO_FDT_COMPATIBLE=luo-v1 > LUO_FDT_SESSION_COMPATIBLE=luo-session-v2`. */
  readonly key: string;
  readonly macro: string;
  readonly value: string;
  /** The strings of the enclosing nodes, root first; bumping any of them covers this layout too. */
  readonly outer: readonly CompatibleRef[];
  readonly layout: GuardLayout;
}

export interface CanonicalVersion {
  readonly name: string;
  /** Root first, then subnodes in document order. */
  readonly guards: readonly CanonicalGuard[];
}

export function guardKey(chain: readonly CompatibleRef[]): string {
  return chain.map((c) => `${c.macro}=${c.value}`).join(' > ');
}

export function canonicalVersion(version: VersionModel): CanonicalVersion {
  const nodes = new Map(allNodes(version.fdt.root).map((n) => [n.path, n]));
  const structs = new Map(version.structs.map((s) => [s.name, s]));
  const valueOf = new Map(version.guards.map((g) => [g.macro, g.value]));
  const guards = version.guards.map((guard): CanonicalGuard => {
    const outer = guard.outer.map((macro) => ({ macro, value: valueOf.get(macro)! }));
    const node = nodes.get(guard.node)!;
    return {
      key: guardKey([...outer, { macro: guard.macro, value: guard.value }]),
      macro: guard.macro,
      value: guard.value,
      outer,
      layout: guardLayout(guard, node, structs, node.path === '/' ? version : undefined),
    };
  });
  return { name: version.name, guards };
}

function guardLayout(
  guard: GuardModel,
  node: NodeModel,
  structs: ReadonlyMap<string, StructModel>,
  rootOf: VersionModel | undefined,
): GuardLayout {
  return {
    node: canonicalNode(node),
    structs: guard.structs.map((name) => canonicalStruct(structs.get(name)!)),
    ...(rootOf ? { fdt: canonicalFdt(rootOf.fdt.khoEntryName, rootOf.fdt.maxSize) } : {}),
  };
}

function canonicalFdt(khoEntryName: ConstantModel, maxSize: ConstantModel): CanonicalFdt {
  return {
    khoEntryName: { macro: khoEntryName.name, value: String(khoEntryName.value) },
    maxSize: { macro: maxSize.name, c: maxSize.c },
  };
}

export function canonicalNode(node: NodeModel): CanonicalNode {
  return {
    path: node.path,
    ...(node.nameMacro ? { nameMacro: node.nameMacro } : {}),
    properties: node.properties.map(canonicalProperty),
  };
}

function canonicalProperty(property: PropertyModel): CanonicalProperty {
  return {
    name: property.name,
    macro: property.macro,
    kind: property.kind,
    ...(property.pointer ? { pointer: canonicalPointer(property.pointer) } : {}),
  };
}

export function canonicalStruct(struct: StructModel): CanonicalStruct {
  return {
    name: struct.name,
    kind: struct.kind,
    packed: struct.packed,
    size: struct.size,
    align: struct.align,
    fields: struct.fields.map(canonicalField),
  };
}

function canonicalField(field: FieldModel): CanonicalField {
  return { name: field.name, offset: field.offset, size: field.size, type: canonicalType(field.type) };
}

export function canonicalType(type: TypeInfo): CanonicalType {
  switch (type.kind) {
    case 'scalar':
      return { kind: 'scalar', name: type.name };
    case 'chars':
      return { kind: 'chars', length: type.length, ...(type.lengthConstant ? { constant: type.lengthConstant } : {}) };
    case 'array':
      return {
        kind: 'array',
        element: canonicalType(type.element),
        length: type.length,
        ...(type.lengthConstant ? { constant: type.lengthConstant } : {}),
      };
    case 'flexible':
      return { kind: 'flexible', element: canonicalType(type.element) };
    case 'aggregate':
      return { kind: type.aggregate, name: type.name };
    case 'pointer':
      return { kind: 'pointer', ...canonicalPointer(type) };
  }
}

function canonicalPointer(pointer: PointerModel): { nullable: boolean; target: TargetModel } {
  return { nullable: pointer.nullable, target: canonicalTarget(pointer.target) };
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
    case 'chars':
      return `char[${lengthText(type.length, type.constant)}]`;
    case 'array':
      return `${describeType(type.element)}[${lengthText(type.length, type.constant)}]`;
    case 'flexible':
      return `${describeType(type.element)}[]`;
    case 'struct':
    case 'union':
      return `${type.kind} ${type.name}`;
    case 'pointer':
      return `u64 PA of ${describeTarget(type.target)}${type.nullable ? ' (0 = none)' : ''}`;
  }
}

function lengthText(length: number, constant?: string): string {
  return constant ? `${constant} = ${length}` : String(length);
}

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
  }
}

function describeBlock(block: BlockModel): string {
  return block.kind === 'pages' ? `block of ${block.pages} page${block.pages === 1 ? '' : 's'}` : `block size in pages in @${block.field}`;
}

export function describeProperty(property: CanonicalProperty): string {
  const value = property.pointer ? describeType({ kind: 'pointer', ...property.pointer }) : property.kind === 'u64' ? 'u64' : 'string';
  return `${property.macro} "${property.name}": ${value}`;
}

/** Stable JSON for equality tests: key order is fixed by construction above. */
export function sameLayout(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
