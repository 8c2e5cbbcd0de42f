/**
 * Whether out/ is still what `luo-abi generate` wrote, told without loading the emitters and making
 * every file again (the better part of a second). generate records in out/'s marker a digest of everything that
 * shapes the files (the generator, the templates, the schema's sources and the locked dependency
 * versions) and a digest of the files it wrote. When both still match, out/ is up to date; when
 * either differs, the caller regenerates in memory and compares file by file. A digest can send the
 * check down that slow path, never past a stale file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { GeneratedFile } from './emit/files.ts';
import { DEFAULT_LOCK, PROJECT_ROOT } from './core/paths.ts';
import { MARKER, readGenerated } from './write.ts';

/** Everything the generated files are made from, besides Node itself. */
const INPUTS = ['generator', 'templates', 'schema', 'package-lock.json'];
/** Under INPUTS but read by no emitter: `luo-abi lock` must not make out/ look stale. */
const NOT_INPUTS = new Set([relative(PROJECT_ROOT, DEFAULT_LOCK)]);

export function filesDigest(files: readonly GeneratedFile[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) hash.update(`${f.path}\0${f.content}\0`);
  return hash.digest('hex');
}

/** The digest of the project's inputs to generate, with the default schema. */
export function inputsDigest(root: string = PROJECT_ROOT): string {
  const files: GeneratedFile[] = [];
  const add = (path: string): void => {
    const full = join(root, path);
    // Dot files (an editor's swap file) are no input, and would differ from one checkout to another.
    if (!existsSync(full) || path.split('/').at(-1)!.startsWith('.') || NOT_INPUTS.has(path)) return;
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full)) add(join(path, entry));
    } else {
      files.push({ path: relative(root, full).split('\\').join('/'), content: readFileSync(full, 'utf8') });
    }
  };
  for (const input of INPUTS) add(input);
  return filesDigest(files);
}

/** The lines generate adds to the marker. */
export function recordLines(inputs: string, files: readonly GeneratedFile[]): string {
  return `inputs ${inputs}\noutputs ${filesDigest(files)}\n`;
}

/** Whether `outDir` holds exactly the files generate wrote there from these inputs. */
export function recordedFresh(outDir: string, inputs: string): boolean {
  const marker = join(outDir, MARKER);
  if (!existsSync(marker)) return false;
  const text = readFileSync(marker, 'utf8');
  const recorded = (name: string) => new RegExp(`^${name} ([0-9a-f]{64})$`, 'm').exec(text)?.[1];
  return recorded('inputs') === inputs && recorded('outputs') === filesDigest(readGenerated(outDir));
}
