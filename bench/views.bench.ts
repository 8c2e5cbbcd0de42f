/**
 * `npm run bench views`: how close a walk of a handover image with zero-copy views comes to the
 * memory-bandwidth limit. The image: luo-v4, SESSIONS sessions (1M by default; VIEWS_SESSIONS=n for
 * another size) with 8 files each, the files of each session in a chain block, packed back to back.
 *
 * The limit is the time to read the image's bytes once, measured two ways, the faster taken: a JS loop
 * summing it as 64-bit words (Float64Array, every byte loaded once), and the runtime's native scan
 * for a 64-bit value that is not there (BigUint64Array.prototype.indexOf, C++). Against it: walkImage, every
 * pointer followed and checked as decodeImage checks it, each struct handed to the visitor as a view
 * (transient views: one per struct type, moved from struct to struct; or a view of its own per
 * struct); with a visitor that only counts (what the walk itself costs: views handed over, pointers,
 * counts and handler strings read), and with one that reads every field of every struct (every
 * string found and checked, every u64 made). The floor of a walk with these checks: a walker written
 * by hand, carefully, for this one layout (./views-hand.ts), handing over transient views too. And, to tell the
 * walker's own cost from the views', the same structs made views with no walker around them: their
 * integer fields read, and nothing read (each view made and handed to a function).
 * Medians of several runs after a warm-up, the peers taking turns, each run after a full collection
 * (bench/measure.ts). A second table times the counting walk, the hand walker and the two readings
 * again warm: each peer's runs in a row after one collection and a run to warm up, with no
 * collection between them. In Node 20 the collection also frees the maps of the objects no
 * longer alive, and the optimized code built on them: the walk's (its walker, plans, block table and
 * views are all gone between two walks) is thrown away and compiled again during the next walk, which
 * measured 25-30% slower after one; the hand walker's objects are typed arrays and closures, and it
 * loses less (README, under the views tables).
 */
import { BASE, FILES, luoImage, model } from './luo-v3-image.ts';
import { table, type Measuring, type Peer } from './measure.ts';
import { codecsFor, walkImage, type StructValue } from '../generator/image/index.ts';
import { handWalkViews, LAYOUT } from './views-hand.ts';
import { allVersions, findStruct, findVersion, type StructModel } from '../generator/model/index.ts';

const VERSION = 'luo-v4';
const SESSIONS = Number(process.env['VIEWS_SESSIONS'] ?? 1_000_000);
const measuring: Measuring = { records: SESSIONS, warmUp: 2, runs: 5 };

export default async function run(): Promise<void> {
  const built = luoImage(VERSION, SESSIONS, 'packed');
  const bytes = built.raw;
  const words = new Float64Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 8));
  const longs = new BigUint64Array(bytes.buffer, bytes.byteOffset, words.length);
  /** A 64-bit value the image does not hold (checked before timing), for the native scan to look for. */
  const absent = 0x0123_4567_89ab_cdefn;
  const version = findVersion(model, VERSION);
  /** Every field of every struct, read (nested structs too). */
  const readAll = (struct: StructModel, value: StructValue): number => {
    let n = 0;
    for (const f of struct.fields) {
      if (f.type.kind === 'flexible') continue;
      const field = value[f.name];
      n += f.type.kind === 'aggregate' ? readAll(findStruct(version, f.type.name), field as StructValue) : typeof field === 'string' ? field.length : 1;
    }
    return n;
  };
  const structsOf = new Map(version.structs.map((s) => [s.name, s]));
  /**
   * Per struct, a function reading its integer fields (pointers and counts among them, nested structs
   * too) by name, as code written for that struct does: one access site per field, so that each sees
   * one view class and the JIT inlines its getter (a generic loop of `value[name]` would measure
   * megamorphic lookups instead).
   */
  const integerReader = (struct: StructModel): ((value: StructValue) => number) => {
    const paths: string[] = [];
    const collect = (s: StructModel, prefix: string) => {
      for (const f of s.fields) {
        if (f.type.kind === 'aggregate') collect(findStruct(version, f.type.name), `${prefix}.${f.name}`);
        else if (f.type.kind === 'scalar' || f.type.kind === 'pointer') paths.push(`${prefix}.${f.name}`);
      }
    };
    collect(struct, 'v');
    return new Function('v', `return ${paths.map((p) => `(${p} === undefined ? 0 : 1)`).join(' + ') || '0'};`) as (value: StructValue) => number;
  };
  // Where every struct is, in walk order, found by one untimed walk: for the views-alone row.
  const names = version.structs.map((s) => s.name);
  const where: number[] = [];
  const which: number[] = [];
  walkImage(allVersions(model), built.fdt, built.memory, {
    struct(name, value) {
      where.push((value as unknown as { $offset: number }).$offset);
      which.push(names.indexOf(name));
    },
  });
  const offsets = Float64Array.from(where);
  const kinds = Uint8Array.from(which);
  where.length = 0;
  which.length = 0;
  const codecs = names.map((name) => codecsFor(version)[name]!);
  const sizeOf = (name: string) => structsOf.get(name)!.size;
  if (sizeOf('luo_ser') !== LAYOUT.luoSer.size || sizeOf('luo_session_ser') !== LAYOUT.session.size || sizeOf('luo_file_ser') !== LAYOUT.file.size) {
    throw new Error(`the hand-written walker's layout is not ${VERSION}'s`);
  }
  const handCodecs = codecsFor(version) as unknown as Parameters<typeof handWalkViews>[3];
  // The strings a file's handler is reached by, as the family has them.
  const handlers = allVersions(model).flatMap((v) => (v.container?.kind === 'reached-from' ? [new TextEncoder().encode(v.container.compatible.value)] : []));
  const luoSerPa = Number(BASE) + offsets[0]!;
  if (kinds[0] !== names.indexOf('luo_ser')) throw new Error('the walk did not start at luo_ser');
  const readers = names.map((name) => integerReader(structsOf.get(name)!));
  // luo_ser, one block header per 102 sessions (2-page blocks), and per session itself, its one file block header and its files.
  const expectedStructs = 1 + Math.ceil(SESSIONS / 102) + SESSIONS * (1 + 1 + FILES);
  /** walkImage with a visitor that counts the structs it is handed. */
  const countingWalk = (transientViews: boolean): number => {
    let structs = 0;
    walkImage(allVersions(model), built.fdt, built.memory, {
      transientViews,
      struct() {
        structs++;
      },
    });
    return structs;
  };
  const countsAll = (structs: unknown) => {
    if (structs !== expectedStructs) throw new Error(`the walk visited ${String(structs)} structs, expected ${expectedStructs}`);
  };

  console.log(`${VERSION}, ${SESSIONS.toLocaleString('en')} sessions x ${FILES} files, packed: a memory image of ${(bytes.length / 2 ** 20).toFixed(0)} MB at 0x${BASE.toString(16)}.\n`);
  const walkCounting: Peer = {
    name: 'walkImage, transient views, visitor counts',
    note: 'every pointer, count, chain, handler string and overlap checked; each struct handed over as a view, one per struct type moved from struct to struct (transientViews); fields read only by the walker (addresses, counts, handler strings)',
    run: () => countingWalk(true),
    check: countsAll,
  };
  const walkOwn: Peer = {
    name: 'walkImage, views of their own, visitor counts',
    note: 'the same, each struct a view of its own (the visitor may keep it)',
    run: () => countingWalk(false),
    check: countsAll,
  };
  const walkReadAll: Peer = {
    name: 'walkImage, transient views, visitor reads every field',
    note: 'the first, and the visitor reads every field of every struct: each string found and checked (NUL, UTF-8), each u64 made',
    run: () => {
      let read = 0;
      walkImage(allVersions(model), built.fdt, built.memory, {
        transientViews: true,
        struct(name, value) {
          read += readAll(structsOf.get(name)!, value);
        },
      });
      return read;
    },
  };
  const hand: Peer = {
    name: 'hand-written walker for this layout, transient views, visitor counts',
    note: 'the floor of a walk with these checks: a careful walker for luo-v4 alone (./views-hand.ts), the same checks, each block\'s bounds checked once and its views shifted within it, the last handler string remembered; luo_ser\'s address given',
    run: () => {
      let structs = 0;
      handWalkViews(bytes, Number(BASE), luoSerPa, handCodecs, handlers, () => {
        structs++;
      });
      return structs;
    },
    check: countsAll,
  };
  const viewsAlone: Peer = {
    name: 'views alone, no walker',
    note: 'the same structs at the same offsets (found by a walk beforehand), each made a view and its integer fields read (pointers, counts): what views cost without the walker',
    run: () => {
      let read = 0;
      for (let i = 0; i < offsets.length; i++) {
        const k = kinds[i]!;
        read += readers[k]!(codecs[k]!.view(bytes, offsets[i]!) as StructValue);
      }
      return read;
    },
  };
  const viewsHanded: Peer = {
    name: 'views alone, made and handed over, nothing read',
    note: 'the same structs, each made a view and passed to a function that counts it: the least a walk that hands every struct over as a view can cost',
    run: () => {
      let structs = 0;
      // Kept until the next one, as a visitor may: the view escapes, so the JIT cannot leave it unmade.
      let last: StructValue | undefined;
      const visit = (value: StructValue) => {
        last = value;
        structs++;
      };
      for (let i = 0; i < offsets.length; i++) visit(codecs[kinds[i]!]!.view(bytes, offsets[i]!) as StructValue);
      return last === undefined ? -1 : structs;
    },
  };
  const jsLoop: Peer = {
    name: 'read the bytes once: JS loop',
    note: 'the image summed as 64-bit words (Float64Array), each byte loaded once',
    run: () => {
      let sum = 0;
      for (let i = 0; i < words.length; i++) sum += words[i]!;
      return sum;
    },
  };
  const nativeScan: Peer = {
    name: 'read the bytes once: native scan',
    note: `BigUint64Array.prototype.indexOf of a value the image does not hold (0x${absent.toString(16)}), in C++`,
    run: () => longs.indexOf(absent),
    check: (found) => {
      if (found !== -1) throw new Error('the scan found the value it looks for');
    },
  };

  table(
    `Walking the image with views against reading its bytes once (rates in sessions/s)`,
    [walkCounting, walkOwn, walkReadAll, hand, viewsAlone, viewsHanded, jsLoop, nativeScan],
    { peer: 'what', ratio: 'walk (first row) vs this' },
    measuring,
  );
  table(
    'The same walks, warm: a peer\'s runs one after another, from one collection and a warm-up run, with no collection between them',
    [walkCounting, hand, jsLoop, nativeScan],
    { peer: 'what', ratio: 'walk (first row) vs this' },
    { ...measuring, collect: false },
  );
}
