import { join } from 'node:path';
import { EXIT } from '../../core/exit-codes.ts';
import { UsageError } from '../../core/errors.ts';
import { DEFAULT_OUT, displayPath } from '../../core/paths.ts';
import { loadModel } from '../../core/schema.ts';
import { inputsDigest, recordedFresh, recordLines } from '../../freshness.ts';
import { kernelTreeFiles, KERNEL_ABI_DIR, planKernelTree, writeKernelTree, type TreeFileState } from '../../kernel-tree.ts';
import type { Model } from '../../model/index.ts';
import { MARKER, assertReplaceable, compareWithDisk, isClean, writeAtomically } from '../../write.ts';
import { parseCommandLine, type Command } from '../command.ts';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'write every header of every version, the TypeScript codecs and the docs into out/',
  help: `Usage: luo-abi generate [--out DIR] [--schema FILE] [--check]
       luo-abi generate --kernel-tree PATH [--force | --check] [--schema FILE]

Generate every file from the schema: each header's current version where a kernel tree has it
(out/include/linux/kho/abi/<header>.h), every version of every header (out/<header>/<version>/),
the TypeScript codecs (out/ts/) and the reference docs (out/docs/).

Options:
  --out DIR      output directory (default: the project's out/)
  --schema FILE  schema module to read (default: the project's schema/index.ts)
  --check        write nothing; exit 1 and name each stale, missing or extra file when DIR differs
                 from what the schema gives
  --kernel-tree PATH
                 write the newest headers into the kernel tree at PATH, at ${KERNEL_ABI_DIR}/ (and
                 nothing else); with --check, exit 1 with a unified diff when they differ
  --force        with --kernel-tree: replace a header luo-abi did not write or that was edited by hand
  -h, --help     show this help

The output directory is replaced as a whole, atomically: on any error nothing is written. In a kernel
tree, a header luo-abi did not write (no "luo-abi seal" line) or one changed by hand since is left as
it is, and the diff of what would change is printed: exit 1, nothing written (--force takes it).
Exit codes: 0 written or up to date, 1 stale (--check) or refused, 2 usage or schema error, or DIR
cannot be written, 70 internal error.`,
  async run(args) {
    const { values } = parseCommandLine(args, {
      out: { type: 'string' },
      schema: { type: 'string' },
      check: { type: 'boolean' },
      'kernel-tree': { type: 'string' },
      force: { type: 'boolean' },
    });
    const tree = values['kernel-tree'];
    if (tree !== undefined) {
      if (values.out !== undefined) throw new UsageError('--out and --kernel-tree are two destinations; give one');
      if (values.force && values.check) throw new UsageError('--check writes nothing; --force does not apply');
      return generateIntoKernelTree(tree, await loadModel(values.schema), values);
    }
    if (values.force) throw new UsageError('--force applies to --kernel-tree only');
    const outDir = values.out ?? DEFAULT_OUT;
    if (!values.check) assertReplaceable(outDir);
    const model = await loadModel(values.schema);
    // Loaded here, not at the top: --kernel-tree needs only the C emitter.
    const { generateFiles } = await import('../../generate.ts');
    const files = await generateFiles(model);
    const shown = displayPath(outDir);
    if (values.check) {
      const report = compareWithDisk(outDir, files);
      // The marker's digests are what lets `luo-abi check` skip regenerating; they are kept current too.
      const markerStale = values.schema === undefined && isClean(report) && !recordedFresh(outDir, inputsDigest());
      if (markerStale) report.changed.push(MARKER);
      if (isClean(report)) {
        process.stdout.write(`${shown}: ${files.length} files up to date\n`);
        return EXIT.ok;
      }
      for (const path of report.changed) {
        const why = path === MARKER ? 'records the digests of other inputs (the generator, templates, schema or dependencies changed)' : 'differs from what the schema gives';
        process.stderr.write(`stale: ${shown}/${path} ${why}\n`);
      }
      for (const path of report.missing) process.stderr.write(`missing: ${shown}/${path}\n`);
      for (const path of report.extra) process.stderr.write(`extra: ${shown}/${path} is no longer generated\n`);
      process.stderr.write('Run `npm run generate` (luo-abi generate) and commit out/.\n');
      return EXIT.findings;
    }
    // The digests that let `luo-abi check` skip regenerating, for the project's own schema only.
    writeAtomically(outDir, files, values.schema === undefined ? recordLines(inputsDigest(), files) : '');
    process.stdout.write(`wrote ${files.length} files to ${shown}\n`);
    return EXIT.ok;
  },
};

const WHY = {
  missing: 'is missing',
  ours: 'is stale',
  'edited by hand': 'was changed by hand since luo-abi wrote it (its luo-abi seal no longer matches)',
  'not ours': 'was not written by luo-abi (it has no luo-abi seal)',
} as const;

async function generateIntoKernelTree(tree: string, model: Model, options: { check?: boolean | undefined; force?: boolean | undefined }): Promise<number> {
  const files = kernelTreeFiles(model);
  const plans = planKernelTree(tree, files);
  const shown = (path: string) => displayPath(join(tree, path));
  const differing = plans.filter((p) => p.state !== 'up to date');
  if (differing.length === 0) {
    process.stdout.write(`${plans.map((p) => shown(p.path)).join(', ')}: up to date\n`);
    return EXIT.ok;
  }
  const refused = options.force ? [] : differing.filter((p) => p.state === 'not ours' || p.state === 'edited by hand');
  if (options.check || refused.length > 0) {
    for (const p of differing) process.stdout.write(p.diff);
    for (const p of options.check ? differing : refused) {
      const why = WHY[p.state as Exclude<TreeFileState, 'up to date'>];
      process.stderr.write(`${shown(p.path)} ${why}${options.check ? '' : '; not overwritten'}\n`);
    }
    process.stderr.write(
      options.check
        ? 'The diff above is what `luo-abi generate --kernel-tree` would change.\n'
        : 'The diff above is what would change; nothing was written. Run again with --force to replace it.\n',
    );
    return EXIT.findings;
  }
  writeKernelTree(tree, files, plans);
  process.stdout.write(`wrote ${differing.map((p) => shown(p.path)).join(', ')}\n`);
  return EXIT.ok;
}
