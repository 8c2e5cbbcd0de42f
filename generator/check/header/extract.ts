/**
 * Reading a real C header with the real toolchain: gcc -E -dM lists the macros it defines, gcc -g
 * compiles it and pahole reads the struct layouts from the DWARF, readelf gives the lines. Nothing here
 * parses C; it reads what the tools print.
 *
 * The header is compiled against a small shim directory standing in for the kernel headers it
 * includes: <linux/types.h> (u64 and friends, __packed, PAGE_SIZE), <linux/build_bug.h>
 * (static_assert), and one file for each other header the schema takes constants from (for LUO,
 * <uapi/linux/liveupdate.h> with LIVEUPDATE_SESSION_NAME_LENGTH), holding the values the caller gives
 * (check-header.ts reads them from the header's kernel tree, or takes the schema's).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InputError, ToolError } from '../../core/errors.ts';
import type { CanonicalField, CanonicalStruct, CanonicalType } from '../canonical.ts';

export interface HeaderMacro {
  readonly name: string;
  /** The replacement text as gcc reports it: `"luo-v4"`, `48`, `PAGE_SIZE`. */
  readonly text: string;
  readonly line?: number;
}

export interface HeaderStruct extends CanonicalStruct {
  readonly line?: number;
  readonly fieldLines: ReadonlyMap<string, number>;
}

export interface HeaderLayout {
  readonly path: string;
  readonly macros: ReadonlyMap<string, HeaderMacro>;
  readonly structs: readonly HeaderStruct[];
}

/** Macros other headers define, which the shim provides: `{ '<uapi/linux/liveupdate.h>': { NAME: '64' } }`. */
export type IncludedMacros = ReadonlyMap<string, ReadonlyMap<string, string>>;

const TYPES_SHIM = `/* luo-abi check --header: stands in for the kernel's <linux/types.h>. */
#ifndef LUO_ABI_SHIM_TYPES_H
#define LUO_ABI_SHIM_TYPES_H
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef s8 __s8;
typedef s16 __s16;
typedef s32 __s32;
typedef s64 __s64;
#define __packed __attribute__((__packed__))
#define PAGE_SIZE 4096
#endif
`;

const BUILD_BUG_SHIM = `/* luo-abi check --header: stands in for the kernel's <linux/build_bug.h>. */
#ifndef LUO_ABI_SHIM_BUILD_BUG_H
#define LUO_ABI_SHIM_BUILD_BUG_H
/* The header's own size checks are the kernel build's business; here they must not hide the layout. */
#define static_assert(expr, ...) _Static_assert(1, "")
#endif
`;

function tool(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(input !== undefined ? { input } : {}) });
  if (result.error) throw new InputError(`${command} could not run (${result.error.message}); install it (scripts/setup-interop.sh installs gcc and dwarves)`);
  if (result.status !== 0) throw new ToolError(command, args, result.stderr);
  return result.stdout;
}

export function extractHeader(headerPath: string, included: IncludedMacros): HeaderLayout {
  const header = resolve(headerPath);
  const scratch = mkdtempSync(join(tmpdir(), 'luo-abi-header-'));
  try {
    const shim = join(scratch, 'shim');
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(shim, path)), { recursive: true });
      writeFileSync(join(shim, path), text);
    };
    write('linux/types.h', TYPES_SHIM);
    write('linux/build_bug.h', BUILD_BUG_SHIM);
    for (const [include, macros] of included) {
      const path = include.replace(/^[<"]|[>"]$/g, '');
      write(path, `/* luo-abi check --header: the schema's values. */\n${[...macros].map(([n, v]) => `#define ${n} ${v}\n`).join('')}`);
    }
    const flags = ['-I', shim, '-x', 'c'];
    const shimOnly = [...included.keys(), '<linux/types.h>', '<linux/build_bug.h>'].map((i) => `#include ${i}\n`).join('');
    const predefined = new Set(macroDefinitions(tool('gcc', ['-E', '-dM', ...flags, '-'], shimOnly)).keys());
    const lines = macroLines(tool('gcc', ['-E', '-dD', ...flags, header]), header);
    const macros = new Map<string, HeaderMacro>();
    for (const [name, text] of macroDefinitions(tool('gcc', ['-E', '-dM', ...flags, header]))) {
      if (predefined.has(name) || text === '') continue;
      const line = lines.get(name);
      macros.set(name, { name, text, ...(line ? { line } : {}) });
    }
    const object = join(scratch, 'header.o');
    tool('gcc', ['-g', '-c', '-fno-eliminate-unused-debug-types', ...flags, header, '-o', object]);
    const declared = declarationLines(tool('readelf', ['--debug-dump=info', object]));
    const layouts = parsePahole(tool('pahole', [object]));
    const aligns = alignments(scratch, flags, header, layouts);
    const structs = layouts.map((s) => {
      const where = declared.get(s.name);
      return { ...s, align: aligns.get(s.name) ?? 1, ...(where?.line ? { line: where.line } : {}), fieldLines: where?.fields ?? new Map() };
    });
    return { path: header, macros, structs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const PROBE = 'luo_abi_alignment_probe';

/**
 * DWARF records no alignment, so `__packed` shows only through offsets and sizes. A probe struct with
 * one `char[_Alignof(struct X)]` member per struct makes gcc compute each alignment and pahole print
 * it as a member size.
 */
function alignments(scratch: string, flags: string[], header: string, structs: readonly CanonicalStruct[]): Map<string, number> {
  if (structs.length === 0) return new Map();
  const probe = join(scratch, 'probe.c');
  writeFileSync(
    probe,
    `#include "${header}"\nstruct ${PROBE} {\n${structs.map((s) => `\tchar ${s.name}[_Alignof(${s.kind} ${s.name})];\n`).join('')}};\nstruct ${PROBE} ${PROBE};\n`,
  );
  const object = join(scratch, 'probe.o');
  tool('gcc', ['-g', '-c', ...flags, probe, '-o', object]);
  const found = parsePahole(tool('pahole', ['-C', PROBE, object]))[0];
  return new Map((found?.fields ?? []).map((f) => [f.name, f.size]));
}

/** `#define NAME BODY` lines of gcc -dM; function-like macros are left out. */
function macroDefinitions(output: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^#define ([A-Za-z_][A-Za-z0-9_]*)(?: (.*))?$/.exec(line);
    if (match) found.set(match[1]!, (match[2] ?? '').trim());
  }
  return found;
}

/** Where each macro of `file` is defined, from the line markers of gcc -E -dD. */
function macroLines(output: string, file: string): Map<string, number> {
  const found = new Map<string, number>();
  let current = '';
  let line = 0;
  for (const text of output.split('\n')) {
    const marker = /^# (\d+) "(.*)"/.exec(text);
    if (marker) {
      line = Number(marker[1]);
      current = marker[2]!;
      continue;
    }
    const define = /^#define ([A-Za-z_][A-Za-z0-9_]*)/.exec(text);
    if (define && current === file && !found.has(define[1]!)) found.set(define[1]!, line);
    line += 1;
  }
  return found;
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

/** pahole's C-like listing: `struct NAME {`, one member a line with `/* offset size *\/`, `/* size: N, ... *\/`. */
export function parsePahole(output: string): CanonicalStruct[] {
  const structs: CanonicalStruct[] = [];
  let current: { kind: 'struct' | 'union'; name: string; size: number; fields: CanonicalField[] } | undefined;
  for (const line of output.split('\n')) {
    const open = /^(struct|union) ([A-Za-z_][A-Za-z0-9_]*) \{$/.exec(line);
    if (open) {
      current = { kind: open[1] as 'struct' | 'union', name: open[2]!, size: 0, fields: [] };
      continue;
    }
    if (!current) continue;
    const member = /^\t(.+?)\s+([A-Za-z_][A-Za-z0-9_]*)((?:\[\d*\])*);\s*\/\*\s*(\d+)\s+(\d+)\s*\*\/$/.exec(line);
    if (member) {
      const dims = [...member[3]!.matchAll(/\[(\d*)\]/g)].map((m) => (m[1] === '' ? 0 : Number(m[1])));
      current.fields.push({ name: member[2]!, offset: Number(member[4]), size: Number(member[5]), type: cType(member[1]!.trim(), dims) });
      continue;
    }
    const size = /\/\* size: (\d+),/.exec(line);
    if (size) current.size = Number(size[1]);
    if (/^\}/.test(line)) {
      structs.push({ name: current.name, kind: current.kind, packed: false, size: current.size, align: 1, fields: current.fields });
      current = undefined;
    }
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
