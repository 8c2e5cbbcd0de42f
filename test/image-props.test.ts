/**
 * Property tests: whole images round-trip through the builder and the walker for every version, and
 * hostile bytes (random blobs, every truncation, corrupted words, loops, huge sizes) end in our typed
 * errors only: FdtError or ImageError, never a crash, a hang or a runaway allocation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FdtError, readFdt } from '../generator/fdt/index.ts';
import { ImageError, PhysicalMemory, decodeImage, encodeImage, type FdtImageState, type ImageState, type StructValue } from '../generator/image/index.ts';
import { PreservedSet, type PreservedRange } from '../generator/image/preserved.ts';
import { familyAt } from './handover-fixtures.ts';
import { expectedState, luo, version, VERSION_NAMES } from './image-fixtures.ts';
import { expectEqual } from './support/equal.ts';

const RUNS = 40;
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const utf8Length = (text: string) => new TextEncoder().encode(text).length;
/** What a char[length] holds: UTF-8 of at most length - 1 bytes, no NUL. */
const chars = (length: number) =>
  fc.string({ unit: 'grapheme', maxLength: 16 }).filter((s) => !s.includes('\0') && utf8Length(s) <= length - 1);

const file = fc.record({ compatible: chars(48), data: u64, token: u64 });
const flb = fc.record({ name: chars(48), data: u64, count: u64 });

/** Mostly a few, sometimes up to the most a version allows (past one luo-v4 file block). */
function someOf<T>(item: fc.Arbitrary<T>, most: number, many: number): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.array(item, { maxLength: 8 }) },
    { weight: 1, arbitrary: fc.integer({ min: many, max: most }).chain((n) => fc.array(item, { minLength: n, maxLength: n })) },
  );
}

function filesOf(maxFiles: number): fc.Arbitrary<StructValue> {
  return someOf(file, maxFiles, Math.min(120, maxFiles)).map((files) => ({ files: files.length ? files : null, count: BigInt(files.length) }));
}

/** A state of this version: sizes up to what a block holds where the version has no chains. */
function stateOf(name: string): fc.Arbitrary<ImageState> {
  const maxFiles = name === 'luo-v4' ? 300 : 128;
  const session = (files: fc.Arbitrary<StructValue>): fc.Arbitrary<StructValue> =>
    name === 'luo-v1-session-v1' ? fc.record({ name: chars(64) }) : fc.record({ name: chars(64), file_set_ser: files });
  const chained = name === 'luo-v3' || name === 'luo-v4';
  // Many files in a few sessions, or many sessions (past one block where they chain) with few files.
  const sessions = fc.oneof(
    fc.array(session(filesOf(maxFiles)), { maxLength: 8 }),
    fc.integer({ min: chained ? 800 : 40, max: chained ? 900 : 60 }).chain((n) => fc.array(session(filesOf(1)), { minLength: n, maxLength: n })),
  );
  const flbs = someOf(flb, 70, 60);
  return fc.record({ sessions, flbs, num: u64, sessionsNull: fc.boolean(), flbsNull: fc.boolean() }).map(({ sessions, flbs, num, sessionsNull, flbsNull }): ImageState => {
    const template = expectedState(name, { sessions: 0, filesMod: 0, flbs: 0 });
    if (name.startsWith('luo-v1')) {
      const children = Object.fromEntries(
        Object.entries(template.root.children).map(([child, nodeState]) => [
          child,
          { ...nodeState, properties: { [Object.keys(nodeState.properties)[0]!]: child === 'luo-flb' ? flbs : sessions } },
        ]),
      );
      return { version: name, root: { ...template.root, properties: { 'liveupdate-number': num }, children } };
    }
    const luoSer = { liveupdate_num: num, sessions_pa: sessionsNull ? null : sessions, flbs_pa: flbsNull ? null : flbs };
    return { version: name, root: { ...template.root, properties: { 'luo-abi-header': luoSer } } };
  });
}

const layout = fc.record({
  littleEndian: fc.boolean(),
  packing: fc.constantFrom('pages' as const, 'packed' as const),
  page: fc.bigInt({ min: 0n, max: 1n << 40n }),
});

function decodeWith(fdt: Uint8Array, regions: { base: bigint; bytes: Uint8Array }[], littleEndian = true) {
  return decodeImage(luo.versions, fdt, new PhysicalMemory(regions), { littleEndian });
}

/** Run and require success or one of our typed errors. */
function onlyTypedErrors(run: () => unknown): 'ok' | 'FdtError' | 'ImageError' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof FdtError) return 'FdtError';
    if (error instanceof ImageError) return 'ImageError';
    throw error;
  }
}

describe.each(VERSION_NAMES)('%s images round-trip', (name) => {
  it('decode(encode(state)) is the state, in either byte order and packing, at any base', () => {
    fc.assert(
      fc.property(stateOf(name), layout, (state, { littleEndian, packing, page }) => {
        const base = page * 4096n;
        const image = encodeImage(version(name), state, { base, littleEndian, packing });
        expectEqual(decodeWith(image.fdt!, [{ base, bytes: image.memory }], littleEndian).state, state);
      }),
      { numRuns: RUNS },
    );
  });
});

/** A small valid luo-v3 and luo-v4 image to corrupt. */
const samples = ['luo-v1', 'luo-v3', 'luo-v4'].map((name) => {
  const base = 0x10_0000n;
  const image = encodeImage(version(name), expectedState(name, { sessions: 5, filesMod: 4, flbs: 2 }), { base, packing: 'packed' });
  return { name, fdt: image.fdt!, memory: image.memory, base };
});

describe('hostile bytes end in typed errors', () => {
  it('random bytes as the FDT', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(['FdtError', 'ImageError']).toContain(onlyTypedErrors(() => decodeWith(bytes, [])));
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes after a valid FDT header', () => {
    const header = samples[1]!.fdt.subarray(0, 40);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (rest) => {
        const blob = new Uint8Array(40 + rest.length);
        blob.set(header);
        blob.set(rest, 40);
        expect(['FdtError', 'ImageError']).toContain(onlyTypedErrors(() => decodeWith(blob, [])));
      }),
      { numRuns: 500 },
    );
  });

  it.each(samples)('$name: the FDT truncated at every offset', ({ fdt, base, memory }) => {
    for (let length = 0; length < fdt.length; length++) {
      expect(onlyTypedErrors(() => decodeWith(fdt.subarray(0, length), [{ base, bytes: memory }]))).toBe('FdtError');
    }
  });

  it.each(samples)('$name: the memory truncated at every 8 bytes', ({ fdt, base, memory }) => {
    for (let length = 0; length < memory.length; length += 8) {
      expect(onlyTypedErrors(() => decodeWith(fdt, [{ base, bytes: memory.subarray(0, length) }]))).toBe('ImageError');
    }
  });

  it.each(samples)('$name: random bytes of the FDT changed', ({ fdt, base, memory }) => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(fdt.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const blob = fdt.slice();
        for (const [at, value] of edits) blob[at] = value;
        expect(['ok', 'FdtError', 'ImageError']).toContain(onlyTypedErrors(() => decodeWith(blob, [{ base, bytes: memory }])));
      }),
      { numRuns: 400 },
    );
  });

  /** Values that make counts and pointers interesting: 0, small, block-sized, inside memory, huge. */
  const word = (base: bigint, size: number) =>
    fc.oneof(
      fc.constantFrom(0n, 1n, 127n, 128n, 819n, 820n, (1n << 64n) - 1n, 1n << 63n, 1n << 32n),
      fc.bigInt({ min: base, max: base + BigInt(size) }),
      u64,
    );

  it.each(samples)('$name: counts and pointers set to hostile values', ({ fdt, base, memory }) => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(memory.length / 8 - 1), word(base, memory.length)), { minLength: 1, maxLength: 6 }), (edits) => {
        const bytes = memory.slice();
        const view = new DataView(bytes.buffer);
        for (const [slot, value] of edits) view.setBigUint64(slot * 8, value, true);
        expect(['ok', 'ImageError']).toContain(onlyTypedErrors(() => decodeWith(fdt, [{ base, bytes }])));
      }),
      { numRuns: 400 },
    );
  });

  it('every chain link pointed back at any earlier block is a loop or an overlap', () => {
    const sessions = Array.from({ length: 819 * 4 }, (_, i) => ({ name: `s${i}`, file_set_ser: { files: null, count: 0n } }));
    const state = { ...expectedState('luo-v3', { sessions: 0, filesMod: 0, flbs: 0 }) };
    (state.root.properties['luo-abi-header'] as { sessions_pa: unknown }).sessions_pa = sessions;
    const base = 0x10_0000n;
    const image = encodeImage(version('luo-v3'), state, { base });
    const blocks = decodeWith(image.fdt!, [{ base, bytes: image.memory }]).blocks.filter((b) => b.what.startsWith('luo_block_header_ser'));
    for (const [k, from] of blocks.entries()) {
      for (const to of blocks.slice(0, k + 1)) {
        const bytes = image.memory.slice();
        new DataView(bytes.buffer).setBigUint64(Number(from.pa - base), to.pa, true);
        expect(() => decodeWith(image.fdt!, [{ base, bytes }])).toThrow(/the chain loops|overlaps/);
      }
    }
  });

  it('huge header sizes and offsets', () => {
    const { fdt } = samples[1]!;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.constantFrom(0xffffffff, 0x80000000, 0x7ffffffc, fdt.length + 1, fdt.length - 1), (field, value) => {
        const blob = fdt.slice();
        new DataView(blob.buffer).setUint32(field * 4, value, false);
        expect(['ok', 'FdtError', 'ImageError']).toContain(onlyTypedErrors(() => readFdt(blob) && decodeWith(blob, [])));
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The whole handover: KHO's root, its clients, handlers' state, page-list areas, the radix tree.

const family4k = familyAt(12);
const khoVersion = (name: string) => family4k.find((v) => v.name === name)!;
const folioOf = fc.record({ pfn: fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }), flags: fc.integer({ min: 0, max: 4095 }), index: u64 });

/** A memfd's state: its folios an area of one or more pages (256 entries a page), or none. */
const memfdState = fc
  .record({
    pos: u64,
    size: u64,
    seals: fc.integer({ min: 0, max: 0x3f }),
    folios: fc.oneof({ weight: 3, arbitrary: fc.array(folioOf, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 250, max: 600 }).chain((n) => fc.array(folioOf, { minLength: n, maxLength: n })) }),
    empty: fc.boolean(),
    order: fc.constantFrom(0, 0, 1, 2),
    vmFlags: fc.integer({ min: 0, max: 0xffff }),
  })
  .map(({ pos, size, seals, folios, empty, order, vmFlags }) => ({
    version: 'memfd-v2',
    entry: { pos, size, seals, flags: 0, folios: empty && folios.length === 0 ? { first: null, flags: 0, order: 0 } : { first: folios, flags: vmFlags, order } },
  }));

const handlerFile = fc.oneof(
  fc.record({ compatible: fc.constant('memfd-v2'), data: memfdState, token: u64 }),
  fc.record({ compatible: chars(48).filter((s) => !s.startsWith('memfd-')), data: u64, token: u64 }),
);
const handoverSession = fc.record({ name: chars(64), file_set_ser: fc.record({ files: fc.oneof(fc.constant(null), fc.array(handlerFile, { minLength: 1, maxLength: 4 })) }) });
const range = fc
  .record({ page: fc.bigInt({ min: 1n, max: 1n << 30n }), pages: fc.integer({ min: 1, max: 64 }), order: fc.integer({ min: 0, max: 9 }) })
  .map(({ page, pages, order }) => ({ start: (page << 12n) << BigInt(order), size: BigInt(pages) << BigInt(12 + order), order }));

/** A whole handover at 4 KiB pages: LUO in an FDT or as a raw entry, memblock, a client nobody knows, ranges of its own. */
const handoverState = fc
  .record({
    kho: fc.constantFrom('kho-v1', 'kho-v2', 'kho-v2+blob-size', 'kho-v4'),
    raw: fc.boolean(),
    sessions: fc.array(handoverSession, { maxLength: 3 }),
    regions: fc.array(fc.record({ start: u64, size: u64 }), { maxLength: 3 }),
    ranges: fc.array(range, { maxLength: 4 }),
    unknown: fc.record({ pa: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), size: u64 }),
    num: u64,
  })
  .map(({ kho, raw, sessions, regions, ranges, unknown, num }): FdtImageState => {
    const luoSer = { liveupdate_num: num, sessions_pa: sessions.length ? sessions : null, flbs_pa: null };
    const luo: ImageState = raw ? { version: 'luo-v5+block-v1', entry: luoSer } : { version: 'luo-v4', root: { compatible: 'luo-v4', properties: { 'luo-abi-header': luoSer }, children: {} } };
    const memblock: ImageState = {
      version: 'memblock-v1',
      root: { compatible: 'memblock-v1', properties: {}, children: Object.fromEntries(regions.map((r, i) => [`r${i}`, { compatible: 'reserve-mem-v1', properties: r, children: {} }])) },
    };
    const sized = kho === 'kho-v2+blob-size' || kho === 'kho-v4';
    // kho-v1 names a client's state "fdt"; the sub-tree was an FDT in its day, but the walk takes what the entry's version keeps.
    const prop = kho === 'kho-v1' ? 'fdt' : 'preserved-data';
    return {
      version: kho,
      root: {
        compatible: kho === 'kho-v2+blob-size' ? 'kho-v2' : kho,
        properties: { 'preserved-memory-map': ranges as never },
        children: {
          LUO: { properties: { [prop]: luo as never }, children: {} },
          memblock: { properties: { [prop]: memblock as never }, children: {} },
          'some-client': { properties: { [prop]: unknown.pa, ...(sized ? { 'blob-size': unknown.size } : {}) }, children: {} },
        },
      },
    };
  });

/** A state with its derived members gone (counts, sizes, page totals) and the map's ranges apart. */
function withoutDerived(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDerived);
  if (value === null || typeof value !== 'object') return value;
  const skip = new Set(['count', 'nr_folios', 'total_pages', 'blob-size', 'preserved-memory-map', 'compatible']);
  return Object.fromEntries(Object.entries(value).filter(([k]) => !skip.has(k)).map(([k, v]) => [k, withoutDerived(v)]));
}

function decodeHandover(fdt: Uint8Array, regions: { base: bigint; bytes: Uint8Array }[], littleEndian = true) {
  return decodeImage(family4k, { kho: fdt }, new PhysicalMemory(regions), { littleEndian });
}

describe('whole handovers round-trip', () => {
  it('decode(encode(state)) is the state, every block it wrote preserved, every range it was given still there; encoding that again gives the same bytes', () => {
    fc.assert(
      fc.property(handoverState, fc.boolean(), fc.bigInt({ min: 1n, max: 1n << 28n }), (state, littleEndian, page) => {
        const base = page * 4096n;
        const version = khoVersion(state.version);
        const image = encodeImage(version, state, { base, littleEndian, family: family4k });
        const decoded = decodeHandover(image.fdt!, [{ base, bytes: image.memory }], littleEndian);
        expectEqual(withoutDerived(decoded.state), withoutDerived(state));
        expect(decoded.preserved).toEqual({ warnings: [], total: 0 });
        const preserved = new PreservedSet((decoded.state as FdtImageState).root.properties['preserved-memory-map'] as PreservedRange[]);
        for (const r of state.root.properties['preserved-memory-map'] as PreservedRange[]) expect(preserved.covers(r.start, Number(r.size))).toBe(true);
        const again = encodeImage(version, decoded.state, { base, littleEndian, family: family4k });
        expect(Buffer.from(again.memory).equals(Buffer.from(image.memory))).toBe(true);
        expect(Buffer.from(again.fdt!).equals(Buffer.from(image.fdt!))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

/** Small whole handovers to corrupt, one with each kind of map: memfds with folios, memblock, clients of both kinds. */
const handoverSamples = (['kho-v4', 'kho-v1'] as const).map((kho) => {
  const base = 0x10_0000n;
  const withFolios = handoverState.filter((s) => s.version === kho && JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes('"first":['));
  const state = fc.sample(withFolios, { numRuns: 1, seed: 7 })[0]!;
  const image = encodeImage(khoVersion(state.version), state, { base, family: family4k });
  return { name: kho, fdt: image.fdt!, memory: image.memory, base };
});

describe.each(handoverSamples)('hostile bytes in a whole $name handover end in typed errors', (handoverSample) => {
  it('the memory truncated at every page and at random places', () => {
    const { fdt, memory, base } = handoverSample;
    for (let length = 0; length < memory.length; length += 4096) {
      expect(['ok', 'ImageError']).toContain(onlyTypedErrors(() => decodeHandover(fdt, [{ base, bytes: memory.subarray(0, length) }])));
    }
    fc.assert(
      fc.property(fc.nat(memory.length), (length) => {
        expect(['ok', 'ImageError']).toContain(onlyTypedErrors(() => decodeHandover(fdt, [{ base, bytes: memory.subarray(0, length) }])));
      }),
      { numRuns: 200 },
    );
  });

  it('counts, addresses, orders and page totals set to hostile values anywhere', () => {
    const { fdt, memory, base } = handoverSample;
    const word = fc.oneof(
      fc.constantFrom(0n, 1n, 2n, 255n, 256n, 511n, 512n, 0xffffn, 0xffff_ffffn, (1n << 64n) - 1n, 1n << 63n, 1n << 52n),
      fc.bigInt({ min: base, max: base + BigInt(memory.length) }),
      u64,
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(memory.length / 8 - 1), word, fc.constantFrom(8, 4, 2)), { minLength: 1, maxLength: 8 }), (edits) => {
        const bytes = memory.slice();
        const view = new DataView(bytes.buffer);
        for (const [slot, value, width] of edits) {
          if (width === 8) view.setBigUint64(slot * 8, value, true);
          else if (width === 4) view.setUint32(slot * 8 + 4 * Number(value % 2n), Number(value & 0xffff_ffffn), true);
          else view.setUint16(slot * 8 + 6, Number(value & 0xffffn), true);
        }
        expect(['ok', 'ImageError']).toContain(onlyTypedErrors(() => decodeHandover(fdt, [{ base, bytes }])));
      }),
      { numRuns: 600 },
    );
  });

  it('random bytes in every page of the map', () => {
    const { fdt, memory, base } = handoverSample;
    const pages = decodeHandover(fdt, [{ base, bytes: memory }]).blocks.filter((b) => b.what.startsWith('radix') || b.what.startsWith('kho_mem_phys_bits') || b.what.startsWith('khoser_'));
    expect(pages.length).toBeGreaterThan(2);
    fc.assert(
      fc.property(fc.nat(pages.length - 1), fc.uint8Array({ minLength: 4096, maxLength: 4096 }), fc.boolean(), (which, noise, sparse) => {
        const bytes = memory.slice();
        const at = Number(pages[which]!.pa - base) & ~4095;
        // Sparse: a few words, so that the walk goes deeper than a page of noise lets it.
        if (sparse) for (let i = 0; i < 4096; i += 512) bytes.set(noise.subarray(i, i + 8), at + i);
        else bytes.set(noise, at);
        expect(['ok', 'ImageError']).toContain(onlyTypedErrors(() => decodeHandover(fdt, [{ base, bytes }])));
      }),
      { numRuns: 300 },
    );
  });

  it('every vmalloc chunk link and radix table entry pointed back at a page read before is a loop or an overlap', () => {
    const { fdt, memory, base } = handoverSample;
    const blocks = decodeHandover(fdt, [{ base, bytes: memory }]).blocks;
    // A leaf's words are bits, not addresses: the links are the chunks' next and the nodes' tables.
    const links = blocks.filter((b) => b.what === 'kho_vmalloc_chunk' || b.what === 'radix root' || b.what === 'radix node' || b.what.startsWith('khoser_mem_chunk_hdr'));
    for (const [k, from] of links.entries()) {
      for (const to of blocks.slice(0, blocks.indexOf(from) + 1).filter((b) => b.size === 4096)) {
        const bytes = memory.slice();
        // A chunk's next is its first word; a radix page's first entry is too.
        new DataView(bytes.buffer).setBigUint64(Number(from.pa - base), to.pa, true);
        const outcome = onlyTypedErrors(() => decodeHandover(fdt, [{ base, bytes }]));
        expect(outcome, `${k}: ${from.what} -> ${to.what}`).toBe('ImageError');
      }
    }
  });

  it('random bytes as the client FDTs', () => {
    const { fdt, memory, base } = handoverSample;
    const blobs = decodeHandover(fdt, [{ base, bytes: memory }]).blocks.filter((b) => b.what === 'FDT');
    expect(blobs.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.nat(blobs.length - 1), fc.array(fc.tuple(fc.nat(511), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (which, edits) => {
        const bytes = memory.slice();
        const at = Number(blobs[which]!.pa - base);
        for (const [offset, value] of edits) if (offset < blobs[which]!.size) bytes[at + offset] = value;
        expect(['ok', 'ImageError']).toContain(onlyTypedErrors(() => decodeHandover(fdt, [{ base, bytes }])));
      }),
      { numRuns: 300 },
    );
  });
});
