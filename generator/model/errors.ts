import type { SourceLocation } from '../../schema/lang.ts';

/** What kind of schema mistake; stable, so tests and the checker can match on it. */
export type SchemaIssueCode =
  | 'duplicate-version'
  | 'unknown-current'
  | 'bad-identifier'
  | 'duplicate-constant'
  | 'bad-constant'
  | 'undeclared-constant'
  | 'duplicate-type'
  | 'unknown-type'
  | 'undeclared-type'
  | 'declared-after-use'
  | 'empty-aggregate'
  | 'zero-length-array'
  | 'misplaced-flexible-array'
  | 'nested-cycle'
  | 'pointer-to-nothing'
  | 'bad-pointer-field'
  | 'bad-block-size'
  | 'duplicate-node'
  | 'duplicate-property'
  | 'bad-property'
  | 'unguarded-struct'
  | 'bad-doc';

export interface SchemaIssue {
  readonly code: SchemaIssueCode;
  /** Where, outermost first: ['luo-v2', 'struct luo_ser', 'flbs_pa']. */
  readonly path: readonly string[];
  readonly message: string;
  readonly at?: SourceLocation;
}

export function formatIssue(issue: SchemaIssue): string {
  const where = issue.at ? ` (${issue.at.file}:${issue.at.line})` : '';
  return `${issue.path.join(' > ')}: ${issue.message}${where}`;
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
