/**
 * Writing generated files: all or nothing. The new tree is built beside the output directory and
 * swapped in with renames, so a failure leaves the old out/ exactly as it was.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { GeneratedFile } from './emit/files.ts';

/** Marks a directory as luo-abi's, so that generate never replaces a directory it did not write. */
export const MARKER = '.luo-abi-generated';
const MARKER_TEXT = 'Every file in this directory is written by `luo-abi generate` from the schema; edit the schema instead.\n';

export class OutputError extends Error {}

/** Throws unless `outDir` is absent, empty, or was written by luo-abi; cheap, so call it before generating. */
export function assertReplaceable(outDir: string): void {
  const target = resolve(outDir);
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new OutputError(`${outDir} exists and is not a directory; choose another --out`);
  if (readdirSync(target).length > 0 && !existsSync(join(target, MARKER))) {
    throw new OutputError(`${outDir} holds files luo-abi did not write (no ${MARKER}); choose an empty or new --out directory`);
  }
}

/** `record`: lines added to the marker (freshness.ts's digests). */
export function writeAtomically(outDir: string, files: readonly GeneratedFile[], record = ''): void {
  assertReplaceable(outDir);
  const target = resolve(outDir);
  const staging = `${target}.tmp-${process.pid}`;
  const old = `${target}.old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const f of [...files, { path: MARKER, content: MARKER_TEXT + record }]) {
      const path = join(staging, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
    mkdirSync(dirname(target), { recursive: true });
    if (existsSync(target)) renameSync(target, old);
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(target)) renameSync(old, target);
    throw error;
  }
  rmSync(old, { recursive: true, force: true });
}

export interface StaleReport {
  /** Files whose content differs from what the schema gives. */
  readonly changed: string[];
  /** Files the schema gives that are not on disk. */
  readonly missing: string[];
  /** Files on disk that the schema no longer gives. */
  readonly extra: string[];
}

export function compareWithDisk(outDir: string, files: readonly GeneratedFile[]): StaleReport {
  const report: StaleReport = { changed: [], missing: [], extra: [] };
  const target = resolve(outDir);
  const expected = new Set(files.map((f) => f.path));
  for (const f of files) {
    const path = join(target, f.path);
    if (!existsSync(path)) report.missing.push(f.path);
    else if (readFileSync(path, 'utf8') !== f.content) report.changed.push(f.path);
  }
  for (const path of listFiles(target)) if (path !== MARKER && !expected.has(path)) report.extra.push(path);
  return report;
}

/** Every file in `outDir` but the marker, as it is on disk. */
export function readGenerated(outDir: string): GeneratedFile[] {
  const target = resolve(outDir);
  return listFiles(target)
    .filter((path) => path !== MARKER)
    .map((path) => ({ path, content: readFileSync(join(target, path), 'utf8') }));
}

export function isClean(report: StaleReport): boolean {
  return report.changed.length + report.missing.length + report.extra.length === 0;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}
