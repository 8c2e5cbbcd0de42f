/**
 * The whole-handover workload the handover bench decodes, built with our encoder (not timed): KHO's
 * root FDT (kho-v4, its preserved-memory map a radix tree), LUO's state as a raw entry
 * (luo-v5+block-v1), memblock's FDT with a few reserve_mem regions, and in LUO's sessions memfd files
 * whose folio arrays are kho_vmalloc areas, beside files of a handler the schema does not know.
 *
 * Every session has the same shape: two files, a memfd and an opaque file. One memfd in FOLIO_EVERY
 * has SMALL_FOLIOS folios (one page group listed by one chunk); the others are empty (no chunk), as a
 * memfd with nothing in it is handed over. A chunk is a whole page, so a chunk per session would make
 * a 1M-session image of 4 GB. `bigMemfds` sessions' memfds instead hold BIG_FOLIOS folios: more than
 * two chunks list (a chunk lists 511 pages of 256 folios at 4 KiB pages).
 *
 * The folios' own pages are marked preserved in the map (one range past the image), as the kernel
 * preserves them; every block the encoder writes is preserved too (the map is built from them).
 */
import { allVersions, buildModel, findVersion } from '../generator/model/index.ts';
import { PhysicalMemory, encodeImage, type FdtImageState, type StructValue } from '../generator/image/index.ts';
import khoFamily from '../schema/index.ts';

export const BASE = 1n << 32n;
export const PAGE_SIZE = 4096;
export const KHO_VERSION = 'kho-v4';
export const LUO_VERSION = 'luo-v5+block-v1';
export const LUO_COMPATIBLE = 'luo-v5;block-v1';
export const MEMFD = 'memfd-v2';
export const OPAQUE_HANDLER = 'vfio-v1';
export const FILES = 2;
export const FOLIO_EVERY = 16;
export const SMALL_FOLIOS = 64;
export const BIG_FOLIOS = 300_000;
/** Where the folios' own pages are: pfns from here, one after another over every memfd. */
export const FOLIO_BASE_PFN = 1n << 28n;
export const LIVEUPDATE_NUM = 7n;
export const REGIONS = [
  { name: 'ftrace', start: 0x2_0000_0000n, size: 16n << 20n },
  { name: 'pstore', start: 0x2_4000_0000n, size: 1n << 20n },
];
const MEMFD_FOLIO_FLAGS = 3;
const KHO_VMALLOC_ALLOC = 1;

export const model = buildModel(khoFamily);
export const family = allVersions(model);

export interface HandoverShape {
  readonly sessions: number;
  /** Sessions (the first ones) whose memfd holds BIG_FOLIOS folios. */
  readonly bigMemfds: number;
}

export function foliosOf(shape: HandoverShape, session: number): number {
  if (session < shape.bigMemfds) return BIG_FOLIOS;
  return session % FOLIO_EVERY === 0 ? SMALL_FOLIOS : 0;
}

/** Records a decode of the shape reads: sessions, files, memfd_luo_ser and folios (headers and chunks aside). */
export function recordsOf(shape: HandoverShape): number {
  let folios = 0;
  for (let i = 0; i < shape.sessions; i++) folios += foliosOf(shape, i);
  return shape.sessions * (1 + FILES + 1) + folios;
}

/** Folios of every memfd, in session order: the pfn of the first of session i's. */
function firstPfns(shape: HandoverShape): bigint[] {
  const pfns: bigint[] = new Array(shape.sessions);
  let next = FOLIO_BASE_PFN;
  for (let i = 0; i < shape.sessions; i++) {
    pfns[i] = next;
    next += BigInt(foliosOf(shape, i));
  }
  return pfns;
}

export function handoverState(shape: HandoverShape): FdtImageState {
  const pfns = firstPfns(shape);
  let totalFolios = 0n;
  const sessions: StructValue[] = new Array(shape.sessions);
  for (let i = 0; i < shape.sessions; i++) {
    const count = foliosOf(shape, i);
    totalFolios += BigInt(count);
    const folios: StructValue[] = new Array(count);
    for (let k = 0; k < count; k++) folios[k] = { pfn: pfns[i]! + BigInt(k), flags: MEMFD_FOLIO_FLAGS, index: BigInt(k) };
    const area =
      count === 0
        ? { first: null, total_pages: 0, flags: 0, order: 0 }
        : { first: folios, total_pages: Math.ceil((count * 16) / PAGE_SIZE), flags: KHO_VMALLOC_ALLOC, order: 0 };
    const memfd = { version: MEMFD, entry: { pos: BigInt(i), size: BigInt(count * PAGE_SIZE), seals: 0, flags: 0, nr_folios: BigInt(count), folios: area } };
    const files = [
      { compatible: MEMFD, data: memfd, token: BigInt(i * FILES) },
      { compatible: OPAQUE_HANDLER, data: BigInt(i), token: BigInt(i * FILES + 1) },
    ];
    sessions[i] = { name: `session-${i}`, file_set_ser: { files, count: BigInt(FILES) } };
  }
  const luo = { version: LUO_VERSION, entry: { compatible: LUO_COMPATIBLE, liveupdate_num: LIVEUPDATE_NUM, sessions_pa: sessions, flbs_pa: [{ name: 'flb-0', data: 1n, count: 1n }] } };
  const memblock = {
    version: 'memblock-v1',
    root: {
      compatible: 'memblock-v1',
      properties: {},
      children: Object.fromEntries(REGIONS.map((r) => [r.name, { compatible: 'reserve-mem-v1', properties: { start: r.start, size: r.size }, children: {} }])),
    },
  };
  const folioRanges = totalFolios === 0n ? [] : [{ start: FOLIO_BASE_PFN * BigInt(PAGE_SIZE), size: totalFolios * BigInt(PAGE_SIZE), order: 0 }];
  return {
    version: KHO_VERSION,
    root: {
      compatible: KHO_VERSION,
      properties: { 'preserved-memory-map': folioRanges },
      children: {
        LUO: { properties: { 'preserved-data': luo as never }, children: {} },
        memblock: { properties: { 'preserved-data': memblock as never }, children: {} },
      },
    },
  };
}

export interface HandoverImage {
  readonly shape: HandoverShape;
  /** KHO's root FDT. */
  readonly kho: Uint8Array;
  /** What our decoders read. */
  readonly memory: PhysicalMemory;
  /** The same bytes, the first at physical address BASE. */
  readonly raw: Uint8Array;
}

/** The image of handoverState(shape): blocks on page boundaries as the kernel lays them out, or packed back to back. */
export function handoverImage(shape: HandoverShape, packing: 'pages' | 'packed'): HandoverImage {
  const built = encodeImage(findVersion(model, KHO_VERSION), handoverState(shape), { base: BASE, packing, family });
  return { shape, kho: built.fdt!, memory: new PhysicalMemory([{ base: BASE, bytes: built.memory }]), raw: built.memory };
}
