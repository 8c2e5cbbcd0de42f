/** Printing findings: for people (text), for tools (json) and for GitHub Actions (github). */
import type { Finding } from './finding.ts';

export const FORMATS = ['text', 'json', 'github'] as const;
export type Format = (typeof FORMATS)[number];

export interface CheckReport {
  /** What the schema (or header) was compared with. */
  readonly baseline: string;
  readonly findings: readonly Finding[];
  /** What a reader should know about how the check was made (where a macro's value came from). */
  readonly notes?: readonly string[];
}

export function counts(findings: readonly Finding[]): { errors: number; warnings: number } {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { errors, warnings: findings.filter((f) => f.severity === 'warning').length };
}

export function formatReport(report: CheckReport, format: Format): string {
  switch (format) {
    case 'text':
      return formatText(report);
    case 'json':
      return formatJson(report);
    case 'github':
      return formatGithub(report);
  }
}

function formatText(report: CheckReport): string {
  const { errors, warnings } = counts(report.findings);
  const lines = report.findings.map((f) => {
    const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : '';
    const values = f.old !== undefined || f.new !== undefined ? `\n    ${f.subject}: ${f.old ?? '(none)'} -> ${f.new ?? '(none)'}` : `\n    ${f.subject}`;
    const tail = f.acknowledged ? `\n    acknowledged: ${f.acknowledged}` : `\n    fix: ${f.fix}`;
    return `${where}${f.severity} ${f.rule} ${f.name}: ${f.message}${values}${tail}`;
  });
  const acknowledged = report.findings.length - errors - warnings;
  const summary =
    errors + warnings === 0
      ? `luo-abi check: no ABI drift against ${report.baseline}${acknowledged > 0 ? ` (${acknowledged} acknowledged, shown above)` : ''}`
      : `luo-abi check: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} against ${report.baseline}`;
  const notes = (report.notes ?? []).map((n) => `note: ${n}`);
  return [...lines, ...notes, summary].join('\n') + '\n';
}

/**
 * The JSON shape, stable: { format: 1, baseline, ok, errors, warnings, notes?, findings: [{ rule, name,
 * severity, version?, compatible?, subject, old?, new?, message, file?, line?, fix | acknowledged }] }:
 * a finding the schema acknowledges (severity "note") says why instead of how to fix it.
 */
function formatJson(report: CheckReport): string {
  const { errors, warnings } = counts(report.findings);
  const findings = report.findings.map((f) => ({
    rule: f.rule,
    name: f.name,
    severity: f.severity,
    ...(f.version !== undefined ? { version: f.version } : {}),
    ...(f.compatible !== undefined ? { compatible: f.compatible } : {}),
    subject: f.subject,
    ...(f.old !== undefined ? { old: f.old } : {}),
    ...(f.new !== undefined ? { new: f.new } : {}),
    message: f.message,
    ...(f.file !== undefined ? { file: f.file } : {}),
    ...(f.line !== undefined ? { line: f.line } : {}),
    ...(f.acknowledged !== undefined ? { acknowledged: f.acknowledged } : { fix: f.fix }),
  }));
  const notes = report.notes?.length ? { notes: report.notes } : {};
  return JSON.stringify({ format: 1, baseline: report.baseline, ok: errors === 0, errors, warnings, ...notes, findings }, null, 2) + '\n';
}

/** Workflow commands: https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions */
function formatGithub(report: CheckReport): string {
  // Notes stay out of the annotations: they would mark every run, drift or not.
  return report.findings
    .map((f) => {
      const properties = [
        ...(f.file ? [`file=${escapeProperty(f.file)}`] : []),
        ...(f.line ? [`line=${f.line}`] : []),
        `title=${escapeProperty(`${f.rule} ${f.name}`)}`,
      ].join(',');
      const values = f.old !== undefined || f.new !== undefined ? ` (${f.subject}: ${f.old ?? '(none)'} -> ${f.new ?? '(none)'})` : '';
      const after = f.acknowledged !== undefined ? ` Acknowledged: ${f.acknowledged}` : ` Fix: ${f.fix}`;
      return `::${f.severity === 'note' ? 'notice' : f.severity} ${properties}::${escapeData(`${f.message}${values}${after}`)}`;
    })
    .map((line) => `${line}\n`)
    .join('');
}

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
