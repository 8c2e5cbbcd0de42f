/** The exit codes every command shares (the README and each --help say the same). */
export const EXIT = {
  /** Done; for check, no error (warnings may be printed). */
  ok: 0,
  /** Findings: stale files, a breaking change without a bump, a bad image or state. */
  findings: 1,
  /** A bad command line or input (schema, lock file, revision, header) or an output that cannot be written. */
  usage: 2,
  /** An internal error: a bug in luo-abi (BSD sysexits' EX_SOFTWARE). */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
