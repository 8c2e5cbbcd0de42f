/**
 * The blocks a walk read, kept as columns of numbers rather than an object each: a decoded state
 * of a million sessions keeps a million file arrays, and an object per block (with its Place and its
 * address as a bigint) was a fifth of that state's heap and of its garbage-collection time. A block's
 * BlockInfo is made only when someone reads it; the overlap check works on the columns.
 */
import { Place, placeOf, hex, ImageError, type Site } from './errors.ts';
import type { BlockInfo } from './state.ts';

/** What a block holds, shared by every block of that shape: a struct, or entries after an optional header. */
export interface BlockShape {
  readonly struct?: string;
  readonly header?: string;
  readonly entry?: { readonly struct: string; readonly offset: number };
}

const FIRST_CAPACITY = 256;

// A block's numbers, in one row of `rows`: one array written per block rather than one per column.
const SIZE = 0;
/** Entries in the block, -1 for a struct pointed at. */
const ENTRIES = 1;
const SHAPE = 2;
// Where the block was found: a Site's parts, its anchor and field by their index in `anchors` and
// `fields`, which hold each distinct one once (a session block is the anchor of its sessions' file
// arrays). A reference per block in a growing array cost more than the rest of the row together.
const ANCHOR = 3;
const ENTRY = 4;
const FIELD = 5;
const BLOCK = 6;
const STRIDE = 7;

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

export class BlockTable {
  private pa = new BigUint64Array(FIRST_CAPACITY);
  private rows = new Float64Array(FIRST_CAPACITY * STRIDE);
  private readonly anchors = new Interned<Place>();
  private readonly fields = new Interned<string | undefined>();

  private readonly shapes: BlockShape[] = [];

  length = 0;
  /** Bytes of all blocks, added up: more than memory holds means two of them overlap. */
  bytes = 0;

  /** A new shape of block; its id is for add(). Callers keep the ids of the shapes they have made. */
  shapeId(shape: BlockShape): number {
    return this.shapes.push(shape) - 1;
  }

  add(site: Site, pa: bigint, size: number, shape: number, entries: number): void {
    if (this.length === this.pa.length) this.grow();
    const i = this.length++;
    this.pa[i] = pa;
    const rows = this.rows;
    const at = i * STRIDE;
    rows[at + SIZE] = size;
    rows[at + ENTRIES] = entries;
    rows[at + SHAPE] = shape;
    rows[at + ANCHOR] = this.anchors.id(site.anchor);
    rows[at + ENTRY] = site.entry;
    rows[at + FIELD] = this.fields.id(site.field);
    rows[at + BLOCK] = site.block;
    this.bytes += size;
  }

  private grow(): void {
    const pa = new BigUint64Array(this.pa.length * 2);
    pa.set(this.pa);
    this.pa = pa;
    const rows = new Float64Array(this.rows.length * 2);
    rows.set(this.rows);
    this.rows = rows;
  }

  private size(i: number): number {
    return this.rows[i * STRIDE + SIZE]!;
  }

  private entries(i: number): number {
    return this.rows[i * STRIDE + ENTRIES]!;
  }

  private shape(i: number): BlockShape {
    return this.shapes[this.rows[i * STRIDE + SHAPE]!]!;
  }

  place(i: number): Place {
    const at = i * STRIDE;
    const rows = this.rows;
    return placeOf(this.anchors.at(rows[at + ANCHOR]!), rows[at + ENTRY]!, this.fields.at(rows[at + FIELD]!), rows[at + BLOCK]!);
  }

  what(i: number): string {
    const shape = this.shape(i);
    if (!shape.entry) return shape.struct!;
    const array = `${shape.entry.struct}[${this.entries(i)}]`;
    return shape.header === undefined ? array : `${shape.header} + ${array}`;
  }

  info(i: number): BlockInfo {
    const shape = this.shape(i);
    const base = { place: this.place(i), what: this.what(i), pa: this.pa[i]!, size: this.size(i) };
    return shape.entry ? { ...base, entries: this.entries(i), entry: shape.entry } : base;
  }

  infos(): BlockInfo[] {
    return Array.from({ length: this.length }, (_, i) => this.info(i));
  }

  /**
   * Throws if two blocks overlap (the later one in address order is named, with the one it runs into),
   * or if the blocks add up to more bytes than `memoryBytes`. Images are usually laid out in the order
   * they are walked, and then nothing is sorted.
   */
  checkOverlaps(memoryBytes: number): void {
    const { pa, length } = this;
    let order: number[] | undefined;
    for (let i = 1; i < length; i++) {
      if (pa[i - 1]! > pa[i]!) {
        order = Array.from({ length }, (_, k) => k).sort((a, b) => (pa[a]! < pa[b]! ? -1 : pa[a]! > pa[b]! ? 1 : a - b));
        break;
      }
    }
    let widest = -1;
    let widestEnd = 0n;
    for (let k = 0; k < length; k++) {
      const i = order ? order[k]! : k;
      const size = this.size(i);
      if (size === 0) continue;
      const end = pa[i]! + BigInt(size);
      if (widest >= 0 && widestEnd > pa[i]!) {
        throw new ImageError(
          this.place(i).toString(),
          `${this.what(i)} at ${hex(pa[i]!)}..${hex(end)} overlaps ${this.what(widest)} at ${hex(pa[widest]!)}..${hex(widestEnd)} read by ${this.place(widest)}`,
        );
      }
      if (widest < 0 || end > widestEnd) {
        widest = i;
        widestEnd = end;
      }
    }
    if (this.bytes > memoryBytes) {
      throw new ImageError('memory', `the blocks read add up to ${this.bytes} bytes, more than the ${memoryBytes} in memory`);
    }
  }
}
