/**
 * Reading another revision without touching the work tree: `git archive` of one directory into a
 * temporary directory, like `buf breaking --against`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
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

/**
 * Extracts `paths` (relative to `top`, the top of a repository: repositoryOf) as they are at `ref` into
 * the directory `into`; a path the revision does not have is left out. Returns the paths extracted.
 * A bad revision is an error at once.
 */
export function extractAtRevision(top: string, ref: string, paths: readonly string[], into: string): string[] {
  requireRevision(top, ref);
  // Which paths the revision has, in one ls-tree (it lists each path it has, file or directory). '.' is
  // the whole tree, which every commit has and git archives without a path.
  const named = paths.filter((path) => path !== '.');
  const listed = named.length === 0 ? [] : String(git(top, ['ls-tree', '-z', '--name-only', '--end-of-options', ref, '--', ...named])).split('\0');
  const present = paths.filter((path) => path === '.' || listed.includes(path));
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
  const { top, inside } = repositoryOf(path);
  const folder = dirname(inside);
  const scratch = mkdtempSync(join(tmpdir(), 'luo-abi-against-'));
  try {
    if (extractAtRevision(top, ref, [folder], scratch).length === 0) throw new InputError(`${folder} does not exist at revision ${ref}`);
    // The schema is ESM TypeScript; outside the project nothing says so.
    writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
    return await use(join(scratch, inside));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
