/**
 * Kernel-style fixture trees (test/fixtures/kernel/): our own text, written in the manner of the
 * upstream headers (defines beside their structs, u64 reached through <uapi/linux/liveupdate.h>,
 * __packed only from the compiler attributes kbuild forces in, <linux/align.h>, multi-line and
 * function-like macros, a CONFIG_LIVEUPDATE_TEST block, bit-fields). `common/` is what every revision
 * of the tree holds (the uapi header, ioctl headers reached through kbuild's asm-generic fallback,
 * another kho/abi header); `<version>/` holds that version's header (luo.h, memfd.h, memblock.h), and
 * `kho-v1/`, `kho-v2/` the kexec_handover.h that memfd.h includes at each of its versions.
 *
 * kernelRepository() builds a scratch git tree with one commit per version, each tagged with the
 * version's name, as a kernel tree's history would have them.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ROOT, runOk, scratchDir, type RunResult } from './support/tools.ts';

export const FIXTURES = join(ROOT, 'test/fixtures/kernel');
/** Every version of luo.h the schema has, oldest first, each a fixture. */
export const SCHEMA_VERSIONS = ['luo-v1-session-v1', 'luo-v1-session-v2', 'luo-v1', 'luo-v2', 'luo-v3', 'luo-v4', 'luo-v5', 'luo-v5+block-v1'] as const;
export const HEADER = 'include/linux/kho/abi/luo.h';
export const UAPI = 'include/uapi/linux/liveupdate.h';
/** Every version of memfd.h the schema has, oldest first, each a fixture. */
export const MEMFD_VERSIONS = ['memfd-v1', 'memfd-v2+seals-bitfield', 'memfd-v2'] as const;
export const MEMFD_HEADER = 'include/linux/kho/abi/memfd.h';
export const MEMBLOCK_VERSIONS = ['memblock-v1'] as const;
export const MEMBLOCK_HEADER = 'include/linux/kho/abi/memblock.h';
export const KEXEC_HANDOVER_HEADER = 'include/linux/kho/abi/kexec_handover.h';
export type FixtureVersion = (typeof SCHEMA_VERSIONS)[number] | (typeof MEMFD_VERSIONS)[number] | (typeof MEMBLOCK_VERSIONS)[number];

/** Each header's fixture versions, and where a tree holds it. */
export const FIXTURE_HEADERS = {
  luo: { path: HEADER, versions: SCHEMA_VERSIONS },
  memfd: { path: MEMFD_HEADER, versions: MEMFD_VERSIONS },
  memblock: { path: MEMBLOCK_HEADER, versions: MEMBLOCK_VERSIONS },
} as const;
export type FixtureHeader = keyof typeof FIXTURE_HEADERS;

/** The fixture directories a version's tree is made of beyond common/: the kexec_handover.h memfd.h includes, then its own. */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  'memfd-v1': ['kho-v1', 'memfd-v1'],
  'memfd-v2+seals-bitfield': ['kho-v2', 'memfd-v2+seals-bitfield'],
  'memfd-v2': ['kho-v2', 'memfd-v2'],
};
const layersOf = (version: string): readonly string[] => LAYERS[version] ?? [version];

/** A scratch tree holding one version: common/ and the version's layers. */
export function fixtureTree(prefix: string, version: string): string {
  const root = scratchDir(prefix);
  for (const layer of ['common', ...layersOf(version)]) cpSync(join(FIXTURES, layer), root, { recursive: true });
  return root;
}

export function fixtureText(version: string, path: string = HEADER): string {
  return readFileSync(join(FIXTURES, version, path), 'utf8');
}

export interface KernelRepository {
  readonly root: string;
  /** Absolute path of the header checked (include/linux/kho/abi/luo.h unless said). */
  readonly header: string;
  readonly uapi: string;
  git(...args: string[]): RunResult;
  /** Replaces `from` (exactly once) in a file of the work tree, as a kernel developer edits it. */
  edit(path: string, from: string, to: string): void;
  /** Puts the work tree back to the commit checked out. */
  reset(): void;
}

/** Every file under a fixture directory, by its path in a tree, with its bytes. */
function fixtureFiles(layer: string): [string, Buffer][] {
  const dir = join(FIXTURES, layer);
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return [relative(dir, path).split(sep).join('/'), readFileSync(path)];
    });
}

/**
 * The history of a tree as `git fast-import` reads it: one commit per version on main, each with the
 * files of the version's layers over those of the commit before (common/ in the first), as
 * copying the layers into the tree and committing `git add -A` would give, and a tag of its name.
 */
function historyStream(versions: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  const text = (line: string) => parts.push(Buffer.from(line));
  const data = (bytes: Buffer) => {
    text(`data ${bytes.length}\n`);
    parts.push(bytes);
    text('\n');
  };
  versions.forEach((version, i) => {
    text(`commit refs/heads/main\nmark :${i + 1}\ncommitter luo-abi test <test@luo-abi.invalid> ${1_700_000_000 + i * 60} +0000\n`);
    data(Buffer.from(`liveupdate: ${version}`));
    if (i > 0) text(`from :${i}\n`);
    for (const layer of [...(i === 0 ? ['common'] : []), ...layersOf(version)]) {
      for (const [path, bytes] of fixtureFiles(layer)) {
        text(`M 100644 inline ${path}\n`);
        data(bytes);
      }
    }
    text(`\nreset refs/tags/${version}\nfrom :${i + 1}\n\n`);
  });
  return Buffer.concat(parts);
}

/**
 * A git kernel tree with one commit (and tag) per version, the last one checked out; `header` is the
 * one checked. The history is written by one `git fast-import`, not three git commands a version.
 */
export function kernelRepository(prefix: string, versions: readonly string[] = SCHEMA_VERSIONS, header: string = HEADER): KernelRepository {
  const root = scratchDir(prefix);
  const git = (...args: string[]) => runOk('git', ['-c', 'user.name=luo-abi test', '-c', 'user.email=test@luo-abi.invalid', '-c', 'advice.detachedHead=false', ...args], { cwd: root });
  git('init', '-q', '--initial-branch=main');
  runOk('git', ['fast-import', '--quiet'], { cwd: root, input: historyStream(versions) });
  git('reset', '-q', '--hard');
  return {
    root,
    header: join(root, header),
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
