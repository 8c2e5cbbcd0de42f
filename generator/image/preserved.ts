/**
 * The preserved memory a handover names: KHO's radix tree read into ranges and built from them, and
 * the check of the blocks a walk read against those ranges (memory outside them is memory the next
 * kernel does not get back).
 *
 * A range is a run of page groups of one order that the map marks one after the other: `size` bytes
 * from `start`, each group `PAGE_SIZE << order` bytes. The map keeps a bit per group, so a run is
 * what the bits say exactly, and building the map from the runs gives the same bits back.
 */
import type { FieldModel, StructModel, TargetModel } from '../model/index.ts';
import { ImageError, Place, Site, hex } from './errors.ts';

export interface PreservedRange {
  readonly start: bigint;
  readonly size: bigint;
  readonly order: number;
}

export type RadixTarget = Extract<TargetModel, { shape: 'radix-tree' }>;
export type BitmapChunksTarget = Extract<TargetModel, { shape: 'bitmap-chunks' }>;
/** The shapes of a preserved-memory map. */
export type MapTarget = RadixTarget | BitmapChunksTarget;

export function isMapTarget(target: TargetModel): target is MapTarget {
  return target.shape === 'radix-tree' || target.shape === 'bitmap-chunks';
}

/** More runs than this in one map is no map a kernel wrote: the walk ends rather than hold them. */
export const MAX_RANGES = 1 << 24;

/** Where the tree's structs are, in bytes: what the walker and the builder both need of the model. */
export interface RadixGeometry {
  readonly pageShift: number;
  readonly nodeSize: number;
  readonly tableOffset: number;
  /** log2 of the entries of a node's table. */
  readonly tableBits: number;
  readonly leafSize: number;
  readonly bitmapOffset: number;
  /** log2 of the bits of a leaf's bitmap. */
  readonly bitmapBits: number;
  readonly depth: number;
  readonly order0: number;
}

export function radixGeometry(target: RadixTarget, struct: (name: string) => StructModel, pageSize: number): RadixGeometry {
  const node = struct(target.node);
  const leaf = struct(target.leaf);
  const table = node.fields.find((f) => f.name === target.table)!;
  const bitmap = leaf.fields.find((f) => f.name === target.bitmap)!;
  const entries = table.type.kind === 'array' ? table.type.length : 0;
  const bits = bitmap.type.kind === 'bitmap' ? bitmap.type.words * 64 : 0;
  const tableBits = exactLog2(entries, `${target.node}.${target.table}`);
  const bitmapBits = exactLog2(bits, `${target.leaf}.${target.bitmap}`);
  return {
    pageShift: Math.log2(pageSize),
    nodeSize: node.size,
    tableOffset: fieldOffset(table),
    tableBits,
    leafSize: leaf.size,
    bitmapOffset: fieldOffset(bitmap),
    bitmapBits,
    depth: target.depth,
    order0: target.order0,
  };
}

function fieldOffset(field: FieldModel): number {
  return field.offset;
}

function exactLog2(value: number, what: string): number {
  const log = Math.log2(value);
  if (!Number.isInteger(log)) throw new Error(`${what}: a radix tree's ${value} entries are not a power of two`);
  return log;
}

/** How a map reader reaches memory: `size` bytes at `pa`, recorded as a block the map's own pages need not be preserved for. */
export interface MapMemory {
  read(pa: bigint, size: number, struct: string, site: Site): { bytes: Uint8Array; offset: number };
}

/**
 * Every preserved range the tree rooted at `root` holds, in key order (larger orders first, then by
 * address). Each node and leaf is read once through `memory`; a loop or a shared page is the
 * walker's overlap check's to find, since each read is a block.
 */
export function readRadixTree(geometry: RadixGeometry, memory: MapMemory, root: bigint, site: Site, littleEndian: boolean): PreservedRange[] {
  const runs = new Runs(geometry);
  const { tableBits, bitmapBits, depth, order0 } = geometry;
  const keyLimit = 1n << BigInt(order0 + 1);
  const visitNode = (pa: bigint, level: number, prefix: bigint, place: Place): void => {
    const { bytes, offset } = memory.read(pa, geometry.nodeSize, level === depth - 1 ? 'radix root' : 'radix node', Site.at(place));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const entries = 1 << tableBits;
    for (let i = 0; i < entries; i++) {
      const at = offset + geometry.tableOffset + i * 8;
      const low = view.getUint32(at + (littleEndian ? 0 : 4), littleEndian);
      const high = view.getUint32(at + (littleEndian ? 4 : 0), littleEndian);
      if (low === 0 && high === 0) continue;
      const child = (BigInt(high) << 32n) | BigInt(low);
      const key = (prefix << BigInt(tableBits)) | BigInt(i);
      const here = place.then(`table[${i}]`);
      // The smallest key beneath this entry must still carry an order marker: past it, no order.
      if (key << BigInt((level - 1) * tableBits + bitmapBits) >= keyLimit) {
        throw here.error(`leads to keys past bit ${order0}, which mark no page order (the root names ${depth - 1} node levels above the leaves)`);
      }
      if (level === 1) visitLeaf(child, key << BigInt(bitmapBits), here);
      else visitNode(child, level - 1, key, here);
    }
  };
  const visitLeaf = (pa: bigint, base: bigint, place: Place): void => {
    const { bytes, offset } = memory.read(pa, geometry.leafSize, 'radix leaf', Site.at(place));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    runs.leaf(base, place);
    const words = (1 << bitmapBits) / 64;
    for (let w = 0; w < words; w++) {
      const at = offset + geometry.bitmapOffset + w * 8;
      // A bitmap is unsigned longs: bit b of the map is bit b % 64 of word b / 64, in the CPU's byte order.
      for (const [half, shift] of [[littleEndian ? 0 : 4, 0], [littleEndian ? 4 : 0, 32]] as const) {
        const bits = view.getUint32(at + half, littleEndian);
        if (bits !== 0) runs.bits(w * 64 + shift, bits);
      }
    }
  };
  if (depth === 1) visitLeaf(root, 0n, site.place());
  else visitNode(root, depth - 1, 0n, site.place());
  return runs.done();
}

/** Runs of set bits, gathered in key order: consecutive keys of one order make one range. */
class Runs {
  private readonly ranges: PreservedRange[] = [];
  private start = 0n;
  private length = 0;
  private order = -1;
  /** The bit of the current leaf the run would continue at, or -1. */
  private endInLeaf = -1;
  private base = 0n;
  /** The order of every bit of the current leaf, or -1 in leaf 0, whose keys differ in length. */
  private leafOrder = -1;
  private place: Place = Place.at('');

  constructor(private readonly geometry: RadixGeometry) {}

  leaf(base: bigint, place: Place): void {
    this.base = base;
    this.place = place;
    this.leafOrder = base === 0n ? -1 : this.orderOf(base, place);
    this.endInLeaf = this.order >= 0 && this.start + BigInt(this.length) === base ? 0 : -1;
  }

  /** The 32 bits `bits` from bit `first` of the current leaf. */
  bits(first: number, bits: number): void {
    if (bits === 0xffffffff && this.endInLeaf === first && this.leafOrder === this.order) {
      this.length += 32;
      this.endInLeaf += 32;
      return;
    }
    for (let b = 0; b < 32; b++) {
      if (((bits >>> b) & 1) === 0) continue;
      const bit = first + b;
      const order = this.leafOrder >= 0 ? this.leafOrder : this.orderOf(BigInt(bit), this.place);
      if (this.endInLeaf === bit && order === this.order) {
        this.length++;
        this.endInLeaf++;
        continue;
      }
      this.flush();
      this.start = this.base + BigInt(bit);
      this.length = 1;
      this.order = order;
      this.endInLeaf = bit + 1;
    }
  }

  done(): PreservedRange[] {
    this.flush();
    return this.ranges;
  }

  private flush(): void {
    if (this.order < 0 || this.length === 0) return;
    if (this.ranges.length === MAX_RANGES) throw this.place.error(`the map holds more than ${MAX_RANGES} runs of preserved pages`);
    const shift = BigInt(this.geometry.pageShift + this.order);
    const marker = 1n << BigInt(this.geometry.order0 - this.order);
    this.ranges.push({ start: (this.start - marker) << shift, size: BigInt(this.length) << shift, order: this.order });
    this.length = 0;
  }

  /** The order a key encodes: its highest set bit is the marker, order0 - order. */
  private orderOf(key: bigint, place: Place): number {
    if (key === 0n) throw place.error('bit 0 of the first leaf is set: its key has no order marker');
    const order = this.geometry.order0 - (key.toString(2).length - 1);
    if (order < 0) throw place.error(`a key past bit ${this.geometry.order0} marks no page order`);
    return order;
  }
}

/**
 * Page groups given in the map's order, gathered into runs: groups of one order that follow one
 * another in memory make one range.
 */
export class RangeRuns {
  private readonly ranges: PreservedRange[] = [];
  private start = 0n;
  private size = 0n;
  private order = -1;

  constructor(private readonly pageShift: number) {}

  /** `groups` page groups of `order` from `start`; `place` names them if they cannot be. */
  add(start: bigint, groups: number, order: number, place: Place): void {
    const bytes = BigInt(groups) << BigInt(this.pageShift + order);
    if (start + bytes > 1n << 64n) throw place.error(`page groups of order ${order} at ${hex(start)} run past the 64-bit physical address space`);
    if (order === this.order && start === this.start + this.size) {
      this.size += bytes;
      return;
    }
    this.flush(place);
    this.start = start;
    this.size = bytes;
    this.order = order;
  }

  done(place: Place): PreservedRange[] {
    this.flush(place);
    return this.ranges;
  }

  private flush(place: Place): void {
    if (this.order < 0) return;
    if (this.ranges.length === MAX_RANGES) throw place.error(`the map holds more than ${MAX_RANGES} runs of preserved pages`);
    this.ranges.push({ start: this.start, size: this.size, order: this.order });
  }
}

/** Each set bit of `bits` (from bit `first` of a bitmap), and each run of 32, handed to `take` as (bit, count). */
export function setBits(bits: number, first: number, take: (bit: number, count: number) => void): void {
  if (bits === 0xffffffff) return take(first, 32);
  for (let b = 0; b < 32; b++) if ((bits >>> b) & 1) take(first + b, 1);
}

/** Bits `[from, to)` of a bitmap held as 32-bit words, set. */
export function fillBits(words: Uint32Array, from: number, to: number): void {
  for (let bit = from; bit < to; ) {
    if ((bit & 31) === 0 && to - bit >= 32) {
      words[bit >>> 5] = 0xffffffff;
      bit += 32;
    } else {
      words[bit >>> 5]! |= 1 << (bit & 31);
      bit++;
    }
  }
}

/** A range as the pieces of one order it is made of: checked, so that building a map from it is exact. */
export function checkRange(range: PreservedRange, geometry: Pick<RadixGeometry, 'pageShift' | 'order0'>, where: string): { first: bigint; count: bigint } {
  const { start, size, order } = range;
  if (!Number.isInteger(order) || order < 0 || order > geometry.order0) throw new ImageError(where, `order ${order} is outside 0..${geometry.order0}`);
  const shift = BigInt(geometry.pageShift + order);
  const group = 1n << shift;
  if (start < 0n || start % group !== 0n) throw new ImageError(where, `start ${hex(start)} is not on a boundary of its ${group}-byte page groups (order ${order})`);
  if (size <= 0n || size % group !== 0n) throw new ImageError(where, `size ${size} is not a whole number of ${group}-byte page groups (order ${order})`);
  if (start + size > 1n << 64n) throw new ImageError(where, `${hex(start)} + ${size} runs past the 64-bit physical address space`);
  return { first: start >> shift, count: size >> shift };
}

/** The pieces the kernel splits `size` bytes at `pa` into when it preserves them: each as large as its alignment allows. */
export function piecesOf(pa: bigint, size: bigint, pageShift: number): PreservedRange[] {
  const pieces: PreservedRange[] = [];
  const page = 1n << BigInt(pageShift);
  let pfn = pa >> BigInt(pageShift);
  const end = (pa + size + page - 1n) >> BigInt(pageShift);
  while (pfn < end) {
    let order = 0;
    while (((pfn >> BigInt(order)) & 1n) === 0n && pfn + (2n << BigInt(order)) <= end && order < 40) order++;
    pieces.push({ start: pfn << BigInt(pageShift), size: (1n << BigInt(order)) << BigInt(pageShift), order });
    pfn += 1n << BigInt(order);
  }
  return pieces;
}

/**
 * The bytes of the radix tree holding `ranges`: each node and leaf written through `allocate`, which
 * gives a page's physical address and its bytes; the root's address is returned. Pages are given out
 * as the tree is written, top down, table entries in order.
 */
export function buildRadixTree(
  geometry: RadixGeometry,
  ranges: readonly { range: PreservedRange; where: string }[],
  allocate: (size: number) => { pa: bigint; bytes: Uint8Array },
  littleEndian: boolean,
  maxPages: number,
): bigint {
  const { tableBits, bitmapBits, depth } = geometry;
  // Leaves by index (the key without its bitmap bits), each with its set bits.
  const leaves = new Map<bigint, Uint32Array>();
  const words = (1 << bitmapBits) / 32;
  for (const { range, where } of ranges) {
    const { first, count } = checkRange(range, geometry, where);
    const marker = 1n << BigInt(geometry.order0 - range.order);
    if (first + count > marker) throw new ImageError(where, `${hex(range.start)} + ${range.size} is past what order ${range.order} can address`);
    let key = marker + first;
    const end = key + count;
    // A tree too shallow for the key (kho-v2's at 16 KiB pages, whose depth leaves the marker of an
    // order-0 key out) cannot hold the range: said here, rather than the order lost.
    if ((end - 1n) >> BigInt((depth - 1) * tableBits + bitmapBits) !== 0n) {
      throw new ImageError(where, `order ${range.order} at ${hex(range.start)} needs a key of ${(end - 1n).toString(2).length} bits, more than the ${(depth - 1) * tableBits + bitmapBits} this tree's ${depth - 1} node levels and leaves address`);
    }
    while (key < end) {
      const index = key >> BigInt(bitmapBits);
      let leaf = leaves.get(index);
      if (!leaf) {
        if (leaves.size >= maxPages) throw new ImageError(where, `the preserved memory needs more than ${maxPages} radix leaves`);
        leaves.set(index, (leaf = new Uint32Array(words)));
      }
      const bitsLeft = Number((((index + 1n) << BigInt(bitmapBits)) - key) < end - key ? ((index + 1n) << BigInt(bitmapBits)) - key : end - key);
      let bit = Number(key - (index << BigInt(bitmapBits)));
      for (let n = 0; n < bitsLeft; n++, bit++) leaf[bit >>> 5]! |= 1 << (bit & 31);
      key += BigInt(bitsLeft);
    }
  }
  // Nodes: a table per key prefix, from the root (level depth - 1) down to level 1.
  const writeU64 = (bytes: Uint8Array, at: number, value: bigint) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setBigUint64(at, value, littleEndian);
  const sorted = [...leaves.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const writeLevel = (level: number, prefix: bigint, members: readonly bigint[]): bigint => {
    if (level === 0) {
      const page = allocate(geometry.leafSize);
      const leaf = leaves.get(prefix)!;
      for (let w = 0; w < leaf.length; w += 2) {
        writeU64(page.bytes, geometry.bitmapOffset + w * 4, (BigInt(leaf[w + 1]!) << 32n) | BigInt(leaf[w]!));
      }
      return page.pa;
    }
    const page = allocate(geometry.nodeSize);
    const shift = BigInt((level - 1) * tableBits);
    const mask = (1n << BigInt(tableBits)) - 1n;
    for (let i = 0; i < members.length; ) {
      const slot = (members[i]! >> shift) & mask;
      let j = i;
      while (j < members.length && ((members[j]! >> shift) & mask) === slot) j++;
      const child = writeLevel(level - 1, level === 1 ? members[i]! : (prefix << BigInt(tableBits)) | slot, members.slice(i, j));
      writeU64(page.bytes, geometry.tableOffset + Number(slot) * 8, child);
      i = j;
    }
    return page.pa;
  };
  return writeLevel(depth - 1, 0n, sorted);
}

/**
 * The preserved ranges, merged, for asking whether a block lies inside them. Numbers where every end
 * is exact (real physical addresses are below 2^52), bigints otherwise.
 */
export class PreservedSet {
  private readonly starts: (number | bigint)[] = [];
  private readonly ends: (number | bigint)[] = [];

  constructor(ranges: readonly PreservedRange[]) {
    const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const exact = sorted.every((r) => r.start + r.size <= BigInt(Number.MAX_SAFE_INTEGER));
    let start: bigint | undefined;
    let end = 0n;
    const push = () => {
      if (start === undefined) return;
      this.starts.push(exact ? Number(start) : start);
      this.ends.push(exact ? Number(end) : end);
    };
    for (const range of sorted) {
      if (start !== undefined && range.start <= end) {
        if (range.start + range.size > end) end = range.start + range.size;
        continue;
      }
      push();
      start = range.start;
      end = range.start + range.size;
    }
    push();
  }

  /** Whether `[pa, pa + size)` lies wholly inside one merged range. */
  covers(pa: number | bigint, size: number): boolean {
    const numbers = typeof this.starts[0] !== 'bigint';
    const at = numbers ? (typeof pa === 'bigint' ? Number(pa) : pa) : BigInt(pa);
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.starts[middle]! <= at) low = middle + 1;
      else high = middle - 1;
    }
    if (high < 0) return false;
    const end = numbers ? (at as number) + size : (at as bigint) + BigInt(size);
    return end <= this.ends[high]!;
  }
}
