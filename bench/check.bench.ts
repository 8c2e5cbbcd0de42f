/**
 * `npm run bench check`: how long the ABI-drift guard takes.
 *
 * 1. `luo-abi check` on the LUO schema as CI runs it, as a process (node + tsx start-up included),
 *    next to `tsc --noEmit` on the same schema files, the type check CI runs anyway. Both with and
 *    without the out/ comparison (which generates every file), median of a few runs.
 *    And the same check in process, without node's start-up.
 * 2. The check itself, in process, on synthetic schemas of 100, 300 and 1,000 structs (a chain of
 *    structs, each pointing at the next, in two versions, the last struct changed without a bump):
 *    time per struct should stay flat, i.e. growth is linear.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { checkSchema, checkVersions, lockOf } from '../generator/check/run.ts';
import { allVersions, buildModel } from '../generator/model/index.ts';
import {
  chars,
  defineString,
  fdtContainer,
  field,
  header,
  node,
  pa,
  pointerProperty,
  struct,
  toStruct,
  u64,
  version,
  defineExpr,
  type Aggregate,
  type AbiSchema,
} from '../schema/lang.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PROCESS_RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeProcess(command: string, args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < PROCESS_RUNS; i++) {
    const start = performance.now();
    const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' });
    times.push(performance.now() - start);
    // 1 means findings (a stale out/ while someone is mid-change): still a full run.
    if (result.status !== 0 && result.status !== 1) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return median(times);
}

/** N structs in a chain under one root property; `changed` adds a field to the last one. */
function syntheticSchema(count: number, changed: boolean): AbiSchema {
  const structs: Aggregate[] = [];
  let next: Aggregate | undefined;
  for (let i = count - 1; i >= 0; i--) {
    const fields: Record<string, ReturnType<typeof field>> = {
      id: field(u64, 'An identifier.'),
      label: field(chars(16), 'A label.'),
    };
    if (next) fields['next'] = field(pa(toStruct(next)), 'The next struct.');
    if (changed && i === count - 1) fields['extra'] = field(u64, 'A field the newer version adds.');
    next = struct(`s${i}`, { packed: true, summary: `Struct number ${i}.`, fields });
    structs.unshift(next);
  }
  // The newer version keeps the string: the check has to find the change (two LUO001 findings).
  const compatible = defineString('SYN_COMPATIBLE', 'syn-v1');
  const property = defineString('SYN_ROOT', 'syn-root');
  const entry = defineString('SYN_ENTRY', 'SYN');
  const size = defineExpr('SYN_FDT_SIZE', 'PAGE_SIZE');
  const v = version({
    name: changed ? 'syn-v2' : 'syn-v1',
    origin: 'Synthetic.',
    doc: { title: 'Synthetic ABI', paragraphs: ['A chain of structs.'] },
    constants: [size, entry, compatible, property],
    types: structs,
    container: fdtContainer({
      khoEntry: entry,
      maxSize: size,
      root: node({ compatible, doc: 'Root.', properties: [pointerProperty(property, pa(toStruct(structs[0]!)), 'The first struct.')], children: [] }),
    }),
  });
  return header({
    name: 'synthetic',
    path: 'include/synthetic.h',
    includeGuard: '_SYNTHETIC_H',
    spdx: 'GPL-2.0',
    copyright: [],
    versions: [v],
    current: v.name,
  });
}

function timeCheck(count: number): { buildMs: number; checkMs: number; findings: number } {
  const schemas = [syntheticSchema(count, false), syntheticSchema(count, true)];
  const builds: number[] = [];
  const checks: number[] = [];
  let findings = 0;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const [older, newer] = schemas.map((s) => allVersions(buildModel(s))[0]!);
    const built = performance.now();
    findings = checkVersions([older!, newer!], lockOf('synthetic', [older!])).length;
    checks.push(performance.now() - built);
    builds.push(built - start);
  }
  return { buildMs: median(builds), checkMs: median(checks), findings };
}

export default async function run(): Promise<void> {
  const node = process.execPath;
  const bin = join(ROOT, 'bin/luo-abi.mjs');
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  const tscArgs = ['--ignoreConfig', '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--allowImportingTsExtensions', '--types', 'node', 'schema/index.ts'];
  const rows: [string, number][] = [
    ['luo-abi check (schema vs lock, no out/)', timeProcess(node, [bin, 'check', '--schema', 'schema/index.ts'])],
    ['luo-abi check (as CI runs it, with out/)', timeProcess(node, [bin, 'check'])],
    ['tsc --noEmit schema/index.ts', timeProcess(tsc, tscArgs)],
  ];
  const inProcess: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await checkSchema({ outDir: false });
    inProcess.push(performance.now() - start);
  }
  rows.push(['check in process (schema vs lock, loaded)', median(inProcess)]);
  const base = rows[2]![1];
  console.log('| process | median ms | vs tsc |');
  console.log('|---|---:|---:|');
  for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(0)} | ${(ms / base).toFixed(2)}x |`);

  console.log('\n| synthetic structs | build both models ms | lock + check ms | check µs per struct | findings |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const count of [100, 300, 1000]) {
    const { buildMs, checkMs, findings } = timeCheck(count);
    console.log(`| ${count} | ${buildMs.toFixed(1)} | ${checkMs.toFixed(1)} | ${((checkMs * 1000) / count).toFixed(1)} | ${findings} |`);
  }
}
