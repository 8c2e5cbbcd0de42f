/**
 * A careful hand-written decoder of bench/handover-image.ts's whole handover, what a person writes for
 * these versions alone (kho-v4's root and radix tree, LUO as a luo-v5+block-v1 raw entry, memfd-v2's
 * kho_vmalloc areas, memblock-v1), its layout taken from the headers: the peer of decodeImage and
 * walkImage in bench/handover.bench.ts.
 *
 * One DataView over the memory image, made once; addresses read as two u32 halves into numbers (exact
 * below 2^53, which is checked), so that following a pointer allocates nothing; values that are u64
 * in the state are bigints, as ours gives them, and it returns the very state ours does (checked).
 * The FDTs (the root's and memblock's, a few hundred bytes) are parsed by our readFdt.
 *
 * Checked, as ours checks them: every read inside the memory image; the root's, the LUO entry's and
 * memblock's strings; every block count against what its block holds, and each file set's count
 * against the entries its chain has; a chain (of blocks, of chunks) that comes back to a block is a
 * loop; the radix tree's keys carry an order marker; a vmalloc area's chunks list no more pages than
 * its page total and exactly that many, and its folio count fits its pages; strings have their NUL
 * and are UTF-8; LUO's size is at least luo_ser's; every block read (the map's own pages aside) lies
 * in the preserved ranges the map gives. Not checked: blocks that overlap one another (ours checks),
 * a radix node or leaf reached twice (ours finds it as an overlap; here the tree's fixed depth keeps
 * the walk finite). Errors are plain Errors that name the struct.
 */
import { readFdt, type FdtNodeData } from '../generator/fdt/index.ts';
import { handChars } from './hand-chars.ts';

// The C layout at 4 KiB pages, as a person writing a decoder for these versions takes it from the headers.
const PAGE = 4096;
const PAGE_SHIFT = 12;
const LUO_SER = 40;
const LUO_COMPAT = 16;
const BLOCK_HEADER = 16;
const SESSION = 80;
const SESSION_NAME = 64;
const FILE = 64;
const FILE_COMPAT = 48;
const FLB_HEADER = 16;
const FLB = 64;
const FLB_NAME = 48;
const MEMFD_SER = 48;
const FOLIO = 16;
const CHUNK_PAGES = (PAGE - 8) / 8;
/** kho_radix_consts at 4 KiB pages: keys of 52 + 1 bits, 512 entries a node, 2^15 bits a leaf, 6 levels. */
const ORDER0 = 64 - PAGE_SHIFT;
const TABLE_BITS = 9;
const LEAF_BITS = PAGE_SHIFT + 3;
const DEPTH = Math.ceil((ORDER0 - LEAF_BITS + 1) / TABLE_BITS) + 1;
const MAX_AREA_SHIFT = 40;
const TWO_32 = 2 ** 32;

type Value = Record<string, unknown>;

/** What the streaming form hands over: the fields bench/handover.bench.ts's visitors read. */
export interface HandVisitor {
  session(name: string): void;
  file(compatible: string): void;
  folio(index: bigint): void;
}

/** The whole state, as decodeImage gives it. */
export function handDecodeHandover(kho: Uint8Array, memory: Uint8Array, base: bigint): Value {
  return new HandHandover(kho, memory, base, undefined).decode();
}

/** The same walk and checks, every session, file and folio handed to `visitor` and nothing kept. */
export function handWalkHandover(kho: Uint8Array, memory: Uint8Array, base: bigint, visitor: HandVisitor): void {
  new HandHandover(kho, memory, base, visitor).decode();
}

class HandHandover {
  private readonly view: DataView;
  private readonly baseNumber: number;
  /** The preserved memory, merged into sorted [start, end) intervals: what each block read is checked against. */
  private starts: number[] = [];
  private ends: number[] = [];
  private readonly keep: boolean;

  constructor(
    private readonly kho: Uint8Array,
    private readonly bytes: Uint8Array,
    base: bigint,
    private readonly visitor: HandVisitor | undefined,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (base + BigInt(bytes.length) > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('the memory image must lie below 2^53');
    this.baseNumber = Number(base);
    this.keep = visitor === undefined;
  }

  decode(): Value {
    const root = readFdt(this.kho).root;
    if (stringProperty(root, 'compatible') !== 'kho-v4') throw new Error('the root FDT is not kho-v4');
    const ranges = this.radixTree(fdtAddress(root, 'preserved-memory-map'));
    const children: Value = {};
    for (const node of root.children) {
      const pa = fdtAddress(node, 'preserved-data');
      const size = u64Property(node, 'blob-size');
      let state: unknown = BigInt(pa);
      if (node.name === 'LUO') state = this.luo(pa, size);
      else if (node.name === 'memblock') state = this.memblock(pa, size);
      children[node.name] = { properties: { 'preserved-data': state, 'blob-size': size }, children: {} };
    }
    return { version: 'kho-v4', root: { compatible: 'kho-v4', properties: { 'preserved-memory-map': ranges }, children } };
  }

  // -------------------------------------------------------------------------------------------
  // Memory

  /** Where `length` bytes at physical address `pa` start in the image; a throw unless all are in it. */
  private at(pa: number, length: number, what: string): number {
    const offset = pa - this.baseNumber;
    if (offset < 0 || offset + length > this.bytes.length) throw new Error(`${what}: ${length} bytes at 0x${pa.toString(16)} are outside the memory image`);
    return offset;
  }

  /** `at`, for a block the next kernel must get back: it must lie in the preserved memory. */
  private block(pa: number, length: number, what: string): number {
    const offset = this.at(pa, length, what);
    // The last interval that starts at or before pa must reach pa + length.
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.starts[middle]! <= pa) low = middle + 1;
      else high = middle - 1;
    }
    if (high < 0 || this.ends[high]! < pa + length) throw new Error(`${what} at 0x${pa.toString(16)}: not in the preserved memory`);
    return offset;
  }

  /** The u64 physical address at `offset` of the image, as a number. */
  private address(offset: number, what: string): number {
    const high = this.view.getUint32(offset + 4, true);
    if (high >= 1 << 21) throw new Error(`${what}: 0x${this.u64(offset).toString(16)} is past 2^53`);
    return high * TWO_32 + this.view.getUint32(offset, true);
  }

  private u64(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }

  /** A u64 count, no more than `max`. */
  private count(offset: number, max: number, what: string): number {
    const high = this.view.getUint32(offset + 4, true);
    const count = this.view.getUint32(offset, true);
    if (high !== 0 || count > max) throw new Error(`${what}: count ${this.u64(offset)} is more than the ${max} that fit`);
    return count;
  }

  // -------------------------------------------------------------------------------------------
  // The preserved-memory map: KHO's radix tree

  /** Its ranges in key order, each run of set bits of one order one range; the merged intervals kept for `block`. */
  private radixTree(rootPa: number): Value[] {
    const ranges: { start: number; length: number; order: number }[] = [];
    let run: { start: number; length: number; order: number } | undefined;
    const visitLeaf = (pa: number, baseKey: number) => {
      const offset = this.at(pa, PAGE, 'kho_radix_leaf');
      // A leaf past key 0 holds keys of one order: their highest bit (the marker) is the base's.
      const leafOrder = baseKey === 0 ? -1 : ORDER0 - Math.floor(Math.log2(baseKey));
      for (let w = 0; w < PAGE / 4; w++) {
        let bits = this.view.getUint32(offset + w * 4, true);
        if (bits === 0) continue;
        if (bits === 0xffffffff && run && leafOrder === run.order && run.start + run.length === baseKey + w * 32) {
          run.length += 32;
          continue;
        }
        for (let b = 0; bits !== 0; b++, bits >>>= 1) {
          if ((bits & 1) === 0) continue;
          const key = baseKey + w * 32 + b;
          if (key === 0) throw new Error('kho_radix_leaf: bit 0 of the first leaf is set: its key has no order marker');
          const order = leafOrder >= 0 ? leafOrder : ORDER0 - Math.floor(Math.log2(key));
          if (run && run.order === order && run.start + run.length === key) run.length++;
          else ranges.push((run = { start: key, length: 1, order }));
        }
      }
    };
    const visitNode = (pa: number, level: number, prefix: number) => {
      const offset = this.at(pa, PAGE, 'kho_radix_node');
      for (let i = 0; i < PAGE / 8; i++) {
        if (this.view.getUint32(offset + i * 8, true) === 0 && this.view.getUint32(offset + i * 8 + 4, true) === 0) continue;
        const key = prefix * 2 ** TABLE_BITS + i;
        // The smallest key beneath must still fit in order 0's bits and its marker.
        if (key * 2 ** ((level - 1) * TABLE_BITS + LEAF_BITS) >= 2 ** (ORDER0 + 1)) throw new Error(`kho_radix_node: table[${i}] leads to keys that mark no order`);
        const child = this.address(offset + i * 8, 'kho_radix_node.table');
        if (level === 1) visitLeaf(child, key * 2 ** LEAF_BITS);
        else visitNode(child, level - 1, key);
      }
    };
    if (rootPa !== 0) visitNode(rootPa, DEPTH - 1, 0);
    const intervals: [number, number][] = [];
    const state = ranges.map(({ start, length, order }) => {
      const groupBytes = 2 ** (PAGE_SHIFT + order);
      const startPa = (start - 2 ** (ORDER0 - order)) * groupBytes;
      if (startPa + length * groupBytes > Number.MAX_SAFE_INTEGER) throw new Error('kho_radix_leaf: a preserved range past 2^53');
      intervals.push([startPa, startPa + length * groupBytes]);
      return { start: BigInt(startPa), size: BigInt(length * groupBytes), order };
    });
    intervals.sort((a, b) => a[0] - b[0]);
    for (const [start, end] of intervals) {
      const last = this.ends.length - 1;
      if (last >= 0 && start <= this.ends[last]!) this.ends[last] = Math.max(this.ends[last]!, end);
      else {
        this.starts.push(start);
        this.ends.push(end);
      }
    }
    return state;
  }

  // -------------------------------------------------------------------------------------------
  // LUO: luo_ser, the chain of session blocks, each session's chain of file blocks

  private luo(pa: number, size: bigint): Value {
    if (size < BigInt(LUO_SER)) throw new Error(`LUO: size ${size} is smaller than struct luo_ser`);
    const root = this.block(pa, LUO_SER, 'luo_ser');
    const compatible = handChars(this.bytes, root, LUO_COMPAT, 'luo_ser.compatible');
    if (compatible !== 'luo-v5;block-v1') throw new Error(`luo_ser.compatible: "${compatible}" is not luo-v5;block-v1`);
    const sessions: Value[] = [];
    this.chain(this.address(root + 24, 'luo_ser.sessions_pa'), SESSION, 'session block', (entries, count) => {
      for (let i = 0, entry = entries; i < count; i++, entry += SESSION) {
        const session = this.session(entry);
        if (session) sessions.push(session);
      }
    });
    const entry = { compatible, liveupdate_num: this.u64(root + 16), sessions_pa: sessions, flbs_pa: this.flbs(this.address(root + 32, 'luo_ser.flbs_pa')) };
    return { version: 'luo-v5+block-v1', entry };
  }

  /**
   * The blocks of a chain of kho_block_header_ser blocks from `pa`, each handed to `each` (where its
   * entries start, how many); the number of entries in all. The set of blocks seen is made only for a
   * chain of more than one block, so that the million one-block chains of file sets make none.
   */
  private chain(pa: number, entrySize: number, what: string, each: (entries: number, count: number) => void): number {
    const perBlock = Math.floor((PAGE - BLOCK_HEADER) / entrySize);
    let seen: Set<number> | undefined;
    let total = 0;
    for (let first = pa; pa !== 0; ) {
      if (pa !== first) {
        seen ??= new Set([first]);
        if (seen.has(pa)) throw new Error(`${what}: the chain comes back to 0x${pa.toString(16)}`);
        seen.add(pa);
      }
      const header = this.at(pa, BLOCK_HEADER, what);
      const count = this.count(header + 8, perBlock, what);
      this.block(pa, BLOCK_HEADER + count * entrySize, what);
      each(header + BLOCK_HEADER, count);
      total += count;
      pa = this.address(header, `${what}.next`);
    }
    return total;
  }

  private session(entry: number): Value | undefined {
    const name = handChars(this.bytes, entry, SESSION_NAME, 'luo_session_ser.name');
    const count = this.view.getBigUint64(entry + SESSION_NAME + 8, true);
    this.visitor?.session(name);
    const files: Value[] | undefined = this.keep ? [] : undefined;
    const found = this.chain(this.address(entry + SESSION_NAME, 'luo_file_set_ser.files'), FILE, 'file block', (entries, n) => {
      for (let j = 0, at = entries; j < n; j++, at += FILE) {
        const file = this.file(at);
        if (file) files!.push(file);
      }
    });
    if (BigInt(found) !== count) throw new Error(`luo_file_set_ser: count ${count}, but its chain holds ${found} files`);
    return this.keep ? { name, file_set_ser: { files, count } } : undefined;
  }

  private file(at: number): Value | undefined {
    const compatible = handChars(this.bytes, at, FILE_COMPAT, 'luo_file_ser.compatible');
    this.visitor?.file(compatible);
    const token = this.keep ? this.u64(at + 56) : 0n;
    if (compatible === 'memfd-v2') {
      const memfd = this.memfd(this.address(at + 48, 'luo_file_ser.data'));
      return this.keep ? { compatible, data: { version: 'memfd-v2', entry: memfd }, token } : undefined;
    }
    return this.keep ? { compatible, data: this.u64(at + 48), token } : undefined;
  }

  private flbs(pa: number): Value[] | null {
    if (pa === 0) return null;
    const header = this.at(pa, FLB_HEADER, 'luo_flb_header_ser');
    const pages = this.count(header, 1 << 20, 'luo_flb_header_ser.pgcnt');
    const count = this.count(header + 8, Math.floor((pages * PAGE - FLB_HEADER) / FLB), 'luo_flb_header_ser');
    this.block(pa, FLB_HEADER + count * FLB, 'luo_flb_header_ser');
    const flbs: Value[] = new Array(count);
    for (let i = 0, at = header + FLB_HEADER; i < count; i++, at += FLB) {
      flbs[i] = { name: handChars(this.bytes, at, FLB_NAME, 'luo_flb_ser.name'), data: this.u64(at + 48), count: this.u64(at + 56) };
    }
    return flbs;
  }

  // -------------------------------------------------------------------------------------------
  // memfd: memfd_luo_ser, its folios in a kho_vmalloc area

  private memfd(pa: number): Value | undefined {
    const at = this.block(pa, MEMFD_SER, 'memfd_luo_ser');
    const nrFolios = this.view.getBigUint64(at + 24, true);
    const first = this.address(at + 32, 'memfd_luo_ser.folios.first');
    const totalPages = this.view.getUint32(at + 40, true);
    const order = this.view.getUint16(at + 46, true);
    let folios: Value[] | null = null;
    if (first === 0) {
      if (nrFolios !== 0n || totalPages !== 0) throw new Error('memfd_luo_ser.folios: no chunk, but folios or pages');
    } else {
      if (order + PAGE_SHIFT > MAX_AREA_SHIFT) throw new Error(`memfd_luo_ser.folios: order ${order} is past any vmalloc area`);
      if (nrFolios * BigInt(FOLIO) > BigInt(totalPages) * BigInt(PAGE)) throw new Error(`memfd_luo_ser: ${nrFolios} folios are more than the area's ${totalPages} pages hold`);
      folios = this.folios(first, totalPages, order, Number(nrFolios));
    }
    if (!this.keep) return undefined;
    const area = { first: folios, total_pages: totalPages, flags: this.view.getUint16(at + 44, true), order };
    return { pos: this.u64(at), size: this.u64(at + 8), seals: this.view.getUint32(at + 16, true), flags: this.view.getUint32(at + 20, true), nr_folios: nrFolios, folios: area };
  }

  /** The `count` folios of the area whose chunks start at `pa`: chunks in turn, each page group's folios read where they are. */
  private folios(pa: number, totalPages: number, order: number, count: number): Value[] {
    const groupPages = 2 ** order;
    const groupBytes = PAGE * groupPages;
    const folios: Value[] = this.keep ? new Array(count) : [];
    let seen: Set<number> | undefined;
    let pages = 0;
    let k = 0;
    for (let chunk = pa, first = pa; chunk !== 0; ) {
      if (chunk !== first) {
        seen ??= new Set([first]);
        if (seen.has(chunk)) throw new Error(`kho_vmalloc_chunk: the chunk list comes back to 0x${chunk.toString(16)}`);
        seen.add(chunk);
      }
      const at = this.block(chunk, PAGE, 'kho_vmalloc_chunk');
      for (let i = 0; i < CHUNK_PAGES; i++) {
        const group = this.address(at + 8 + i * 8, 'kho_vmalloc_chunk.phys');
        if (group === 0) break;
        pages += groupPages;
        if (pages > totalPages) throw new Error(`kho_vmalloc_chunk: lists more page groups than the area's ${totalPages} pages`);
        const n = Math.min(count - k, groupBytes / FOLIO);
        if (n <= 0) continue;
        const bytes = this.block(group, n * FOLIO, 'memfd_luo_folio_ser[]');
        for (let f = 0, entry = bytes; f < n; f++, k++, entry += FOLIO) {
          const low = this.view.getUint32(entry, true);
          const high = this.view.getUint32(entry + 4, true);
          const index = this.view.getBigUint64(entry + 8, true);
          if (this.keep) folios[k] = { pfn: BigInt((high & 0xfffff) * TWO_32 + low), flags: high >>> 20, index };
          else this.visitor!.folio(index);
        }
      }
      chunk = this.address(at, 'kho_vmalloc_chunk.hdr.next');
    }
    if (pages !== totalPages) throw new Error(`kho_vmalloc: the chunks list ${pages} pages but total_pages says ${totalPages}`);
    return folios;
  }

  // -------------------------------------------------------------------------------------------
  // memblock: an FDT with a node per reserve_mem region

  private memblock(pa: number, size: bigint): Value {
    const at = this.block(pa, Number(size), 'memblock FDT');
    const root = readFdt(this.bytes.subarray(at, at + Number(size))).root;
    if (stringProperty(root, 'compatible') !== 'memblock-v1') throw new Error('memblock: the FDT is not memblock-v1');
    const children: Value = {};
    for (const node of root.children) {
      if (stringProperty(node, 'compatible') !== 'reserve-mem-v1') throw new Error(`memblock/${node.name}: not reserve-mem-v1`);
      children[node.name] = { compatible: 'reserve-mem-v1', properties: { start: u64Property(node, 'start'), size: u64Property(node, 'size') }, children: {} };
    }
    return { version: 'memblock-v1', root: { compatible: 'memblock-v1', properties: {}, children } };
  }
}

function propertyBytes(node: FdtNodeData, name: string): Uint8Array {
  const property = node.properties.find((p) => p.name === name);
  if (!property) throw new Error(`${node.name || '/'}: no property ${name}`);
  return property.value;
}

/** A u64 property that holds a physical address, as a number. */
function fdtAddress(node: FdtNodeData, name: string): number {
  const pa = u64Property(node, name);
  if (pa > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${node.name || '/'}/${name}: 0x${pa.toString(16)} is past 2^53`);
  return Number(pa);
}

function u64Property(node: FdtNodeData, name: string): bigint {
  const value = propertyBytes(node, name);
  if (value.length !== 8) throw new Error(`${node.name || '/'}/${name}: not a u64`);
  return new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true);
}

function stringProperty(node: FdtNodeData, name: string): string {
  const value = propertyBytes(node, name);
  const end = value.indexOf(0);
  if (end < 0) throw new Error(`${node.name || '/'}/${name}: no NUL`);
  return new TextDecoder('utf-8', { fatal: true }).decode(value.subarray(0, end));
}
