/**
 * Reading another revision without touching the work tree: `git archive` of one directory into a
 * temporary directory, like `buf breaking --against`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
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

/**
 * Extracts `paths` (relative to the top of the repository holding `anchor`) as they are at `ref` into
 * the directory `into`; a path the revision does not have is left out. Returns the paths extracted.
 * A bad revision is an error at once.
 */
export function extractAtRevision(anchor: string, ref: string, paths: readonly string[], into: string): string[] {
  const { top } = repositoryOf(anchor);
  git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  // '.' is the whole tree, which git names `REV:` and archives without a path.
  const present = paths.filter((path) => spawnSync('git', ['cat-file', '-e', `${ref}:${path === '.' ? '' : path}`], { cwd: top }).status === 0);
  if (present.length === 0) return [];
  const tree = git(top, ['archive', '--format=tar', ref, ...(present.includes('.') ? [] : ['--', ...present])]);
  mkdirSync(into, { recursive: true });
  const untar = spawnSync('tar', ['-x', '-C', into], { input: tree, maxBuffer: 256 * 1024 * 1024 });
  if (untar.status !== 0) throw new Error(`tar could not extract ${ref}:${present.join(' ')}: ${String(untar.stderr)}`);
  return present;
}

/**
 * Extracts the directory holding `path` as it is at `ref` into a temporary directory, runs `use` on the
 * path of the file there, and removes the directory.
 */
export async function withDirectoryAtRevision<T>(path: string, ref: string, use: (pathThere: string) => Promise<T>): Promise<T> {
  const { inside } = repositoryOf(path);
  const folder = dirname(inside);
  const scratch = mkdtempSync(join(tmpdir(), 'luo-abi-against-'));
  try {
    if (extractAtRevision(path, ref, [folder], scratch).length === 0) throw new UsageError(`${folder} does not exist at revision ${ref}`);
    // The schema is ESM TypeScript; outside the project nothing says so.
    writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
    return await use(join(scratch, inside));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
