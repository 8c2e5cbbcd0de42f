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
 * Beside each decode, a baseline: the generated codecs alone decoding the same records from the same
 * blocks into arrays kept alive, as the walker keeps its state: the cost of the bytes and of the heap,
 * without following a pointer. What the walker adds is the difference.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildModel, findVersion } from '../generator/model/index.ts';
import { PhysicalMemory, decodeImage, encodeImage, walkImage, type BlockInfo, type ImageState, type StructValue } from '../generator/image/index.ts';
import { luoCodecs } from '../generator/image/luo-codecs.ts';
import luoSchema from '../schema/index.ts';

const VERSION = 'luo-v3';
const FILES = 8;
const BASE = 1n << 32n;
const model = buildModel(luoSchema);
const version = findVersion(model, VERSION);

function state(sessions: number): ImageState {
  const entries: StructValue[] = new Array(sessions);
  for (let i = 0; i < sessions; i++) {
    const files: StructValue[] = new Array(FILES);
    for (let j = 0; j < FILES; j++) files[j] = { compatible: 'memfd-v1', data: BigInt(i * FILES + j), token: BigInt(j) };
    entries[i] = { name: `session-${i}`, file_set_ser: { files, count: BigInt(FILES) } };
  }
  return {
    version: VERSION,
    root: { compatible: VERSION, properties: { 'luo-abi-header': { liveupdate_num: 1n, sessions_pa: entries, flbs_pa: null } }, children: {} },
  };
}

function image(sessions: number, packing: 'pages' | 'packed') {
  const built = encodeImage(version, luoCodecs[VERSION]!, state(sessions), { base: BASE, packing });
  return { fdt: built.fdt, memory: new PhysicalMemory([{ base: BASE, bytes: built.memory }]), bytes: built.memory.length, raw: built.memory };
}

/** The codecs alone over the blocks a decode found: every entry decoded and kept, no pointer followed. */
function baseline(built: ReturnType<typeof image>, blocks: readonly BlockInfo[]): number {
  const codecs = luoCodecs[VERSION]!;
  const options = { littleEndian: true };
  const kept: unknown[][] = [];
  collectGarbage();
  const start = performance.now();
  for (const block of blocks) {
    if (!block.entry) continue;
    const codec = codecs[block.entry.struct]!;
    const values: unknown[] = new Array(block.entries!);
    let at = Number(block.pa - BASE) + block.entry.offset;
    for (let i = 0; i < values.length; i++, at += codec.size) values[i] = codec.decode(built.raw, at, options);
    kept.push(values);
  }
  const elapsed = performance.now() - start;
  if (kept.reduce((sum, values) => sum + values.length, 0) === 0) throw new Error('the baseline decoded nothing');
  return elapsed;
}

/** A full collection before each timed run, so that no run pays for the garbage of the one before. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Garbage collection pauses, to tell the walker's own time from V8's work on a large live heap. V8
 * reports them asynchronously, so a timed decode yields once before counting them.
 */
const gcPauses: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, duration: entry.duration });
}).observe({ entryTypes: ['gc'] });

async function gcDuring(start: number, end: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  const total = gcPauses.filter((p) => p.start >= start && p.start < end).reduce((sum, p) => sum + p.duration, 0);
  gcPauses.length = 0;
  return total;
}

interface Timing {
  readonly ms: number;
  readonly gcMs: number;
}

/**
 * Decodes in a row, for a sample long enough to time: a 1k-session decode takes a few milliseconds,
 * where a timer and a cold cache after the pause before it would show. Each decode's state lives
 * until the next one is made.
 */
const repeatsAt = (sessions: number) => Math.max(1, Math.ceil(100_000 / sessions));

/** Decodes of the image, each checked; the time and GC pauses of one, in milliseconds. */
async function timedDecode(built: ReturnType<typeof image>, sessions: number): Promise<Timing> {
  const repeats = repeatsAt(sessions);
  collectGarbage();
  await gcDuring(0, 0);
  const start = performance.now();
  for (let r = 0; r < repeats; r++) {
    const decoded = decodeImage(model.versions, luoCodecs, built.fdt, built.memory);
    const decodedSessions = (decoded.state.root.properties['luo-abi-header'] as { sessions_pa: StructValue[] }).sessions_pa;
    const last = decodedSessions[sessions - 1] as { file_set_ser: { files: { data: bigint }[] } } | undefined;
    if (decodedSessions.length !== sessions || last?.file_set_ser.files[FILES - 1]?.data !== BigInt(sessions * FILES - 1)) {
      throw new Error(`decode of ${sessions} sessions returned the wrong state`);
    }
  }
  const end = performance.now();
  return { ms: (end - start) / repeats, gcMs: (await gcDuring(start, end)) / repeats };
}

/**
 * Streaming walks (walkImage: the same walker, each struct handed to a visitor and dropped), checked
 * the same way: every session and file seen, the last file's data as written.
 */
async function timedWalk(built: ReturnType<typeof image>, sessions: number): Promise<Timing> {
  const repeats = repeatsAt(sessions);
  // No full collection first: a walk keeps nothing, and V8 runs slower for a while after a forced
  // one (measured: 1k-session walks 1.2 µs/session without, 3 to 4 with), which would be timed here.
  await gcDuring(0, 0);
  const start = performance.now();
  for (let r = 0; r < repeats; r++) {
    let seenSessions = 0;
    let seenFiles = 0;
    let lastData: unknown;
    walkImage(model.versions, luoCodecs, built.fdt, built.memory, {
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
  }
  const end = performance.now();
  return { ms: (end - start) / repeats, gcMs: (await gcDuring(start, end)) / repeats };
}

/**
 * The run with the median time, after a warm-up of at least one run and half a second, so that a small
 * image is not timed in code the JIT has not optimised yet (a 1k-session decode runs a few milliseconds).
 */
async function measure(built: ReturnType<typeof image>, sessions: number, runs: number, timed = timedDecode): Promise<Timing> {
  // The garbage of what ran before (a 1M-session state is ~20M objects) is collected first, not
  // during the first timed walks; the warm-up then also absorbs V8's slower start after a full GC.
  collectGarbage();
  const warmUpUntil = performance.now() + 500;
  do await timed(built, sessions);
  while (performance.now() < warmUpUntil);
  const timings: Timing[] = [];
  for (let i = 0; i < runs; i++) timings.push(await timed(built, sessions));
  timings.sort((a, b) => a.ms - b.ms);
  return timings[(timings.length - 1) >> 1]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1]!;
}

const records = (sessions: number) => sessions * (1 + FILES);
const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

export default async function run(): Promise<void> {
  const throughputSessions = 100_000;
  let built: ReturnType<typeof image> | undefined = image(throughputSessions, 'pages');
  const { ms, gcMs } = await measure(built, throughputSessions, 5);
  console.log(`${VERSION}, ${throughputSessions.toLocaleString('en-US')} sessions x ${FILES} files, kernel layout (${mb(built.bytes)} image)`);
  console.log(`  decode: ${ms.toFixed(0)} ms (median of 5 after a warm-up), of which GC pauses ${gcMs.toFixed(0)} ms`);
  console.log(`  ${rate(records(throughputSessions), ms)} records (luo_session_ser + luo_file_ser), ${rate(throughputSessions, ms)} sessions`);
  const walked = await measure(built, throughputSessions, 5, timedWalk);
  console.log(`  streaming walk (walkImage, nothing kept): ${walked.ms.toFixed(0)} ms, of which GC pauses ${walked.gcMs.toFixed(0)} ms`);
  console.log(`  ${rate(records(throughputSessions), walked.ms)} records, ${rate(throughputSessions, walked.ms)} sessions\n`);
  built = undefined;

  const sizes = [1_000, 10_000, 100_000, 1_000_000];
  const runsAt = (n: number) => (n >= 1_000_000 ? 3 : n >= 100_000 ? 5 : n >= 10_000 ? 11 : 25);
  console.log(`growth, packed layout, ${FILES} files per session (µs per session; "no GC": GC pauses taken out):`);
  console.log(
    '| sessions | records | image | decode ms | records/s | µs/session | vs 1k | GC ms | no GC µs/session | vs 1k | walk ms | walk µs/session | vs 1k | walk GC ms | walk no GC µs/session | vs 1k | codecs alone ms |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  let first: number[] | undefined;
  for (const n of sizes) {
    const sized = image(n, 'packed');
    const kept = await measure(sized, n, runsAt(n));
    const walk = await measure(sized, n, runsAt(n), timedWalk);
    const blocks = decodeImage(model.versions, luoCodecs, sized.fdt, sized.memory).blocks;
    baseline(sized, blocks);
    const codecsAlone = median(Array.from({ length: runsAt(n) }, () => baseline(sized, blocks)));
    const perSession = [kept.ms, kept.ms - kept.gcMs, walk.ms, walk.ms - walk.gcMs].map((ms) => (ms * 1000) / n);
    first ??= perSession;
    const vs = (i: number) => `${(perSession[i]! / first![i]!).toFixed(2)}x`;
    console.log(
      `| ${n.toLocaleString('en-US')} | ${records(n).toLocaleString('en-US')} | ${mb(sized.bytes)} | ${kept.ms.toFixed(1)} | ${rate(records(n), kept.ms)} | ${perSession[0]!.toFixed(2)} | ${vs(0)} | ${kept.gcMs.toFixed(0)} | ${perSession[1]!.toFixed(2)} | ${vs(1)} | ${walk.ms.toFixed(1)} | ${perSession[2]!.toFixed(2)} | ${vs(2)} | ${walk.gcMs.toFixed(0)} | ${perSession[3]!.toFixed(2)} | ${vs(3)} | ${codecsAlone.toFixed(1)} |`,
    );
  }
  console.log('\nDecode: decodeImage, the whole state kept. Walk: walkImage, the same walker handing each struct to a');
  console.log('visitor that keeps nothing. GC: pauses V8 reported during the run. Codecs alone: the same records decoded');
  console.log('and kept, no pointers followed.');
}
