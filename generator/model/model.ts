/**
 * The model: a schema after validation and layout. Emitters (C, TypeScript, docs) and the checker read
 * only this, never the raw schema, so every number they print comes from one place.
 *
 * Everything here is plain data (names instead of object references) so it can be compared,
 * serialised into the lock file and printed.
 */
import type { SourceLocation } from '../../schema/lang.ts';

export type { SourceLocation };

export interface ConstantModel {
  readonly name: string;
  readonly kind: 'number' | 'string' | 'expr';
  /** The value as C text: `64`, `"luo-v2"`, `PAGE_SIZE`. */
  readonly c: string;
  /** Numbers and strings; an expression's value on the default target (PAGE_SIZE 4096). */
  readonly value: number | string;
  /** Set when another header defines it; the generated header includes that one instead. */
  readonly include?: string;
  readonly doc?: string;
  readonly at?: SourceLocation;
}

export type ScalarName = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';

export type BlockModel =
  | { readonly kind: 'pages'; readonly pages: number }
  | { readonly kind: 'header-field'; readonly field: string; readonly unit: 'pages' };

export type TargetModel =
  | { readonly shape: 'struct'; readonly struct: string }
  | {
      readonly shape: 'header-array';
      readonly header: string;
      readonly count: string;
      readonly entry: string;
      readonly block: BlockModel;
    }
  | { readonly shape: 'array'; readonly entry: string; readonly count: string; readonly block: BlockModel }
  | {
      readonly shape: 'chain';
      readonly header: string;
      readonly next: string;
      readonly count: string;
      readonly entry: string;
      readonly block: BlockModel;
      readonly total?: string;
    };

export interface PointerModel {
  readonly nullable: boolean;
  readonly target: TargetModel;
}

export type TypeInfo =
  | { readonly kind: 'scalar'; readonly name: ScalarName; readonly size: number; readonly signed: boolean }
  | { readonly kind: 'chars'; readonly length: number; readonly lengthConstant?: string }
  | { readonly kind: 'array'; readonly element: TypeInfo; readonly length: number; readonly lengthConstant?: string }
  | { readonly kind: 'flexible'; readonly element: TypeInfo }
  | { readonly kind: 'aggregate'; readonly aggregate: 'struct' | 'union'; readonly name: string }
  /** Stored as a u64. */
  | ({ readonly kind: 'pointer' } & PointerModel);

export interface FieldModel {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  readonly type: TypeInfo;
  readonly doc: string;
  readonly at?: SourceLocation;
}

export interface StructModel {
  readonly kind: 'struct' | 'union';
  readonly name: string;
  readonly packed: boolean;
  readonly size: number;
  readonly align: number;
  readonly summary: string;
  readonly description: readonly string[];
  readonly fields: readonly FieldModel[];
  /** The macro of the compatible string that guards this struct (the innermost node reaching it). */
  readonly guard: string;
  readonly at?: SourceLocation;
}

export interface PropertyModel {
  /** The property name as written in the FDT. */
  readonly name: string;
  /** The macro holding the name. */
  readonly macro: string;
  readonly kind: 'string' | 'u64' | 'pointer';
  readonly pointer?: PointerModel;
  readonly doc: string;
  readonly at?: SourceLocation;
}

export interface NodeModel {
  /** '/' for the root, '/luo-session' for a subnode. */
  readonly path: string;
  /** '' for the root. */
  readonly name: string;
  readonly nameMacro?: string;
  readonly compatible: { readonly macro: string; readonly value: string };
  readonly doc: string;
  readonly properties: readonly PropertyModel[];
  readonly children: readonly NodeModel[];
  readonly at?: SourceLocation;
}

/** One compatible string and everything it guards. */
export interface GuardModel {
  readonly macro: string;
  readonly value: string;
  /** The node whose `compatible` property carries it. */
  readonly node: string;
  /** Properties of that node (compatible aside), by name. */
  readonly properties: readonly string[];
  /** Structs reached from those properties, not through a node with its own string; sorted. */
  readonly structs: readonly string[];
  /** Macros of the guards of the node's ancestors: an outer guard covers everything beneath it. */
  readonly outer: readonly string[];
}

export interface FdtModel {
  readonly khoEntryName: ConstantModel;
  readonly maxSize: ConstantModel;
  readonly root: NodeModel;
}

export interface VersionModel {
  readonly name: string;
  readonly origin: string;
  readonly doc: { readonly title: string; readonly paragraphs: readonly string[] };
  readonly constants: readonly ConstantModel[];
  readonly structs: readonly StructModel[];
  readonly fdt: FdtModel;
  /** Root first, then subnodes in document order. */
  readonly guards: readonly GuardModel[];
  /** Headers to #include, in order. */
  readonly includes: readonly string[];
  readonly at?: SourceLocation;
}

export interface HeaderModel {
  readonly path: string;
  readonly includeGuard: string;
  readonly spdx: string;
  readonly copyright: readonly string[];
}

export interface Model {
  readonly name: string;
  readonly header: HeaderModel;
  /** Oldest first. */
  readonly versions: readonly VersionModel[];
  readonly current: VersionModel;
}

export function findStruct(version: VersionModel, name: string): StructModel {
  const found = version.structs.find((s) => s.name === name);
  if (!found) throw new Error(`${version.name}: no struct ${name}`);
  return found;
}

export function findVersion(model: Model, name: string): VersionModel {
  const found = model.versions.find((v) => v.name === name);
  if (!found) throw new Error(`no version ${name}; known: ${model.versions.map((v) => v.name).join(', ')}`);
  return found;
}

/** Every node of the FDT, root first, depth first. */
export function allNodes(root: NodeModel): NodeModel[] {
  return [root, ...root.children.flatMap(allNodes)];
}

/** Structs a pointer target names, in the order header, entry. */
export function targetStructs(target: TargetModel): string[] {
  switch (target.shape) {
    case 'struct':
      return [target.struct];
    case 'array':
      return [target.entry];
    case 'header-array':
    case 'chain':
      return [target.header, target.entry];
  }
}

/**
 * Size and natural alignment of a type on LP64, given how to find a named struct's. One rule for
 * the layout engine (while it lays structs out) and for every emitter or test that needs a size.
 */
export function typeLayout(type: TypeInfo, aggregate: (name: string) => { size: number; align: number }): { size: number; align: number } {
  switch (type.kind) {
    case 'scalar':
      return { size: type.size, align: type.size };
    case 'pointer':
      return { size: 8, align: 8 };
    case 'chars':
      return { size: type.length, align: 1 };
    case 'array': {
      const element = typeLayout(type.element, aggregate);
      return { size: element.size * type.length, align: element.align };
    }
    case 'flexible':
      return { size: 0, align: typeLayout(type.element, aggregate).align };
    case 'aggregate':
      return aggregate(type.name);
  }
}

/** The size of a type in a laid-out version. */
export function typeSize(version: VersionModel, type: TypeInfo): number {
  return typeLayout(type, (name) => findStruct(version, name)).size;
}
