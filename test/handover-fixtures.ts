/**
 * Whole handovers from test/c/handover/kho_handover.c: the include tree of one set of generated
 * headers, the program built over it at a page size, and the state it writes, from the same content
 * formulas as the program (never from the code under test). What no formula gives (where the
 * program's allocator put a blob it hands over opaquely, what it preserved) the program reports,
 * and the expected state takes it from that report.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { allVersions, buildModel, type PageShift, type VersionModel } from '../generator/model/index.ts';
import type { FdtImageState, ImageState, NodeState, StructValue } from '../generator/image/index.ts';
import khoFamily from '../schema/index.ts';
import { OUT, ROOT, runOk } from './support/tools.ts';

export type RunName = 'fdt' | 'raw';
export const RUN_NAMES: readonly RunName[] = ['fdt', 'raw'];

/**
 * The versions of one kind of handover: KHO's root with LUO's state in an FDT, or as a raw entry.
 * kho-v2's tree cannot hold an order-0 page at 16 KiB pages (its depth leaves out the key's marker
 * bit, which kho-v4 added a level for), so at that page size the FDT run's root is kho-v4 too.
 */
export function runVersions(run: RunName, pageShift: PageShift) {
  const common = { memfd: 'memfd-v2', memblock: 'memblock-v1', block: 'block-v1' } as const;
  return run === 'fdt' ? { ...common, kho: pageShift === 14 ? 'kho-v4' : 'kho-v2', luo: 'luo-v4' } : { ...common, kho: 'kho-v4', luo: 'luo-v5+block-v1' };
}

const models = new Map<PageShift, readonly VersionModel[]>();
/** The family's versions, laid out at a page size. */
export function familyAt(pageShift: PageShift): readonly VersionModel[] {
  let versions = models.get(pageShift);
  if (!versions) models.set(pageShift, (versions = allVersions(buildModel(khoFamily, { pageShift }))));
  return versions;
}

/** kho_handover.c compiled over the run's generated headers (an include tree of them) at `pageShift`. */
export function buildHandoverTool(run: RunName, pageShift: PageShift, dir: string): string {
  const versions = runVersions(run, pageShift);
  const include = join(dir, 'include');
  const abi = join(include, 'linux/kho/abi');
  mkdirSync(abi, { recursive: true });
  const headers: [string, string][] = [
    ['kexec_handover', versions.kho],
    ['luo', versions.luo],
    ['memfd', versions.memfd],
    ['memblock', versions.memblock],
    ['block', versions.block],
    ['compat', 'compat'],
  ];
  for (const [header, version] of headers) cpSync(join(OUT, header, version, `${header}.h`), join(abi, `${header}.h`));
  const program = join(dir, `kho_handover-${run}-${pageShift}`);
  runOk('gcc', [
    '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O1', `-DPAGE_SHIFT=${pageShift}`,
    '-I', join(ROOT, 'test/c/shim'), '-I', include,
    join(ROOT, 'test/c/handover/kho_handover.c'), '-lfdt', '-o', program,
  ]);
  return program;
}

/** What the program says it did beyond the formulas: each allocation it preserved, each opaque client. */
export interface Report {
  readonly preserved: readonly { pa: bigint; order: number }[];
  readonly clients: ReadonlyMap<string, { pa: bigint; size: bigint }>;
}

export function parseReport(text: string): Report {
  const preserved: { pa: bigint; order: number }[] = [];
  const clients = new Map<string, { pa: bigint; size: bigint }>();
  for (const line of text.split('\n').filter(Boolean)) {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'preserved') preserved.push({ pa: BigInt(a!), order: Number(b) });
    else if (kind === 'client') clients.set(a!, { pa: BigInt(b!), size: BigInt(c!) });
    else throw new Error(`a report line of no known kind: ${line}`);
  }
  return { preserved, clients };
}

/**
 * The preserved ranges as KHO's radix tree lists them: by key (larger orders first, then by
 * address), page groups of one order that follow one another as one range.
 */
export function expectedRanges(preserved: Report['preserved'], pageShift: number): StructValue[] {
  const sorted = [...preserved].sort((a, b) => b.order - a.order || (a.pa < b.pa ? -1 : a.pa > b.pa ? 1 : 0));
  const ranges: { start: bigint; size: bigint; order: number }[] = [];
  for (const { pa, order } of sorted) {
    const size = 1n << BigInt(pageShift + order);
    const last = ranges[ranges.length - 1];
    if (last && last.order === order && last.start + last.size === pa) last.size += size;
    else ranges.push({ start: pa, size, order });
  }
  return ranges;
}

// ---- The formulas (kho_handover.c's)

const LIVEUPDATE_NUM = 41n;
const FOLIO_PFN = (m: number) => 0x1000000n + BigInt(m) * 0x100000n;
const UNKNOWN_HANDLER = 'unknown-fh-v1';
const UNKNOWN_DATA = 0xdead0000n;
const KHO_VMALLOC_ALLOC = 1;
const MEMFD_FOLIO_FLAGS = 3;
const F_SEAL_SEAL_GROW = 0x1 | 0x4;
const FOLIO_BYTES = 16;

const filesIn = (i: number) => (i === 0 ? 3 : 1);
const memfdOf = (i: number, j: number) => (i === 0 ? (j === 0 ? 0 : j === 1 ? 1 : -1) : 2);

function memfd(m: number, folios: number, pageSize: number): StructValue {
  const area =
    folios === 0
      ? { first: null, total_pages: 0, flags: 0, order: 0 }
      : {
          first: Array.from({ length: folios }, (_, k) => ({ pfn: FOLIO_PFN(m) + BigInt(k), flags: MEMFD_FOLIO_FLAGS, index: BigInt(k) })),
          total_pages: Math.ceil((folios * FOLIO_BYTES) / pageSize),
          flags: KHO_VMALLOC_ALLOC,
          order: 0,
        };
  return {
    version: 'memfd-v2',
    entry: { pos: BigInt(7 * m + 1), size: BigInt(folios * pageSize), seals: m % 2 ? 0 : F_SEAL_SEAL_GROW, flags: 0, nr_folios: BigInt(folios), folios: area },
  };
}

function luoSer(run: RunName, folios0: number, pageSize: number): StructValue {
  const foliosOf = (m: number) => (m === 0 ? folios0 : m === 1 ? 0 : 700);
  const file = (i: number, j: number): StructValue => {
    const m = memfdOf(i, j);
    return m >= 0
      ? { compatible: 'memfd-v2', data: memfd(m, foliosOf(m), pageSize), token: BigInt(i * 1000 + j) }
      : { compatible: UNKNOWN_HANDLER, data: UNKNOWN_DATA, token: BigInt(i * 1000 + j) };
  };
  const sessions = [0, 1].map((i) => ({
    name: `session-${i}`,
    file_set_ser: { files: Array.from({ length: filesIn(i) }, (_, j) => file(i, j)), count: BigInt(filesIn(i)) },
  }));
  const flbs = [{ name: 'flb-0', data: 0xdead000000000000n, count: 0n }];
  return { ...(run === 'raw' ? { compatible: 'luo-v5;block-v1' } : {}), liveupdate_num: LIVEUPDATE_NUM, sessions_pa: sessions, flbs_pa: flbs };
}

const REGIONS = [
  { name: 'region-0', start: 0x200000000n, size: 4n << 20n },
  { name: 'region-1', start: 0x300000000n, size: 2n },
];

/** The whole handover kho_handover.c writes, as our decoder must give it. */
export function expectedHandover(run: RunName, pageShift: PageShift, folios0: number, report: Report): FdtImageState {
  const pageSize = 2 ** pageShift;
  const versions = runVersions(run, pageShift);
  const sized = versions.kho === 'kho-v4';
  const client = (name: string, state: unknown): NodeState => ({
    properties: { 'preserved-data': state as never, ...(sized ? { 'blob-size': report.clients.get(name)!.size } : {}) },
    children: {},
  });
  const luo: ImageState =
    run === 'raw'
      ? { version: versions.luo, entry: luoSer(run, folios0, pageSize) }
      : { version: versions.luo, root: { compatible: versions.luo, properties: { 'luo-abi-header': luoSer(run, folios0, pageSize) }, children: {} } };
  const memblock: ImageState = {
    version: 'memblock-v1',
    root: {
      compatible: 'memblock-v1',
      properties: {},
      children: Object.fromEntries(
        REGIONS.map((r) => [r.name, { compatible: 'reserve-mem-v1', properties: { start: r.start, size: r.name === 'region-1' ? r.size * BigInt(pageSize) : r.size }, children: {} }]),
      ),
    },
  };
  return {
    version: versions.kho,
    root: {
      compatible: versions.kho,
      properties: { 'preserved-memory-map': expectedRanges(report.preserved, pageShift) as never },
      // Registered memblock, LUO, kexec-metadata; libfdt puts each new node first.
      children: {
        'kexec-metadata': client('kexec-metadata', report.clients.get('kexec-metadata')!.pa),
        LUO: client('LUO', luo),
        memblock: client('memblock', memblock),
      },
    },
  };
}
