/**
 * The decoded handover state: the FDT's nodes and properties, with every physical address replaced by
 * what it points at. It is generic over schemas: a struct is an object keyed by field name, as the
 * generated codecs give it (u64 as bigint, smaller integers as number, char arrays as string), and a
 * pointer field holds, instead of its address:
 *
 * - `null` for physical address 0 (where the pointer is nullable);
 * - the struct, for a pointer to one struct;
 * - the entries, in order, for a pointer to a header and entries, a bare array or a chain of blocks
 *   (the block boundaries and headers are layout, reported apart in `DecodedImage.blocks`).
 *
 * - for an address whose meaning a string beside it selects (a file handler's state), the state of
 *   the version the string names, `{ version, entry }`, or the address itself when no version of the
 *   schema has that string;
 * - for a KHO client's address, the client's state (`{ version, root }` or `{ version, entry }`), or
 *   the address itself for a client no version travels under;
 * - for the preserved-memory map, its ranges (`{ start, size, order }`, runs of page groups of one
 *   order, in the map's order).
 *
 * A page-list area's descriptor (struct kho_vmalloc) keeps its fields, the address of its first chunk
 * replaced by the entries the area holds (the chunks and page groups are layout).
 *
 * Counts kept beside a pointer (`luo_file_set_ser.count`) stay in the struct and always equal the
 * number of entries; the builder fills them in when a state leaves them out.
 */
import type { Place } from './errors.ts';
import type { PreservedRange } from './preserved.ts';

export type { PreservedRange };
export type StructValue = { readonly [field: string]: FieldValue };
/** The state of the version a handler's string names. */
export interface HandlerState {
  readonly version: string;
  readonly entry: FieldValue;
}
export type PointerValue = null | StructValue | readonly StructValue[] | HandlerState;
export type FieldValue = bigint | number | string | StructValue | readonly FieldValue[] | PointerValue;
export type PropertyState = string | bigint | PointerValue | ImageState | readonly PreservedRange[];

export interface NodeState {
  /** Absent for a node its parent's string guards (a KHO client node). */
  readonly compatible?: string;
  /** By property name, in the order the kernel writes them (compatible aside). */
  readonly properties: { readonly [name: string]: PropertyState };
  /** By node name. */
  readonly children: { readonly [name: string]: NodeState };
}

/** The state of a version kept in an FDT: its nodes, addresses replaced by what they point at. */
export interface FdtImageState {
  /** The ABI version the compatible strings name. */
  readonly version: string;
  readonly root: NodeState;
}

/** The state of a version kept as one raw struct under a KHO entry, addresses replaced likewise. */
export interface EntryImageState {
  /** The ABI version the struct's compatible string names. */
  readonly version: string;
  readonly entry: StructValue;
}

export type ImageState = FdtImageState | EntryImageState;

/** One piece of memory the walker read: a struct, or one block of a header, array or chain. */
export interface BlockInfo {
  readonly place: Place;
  /** The struct, or the header and entry structs. */
  readonly what: string;
  readonly pa: bigint;
  /** Bytes read: header and entries. */
  readonly size: number;
  /** Entries in the block, when it has entries. */
  readonly entries?: number;
  /** Their struct, and the offset of the first from `pa` (after the header, if any). */
  readonly entry?: { readonly struct: string; readonly offset: number };
}

/** A block the walk read that the preserved-memory map does not cover: the next kernel would not have it. */
export interface Warning {
  readonly place: Place;
  readonly what: string;
  readonly pa: bigint;
  readonly size: number;
}

/** What the walk found outside the preserved memory; absent when the state has no preserved-memory map. */
export interface PreservedCheck {
  /** The first of them, in walk order. */
  readonly warnings: readonly Warning[];
  /** How many blocks in all lie outside. */
  readonly total: number;
}

export interface DecodedImage {
  readonly state: ImageState;
  /** Every block, in the order the walker met them. */
  readonly blocks: readonly BlockInfo[];
  readonly preserved?: PreservedCheck;
}
