/**
 * The kernel tree a header sits in, and the include path gcc gets to compile the header the way the
 * kernel would: luo-abi's prelude first (the few headers a tree cannot give without a configured
 * build), then the tree's own directories in kbuild's order (`arch/<arch>/include`, `include`,
 * `arch/<arch>/include/uapi`, `include/uapi`), with `<asm/X.h>` falling back to `asm-generic/X.h` as
 * kbuild's generated wrappers do, and last the stand-ins the caller gives for headers the tree lacks.
 *
 * The tree is the work tree, or the tree at a git revision, extracted (include/ and arch/<arch>/include
 * only) into a scratch directory; the work tree is never touched.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { displayPath } from '../../core/paths.ts';
import { extractAtRevision, repositoryOf } from '../git.ts';
import { HeaderError } from './diagnostics.ts';
import { FORCED_INCLUDE, preludeFiles, type PageShift } from './prelude.ts';

export const DEFAULT_ARCH = 'x86';

/** Macros other headers define, by include: `{ '<uapi/linux/liveupdate.h>': { NAME: '64' } }`. */
export type IncludedMacros = ReadonlyMap<string, ReadonlyMap<string, string>>;

export interface TreeOptions {
  /** The architecture whose `arch/<arch>/include` gives `<asm/...>` (default x86). */
  readonly arch?: string;
  readonly pageShift?: PageShift;
  /** Headers to stand in for when the tree has none of that name (the schema's values). */
  readonly standIns?: IncludedMacros;
}

/** A header as gcc reads it: the file on disk, and the kernel tree it belongs to. */
export interface HeaderSource {
  /** The header on disk (in the work tree, or in the extracted revision). */
  readonly file: string;
  /** The kernel tree on disk: the directory above the nearest `include/` holding the header. */
  readonly root?: string;
  /** Where the tree came from, for messages: `the kernel tree at linux`, `... at revision HEAD~1`. */
  readonly treeName: string;
  /** A path on disk (and a line in it) as messages show it: `include/linux/x.h:12 at HEAD~1`. */
  show(path: string, line?: number): string;
}

/** The directory above the nearest `include/` directory that holds the header, if any. */
export function kernelTreeRoot(headerPath: string): string | undefined {
  for (let dir = dirname(resolve(headerPath)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) === 'include') return dirname(dir);
  }
  return undefined;
}

export function workTreeSource(headerPath: string): HeaderSource {
  const root = kernelTreeRoot(headerPath);
  return {
    file: resolve(headerPath),
    ...(root ? { root } : {}),
    treeName: root ? `the kernel tree at ${displayPath(root)}` : 'no kernel tree (no include/ directory above the header)',
    show: (path, line) => `${displayPath(path)}${line ? `:${line}` : ''}`,
  };
}

/**
 * The header and its tree as they are at `ref`, extracted into `scratch`: the tree's include/ and
 * arch/<arch>/include, or the header alone when it sits in no kernel tree.
 */
export function revisionSource(headerPath: string, ref: string, arch: string, scratch: string): HeaderSource {
  const { top, inside } = repositoryOf(headerPath);
  const root = kernelTreeRoot(headerPath);
  const inRepository = (path: string) => relative(top, path).split(sep).join('/');
  const wanted = root && !inRepository(root).startsWith('..') ? ['include', `arch/${arch}/include`].map((d) => inRepository(join(root, d))) : [inside];
  const extracted = extractAtRevision(top, ref, wanted, scratch);
  const file = join(scratch, inside);
  if (!existsSync(file)) throw new HeaderError(`${displayPath(headerPath)} does not exist at revision ${ref}; give a revision that has it (--against)`);
  const there = root && extracted.length > 0 && wanted.length > 1 ? join(scratch, inRepository(root)) : undefined;
  return {
    file,
    ...(there ? { root: there } : {}),
    treeName: there ? `the kernel tree at ${displayPath(root!)} at revision ${ref}` : `no kernel tree at revision ${ref}`,
    show: (path, line) => {
      const there = path.startsWith(scratch + sep);
      return `${displayPath(there ? join(top, relative(scratch, path)) : path)}${line ? `:${line}` : ''}${there ? ` at ${ref}` : ''}`;
    },
  };
}

/** What gcc is given: the include directories in order, the forced include, and how to name a file. */
export interface IncludePath {
  readonly dirs: readonly string[];
  readonly forced: string;
  /** Tree directories searched, relative to the tree, for messages: `include`, `arch/x86/include`. */
  readonly searched: readonly string[];
  readonly arch: string;
  /** Where a file gcc names comes from. */
  origin(path: string): 'prelude' | 'stand-in' | 'tree';
  /** A file gcc names (and a line in it), as messages show it. */
  show(path: string, line?: number): string;
}

/** Writes the prelude, the asm-generic wrappers and the stand-ins into `scratch` and lists the include path. */
export function includePath(source: HeaderSource, options: TreeOptions, scratch: string): IncludePath {
  const arch = options.arch ?? DEFAULT_ARCH;
  if (options.arch !== undefined && source.root && !existsSync(join(source.root, 'arch', arch))) {
    const known = existsSync(join(source.root, 'arch')) ? readdirSync(join(source.root, 'arch')).sort().join(', ') : 'none';
    throw new HeaderError(`--arch ${arch}: ${source.treeName} has no arch/${arch}; its architectures: ${known}`);
  }
  const prelude = join(scratch, 'prelude');
  const wrappers = join(scratch, 'asm-generic-wrappers');
  const standIns = join(scratch, 'stand-ins');
  const write = (dir: string, path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of preludeFiles(options.pageShift ?? 12)) write(prelude, path, text);
  // kbuild's order; the asm-generic wrappers stand where kbuild's generated ones do.
  const order = [`arch/${arch}/include`, 'include', `arch/${arch}/include/uapi`, wrappers, 'include/uapi'];
  const searched = source.root ? order.filter((d) => d !== wrappers && existsSync(join(source.root!, d))) : [];
  if (source.root) {
    for (const name of genericOnly(source.root, arch)) write(wrappers, `asm/${name}`, `/* luo-abi: as kbuild's generated wrapper */\n#include <asm-generic/${name}>\n`);
  }
  for (const [include, macros] of options.standIns ?? []) {
    const body = [...macros].map(([name, value]) => `#define ${name} ${value}\n`).join('');
    write(standIns, include.replace(/^[<"]|[>"]$/g, ''), `/* luo-abi: the schema's values, standing in for ${include} */\n${body}`);
  }
  const treeDirs = order.flatMap((d) => (d === wrappers ? (source.root ? [wrappers] : []) : searched.includes(d) ? [join(source.root!, d)] : []));
  const within = (dir: string, path: string) => resolve(path).startsWith(dir + sep);
  const origin = (path: string): 'prelude' | 'stand-in' | 'tree' => (within(prelude, path) ? 'prelude' : within(standIns, path) ? 'stand-in' : 'tree');
  return {
    dirs: [prelude, ...treeDirs, standIns],
    forced: join(prelude, FORCED_INCLUDE),
    searched,
    arch,
    origin,
    show: (path, line) => {
      const at = line ? `:${line}` : '';
      if (within(prelude, path)) return `luo-abi's prelude <${relative(prelude, resolve(path))}>${at}`;
      if (within(standIns, path)) return `the schema's stand-in for <${relative(standIns, resolve(path))}>${at}`;
      if (within(wrappers, path)) return `<${relative(wrappers, resolve(path))}>${at} (kbuild's asm-generic wrapper)`;
      return source.show(resolve(path), line);
    },
  };
}

/** Headers of asm-generic that the architecture does not have itself: what `<asm/X.h>` falls back to. */
function genericOnly(root: string, arch: string): string[] {
  const names = (dir: string) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).filter((n) => n.endsWith('.h')) : []);
  const own = new Set([...names(`arch/${arch}/include/asm`), ...names(`arch/${arch}/include/uapi/asm`)]);
  const generic = new Set([...names('include/asm-generic'), ...names('include/uapi/asm-generic')]);
  return [...generic].filter((n) => !own.has(n)).sort();
}
