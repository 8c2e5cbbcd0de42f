/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line). Each
 * module's default export runs its workloads and prints a table of rates and ratios to its peers,
 * all measured in this one run on this machine.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The young generation pinned at V8's largest size. V8 otherwise sizes it from what the last
 * collections saw, so that a peer's rate depended on which peer ran before it: in the collected
 * decode tables the same decoder measured 2 to 3 times faster run second in a round than run first,
 * and the ratios followed the order of the peers. Pinned, the order changes nothing. The benches
 * re-run themselves with it when started without it.
 */
const YOUNG_GENERATION = ['--min-semi-space-size=16', '--max-semi-space-size=16'];
if (!YOUNG_GENERATION.every((flag) => process.execArgv.includes(flag))) {
  const child = spawnSync(process.execPath, [...YOUNG_GENERATION, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const only = process.argv.slice(2);
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();
for (const f of files) {
  console.log(`\n## ${f}\n`);
  const module = (await import(pathToFileURL(join(import.meta.dirname, f)).href)) as { default: () => Promise<void> };
  await module.default();
}
