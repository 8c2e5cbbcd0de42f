/**
 * `npm run bench images`: how fast the walker decodes a handover image, and how its time grows.
 *
 * 1. Throughput: a luo-v3 image of 100k sessions with 8 files each (100k luo_session_ser and 800k
 *    luo_file_ser records, 100k file arrays), laid out as the kernel lays it out (every block on a page
 *    boundary: an 827 MB memory image). Median of several timed decodes after a warm-up.
 * 2. Growth: decodeImage (state kept) and walkImage (streaming, nothing kept), the same shape from 1k to 1M sessions, in the packed layout (blocks back to back) so that
 *    the 1M image fits in memory (592 MB instead of 8 GB); time per session at each size shows
 *    whether decoding is linear.
 *
 * Images are built with the encoder (not timed); every timed decode is checked for its session and
 * file count and a sampled value, so nothing is timed doing less than the whole walk.
 *
 * Beside each decode, a baseline timed the same way: the generated codecs alone decoding the same records
 * from the same blocks into arrays kept alive, as the walker keeps its state: the cost of the bytes and
 * of the heap, without following a pointer. If decode / codecs alone stays level as the image grows, the
 * walker's own work is linear and what grows per session is the collector's work on a larger live heap.
 */
import { codecsFor, decodeImage, walkImage, type BlockInfo, type FdtImageState, type StructValue } from '../generator/image/index.ts';
import { allVersions, findVersion } from '../generator/model/index.ts';
import { BASE, FILES, VERSION, luoV3Image as image, model, type LuoV3Image } from './luo-v3-image.ts';
import { medianTiming, timedRepeats, type Timing } from './measure.ts';

/**
 * The entry blocks a decode found, as plain numbers (where the entries start in the memory image, how
 * many, which codec): what the codecs-alone baseline reads, kept without an object per block.
 */
interface EntryBlocks {
  readonly start: Float64Array;
  readonly count: Float64Array;
  readonly codec: Uint8Array;
  readonly codecs: readonly { readonly size: number; readonly decode: (bytes: Uint8Array, offset: number, options: { littleEndian: boolean }) => unknown }[];
}

function entryBlocks(blocks: readonly BlockInfo[]): EntryBlocks {
  const withEntries = blocks.filter((b) => b.entry);
  const names = [...new Set(withEntries.map((b) => b.entry!.struct))];
  return {
    start: Float64Array.from(withEntries, (b) => Number(b.pa - BASE) + b.entry!.offset),
    count: Float64Array.from(withEntries, (b) => b.entries!),
    codec: Uint8Array.from(withEntries, (b) => names.indexOf(b.entry!.struct)),
    codecs: names.map((name) => codecsFor(findVersion(model, VERSION))[name]!),
  };
}

/**
 * The codecs alone, timed as decodes are: every entry of every block decoded into arrays that are kept
 * until the next repeat has made its own, no pointer followed. The heap this keeps is most of what a decode keeps, so
 * its growth with size is what V8's collector adds to any decoder that returns objects.
 */
function timedCodecsAlone(built: LuoV3Image, sessions: number, blocks: EntryBlocks): Promise<Timing> {
  const options = { littleEndian: true };
  return timedRepeats(repeatsAt(sessions), true, () => {
    const kept: unknown[][] = new Array(blocks.start.length);
    let decoded = 0;
    for (let b = 0; b < kept.length; b++) {
      const codec = blocks.codecs[blocks.codec[b]!]!;
      const values: unknown[] = new Array(blocks.count[b]!);
      for (let i = 0, at = blocks.start[b]!; i < values.length; i++, at += codec.size) values[i] = codec.decode(built.raw, at, options);
      kept[b] = values;
      decoded += values.length;
    }
    if (decoded !== records(sessions)) throw new Error(`the codecs alone decoded ${decoded} records, expected ${records(sessions)}`);
    return kept;
  });
}

/**
 * Decodes in a row, for a sample long enough to time: a 1k-session decode takes a few milliseconds,
 * where a timer and a cold cache after the pause before it would show.
 */
const repeatsAt = (sessions: number) => Math.max(1, Math.ceil(100_000 / sessions));

/** Decodes of the image, each checked. */
function timedDecode(built: LuoV3Image, sessions: number): Promise<Timing> {
  return timedRepeats(repeatsAt(sessions), true, () => {
    const decoded = decodeImage(allVersions(model), built.fdt, built.memory);
    const decodedSessions = ((decoded.state as FdtImageState).root.properties['luo-abi-header'] as { sessions_pa: StructValue[] }).sessions_pa;
    const last = decodedSessions[sessions - 1] as { file_set_ser: { files: { data: bigint }[] } } | undefined;
    if (decodedSessions.length !== sessions || last?.file_set_ser.files[FILES - 1]?.data !== BigInt(sessions * FILES - 1)) {
      throw new Error(`decode of ${sessions} sessions returned the wrong state`);
    }
    return decoded;
  });
}

/**
 * Streaming walks (walkImage: the same walker, each struct handed to a visitor and dropped), checked
 * the same way: every session and file seen, the last file's data as written.
 */
function timedWalk(built: LuoV3Image, sessions: number): Promise<Timing> {
  // No full collection first: a walk keeps nothing, and V8 runs slower for a while after a forced
  // one (measured: 1k-session walks 1.2 µs/session without, 3 to 4 with), which would be timed here.
  return timedRepeats(repeatsAt(sessions), false, () => {
    let seenSessions = 0;
    let seenFiles = 0;
    let lastData: unknown;
    const summary = walkImage(allVersions(model), built.fdt, built.memory, {
      struct(name, value) {
        if (name === 'luo_file_ser') {
          seenFiles++;
          lastData = value['data'];
        } else if (name === 'luo_session_ser') {
          seenSessions++;
        }
      },
    });
    if (seenSessions !== sessions || seenFiles !== sessions * FILES || lastData !== BigInt(sessions * FILES - 1)) {
      throw new Error(`walk of ${sessions} sessions saw the wrong structs`);
    }
    return summary;
  });
}

/** The median decode (or `timed`) of the image, after a warm-up (bench/measure.ts). */
function measure(built: LuoV3Image, sessions: number, runs: number, timed = timedDecode): Promise<Timing> {
  return medianTiming(runs, () => timed(built, sessions));
}

const records = (sessions: number) => sessions * (1 + FILES);
const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

export default async function run(): Promise<void> {
  const throughputSessions = 100_000;
  let built: LuoV3Image | undefined = image(throughputSessions, 'pages');
  const { ms, gcMs } = await measure(built, throughputSessions, 5);
  console.log(`${VERSION}, ${throughputSessions.toLocaleString('en-US')} sessions x ${FILES} files, kernel layout (${mb(built.raw.length)} image)`);
  console.log(`  decode: ${ms.toFixed(0)} ms (median of 5 after a warm-up), of which GC pauses ${gcMs.toFixed(0)} ms`);
  console.log(`  ${rate(records(throughputSessions), ms)} records (luo_session_ser + luo_file_ser), ${rate(throughputSessions, ms)} sessions`);
  const walked = await measure(built, throughputSessions, 5, timedWalk);
  console.log(`  streaming walk (walkImage, nothing kept): ${walked.ms.toFixed(0)} ms, of which GC pauses ${walked.gcMs.toFixed(0)} ms`);
  console.log(`  ${rate(records(throughputSessions), walked.ms)} records, ${rate(throughputSessions, walked.ms)} sessions\n`);
  built = undefined;

  const sizes = [1_000, 10_000, 100_000, 1_000_000];
  const runsAt = (n: number) => (n >= 1_000_000 ? 3 : n >= 100_000 ? 5 : n >= 10_000 ? 11 : 25);
  console.log(`growth, packed layout, ${FILES} files per session (µs per session, and each size against 1k sessions):`);
  console.log(
    '| sessions | records | image | decode ms | records/s | µs/session | vs 1k | of which GC | codecs alone µs/session | vs 1k | decode / codecs alone | walk ms | walk µs/session | vs 1k |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  let first: number[] | undefined;
  const perSessionAt = new Map<number, number[]>();
  for (const n of sizes) {
    const sized = image(n, 'packed');
    const blocks = entryBlocks(decodeImage(allVersions(model), sized.fdt, sized.memory).blocks);
    // The walk first: it keeps nothing, and a large heap left by the decodes slowed it (1M sessions:
    // 1.9 µs/session after them, 1.15 on its own).
    const walk = await measure(sized, n, runsAt(n), timedWalk);
    const kept = await measure(sized, n, runsAt(n));
    const alone = await measure(sized, n, runsAt(n), (b, s) => timedCodecsAlone(b, s, blocks));
    const perSession = [kept.ms, alone.ms, walk.ms].map((ms) => (ms * 1000) / n);
    first ??= perSession;
    perSessionAt.set(n, perSession);
    const vs = (i: number) => `${(perSession[i]! / first![i]!).toFixed(2)}x`;
    console.log(
      `| ${n.toLocaleString('en-US')} | ${records(n).toLocaleString('en-US')} | ${mb(sized.raw.length)} | ${kept.ms.toFixed(1)} | ${rate(records(n), kept.ms)} | ${perSession[0]!.toFixed(2)} | ${vs(0)} | ${((kept.gcMs / kept.ms) * 100).toFixed(0)}% | ${perSession[1]!.toFixed(2)} | ${vs(1)} | ${(kept.ms / alone.ms).toFixed(2)}x | ${walk.ms.toFixed(1)} | ${perSession[2]!.toFixed(2)} | ${vs(2)} |`,
    );
  }
  // A state small enough to die in V8's young generation is never copied out of it; from 10k sessions
  // on every state is promoted, so that is where growth with size is read.
  const [from, to] = [perSessionAt.get(10_000)!, perSessionAt.get(1_000_000)!];
  const growth = (i: number) => `${from[i]!.toFixed(2)} -> ${to[i]!.toFixed(2)} µs/session (${(to[i]! / from[i]!).toFixed(2)}x)`;
  console.log(`\nFrom 10k to 1M sessions (100x the records): decode ${growth(0)}, codecs alone ${growth(1)}, walk ${growth(2)}.`);
  console.log('\nDecode: decodeImage, the whole state kept. Codecs alone: the same records decoded by the generated codecs');
  console.log('and kept in arrays, no pointer followed, timed the same way. Walk: walkImage, the same walker handing each');
  console.log('struct to a visitor that keeps nothing. "Of which GC": the share of the decode spent in pauses V8 reported.');
  console.log('A 1k-session state (about 1 MB) is made and dropped within V8\'s young generation, which copies nothing out;');
  console.log('larger states outlive it and are copied to the old generation once, a cost per object kept, the same at');
  console.log('any size beyond. The codecs-alone baseline shows the same step, later, as it keeps fewer objects.');
}
