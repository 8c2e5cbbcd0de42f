/**
 * The block table's overlap check, against a check of every pair: blocks in address order (one pass
 * over the rows) and in any order (two sorts, then the pair looked for), blocks of no bytes among them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockTable, disjointBlocks } from '../generator/image/blocks.ts';
import { ImageError, Place, Site } from '../generator/image/errors.ts';

const block = fc.record({ pa: fc.integer({ min: 0x1000, max: 0x1400 }), size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 64 })) });

function tableOf(blocks: readonly { pa: number; size: number }[]): BlockTable {
  const table = new BlockTable(1 << 30);
  const shape = table.shapeId({ struct: 'thing' });
  blocks.forEach(({ pa, size }, k) => table.add(Site.at(Place.at(`block ${k}`)), pa, pa, size, shape, -1));
  return table;
}

const overlapping = (a: { pa: number; size: number }, b: { pa: number; size: number }) => a.size > 0 && b.size > 0 && a.pa < b.pa + b.size && b.pa < a.pa + a.size;

describe('the block table\'s overlap check', () => {
  it('refuses exactly the tables in which two blocks of some bytes overlap, naming two that do, in address order or not', () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 40 }), fc.boolean(), (blocks, sorted) => {
        const order = sorted ? [...blocks].sort((a, b) => a.pa - b.pa) : blocks;
        const expected = order.some((a, i) => order.some((b, j) => i < j && overlapping(a, b)));
        let error: unknown;
        try {
          tableOf(order).checkOverlaps();
        } catch (thrown) {
          error = thrown;
        }
        if (!expected) {
          expect(error).toBeUndefined();
          return;
        }
        expect(error).toBeInstanceOf(ImageError);
        // `block K: thing at 0x..0x.. overlaps thing at 0x..0x.. read by block J`: those two do.
        const { where, problem } = error as ImageError;
        const named = [Number(where.split(' ')[1]), Number(/read by block (\d+)$/.exec(problem)![1])];
        expect(overlapping(order[named[0]!]!, order[named[1]!]!)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('disjointBlocks, which tells the overlap check whether to look for a pair', () => {
  it('says two blocks of some bytes overlap exactly when a check of every pair does, whatever their order and runs', () => {
    // Often a few runs of rising addresses, as a walk reads them; sometimes any order.
    const runs = fc.array(fc.array(block.filter((b) => b.size > 0), { maxLength: 12 }).map((run) => run.sort((a, b) => a.pa - b.pa)), { maxLength: 6 }).map((r) => r.flat());
    fc.assert(
      fc.property(fc.oneof(runs, fc.array(block.filter((b) => b.size > 0), { maxLength: 40 })), (blocks) => {
        const starts = Float64Array.from(blocks, (b) => b.pa);
        const ends = Float64Array.from(blocks, (b) => b.pa + b.size);
        const copy = [starts.slice(), ends.slice()];
        const expected = !blocks.some((a, i) => blocks.some((b, j) => i < j && overlapping(a, b)));
        expect(disjointBlocks(starts, ends)).toBe(expected);
        // The blocks given are left as they were.
        expect([starts, ends]).toEqual(copy);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes blocks read in falling address order, each a run of its own, by the hundred thousand', () => {
    // As a chain written from the top of memory down gives them: every pass merges half as many runs.
    const n = 300_000;
    const starts = Float64Array.from({ length: n }, (_, k) => 0x1_0000_0000 - k * 0x1000);
    const ends = starts.map((pa) => pa + 0x1000);
    expect(disjointBlocks(starts, ends)).toBe(true);
    // One block a byte longer runs into the one above it.
    ends[n / 2] = ends[n / 2]! + 1;
    expect(disjointBlocks(starts, ends)).toBe(false);
  });
});

describe('the block table\'s rows', () => {
  it('give back every block as it was added: addresses up to 2^64, sizes, counts and indexes past 32 bits, in chunks', () => {
    const number = fc.oneof(fc.integer({ min: -1, max: 100 }), fc.constantFrom(0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER));
    const address = fc.oneof(fc.bigInt({ min: 0n, max: 1n << 20n }), fc.constantFrom(0xffff_ffffn, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, (1n << 64n) - 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
    const row = fc.record({ pa: address, size: number.filter((n) => n >= 0), entries: number, entry: number, block: number, field: fc.constantFrom(undefined, 'a', 'b[2]') });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), fc.nat(5000), (rows, filler) => {
        const table = new BlockTable(Number.MAX_VALUE);
        const shape = table.shapeId({ header: 'head', entry: { struct: 'thing', offset: 16 } });
        const anchor = Place.at('anchor');
        // Enough rows before them to fill the first chunk, grow it, and start others.
        for (let k = 0; k < filler; k++) table.add(Site.at(anchor), k, k, 1, shape, 0);
        const added = rows.map((r) => ({ ...r, site: new Site(anchor, r.entry, r.field, r.block) }));
        for (const r of added) table.add(r.site, r.pa <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r.pa) : r.pa, Number(r.pa), r.size, shape, r.entries);
        added.forEach((r, k) => {
          const info = table.info(filler + k);
          expect(info).toMatchObject({ pa: r.pa, size: r.size, entries: r.entries, what: `head + thing[${r.entries}]` });
          expect(info.place.toString()).toBe(r.site.toString());
        });
        if (filler > 0) expect(table.info(filler - 1)).toMatchObject({ pa: BigInt(filler - 1), size: 1, entries: 0 });
      }),
      { numRuns: 300 },
    );
  });
});
