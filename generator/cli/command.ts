/** What every subcommand of luo-abi looks like. */
import { relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes shared by every subcommand. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

export interface Command {
  readonly name: string;
  /** One line for `luo-abi --help`. */
  readonly summary: string;
  /** The full text of `luo-abi NAME --help`. */
  readonly help: string;
  run(args: string[]): Promise<number>;
}

/** A path as messages show it: relative to where luo-abi runs, `.` for that folder itself. */
export function displayPath(path: string): string {
  return relative(process.cwd(), resolve(path)) || '.';
}

/** Thrown for a bad command line; main prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with errors turned into UsageError. */
export function parseCommandLine<O extends Options>(command: string, args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}
