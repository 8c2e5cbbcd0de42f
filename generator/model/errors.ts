import type { SourceLocation } from '../../schema/lang.ts';

/** What kind of schema mistake; stable, so tests and the checker can match on it. */
export type SchemaIssueCode =
  | 'not-a-schema'
  | 'duplicate-header'
  | 'duplicate-version'
  | 'unknown-current'
  | 'unknown-use'
  | 'use-cycle'
  | 'bad-identifier'
  | 'duplicate-constant'
  | 'redefined'
  | 'bad-constant'
  | 'undeclared-constant'
  | 'duplicate-type'
  | 'unknown-type'
  | 'undeclared-type'
  | 'declared-after-use'
  | 'empty-aggregate'
  | 'zero-length-array'
  | 'bad-bit-field'
  | 'misplaced-flexible-array'
  | 'nested-cycle'
  | 'pointer-to-nothing'
  | 'bad-pointer-field'
  | 'bad-block-size'
  | 'bad-container'
  | 'duplicate-node'
  | 'duplicate-property'
  | 'bad-property'
  | 'bad-guard'
  | 'unguarded-struct'
  | 'bad-doc';

export interface SchemaIssue {
  readonly code: SchemaIssueCode;
  /** Where, outermost first: ['luo', 'luo-v2', 'struct luo_ser', 'flbs_pa']. */
  readonly path: readonly string[];
  readonly message: string;
  readonly at?: SourceLocation;
}

export function formatIssue(issue: SchemaIssue): string {
  const where = issue.at ? ` (${issue.at.file}:${issue.at.line})` : '';
  return `${issue.path.join(' > ')}: ${issue.message}${where}`;
}

/** Collects every mistake found, so that one run reports them all. */
export class Issues {
  readonly list: SchemaIssue[] = [];
  private readonly seen = new Set<string>();
  /** Every report, repeats included: what a builder compares to tell whether its part failed. */
  reports = 0;

  add(code: SchemaIssueCode, path: readonly string[], message: string, at?: SourceLocation): void {
    this.reports++;
    // The same mistake seen at several page sizes is one mistake.
    const key = `${code}\0${path.join('\0')}\0${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ code, path, message, ...(at ? { at } : {}) });
  }

  get count(): number {
    return this.list.length;
  }
}

/** Thrown by buildModel when a schema has mistakes; carries every one found, not just the first. */
export class SchemaError extends Error {
  readonly issues: readonly SchemaIssue[];
  constructor(issues: readonly SchemaIssue[]) {
    super(
      `the schema has ${issues.length} error${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'SchemaError';
    this.issues = issues;
  }
}
