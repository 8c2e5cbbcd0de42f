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

function grown<T extends Float64Array | BigUint64Array | Int32Array>(array: T, make: (length: number) => T): T {
  const bigger = make(array.length * 2);
  bigger.set(array as never);
  return bigger;
}

export class BlockTable {
  private pa = new BigUint64Array(FIRST_CAPACITY);
  private size = new Float64Array(FIRST_CAPACITY);
  /** Entries in the block, -1 for a struct pointed at. */
  private entries = new Float64Array(FIRST_CAPACITY);
  private shape = new Int32Array(FIRST_CAPACITY);
  // Where the block was found: a Site's parts (its anchor is shared by many blocks).
  private readonly anchor: Place[] = [];
  private entry = new Float64Array(FIRST_CAPACITY);
  private field = new Int32Array(FIRST_CAPACITY);
  private block = new Float64Array(FIRST_CAPACITY);

  private readonly shapes: BlockShape[] = [];
  private readonly fields: (string | undefined)[] = [undefined];
  private readonly fieldIds = new Map<string | undefined, number>([[undefined, 0]]);

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
    this.size[i] = size;
    this.entries[i] = entries;
    this.shape[i] = shape;
    this.anchor[i] = site.anchor;
    this.entry[i] = site.entry;
    this.field[i] = this.fieldId(site.field);
    this.block[i] = site.block;
    this.bytes += size;
  }

  private fieldId(field: string | undefined): number {
    let id = this.fieldIds.get(field);
    if (id === undefined) {
      id = this.fields.push(field) - 1;
      this.fieldIds.set(field, id);
    }
    return id;
  }

  private grow(): void {
    this.pa = grown(this.pa, (n) => new BigUint64Array(n));
    this.size = grown(this.size, (n) => new Float64Array(n));
    this.entries = grown(this.entries, (n) => new Float64Array(n));
    this.shape = grown(this.shape, (n) => new Int32Array(n));
    this.entry = grown(this.entry, (n) => new Float64Array(n));
    this.field = grown(this.field, (n) => new Int32Array(n));
    this.block = grown(this.block, (n) => new Float64Array(n));
  }

  place(i: number): Place {
    return placeOf(this.anchor[i]!, this.entry[i]!, this.fields[this.field[i]!], this.block[i]!);
  }

  what(i: number): string {
    const shape = this.shapes[this.shape[i]!]!;
    if (!shape.entry) return shape.struct!;
    const array = `${shape.entry.struct}[${this.entries[i]!}]`;
    return shape.header === undefined ? array : `${shape.header} + ${array}`;
  }

  info(i: number): BlockInfo {
    const shape = this.shapes[this.shape[i]!]!;
    const base = { place: this.place(i), what: this.what(i), pa: this.pa[i]!, size: this.size[i]! };
    return shape.entry ? { ...base, entries: this.entries[i]!, entry: shape.entry } : base;
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
    const { pa, size, length } = this;
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
      if (size[i] === 0) continue;
      const end = pa[i]! + BigInt(size[i]!);
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
