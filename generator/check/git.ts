/**
 * Reading another revision without touching the work tree: `git archive` of one directory into a
 * temporary directory, like `buf breaking --against`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../cli/command.ts';

function git(cwd: string, args: string[]): Buffer {
  const result = spawnSync('git', args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new UsageError(`git could not run: ${result.error.message}`);
  if (result.status !== 0) throw new UsageError(`git ${args.join(' ')}: ${String(result.stderr).trim()}`);
  return result.stdout;
}

/** The repository holding `path`, and `path` relative to its top. */
export function repositoryOf(path: string): { top: string; inside: string } {
  const dir = dirname(resolve(path));
  const top = git(dir, ['rev-parse', '--show-toplevel']).toString().trim();
  return { top, inside: relative(top, resolve(path)).split('\\').join('/') };
}

/** The content of one file at a revision. */
export function fileAtRevision(path: string, ref: string): string {
  const { top, inside } = repositoryOf(path);
  return git(top, ['show', `${ref}:${inside}`]).toString();
}

/**
 * Files of the repository holding `anchor`, as they are at `ref`: undefined for a path the revision
 * does not have or that lies outside that repository. The repository and the revision are looked up
 * once, not per file asked for; a bad revision is an error at once.
 */
export function filesAtRevision(anchor: string, ref: string): (path: string) => string | undefined {
  const { top } = repositoryOf(anchor);
  git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
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
  git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
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
