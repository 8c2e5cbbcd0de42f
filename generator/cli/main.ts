/** luo-abi: dispatch to a subcommand; map errors to messages and exit codes. */
import { SchemaError } from '../model/index.ts';
import { OutputError } from '../write.ts';
import { EXIT, UsageError, type Command } from './command.ts';
import { commands } from './commands/index.ts';

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: luo-abi <command> [options]',
    '',
    'Schema-driven generator and ABI-drift guard for the Linux Live Update Orchestrator handover ABI',
    '(include/linux/kho/abi/luo.h).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `luo-abi <command> --help` for the options of one command.',
    'Exit codes: 0 success, 1 findings (stale files, breaking changes), 2 usage or schema error.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const out = name === undefined ? process.stderr : process.stdout;
    out.write(mainHelp() + '\n');
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`luo-abi: unknown command "${name}"; run \`luo-abi --help\` for the list\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help.trimEnd() + '\n');
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`luo-abi ${error.message}\nRun \`luo-abi ${command.name} --help\` for usage.\n`);
      return EXIT.usage;
    }
    if (error instanceof SchemaError) {
      process.stderr.write(`luo-abi ${command.name}: ${error.message}\nFix the schema; nothing was written.\n`);
      return EXIT.usage;
    }
    if (error instanceof OutputError) {
      process.stderr.write(`luo-abi ${command.name}: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
