/** The streaming walk's callback and result (walkImage in decode.ts, the one walker). */
import type { FdtNodeData } from '../fdt/index.ts';
import type { VersionModel } from '../model/index.ts';
import type { Site } from './errors.ts';
import type { PreservedRange } from './preserved.ts';
import type { BlockInfo, PreservedCheck, StructValue } from './state.ts';

/**
 * What the walk says beside the structs it reads, at the point it learns it: which version a client's
 * or a handler's state is (`version` undefined: one the family does not know, kept as its address;
 * `root`: the client's FDT, for a version kept in one; `reached`: the client's node name or the
 * string that selected the handler, and the place), and the ranges a preserved-memory map holds.
 */
export type WalkNote =
  | { readonly kind: 'state'; readonly version?: VersionModel; readonly root?: FdtNodeData; readonly reached: StateReached }
  | { readonly kind: 'ranges'; readonly ranges: readonly PreservedRange[] };

/** How the walk came to a state: a KHO client by its node's name, a handler by the string that selects it. */
export interface StateReached {
  readonly kind: 'client' | 'handler';
  readonly name: string;
  /** Where the address that leads to it is (toString() gives the place as errors name it). */
  readonly site: Site;
}

export interface ImageVisitor {
  /**
   * Every struct the walk reads from memory, in walk order, as a zero-copy view of the struct's
   * codec: each field is read from the bytes when asked for, a string checked then (a bad field read
   * during this call ends the walk with its ImageError, at this struct's place; read later, it is a
   * CodecError). A pointer field holds its physical address, and the struct is visited before what
   * it points at is walked.
   * `block` is where the walk found the block (its toString() gives the text); `index` is the entry's
   * index in that block, or -1 for a struct that is not an entry (a header, a struct pointed at). The value is
   * the visitor's to keep or drop (unless `transientViews`); the walker keeps nothing of it.
   */
  struct(struct: string, value: StructValue, block: Site, index: number): void;
  /**
   * True: the walk makes one view of each struct type and moves it from struct to struct, so a view
   * is only good until `struct` returns (keep the fields read from it, or a view of your own made
   * with the codec at `$bytes`/`$offset`). A walk of millions of structs then allocates none per
   * struct. Default false: every struct a view of its own, to keep.
   */
  readonly transientViews?: boolean;
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
