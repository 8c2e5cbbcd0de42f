/**
 * LoopCheck, which tells a walk along links that it has come back to an address, against the walk
 * itself: a walk is said to loop only when it has been at that address before (at the step named),
 * and every walk that loops is told so within a few times the length of its path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoopCheck } from '../generator/image/loop-check.ts';

describe('LoopCheck', () => {
  it('tells every walk that comes back to an address, soon, naming an earlier step there, and no other walk', () => {
    fc.assert(
      fc.property(
        // Links between a few nodes (0 ends the walk), addressed by numbers or by bigints as the walker carries them.
        fc.array(fc.nat(16), { minLength: 1, maxLength: 16 }),
        fc.boolean(),
        (links, wide) => {
          const address = (node: number) => (wide ? BigInt(node) + (1n << 60n) : node * 4096);
          const path: number[] = [1];
          const check = new LoopCheck(address(1));
          for (let index = 1; ; index++) {
            const node = links[(path[index - 1]! - 1) % links.length]!;
            if (node === 0) {
              // The walk ended, so it never came back (links are followed the same way each time).
              expect(new Set(path).size).toBe(path.length);
              return;
            }
            path.push(node);
            const earlier = check.again(address(node), index);
            if (earlier >= 0) {
              expect(earlier).toBeLessThan(index);
              expect(path[earlier]).toBe(node);
              return;
            }
            // Told by three times the nodes it goes through (Brent: before its kept step, at 2^m - 1, has gone round once more).
            expect(index).toBeLessThanOrEqual(3 * new Set(path).size + 3);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('names step 0 at once for a walk back to its first address, and an earlier step in the loop for one into its middle', () => {
    const back = new LoopCheck(0x1000);
    expect(back.again(0x2000, 1)).toBe(-1);
    expect(back.again(0x1000, 2)).toBe(0);
    // 0x1000 -> 0x2000 -> 0x3000 -> 0x4000 -> 0x3000 -> ...
    const walk = [0x1000, 0x2000, 0x3000, 0x4000, 0x3000, 0x4000, 0x3000, 0x4000, 0x3000];
    const loop = new LoopCheck(walk[0]!);
    let told = -1;
    let earlier = -1;
    for (let index = 1; index < walk.length && told < 0; index++) {
      earlier = loop.again(walk[index]!, index);
      if (earlier >= 0) told = index;
    }
    expect(told).toBeGreaterThan(3);
    expect(walk[earlier]).toBe(walk[told]);
    expect([0x3000, 0x4000]).toContain(walk[told]);
  });
});
