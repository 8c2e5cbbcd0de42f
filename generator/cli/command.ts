/** What every subcommand of luo-abi looks like, and its command line. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.ts';

export interface Command {
  readonly name: string;
  /** One line for `luo-abi --help`. */
  readonly summary: string;
  /** The full text of `luo-abi NAME --help`. */
  readonly help: string;
  run(args: string[]): Promise<number>;
  /** Whether a failed run must also print a JSON error object on stdout (`--format json`). */
  jsonErrors?(args: readonly string[]): boolean;
}

/** Whether the command line asks for `--format json` (read without parsing, so that a bad line still gets JSON). */
export function asksForJson(args: readonly string[]): boolean {
  return args.some((a, i) => a === '--format=json' || (a === '--format' && args[i + 1] === 'json'));
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, strict, with what it lets through refused too: an option that takes one value
 * given twice (parseArgs keeps the last, silently), and an empty value (`--against ""` would otherwise
 * read as no --against at all). Every mistake is a UsageError.
 */
export function parseCommandLine<O extends Options>(args: string[], options: O, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals, strict: true, tokens: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name]!;
    if (!option.multiple && seen.has(token.name)) throw new UsageError(`--${token.name} is given twice; give it once`);
    seen.add(token.name);
    if (option.type === 'string' && token.value === '') throw new UsageError(`--${token.name} needs a value, not an empty string`);
  }
  return parsed;
}
