/**
 * Property tests: whole images round-trip through the builder and the walker for every version, and
 * hostile bytes (random blobs, every truncation, corrupted words, loops, huge sizes) end in our typed
 * errors only: FdtError or ImageError, never a crash, a hang or a runaway allocation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FdtError, readFdt } from '../generator/fdt/index.ts';
import { ImageError, PhysicalMemory, decodeImage, encodeImage, type ImageState, type StructValue } from '../generator/image/index.ts';
import { expectedState, luo, version, VERSION_NAMES } from './image-fixtures.ts';

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
        expect(decodeWith(image.fdt!, [{ base, bytes: image.memory }], littleEndian).state).toEqual(state);
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
