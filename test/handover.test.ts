/**
 * The whole-handover paths of the walker on bytes written here by hand, as upstream lays them out
 * (docs/upstream-notes.md §3, §4): kho-v1's chunks of bitmaps, kho_vmalloc areas, clients and
 * handlers, and the errors each bad image gives, with the path that led to it.
 */
import { describe, expect, it } from 'vitest';
import { writeFdt } from '../generator/fdt/index.ts';
import { ImageError, PhysicalMemory, decodeImage, encodeImage, type FdtImageState } from '../generator/image/index.ts';
import { familyAt } from './handover-fixtures.ts';

const PAGE = 4096;
const BASE = 0x10_0000n;
const family = familyAt(12);
const version = (name: string) => family.find((v) => v.name === name)!;

/** Memory of `pages` pages at BASE, written word by word. */
class Pages {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(pages: number) {
    this.bytes = new Uint8Array(pages * PAGE);
    this.view = new DataView(this.bytes.buffer);
  }
  pa(page: number, offset = 0): bigint {
    return BASE + BigInt(page * PAGE + offset);
  }
  u64(page: number, offset: number, value: bigint): void {
    this.view.setBigUint64(page * PAGE + offset, value, true);
  }
  u32(page: number, offset: number, value: number): void {
    this.view.setUint32(page * PAGE + offset, value, true);
  }
  u16(page: number, offset: number, value: number): void {
    this.view.setUint16(page * PAGE + offset, value, true);
  }
  text(page: number, offset: number, value: string): void {
    this.bytes.set(new TextEncoder().encode(value), page * PAGE + offset);
  }
  memory(): PhysicalMemory {
    return new PhysicalMemory([{ base: BASE, bytes: this.bytes }]);
  }
}

const le64 = (value: bigint) => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return bytes;
};
const str = (value: string) => new TextEncoder().encode(`${value}\0`);

/** KHO's root FDT: its string, its map's address, one node per client (name, address[, size]). */
function khoRoot(compatible: string, map: bigint, clients: { name: string; prop: string; pa: bigint; size?: bigint }[]): Uint8Array {
  return writeFdt(
    {
      reservations: [],
      bootCpuid: 0,
      root: {
        name: '',
        properties: [
          { name: 'compatible', value: str(compatible) },
          { name: 'preserved-memory-map', value: le64(map) },
        ],
        children: clients.map((c) => ({
          name: c.name,
          properties: [{ name: c.prop, value: le64(c.pa) }, ...(c.size === undefined ? [] : [{ name: 'blob-size', value: le64(c.size) }])],
          children: [],
        })),
      },
    },
    { maxSize: PAGE, maxSizeName: 'PAGE_SIZE' },
  );
}

function imageError(run: () => unknown): ImageError {
  try {
    run();
  } catch (error) {
    if (error instanceof ImageError) return error;
    throw error;
  }
  throw new Error('no ImageError');
}

describe("kho-v1's preserved-memory map: chunks of bitmaps", () => {
  // Chunk (page 0): order 0, two entries; its next (page 3): order 3, one entry. Bitmaps on pages 1, 2, 4.
  const memory = new Pages(5);
  memory.u64(0, 0, memory.pa(3));
  memory.u32(0, 8, 0);
  memory.u32(0, 12, 2);
  memory.u64(0, 16, 0n); // bits from physical address 0
  memory.u64(0, 24, memory.pa(1));
  memory.u64(0, 32, 32768n * 4096n); // the second bitmap of order 0: PRESERVE_BITS pages on
  memory.u64(0, 40, memory.pa(2));
  memory.u64(3, 0, 0n);
  memory.u32(3, 8, 3);
  memory.u32(3, 12, 1);
  memory.u64(3, 16, 0n);
  memory.u64(3, 24, memory.pa(4));
  // Bitmap 1: bits 256..259 (pages 0x100000..0x104000) and bit 1000; bitmap 2: bit 0; bitmap 4: bits 0-63 of order 3.
  memory.u64(1, 32, 0xfn);
  memory.u64(1, 125, 0n);
  memory.bytes[PAGE + 1000 / 8] = 1 << (1000 % 8);
  memory.u64(2, 0, 1n);
  memory.u64(4, 0, (1n << 64n) - 1n);

  it('is read into ranges, order by order as the chunks list them, runs of one order merged', () => {
    const decoded = decodeImage(family, { kho: khoRoot('kho-v1', memory.pa(0), []) }, memory.memory());
    expect((decoded.state as FdtImageState).root.properties['preserved-memory-map']).toEqual([
      { start: 256n * 4096n, size: 4n * 4096n, order: 0 },
      { start: 1000n * 4096n, size: 4096n, order: 0 },
      { start: 32768n * 4096n, size: 4096n, order: 0 },
      { start: 0n, size: 64n * 8n * 4096n, order: 3 },
    ]);
    // Its own pages are the map's: none of them needs to be preserved, and nothing else was read.
    expect(decoded.preserved).toEqual({ warnings: [], total: 0 });
    expect(decoded.blocks.map((b) => b.what)).toEqual([
      'khoser_mem_chunk_hdr + khoser_mem_bitmap_ptr[]',
      'kho_mem_phys_bits',
      'kho_mem_phys_bits',
      'khoser_mem_chunk_hdr + khoser_mem_bitmap_ptr[]',
      'kho_mem_phys_bits',
    ]);
  });

  it('0 is a map of nothing', () => {
    const decoded = decodeImage(family, { kho: khoRoot('kho-v1', 0n, []) }, memory.memory());
    expect((decoded.state as FdtImageState).root.properties['preserved-memory-map']).toEqual([]);
  });

  it('our encoder writes the same bits back', () => {
    const decoded = decodeImage(family, { kho: khoRoot('kho-v1', memory.pa(0), []) }, memory.memory());
    const image = encodeImage(version('kho-v1'), decoded.state, { base: BASE, family });
    const again = decodeImage(family, { kho: image.fdt! }, new PhysicalMemory([{ base: BASE, bytes: image.memory }]));
    expect(again.state).toEqual(decoded.state);
  });

  it('a chunk that loops, a count past its page, an entry with no bitmap: errors with their places', () => {
    const looped = new Pages(5);
    looped.bytes.set(memory.bytes);
    looped.u64(3, 0, memory.pa(0));
    expect(imageError(() => decodeImage(family, { kho: khoRoot('kho-v1', looped.pa(0), []) }, looped.memory())).message).toBe(
      `/preserved-memory-map -> block 2: 0x100000 is block 0 again: the chain loops`,
    );
    const counted = new Pages(5);
    counted.bytes.set(memory.bytes);
    counted.u32(0, 12, 256);
    expect(imageError(() => decodeImage(family, { kho: khoRoot('kho-v1', counted.pa(0), []) }, counted.memory())).message).toBe(
      '/preserved-memory-map -> block 0: count 256 is more than the 255 entries of struct khoser_mem_bitmap_ptr a block of 4096 bytes holds',
    );
    const nothing = new Pages(5);
    nothing.bytes.set(memory.bytes);
    nothing.u64(0, 40, 0n);
    expect(imageError(() => decodeImage(family, { kho: khoRoot('kho-v1', nothing.pa(0), []) }, nothing.memory())).message).toBe(
      '/preserved-memory-map -> block 0 -> entry 1 -> bitmap: is 0, but must point at a page of bits',
    );
  });
});

describe('a memfd handed over in a raw LUO entry, its folios in a kho_vmalloc area', () => {
  /**
   * Page 0: luo_ser (luo-v5;block-v1); 1: the session block; 2: the file block; 3: memfd_luo_ser;
   * 4: the chunk; 5, 6: the area's pages (300 folios: 256 on the first page, 44 on the second).
   */
  function image(edit: (pages: Pages) => void = () => {}) {
    const pages = new Pages(7);
    pages.text(0, 0, 'luo-v5;block-v1');
    pages.u64(0, 16, 9n);
    pages.u64(0, 24, pages.pa(1));
    pages.u64(1, 0, 0n);
    pages.u64(1, 8, 1n);
    pages.text(1, 16, 'only');
    pages.u64(1, 16 + 64, pages.pa(2));
    pages.u64(1, 16 + 72, 2n);
    pages.u64(2, 8, 2n);
    pages.text(2, 16, 'memfd-v2');
    pages.u64(2, 16 + 48, pages.pa(3));
    pages.u64(2, 16 + 56, 7n);
    pages.text(2, 80, 'someone-else-v3');
    pages.u64(2, 80 + 48, 0x1234_5000n);
    pages.u64(2, 80 + 56, 8n);
    pages.u64(3, 0, 11n);
    pages.u64(3, 8, 300n * 4096n);
    pages.u32(3, 16, 5);
    pages.u64(3, 24, 300n);
    pages.u64(3, 32, pages.pa(4));
    pages.u32(3, 40, 2);
    pages.u16(3, 44, 1);
    pages.u64(4, 8, pages.pa(5));
    pages.u64(4, 16, pages.pa(6));
    for (let k = 0; k < 300; k++) {
      const page = 5 + Math.floor(k / 256);
      const at = (k % 256) * 16;
      // pfn:52 | flags:12 << 52
      pages.u64(page, at, BigInt(0x8000 + k) | (3n << 52n));
      pages.u64(page, at + 8, BigInt(k));
    }
    edit(pages);
    const root = khoRoot('kho-v4', 0n, [{ name: 'LUO', prop: 'preserved-data', pa: pages.pa(0), size: 40n }]);
    return { root, pages, memory: pages.memory() };
  }
  // kho-v4's map may not be 0: these images are read through the LUO entry alone.
  const decode = (edit?: (pages: Pages) => void) => decodeImage(family, { entryAt: BASE }, image(edit).memory);

  it('the handler string picks memfd-v2, whose area gives every folio; an unknown handler keeps its address', () => {
    const entry = (decode().state as { entry: Record<string, unknown> }).entry;
    const files = (entry['sessions_pa'] as { file_set_ser: { files: Record<string, unknown>[] } }[])[0]!.file_set_ser.files;
    expect(files[1]).toEqual({ compatible: 'someone-else-v3', data: 0x1234_5000n, token: 8n });
    const memfd = files[0]!['data'] as { version: string; entry: Record<string, unknown> };
    expect(memfd.version).toBe('memfd-v2');
    expect(memfd.entry).toMatchObject({ pos: 11n, size: 300n * 4096n, seals: 5, flags: 0, nr_folios: 300n });
    const folios = memfd.entry['folios'] as { first: { pfn: bigint; flags: number; index: bigint }[]; total_pages: number; flags: number; order: number };
    expect({ ...folios, first: folios.first.length }).toEqual({ first: 300, total_pages: 2, flags: 1, order: 0 });
    expect(folios.first.every((f, k) => f.pfn === BigInt(0x8000 + k) && f.flags === 3 && f.index === BigInt(k))).toBe(true);
  });

  const memfdPlace = 'KHO entry "LUO" -> luo_ser.sessions_pa -> block 0 -> entry 0 -> luo_session_ser.file_set_ser.files -> block 0 -> entry 0 -> luo_file_ser.data -> memfd-v2 -> memfd_luo_ser.folios';

  it.each([
    ['more folios than the pages hold', (p: Pages) => p.u64(3, 24, 513n), `${memfdPlace}: nr_folios says 513 entries of struct memfd_luo_folio_ser (16 bytes each), more than the area's 2 pages hold`],
    ['a page total the chunks do not list', (p: Pages) => p.u32(3, 40, 3), `${memfdPlace}: the chunks list 2 pages (2 groups of 1) but total_pages says 3`],
    ['a chunk list that loops', (p: Pages) => p.u64(4, 0, p.pa(4)), `${memfdPlace} -> chunk 1: 0x104000 is chunk 0 again: the chunk list loops`],
    ['more pages listed than the total', (p: Pages) => p.u64(4, 24, p.pa(6)), `${memfdPlace} -> chunk 0: lists more page groups than the area's 2 pages`],
    ['no chunk but folios', (p: Pages) => p.u64(3, 32, 0n), `${memfdPlace}: no chunk, so the area is empty, but nr_folios says 300 entries`],
    ['a huge order', (p: Pages) => p.u16(3, 46, 40), `${memfdPlace} -> order: order 40 makes page groups of 2^52 bytes, more than any vmalloc area`],
    ['two pages of the area that are one', (p: Pages) => p.u64(4, 16, p.pa(5)), /memfd_luo_ser\.folios -> page group 1: memfd_luo_folio_ser\[44\] at 0x105000\.\.0x1052c0 overlaps memfd_luo_folio_ser\[256\] at 0x105000\.\.0x106000 read by .* -> memfd_luo_ser\.folios -> page group 0$/],
  ])('%s is an error at the area', (_what, edit, message) => {
    const error = imageError(() => decode(edit));
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  });

  /** KHO's root over the same memory, its map an empty radix tree (a zeroed root page) on a page of its own. */
  function fromRoot(clients: { name: string; pa: bigint; size?: bigint }[], edit?: (pages: Pages) => void, dumped = 7 * PAGE) {
    const { pages } = image(edit);
    const map = BASE + 7n * BigInt(PAGE);
    // `dumped`: the bytes of the 7 pages the dump holds, as of a dump cut short.
    const regions = [{ base: BASE, bytes: pages.bytes.subarray(0, dumped) }, { base: map, bytes: new Uint8Array(PAGE) }];
    const root = khoRoot('kho-v4', map, clients.map((c) => ({ ...c, prop: 'preserved-data' })));
    return decodeImage(family, { kho: root }, new PhysicalMemory(regions));
  }

  it('KHO\'s root leads to the same state through the client node named LUO', () => {
    const decoded = fromRoot([{ name: 'LUO', pa: BASE, size: 40n }]);
    const luo = (decoded.state as FdtImageState).root.children['LUO']!.properties['preserved-data'];
    expect(luo).toEqual({ version: 'luo-v5+block-v1', entry: (decode().state as { entry: unknown }).entry });
  });

  /** A fault in the folio area of the memfd of session 0's file 0, reached from KHO's root through the LUO client: its whole path. */
  const fromRootPlace =
    '/LUO/preserved-data -> luo-v5+block-v1 -> luo_ser.sessions_pa -> block 0 -> entry 0 -> luo_session_ser.file_set_ser.files -> block 0 -> entry 0 -> luo_file_ser.data -> memfd-v2 -> memfd_luo_ser.folios';
  const luoClient = [{ name: 'LUO', pa: BASE, size: 40n }];

  it.each([
    ['a chunk list that loops', (p: Pages) => p.u64(4, 0, p.pa(4)), 7 * PAGE, `${fromRootPlace} -> chunk 1: 0x104000 is chunk 0 again: the chunk list loops`],
    ['a huge folio count', (p: Pages) => p.u64(3, 24, 1n << 62n), 7 * PAGE, `${fromRootPlace}: nr_folios says 4611686018427387904 entries of struct memfd_luo_folio_ser (16 bytes each), more than the area's 2 pages hold`],
    ['a dump cut short in the first page of folios', () => {}, 5 * PAGE + 2048, `${fromRootPlace} -> page group 0: 4096 bytes at 0x105000 run past the end of the region 0x100000..0x105800`],
    ['a page of folios that is the map\'s root', (p: Pages) => p.u64(4, 16, BASE + 7n * BigInt(PAGE)), 7 * PAGE, `${fromRootPlace} -> page group 1: memfd_luo_folio_ser[44] at 0x107000..0x1072c0 overlaps radix root at 0x107000..0x108000 read by /preserved-memory-map`],
  ])('from KHO\'s root, %s is an error with the whole path to the area', (_what, edit, dumped, message) => {
    expect(imageError(() => fromRoot(luoClient, edit, dumped)).message).toBe(message);
  });

  it('with nothing in the map, every block read is a warning naming its path', () => {
    const { preserved } = fromRoot([{ name: 'LUO', pa: BASE, size: 40n }]);
    expect(preserved!.total).toBe(7);
    expect(preserved!.warnings.map((w) => `${w.place} ${w.what}`).slice(0, 2)).toEqual([
      '/LUO/preserved-data -> luo-v5+block-v1 luo_ser',
      '/LUO/preserved-data -> luo-v5+block-v1 -> luo_ser.sessions_pa -> block 0 kho_block_header_ser + luo_session_ser[1]',
    ]);
    expect(preserved!.warnings.at(-1)!.place.toString()).toMatch(/-> luo_file_ser\.data -> memfd-v2 -> memfd_luo_ser\.folios -> page group 1$/);
  });

  it('a client of a name no version travels under is its address, not read', () => {
    const decoded = fromRoot([{ name: 'someone', pa: 0xdead_0000n, size: 12n }]);
    expect((decoded.state as FdtImageState).root.children['someone']).toEqual({ properties: { 'preserved-data': 0xdead_0000n, 'blob-size': 12n }, children: {} });
  });

  it('a size smaller than the struct, and a string no version has, are errors at the client', () => {
    expect(imageError(() => fromRoot([{ name: 'LUO', pa: BASE, size: 39n }])).message).toBe(
      '/LUO/preserved-data: the client\'s size 39 is smaller than struct luo_ser (40 bytes), which luo-v5+block-v1 keeps there',
    );
    let words: bigint[] = [];
    const error = imageError(() =>
      fromRoot([{ name: 'LUO', pa: BASE, size: 40n }], (p) => {
        p.text(0, 0, 'luo-v9;block-v1');
        words = [0, 1, 2].map((i) => new DataView(p.bytes.buffer).getBigUint64(8 * i, true));
      }),
    );
    expect(error.where).toBe('/LUO/preserved-data -> 0x100000');
    // Each version's field is read at its own length: luo-v5's holds 8 bytes. Read as a feature
    // header (supp, req, active), the bytes require and use bits they do not support.
    const stray = (words[1]! | words[2]!) & ~words[0]!;
    expect(error.problem).toBe(
      'the entry\'s compatible string names no known version: "luo-v9;b" where luo-v5 has "luo-v5"; "luo-v9;block-v1" where luo-v5+block-v1 has "luo-v5;block-v1"; ' +
        `nor a feature header of luo-features-named (bits 0x${stray.toString(16)} are required or active but not supported)`,
    );
  });
});
