/**
 * `luo-abi generate --kernel-tree PATH`: the newest generated headers, written where they live in a
 * kernel tree (include/linux/kho/abi/), and nothing else there. A header luo-abi did not write, or one
 * changed by hand since, is never replaced without --force; `--check` is kernel CI's
 * regenerate-and-diff.
 *
 * What luo-abi wrote is told by a seal: one comment line holding a digest of the rest of the file.
 * A header without it was not written by luo-abi; one whose digest no longer matches was edited since.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderCHeader } from './emit/c/index.ts';
import { REGENERATE_LINE } from './emit/c/view.ts';
import type { GeneratedFile } from './emit/files.ts';
import type { Model } from './model/index.ts';
import { OutputError } from './core/errors.ts';

/** Where the generated headers go in a kernel tree. */
export const KERNEL_ABI_DIR = 'include/linux/kho/abi';

/** The line of every generated header that says how to regenerate it; the seal goes after it. */
const REGENERATE = REGENERATE_LINE;
const SEAL = /^ \* luo-abi seal: ([0-9a-f]{16})\n/m;

/** The newest version of every header of the family, sealed, by its path in a kernel tree. */
export function kernelTreeFiles(model: Model): GeneratedFile[] {
  return model.headers.map((header) => {
    if (!header.path.startsWith(`${KERNEL_ABI_DIR}/`)) throw new Error(`the schema's header path ${header.path} is not under ${KERNEL_ABI_DIR}/`);
    return { path: header.path, content: sealed(renderCHeader(model, header.current)) };
  });
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The header with a seal line after the line that says how to regenerate it. */
export function sealed(content: string): string {
  const at = content.indexOf(REGENERATE);
  if (at < 0) throw new Error(`a generated header lacks the line "${REGENERATE}" that the seal follows`);
  const end = content.indexOf('\n', at) + 1;
  return `${content.slice(0, end)} * luo-abi seal: ${digest(content)}\n${content.slice(end)}`;
}

/** Whether luo-abi wrote this text: sealed and unchanged since, sealed and edited, or never. */
export function sealState(content: string): 'intact' | 'broken' | 'absent' {
  const seal = SEAL.exec(content);
  if (!seal) return 'absent';
  return digest(content.replace(SEAL, '')) === seal[1] ? 'intact' : 'broken';
}

export type TreeFileState = 'up to date' | 'missing' | 'ours' | 'edited by hand' | 'not ours';

export interface TreeFilePlan {
  readonly path: string;
  readonly state: TreeFileState;
  /** Unified diff from what the tree has to what the schema gives, relative to the tree; '' when up to date. */
  readonly diff: string;
}

/** What writing `files` into the kernel tree at `tree` would do to each. */
export function planKernelTree(tree: string, files: readonly GeneratedFile[]): TreeFilePlan[] {
  if (!existsSync(tree) || !statSync(tree).isDirectory()) throw new OutputError(`--kernel-tree ${tree}: no such directory`);
  if (!existsSync(join(tree, 'include'))) throw new OutputError(`--kernel-tree ${tree}: not a kernel tree (it has no include/ directory)`);
  return files.map((f) => {
    const path = join(tree, f.path);
    if (!existsSync(path)) return { path: f.path, state: 'missing', diff: unifiedDiff(undefined, f) };
    const content = readFileSync(path, 'utf8');
    if (content === f.content) return { path: f.path, state: 'up to date', diff: '' };
    const seal = sealState(content);
    const state = seal === 'intact' ? 'ours' : seal === 'broken' ? 'edited by hand' : 'not ours';
    return { path: f.path, state, diff: unifiedDiff(path, f) };
  });
}

/** Replaces each file that differs, each one atomically (a temporary file beside it, renamed). */
export function writeKernelTree(tree: string, files: readonly GeneratedFile[], plans: readonly TreeFilePlan[]): void {
  for (const f of files) {
    if (plans.find((p) => p.path === f.path)?.state === 'up to date') continue;
    const path = join(tree, f.path);
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.luo-abi-${process.pid}`;
    try {
      writeFileSync(temporary, f.content);
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new OutputError(`could not write ${path}: ${(error as Error).message}`);
    }
  }
}

/** diff -u from the file on disk (or nothing) to the generated text, labelled a/PATH and b/PATH as git does. */
function unifiedDiff(onDisk: string | undefined, generated: GeneratedFile): string {
  const args = ['-u', '--label', onDisk ? `a/${generated.path}` : '/dev/null', '--label', `b/${generated.path}`, onDisk ?? '/dev/null', '-'];
  const result = spawnSync('diff', args, { input: generated.content, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new OutputError(`diff could not run (${result.error.message}); install diffutils`);
  if (result.status === 2) throw new OutputError(`diff failed: ${result.stderr.trim()}`);
  return result.stdout;
}
