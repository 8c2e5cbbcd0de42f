/**
 * The model: a schema after validation and layout, for one target (a page size). Emitters (C,
 * TypeScript, docs), the checker and the image codec read only this, never the raw schema, so every
 * number they print comes from one place.
 *
 * Everything here is plain data (names instead of object references) so it can be compared,
 * serialised into the lock file and printed.
 */
import type { FeatureVersionModel } from './features.ts';
import type { SourceLocation } from '../../schema/lang.ts';

export type { SourceLocation };

/** The page sizes the kernel supports for KHO: 4 KiB, 16 KiB and 64 KiB. */
export const PAGE_SHIFTS = [12, 14, 16] as const;
export type PageShift = (typeof PAGE_SHIFTS)[number];

/** What a model is laid out for. */
export interface PageTarget {
  readonly pageShift: PageShift;
  readonly pageSize: number;
}

/** A value a constant expression has: an integer (bigint only past 2^53) or a string. */
export type ConstantValue = number | bigint | string;

export interface ConstantModel {
  readonly name: string;
  /**
   * number/string: a literal; expr: an object-like macro over other names; macro: function-like
   * (`params`, no value); enum-member: a member of the enum `enum`.
   */
  readonly kind: 'number' | 'string' | 'expr' | 'macro' | 'enum-member';
  /** The value (or a macro's body) as C text: `64`, `"luo-v2"`, `PAGE_SIZE`, `";" str`. */
  readonly c: string;
  /** The value on this model's target; absent for a function-like macro. */
  readonly value?: ConstantValue;
  /** A function-like macro's parameters. */
  readonly params?: readonly string[];
  /** An enum member's enum. */
  readonly enum?: string;
  /** Set when a header outside the family defines it; the generated header includes that one instead. */
  readonly include?: string;
  /** Defined only under `#ifdef` of this CONFIG option. */
  readonly config?: string;
  /** Names of the family's constants and macros (own or of used headers) the value refers to. */
  readonly refs: readonly string[];
  /** Structs whose size the value depends on (through sizeof). */
  readonly sizeofStructs: readonly string[];
  readonly doc?: string;
  readonly at?: SourceLocation;
}

/** An enum of constants; its members are ConstantModels of kind enum-member. */
export interface EnumModel {
  readonly name: string;
  readonly members: readonly string[];
  readonly doc?: string;
  readonly at?: SourceLocation;
}

export type ScalarName =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 's8'
  | 's16'
  | 's32'
  | 's64'
  | 'unsigned char'
  | 'unsigned short'
  | 'unsigned int'
  | 'unsigned long'
  | 'int'
  | 'long'
  | 'phys_addr_t';

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
    }
  | { readonly shape: 'selected'; readonly selector: string }
  /** KHO's radix tree of preserved page groups (lang.ts RadixTreeTarget); depth and order0 at this page size. */
  | {
      readonly shape: 'radix-tree';
      readonly node: string;
      readonly table: string;
      readonly leaf: string;
      readonly bitmap: string;
      readonly depth: number;
      readonly order0: number;
    }
  /** KHO's chain of bitmap chunks of preserved page groups (lang.ts BitmapChunksTarget). */
  | {
      readonly shape: 'bitmap-chunks';
      readonly header: string;
      readonly next: string;
      readonly order: string;
      readonly count: string;
      readonly entry: string;
      readonly start: string;
      readonly bitmap: string;
      /** The struct the bitmap field points at, and its bitmap field. */
      readonly bits: { readonly struct: string; readonly field: string };
      readonly block: BlockModel;
    }
  /** The state of the KHO client the node's name names; `size`: the node's property holding its size. */
  | { readonly shape: 'client'; readonly size?: string };

/** A struct handing over an area page group by page group (lang.ts PageList), by field names. */
export interface PageListModel {
  readonly descriptor: string;
  readonly first: string;
  readonly chunk: string;
  /** The path through the chunk to its next-chunk address: ['hdr', 'next']. */
  readonly next: readonly string[];
  readonly pages: string;
  readonly order: string;
  readonly totalPages: string;
}

/** What a page-list area holds: `entry[count]`, `count` a field of the struct holding the descriptor. */
export interface AreaModel {
  readonly list: PageListModel;
  readonly entry: string;
  readonly count: string;
}

export type PointerForm = 'u64' | 'phys_addr_t' | 'khoser';

export interface PointerModel {
  readonly nullable: boolean;
  readonly form: PointerForm;
  readonly target: TargetModel;
}

export interface ScalarInfo {
  readonly kind: 'scalar';
  readonly name: ScalarName;
  readonly size: number;
  readonly signed: boolean;
}

export type TypeInfo =
  | ScalarInfo
  /** A bit-field: its bits are FieldModel.bits. */
  | { readonly kind: 'bits'; readonly base: ScalarInfo; readonly width: number }
  /** `lengthC` is the C text of the length: a number, a constant's name or an expression. */
  | { readonly kind: 'chars'; readonly length: number; readonly lengthC: string; readonly lengthConstant?: string }
  | {
      readonly kind: 'array';
      readonly element: TypeInfo;
      readonly length: number;
      readonly lengthC: string;
      readonly lengthConstant?: string;
    }
  | { readonly kind: 'flexible'; readonly element: TypeInfo }
  /** DECLARE_BITMAP: `words` unsigned longs holding `bits` bits. */
  | { readonly kind: 'bitmap'; readonly bits: number; readonly bitsC: string; readonly words: number }
  | { readonly kind: 'aggregate'; readonly aggregate: 'struct' | 'union'; readonly name: string }
  /** A struct or union declared in place; its fields' offsets are relative to its start. */
  | {
      readonly kind: 'inline';
      readonly aggregate: 'struct' | 'union';
      readonly packed: boolean;
      readonly fields: readonly FieldModel[];
      readonly size: number;
      readonly align: number;
    }
  /** Stored as 8 bytes (a u64, a phys_addr_t or a KHOSER union). */
  | ({ readonly kind: 'pointer' } & PointerModel);

export interface FieldModel {
  readonly name: string;
  /** Byte offset in the enclosing struct; for a bit-field, of the first byte holding its bits. */
  readonly offset: number;
  /** Bytes; for a bit-field, the bytes its bits touch. */
  readonly size: number;
  readonly align: number;
  readonly type: TypeInfo;
  /** A bit-field's place: `shift` bits past the start of byte `offset`, in allocation order. */
  readonly bits?: { readonly shift: number; readonly width: number };
  /** An anonymous struct or union member: its fields are the enclosing struct's. */
  readonly anonymous?: boolean;
  /** A page-list descriptor's field: what its area holds. */
  readonly holds?: AreaModel;
  readonly doc: string;
  readonly at?: SourceLocation;
}

export interface StructModel {
  readonly kind: 'struct' | 'union';
  readonly name: string;
  /** The header and version that declare it. */
  readonly header: string;
  readonly version: string;
  readonly packed: boolean;
  readonly size: number;
  /** sizeof as C text that holds on every page size: `24`, `PAGE_SIZE`, `2 * PAGE_SIZE + 16`. */
  readonly sizeC: string;
  readonly align: number;
  readonly summary: string;
  readonly description: readonly string[];
  readonly fields: readonly FieldModel[];
  /** The macro of the string that guards it in the version that declares it ('' if none does). */
  readonly guard: string;
  readonly at?: SourceLocation;
}

export interface PropertyModel {
  /** The property name as written in the FDT. */
  readonly name: string;
  /** The macro holding the name; absent where the kernel writes the name as a literal. */
  readonly macro?: string;
  readonly kind: 'string' | 'u64' | 'pointer';
  readonly pointer?: PointerModel;
  readonly doc: string;
  readonly at?: SourceLocation;
}

export interface NodeModel {
  /** '/' for the root, '/luo-session' for a subnode, '/<client>' for children named at run time. */
  readonly path: string;
  /** '' for the root and for children named at run time. */
  readonly name: string;
  readonly nameMacro?: string;
  /** For a node that stands for every child not named otherwise: what the names are (`client`). */
  readonly anyName?: string;
  /** Absent for a subnode its parent's string guards. */
  readonly compatible?: { readonly macro: string; readonly value: string };
  readonly doc: string;
  readonly properties: readonly PropertyModel[];
  readonly children: readonly NodeModel[];
  readonly at?: SourceLocation;
}

export interface FdtContainerModel {
  readonly kind: 'fdt';
  /** The KHO sub-tree it travels under; absent for KHO's own root FDT. */
  readonly khoEntry?: ConstantModel;
  readonly maxSize?: ConstantModel;
  readonly root: NodeModel;
  readonly at?: SourceLocation;
}

export interface KhoEntryContainerModel {
  readonly kind: 'kho-entry';
  readonly khoEntry: ConstantModel;
  readonly struct: string;
  /** The char[] field holding the compatible string; both absent where feature bits guard the state instead. */
  readonly field?: string;
  readonly compatible?: { readonly macro: string; readonly value: string };
  readonly at?: SourceLocation;
}

export interface ReachedFromContainerModel {
  readonly kind: 'reached-from';
  /** The struct holding the address, and the header that declares it. */
  readonly from: { readonly header: string; readonly struct: string };
  readonly field: string;
  readonly selector: string;
  readonly compatible: { readonly macro: string; readonly value: string };
  readonly target: TargetModel;
  readonly at?: SourceLocation;
}

export type ContainerModel = FdtContainerModel | KhoEntryContainerModel | ReachedFromContainerModel;

/** Where a guard string sits, which is what identifies it (not its macro's name). */
export type GuardRole =
  /** The `compatible` property of an FDT node. */
  | { readonly kind: 'node'; readonly node: string }
  /** A char[] field of the struct a KHO entry holds. */
  | { readonly kind: 'field'; readonly struct: string; readonly field: string }
  /** The string in another header's field that selects this version's state. */
  | { readonly kind: 'selector'; readonly header: string; readonly struct: string; readonly field: string }
  /** A header's own string, checked only as part of the strings that compose it. */
  | { readonly kind: 'library' };

/** One guard string and everything it guards. */
export interface GuardModel {
  readonly macro: string;
  readonly value: string;
  readonly role: GuardRole;
  /** Other headers' guard strings composed into this one (KHO_SUB_COMPAT), in order. */
  readonly components: readonly { readonly macro: string; readonly value: string }[];
  /** For a node guard: the node's properties (compatible aside), by name. */
  readonly properties: readonly string[];
  /** Structs it guards, not through an inner guard; sorted. */
  readonly structs: readonly string[];
  /** Macros of the enclosing guards: an outer guard covers everything beneath it. */
  readonly outer: readonly string[];
}

export interface VersionRef {
  readonly header: string;
  readonly version: string;
}

export interface VersionModel {
  /** The header this is a version of. */
  readonly header: string;
  readonly name: string;
  readonly origin: string;
  readonly doc: { readonly title: string; readonly paragraphs: readonly string[] };
  /** The versions of other headers it uses, directly. */
  readonly uses: readonly VersionRef[];
  /** Own constants, macros and enum members, in the order the header defines them. */
  readonly constants: readonly ConstantModel[];
  readonly enums: readonly EnumModel[];
  /** Own structs, in declaration order. */
  readonly structs: readonly StructModel[];
  /** Own structs and those of every used version (transitively): what its fields and pointers may name. */
  readonly visibleStructs: readonly StructModel[];
  /** Structs of the kernel's .c file (lang.ts localTypes): for the image codec, not the header. */
  readonly localStructs?: readonly StructModel[];
  readonly container?: ContainerModel;
  /** The container's guards (root first), then the version's own library guard, if any. */
  readonly guards: readonly GuardModel[];
  /** Feature bits that guard its state (instead of, or beside, a string), when it negotiates features. */
  readonly features?: FeatureVersionModel;
  /** Headers to #include beyond the family's (uapi and the like), in order. */
  readonly includes: readonly string[];
  /** Checker findings upstream made that this version records as released, with the reason. */
  readonly acknowledges: readonly { readonly rule: string; readonly reason: string }[];
  readonly at?: SourceLocation;
}

export interface HeaderModel {
  readonly name: string;
  readonly path: string;
  readonly includeGuard: string;
  readonly spdx: string;
  readonly copyright: readonly string[];
  /** Oldest first. */
  readonly versions: readonly VersionModel[];
  readonly current: VersionModel;
}

export interface Model {
  readonly name: string;
  readonly target: PageTarget;
  /** Headers in dependency order: a header comes after every header its versions use. */
  readonly headers: readonly HeaderModel[];
}

// -----------------------------------------------------------------------------------------------
// Lookups

export function findHeader(model: Model, name: string): HeaderModel {
  const found = model.headers.find((h) => h.name === name);
  if (!found) throw new Error(`no header ${name}; known: ${model.headers.map((h) => h.name).join(', ')}`);
  return found;
}

/** A struct a version can see (its own or a used header's). */
export function findStruct(version: VersionModel, name: string): StructModel {
  const found = version.visibleStructs.find((s) => s.name === name);
  if (!found) throw new Error(`${version.name}: no struct ${name}`);
  return found;
}

export function findVersion(model: Model | HeaderModel, name: string): VersionModel {
  const versions = allVersions(model);
  const found = versions.find((v) => v.name === name);
  if (!found) throw new Error(`no version ${name}; known: ${versions.map((v) => v.name).join(', ')}`);
  return found;
}

/** Every version of every header (or of one header), headers in dependency order, oldest first. */
export function allVersions(model: Model | HeaderModel): readonly VersionModel[] {
  return 'headers' in model ? model.headers.flatMap((h) => h.versions) : model.versions;
}

/** The version another version names in `uses`. */
export function usedVersion(model: Model, ref: VersionRef): VersionModel {
  return findVersion(findHeader(model, ref.header), ref.version);
}

/** Every node of an FDT, root first, depth first. */
export function allNodes(root: NodeModel): NodeModel[] {
  return [root, ...root.children.flatMap(allNodes)];
}

/** The version's FDT nodes, or none when its state is not an FDT. */
export function versionNodes(version: VersionModel): NodeModel[] {
  return version.container?.kind === 'fdt' ? allNodes(version.container.root) : [];
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
    case 'radix-tree':
      return [target.node, target.leaf];
    // Structs of the kernel's .c file: no string of the header guards them.
    case 'bitmap-chunks':
    case 'selected':
    case 'client':
      return [];
  }
}

/** The fields of a struct as C lets them be named: an anonymous member's fields are the struct's. */
export function memberFields(fields: readonly FieldModel[]): FieldModel[] {
  return fields.flatMap((f) => (f.anonymous && f.type.kind === 'inline' ? memberFields(f.type.fields).map((m) => ({ ...m, offset: f.offset + m.offset })) : [f]));
}

/**
 * Size and natural alignment of a type on LP64, given how to find a named struct's. One rule for
 * the layout engine (while it lays structs out) and for every emitter or test that needs a size.
 * A bit-field's size is its base type's: the storage unit gcc allocates it in.
 */
export function typeLayout(type: TypeInfo, aggregate: (name: string) => { size: number; align: number }): { size: number; align: number } {
  switch (type.kind) {
    case 'scalar':
      return { size: type.size, align: type.size };
    case 'bits':
      return { size: type.base.size, align: type.base.size };
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
    case 'bitmap':
      return { size: type.words * 8, align: 8 };
    case 'inline':
      return { size: type.size, align: type.align };
    case 'aggregate':
      return aggregate(type.name);
  }
}

/** The size of a type in a laid-out version. */
export function typeSize(version: VersionModel, type: TypeInfo): number {
  return typeLayout(type, (name) => findStruct(version, name)).size;
}
