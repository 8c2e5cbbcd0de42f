/** The streaming walk's callback and result (walkImage in decode.ts, the one walker). */
import type { FdtNodeData } from '../fdt/index.ts';
import type { VersionModel } from '../model/index.ts';
import type { Site } from './errors.ts';
import type { PreservedRange } from './preserved.ts';
import type { BlockInfo, PreservedCheck, StructValue } from './state.ts';

/**
 * What the walk says beside the structs it reads, at the point it learns it: which version a client's
 * or a handler's state is (`version` undefined: one the family does not know, kept as its address;
 * `root`: the client's FDT, for a version kept in one), and the ranges a preserved-memory map holds.
 */
export type WalkNote =
  | { readonly kind: 'state'; readonly version?: VersionModel; readonly root?: FdtNodeData }
  | { readonly kind: 'ranges'; readonly ranges: readonly PreservedRange[] };

export interface ImageVisitor {
  /**
   * Every struct the walk reads from memory, in walk order, as a zero-copy view of the struct's
   * codec: each field is read from the bytes when asked for, a string checked then (a bad field read
   * during this call ends the walk with its ImageError, at this struct's place; read later, it is a
   * CodecError). A pointer field holds its physical address, and the struct is visited before what
   * it points at is walked.
   * `block` is where the walk found the block (its toString() gives the text); `index` is the entry's
   * index in that block, or -1 for a struct that is not an entry (a header, a struct pointed at). The value is
   * the visitor's to keep or drop; the walker keeps nothing of it.
   */
  struct(struct: string, value: StructValue, block: Site, index: number): void;
  /** Each note, in walk order among the structs: before the state it is about is walked. */
  note?(note: WalkNote): void;
}

export interface WalkSummary {
  readonly version: string;
  /** Structs visited: headers, entries and structs pointed at. */
  readonly structs: number;
  /** Blocks of memory read. */
  readonly blocks: number;
  /** Bytes of memory read. */
  readonly bytes: number;
  /** Block `index` (0 to blocks - 1) in walk order, made when asked: the walk keeps a row of numbers per block. */
  block(index: number): BlockInfo;
  /** The blocks outside the preserved memory, for a walk that read a preserved-memory map. */
  readonly preserved: PreservedCheck | undefined;
}
