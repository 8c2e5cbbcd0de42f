/**
 * The errors library code throws for what is not a finding, each mapped by the CLI to one exit code:
 * InputError (and its kinds) 2, OutputError 2, InternalError (and any unexpected exception) 70.
 * Findings (a breaking change, a bad image) are results, not errors.
 */

/** What the user gave is wrong: a file, a schema, a lock file, a revision. The message says what and where. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  /** What `--debug` adds: how luo-abi got there (a command line it ran), never needed to fix the input. */
  readonly debugText: string | undefined;

  constructor(message: string, options?: ErrorOptions & { debugText?: string }) {
    super(message, options);
    this.debugText = options?.debugText;
  }
}

/** A bad command line: the CLI adds a pointer to the command's --help. */
export class UsageError extends InputError {
  override readonly name: string = 'UsageError';
}

/**
 * A tool the check runs (gcc, pahole) refused the input. The CLI shows the tool's own diagnostics
 * (file:line first) and keeps the command line for --debug.
 */
export class ToolError extends InputError {
  override readonly name: string = 'ToolError';
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    /** What the tool printed on stderr. */
    readonly diagnostics: string,
    what = `${tool} failed`,
  ) {
    super(what);
  }
}

/** An output cannot be written where it was asked for; nothing was written. */
export class OutputError extends Error {
  override readonly name: string = 'OutputError';
}

/** Something that should not happen did: a bug in luo-abi, never the user's input. */
export class InternalError extends Error {
  override readonly name: string = 'InternalError';
}

/** A Node system error in a few words, without the path its message repeats: `no such file or directory (ENOENT)`. */
export function systemReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, syscall } = error as NodeJS.ErrnoException;
  const text = syscall ? error.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '') : error.message;
  return code && !text.includes(code) ? `${text} (${code})` : text;
}
