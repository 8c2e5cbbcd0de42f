/**
 * The views bench's hand-written walker is the floor its ratios are read against, so it must do the
 * walker's work: the same structs handed over, in the same order, and the same images refused.
 */
import { describe, expect, it } from 'vitest';
import { BASE, luoImage, model } from '../bench/luo-v3-image.ts';
import { handWalkViews, type HandViewCodecs } from '../bench/views-hand.ts';
import { codecsFor, walkImage, type StructValue } from '../generator/image/index.ts';
import { allVersions, findVersion } from '../generator/model/index.ts';

const family = allVersions(model);
const codecs = codecsFor(findVersion(model, 'luo-v4')) as unknown as HandViewCodecs;
const handlers = family.flatMap((v) => (v.container?.kind === 'reached-from' ? [new TextEncoder().encode(v.container.compatible.value)] : []));
const offsetOf = (value: StructValue) => (value as unknown as { $offset: number }).$offset;

/** A luo-v4 image of `sessions` sessions (8 files each), and where walkImage finds each struct in it. */
function image(sessions: number) {
  const built = luoImage('luo-v4', sessions, 'packed');
  const structs: { name: string; at: number; index: number }[] = [];
  walkImage(family, built.fdt, built.memory, {
    transientViews: true,
    struct(name, value, _block, index) {
      structs.push({ name, at: offsetOf(value), index });
    },
  });
  const bytes = built.raw;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hand = () => {
    const visited: typeof structs = [];
    handWalkViews(bytes, Number(BASE), Number(BASE) + structs[0]!.at, codecs, handlers, (name, value, index) => {
      visited.push({ name, at: offsetOf(value), index });
    });
    return visited;
  };
  /** The error walkImage gives now, or undefined. */
  const walkError = () => {
    try {
      walkImage(family, built.fdt, built.memory, { transientViews: true, struct() {} });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  const nth = (name: string, n: number) => structs.filter((s) => s.name === name)[n]!.at;
  return { bytes, view, structs, hand, walkError, nth };
}

describe("the views bench's hand-written walker", () => {
  it('hands over the structs walkImage hands over, in its order, with their offsets and indexes', () => {
    const { structs, hand } = image(250);
    expect(structs[0]!.name).toBe('luo_ser');
    expect(hand()).toEqual(structs);
  });

  // Each a corruption of the image, where it is found (by walkImage's visits), and the hand walker's
  // error for it: walkImage refuses it too, and the hand walker by the check written for it.
  const corruptions: [string, RegExp, (built: ReturnType<typeof image>) => void][] = [
    ['a block count past what the block holds', /more than a block holds/, ({ view, nth }) => view.setUint32(nth('luo_block_header_ser', 3) + 8, 1000, true)],
    ['a chain of files whose next block is itself', /the chain loops/, ({ view, nth }) => view.setBigUint64(nth('luo_block_header_ser', 5), BASE + BigInt(nth('luo_block_header_ser', 5)), true)],
    ['a files pointer outside memory', /not in memory/, ({ view, nth }) => view.setBigUint64(nth('luo_session_ser', 7) + 64, 0x10n, true)],
    ["a file count that is not the chain's", /count beside it says 7/, ({ view, nth }) => view.setUint32(nth('luo_session_ser', 9) + 72, 7, true)],
    ['a compatible string with no NUL', /no NUL terminator/, ({ bytes, nth }) => bytes.fill(0x61, nth('luo_file_ser', 20), nth('luo_file_ser', 20) + 48)],
    ['a compatible string that is not UTF-8', /not valid UTF-8/, ({ bytes, nth }) => bytes.set([0xc3, 0x28, 0], nth('luo_file_ser', 30))],
    ['two sessions whose files are the same block', /overlaps an earlier one/, ({ view, nth }) => view.setBigUint64(nth('luo_session_ser', 11) + 64, view.getBigUint64(nth('luo_session_ser', 12) + 64, true), true)],
    ['an address past 2^53', /past 2\^53/, ({ view, nth }) => view.setUint32(nth('luo_session_ser', 13) + 64 + 4, 0x0100_0000, true)],
  ];
  for (const [what, error, corrupt] of corruptions) {
    it(`refuses an image that walkImage refuses: ${what}`, () => {
      const built = image(250);
      corrupt(built);
      expect(built.walkError()).toBeDefined();
      expect(built.hand).toThrow(error);
    });
  }
});
