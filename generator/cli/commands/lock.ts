import { formatReport } from '../../check/format.ts';
import { lockSchema } from '../../check/run.ts';
import { EXIT } from '../../core/exit-codes.ts';
import { DEFAULT_LOCK, displayPath } from '../../core/paths.ts';
import { parseCommandLine, type Command } from '../command.ts';

export const lockCommand: Command = {
  name: 'lock',
  summary: 'record the layout of every new compatible string in schema/abi.lock.json',
  help: `Usage: luo-abi lock [--schema FILE] [--lock FILE]

Add every compatible string the schema uses that the lock file lacks, with its canonical layout, and
record which versions use each one; add every version guarded by feature bits that the lock lacks,
with its bits, its masks, which bits each struct and field needs, and the layouts the bits cover. A layout already in the lock file is never changed: when the
schema changes a locked layout (the errors \`luo-abi check\` reports), lock writes nothing and exits 1.

Options:
  --schema FILE  schema module to read (default: the project's schema/index.ts)
  --lock FILE    lock file to update or create (default: schema/abi.lock.json)
  -h, --help     show this help

Exit codes: 0 written or already complete, 1 refused, 2 usage error, or a bad schema or lock file.`,
  async run(args) {
    const { values } = parseCommandLine(args, { schema: { type: 'string' }, lock: { type: 'string' } });
    const result = await lockSchema({
      ...(values.schema ? { schemaPath: values.schema } : {}),
      ...(values.lock ? { lockPath: values.lock } : {}),
    });
    const shown = displayPath(values.lock ?? DEFAULT_LOCK);
    if (!result.written) {
      const errors = result.findings.filter((f) => f.severity === 'error');
      process.stderr.write(formatReport({ baseline: String(shown), findings: errors }, 'text'));
      process.stderr.write(`luo-abi lock: ${shown} not changed: a locked layout would change; bump the compatible string instead.\n`);
      return EXIT.findings;
    }
    for (const entry of result.added) process.stdout.write(`locked ${entry.key}\n`);
    for (const entry of result.addedFeatures) process.stdout.write(`locked ${entry.header}@${entry.version}: ${entry.subsystem} features\n`);
    const added = [
      ...(result.added.length > 0 ? [`${result.added.length} compatible string${result.added.length === 1 ? '' : 's'}`] : []),
      ...(result.addedFeatures.length > 0 ? [`${result.addedFeatures.length} feature-guarded version${result.addedFeatures.length === 1 ? '' : 's'}`] : []),
    ];
    process.stdout.write(`${shown}: ${added.length === 0 ? 'already up to date' : `${added.join(' and ')} added`}\n`);
    return EXIT.ok;
  },
};
