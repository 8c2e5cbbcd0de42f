/**
 * `npm run bench handover`: the whole-handover decode from KHO's root, beside a careful hand-written
 * decoder of the same handover (bench/handover-hand.ts), in this one run.
 *
 * 1. Throughput: bench/handover-image.ts's handover with 100k sessions (each a memfd and an opaque
 *    file; one memfd in 16 with 64 folios) and 4 memfds of 300,000 folios each (3 kho_vmalloc
 *    chunks apiece), laid out as the kernel lays it out (every block on a page boundary). decodeImage
 *    (the state kept) against the hand decoder, walkImage (nothing kept) against the hand walker;
 *    medians of runs taking turns (bench/measure.ts's table). Ours starts from the KHO root FDT blob,
 *    as the hand decoder does.
 * 2. Growth: the same shape without the large memfds, 1k to 1M sessions, packed (blocks back to back:
 *    the 1M-session image in 600 MB rather than several GB), each decoder's time per session and
 *    against its own at 1k.
 *
 * Images are built with our encoder (not timed). Every decoder's output is checked before it is timed:
 * ours against the state the image was built from, the hand decoder's state against ours value by
 * value, each walker by what its visitor saw; every timed growth run is checked for its count of
 * sessions and its last folio. HANDOVER_SESSIONS=n runs a smaller throughput image and growth up to n
 * sessions, for trying changes.
 */
import { isDeepStrictEqual } from 'node:util';
import { decodeImage, walkImage, type DecodedImage, type FdtImageState } from '../generator/image/index.ts';
import { BASE, BIG_FOLIOS, FILES, FOLIO_EVERY, SMALL_FOLIOS, family, foliosOf, handoverImage, handoverState, recordsOf, type HandoverImage, type HandoverShape } from './handover-image.ts';
import { handDecodeHandover, handWalkHandover } from './handover-hand.ts';
import { medianTiming, table, timedRepeats, type Measuring, type Timing } from './measure.ts';

const LIMIT = Number(process.env['HANDOVER_SESSIONS'] ?? 1_000_000);
const THROUGHPUT: HandoverShape = { sessions: Math.min(LIMIT, 100_000), bigMemfds: 4 };

// -----------------------------------------------------------------------------------------------
// Checks

/** A client's state in a whole-handover state. */
const client = (state: unknown, name: string) => (state as FdtImageState).root.children[name]!.properties['preserved-data'];

/** Ours against the state the image was built from: every client's state, value by value, and no block outside the map. */
function checkOurs(shape: HandoverShape, decoded: DecodedImage): void {
  const built = handoverState(shape);
  for (const name of ['LUO', 'memblock']) {
    if (!isDeepStrictEqual(client(decoded.state, name), client(built, name))) throw new Error(`ours: the ${name} client's state is not the one the image was built from`);
  }
  if (decoded.preserved?.total !== 0) throw new Error(`ours: ${decoded.preserved?.total} blocks outside the preserved memory`);
}

/** What a walker's visitor saw, as one line to compare. */
class Seen {
  sessions = 0;
  files = 0;
  folios = 0;
  chars = 0;
  lastIndex: unknown;

  toString(): string {
    return `${this.sessions} sessions, ${this.files} files, ${this.folios} folios, ${this.chars} characters, last folio index ${String(this.lastIndex)}`;
  }
}

/** What a walker must see of a shape: computed from the shape, not by a decoder. */
function expectedSeen(shape: HandoverShape): string {
  const seen = new Seen();
  seen.sessions = shape.sessions;
  seen.files = shape.sessions * FILES;
  for (let i = 0; i < shape.sessions; i++) {
    const folios = foliosOf(shape, i);
    seen.folios += folios;
    if (folios > 0) seen.lastIndex = BigInt(folios - 1);
    seen.chars += `session-${i}`.length + 'memfd-v2'.length + 'vfio-v1'.length;
  }
  return seen.toString();
}

function oursWalk(built: HandoverImage): Seen {
  const seen = new Seen();
  walkImage(family, { kho: built.kho }, built.memory, {
    struct(name, value) {
      if (name === 'memfd_luo_folio_ser') {
        seen.folios++;
        seen.lastIndex = value['index'];
      } else if (name === 'luo_file_ser') {
        seen.files++;
        seen.chars += (value['compatible'] as string).length;
      } else if (name === 'luo_session_ser') {
        seen.sessions++;
        seen.chars += (value['name'] as string).length;
      }
    },
  });
  return seen;
}

function handWalk(built: HandoverImage): Seen {
  const seen = new Seen();
  handWalkHandover(built.kho, built.raw, BASE, {
    session(name) {
      seen.sessions++;
      seen.chars += name.length;
    },
    file(compatible) {
      seen.files++;
      seen.chars += compatible.length;
    },
    folio(index) {
      seen.folios++;
      seen.lastIndex = index;
    },
  });
  return seen;
}

const oursDecode = (built: HandoverImage) => decodeImage(family, { kho: built.kho }, built.memory);
const handDecode = (built: HandoverImage) => handDecodeHandover(built.kho, built.raw, BASE);

// -----------------------------------------------------------------------------------------------
// Throughput

const decodeNote = 'from the KHO root FDT: the radix tree into ranges; LUO, its sessions and files; each memfd\'s chunks and folios; memblock\'s FDT';

function throughput(): void {
  const built = handoverImage(THROUGHPUT, 'pages');
  const records = recordsOf(THROUGHPUT);
  const measuring: Measuring = { records, warmUp: 2, runs: 7 };
  const columns = { peer: 'decoder', ratio: 'ours vs this' };
  const shape = `${THROUGHPUT.sessions.toLocaleString('en')} sessions x ${FILES} files, ${THROUGHPUT.bigMemfds} memfds of ${BIG_FOLIOS.toLocaleString('en')} folios, ${records.toLocaleString('en')} luo_session_ser + luo_file_ser + memfd_luo_ser + memfd_luo_folio_ser records`;
  console.log(`kho-v4 + luo-v5+block-v1 + memfd-v2 + memblock-v1, kernel layout, memory image of ${(built.raw.length / 2 ** 20).toFixed(0)} MB at 0x${BASE.toString(16)}.\n`);
  table(`Decode, the whole handover kept (${shape})`, [
    {
      name: 'ours (decodeImage)',
      note: `${decodeNote}; pointers, counts, NULs, UTF-8, chain and chunk loops, page totals, overlapping blocks and every block against the preserved ranges checked; u64 as bigint`,
      run: () => oursDecode(built),
      check: (result) => checkOurs(THROUGHPUT, result as DecodedImage),
    },
    {
      name: 'hand-written DataView',
      note: 'the same, for these versions only (bench/handover-hand.ts); one DataView per image, addresses as numbers; the checks of ours but overlapping blocks; the same state (checked value by value against ours)',
      run: () => handDecode(built),
      check: (result) => {
        if (!isDeepStrictEqual(result, oursDecode(built).state)) throw new Error('hand-written: its state is not ours');
      },
    },
  ], columns, measuring);
  const expected = expectedSeen(THROUGHPUT);
  const saw = (peer: string) => (result: unknown) => {
    if (String(result) !== expected) throw new Error(`${peer} saw ${String(result)}; expected ${expected}`);
  };
  table(`Decode, streaming, nothing kept (${shape})`, [
    {
      name: 'ours (walkImage)',
      note: 'the walk and checks of decodeImage; every struct handed to the visitor as a view, which reads each session\'s name, file\'s compatible and folio\'s index',
      run: () => oursWalk(built),
      check: saw('walkImage'),
    },
    {
      name: 'hand-written DataView',
      note: 'the walk and checks of the hand decoder; each session\'s name, file\'s compatible and folio\'s index handed to the visitor',
      run: () => handWalk(built),
      check: saw('hand-written walker'),
    },
  ], columns, measuring);
}

// -----------------------------------------------------------------------------------------------
// Growth

/** Runs in a row for one sample: a 1k-session decode takes a few milliseconds. */
const repeatsAt = (sessions: number) => Math.max(1, Math.ceil(100_000 / sessions));
const runsAt = (sessions: number) => (sessions >= 1_000_000 ? 3 : sessions >= 100_000 ? 5 : sessions >= 10_000 ? 7 : 11);

interface Decoder {
  readonly name: string;
  /** Keeps a state: timed from a collected heap. */
  readonly keeps: boolean;
  /** Decodes or walks the image; throws unless it saw the whole of it. */
  run(built: HandoverImage): unknown;
}

/** The index of the last folio every growth image's walk sees: the last of a small memfd's. */
const LAST_FOLIO_INDEX = BigInt(SMALL_FOLIOS - 1);

const decoders: readonly Decoder[] = [
  {
    name: 'decodeImage',
    keeps: true,
    run: (built) => {
      const decoded = oursDecode(built);
      const sessions = (client(decoded.state, 'LUO') as { entry: { sessions_pa: unknown[] } }).entry.sessions_pa;
      if (sessions.length !== built.shape.sessions) throw new Error(`decodeImage gave ${sessions.length} sessions`);
      return decoded;
    },
  },
  {
    name: 'hand decode',
    keeps: true,
    run: (built) => {
      const decoded = handDecode(built);
      const sessions = (client(decoded, 'LUO') as { entry: { sessions_pa: unknown[] } }).entry.sessions_pa;
      if (sessions.length !== built.shape.sessions) throw new Error(`the hand decoder gave ${sessions.length} sessions`);
      return decoded;
    },
  },
  {
    name: 'walkImage',
    keeps: false,
    run: (built) => {
      const seen = oursWalk(built);
      if (seen.sessions !== built.shape.sessions || seen.lastIndex !== LAST_FOLIO_INDEX) throw new Error(`walkImage saw ${seen}`);
      return seen;
    },
  },
  {
    name: 'hand walk',
    keeps: false,
    run: (built) => {
      const seen = handWalk(built);
      if (seen.sessions !== built.shape.sessions || seen.lastIndex !== LAST_FOLIO_INDEX) throw new Error(`the hand walker saw ${seen}`);
      return seen;
    },
  },
];

async function growth(): Promise<void> {
  const sizes = [1_000, 10_000, 100_000, 1_000_000].filter((n) => n <= LIMIT);
  console.log(`Growth: the same shape without the large memfds (one memfd in ${FOLIO_EVERY} with ${SMALL_FOLIOS} folios), packed layout; time per session, and each size against 1k sessions.\n`);
  console.log('| sessions | records | image | decoder | ms | µs/session | vs 1k | of which GC | ours vs hand (time) |');
  console.log('|---:|---:|---:|---|---:|---:|---:|---:|---:|');
  let first: number[] | undefined;
  for (const sessions of sizes) {
    const shape = { sessions, bigMemfds: 0 };
    let built: HandoverImage | undefined = handoverImage(shape, 'packed');
    const imageBytes = built.raw.length;
    // Checked whole, untimed, up to 100k sessions (two 1M-session states side by side would fill the heap).
    if (sessions <= 100_000) {
      checkOurs(shape, oursDecode(built));
      if (!isDeepStrictEqual(handDecode(built), oursDecode(built).state)) throw new Error(`hand-written: its state at ${sessions} sessions is not ours`);
    }
    const timings: Timing[] = [];
    // The walks first: they keep nothing, and a large heap left by the decodes slows them.
    for (const decoder of [...decoders].sort((a, b) => Number(a.keeps) - Number(b.keeps))) {
      const image = built;
      timings[decoders.indexOf(decoder)] = await medianTiming(runsAt(sessions), () => timedRepeats(repeatsAt(sessions), decoder.keeps, () => decoder.run(image)));
    }
    built = undefined;
    const perSession = timings.map((t) => (t.ms * 1000) / sessions);
    first ??= perSession;
    decoders.forEach((decoder, i) => {
      const t = timings[i]!;
      // Ours (even rows) against the hand-written peer after it.
      const vsHand = i % 2 === 0 ? `${(t.ms / timings[i + 1]!.ms).toFixed(2)}x` : '';
      const size = i === 0 ? `${sessions.toLocaleString('en')} | ${recordsOf(shape).toLocaleString('en')} | ${(imageBytes / 2 ** 20).toFixed(0)} MB` : ' | | ';
      console.log(
        `| ${size} | ${decoder.name} | ${t.ms.toFixed(1)} | ${perSession[i]!.toFixed(2)} | ${(perSession[i]! / first![i]!).toFixed(2)}x | ${((t.gcMs / t.ms) * 100).toFixed(0)}% | ${vsHand} |`,
      );
    });
  }
  console.log('\nRecords: luo_session_ser, luo_file_ser, memfd_luo_ser and memfd_luo_folio_ser. "Of which GC": the share of the time');
  console.log('in pauses V8 reported. "Ours vs hand": our time over the hand-written peer\'s (above 1: the hand peer is faster).');
}

export default async function run(): Promise<void> {
  throughput();
  await growth();
}
