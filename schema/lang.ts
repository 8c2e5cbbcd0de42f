/**
 * The schema language: a declarative, strictly typed description of a family of kernel ABI headers.
 *
 * A schema is plain data built with the small constructors below. Mistakes that TypeScript can see
 * (an unknown type, a field name a pointer refers to that its struct lacks, a duplicate field, a
 * zero-length array written as a literal) are type errors; everything else is caught by the model's
 * validation (generator/model/build.ts and the files beside it), which names the exact place.
 *
 * Nothing here is specific to one header. A family holds headers; a header holds versions; a version
 * holds its own constants, macros and types, names the versions of other headers it uses, and says
 * where its state lives (its container): an FDT, a raw struct under a KHO entry, or a struct reached
 * from another header's field. Sizes may be C expressions over PAGE_SIZE, sizeof, ALIGN and friends;
 * the model evaluates them for every page size the kernel supports and keeps them symbolic in C.
 */

// ---------------------------------------------------------------------------------------------
// Where a schema element was written, so that errors and checker findings can point at the line.

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

const LANG_FILE = import.meta.url;

/**
 * The first stack frame outside this file: the schema line that called a constructor. Few frames are
 * captured at first (a constructor is called from the schema, or from a constructor it calls): every
 * frame costs a source-map lookup where one is installed, and a schema calls constructors thousands
 * of times.
 */
function callSite(): SourceLocation | undefined {
  for (const frames of [4, 64]) {
    const limit = Error.stackTraceLimit;
    const holder: { stack?: string } = {};
    Error.stackTraceLimit = frames;
    try {
      Error.captureStackTrace(holder, callSite);
    } finally {
      Error.stackTraceLimit = limit;
    }
    for (const frame of (holder.stack ?? '').split('\n').slice(1)) {
      const match = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/.exec(frame.trim());
      if (!match) continue;
      const file = match[1]!.replace(/^file:\/\//, '');
      if (LANG_FILE.endsWith(file)) continue;
      return { file, line: Number(match[2]) };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Scalars: the kernel's fixed-width types and the plain C types kernel ABI structs also use.

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

export interface ScalarType {
  readonly kind: 'scalar';
  /** The C spelling. */
  readonly name: ScalarName;
  /** Size in bytes on the LP64 targets KHO runs on; natural alignment equals the size. */
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
}

function scalar(name: ScalarName, size: ScalarType['size'], signed: boolean): ScalarType {
  return Object.freeze({ kind: 'scalar', name, size, signed });
}

export const u8 = scalar('u8', 1, false);
export const u16 = scalar('u16', 2, false);
export const u32 = scalar('u32', 4, false);
export const u64 = scalar('u64', 8, false);
export const s8 = scalar('s8', 1, true);
export const s16 = scalar('s16', 2, true);
export const s32 = scalar('s32', 4, true);
export const s64 = scalar('s64', 8, true);
export const unsignedChar = scalar('unsigned char', 1, false);
export const unsignedShort = scalar('unsigned short', 2, false);
export const unsignedInt = scalar('unsigned int', 4, false);
export const unsignedLong = scalar('unsigned long', 8, false);
export const int = scalar('int', 4, true);
export const long = scalar('long', 8, true);
/** A physical address in a kernel type; 8 bytes on every 64-bit target. */
export const physAddr = scalar('phys_addr_t', 8, false);

// ---------------------------------------------------------------------------------------------
// C expressions. A schema writes them as C text; constants, macros and structs of the schema may be
// interpolated as objects (`expr\`ALIGN(sizeof(${LUO_ABI_COMPATIBLE}), 8)\``), which TypeScript
// checks, or named in the text, which validation resolves. The kernel's own helpers (PAGE_SIZE,
// PAGE_SHIFT, ALIGN, BIT, BIT_ULL, GENMASK, DIV_ROUND_UP, const_ilog2, ilog2, BITS_PER_BYTE,
// BITS_TO_LONGS, sizeof) are known by name.

/** Something an expression may name: a constant, a function-like macro, an enum member or a struct. */
export type Referable = Constant | Macro | EnumMember | Aggregate;

export interface Expr {
  readonly kind: 'expr';
  /** The C text around each interpolated reference: parts.length === refs.length + 1. */
  readonly parts: readonly string[];
  readonly refs: readonly Referable[];
}

export function expr(strings: TemplateStringsArray, ...refs: Referable[]): Expr {
  return Object.freeze({ kind: 'expr', parts: [...strings], refs });
}

/** C text with no interpolation. */
export function cText(text: string): Expr {
  return Object.freeze({ kind: 'expr', parts: [text], refs: [] });
}

/** An expression written as a number, C text or an expression. */
export type ExprLike = number | string | Expr;

export function toExpr(value: ExprLike): Expr {
  if (typeof value === 'number') return cText(String(value));
  if (typeof value === 'string') return cText(value);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Definitions: constants (#define NAME value), function-like macros and enums.

export interface DefinitionOptions {
  /** The header that defines it, when it is not defined by the generated header itself. */
  include?: string;
  doc?: string;
  /** Defined only under `#ifdef CONFIG_...` (the option's name). */
  config?: string;
}

export interface NumberValue {
  readonly kind: 'number';
  readonly value: number;
}
export interface StringValue {
  readonly kind: 'string';
  readonly value: string;
}
/** A C expression; it evaluates to a number or, by concatenation of string literals, to a string. */
export interface ExprValue {
  readonly kind: 'expr';
  readonly expr: Expr;
}
export type ConstantValue = NumberValue | StringValue | ExprValue;

export interface Constant<V extends ConstantValue = ConstantValue> extends Readonly<DefinitionOptions> {
  readonly kind: 'constant';
  readonly name: string;
  readonly value: V;
  readonly at?: SourceLocation;
}

/** A constant usable as a length: a number or an expression that evaluates to one. */
export type LengthConstant = Constant<NumberValue | ExprValue>;
/** A constant naming a string: a compatible string, a node or property name. */
export type StringConstant = Constant<StringValue | ExprValue>;

export function defineNumber(name: string, value: number, options: DefinitionOptions = {}): Constant<NumberValue> {
  return Object.freeze({ kind: 'constant', name, value: { kind: 'number' as const, value }, ...options, at: callSite() });
}

export function defineString(name: string, value: string, options: DefinitionOptions = {}): Constant<StringValue> {
  return Object.freeze({ kind: 'constant', name, value: { kind: 'string' as const, value }, ...options, at: callSite() });
}

/** `#define NAME <C expression>`: a length, a mask, or a string composed of other strings. */
export function defineExpr(name: string, value: string | Expr, options: DefinitionOptions = {}): Constant<ExprValue> {
  return Object.freeze({ kind: 'constant', name, value: { kind: 'expr' as const, expr: toExpr(value) }, ...options, at: callSite() });
}

/** `#define NAME(params) body`: expanded where an expression uses it; `#param` makes a string. */
export interface Macro extends Readonly<DefinitionOptions> {
  readonly kind: 'macro';
  readonly name: string;
  readonly params: readonly string[];
  readonly body: Expr;
  readonly at?: SourceLocation;
}

export function defineMacro(name: string, params: readonly string[], body: string | Expr, options: DefinitionOptions = {}): Macro {
  return Object.freeze({ kind: 'macro', name, params: [...params], body: toExpr(body), ...options, at: callSite() });
}

export interface EnumMember {
  readonly kind: 'enum-member';
  readonly name: string;
  readonly value: Expr;
  readonly doc?: string;
  readonly at?: SourceLocation;
}

/** `enum name { A = ..., B = ... }`: named integer constants, each usable in expressions. */
export interface EnumDef<M extends string = string> {
  readonly kind: 'enum';
  readonly name: string;
  readonly doc?: string;
  readonly members: { readonly [K in M]: EnumMember };
  readonly at?: SourceLocation;
}

export function defineEnum<M extends string>(
  name: string,
  members: { readonly [K in M]: ExprLike | { value: ExprLike; doc: string } },
  options: { doc?: string } = {},
): EnumDef<M> {
  const at = callSite();
  const built = {} as { [K in M]: EnumMember };
  for (const key of Object.keys(members) as M[]) {
    const spec = members[key];
    const value: { value: ExprLike; doc?: string } = typeof spec === 'object' && !('kind' in spec) ? spec : { value: spec };
    built[key] = Object.freeze({
      kind: 'enum-member' as const,
      name: key,
      value: toExpr(value.value),
      ...(value.doc ? { doc: value.doc } : {}),
      ...(at ? { at } : {}),
    });
  }
  return Object.freeze({ kind: 'enum', name, ...(options.doc ? { doc: options.doc } : {}), members: Object.freeze(built), ...(at ? { at } : {}) });
}

export type Definition = Constant | Macro | EnumDef;

// ---------------------------------------------------------------------------------------------
// Composite types

/** Rejects a literal 0 at compile time; non-literal numbers are checked by validation. */
export type NonZero<N extends number> = N extends 0 ? never : N;

/** How many elements: a literal, a constant, or an expression (kept symbolic in C). */
export type Length = number | LengthConstant | EnumMember | Expr;

/** `char name[N]`: a NUL-terminated string of at most N - 1 bytes. */
export interface CharArrayType {
  readonly kind: 'chars';
  readonly length: Length;
}

export interface ArrayType {
  readonly kind: 'array';
  readonly element: FieldType;
  readonly length: Length;
}

/** A C99 flexible array member: the last field of a struct, contributing no size. */
export interface FlexibleArrayType {
  readonly kind: 'flexible';
  readonly element: FieldType;
}

/** `base name:width`: a bit-field, laid out as gcc does. */
export interface BitFieldType {
  readonly kind: 'bits';
  readonly base: ScalarType;
  readonly width: number;
}

/** `DECLARE_BITMAP(name, bits)`: an array of unsigned long holding `bits` bits. */
export interface BitmapType {
  readonly kind: 'bitmap';
  readonly bits: Length;
}

/** How C spells a field that holds a physical address. */
export type PointerForm =
  /** `u64 name;` */
  | 'u64'
  /** `phys_addr_t name;` */
  | 'phys_addr_t'
  /** `DECLARE_KHOSER_PTR(name, struct target *);`: a union of the u64 address and a kernel pointer. */
  | 'khoser';

/** A field holding a physical address; what it points at is part of the ABI. */
export interface PointerType {
  readonly kind: 'pointer';
  readonly target: PointerTarget;
  /** Physical address 0 means "nothing here". */
  readonly nullable: boolean;
  readonly form: PointerForm;
}

/** A struct or union declared inside another, named by the field (or anonymous). */
export interface InlineAggregateType {
  readonly kind: 'inline';
  readonly aggregate: 'struct' | 'union';
  readonly packed: boolean;
  readonly fields: { readonly [name: string]: FieldDef };
}

export type FieldType =
  | ScalarType
  | BitFieldType
  | CharArrayType
  | ArrayType
  | FlexibleArrayType
  | BitmapType
  | PointerType
  | InlineAggregateType
  | Aggregate;

export function chars(length: LengthConstant | EnumMember | Expr): CharArrayType;
export function chars<N extends number>(length: NonZero<N>): CharArrayType;
export function chars(length: Length): CharArrayType {
  return Object.freeze({ kind: 'chars', length });
}

export function array(element: FieldType, length: LengthConstant | EnumMember | Expr): ArrayType;
export function array<N extends number>(element: FieldType, length: NonZero<N>): ArrayType;
export function array(element: FieldType, length: Length): ArrayType {
  return Object.freeze({ kind: 'array', element, length });
}

export function flexible(element: FieldType): FlexibleArrayType {
  return Object.freeze({ kind: 'flexible', element });
}

export function bits<W extends number>(base: ScalarType, width: NonZero<W>): BitFieldType {
  return Object.freeze({ kind: 'bits', base, width });
}

export function bitmap(length: Length): BitmapType {
  return Object.freeze({ kind: 'bitmap', bits: length });
}

export function inlineUnion(fields: { readonly [name: string]: FieldDef }): InlineAggregateType {
  return Object.freeze({ kind: 'inline', aggregate: 'union', packed: false, fields });
}

export function inlineStruct(fields: { readonly [name: string]: FieldDef }, options: { packed?: boolean } = {}): InlineAggregateType {
  return Object.freeze({ kind: 'inline', aggregate: 'struct', packed: options.packed ?? false, fields });
}

// ---------------------------------------------------------------------------------------------
// Structs and unions

export interface FieldDef {
  readonly type: FieldType;
  /** One line of kernel-doc for the member. */
  readonly doc: string;
  /** An anonymous struct or union member: its fields are members of the enclosing struct. */
  readonly anonymous?: boolean;
  /** For a field that hands over a page-list area (areaField): what the area holds. */
  readonly holds?: AreaContents;
  readonly at?: SourceLocation;
}

export interface AggregateDef<F extends string = string> {
  readonly kind: 'struct' | 'union';
  readonly name: string;
  /** `__packed`: no padding anywhere, alignment 1. Otherwise laid out as gcc does on LP64. */
  readonly packed: boolean;
  /** The kernel-doc summary line. */
  readonly summary: string;
  /** The kernel-doc description paragraphs. */
  readonly description: readonly string[];
  /**
   * Fields in declaration order (object keys keep insertion order). A duplicate field name is a
   * TypeScript error (TS1117); plain JavaScript would silently keep the last, so write schemas in TS.
   */
  readonly fields: { readonly [K in F]: FieldDef };
  readonly at?: SourceLocation;
}
export type Aggregate = AggregateDef<string>;
export type FieldName<S> = S extends AggregateDef<infer F> ? F : never;

interface AggregateOptions<F extends string> {
  packed?: boolean;
  summary: string;
  description?: readonly string[];
  fields: { readonly [K in F]: FieldDef };
}

export function struct<F extends string>(name: string, options: AggregateOptions<F>): AggregateDef<F> {
  return Object.freeze({
    kind: 'struct',
    name,
    packed: options.packed ?? false,
    summary: options.summary,
    description: options.description ?? [],
    fields: options.fields,
    at: callSite(),
  });
}

export function union<F extends string>(name: string, options: AggregateOptions<F>): AggregateDef<F> {
  return Object.freeze({ ...struct(name, options), kind: 'union' as const, at: callSite() });
}

export function field(type: FieldType, doc: string): FieldDef {
  return Object.freeze({ type, doc, at: callSite() });
}

/** An anonymous struct or union member (C11): write its fields as members of the enclosing struct. */
export function anonymous(type: InlineAggregateType, doc: string): FieldDef {
  return Object.freeze({ type, doc, anonymous: true, at: callSite() });
}

// ---------------------------------------------------------------------------------------------
// Page-list areas: memory handed over page group by page group (a preserved vmalloc area)

/**
 * A struct that hands over a virtually contiguous area page group by page group (kexec_handover.h's
 * struct kho_vmalloc): `first` points at the first of a list of one-struct chunks linked by `next`
 * (a path into the chunk, `hdr.next`; 0 ends the list), each holding in its u64 array `pages` the
 * physical addresses of the area's page groups, in order; a 0, or the end of the array, ends a
 * chunk's part. Every group is `1 << order` pages, and the area is `totalPages` pages long. The
 * chunks and the groups are preserved memory of their own.
 */
export interface PageList {
  readonly kind: 'page-list';
  readonly descriptor: Aggregate;
  readonly first: string;
  readonly chunk: Aggregate;
  readonly next: string;
  readonly pages: string;
  readonly order: string;
  readonly totalPages: string;
}

export function pageList<D extends Aggregate, C extends Aggregate>(spec: {
  descriptor: D;
  first: FieldName<D>;
  chunk: C;
  /** A field of the chunk, or a path through a nested struct of it: `hdr.next`. */
  next: string;
  pages: FieldName<C>;
  order: FieldName<D>;
  totalPages: FieldName<D>;
}): PageList {
  return Object.freeze({ kind: 'page-list' as const, ...spec });
}

/** What a page-list area holds: `entry[count]` from its first byte, `count` a field beside the descriptor. */
export interface AreaContents {
  readonly list: PageList;
  readonly entry: AggregateRef;
  readonly count: string;
}

/**
 * A field holding the descriptor of a page-list area (`list.descriptor`) whose area holds
 * `entry[count]`; `count` is an unsigned integer field of the same struct.
 */
export function areaField(list: PageList, holds: { entry: AggregateRef; count: string }, doc: string): FieldDef {
  return Object.freeze({ type: list.descriptor, doc, holds: Object.freeze({ list, ...holds }), at: callSite() });
}

// ---------------------------------------------------------------------------------------------
// Physical addresses and what they point at

/** A struct, or a function returning it: structs that point at each other need one side deferred. */
export type AggregateRef<A extends Aggregate = Aggregate> = A | (() => A);

/** How big the memory block behind a pointer is: a fixed page count, or a header field's value. */
export type BlockSize =
  | { readonly kind: 'pages'; readonly pages: number }
  | { readonly kind: 'header-field'; readonly field: string; readonly unit: 'pages' };

/** One struct. */
export interface StructTarget {
  readonly shape: 'struct';
  readonly struct: AggregateRef;
}

/** A header struct directly followed by `header[count]` entries, all in one block. */
export interface HeaderArrayTarget {
  readonly shape: 'header-array';
  readonly header: AggregateRef;
  readonly count: string;
  readonly entry: AggregateRef;
  readonly block: BlockSize;
}

/** A bare array whose element count is a sibling field of the pointer. */
export interface ArrayTarget {
  readonly shape: 'array';
  readonly entry: AggregateRef;
  readonly count: string;
  readonly block: BlockSize;
}

/**
 * A chain of blocks, each a header followed by `header[count]` entries, linked by the physical
 * address in `header[next]` (0 ends the chain). `total`, when given, is a sibling field of the
 * pointer holding the number of entries over the whole chain.
 */
export interface ChainTarget {
  readonly shape: 'chain';
  readonly header: AggregateRef;
  readonly next: string;
  readonly count: string;
  readonly entry: AggregateRef;
  readonly block: BlockSize;
  readonly total?: string;
}

/**
 * What the address means is decided by a string beside it (a file handler's compatible string):
 * other headers say, through a `reachedFrom` container, what it points at for their string.
 */
export interface SelectedTarget {
  readonly shape: 'selected';
  /** The sibling char[] field holding the string. */
  readonly selector: string;
}

/**
 * KHO's radix tree of preserved memory. The root is a one-page `node`, whose u64 array `table` holds
 * the physical addresses (0: none) of the nodes of the level below; `depth` levels in all, the last
 * of them leaves, each a `leaf` whose `bitmap` has a bit per page group. A set bit's key (the table
 * indexes from the root down, then the bit's index) is `1 << (order0 - order) | pa >> (PAGE_SHIFT +
 * order)`: its highest set bit gives the group's order, the bits beneath it the group's address.
 * The tree's own pages need not be preserved: the next kernel reads it before it allocates.
 */
export interface RadixTreeTarget {
  readonly shape: 'radix-tree';
  readonly node: AggregateRef;
  readonly table: string;
  readonly leaf: AggregateRef;
  readonly bitmap: string;
  /** Levels of the tree: the node levels and the leaf level. */
  readonly depth: Length;
  /** The key bit that marks an order-0 page group. */
  readonly order0: Length;
}

/**
 * The state of a KHO client, in a node named at run time: what the client handed over under the
 * node's name (its KHO entry), an FDT or a raw struct of whichever version of the family travels
 * under that entry. A name no version uses is shown as it is, the name and the address. `size`: the
 * property of the same node holding the state's size in bytes, where the version has one.
 */
export interface ClientTarget {
  readonly shape: 'client';
  readonly size?: PropertyName;
}

/**
 * KHO's first preserved-memory map (kho-v1): a chain of blocks, each a `header` (the next block's
 * address in `next`, the page `order` of all its entries, `count` entries) followed by entries that
 * each name a page of bits (`bitmap`, pointing at a struct whose bitmap field `bits` has a bit per
 * page group) and the address its bit 0 stands for (`start`): bit b is the page group at
 * `start + (b << (PAGE_SHIFT + order))`. Its own pages need not be preserved.
 */
export interface BitmapChunksTarget {
  readonly shape: 'bitmap-chunks';
  readonly header: AggregateRef;
  readonly next: string;
  readonly order: string;
  readonly count: string;
  readonly entry: AggregateRef;
  readonly start: string;
  readonly bitmap: string;
  readonly bits: string;
  readonly block: BlockSize;
}

export type PointerTarget = StructTarget | HeaderArrayTarget | ArrayTarget | ChainTarget | SelectedTarget | RadixTreeTarget | BitmapChunksTarget | ClientTarget;

export function pages(count: number): BlockSize {
  return Object.freeze({ kind: 'pages', pages: count });
}

export function pagesIn<H extends Aggregate>(_header: H, fieldName: FieldName<H>): BlockSize {
  return Object.freeze({ kind: 'header-field', field: fieldName, unit: 'pages' });
}

export function toStruct(target: AggregateRef): StructTarget {
  return Object.freeze({ shape: 'struct', struct: target });
}

export function toHeaderArray<H extends Aggregate>(spec: {
  header: H;
  count: FieldName<H>;
  entry: AggregateRef;
  block: BlockSize;
}): HeaderArrayTarget {
  return Object.freeze({ shape: 'header-array', ...spec });
}

export function toArray(spec: { entry: AggregateRef; count: string; block: BlockSize }): ArrayTarget {
  return Object.freeze({ shape: 'array', ...spec });
}

export function toChain<H extends Aggregate>(spec: {
  header: H;
  next: FieldName<H>;
  count: FieldName<H>;
  entry: AggregateRef;
  block: BlockSize;
  total?: string;
}): ChainTarget {
  return Object.freeze({ shape: 'chain', ...spec });
}

export function selectedBy(selector: string): SelectedTarget {
  return Object.freeze({ shape: 'selected', selector });
}

export function toRadixTree<N extends Aggregate, L extends Aggregate>(spec: {
  node: N;
  table: FieldName<N>;
  leaf: L;
  bitmap: FieldName<L>;
  depth: Length;
  order0: Length;
}): RadixTreeTarget {
  return Object.freeze({ shape: 'radix-tree', ...spec });
}

export function toBitmapChunks<H extends Aggregate, E extends Aggregate>(spec: {
  header: H;
  next: FieldName<H>;
  order: FieldName<H>;
  count: FieldName<H>;
  entry: E;
  start: FieldName<E>;
  bitmap: FieldName<E>;
  /** The bitmap field of the struct `bitmap` points at. */
  bits: string;
  block: BlockSize;
}): BitmapChunksTarget {
  return Object.freeze({ shape: 'bitmap-chunks', ...spec });
}

export function toClient(options: { size?: PropertyName } = {}): ClientTarget {
  return Object.freeze({ shape: 'client', ...options });
}

/** A u64 field holding the physical address of `target`; by default 0 means "none". */
export function pa(target: PointerTarget, options: { nullable?: boolean; form?: PointerForm } = {}): PointerType {
  return Object.freeze({ kind: 'pointer', target, nullable: options.nullable ?? true, form: options.form ?? 'u64' });
}

/** `DECLARE_KHOSER_PTR(name, struct target *)`: the physical address of `target` (0 = none). */
export function khoserPtr(target: PointerTarget): PointerType {
  return pa(target, { form: 'khoser' });
}

// ---------------------------------------------------------------------------------------------
// The Flattened Device Tree

/**
 * How a property's bytes are written. `u64` is the value in the CPU's byte order, 8 bytes, as the
 * kernel writes it with fdt_property(..., &value, sizeof(u64)), not big-endian fdt64 cells.
 */
export type PropertyValue =
  | { readonly kind: 'string' }
  | { readonly kind: 'u64' }
  | { readonly kind: 'pointer'; readonly pointer: PointerType };

/**
 * A property's name: the macro holding it, or the name itself where the kernel writes it as a
 * literal in its .c file and the header has no macro for it.
 */
export type PropertyName = StringConstant | string;

export interface FdtProperty {
  readonly name: PropertyName;
  readonly value: PropertyValue;
  readonly doc: string;
  readonly at?: SourceLocation;
}

/** A subnode whose name is not fixed: it stands for every child not named otherwise (one per client, per region). */
export interface AnyName {
  readonly kind: 'any-name';
  /** What the names are, for the docs: `client`, `region`. */
  readonly label: string;
}

export function anyName(label: string): AnyName {
  return Object.freeze({ kind: 'any-name' as const, label });
}

export interface FdtNode {
  /** The macro holding the node name, or anyName() for children named at run time; absent for the root. */
  readonly name?: StringConstant | AnyName;
  /**
   * The macro holding this node's compatible string. It guards the node's properties and everything
   * reached through them, unless a node beneath has a compatible string of its own. A subnode without
   * one (a KHO client node) is guarded by its parent's.
   */
  readonly compatible?: StringConstant;
  readonly doc: string;
  /** Properties after `compatible`, in the order the kernel writes them. */
  readonly properties: readonly FdtProperty[];
  /** Subnodes, written after the properties, in this order. */
  readonly children: readonly FdtNode[];
  readonly at?: SourceLocation;
}

export function u64Property(name: PropertyName, doc: string): FdtProperty {
  return Object.freeze({ name, value: { kind: 'u64' as const }, doc, at: callSite() });
}

export function stringProperty(name: PropertyName, doc: string): FdtProperty {
  return Object.freeze({ name, value: { kind: 'string' as const }, doc, at: callSite() });
}

export function pointerProperty(name: PropertyName, pointer: PointerType, doc: string): FdtProperty {
  return Object.freeze({ name, value: { kind: 'pointer' as const, pointer }, doc, at: callSite() });
}

export function node(spec: FdtNode): FdtNode {
  return Object.freeze({ ...spec, at: spec.at ?? callSite() });
}

// ---------------------------------------------------------------------------------------------
// Containers: where a version's state lives, and so which string guards it.

/** A Flattened Device Tree, whose node compatible strings guard what their properties reach. */
export interface FdtContainer {
  readonly kind: 'fdt';
  /** The name of the KHO sub-tree the FDT travels under; absent for KHO's own root FDT. */
  readonly khoEntry?: StringConstant;
  /** The largest FDT blob the kernel allocates, when the header names it. */
  readonly maxSize?: LengthConstant;
  readonly root: FdtNode;
  readonly at?: SourceLocation;
}

/**
 * One struct handed over as a raw KHO sub-tree blob; a char[] field of it holds the compatible
 * string the next kernel compares before reading anything else, or, for a version that negotiates
 * features, the struct opens with the feature header the next kernel checks instead.
 */
export interface KhoEntryContainer<S extends Aggregate = Aggregate> {
  readonly kind: 'kho-entry';
  readonly khoEntry: StringConstant;
  readonly struct: S;
  /**
   * The char[] field of `struct` that holds `compatible`. Both are absent for a version that
   * negotiates features instead: its struct opens with the feature header (`features.carrier`).
   */
  readonly field?: FieldName<S>;
  readonly compatible?: StringConstant;
  readonly at?: SourceLocation;
}

/**
 * State reached from another header's field: when `selector` (a char[] field of `from`) holds
 * `compatible`, the field `field` of `from` points at `target`.
 */
export interface ReachedFromContainer<S extends Aggregate = Aggregate> {
  readonly kind: 'reached-from';
  readonly from: S;
  readonly field: FieldName<S>;
  readonly selector: FieldName<S>;
  readonly compatible: StringConstant;
  readonly target: PointerTarget;
  readonly at?: SourceLocation;
}

export type Container = FdtContainer | KhoEntryContainer | ReachedFromContainer;

export function fdtContainer(spec: Omit<FdtContainer, 'kind' | 'at'>): FdtContainer {
  return Object.freeze({ kind: 'fdt' as const, ...spec, at: callSite() });
}

export function khoEntry<S extends Aggregate>(spec: Omit<KhoEntryContainer<S>, 'kind' | 'at'>): KhoEntryContainer {
  return Object.freeze({ kind: 'kho-entry' as const, ...spec, at: callSite() }) as KhoEntryContainer;
}

export function reachedFrom<S extends Aggregate>(spec: Omit<ReachedFromContainer<S>, 'kind' | 'at'>): ReachedFromContainer {
  return Object.freeze({ kind: 'reached-from' as const, ...spec, at: callSite() }) as ReachedFromContainer;
}

// ---------------------------------------------------------------------------------------------
// Versions, headers and the family

export interface AbiVersion {
  /** The version's name, by convention its guard string (plus a suffix where two share it). */
  readonly name: string;
  /** Where this form comes from (a kernel release or patch), for the docs. */
  readonly origin: string;
  /** The kernel-doc DOC block: title and prose paragraphs; pictures and guard lists are generated. */
  readonly doc: { readonly title: string; readonly paragraphs: readonly string[] };
  /** Versions of other headers this one includes and uses (their structs, constants, strings). */
  readonly uses?: readonly AbiVersion[];
  /** Own constants, macros and enums, in the order the header defines them. */
  readonly constants: readonly Definition[];
  /** Own structs and unions, in the order the header declares them (dependencies first). */
  readonly types: readonly Aggregate[];
  /**
   * Structs the kernel's own .c file defines for this version's state, not the header (kho-v1's
   * preserved-memory map): laid out and read by the image codec like the others, never emitted.
   */
  readonly localTypes?: readonly Aggregate[];
  /** Where the state lives; absent for a header that only provides types or strings to others. */
  readonly container?: Container;
  /**
   * A string of this header that guards its own structs wherever another header uses them: a
   * header that composes it into its own string (KHO_SUB_COMPAT) hands that part of the guarding over.
   */
  readonly guard?: StringConstant;
  /**
   * Findings of the checker that upstream made and this version records as they are (a string
   * kept for a changed layout): reported as notes with the reason, never hidden, never failing.
   */
  readonly acknowledges?: readonly Acknowledgement[];
  /**
   * Feature bits that guard the state instead of (or as well as) a string: the payload opens with a
   * feature header, and the next kernel reads it when it supports every bit the payload requires.
   */
  readonly features?: FeatureNegotiation;
  readonly at?: SourceLocation;
}

export interface Acknowledgement {
  /** The rule ID, e.g. LUO001. */
  readonly rule: string;
  /** Why the version is described as upstream released it, and what it means for a reader. */
  readonly reason: string;
}

export interface HeaderInfo {
  /** The header's stem, naming its output files: `luo` for luo.h. */
  readonly name: string;
  /** Path in a kernel tree, e.g. include/linux/kho/abi/luo.h. */
  readonly path: string;
  readonly includeGuard: string;
  readonly spdx: string;
  /** The copyright block's lines. */
  readonly copyright: readonly string[];
}

export interface AbiHeader extends HeaderInfo {
  readonly kind: 'header';
  /** Oldest first. */
  readonly versions: readonly AbiVersion[];
  /** The newest version, written into out/include/. */
  readonly current: string;
}

export interface AbiFamily {
  readonly kind: 'family';
  readonly name: string;
  /** In dependency order is not required; the model orders them. */
  readonly headers: readonly AbiHeader[];
}

export function version(spec: AbiVersion): AbiVersion {
  return Object.freeze({ ...spec, at: spec.at ?? callSite() });
}

export function header(spec: Omit<AbiHeader, 'kind'>): AbiHeader {
  return Object.freeze({ kind: 'header' as const, ...spec });
}

export function family(spec: Omit<AbiFamily, 'kind'>): AbiFamily {
  return Object.freeze({ kind: 'family' as const, ...spec });
}

/** What a schema module may export: a whole family, or one header (a family of one). */
export type AbiSchema = AbiFamily | AbiHeader;

// ---------------------------------------------------------------------------------------------
// Feature negotiation: bits instead of (or beside) a string.

/** A named feature bit, `#define NAME BIT_ULL(bit)`: a constant like any other, with its bit number. */
export interface FeatureBit extends Constant<ExprValue> {
  readonly bit: number;
}

export function defineFeatureBit(name: string, bit: number, options: DefinitionOptions = {}): FeatureBit {
  return Object.freeze({ kind: 'constant' as const, name, value: { kind: 'expr' as const, expr: cText(`BIT_ULL(${bit})`) }, bit, ...options, at: callSite() });
}

/** A struct, or one field of it, that the payload holds only when all of `bits` are active. */
export interface FeatureDependency {
  readonly struct: Aggregate;
  readonly field?: string;
  readonly bits: readonly FeatureBit[];
  readonly at?: SourceLocation;
}

export function dependsOn<S extends Aggregate>(struct: S, bits: readonly FeatureBit[], field?: FieldName<S>): FeatureDependency {
  return Object.freeze({ struct, ...(field !== undefined ? { field } : {}), bits: [...bits], at: callSite() });
}

/** The struct holding the three masks, and which of its fields is which. */
export interface FeatureHeader<H extends Aggregate = Aggregate> {
  readonly struct: H;
  /** The features the producing kernel supports. */
  readonly supported: FieldName<H>;
  /** The features a receiving kernel must support to read the payload safely. */
  readonly required: FieldName<H>;
  /** The features the payload really uses. */
  readonly active: FieldName<H>;
}

export interface FeatureNegotiation {
  readonly kind: 'features';
  /**
   * The name the subsystem is known by to the other kernel: its entry in the kernel image's feature
   * list, a file handler's name ("memfd"), the core's ("luo").
   */
  readonly subsystem: string;
  /** The KHO entry the payload travels under, when it is one (a handler's state is reached from LUO's). */
  readonly khoEntry?: StringConstant;
  readonly header: FeatureHeader;
  /** The struct that opens with the feature header, and the field holding it. */
  readonly carrier: { readonly struct: Aggregate; readonly field: string };
  /** Every bit this version names, oldest first. */
  readonly bits: readonly FeatureBit[];
  /** Constants (ORs of bits) for what this version's kernel supports, requires and sets active. */
  readonly supported: Constant;
  readonly required: Constant;
  readonly active: Constant;
  /** Which structs and fields need which bits: a payload without those bits does not hold them. */
  readonly dependencies?: readonly FeatureDependency[];
  readonly at?: SourceLocation;
}

export function features<H extends Aggregate, C extends Aggregate>(spec: {
  subsystem: string;
  khoEntry?: StringConstant;
  header: FeatureHeader<H>;
  carrier: { struct: C; field: FieldName<C> };
  bits: readonly FeatureBit[];
  supported: Constant;
  required: Constant;
  active: Constant;
  dependencies?: readonly FeatureDependency[];
}): FeatureNegotiation {
  return Object.freeze({ kind: 'features' as const, ...spec, header: spec.header as FeatureHeader, at: callSite() });
}
