/**
 * Writing generated files: all or nothing. The new tree is built beside the output directory and
 * swapped in with renames, so a failure leaves the old out/ exactly as it was. A run killed half way
 * leaves at most a `.tmp-PID` or `.old-PID` directory beside it, which the next run clears away (and
 * an out/ killed between the two renames is brought back from its `.old-PID`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InputError, OutputError, systemReason } from './core/errors.ts';
import { displayPath } from './core/paths.ts';
import type { GeneratedFile } from './emit/files.ts';

/** Marks a directory as luo-abi's, so that generate never replaces a directory it did not write. */
export const MARKER = '.luo-abi-generated';
const MARKER_TEXT = 'Every file in this directory is written by `luo-abi generate` from the schema; edit the schema instead.\n';

/** Throws unless `outDir` is absent, empty, or was written by luo-abi; cheap, so call it before generating. */
export function assertReplaceable(outDir: string): void {
  const target = resolve(outDir);
  if (!existsSync(target)) {
    assertCreatable(dirname(target), outDir);
    return;
  }
  if (!statSync(target).isDirectory()) throw new OutputError(`${displayPath(outDir)} exists and is not a directory; choose another --out`);
  if (readdirSync(target).length > 0 && !existsSync(join(target, MARKER))) {
    throw new OutputError(`${displayPath(outDir)} holds files luo-abi did not write (no ${MARKER}); choose an empty or new --out directory`);
  }
}

/** Throws unless `dir` is a directory or can be made one: the nearest existing ancestor must be a directory. */
function assertCreatable(dir: string, asked: string): void {
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) {
    throw new OutputError(`cannot make ${displayPath(asked)}: ${displayPath(existing)} is a file, not a directory`);
  }
}

/**
 * mkdir -p, one level at a time. Node's recursive mkdir never returns where mkdir says ENOENT for a
 * directory whose parent exists (in /proc): here that is an error, like any other.
 */
function makeDirectories(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new OutputError(`cannot make ${displayPath(dir)}: it exists and is not a directory`);
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) makeDirectories(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    throw new OutputError(`cannot make the directory ${displayPath(dir)}: ${systemReason(error)}`);
  }
}

/** `record`: lines added to the marker (freshness.ts's digests). */
export function writeAtomically(outDir: string, files: readonly GeneratedFile[], record = ''): void {
  assertReplaceable(outDir);
  const target = resolve(outDir);
  makeDirectories(dirname(target));
  clearInterrupted(target);
  const staging = `${target}.tmp-${process.pid}`;
  const old = `${target}.old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    makeDirectories(staging);
    for (const f of [...files, { path: MARKER, content: MARKER_TEXT + record }]) {
      const path = join(staging, f.path);
      makeDirectories(dirname(path));
      writeFileSync(path, f.content);
    }
    if (existsSync(target)) renameSync(target, old);
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(target)) renameSync(old, target);
    if (error instanceof OutputError) throw error;
    throw new OutputError(`cannot write ${displayPath(outDir)}: ${systemReason(error)}; nothing was changed`, { cause: error });
  }
  rmSync(old, { recursive: true, force: true });
}

/**
 * What an interrupted run left beside `target`: `.tmp-PID` (a tree being written) and `.old-PID`
 * (the tree it replaced) of a luo-abi that is no longer running. Both go; an `.old-PID` with no
 * `target` beside it is the last complete tree, killed between the two renames, and comes back.
 */
function clearInterrupted(target: string): void {
  const name = basename(target);
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(tmp|old)-(\\d+)$`);
  for (const entry of readdirSync(dirname(target))) {
    const match = pattern.exec(entry);
    if (!match || isRunning(Number(match[2]))) continue;
    const path = join(dirname(target), entry);
    if (match[1] === 'old' && !existsSync(target) && existsSync(join(path, MARKER))) renameSync(path, target);
    else rmSync(path, { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  if (existsSync(target) && !statSync(target).isDirectory()) throw new InputError(`${displayPath(outDir)} is not a directory; --out names the directory of generated files`);
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
