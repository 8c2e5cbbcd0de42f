/**
 * Kernel-style fixture trees (test/fixtures/kernel/): our own text, written in the manner of the
 * upstream headers (defines beside their structs, u64 reached through <uapi/linux/liveupdate.h>,
 * __packed only from the compiler attributes kbuild forces in, <linux/align.h>, multi-line and
 * function-like macros, a CONFIG_LIVEUPDATE_TEST block). `common/` is what every revision of the tree
 * holds (the uapi header, ioctl headers reached through kbuild's asm-generic fallback, another kho/abi
 * header); `<version>/` holds that version's include/linux/kho/abi/luo.h.
 *
 * kernelRepository() builds a scratch git tree with one commit per version, each tagged with the
 * version's name, as a kernel tree's history would have them.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runOk, scratchDir, type RunResult } from './support/tools.ts';

export const FIXTURES = join(ROOT, 'test/fixtures/kernel');
/** Every version of luo.h the schema has, oldest first, each a fixture. */
export const SCHEMA_VERSIONS = ['luo-v1-session-v1', 'luo-v1-session-v2', 'luo-v1', 'luo-v2', 'luo-v3', 'luo-v4', 'luo-v5', 'luo-v5+block-v1'] as const;
export const HEADER = 'include/linux/kho/abi/luo.h';
export const UAPI = 'include/uapi/linux/liveupdate.h';

export function fixtureText(version: string, path: string = HEADER): string {
  return readFileSync(join(FIXTURES, version, path), 'utf8');
}

export interface KernelRepository {
  readonly root: string;
  /** Absolute path of include/linux/kho/abi/luo.h. */
  readonly header: string;
  readonly uapi: string;
  git(...args: string[]): RunResult;
  /** Replaces `from` (exactly once) in a file of the work tree, as a kernel developer edits it. */
  edit(path: string, from: string, to: string): void;
  /** Puts the work tree back to the commit checked out. */
  reset(): void;
}

/** A git kernel tree with one commit (and tag) per version, the last one checked out. */
export function kernelRepository(prefix: string, versions: readonly string[] = SCHEMA_VERSIONS): KernelRepository {
  const root = scratchDir(prefix);
  const git = (...args: string[]) => runOk('git', ['-c', 'user.name=luo-abi test', '-c', 'user.email=test@luo-abi.invalid', '-c', 'advice.detachedHead=false', ...args], { cwd: root });
  git('init', '-q');
  cpSync(join(FIXTURES, 'common'), root, { recursive: true });
  for (const version of versions) {
    cpSync(join(FIXTURES, version), root, { recursive: true });
    git('add', '-A');
    git('commit', '-q', '-m', `liveupdate: ${version}`);
    git('tag', version);
  }
  return {
    root,
    header: join(root, HEADER),
    uapi: join(root, UAPI),
    git,
    edit(path, from, to) {
      const file = join(root, path);
      writeFileSync(file, replaceOnce(readFileSync(file, 'utf8'), from, to));
    },
    reset: () => void git('checkout', '-q', '--', '.'),
  };
}

export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one "${from}"`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}
