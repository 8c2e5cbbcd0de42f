/**
 * The blocks a walk read, kept as columns of numbers rather than an object each: a decoded state
 * of a million sessions keeps a million file arrays, and an object per block (with its Place and its
 * address as a bigint) was a fifth of that state's heap and of its garbage-collection time. A block's
 * BlockInfo is made only when someone reads it; the overlap check works on the columns.
 */
import { MAX_EXACT } from './address.ts';
import { Place, placeOf, hex, ImageError, type Site } from './errors.ts';
import type { PreservedSet } from './preserved.ts';
import type { BlockInfo } from './state.ts';

/** What a block holds, shared by every block of that shape: a struct, or entries after an optional header. */
export interface BlockShape {
  readonly struct?: string;
  readonly header?: string;
  readonly entry?: { readonly struct: string; readonly offset: number };
  /** A page of the preserved-memory map itself: read before the next kernel allocates, so it need not be preserved. */
  readonly unpreserved?: boolean;
}

const CHUNK_BITS = 12;
const CHUNK_ROWS = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_ROWS - 1;
const FIRST_ROWS = 64;

// A block's numbers, in one row of 32-bit integers: a row is written per block while the walk reads
// the image, and a row of doubles, twice the bytes, measured a tenth slower in a views walk.
/** The start address, in two halves (exact below 2^53; the table keeps the bigint beyond). */
const PA_LOW = 0;
const PA_HIGH = 1;
const SIZE = 2;
/** Entries in the block, -1 for a struct pointed at. */
const ENTRIES = 3;
const SHAPE = 4;
// Where the block was found: a Site's parts, its anchor and field by their index in `anchors` and
// `fields`, which hold each distinct one once (a session block is the anchor of its sessions' file
// arrays). A reference per block in a growing array cost more than the rest of the row together.
const ANCHOR = 5;
const ENTRY = 6;
const FIELD = 7;
const BLOCK = 8;
const STRIDE = 9;
/** The columns whose numbers may not fit a row. */
type LargeColumn = typeof SIZE | typeof ENTRIES | typeof ENTRY | typeof BLOCK;
/** The largest size, entry count or index a row holds; a block with a larger one is kept whole beside the rows. */
const ROW_MAX = 0x7fff_ffff;
const HALF = 0x1_0000_0000;
const INVERSE_HALF = 1 / HALF;

/** Each distinct value once, by index; a run of the same value costs one comparison. */
class Interned<T> {
  private readonly values: T[] = [];
  private readonly ids = new Map<T, number>();
  private last: T | undefined;
  private lastId = -1;

  id(value: T): number {
    if (this.lastId >= 0 && value === this.last) return this.lastId;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.push(value) - 1;
      this.ids.set(value, id);
    }
    this.last = value;
    this.lastId = id;
    return id;
  }

  at(id: number): T {
    return this.values[id]!;
  }
}

/**
 * Places by index, each numbered once: the number is kept on the place itself (Place.tableId), so
 * that no map of places grows with the walk. A walk makes a place per block it finds pointers in
 * (a session's files, say), and a Map of hundreds of thousands of them was the part of the walk
 * whose cost per block grew with the image.
 */
class InternedPlaces {
  private readonly values: Place[] = [];

  id(place: Place): number {
    if (place.tableId.table === this) return place.tableId.id;
    const id = this.values.push(place) - 1;
    place.tableId = { table: this, id };
    return id;
  }

  at(id: number): Place {
    return this.values[id]!;
  }
}

export class BlockTable {
  /**
   * Rows in chunks of CHUNK_ROWS, never copied: a table grown by doubling one array spent more on
   * allocating and copying than on the rows (60-160 ns a block against 12). The first chunk starts
   * small and doubles up to full size, so that a small image keeps a small table.
   */
  private readonly chunks: Int32Array[] = [new Int32Array(FIRST_ROWS * STRIDE)];
  /** The chunk being filled, and where its next row starts (read and written by appendRowSource's text). */
  rows = this.chunks[0]!;
  cursor = 0;
  /** Addresses past 2^53, where a number would not be exact, by block. */
  private readonly wide = new Map<number, bigint>();
  /** Blocks with a number past ROW_MAX (a size, a count of entries, an index), their numbers kept here whole. */
  private readonly large = new Map<number, Readonly<Record<LargeColumn, number>>>();
  private readonly anchors = new InternedPlaces();
  private readonly fields = new Interned<string | undefined>();

  private readonly shapes: BlockShape[] = [];

  /** Bytes of all blocks, added up: more than memory holds means two of them overlap. */
  bytes = 0;

  /** A table of the blocks read from `memoryBytes` of memory: blocks adding up to more overlap. */
  constructor(readonly memoryBytes: number) {}

  /** Blocks in the table: the full chunks' rows and the rows of the one being filled (not counted apart, one store less per block). */
  get length(): number {
    const full = this.chunks.length - 1;
    return full * CHUNK_ROWS + this.cursor / STRIDE;
  }

  /** A new shape of block; its id is for add(). Callers keep the ids of the shapes they have made. */
  shapeId(shape: BlockShape): number {
    return this.shapes.push(shape) - 1;
  }

  /** The id addRow takes for a site's anchor. */
  anchorId(anchor: Place): number {
    return this.anchors.id(anchor);
  }

  /** The id addRow takes for a site's field. */
  fieldId(field: string | undefined): number {
    return this.fields.id(field);
  }

  /**
   * A block at `pa`, which is `address` as a number (exact up to 2^53; the bigint is kept beyond),
   * found at `site`. Throws when the blocks read add up to more bytes than memory holds: two of
   * them overlap, found now rather than after walking a million aliased entries.
   */
  add(site: Site, pa: bigint | number, address: number, size: number, shape: number, entries: number): void {
    if (typeof pa === 'bigint' && pa > MAX_EXACT) this.wide.set(this.length, pa);
    this.addRow(address, size, entries, shape, this.anchors.id(site.anchor), site.entry, this.fields.id(site.field), site.block);
  }

  /**
   * add() with the site in numbers (its anchor's and field's ids made once for many blocks) and the
   * address a number below 2^53: what a compiled chain loop does per block, written into the loop
   * (appendRowSource), with nothing to allocate.
   */
  declare addRow: (address: number, size: number, entries: number, shape: number, anchor: number, entry: number, field: number, block: number) => void;

  /** The rest of addRow for a block with a number past ROW_MAX: its row, those numbers kept whole beside it. */
  addLarge(address: number, size: number, entries: number, shape: number, anchor: number, entry: number, field: number, block: number): void {
    this.large.set(this.length, { [SIZE]: size, [ENTRIES]: entries, [ENTRY]: entry, [BLOCK]: block });
    this.addRow(address, 0, 0, shape, anchor, 0, field, 0);
    if ((this.bytes += size) > this.memoryBytes) this.checkOverlaps();
  }

  /** Room for the next row, the chunk being filled being full: the first chunk twice as big (up to CHUNK_ROWS), else a new chunk. */
  grow(): Int32Array {
    const chunks = this.chunks;
    const first = chunks[0]!;
    if (chunks.length === 1 && first.length < CHUNK_ROWS * STRIDE) {
      const bigger = new Int32Array(first.length * 2);
      bigger.set(first);
      chunks[0] = this.rows = bigger;
      return bigger;
    }
    const chunk = new Int32Array(CHUNK_ROWS * STRIDE);
    chunks.push(chunk);
    this.rows = chunk;
    this.cursor = 0;
    return chunk;
  }

  private get(i: number, column: number): number {
    return this.chunks[i >>> CHUNK_BITS]![(i & CHUNK_MASK) * STRIDE + column]!;
  }

  /** A size, count of entries or index of block `i`: from the row, or from `large` when one did not fit it. */
  private number(i: number, column: LargeColumn): number {
    const large = this.large.size === 0 ? undefined : this.large.get(i);
    return large === undefined ? this.get(i, column) : large[column];
  }

  /** The block's address as a number: exact below 2^53. */
  private address(i: number): number {
    const at = (i & CHUNK_MASK) * STRIDE;
    const rows = this.chunks[i >>> CHUNK_BITS]!;
    return rows[at + PA_HIGH]! * HALF + (rows[at + PA_LOW]! >>> 0);
  }

  private size(i: number): number {
    return this.number(i, SIZE);
  }

  /** The block's address, exact. */
  pa(i: number): bigint {
    return this.wide.get(i) ?? BigInt(this.address(i));
  }

  private shape(i: number): BlockShape {
    return this.shapes[this.get(i, SHAPE)]!;
  }

  place(i: number): Place {
    return placeOf(this.anchors.at(this.get(i, ANCHOR)), this.number(i, ENTRY), this.fields.at(this.get(i, FIELD)), this.number(i, BLOCK));
  }

  what(i: number): string {
    const shape = this.shape(i);
    if (!shape.entry) return shape.struct!;
    const array = `${shape.entry.struct}[${this.number(i, ENTRIES)}]`;
    return shape.header === undefined ? array : `${shape.header} + ${array}`;
  }

  info(i: number): BlockInfo {
    const shape = this.shape(i);
    const base = { place: this.place(i), what: this.what(i), pa: this.pa(i), size: this.size(i) };
    return shape.entry ? { ...base, entries: this.number(i, ENTRIES), entry: shape.entry } : base;
  }

  infos(): BlockInfo[] {
    return Array.from({ length: this.length }, (_, i) => this.info(i));
  }

  /**
   * The blocks that must be preserved (all but the memory map's own pages) and that `preserved` does
   * not wholly cover, in walk order: the first `limit` of them, and how many there are.
   */
  uncovered(preserved: PreservedSet, limit: number): { blocks: BlockInfo[]; total: number } {
    const blocks: BlockInfo[] = [];
    let total = 0;
    for (let i = 0, length = this.length; i < length; i++) {
      if (this.shape(i).unpreserved) continue;
      const pa = this.wide.get(i) ?? this.address(i);
      if (preserved.covers(pa, this.size(i))) continue;
      total++;
      if (blocks.length < limit) blocks.push(this.info(i));
    }
    return { blocks, total };
  }

  /**
   * Throws if two blocks overlap (the later one in address order is named, with the one it runs into),
   * or if the blocks add up to more bytes than memory holds. Images are usually laid out in the order
   * they are walked, and then nothing is sorted.
   */
  checkOverlaps(): void {
    const size = (i: number) => this.size(i);
    // Real physical addresses are below 2^52: then the check runs on numbers, and blocks read in
    // address order (as images are laid out) take one pass over the rows. Out of order (a whole
    // handover: its clients' and handlers' state lies apart from LUO's), disjointBlocks tells
    // whether any two overlap, and the pair is looked for only when they do: sorting the rows
    // through closures took a tenth of a handover's walk.
    const inOrder = this.wide.size === 0 ? this.overlapInOrder() : undefined;
    const overlap =
      inOrder !== undefined
        ? inOrder
        : this.wide.size === 0
          ? this.disjoint()
            ? undefined
            : firstOverlap(this.length, (i) => this.address(i), (pa, bytes) => pa + bytes, size)
          : firstOverlap(this.length, (i) => this.pa(i), (pa, bytes) => pa + BigInt(bytes), size);
    if (overlap) {
      const [later, earlier] = overlap;
      const range = (i: number) => `${hex(this.pa(i))}..${hex(this.pa(i) + BigInt(size(i)))}`;
      throw new ImageError(
        this.place(later).toString(),
        `${this.what(later)} at ${range(later)} overlaps ${this.what(earlier)} at ${range(earlier)} read by ${this.place(earlier)}`,
      );
    }
    if (this.bytes > this.memoryBytes) {
      throw new ImageError('memory', `the blocks read add up to ${this.bytes} bytes, more than the ${this.memoryBytes} in memory`);
    }
  }

  /** Whether no two blocks (addresses as numbers) overlap, in any order: disjointBlocks over the rows. */
  private disjoint(): boolean {
    const length = this.length;
    const starts = new Float64Array(length);
    const ends = new Float64Array(length);
    let n = 0;
    for (let i = 0; i < length; i++) {
      const size = this.size(i);
      if (size === 0) continue;
      starts[n] = this.address(i);
      ends[n] = starts[n]! + size;
      n++;
    }
    return disjointBlocks(starts.subarray(0, n), ends.subarray(0, n));
  }

  /**
   * firstOverlap's answer for blocks whose addresses are numbers, found in one pass over the rows as
   * they lie in their chunks: null for no overlap, undefined when the blocks are not in address
   * order (firstOverlap sorts them then).
   */
  private overlapInOrder(): [later: number, earlier: number] | null | undefined {
    let previous = -Infinity;
    let widest = -1;
    let widestEnd = -Infinity;
    for (let i = 0, length = this.length; i < length; i++) {
      const pa = this.address(i);
      if (pa < previous) return undefined;
      previous = pa;
      const size = this.size(i);
      if (size === 0) continue;
      if (widestEnd > pa) return [i, widest];
      if (pa + size > widestEnd) {
        widest = i;
        widestEnd = pa + size;
      }
    }
    return null;
  }
}

/** addRow's arguments, as the names (or constants) of a compiled loop's values. */
export interface RowArguments {
  readonly address: string;
  readonly size: string;
  readonly entries: string;
  readonly shape: string;
  readonly anchor: string;
  readonly entry: string;
  readonly field: string;
  readonly block: string;
}

/**
 * The text of BlockTable.addRow on `table`, its arguments names or constants (each is read more than
 * once): what a compiled loop writes per block, and the method's own body, so that the two are one
 * piece of code.
 */
export function appendRowSource(table: string, { address, size, entries, shape, anchor, entry, field, block }: RowArguments): string {
  return [
    `if (${size} > ${ROW_MAX} || ${entries} > ${ROW_MAX} || ${entry} > ${ROW_MAX} || ${block} > ${ROW_MAX}) ${table}.addLarge(${address}, ${size}, ${entries}, ${shape}, ${anchor}, ${entry}, ${field}, ${block});`,
    'else {',
    `let rows$ = ${table}.rows;`,
    `let at$ = ${table}.cursor;`,
    `if (at$ === rows$.length) {`,
    `rows$ = ${table}.grow();`,
    `at$ = ${table}.cursor;`,
    '}',
    `${table}.cursor = at$ + ${STRIDE};`,
    // The halves of an integer below 2^53: ToUint32 takes it modulo 2^32, and the rest times a power of two is exact.
    `const low$ = ${address} >>> 0;`,
    `rows$[at$ + ${PA_LOW}] = low$;`,
    `rows$[at$ + ${PA_HIGH}] = (${address} - low$) * ${INVERSE_HALF};`,
    `rows$[at$ + ${SIZE}] = ${size};`,
    `rows$[at$ + ${ENTRIES}] = ${entries};`,
    `rows$[at$ + ${SHAPE}] = ${shape};`,
    `rows$[at$ + ${ANCHOR}] = ${anchor};`,
    `rows$[at$ + ${ENTRY}] = ${entry};`,
    `rows$[at$ + ${FIELD}] = ${field};`,
    `rows$[at$ + ${BLOCK}] = ${block};`,
    `if ((${table}.bytes += ${size}) > ${table}.memoryBytes) ${table}.checkOverlaps();`,
    '}',
  ].join('\n');
}

const ROW_ARGUMENTS: RowArguments = { address: 'address', size: 'size', entries: 'entries', shape: 'shape', anchor: 'anchor', entry: 'entry', field: 'field', block: 'block' };
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- one text with the compiled loops' (above)
BlockTable.prototype.addRow = new Function(...Object.values(ROW_ARGUMENTS), `'use strict';\n${appendRowSource('this', ROW_ARGUMENTS)}`) as BlockTable['addRow'];

/**
 * The first block (in address order; walk order among equal addresses) that starts before an earlier
 * one ends, and the one it runs into: the earlier block reaching furthest. Nothing is sorted when the
 * blocks were read in address order, as images usually are laid out.
 */
function firstOverlap<T extends number | bigint>(
  length: number,
  start: (i: number) => T,
  plus: (pa: T, bytes: number) => T,
  size: (i: number) => number,
): [later: number, earlier: number] | undefined {
  let order: number[] | undefined;
  for (let i = 1; i < length; i++) {
    if (start(i - 1) > start(i)) {
      order = Array.from({ length }, (_, k) => k).sort((a, b) => (start(a) < start(b) ? -1 : start(a) > start(b) ? 1 : a - b));
      break;
    }
  }
  let widest = -1;
  let widestEnd: T | undefined;
  for (let k = 0; k < length; k++) {
    const i = order ? order[k]! : k;
    if (size(i) === 0) continue;
    const end = plus(start(i), size(i));
    if (widestEnd !== undefined && widestEnd > start(i)) return [i, widest];
    if (widestEnd === undefined || end > widestEnd) {
      widest = i;
      widestEnd = end;
    }
  }
  return undefined;
}

/**
 * Whether no two of the blocks `[starts[k], ends[k])`, each of some bytes, in any order, overlap.
 * The blocks of a walk come in a few runs of rising addresses (LUO's, each handler's state, the
 * memory map's pages), so they are put in address order by merging those runs rather than sorted
 * from scratch (two native sorts of a whole handover's blocks took a tenth of its walk). In address
 * order, blocks are disjoint exactly when each starts at or past the end of the one before it.
 */
export function disjointBlocks(starts: Float64Array, ends: Float64Array): boolean {
  const n = starts.length;
  // Where each run starts, then the end.
  let runs: number[] = [0];
  for (let k = 1; k < n; k++) if (starts[k]! < starts[k - 1]!) runs.push(k);
  runs.push(n);
  // Runs merged two by two until one is left, each pass into the other of two pairs of arrays (the
  // blocks given are left as they are), made only when there is more than one run.
  const pairs: [Float64Array, Float64Array][] = [];
  let [fromStarts, fromEnds]: [Float64Array, Float64Array] = [starts, ends];
  for (let pass = 0; runs.length > 2; pass++) {
    if (pairs.length < 2) pairs.push([new Float64Array(n), new Float64Array(n)]);
    const [intoStarts, intoEnds] = pairs[pass % 2]!;
    const merged: number[] = [0];
    for (let r = 0; r + 1 < runs.length; r += 2) {
      // An odd run out at the end is merged with nothing: copied.
      const [a, middle, b] = [runs[r]!, runs[r + 1]!, runs[r + 2] ?? runs[r + 1]!];
      for (let i = a, j = middle, k = a; k < b; k++) {
        const from = i < middle && (j >= b || fromStarts[i]! <= fromStarts[j]!) ? i++ : j++;
        intoStarts[k] = fromStarts[from]!;
        intoEnds[k] = fromEnds[from]!;
      }
      merged.push(b);
    }
    [fromStarts, fromEnds] = [intoStarts, intoEnds];
    runs = merged;
  }
  for (let k = 1; k < n; k++) if (fromStarts[k]! < fromEnds[k - 1]!) return false;
  return true;
}
