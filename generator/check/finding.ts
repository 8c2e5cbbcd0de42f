/** What a rule reports, and what a rule is. */
import type { CheckContext } from './context.ts';

/** A note is a finding the schema acknowledges (upstream released it so): shown, never failing. */
export type Severity = 'error' | 'warning' | 'note';

export interface Finding {
  /** Stable ID, e.g. LUO001. */
  readonly rule: string;
  /** Stable name, e.g. layout-changed-without-bump. */
  readonly name: string;
  readonly severity: Severity;
  /** The schema version (or header) the finding is about. */
  readonly version?: string;
  /** The compatible string concerned: `LUO_FDT_COMPATIBLE "luo-v4"`. */
  readonly compatible?: string;
  /** The struct, field, node or property: 'struct luo_ser > flbs_pa'. */
  readonly subject: string;
  readonly old?: string;
  readonly new?: string;
  readonly message: string;
  /** Where it is written, relative to the repository. */
  readonly file?: string;
  readonly line?: number;
  readonly fix: string;
  /** Why the schema records this as upstream released it (the version's acknowledgement). */
  readonly acknowledged?: string;
  /**
   * Found against the version's own released form (an edit in place): the version's
   * acknowledgements do not cover it, for upstream released the form the baseline records.
   */
  readonly inPlace?: boolean;
}

export interface Rule {
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  /** One sentence for `luo-abi check --help` and the README. */
  readonly description: string;
  check(context: CheckContext): Finding[];
}

/** The next value of a compatible string: luo-v4 -> luo-v5, luo-session-v2 -> luo-session-v3. */
export function nextValue(value: string): string {
  const match = /^(.*?)(\d+)$/.exec(value);
  return match ? `${match[1]}${Number(match[2]) + 1}` : `${value}-v2`;
}

/** The trailing number of a compatible string, if it has one. */
export function valueNumber(value: string): number | undefined {
  const match = /(\d+)$/.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** `next`: the value to bump to, one never released (unusedValue). */
export function bumpFix(macro: string, value: string, next: string, covering: readonly string[] = [], then = 'then run `luo-abi lock`'): string {
  const also = covering.length > 0 ? ` (a bump of ${covering.join(' or ')}, which enclose it, covers it too)` : '';
  return `bump ${macro} from "${value}" to "${next}"${also}, ${then}`;
}

export function compatibleText(macro: string, value: string): string {
  return `${macro} "${value}"`;
}

/** A finding of `rule`: its ID, name and severity come from the rule itself, never typed again. */
export function reportOf(rule: Pick<Rule, 'id' | 'name' | 'severity'>, details: Omit<Finding, 'rule' | 'name' | 'severity'>): Finding {
  return { rule: rule.id, name: rule.name, severity: rule.severity, ...details };
}
