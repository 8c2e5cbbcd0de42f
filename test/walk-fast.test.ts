/**
 * The visiting walk's fast paths against the decoder and against themselves: the entry loops
 * compiled per struct, chains followed block by block with no slice objects (falling back to the
 * decoder's reading for anything not plainly well-formed), and the memo of the last handler string.
 * Hostile luo-v4 images give walkImage exactly decodeImage's errors; walks that use the memo and
 * walks that cannot (a visitor taking notes reads every string) see the same structs at the same
 * places; the memo says two strings are the same exactly when their bytes are, through the NUL.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ImageError, PhysicalMemory, decodeImage, encodeImage, walkImage, type ImageState, type StructValue } from '../generator/image/index.ts';
import { SelectorMemo } from '../generator/image/selector-memo.ts';
import { Walker } from '../generator/image/decode.ts';
import { allVersions } from '../generator/model/index.ts';
import { expectedState, model, version } from './image-fixtures.ts';

const BASE = 0x1_0000_0000n;
const family = allVersions(model);

/** What a visitor is handed, as text: the struct, where its bytes are, its block and index. */
type Visit = string;

/** Every field of a view read, nested views too: each string found and checked, as decoding does. */
function readAll(value: object): void {
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(value))) {
    if (name === 'constructor') continue;
    const field: unknown = (value as Record<string, unknown>)[name];
    if (typeof field === 'object' && field !== null && !Array.isArray(field)) readAll(field);
  }
}

function walkVisits(
  fdt: Uint8Array,
  memory: Uint8Array,
  options: { transientViews: boolean; notes: boolean; littleEndian?: boolean; readFields?: boolean },
): { visits: Visit[]; error?: string } {
  const visits: Visit[] = [];
  try {
    walkImage(
      family,
      fdt,
      new PhysicalMemory([{ base: BASE, bytes: memory }]),
      {
        transientViews: options.transientViews,
        struct(name, value, block, index) {
          visits.push(`${name} @${(value as unknown as { $offset: number }).$offset} ${block.toString()} #${index}`);
          if (options.readFields) readAll(value);
        },
        ...(options.notes ? { note() {} } : {}),
      },
      { littleEndian: options.littleEndian ?? true },
    );
    return { visits };
  } catch (error) {
    if (!(error instanceof ImageError)) throw error;
    return { visits, error: error.message };
  }
}

function decodeError(fdt: Uint8Array, memory: Uint8Array, littleEndian = true): string | undefined {
  try {
    decodeImage(family, fdt, new PhysicalMemory([{ base: BASE, bytes: memory }]), { littleEndian });
    return undefined;
  } catch (error) {
    if (!(error instanceof ImageError)) throw error;
    return error.message;
  }
}

/** A memfd-v2 state with no folios (no vmalloc area), told apart by `m`. */
const memfd = (m: number): StructValue => ({
  version: 'memfd-v2',
  entry: { pos: BigInt(m), size: 0n, seals: m % 4, flags: 0, nr_folios: 0n, folios: { first: null, total_pages: 0, flags: 0, order: 0 } },
});

/**
 * luo-v4 sessions whose files name memfd-v2's handler (its state followed), no handler, a string
 * that differs from memfd-v2's only in its last byte or its length, and UTF-8 past ASCII, in runs
 * and alternating: the memo hits, misses and is replaced, with and without a handler behind it.
 */
const COMPATIBLES = ['memfd-v2', 'memfd-v2', 'memfd-v3', 'unknown-fh-v1', 'memfd-v2', 'memfd-v', 'memfd-v22', 'f\u00e9-v1', 'memfd-v2'];
const compatibleOf = (file: number) => COMPATIBLES[file % COMPATIBLES.length]!;

function mixedState(sessions: number, filesIn: (session: number) => number, compatible = compatibleOf): ImageState {
  const state = expectedState('luo-v4', { sessions: 0, filesMod: 0, flbs: 0 });
  let file = 0;
  const list = Array.from({ length: sessions }, (_, i) => {
    const files = Array.from({ length: filesIn(i) }, (_, j) => {
      const text = compatible(file++);
      return { compatible: text, data: text === 'memfd-v2' ? memfd(i + j) : BigInt(i * 1000 + j), token: BigInt(j) };
    });
    return { name: `s${i}`, file_set_ser: { files: files.length ? files : null, count: BigInt(files.length) } };
  });
  (state.root.properties['luo-abi-header'] as { sessions_pa: unknown }).sessions_pa = list;
  return state;
}

describe('the visiting walk\'s fast paths', () => {
  it('see what the walk without the handler-string memo sees, handler states included, and the structs decodeImage keeps', () => {
    const image = encodeImage(version('luo-v4'), mixedState(40, () => 140), { base: BASE, family, packing: 'packed' });
    const plain = walkVisits(image.fdt!, image.memory, { transientViews: true, notes: true });
    expect(plain.error).toBeUndefined();
    for (const transientViews of [true, false]) {
      expect(walkVisits(image.fdt!, image.memory, { transientViews, notes: false })).toEqual(plain);
    }
    // Every file naming memfd-v2 led to its state: one memfd_luo_ser each.
    const decoded = decodeImage(family, image.fdt!, new PhysicalMemory([{ base: BASE, bytes: image.memory }]));
    const named = JSON.stringify(decoded.state, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).match(/"version":"memfd-v2"/g)?.length;
    expect(plain.visits.filter((v) => v.startsWith('memfd_luo_ser ')).length).toBe(named);
    expect(named).toBe(Array.from({ length: 40 * 140 }, (_, k) => compatibleOf(k)).filter((c) => c === 'memfd-v2').length);
  });

  it('give decodeImage\'s error for a bad string after good ones, the memo holding a string that differs only past its NUL', () => {
    const image = encodeImage(version('luo-v4'), mixedState(3, () => 20), { base: BASE, family, packing: 'packed' });
    const where = (memory: Uint8Array, text: string) => {
      const at: number[] = [];
      const bytes = new TextEncoder().encode(`${text}\0`);
      for (let i = 0; i + bytes.length <= memory.length; i++) if (bytes.every((b, k) => memory[i + k] === b)) at.push(i);
      return at;
    };
    const cases: ((m: Uint8Array) => void)[] = [
      // The 6th unknown-fh-v1: no NUL in its 48 bytes.
      (m) => m.fill(0x41, where(m, 'unknown-fh-v1')[5]!, where(m, 'unknown-fh-v1')[5]! + 48),
      // A memfd-v2 made invalid UTF-8 after many good ones.
      (m) => m.set([0xff], where(m, 'memfd-v2')[20]!),
      // Bytes after a memfd-v2's NUL changed: still memfd-v2, the same state followed.
      (m) => m.fill(0x7a, where(m, 'memfd-v2')[20]! + 9, where(m, 'memfd-v2')[20]! + 48),
    ];
    for (const patch of cases) {
      const memory = image.memory.slice();
      patch(memory);
      const expected = decodeError(image.fdt!, memory);
      for (const transientViews of [true, false]) {
        for (const notes of [true, false]) expect(walkVisits(image.fdt!, memory, { transientViews, notes }).error).toBe(expected);
      }
    }
    expect(decodeError(image.fdt!, (() => { const m = image.memory.slice(); cases[2]!(m); return m; })())).toBeUndefined();
  });

  it('give decodeImage\'s error for counts, links and addresses set to hostile values in luo-v4 chains, in either byte order', () => {
    const images = [true, false].map((littleEndian) => ({
      littleEndian,
      image: encodeImage(version('luo-v4'), mixedState(150, () => 3), { base: BASE, family, littleEndian, packing: 'packed' }),
    }));
    // The words the chains are made of, found by a walk beforehand: each block header's link and
    // count, each session's files address and count. Half the edits fall on them.
    const targets = images.map(({ littleEndian, image }) =>
      walkVisits(image.fdt!, image.memory, { transientViews: true, notes: false, littleEndian }).visits.flatMap((visit) => {
        const [name, at] = visit.split(' ');
        const offset = Number(at!.slice(1));
        if (name === 'luo_block_header_ser') return [offset / 8, offset / 8 + 1];
        return name === 'luo_session_ser' ? [offset / 8 + 8, offset / 8 + 9] : [];
      }),
    );
    // 150 sessions and their blocks of files, in two blocks of sessions.
    expect(targets.map((t) => t.length)).toEqual([2 * 300 + 2 * 2, 2 * 300 + 2 * 2]);
    fc.assert(
      fc.property(
        // An index, not the image: a counterexample then prints short.
        fc.nat(images.length - 1),
        fc.array(fc.tuple(fc.oneof(fc.nat(), fc.nat().map((k) => -1 - k)), fc.oneof(fc.constantFrom(0n, 1n, 2n, 3n, 127n, 128n, 1n << 53n, (1n << 64n) - 1n), fc.bigInt({ min: BASE, max: BASE + (1n << 20n) }))), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (which, edits, transientViews) => {
          const { littleEndian, image } = images[which]!;
          const memory = image.memory.slice();
          const view = new DataView(memory.buffer);
          for (const [slot, value] of edits) {
            // A negative slot picks one of the chains' words.
            const word = slot >= 0 ? slot % (memory.length / 8) : targets[which]![(-1 - slot) % targets[which]!.length]!;
            view.setBigUint64(word * 8, value, littleEndian);
          }
          // The visitor reads every field, as decoding does: a bad session name is then an error of both.
          expect(walkVisits(image.fdt!, memory, { transientViews, notes: false, littleEndian, readFields: true }).error).toBe(decodeError(image.fdt!, memory, littleEndian));
        },
      ),
      { numRuns: 250 },
    );
  });

  it('read a chain lying past the first 2^31 bytes of its region with the general code, seeing what a small region shows', () => {
    // The compiled loop keeps its offsets 32-bit integers; a block further into a region than that is
    // the general code's. A region of 2 GiB and more costs only the pages written (the rest is never touched).
    const image = encodeImage(version('luo-v4'), mixedState(12, (i) => (i % 4) + 1), { base: BASE, family, packing: 'packed' });
    const far = 2 ** 31 + 4096;
    const big = new Uint8Array(far + image.memory.length);
    big.set(image.memory, far);
    const walk = (memory: PhysicalMemory, shift: number) => {
      const visits: string[] = [];
      const summary = walkImage(family, image.fdt!, memory, {
        transientViews: true,
        struct(name, value, block, index) {
          visits.push(`${name} @${(value as unknown as { $offset: number }).$offset - shift} ${block.toString()} #${index}`);
        },
      });
      // A block's place by its text: which Place objects the table keeps for it is the table's own affair.
      const blocks = Array.from({ length: summary.blocks }, (_, i) => {
        const block = summary.block(i);
        return { ...block, place: block.place.toString() };
      });
      return { visits, blocks };
    };
    const general = vi.spyOn(Walker.prototype, 'chainBlock');
    try {
      const near = walk(new PhysicalMemory([{ base: BASE, bytes: image.memory }]), 0);
      expect(general).not.toHaveBeenCalled();
      const seen = walk(new PhysicalMemory([{ base: BASE - BigInt(far), bytes: big }]), far);
      expect(seen).toEqual(near);
      // The sessions' one block and each session's block of files.
      expect(general).toHaveBeenCalledTimes(1 + 12);
    } finally {
      general.mockRestore();
    }
  });

  it('read a well-formed chain\'s blocks in their compiled loop, in either byte order, the general code only for a bad one', () => {
    // White-box: the general reading gives the same answers, only slower, so only a count of its calls tells them apart.
    const general = vi.spyOn(Walker.prototype, 'chainBlock');
    try {
      for (const littleEndian of [true, false]) {
        const image = encodeImage(version('luo-v4'), mixedState(120, (i) => (i % 3 === 0 ? 140 : 2)), { base: BASE, family, littleEndian, packing: 'packed' });
        general.mockClear();
        expect(walkVisits(image.fdt!, image.memory, { transientViews: true, notes: false, littleEndian }).error).toBeUndefined();
        expect(general).not.toHaveBeenCalled();
        // A count one more than a block holds: that block alone goes to the general code, which refuses it.
        const memory = image.memory.slice();
        const header = walkVisits(image.fdt!, image.memory, { transientViews: true, notes: false, littleEndian }).visits.filter((v) => v.startsWith('luo_block_header_ser '))[5]!;
        new DataView(memory.buffer).setBigUint64(Number(header.split(' ')[1]!.slice(1)) + 8, 128n, littleEndian);
        general.mockClear();
        expect(walkVisits(image.fdt!, memory, { transientViews: true, notes: false, littleEndian }).error).toBe(decodeError(image.fdt!, memory, littleEndian));
        expect(general).toHaveBeenCalledTimes(1);
      }
    } finally {
      general.mockRestore();
    }
  });

  it('give decodeImage\'s error for every chain link pointed back at a block read before, or at its own', () => {
    // Three sessions of 300, 1 and 260 files: chains of three blocks, one, and three.
    const state = mixedState(3, (i) => [300, 1, 260][i]!, () => 'unknown-fh-v1');
    const image = encodeImage(version('luo-v4'), state, { base: BASE, family });
    const headers = walkVisits(image.fdt!, image.memory, { transientViews: true, notes: false })
      .visits.filter((v) => v.startsWith('luo_block_header_ser '))
      .map((v) => Number(v.split(' ')[1]!.slice(1)));
    expect(headers.length).toBe(8);
    const errors = new Set<string>();
    for (const [k, from] of headers.entries()) {
      for (const to of headers.slice(0, k + 1)) {
        const memory = image.memory.slice();
        new DataView(memory.buffer).setBigUint64(from, BASE + BigInt(to), true);
        const expected = decodeError(image.fdt!, memory);
        // A loop, an overlap, or (a link into another chain) a total that does not add up.
        expect(expected).toMatch(/the chain loops|overlaps|the chain holds/);
        errors.add(expected!.replace(/.*: /, ''));
        for (const transientViews of [true, false]) expect(walkVisits(image.fdt!, memory, { transientViews, notes: false }).error).toBe(expected);
      }
    }
    // Loops within a chain, and links into another chain's blocks (its entries then counted too), both met.
    expect([...errors].some((e) => e.includes('the chain loops'))).toBe(true);
    expect([...errors].some((e) => e.includes('the chain holds'))).toBe(true);
  });
});

describe('the memo of the last handler strings', () => {
  /** A char[length] field: random bytes with a NUL at `nul` and none before it. */
  const string = (length: number) =>
    fc.tuple(fc.uint8Array({ minLength: length, maxLength: length }), fc.nat(length - 1)).map(([bytes, nul]) => {
      bytes[nul] = 0;
      for (let k = 0; k < nul; k++) if (bytes[k] === 0) bytes[k] = 1;
      return bytes;
    });
  const throughNul = (bytes: Uint8Array) => Array.from(bytes.subarray(0, bytes.indexOf(0) + 1)).join(',');

  it('finds a field exactly when its bytes through the NUL are one of the last strings remembered, with what that one named', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }).chain((length) =>
          fc.record({
            length: fc.constant(length),
            // Often few bytes before the NUL, so that strings repeat and differ past the NUL.
            remembered: fc.array(fc.oneof(string(length), string(Math.min(length, 3)).map((s) => Uint8Array.from({ length }, (_, k) => s[k] ?? 7))), { minLength: 1, maxLength: 7 }),
            probe: fc.oneof(string(length), fc.nat(6)),
            at: fc.nat(8),
          }),
        ),
        ({ length, remembered, probe, at }) => {
          const bytes = new Uint8Array(at + length + 8);
          const view = new DataView(bytes.buffer);
          const memo = new SelectorMemo<number>(length);
          remembered.forEach((string, k) => {
            bytes.set(string, at);
            memo.remember(view, bytes, at, string.indexOf(0), k);
          });
          const asked = typeof probe === 'number' ? remembered[probe % remembered.length]! : probe;
          bytes.set(asked, at);
          const slot = memo.find(view, bytes, at);
          // The strings still remembered: the last SLOTS, by what they hold through the NUL.
          const kept = remembered.map((string, k) => [throughNul(string), k] as const).slice(-SelectorMemo.SLOTS);
          const equal = kept.filter(([text]) => text === throughNul(asked)).map(([, k]) => k);
          if (equal.length === 0) expect(slot).toBe(-1);
          else expect(equal).toContain(memo.named[slot]);
          // Asked again, it is the slot found last (compared first, in the text the walk's loops have): the same answer.
          expect(memo.find(view, bytes, at)).toBe(slot);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('compares a string with the one found or remembered last in its own text, and looks through the others only for another', () => {
    // White-box: both ways give the same answer (above), so only a count of the calls tells them apart.
    const bytes = new Uint8Array(64);
    const view = new DataView(bytes.buffer);
    const memo = new SelectorMemo<string>(48);
    const put = (text: string) => {
      bytes.fill(0);
      new TextEncoder().encodeInto(text, bytes);
    };
    const any = vi.spyOn(memo, 'findAny');
    for (const text of ['memfd-v2', 'opaque-file-v1']) {
      put(text);
      memo.remember(view, bytes, 0, text.length, text);
    }
    // The last one remembered, again and again.
    for (let k = 0; k < 5; k++) expect(memo.named[memo.find(view, bytes, 0)]).toBe('opaque-file-v1');
    expect(any).not.toHaveBeenCalled();
    // The other one: looked for once, then it is the one compared first.
    put('memfd-v2');
    for (let k = 0; k < 5; k++) expect(memo.named[memo.find(view, bytes, 0)]).toBe('memfd-v2');
    expect(any).toHaveBeenCalledTimes(1);
    // Neither.
    put('memfd-v3');
    expect(memo.find(view, bytes, 0)).toBe(-1);
    expect(any).toHaveBeenCalledTimes(2);
  });
});
