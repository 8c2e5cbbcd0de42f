/**
 * luo-abi: dispatch to a subcommand, and map what it throws to a message and an exit code: a bad
 * command line or input 2, an output that cannot be written 2, anything unexpected 70 with one line
 * asking for a report (the stack only under --debug). Nothing here is a stack trace by default.
 */
import { InputError, InternalError, OutputError, ToolError, UsageError } from '../core/errors.ts';
import { EXIT } from '../core/exit-codes.ts';
import { SchemaError } from '../model/index.ts';
import type { Command } from './command.ts';
import { commands as commandEntries } from './commands/index.ts';

async function mainHelp(): Promise<string> {
  const commands = await Promise.all(commandEntries.map((c) => c.load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: luo-abi [--debug] <command> [options]',
    '',
    'Schema-driven generator and ABI-drift guard for the Kexec HandOver ABI headers of Linux',
    '(include/linux/kho/abi/: kexec_handover.h, block.h, compat.h, luo.h).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `luo-abi <command> --help` for the options of one command.',
    '--debug (before or after the command) adds to an error what luo-abi knows of it: the stack of an',
    'internal error, the command line of a tool that failed.',
    '',
    'Exit codes: 0 success, 1 findings (stale files, breaking changes, a bad image), 2 usage or input',
    'error (command line, schema, lock file, revision, header, an output that cannot be written),',
    '70 internal error (a bug in luo-abi: please report it).',
  ].join('\n');
}

/** Runs luo-abi with `argv` (without node and the script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // --debug is global: anywhere before a `--` that ends the options.
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const debug = argv.slice(0, end).includes('--debug');
  const args = debug ? argv.filter((a, i) => i >= end || a !== '--debug') : argv;
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const out = name === undefined ? process.stderr : process.stdout;
    out.write((await mainHelp()) + '\n');
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = commandEntries.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`luo-abi: unknown command "${name}"; run \`luo-abi --help\` for the list\n`);
    return EXIT.usage;
  }
  const command: Command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help.trimEnd() + '\n');
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const failure = describeFailure(error, debug);
    process.stderr.write(`luo-abi ${command.name}: ${failure.text.trimEnd()}\n`);
    if (failure.kind === 'usage') process.stderr.write(`Run \`luo-abi ${command.name} --help\` for usage.\n`);
    if (command.jsonErrors?.(rest)) {
      const message = failure.text.split('\n')[0]!;
      process.stdout.write(JSON.stringify({ format: 1, ok: false, error: { kind: failure.kind, exitCode: failure.code, message } }, null, 2) + '\n');
    }
    return failure.code;
  }
}

export type FailureKind = 'usage' | 'input' | 'output' | 'internal';

interface Failure {
  readonly kind: FailureKind;
  readonly code: number;
  /** What to print after `luo-abi NAME: `; its first line says it all. */
  readonly text: string;
}

function describeFailure(error: unknown, debug: boolean): Failure {
  if (error instanceof UsageError) return { kind: 'usage', code: EXIT.usage, text: error.message };
  if (error instanceof ToolError) return { kind: 'input', code: EXIT.usage, text: toolFailure(error, debug) };
  if (error instanceof InputError) {
    return { kind: 'input', code: EXIT.usage, text: error.message + (debug ? `${error.debugText ? `\n${error.debugText}` : ''}${causeStack(error)}` : '') };
  }
  if (error instanceof SchemaError) return { kind: 'input', code: EXIT.usage, text: `${error.message}\nFix the schema; nothing was written.` };
  if (error instanceof OutputError) return { kind: 'output', code: EXIT.usage, text: error.message };
  const what = error instanceof Error ? `${error instanceof InternalError ? '' : `${error.name}: `}${error.message.split('\n')[0]}` : String(error);
  const stack = debug && error instanceof Error ? `\n${error.stack ?? ''}${causeStack(error)}` : '';
  return {
    kind: 'internal',
    code: EXIT.internal,
    text: `internal error (${what}); this is a bug in luo-abi: please report it with the command${debug ? ' and this output' : ' and what `--debug` prints'}${stack}`,
  };
}

function causeStack(error: Error): string {
  return error.cause instanceof Error ? `\ncaused by: ${error.cause.stack ?? error.cause.message}` : '';
}

/**
 * A tool's diagnostics with the ones that name a place (`file:line:col: error: ...`) first; the
 * command line only under --debug.
 */
function toolFailure(error: ToolError, debug: boolean): string {
  const lines = error.diagnostics.split('\n').filter((line) => line.trim() !== '');
  const placed = lines.filter((line) => /^[^\s:][^:]*:\d+(:\d+)?: (fatal )?error: /.test(line));
  const rest = lines.filter((line) => !placed.includes(line));
  const shown = [...placed, ...rest].slice(0, 40);
  const commandLine = debug ? `\ncommand line: ${error.tool} ${error.args.join(' ')}` : '';
  return `${shown.join('\n') || '(no message)'}\n${error.message}${debug ? '' : ' (--debug shows its command line)'}${commandLine}`;
}
