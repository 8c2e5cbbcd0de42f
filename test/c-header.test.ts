/**
 * The generated headers against the real C toolchain: gcc lays every struct out as the layout engine
 * says, pahole reads the same layout from the DWARF gcc wrote, and the kernel's own kernel-doc and
 * checkpatch accept every header without a warning.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderCHeader } from '../generator/emit/c/index.ts';
import { buildModel, type Model, type StructModel, type VersionModel } from '../generator/model/index.ts';
import { luoSchema } from '../schema/index.ts';
import demoSchema from './fixtures/aligned-schema.ts';
import { KERNEL_SCRIPTS, ROOT, run, runOk, scratchDir } from './support/tools.ts';

const SHIM = join(ROOT, 'test/c/shim');
const GCC_FLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror', `-I${SHIM}`];

interface Case {
  readonly label: string;
  readonly model: Model;
  readonly version: VersionModel;
  readonly header: string;
}

const luo = buildModel(luoSchema);
const demo = buildModel(demoSchema);
const cases: Case[] = [
  ...luo.versions.map((v) => ({ label: v.name, model: luo, version: v, header: join(ROOT, 'out', v.name, 'luo.h') })),
  { label: 'luo.h (current)', model: luo, version: luo.current, header: join(ROOT, 'out/luo.h') },
  { label: 'demo (natural alignment, union)', model: demo, version: demo.current, header: '' },
];

let work: string;
beforeAll(() => {
  work = scratchDir('c-header');
  const demoHeader = join(work, 'demo.h');
  writeFileSync(demoHeader, renderCHeader(demo, demo.current.name));
  (cases.at(-1) as { header: string }).header = demoHeader;
});

/** A C program that prints what gcc decided: one line per struct and per field. */
function layoutProgram(header: string, structs: readonly StructModel[]): string {
  const lines = [`#include "${header}"`, '#include <stddef.h>', '#include <stdio.h>', 'int main(void)', '{'];
  for (const s of structs) {
    const type = `${s.kind} ${s.name}`;
    lines.push(`\tprintf("%s %zu %zu\\n", "${s.name}", sizeof(${type}), _Alignof(${type}));`);
    for (const f of s.fields) {
      const size = f.type.kind === 'flexible' ? '(size_t)0' : `sizeof(((${type} *)0)->${f.name})`;
      lines.push(`\tprintf("%s.%s %zu %zu\\n", "${s.name}", "${f.name}", offsetof(${type}, ${f.name}), ${size});`);
    }
  }
  lines.push('\treturn 0;', '}', '');
  return lines.join('\n');
}

function expectedLayout(structs: readonly StructModel[]): string[] {
  return structs.flatMap((s) => [
    `${s.name} ${s.size} ${s.align}`,
    ...s.fields.map((f) => `${s.name}.${f.name} ${f.offset} ${f.size}`),
  ]);
}

describe.each(cases)('$label', (c) => {
  it('compiles with gcc -Wall -Wextra -Werror and gcc agrees with the layout engine', () => {
    const source = join(work, `${c.version.name}-${c.label.length}-layout.c`);
    const binary = source.replace(/\.c$/, '');
    writeFileSync(source, layoutProgram(c.header, c.version.structs));
    runOk('gcc', [...GCC_FLAGS, source, '-o', binary]);
    const printed = runOk(binary, []).stdout.trim().split('\n');
    expect(printed).toEqual(expectedLayout(c.version.structs));
  });

  it('pahole reads the same sizes and offsets from the DWARF of an object built from it', () => {
    const source = join(work, `${c.version.name}-${c.label.length}-pahole.c`);
    const object = source.replace(/\.c$/, '.o');
    writeFileSync(source, `#include "${c.header}"\n`);
    runOk('gcc', [...GCC_FLAGS, '-g', '-fno-eliminate-unused-debug-types', '-c', source, '-o', object]);
    const seen = parsePahole(runOk('pahole', [object]).stdout);
    for (const s of c.version.structs) {
      const found = seen.get(s.name);
      expect(found, `pahole lists ${s.kind} ${s.name}`).toBeDefined();
      expect(found!.fields).toEqual(s.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size })));
      // pahole prints no size line for unions.
      if (s.kind === 'struct') expect(found!.size).toBe(s.size);
    }
  });
});

describe.each(cases.filter((c) => c.model === luo))('kernel tools on $label', (c) => {
  it('scripts/kernel-doc -none -Werror reports nothing', () => {
    const result = run('perl', [join(KERNEL_SCRIPTS, 'kernel-doc'), '-none', '-Werror', c.header]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('scripts/checkpatch.pl --no-tree -f reports zero errors and zero warnings', () => {
    const result = run('perl', [join(KERNEL_SCRIPTS, 'checkpatch.pl'), '--no-tree', '--strict', '--no-color', '-f', c.header]);
    expect(result.stdout).toMatch(/total: 0 errors, 0 warnings, 0 checks/);
    expect(result.status).toBe(0);
  });
});

describe.each(cases.filter((c) => c.model === luo))('the comments of $label cannot drift from its macros', (c) => {
  // What the preprocessor defines after including the header: the truth the comments must match.
  const macros = (): Map<string, string> => {
    const printed = runOk('gcc', ['-std=c11', `-I${SHIM}`, '-E', '-dM', c.header]).stdout;
    return new Map([...printed.matchAll(/^#define (\w+) (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  };
  const comments = (): string => [...readFileSync(c.header, 'utf8').matchAll(/\/\*[\s\S]*?\*\//g)].map((m) => m[0]).join('\n');

  it('every macro a comment names is defined', () => {
    const defined = macros();
    const named = new Set([...comments().matchAll(/\b(?:LUO|LIVEUPDATE)_[A-Z0-9_]+\b/g)].map((m) => m[0]));
    expect(named.size).toBeGreaterThanOrEqual(3);
    for (const name of named) expect(defined.has(name), `${name} is named in a comment`).toBe(true);
  });

  it('every compatible string in the DOC block is the value of a compatible macro', () => {
    const values = new Set([...macros()].filter(([name]) => name.endsWith('_COMPATIBLE')).map(([, value]) => value));
    const drawn = [...comments().matchAll(/compatible = ("[^"]*")/g)].map((m) => m[1]!);
    expect(drawn.length).toBe(c.version.guards.length);
    for (const value of drawn) expect(values.has(value), value).toBe(true);
  });

  it('every struct says which compatible macro guards it', () => {
    const text = readFileSync(c.header, 'utf8');
    const defined = macros();
    for (const s of c.version.structs) {
      const comment = new RegExp(`struct ${s.name} - [\\s\\S]*?If this structure is modified, (\\w+) must be\\s+\\*?\\s*updated`).exec(text);
      expect(comment, s.name).not.toBeNull();
      expect(comment![1]).toMatch(/_COMPATIBLE$/);
      expect(defined.has(comment![1]!)).toBe(true);
    }
  });
});

describe('kernel tools catch what they are there to catch', () => {
  it('kernel-doc fails on a member documented under the wrong name', () => {
    const broken = join(scratchDir('kdoc'), 'broken.h');
    writeFileSync(broken, renderCHeader(luo, 'luo-v2').replace('@flbs_pa:', '@flb_pa:'));
    const result = run('perl', [join(KERNEL_SCRIPTS, 'kernel-doc'), '-none', '-Werror', broken]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/flbs_pa/);
  });

  it('checkpatch warns about a member indented with spaces', () => {
    const broken = join(scratchDir('checkpatch'), 'broken.h');
    writeFileSync(broken, renderCHeader(luo, 'luo-v2').replace('\tu64 flbs_pa;', '        u64 flbs_pa;'));
    const result = run('perl', [join(KERNEL_SCRIPTS, 'checkpatch.pl'), '--no-tree', '--no-color', '-f', broken]);
    expect(result.stdout).not.toMatch(/total: 0 errors, 0 warnings/);
  });
});

interface PaholeStruct {
  size?: number;
  fields: { name: string; offset: number; size: number }[];
}

/** Members and sizes from pahole's default output: `type name; /* offset size *\/`. */
function parsePahole(text: string): Map<string, PaholeStruct> {
  const result = new Map<string, PaholeStruct>();
  let current: PaholeStruct | undefined;
  for (const line of text.split('\n')) {
    const open = /^(?:struct|union) (\w+) \{/.exec(line);
    if (open) {
      current = { fields: [] };
      result.set(open[1]!, current);
      continue;
    }
    if (!current) continue;
    const member = /^\t\S.*?\s\**(\w+)(?:\[\d*\])*;\s+\/\*\s+(\d+)\s+(\d+)\s+\*\//.exec(line);
    if (member) current.fields.push({ name: member[1]!, offset: Number(member[2]), size: Number(member[3]) });
    const size = /\/\* size: (\d+),/.exec(line);
    if (size) current.size = Number(size[1]);
    if (/^\}/.test(line)) current = undefined;
  }
  return result;
}
