/**
 * Reading a real C header with the real toolchain, the way the kernel compiles it (tree.ts gives the
 * include path, prelude.ts the stand-ins for configured-build headers): gcc -E -dD lists every macro
 * with the file and line that defines it and shows which file declares each struct, gcc -g compiles
 * it, pahole reads the struct layouts from the DWARF and readelf gives the lines. Nothing here parses
 * C; it reads what the tools print.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { CanonicalField, CanonicalStruct, CanonicalType } from '../../model/canonical.ts';
import { compileError, HeaderError, type CompileContext } from './diagnostics.ts';
import { includePath, revisionSource, workTreeSource, DEFAULT_ARCH, type HeaderSource, type IncludePath, type TreeOptions } from './tree.ts';

export interface HeaderMacro {
  readonly name: string;
  /** The replacement text as gcc reports it: `"luo-v4"`, `48`, `PAGE_SIZE`. */
  readonly text: string;
  readonly line?: number;
}

export interface FunctionMacro extends HeaderMacro {
  readonly params: readonly string[];
}

/** Where a macro the compilation saw is defined. */
export interface MacroDefinition extends FunctionMacro {
  /** The file and line, as messages show them: `include/uapi/linux/liveupdate.h:44 at HEAD`. */
  readonly where: string;
  readonly line: number;
  readonly origin: 'tree' | 'prelude' | 'stand-in';
}

export interface HeaderStruct extends CanonicalStruct {
  readonly line?: number;
  readonly fieldLines: ReadonlyMap<string, number>;
  /** The file that declares it, as messages show it. */
  readonly file?: string;
}

export interface HeaderLayout {
  /** The header as given (in the work tree, also when read at a revision). */
  readonly path: string;
  /** Object-like macros the header itself defines (not its includes), with a value. */
  readonly macros: ReadonlyMap<string, HeaderMacro>;
  /** Function-like macros the header itself defines. */
  readonly functionMacros: ReadonlyMap<string, FunctionMacro>;
  /** Structs and unions the header declares, and those they embed, wherever declared. */
  readonly structs: readonly HeaderStruct[];
  /** Every macro defined when the header's last line was read, from any file but gcc's own. */
  readonly definitions: ReadonlyMap<string, MacroDefinition>;
}

export interface ReadOptions extends TreeOptions {
  /** Kconfig options to set (`CONFIG_LIVEUPDATE_TEST`); none is set otherwise, as without a .config. */
  readonly config?: readonly string[];
}

/** The header in the work tree. */
export function readHeader(headerPath: string, options: ReadOptions = {}): HeaderLayout {
  return inScratch((scratch) => compile(headerPath, workTreeSource(headerPath), options, scratch));
}

/** The header as it is at a git revision, with its kernel tree at that revision. */
export function readHeaderAtRevision(headerPath: string, ref: string, options: ReadOptions = {}): HeaderLayout {
  return inScratch((scratch) => {
    const tree = join(scratch, 'tree');
    return compile(headerPath, revisionSource(headerPath, ref, options.arch ?? DEFAULT_ARCH, tree), options, scratch);
  });
}

function inScratch<T>(use: (scratch: string) => T): T {
  const scratch = mkdtempSync(join(tmpdir(), 'luo-abi-header-'));
  try {
    return use(scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const PROBE = 'luo_abi_alignment_probe';

function compile(headerPath: string, source: HeaderSource, options: ReadOptions, scratch: string): HeaderLayout {
  const paths = includePath(source, options, scratch);
  const context: CompileContext = {
    header: source.show(source.file),
    treeName: source.treeName,
    hasTree: source.root !== undefined,
    searched: paths.searched,
    arch: paths.arch,
    show: paths.show,
  };
  const flags = gccFlags(paths, options.config ?? []);
  const output = gcc(['-E', '-dD', ...flags, source.file], context);
  const preprocessed = readPreprocessed(output);
  // A header of strings alone (memblock.h) gives the compiler no type to describe: pahole has nothing to read.
  const structs = preprocessed.declared.size === 0 ? [] : structLayouts(source, preprocessed.declared, paths, flags, context, scratch, output);
  const macros = new Map<string, HeaderMacro>();
  const functionMacros = new Map<string, FunctionMacro>();
  const definitions = new Map<string, MacroDefinition>();
  for (const d of preprocessed.defines.values()) {
    definitions.set(d.name, { name: d.name, params: d.params ?? [], text: d.text, where: paths.show(d.file, d.line), line: d.line, origin: paths.origin(d.file) });
    if (d.file !== source.file) continue;
    if (d.params) functionMacros.set(d.name, { name: d.name, params: d.params, text: d.text, line: d.line });
    else if (d.text !== '') macros.set(d.name, { name: d.name, text: d.text, line: d.line });
  }
  return { path: resolve(headerPath), macros, functionMacros, structs, definitions };
}

/** The layouts of the structs the header declares, as gcc lays them out and pahole reads them. */
function structLayouts(
  source: HeaderSource,
  declared: ReadonlyMap<string, { kind: 'struct' | 'union'; file: string }>,
  paths: IncludePath,
  flags: readonly string[],
  context: CompileContext,
  scratch: string,
  preprocessed: string,
): HeaderStruct[] {
  const { all, aligns, lines } = compiled(source, declared, flags, context, scratch, preprocessed);
  // The header's structs, and those of its sibling headers it includes (block.h's block header, which
  // luo.h only points at): a guard of the header may cover them.
  const wanted = ownStructs(all, declared, (file) => dirname(file) === dirname(source.file));
  return all
    .filter((s) => wanted.has(s.name))
    .map((s): HeaderStruct => {
      const file = declared.get(s.name)?.file;
      // DWARF lines are those of the file that declares the struct: the header's own, or a sibling's.
      const own = file !== undefined && dirname(file) === dirname(source.file);
      const where = lines.get(s.name);
      const align = aligns.get(s.name);
      // Every struct the header declares or embeds has a `struct NAME {` in the preprocessed text, so was probed.
      if (align === undefined) throw new Error(`${s.kind} ${s.name}: no alignment probed`);
      return {
        ...s,
        align,
        ...(own && where?.line ? { line: where.line } : {}),
        fieldLines: own ? (where?.fields ?? new Map()) : new Map(),
        ...(file ? { file: paths.show(file) } : {}),
      };
    });
}

/** What gcc -g, pahole and readelf make of a translation unit. */
interface Compiled {
  readonly all: readonly CanonicalStruct[];
  readonly aligns: ReadonlyMap<string, number>;
  readonly lines: ReadonlyMap<string, { line?: number; fields: Map<string, number> }>;
}

/**
 * Compilations already read, by what gcc -E made of the translation unit (scratch paths aside) and
 * the flags: the same preprocessed text compiles to the same layouts and lines. A check against a
 * revision reads two trees that are mostly the same; a process checking many headers meets the same
 * trees again.
 */
const compilations = new Map<string, Compiled>();
const COMPILATIONS_KEPT = 64;

function compiled(
  source: HeaderSource,
  declared: ReadonlyMap<string, { kind: 'struct' | 'union'; file: string }>,
  flags: readonly string[],
  context: CompileContext,
  scratch: string,
  preprocessed: string,
): Compiled {
  const key = createHash('sha256').update([...flags, preprocessed].join('\0').split(scratch).join('<scratch>')).digest('hex');
  const known = compilations.get(key);
  if (known) return known;
  const object = join(scratch, 'header.o');
  // DWARF records no alignment, so `__packed` shows only through offsets and sizes: a probe struct with
  // one `char[_Alignof(struct X)]` member per struct makes gcc compute each alignment, pahole print it.
  const probe = `#include "${source.file}"\n${probeStruct(declared)}`;
  gcc(['-g', '-c', '-fno-eliminate-unused-debug-types', ...flags, '-', '-o', object], context, probe);
  const all = parsePahole(tool('pahole', [object]));
  const aligns = new Map((all.find((s) => s.name === PROBE)?.fields ?? []).map((f) => [f.name, f.size]));
  const lines = declarationLines(tool('readelf', ['--debug-dump=info', object]));
  const result = { all, aligns, lines };
  if (compilations.size >= COMPILATIONS_KEPT) compilations.delete(compilations.keys().next().value!);
  compilations.set(key, result);
  return result;
}

let compilerIncludes: string | undefined;

/** kbuild's way: no system headers but the compiler's own, __KERNEL__, the attributes forced in. */
function gccFlags(paths: IncludePath, config: readonly string[]): string[] {
  compilerIncludes ??= tool('gcc', ['-print-file-name=include']).trim();
  return [
    '-nostdinc',
    '-isystem',
    compilerIncludes,
    '-std=gnu11',
    '-fdiagnostics-plain-output',
    '-D__KERNEL__',
    ...config.map((option) => `-D${option}=1`),
    '-include',
    paths.forced,
    ...paths.dirs.flatMap((d) => ['-I', d]),
    '-x',
    'c',
  ];
}

function probeStruct(declared: ReadonlyMap<string, { kind: string }>): string {
  if (declared.size === 0) return '';
  const members = [...declared].map(([name, { kind }]) => `\tchar ${name}[_Alignof(${kind} ${name})];\n`).join('');
  return `struct ${PROBE} {\n${members}};\nstruct ${PROBE} ${PROBE};\n`;
}

/** The header's structs, and every struct they embed (a change there changes them), transitively. */
function ownStructs(all: readonly CanonicalStruct[], declared: ReadonlyMap<string, { file: string }>, inTree: (file: string) => boolean): Set<string> {
  const byName = new Map(all.map((s) => [s.name, s]));
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name) || !byName.has(name)) return;
    wanted.add(name);
    for (const f of byName.get(name)!.fields) for (const embedded of aggregatesOf(f.type)) visit(embedded);
  };
  for (const s of all) {
    const file = declared.get(s.name)?.file;
    if (s.name !== PROBE && file !== undefined && inTree(file)) visit(s.name);
  }
  return wanted;
}

function aggregatesOf(type: CanonicalType): string[] {
  switch (type.kind) {
    case 'struct':
    case 'union':
      return [type.name];
    case 'array':
    case 'flexible':
      return aggregatesOf(type.element);
    default:
      return [];
  }
}

interface Define {
  readonly name: string;
  readonly params?: readonly string[];
  readonly text: string;
  readonly file: string;
  readonly line: number;
}

/**
 * gcc -E -dD: the macros defined at the end (a #undef removes one), each with its file and line from the
 * line markers, and the file that declares each struct or union (`struct NAME {`).
 */
function readPreprocessed(output: string) {
  const defines = new Map<string, Define>();
  const declared = new Map<string, { kind: 'struct' | 'union'; file: string }>();
  let file = '';
  let line = 0;
  for (const text of output.split('\n')) {
    const marker = /^# (\d+) "(.*)"/.exec(text);
    if (marker) {
      line = Number(marker[1]);
      file = marker[2]!.startsWith('<') ? marker[2]! : resolve(marker[2]!);
      continue;
    }
    const define = /^#define ([A-Za-z_]\w*)(?:\(([^)]*)\))?(?: (.*))?$/.exec(text);
    if (define && !file.startsWith('<')) {
      const params = define[2]?.split(',').map((p) => p.trim()).filter((p) => p !== '');
      defines.set(define[1]!, { name: define[1]!, ...(define[2] !== undefined ? { params: params ?? [] } : {}), text: (define[3] ?? '').trim(), file, line });
    }
    const undef = /^#undef ([A-Za-z_]\w*)/.exec(text);
    if (undef) defines.delete(undef[1]!);
    for (const match of text.matchAll(/\b(struct|union)\s+([A-Za-z_]\w*)\s*\{/g)) {
      if (!declared.has(match[2]!)) declared.set(match[2]!, { kind: match[1] as 'struct' | 'union', file });
    }
    line += 1;
  }
  return { defines, declared };
}

function gcc(args: string[], context: CompileContext, input?: string): string {
  const result = run('gcc', args, input);
  if (result.status !== 0) throw compileError(result.stderr, context, ['gcc', ...args].join(' '));
  return result.stdout;
}

/** pahole and readelf on the object gcc made: a failure here is the tool's, not the header's. */
function tool(command: string, args: string[]): string {
  const result = run(command, args);
  if (result.status !== 0) throw new HeaderError(`${command} could not read the compiled header: ${result.stderr.trim()}`);
  return result.stdout;
}

function run(command: string, args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    // Plain quotes in gcc's messages, whatever the user's locale.
    env: { ...process.env, LC_ALL: 'C' },
    ...(input !== undefined ? { input } : {}),
  });
  if (result.error) throw new HeaderError(`${command} could not run (${result.error.message}); install it (scripts/setup-interop.sh installs gcc, binutils and dwarves)`);
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Declaration lines of structs and their members, from readelf's dump of the DWARF. */
function declarationLines(output: string): Map<string, { line?: number; fields: Map<string, number> }> {
  const found = new Map<string, { line?: number; fields: Map<string, number> }>();
  let current: { line?: number; fields: Map<string, number> } | undefined;
  let entry: { depth: number; tag: string; name?: string; line?: number } | undefined;
  const close = () => {
    if (!entry) return;
    if (entry.depth === 1 && (entry.tag === 'DW_TAG_structure_type' || entry.tag === 'DW_TAG_union_type') && entry.name) {
      current = { ...(entry.line ? { line: entry.line } : {}), fields: new Map() };
      found.set(entry.name, current);
    } else if (entry.depth === 1) {
      current = undefined;
    } else if (entry.depth === 2 && entry.tag === 'DW_TAG_member' && entry.name && entry.line && current) {
      current.fields.set(entry.name, entry.line);
    }
  };
  for (const text of output.split('\n')) {
    const start = /^\s*<(\d+)><[0-9a-f]+>: Abbrev Number: \d+ \((\w+)\)/.exec(text);
    if (start) {
      close();
      entry = { depth: Number(start[1]), tag: start[2]! };
      continue;
    }
    const name = /DW_AT_name\s*:\s*(?:\(.*\):\s*)?(\S+)\s*$/.exec(text);
    if (name && entry) entry.name = name[1]!;
    const line = /DW_AT_decl_line\s*:\s*(\d+)/.exec(text);
    if (line && entry) entry.line = Number(line[1]);
  }
  close();
  return found;
}

/**
 * pahole's C-like listing: `struct NAME {`, one member a line with `/* offset size *\/` (attributes such as
 * `__attribute__((__aligned__(8)))`, which __aligned_u64 gives, after the name), `/* size: N, ... *\/`.
 * An anonymous struct or union inside is one member (its inner lines are its own business: its size
 * and offset cover them); a bit-field is a member whose type says its width (`u32:3`).
 */
export function parsePahole(output: string): CanonicalStruct[] {
  const structs: CanonicalStruct[] = [];
  let current: { kind: 'struct' | 'union'; name: string; size: number; fields: CanonicalField[] } | undefined;
  let nested: 'struct' | 'union' | undefined;
  let depth = 0;
  for (const line of output.split('\n')) {
    const open = /^(struct|union) ([A-Za-z_][A-Za-z0-9_]*) \{$/.exec(line);
    if (open) {
      current = { kind: open[1] as 'struct' | 'union', name: open[2]!, size: 0, fields: [] };
      depth = 1;
      continue;
    }
    if (!current) continue;
    const opening = /^\t(struct|union) \{$/.exec(line);
    if (opening && depth === 1) nested = opening[1] as 'struct' | 'union';
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (depth === 0) {
      structs.push({ name: current.name, kind: current.kind, packed: false, size: current.size, align: 1, fields: current.fields });
      current = undefined;
      continue;
    }
    const at = /\/\*\s*(\d+)(?::\s*\d+)?\s+(\d+)\s*\*\/$/.exec(line);
    if (depth === 1 && nested && at && /^\t\}/.test(line)) {
      const name = /([A-Za-z_]\w*);\s*\/\*/.exec(line)?.[1] ?? `(anonymous ${nested} at ${at[1]})`;
      current.fields.push({ name, offset: Number(at[1]), size: Number(at[2]), type: { kind: nested, name: `(anonymous ${nested})` } });
      nested = undefined;
      continue;
    }
    const member = /^\t([^\t].*?)\s+([A-Za-z_]\w*)((?:\[\d*\])*)(:\d+)?(?:\s+__attribute__\(\(.*\)\))?;\s*\/\*/.exec(line);
    if (depth === 1 && member && at) {
      const dims = [...member[3]!.matchAll(/\[(\d*)\]/g)].map((m) => (m[1] === '' ? 0 : Number(m[1])));
      const type = cType(member[1]!.trim(), dims);
      current.fields.push({ name: member[2]!, offset: Number(at[1]), size: Number(at[2]), type: member[4] && type.kind === 'scalar' ? { ...type, name: `${type.name}${member[4]}` } : type });
      continue;
    }
    const size = /\/\* size: (\d+),/.exec(line);
    if (size && depth === 1) current.size = Number(size[1]);
  }
  return structs;
}

function cType(base: string, dims: readonly number[]): CanonicalType {
  if (dims.length === 0) {
    const aggregate = /^(struct|union) ([A-Za-z_][A-Za-z0-9_]*)$/.exec(base);
    if (aggregate) return { kind: aggregate[1] as 'struct' | 'union', name: aggregate[2]! };
    return { kind: 'scalar', name: base.replace(/^__([us]\d+)$/, '$1') };
  }
  const [first, ...rest] = dims;
  if (first === 0) return { kind: 'flexible', element: cType(base, rest) };
  if (base === 'char' && rest.length === 0) return { kind: 'chars', length: first! };
  return { kind: 'array', element: cType(base, rest), length: first! };
}
