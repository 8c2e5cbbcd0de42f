/**
 * Printing preflight verdicts: for people (text), for tools (json), for GitHub Actions (github); and
 * for a fleet, the matrix of which kernel can live-update to which (text, json, and an HTML page in
 * the look of the docs).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Handlebars from 'handlebars';
import { escapeData, escapeProperty, type Format } from '../check/format.ts';
import type { PreflightReport, Verdict } from './verdict.ts';

const TEMPLATE = resolve(import.meta.dirname, '../../templates/preflight/matrix.html.hbs');

export function formatPreflight(report: PreflightReport, format: Format): string {
  switch (format) {
    case 'text':
      return preflightText(report);
    case 'json':
      return JSON.stringify({ format: 1, ...reportJson(report) }, null, 2) + '\n';
    case 'github':
      return preflightGithub(report);
  }
}

function counts(verdicts: readonly Verdict[]): string {
  const of = (o: Verdict['outcome']) => verdicts.filter((v) => v.outcome === o).length;
  return [`${of('refused')} refused`, `${of('unknown')} unknown`, `${of('accepted')} accepted`].filter((t) => !t.startsWith('0 ')).join(', ') || 'nothing to hand over';
}

function preflightText(report: PreflightReport): string {
  const lines = [`luo-abi preflight: ${report.from.name} (${report.from.kind}) -> ${report.to.name} (${report.to.kind})`];
  for (const v of report.verdicts) {
    lines.push(`${v.outcome.padEnd(8)} ${v.title}`);
    lines.push(`         hands over: ${v.handsOver}${v.fromVersion ? ` [${v.fromVersion}]` : ''}`);
    if (v.accepts) lines.push(`         accepts:    ${v.accepts}${v.toVersion ? ` [${v.toVersion}]` : ''}`);
    for (const reason of v.reasons) lines.push(`         why:        ${reason}`);
    if (v.ignored.length > 0) lines.push(`         ignored:    ${v.ignored.join(', ')} (used, not required; the next kernel does not know them)`);
    if (v.lost) lines.push(`         lost:       ${v.lost}`);
    for (const d of v.differences) lines.push(`         layout:     ${d}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push(`luo-abi preflight: ${report.ok ? 'every subsystem is accepted' : 'the live update would lose state'} (${counts(report.verdicts)})`);
  return lines.join('\n') + '\n';
}

/**
 * The JSON shape, stable: { format: 1, from: { name, kind }, to, ok, verdicts: [{ key, title, outcome,
 * handsOver, accepts?, reasons, ignored, lost?, differences, fromVersion?, toVersion? }], notes }.
 */
function reportJson(report: PreflightReport) {
  return {
    from: report.from,
    to: report.to,
    ok: report.ok,
    verdicts: report.verdicts.map((v) => ({
      key: v.key,
      title: v.title,
      outcome: v.outcome,
      handsOver: v.handsOver,
      ...(v.accepts !== undefined ? { accepts: v.accepts } : {}),
      reasons: v.reasons,
      ignored: v.ignored,
      ...(v.lost !== undefined ? { lost: v.lost } : {}),
      differences: v.differences,
      ...(v.fromVersion !== undefined ? { fromVersion: v.fromVersion } : {}),
      ...(v.toVersion !== undefined ? { toVersion: v.toVersion } : {}),
    })),
    notes: report.notes,
  };
}

function preflightGithub(report: PreflightReport): string {
  return report.verdicts
    .filter((v) => v.outcome !== 'accepted')
    .map((v) => {
      const title = escapeProperty(`preflight ${report.from.name} -> ${report.to.name}: ${v.key} ${v.outcome}`);
      const text = [...v.reasons, ...(v.lost ? [`Lost: ${v.lost}`] : []), ...v.differences.map((d) => `Layout: ${d}`)].join(' ');
      return `::error title=${title}::${escapeData(text)}\n`;
    })
    .join('');
}

// -----------------------------------------------------------------------------------------------
// The matrix

export interface Matrix {
  readonly kernels: readonly { readonly name: string; readonly kind: string }[];
  /** Every ordered pair of different kernels, row by row. */
  readonly pairs: readonly PreflightReport[];
}

export const MATRIX_FORMATS = ['text', 'json', 'html'] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

export function formatMatrix(matrix: Matrix, format: MatrixFormat): string {
  switch (format) {
    case 'text':
      return matrixText(matrix);
    case 'json':
      return JSON.stringify({ format: 1, kernels: matrix.kernels, ok: matrix.pairs.every((p) => p.ok), pairs: matrix.pairs.map(reportJson) }, null, 2) + '\n';
    case 'html':
      return matrixHtml(matrix);
  }
}

function pairOf(matrix: Matrix, from: string, to: string): PreflightReport | undefined {
  return matrix.pairs.find((p) => p.from.name === from && p.to.name === to);
}

/** One cell: `yes`, or what would be refused. */
function cellText(report: PreflightReport | undefined): string {
  if (!report) return '-';
  if (report.ok) return 'yes';
  return `no: ${report.verdicts.filter((v) => v.outcome !== 'accepted').map((v) => `${v.key}${v.outcome === 'unknown' ? '?' : ''}`).join(',')}`;
}

function matrixText(matrix: Matrix): string {
  const names = matrix.kernels.map((k) => k.name);
  const header = ['from \\ to', ...names];
  const rows = names.map((from) => [from, ...names.map((to) => cellText(pairOf(matrix, from, to)))]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const refused = matrix.pairs.filter((p) => !p.ok).length;
  return [line(header), ...rows.map(line), `luo-abi preflight: ${matrix.pairs.length - refused} of ${matrix.pairs.length} updates accepted`].join('\n') + '\n';
}

let template: HandlebarsTemplateDelegate | undefined;

function matrixHtml(matrix: Matrix): string {
  template ??= Handlebars.create().compile(readFileSync(TEMPLATE, 'utf8'), { strict: true });
  const names = matrix.kernels.map((k) => k.name);
  const accepted = matrix.pairs.filter((p) => p.ok).length;
  return template({
    title: 'Live update pre-flight',
    summary: `${accepted} of ${matrix.pairs.length} updates accepted between ${names.length} kernels`,
    kernels: matrix.kernels,
    rows: names.map((from, i) => ({
      from,
      cells: names.map((to, j) => {
        const report = pairOf(matrix, from, to);
        const id = `pair-${i}-${j}`;
        if (!report) return { self: true, id, ok: true, text: '', refused: '' };
        return { self: false, id, ok: report.ok, text: report.ok ? 'yes' : 'no', refused: report.verdicts.filter((v) => v.outcome !== 'accepted').map((v) => v.key).join(', ') };
      }),
    })),
    details: matrix.pairs.map((report) => ({
      id: `pair-${names.indexOf(report.from.name)}-${names.indexOf(report.to.name)}`,
      from: report.from.name,
      to: report.to.name,
      ok: report.ok,
      verdicts: report.verdicts.map((v) => ({ ...v, accepts: v.accepts ?? '', lost: v.lost ?? '', accepted: v.outcome === 'accepted' })),
    })),
  });
}
