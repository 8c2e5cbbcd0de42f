import { EXIT } from '../../core/exit-codes.ts';
import { DEFAULT_OUT, displayPath } from '../../core/paths.ts';
import { loadModel } from '../../core/schema.ts';
import { inputsDigest, recordedFresh, recordLines } from '../../freshness.ts';
import { MARKER, assertReplaceable, compareWithDisk, isClean, writeAtomically } from '../../write.ts';
import { parseCommandLine, type Command } from '../command.ts';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'write luo.h for every version, the TypeScript codecs and the docs into out/',
  help: `Usage: luo-abi generate [--out DIR] [--schema FILE] [--check]

Generate every file from the schema: out/luo.h (the current version), out/<version>/luo.h for each
version, the TypeScript codecs and the reference docs.

Options:
  --out DIR      output directory (default: the project's out/)
  --schema FILE  schema module to read (default: the project's schema/index.ts)
  --check        write nothing; exit 1 and name each stale, missing or extra file when DIR differs
                 from what the schema gives
  -h, --help     show this help

The output directory is replaced as a whole, atomically: on any error nothing is written.
Exit codes: 0 written or up to date, 1 stale (--check), 2 usage or schema error, or DIR cannot be written.`,
  async run(args) {
    const { values } = parseCommandLine(args, {
      out: { type: 'string' },
      schema: { type: 'string' },
      check: { type: 'boolean' },
    });
    const outDir = values.out ?? DEFAULT_OUT;
    if (!values.check) assertReplaceable(outDir);
    const model = await loadModel(values.schema);
    // The emitters pull in ts-morph and prettier: load them only when generating, not for every command.
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
