/**
 * Measuring for the benches that compare our decoders with peers on the same bytes in one run: each
 * peer's output checked before anything is timed, warm-up runs, then timed runs with the peers taking
 * turns, each from a collected heap; a peer's rate is the median. Printed as a Markdown table with
 * each peer's rate and how many times faster the first row (ours) is.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Peer {
  readonly name: string;
  readonly note: string;
  /** Handles the whole workload once; undefined where the library cannot do it. */
  readonly run?: () => unknown;
  /** Checks what the first run gave, before anything is timed. */
  readonly check?: (result: unknown) => void;
}

export interface Measuring {
  /** Records one run handles: rates are these per second. */
  readonly records: number;
  /** Runs before timing, the first of them checked. */
  readonly warmUp: number;
  /** Timed runs of each peer; the median is its rate. */
  readonly runs: number;
  /**
   * False (default true): each peer's runs one after another rather than taking turns, from one
   * collection and a run to warm up, with no collection between them: a run pays for no garbage but
   * its peer's own. In Node 20 a collection also throws away the optimized code the runs before had
   * warmed up (V8 marks it "weak objects"), so that each run after one starts partly cold: this is
   * the steady state of a process that walks again and again.
   */
  readonly collect?: boolean;
}

/** A full collection, before each timed run, so that no run pays for the garbage of the one before it. */
setFlagsFromString('--expose-gc');
export const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Median records per second of every peer. Runs alternate between peers so that load from other
 * processes falls on all of them alike; each peer's loop is its own function literal so that no call
 * site is shared (and made polymorphic) between peers. Each timed run starts from a collected heap:
 * a run that keeps what it decoded leaves it as garbage when it ends, and without this the peer that
 * happens to run next pays for collecting it (the codecs bench's collected tables' ratios swung by a
 * third from one run to the next).
 */
export function rates(peers: readonly Peer[], { records, warmUp, runs, collect = true }: Measuring): (number | undefined)[] {
  const timed = peers.filter((p) => p.run);
  for (const p of timed) p.check?.(p.run!());
  for (let i = 1; i < warmUp; i++) for (const p of timed) p.run!();
  const times = new Map<Peer, number[]>(timed.map((p) => [p, []]));
  const time = (p: Peer) => {
    const start = process.hrtime.bigint();
    p.run!();
    times.get(p)!.push(Number(process.hrtime.bigint() - start) / 1e9);
  };
  if (collect) {
    for (let i = 0; i < runs; i++) {
      for (const p of timed) {
        collectGarbage();
        time(p);
      }
    }
  } else {
    for (const p of timed) {
      // The garbage of the peers before it collected, then a run to warm again what that threw away.
      collectGarbage();
      p.run!();
      for (let i = 0; i < runs; i++) time(p);
    }
  }
  return peers.map((p) => {
    const sorted = times.get(p)?.sort((a, b) => a - b);
    return sorted && records / sorted[Math.floor(sorted.length / 2)]!;
  });
}

export interface Columns {
  /** Head of the column naming the peers. */
  readonly peer: string;
  /** Head of the ratio column: the first row against each. */
  readonly ratio: string;
}

/** Measures the peers and prints their table; the first peer is ours, the one the ratios are of. */
export function table(title: string, peers: readonly Peer[], columns: Columns, measuring: Measuring): void {
  const measured = rates(peers, measuring);
  const ours = measured[0]!;
  console.log(`### ${title}\n`);
  console.log(`| ${columns.peer} | records/s | ${columns.ratio} | note |`);
  console.log('|---|---:|---:|---|');
  peers.forEach((peer, i) => {
    const rate = measured[i];
    const shown = rate === undefined ? 'n/a' : Math.round(rate).toLocaleString('en');
    const ratio = rate === undefined ? 'n/a' : `${(ours / rate).toFixed(2)}x`;
    console.log(`| ${peer.name} | ${shown} | ${ratio} | ${peer.note} |`);
  });
  console.log('');
}

// -----------------------------------------------------------------------------------------------
// Growth: one workload timed at several sizes, by the median of repeated runs and the GC pauses in them.

export interface Timing {
  /** Milliseconds of one run. */
  readonly ms: number;
  /** Of which garbage collection pauses V8 reported. */
  readonly gcMs: number;
}

/**
 * Garbage collection pauses, to tell a decoder's own time from V8's work on a large live heap. V8
 * reports them asynchronously, so a timed run yields once before counting them.
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

/**
 * `once` run `repeats` times in a row (a sample long enough to time, for a small workload), each
 * run's result kept until the next run has made its own, as a caller keeps a decoded state while it
 * decodes another (written out here: left to a loop variable, whether V8 still holds the last one
 * varied between peers, and with it whether a state outlived the young generation); the time and GC
 * pauses of one run. `collectFirst` starts from a collected heap.
 */
export async function timedRepeats(repeats: number, collectFirst: boolean, once: () => unknown): Promise<Timing> {
  if (collectFirst) collectGarbage();
  await gcDuring(0, 0);
  const start = performance.now();
  let kept: unknown;
  for (let r = 0; r < repeats; r++) kept = once();
  const end = performance.now();
  if (kept === undefined) throw new Error('a timed run returned nothing to keep');
  return { ms: (end - start) / repeats, gcMs: (await gcDuring(start, end)) / repeats };
}

/**
 * The run with the median time of `runs`, after a warm-up of at least one run and half a second, so
 * that a small workload is not timed in code the JIT has not optimised yet. The garbage of what ran
 * before is collected first, not during the first timed runs; the warm-up then also absorbs V8's
 * slower start after a full collection.
 */
export async function medianTiming(runs: number, timed: () => Promise<Timing>): Promise<Timing> {
  collectGarbage();
  const warmUpUntil = performance.now() + 500;
  do await timed();
  while (performance.now() < warmUpUntil);
  const timings: Timing[] = [];
  for (let i = 0; i < runs; i++) timings.push(await timed());
  timings.sort((a, b) => a.ms - b.ms);
  return timings[(timings.length - 1) >> 1]!;
}
