/**
 * Reading another revision without touching the work tree: `git archive` of one directory into a
 * temporary directory, like `buf breaking --against`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError } from '../core/errors.ts';
import { displayPath } from '../core/paths.ts';

/** git's output; a failure is an InputError saying `what` failed and git's own reason. */
function git(cwd: string, args: string[], what = `git ${args.join(' ')}`): Buffer {
  const result = spawnSync('git', args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new InputError(`git could not run (${result.error.message}); --against needs git`);
  if (result.status !== 0) throw new InputError(`${what}: ${gitReason(result.stderr, result.status)}`);
  return result.stdout;
}

/** git's message without its "fatal: " prefix, or its exit status when it printed nothing. */
function gitReason(stderr: Buffer, status: number | null): string {
  const text = String(stderr)
    .split('\n')
    .map((line) => line.replace(/^(fatal|error): /, '').trim())
    .filter(Boolean)
    .join('; ');
  return text || `git exited ${status ?? 'on a signal'}`;
}

/** The repository holding `path`, and `path` relative to its top. */
export function repositoryOf(path: string): { top: string; inside: string } {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new InputError(`${displayPath(dir)} does not exist`);
  const top = git(dir, ['rev-parse', '--show-toplevel'], `${displayPath(path)} is not in a git repository, which --against needs`).toString().trim();
  return { top, inside: relative(top, resolve(path)).split('\\').join('/') };
}

/** Throws unless `ref` names a commit of the repository at `top`. */
function requireRevision(top: string, ref: string): void {
  const found = spawnSync('git', ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`], { cwd: top });
  if (found.error) throw new InputError(`git could not run (${found.error.message}); --against needs git`);
  if (found.status !== 0) {
    throw new InputError(`--against ${ref}: no such revision in the repository at ${displayPath(top)} (git: ${gitReason(found.stderr, found.status)}); give a branch, tag or commit`);
  }
}

/** The content of one file at a revision. */
export function fileAtRevision(path: string, ref: string): string {
  const { top, inside } = repositoryOf(path);
  requireRevision(top, ref);
  return git(top, ['show', `${ref}:${inside}`], `${displayPath(path)} at ${ref}`).toString();
}

/**
 * Files of the repository holding `anchor`, as they are at `ref`: undefined for a path the revision
 * does not have or that lies outside that repository. The repository and the revision are looked up
 * once, not per file asked for; a bad revision is an error at once.
 */
export function filesAtRevision(anchor: string, ref: string): (path: string) => string | undefined {
  const { top } = repositoryOf(anchor);
  requireRevision(top, ref);
  return (path) => {
    const inside = relative(top, resolve(path)).split('\\').join('/');
    if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
    const present = spawnSync('git', ['cat-file', '-e', `${ref}:${inside}`], { cwd: top });
    return present.status === 0 ? git(top, ['show', `${ref}:${inside}`]).toString() : undefined;
  };
}

/**
 * Extracts the directory holding `path` as it is at `ref` into a temporary directory, runs `use` on the
 * path of the file there, and removes the directory.
 */
export async function withDirectoryAtRevision<T>(path: string, ref: string, use: (pathThere: string) => Promise<T>): Promise<T> {
  const { top, inside } = repositoryOf(path);
  const folder = dirname(inside);
  requireRevision(top, ref);
  const tree = git(top, ['archive', '--format=tar', ref, '--', folder === '.' ? '.' : folder]);
  const scratch = mkdtempSync(join(tmpdir(), 'luo-abi-against-'));
  try {
    const untar = spawnSync('tar', ['-x', '-C', scratch], { input: tree });
    if (untar.status !== 0) throw new Error(`tar could not extract ${ref}:${folder}: ${String(untar.stderr)}`);
    // The schema is ESM TypeScript; outside the project nothing says so.
    writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
    return await use(join(scratch, inside));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
