/**
 * The schema language: a declarative, strictly typed description of a kernel ABI header.
 *
 * A schema is plain data built with the small constructors below. Mistakes that TypeScript can see
 * (an unknown type, a field name a pointer refers to that its struct lacks, a duplicate field, a
 * zero-length array written as a literal) are type errors; everything else is caught by the model's
 * validation (generator/model/validate.ts), which names the exact place.
 *
 * Nothing here is LUO-specific: scalars, char arrays, arrays, nested structs, unions, flexible
 * arrays, packed and naturally aligned layouts, constants with their includes, typed physical-address
 * pointers and a Flattened Device Tree layout are enough for other KHO ABI headers too.
 */

// ---------------------------------------------------------------------------------------------
// Where a schema element was written, so that errors and checker findings can point at the line.

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

const LANG_FILE = import.meta.url;

/** The first stack frame outside this file: the schema line that called a constructor. */
function callSite(): SourceLocation | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, callSite);
  for (const frame of (holder.stack ?? '').split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/.exec(frame.trim());
    if (!match) continue;
    const file = match[1]!.replace(/^file:\/\//, '');
    if (LANG_FILE.endsWith(file)) continue;
    return { file, line: Number(match[2]) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Scalars

export type ScalarName = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';

export interface ScalarType {
  readonly kind: 'scalar';
  readonly name: ScalarName;
  /** Size in bytes; natural alignment equals the size on the LP64 targets KHO runs on. */
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

// ---------------------------------------------------------------------------------------------
// Constants (#define)

export interface NumberValue {
  readonly kind: 'number';
  readonly value: number;
}
export interface StringValue {
  readonly kind: 'string';
  readonly value: string;
}
/** A C expression over other constants and target parameters such as PAGE_SIZE. */
export interface ExprValue {
  readonly kind: 'expr';
  readonly c: string;
}
export type ConstantValue = NumberValue | StringValue | ExprValue;

export interface Constant<V extends ConstantValue = ConstantValue> {
  readonly kind: 'constant';
  readonly name: string;
  readonly value: V;
  /** The header that defines it, when it is not defined by the generated header itself. */
  readonly include?: string;
  readonly doc?: string;
  readonly at?: SourceLocation;
}

/** A constant usable as an array length. */
export type LengthConstant = Constant<NumberValue | ExprValue>;
/** A constant holding a string: a compatible string, a node or property name. */
export type StringConstant = Constant<StringValue>;

interface ConstantOptions {
  include?: string;
  doc?: string;
}

export function defineNumber(name: string, value: number, options: ConstantOptions = {}): Constant<NumberValue> {
  return Object.freeze({ kind: 'constant', name, value: { kind: 'number' as const, value }, ...options, at: callSite() });
}

export function defineString(name: string, value: string, options: ConstantOptions = {}): StringConstant {
  return Object.freeze({ kind: 'constant', name, value: { kind: 'string' as const, value }, ...options, at: callSite() });
}

export function defineExpr(name: string, c: string, options: ConstantOptions = {}): Constant<ExprValue> {
  return Object.freeze({ kind: 'constant', name, value: { kind: 'expr' as const, c }, ...options, at: callSite() });
}

// ---------------------------------------------------------------------------------------------
// Composite types

/** Rejects a literal 0 at compile time; non-literal numbers are checked by validation. */
export type NonZero<N extends number> = N extends 0 ? never : N;

/** `char name[N]`: a NUL-terminated string of at most N - 1 bytes. */
export interface CharArrayType {
  readonly kind: 'chars';
  readonly length: number | LengthConstant;
}

export interface ArrayType {
  readonly kind: 'array';
  readonly element: FieldType;
  readonly length: number | LengthConstant;
}

/** A C99 flexible array member: the last field of a struct, contributing no size. */
export interface FlexibleArrayType {
  readonly kind: 'flexible';
  readonly element: FieldType;
}

/** A u64 holding a physical address; what it points at is part of the ABI. */
export interface PointerType {
  readonly kind: 'pointer';
  readonly target: PointerTarget;
  /** Physical address 0 means "nothing here". */
  readonly nullable: boolean;
}

export type FieldType = ScalarType | CharArrayType | ArrayType | FlexibleArrayType | PointerType | Aggregate;

export function chars(length: LengthConstant): CharArrayType;
export function chars<N extends number>(length: NonZero<N>): CharArrayType;
export function chars(length: number | LengthConstant): CharArrayType {
  return Object.freeze({ kind: 'chars', length });
}

export function array(element: FieldType, length: LengthConstant): ArrayType;
export function array<N extends number>(element: FieldType, length: NonZero<N>): ArrayType;
export function array(element: FieldType, length: number | LengthConstant): ArrayType {
  return Object.freeze({ kind: 'array', element, length });
}

export function flexible(element: FieldType): FlexibleArrayType {
  return Object.freeze({ kind: 'flexible', element });
}

// ---------------------------------------------------------------------------------------------
// Structs and unions

export interface FieldDef {
  readonly type: FieldType;
  /** One line of kernel-doc for the member. */
  readonly doc: string;
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

// ---------------------------------------------------------------------------------------------
// Physical-address pointers and what they point at

/** How big the memory block behind a pointer is: a fixed page count, or a header field's value. */
export type BlockSize =
  | { readonly kind: 'pages'; readonly pages: number }
  | { readonly kind: 'header-field'; readonly field: string; readonly unit: 'pages' };

/** One struct. */
export interface StructTarget {
  readonly shape: 'struct';
  readonly struct: Aggregate;
}

/** A header struct directly followed by `header[count]` entries, all in one block. */
export interface HeaderArrayTarget {
  readonly shape: 'header-array';
  readonly header: Aggregate;
  readonly count: string;
  readonly entry: Aggregate;
  readonly block: BlockSize;
}

/** A bare array whose element count is a sibling field of the pointer. */
export interface ArrayTarget {
  readonly shape: 'array';
  readonly entry: Aggregate;
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
  readonly header: Aggregate;
  readonly next: string;
  readonly count: string;
  readonly entry: Aggregate;
  readonly block: BlockSize;
  readonly total?: string;
}

export type PointerTarget = StructTarget | HeaderArrayTarget | ArrayTarget | ChainTarget;

export function pages(count: number): BlockSize {
  return Object.freeze({ kind: 'pages', pages: count });
}

export function pagesIn<H extends Aggregate>(_header: H, fieldName: FieldName<H>): BlockSize {
  return Object.freeze({ kind: 'header-field', field: fieldName, unit: 'pages' });
}

export function toStruct(target: Aggregate): StructTarget {
  return Object.freeze({ shape: 'struct', struct: target });
}

export function toHeaderArray<H extends Aggregate>(spec: {
  header: H;
  count: FieldName<H>;
  entry: Aggregate;
  block: BlockSize;
}): HeaderArrayTarget {
  return Object.freeze({ shape: 'header-array', ...spec });
}

export function toArray(spec: { entry: Aggregate; count: string; block: BlockSize }): ArrayTarget {
  return Object.freeze({ shape: 'array', ...spec });
}

export function toChain<H extends Aggregate>(spec: {
  header: H;
  next: FieldName<H>;
  count: FieldName<H>;
  entry: Aggregate;
  block: BlockSize;
  total?: string;
}): ChainTarget {
  return Object.freeze({ shape: 'chain', ...spec });
}

/** A u64 field holding the physical address of `target`; by default 0 means "none". */
export function pa(target: PointerTarget, options: { nullable?: boolean } = {}): PointerType {
  return Object.freeze({ kind: 'pointer', target, nullable: options.nullable ?? true });
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

export interface FdtProperty {
  /** The macro holding the property name. */
  readonly name: StringConstant;
  readonly value: PropertyValue;
  readonly doc: string;
  readonly at?: SourceLocation;
}

export interface FdtNode {
  /** The macro holding the node name; absent for the root node. */
  readonly name?: StringConstant;
  /**
   * The macro holding this node's compatible string. It guards the node's properties and everything
   * reached through them, unless a node beneath has a compatible string of its own.
   */
  readonly compatible: StringConstant;
  readonly doc: string;
  /** Properties after `compatible`, in the order the kernel writes them. */
  readonly properties: readonly FdtProperty[];
  /** Subnodes, written after the properties, in this order. */
  readonly children: readonly FdtNode[];
  readonly at?: SourceLocation;
}

export function u64Property(name: StringConstant, doc: string): FdtProperty {
  return Object.freeze({ name, value: { kind: 'u64' as const }, doc, at: callSite() });
}

export function stringProperty(name: StringConstant, doc: string): FdtProperty {
  return Object.freeze({ name, value: { kind: 'string' as const }, doc, at: callSite() });
}

export function pointerProperty(name: StringConstant, pointer: PointerType, doc: string): FdtProperty {
  return Object.freeze({ name, value: { kind: 'pointer' as const, pointer }, doc, at: callSite() });
}

export function node(spec: FdtNode): FdtNode {
  return Object.freeze({ ...spec, at: spec.at ?? callSite() });
}

// ---------------------------------------------------------------------------------------------
// Versions and the whole schema

export interface FdtLayout {
  /** The name of the KHO sub-tree the FDT travels under. */
  readonly khoEntryName: StringConstant;
  /** The largest FDT blob the kernel allocates. */
  readonly maxSize: LengthConstant;
  readonly root: FdtNode;
}

export interface AbiVersion {
  /** The version's name, by convention its root compatible string (plus a suffix where two share it). */
  readonly name: string;
  /** Where this form comes from (a kernel release or patch), for the docs. */
  readonly origin: string;
  /** The kernel-doc DOC block: title and prose paragraphs; the FDT picture is generated. */
  readonly doc: { readonly title: string; readonly paragraphs: readonly string[] };
  /** Every constant, in the order the header defines them (included ones are not redefined). */
  readonly constants: readonly Constant[];
  /** Every struct and union, in the order the header declares them (dependencies first). */
  readonly types: readonly Aggregate[];
  readonly fdt: FdtLayout;
  readonly at?: SourceLocation;
}

export interface HeaderInfo {
  /** Path in a kernel tree, e.g. include/linux/kho/abi/luo.h. */
  readonly path: string;
  readonly includeGuard: string;
  readonly spdx: string;
  readonly copyright: readonly string[];
}

export interface AbiSchema {
  readonly name: string;
  readonly header: HeaderInfo;
  /** Oldest first. */
  readonly versions: readonly AbiVersion[];
  /** The name of the current version, written to out/<header>. */
  readonly current: string;
}

export function version(spec: AbiVersion): AbiVersion {
  return Object.freeze({ ...spec, at: spec.at ?? callSite() });
}

export function schema(spec: AbiSchema): AbiSchema {
  return Object.freeze(spec);
}
