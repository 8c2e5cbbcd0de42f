/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line). Each
 * module's default export runs its workloads and prints a table of rates and ratios to its peers,
 * all measured in this one run on this machine.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
