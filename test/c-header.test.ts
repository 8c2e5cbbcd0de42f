/**
 * The generated headers against the real C toolchain, for every version of every header of every
 * schema we have, at 4, 16 and 64 KiB pages: gcc lays every struct out as the layout engine says
 * (sizeof, _Alignof, offsetof, and each bit-field's bits, found by setting it to all ones), pahole
 * reads the same layout from the DWARF gcc wrote, and the kernel's own kernel-doc and checkpatch
 * accept every header. A header that uses another is compiled beside the one it includes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitCHeaders, renderCHeader } from '../generator/emit/c/index.ts';
import { currentHeaderFile } from '../generator/emit/files.ts';
import {
  allVersions,
  buildModel,
  findHeader,
  findVersion,
  PAGE_SHIFTS,
  usedVersion,
  type FieldModel,
  type Model,
  type PageShift,
  type StructModel,
  type VersionModel,
} from '../generator/model/index.ts';
import type { AbiSchema } from '../schema/lang.ts';
import kho from '../schema/index.ts';
import aligned from './fixtures/aligned-schema.ts';
import gadget from './fixtures/gadget-schema.ts';
import handler from './fixtures/handler-schema.ts';
import { KERNEL_SCRIPTS, ROOT, run, runOk, scratchDir } from './support/tools.ts';

const SHIM = join(ROOT, 'test/c/shim');
const GCC_FLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror', `-I${SHIM}`];
const REGENERATE = ' * Generated from the luo-abi schema: edit the schema, then run `luo-abi generate`.';

const SCHEMAS: readonly { readonly label: string; readonly schema: AbiSchema }[] = [
  { label: 'kho', schema: kho },
  { label: 'gadget', schema: gadget },
  { label: 'aligned', schema: aligned },
  { label: 'handler', schema: handler },
];

interface Case {
  readonly label: string;
  readonly schema: string;
  readonly shift: PageShift;
  readonly model: Model;
  readonly version: VersionModel;
  /** The include tree: this version's header and those of every version it uses. */
  readonly include: string;
  readonly header: string;
}

const models = new Map(SCHEMAS.map(({ label, schema }) => [label, new Map(PAGE_SHIFTS.map((shift) => [shift, buildModel(schema, { pageShift: shift })]))]));
const cases: Case[] = SCHEMAS.flatMap(({ label }) =>
  PAGE_SHIFTS.flatMap((shift) => {
    const model = models.get(label)!.get(shift)!;
    return allVersions(model).map((version) => ({
      label: `${label} ${version.name} at PAGE_SHIFT ${shift}`,
      schema: label,
      shift,
      model,
      version,
      include: '',
      header: '',
    }));
  }),
);
const at4k = cases.filter((c) => c.shift === 12);

/** The version and every version it uses, transitively. */
function withUsed(model: Model, version: VersionModel): VersionModel[] {
  const all = [version];
  for (let i = 0; i < all.length; i++) for (const ref of all[i]!.uses) if (!all.some((v) => v.header === ref.header)) all.push(usedVersion(model, ref));
  return all;
}

let work: string;
beforeAll(() => {
  work = scratchDir('c-header');
  for (const c of cases) {
    const root = join(work, c.schema, String(c.shift), c.version.name);
    for (const v of withUsed(c.model, c.version)) {
      const path = join(root, currentHeaderFile(findHeader(c.model, v.header)));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, renderCHeader(c.model, v));
      if (v === c.version) Object.assign(c, { header: path });
    }
    Object.assign(c, { include: join(root, 'include') });
  }
});

// -----------------------------------------------------------------------------------------------
// What the model says, written as what gcc and pahole print

/** A member as C names it from the struct (`a`, `value.word`, or `word` in an anonymous union), at its offset in the struct. */
interface Member {
  readonly path: string;
  readonly field: FieldModel;
  readonly offset: number;
}

function members(fields: readonly FieldModel[], prefix = '', base = 0): Member[] {
  return fields.flatMap((field) => {
    const offset = base + field.offset;
    if (field.type.kind !== 'inline') return [{ path: `${prefix}${field.name}`, field, offset }];
    const inner = members(field.type.fields, field.anonymous ? prefix : `${prefix}${field.name}.`, offset);
    return field.anonymous ? inner : [{ path: `${prefix}${field.name}`, field, offset }, ...inner];
  });
}

/** The struct's bytes with only this bit-field's bits set, gcc's little-endian allocation order. */
function bitsHex(struct: StructModel, member: Member): string {
  const bytes = new Uint8Array(struct.size);
  const first = member.offset * 8 + member.field.bits!.shift;
  for (let bit = first; bit < first + member.field.bits!.width; bit++) bytes[bit >> 3]! |= 1 << (bit & 7);
  return Buffer.from(bytes).toString('hex');
}

function expectedLayout(structs: readonly StructModel[]): string[] {
  return structs.flatMap((s) => [
    `${s.name} ${s.size} ${s.align}`,
    ...members(s.fields).map((m) => (m.field.bits ? `${s.name}.${m.path} bits ${bitsHex(s, m)}` : `${s.name}.${m.path} ${m.offset} ${m.field.size}`)),
  ]);
}

/** A C program that prints what gcc decided, line for line as expectedLayout. */
function layoutProgram(header: string, structs: readonly StructModel[]): string {
  const lines = [`#include "${header}"`, '#include <stddef.h>', '#include <stdio.h>', '#include <string.h>', '', 'static volatile long long ones = -1;', ''];
  lines.push('static inline void hex(const void *p, size_t n)', '{', '\tfor (size_t i = 0; i < n; i++)', '\t\tprintf("%02x", ((const unsigned char *)p)[i]);', '\tputchar(\'\\n\');', '}', '');
  lines.push('int main(void)', '{');
  for (const s of structs) {
    const type = `${s.kind} ${s.name}`;
    lines.push('\t{', `\t\t${type} v;`, `\t\tprintf("%s %zu %zu\\n", "${s.name}", sizeof(${type}), _Alignof(${type}));`);
    for (const m of members(s.fields)) {
      if (m.field.bits) {
        lines.push(`\t\tmemset(&v, 0, sizeof(v));`, `\t\tv.${m.path} = ones;`, `\t\tprintf("%s bits ", "${s.name}.${m.path}");`, '\t\thex(&v, sizeof(v));');
      } else {
        const size = m.field.type.kind === 'flexible' ? '(size_t)0' : `sizeof(v.${m.path})`;
        lines.push(`\t\tprintf("%s %zu %zu\\n", "${s.name}.${m.path}", offsetof(${type}, ${m.path}), ${size});`);
      }
    }
    lines.push('\t\t(void)v;', '\t}');
  }
  lines.push('\treturn 0;', '}', '');
  return lines.join('\n');
}

/** One line of pahole's member list: depth 1 for the struct's own members; a closing `}` of a nested union carries its name. */
interface PaholeMember {
  readonly depth: number;
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly bit?: number;
  readonly width?: number;
}

/** What pahole should print for a struct's members, nested ones before the line that closes them. */
function expectedPahole(fields: readonly FieldModel[], depth = 1, base = 0): PaholeMember[] {
  return fields.flatMap((f): PaholeMember[] => {
    const offset = base + f.offset;
    const type = f.type;
    if (f.bits && type.kind === 'bits') {
      // pahole names the storage unit (the base type, aligned) and the bit in it.
      const first = offset * 8 + f.bits.shift;
      const unit = Math.floor(first / (type.base.size * 8)) * type.base.size;
      return [{ depth, name: f.name, offset: unit, size: type.base.size, bit: first - unit * 8, width: f.bits.width }];
    }
    if (type.kind === 'inline') return [...expectedPahole(type.fields, depth + 1, offset), { depth, name: f.anonymous ? '' : f.name, offset, size: f.size }];
    if (type.kind === 'pointer' && type.form === 'khoser') {
      // DECLARE_KHOSER_PTR: a union of the u64 address and the kernel pointer.
      return [
        { depth: depth + 1, name: 'phys', offset, size: 8 },
        { depth: depth + 1, name: 'ptr', offset, size: 8 },
        { depth, name: f.name, offset, size: 8 },
      ];
    }
    return [{ depth, name: f.name, offset, size: f.size }];
  });
}

interface PaholeStruct {
  size?: number;
  members: PaholeMember[];
}

/** Members and sizes from pahole's default output: `type name[:bits]; /* offset[:bit] size *\/`. */
function parsePahole(text: string): Map<string, PaholeStruct> {
  const result = new Map<string, PaholeStruct>();
  let current: PaholeStruct | undefined;
  for (const line of text.split('\n')) {
    const open = /^(?:struct|union) (\w+) \{/.exec(line);
    if (open) {
      current = { members: [] };
      result.set(open[1]!, current);
      continue;
    }
    if (!current) continue;
    const closing = /^(\t+)\}\s*(\w*);\s+\/\*\s+(\d+)\s+(\d+)\s+\*\//.exec(line);
    const member = /^(\t+)[^\t}].*?\s\**(\w+)(?::(\d+))?(?:\[\d*\])*;\s+\/\*\s+(\d+)(?::\s*(\d+))?\s+(\d+)\s+\*\//.exec(line);
    if (closing) current.members.push({ depth: closing[1]!.length, name: closing[2]!, offset: Number(closing[3]), size: Number(closing[4]) });
    else if (member) {
      const bits = member[3] !== undefined ? { bit: Number(member[5]), width: Number(member[3]) } : {};
      current.members.push({ depth: member[1]!.length, name: member[2]!, offset: Number(member[4]), size: Number(member[6]), ...bits });
    }
    const size = /\/\* size: (\d+),/.exec(line);
    if (size) current.size = Number(size[1]);
    if (/^\}/.test(line)) current = undefined;
  }
  return result;
}

// -----------------------------------------------------------------------------------------------
// gcc and pahole

describe.each(cases)('$label', (c) => {
  it('compiles with gcc -Wall -Wextra -Werror, and gcc and pahole agree with the layout engine', () => {
    const source = join(dirname(c.include), 'layout.c');
    const binary = source.replace(/\.c$/, '');
    writeFileSync(source, layoutProgram(c.header, c.version.structs));
    runOk('gcc', [...GCC_FLAGS, `-I${c.include}`, `-DPAGE_SHIFT=${c.shift}`, '-g', '-fno-eliminate-unused-debug-types', source, '-o', binary]);
    expect(runOk(binary, []).stdout.trim().split('\n')).toEqual(expectedLayout(c.version.structs));

    const seen = parsePahole(runOk('pahole', [binary]).stdout);
    for (const s of c.version.structs) {
      const found = seen.get(s.name);
      expect(found, `pahole lists ${s.kind} ${s.name}`).toBeDefined();
      expect(found!.members, `${s.kind} ${s.name}`).toEqual(expectedPahole(s.fields));
      // pahole prints no size line for unions.
      if (s.kind === 'struct') expect(found!.size).toBe(s.size);
    }
  });
});

describe('the layouts that depend on the page size', () => {
  it('checks a struct whose size is a page at every page size: 4, 16 and 64 KiB', () => {
    const sizes = cases.filter((c) => c.version.name === 'gadget-v1').map((c) => [c.shift, c.version.structs.find((s) => s.name === 'gadget_page')!.size]);
    expect(sizes).toEqual([
      [12, 4096],
      [14, 16384],
      [16, 65536],
    ]);
  });

  it('writes the same header text at every page size, with PAGE_SIZE where the size depends on it', () => {
    for (const { label } of SCHEMAS) {
      const texts = PAGE_SHIFTS.map((shift) => emitCHeaders(models.get(label)!.get(shift)!));
      expect(texts[1], label).toEqual(texts[0]);
      expect(texts[2], label).toEqual(texts[0]);
    }
    const text = readFileSync(at4k.find((c) => c.version.name === 'gadget-v1')!.header, 'utf8');
    expect(text).toContain('static_assert(sizeof(struct gadget_page) == PAGE_SIZE);');
    expect(text).not.toMatch(/4096|16384|65536/);
  });
});

// -----------------------------------------------------------------------------------------------
// What an upstream header has

describe('the header as upstream would take it', () => {
  const gadgetModel = models.get('gadget')!.get(12)!;
  const text = (name: string): string => renderCHeader(gadgetModel, findVersion(gadgetModel, name));

  it('puts every header where a kernel tree has it, and every version under its header and version', () => {
    expect((emitCHeaders(gadgetModel) as { path: string }[]).map((f) => f.path).sort()).toEqual([
      'gadget/gadget-v1/gadget.h',
      'gadget_base/base-v1/gadget_base.h',
      'include/linux/gadget/gadget.h',
      'include/linux/gadget/gadget_base.h',
    ]);
    const luo = models.get('kho')!.get(12)!;
    const paths = (emitCHeaders(luo) as { path: string }[]).map((f) => f.path);
    expect(paths).toContain('include/linux/kho/abi/luo.h');
    expect(paths).toContain('luo/luo-v4/luo.h');
    expect(paths).toContain('luo/luo-v1-session-v1/luo.h');
    expect(paths.filter((p) => !p.startsWith('include/')).length).toBe(allVersions(luo).length);
  });

  it('starts with the SPDX line and the copyright block, which says how to regenerate it', () => {
    const lines = text('gadget-v1').split('\n');
    expect(lines.slice(0, 6)).toEqual(['/* SPDX-License-Identifier: GPL-2.0 */', '/*', ' * A test ABI.', ' *', REGENERATE, ' */']);
  });

  it('includes the family header it uses and what its C text needs, and nothing else', () => {
    const includes = (name: string): string[] => [...text(name).matchAll(/^#include (.*)$/gm)].map((m) => m[1]!);
    // BIT: bits.h; const_ilog2: log2.h; PAGE_SIZE (enum, static_assert): asm/page.h; DECLARE_BITMAP: types.h.
    expect(includes('gadget-v1')).toEqual(['<linux/bits.h>', '<linux/build_bug.h>', '<linux/gadget/gadget_base.h>', '<linux/log2.h>', '<linux/types.h>', '<asm/page.h>']);
    // ALIGN in GADGET_COMPAT_ALIGN.
    expect(includes('base-v1')).toEqual(['<linux/align.h>', '<linux/build_bug.h>', '<linux/types.h>']);
    const luoV4 = renderCHeader(models.get('kho')!.get(12)!, findVersion(models.get('kho')!.get(12)!, 'luo-v4'));
    expect([...luoV4.matchAll(/^#include (.*)$/gm)].map((m) => m[1])).toEqual(['<linux/build_bug.h>', '<linux/types.h>', '<asm/page.h>', '<uapi/linux/liveupdate.h>']);
  });

  it('never redefines what the header it includes defines', () => {
    expect(text('gadget-v1')).not.toContain('struct gadget_link {');
    expect(text('gadget-v1')).not.toMatch(/#define (GADGET_SUB_COMPAT|GADGET_BASE_COMPATIBLE|DECLARE_KHOSER_PTR)\b/);
  });

  it('compiles beside the header it includes, and not without it', () => {
    const c = at4k.find((x) => x.version.name === 'gadget-v1')!;
    const source = join(dirname(c.include), 'alone.c');
    writeFileSync(source, '#include <linux/gadget/gadget.h>\n');
    runOk('gcc', [...GCC_FLAGS, `-I${c.include}`, '-fsyntax-only', source]);
    const bare = join(scratchDir('c-header-alone'), 'include/linux/gadget');
    mkdirSync(bare, { recursive: true });
    writeFileSync(join(bare, 'gadget.h'), text('gadget-v1'));
    const result = run('gcc', [...GCC_FLAGS, `-I${dirname(dirname(bare))}`, '-fsyntax-only', source]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('linux/gadget/gadget_base.h');
  });

  it('puts each definition beside the struct that uses it, the unused ones first', () => {
    const body = text('gadget-v1').split('#include <asm/page.h>')[1]!;
    const order = [...body.matchAll(/^(?:#define (\w+)|enum (\w+) \{|struct (\w+) \{|#ifdef (\w+))/gm)].map((m) => m.slice(1).find(Boolean));
    expect(order).toEqual([
      'GADGET_KHO_ENTRY',
      // The enum sizes gadget_page's table and gadget_root's map; the test macro is used by nothing.
      'gadget_consts',
      'CONFIG_GADGET_TEST',
      'GADGET_TEST_COMPATIBLE',
      'gadget_page',
      'gadget_item',
      // The compatible string sizes gadget_root's compatible field, through GADGET_COMPAT_LEN.
      'GADGET_COMPAT_BASE',
      'GADGET_COMPATIBLE',
      'GADGET_COMPAT_LEN',
      'gadget_root',
    ]);
    expect(text('gadget-v1')).toContain('#ifdef CONFIG_GADGET_TEST\n#define GADGET_TEST_COMPATIBLE(i)\t"gadget-test-v" #i\n#endif\n');
    expect(text('gadget-v1')).toContain('enum gadget_consts {\n\tGADGET_TABLE_LOG2 = const_ilog2(PAGE_SIZE / sizeof(u64)),\n\tGADGET_MAP_BITS = BIT(7),\n};\n');
  });

  it('defines a constant that takes the size of a struct after that struct, right before the struct it sizes', () => {
    const handlers = models.get('handler')!.get(12)!;
    const body = renderCHeader(handlers, findVersion(handlers, 'widget-v1')).split('#include <asm/page.h>')[1]!;
    const order = [...body.matchAll(/^(?:#define (\w+)|struct (\w+) \{)/gm)].map((m) => m[1] ?? m[2]);
    expect(order).toEqual(['WIDGET_COMPATIBLE', 'widget_hdr', 'WIDGET_ENTRIES', 'widget_page', 'widget_ser']);
    expect(body).toContain('#define WIDGET_ENTRIES\t((PAGE_SIZE - sizeof(struct widget_hdr)) / sizeof(u64))\n');
  });

  it('spells bit-fields, anonymous unions, KHOSER pointers and bitmaps as the kernel does', () => {
    const body = (struct: string): string => new RegExp(`struct ${struct} \\{\\n([\\s\\S]*?)\\n\\}`).exec(text('gadget-v1'))![1]!;
    expect(body('gadget_item')).toBe(
      ['\tu64 pfn:52;', '\tu64 flags:12;', '\tu32 small:3;', '\tu32 rest:29;', '\t/* The value, seen two ways. */', '\tunion {', '\t\tu32 word;', '\t\tu16 halves[2];', '\t};'].join('\n'),
    );
    expect(body('gadget_root')).toContain('\tDECLARE_KHOSER_PTR(items, struct gadget_item *);\n');
    expect(body('gadget_root')).toContain('\tDECLARE_BITMAP(map, GADGET_MAP_BITS);\n');
    expect(body('gadget_root')).toContain('\tchar compatible[GADGET_COMPAT_LEN];\n');
    expect(body('gadget_page')).toBe('\tu64 table[1 << GADGET_TABLE_LOG2];');
  });

  it('says where a KHO entry keeps the state and what a composed guard string guards', () => {
    const doc = text('gadget-v1')
      .split('\n')
      .filter((line) => line.startsWith(' *'))
      .map((line) => line.slice(2).trim())
      .join(' ');
    expect(doc).toContain('The KHO entry GADGET_KHO_ENTRY ("GADGET") holds one struct gadget_root, the root of the state.');
    expect(doc).toContain(
      'GADGET_COMPATIBLE ("gadget-v1;base-v1"), held in the compatible field of struct gadget_root, guards struct gadget_item, struct gadget_page and struct gadget_root, and struct gadget_link through GADGET_BASE_COMPATIBLE, which it composes.',
    );
    expect(doc).not.toContain('FDT');
    expect(text('base-v1')).toContain('If this structure is modified, GADGET_BASE_COMPATIBLE must be updated.');
  });

  it('keeps every line within 80 columns, but the one prescribed regenerate line, and breaks a long #define', () => {
    for (const c of at4k) {
      for (const line of readFileSync(c.header, 'utf8').split('\n')) {
        if (line === REGENERATE) continue;
        // Tabs stop every 8 columns.
        const columns = [...line].reduce((column, ch) => (ch === '\t' ? (Math.floor(column / 8) + 1) * 8 : column + 1), 0);
        expect(columns, `${c.label}: ${line}`).toBeLessThanOrEqual(80);
      }
    }
    expect(text('gadget-v1')).toContain('#define GADGET_COMPATIBLE \\\n\tGADGET_COMPAT_BASE GADGET_SUB_COMPAT(GADGET_BASE_COMPATIBLE)\n');
  });

  it('says which field of which other header leads to state reached from there', () => {
    const handlers = models.get('handler')!.get(12)!;
    const doc = renderCHeader(handlers, findVersion(handlers, 'widget-v1'))
      .split('\n')
      .filter((line) => line.startsWith(' *'))
      .map((line) => line.slice(2).trim())
      .join(' ');
    expect(doc).toContain(
      'The state is reached from struct holder_slot of holder.h: when its handler field holds WIDGET_COMPATIBLE ("widget-v1"), its data field is the physical address of one struct widget_ser. Never 0.',
    );
    expect(doc).toContain('WIDGET_COMPATIBLE ("widget-v1"), held in the handler field of struct holder_slot of holder.h, guards struct widget_hdr, struct widget_page and struct widget_ser.');
  });

  it('puts an expression with an operator in parentheses, so it expands as one value', () => {
    const demo = models.get('aligned')!.get(12)!;
    expect(renderCHeader(demo, demo.headers[0]!.current)).toMatch(/^#define DEMO_NAME_LEN\t+\(2 \* 2 \+ 1\)$/m);
  });
});

// -----------------------------------------------------------------------------------------------
// Kernel tools

/** checkpatch's findings, each with its type and the line it is about. */
function checkpatchFindings(output: string): { type: string; line: string }[] {
  return [...output.matchAll(/^(?:ERROR|WARNING|CHECK):(\w+):.*\n(?:#\d+: FILE: .*\n)?\+(.*)$/gm)].map((m) => ({ type: m[1]!, line: m[2]! }));
}

describe.each(at4k)('kernel tools on $label', (c) => {
  it('scripts/kernel-doc -none -Werror reports nothing', () => {
    const result = run('perl', [join(KERNEL_SCRIPTS, 'kernel-doc'), '-none', '-Werror', c.header]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('scripts/checkpatch.pl --strict finds nothing but its known false positive on string concatenations', () => {
    const result = run('perl', [join(KERNEL_SCRIPTS, 'checkpatch.pl'), '--no-tree', '--strict', '--show-types', '--no-color', '-f', c.header]);
    // checkpatch wants a macro body in parentheses unless it starts or ends with a literal; a
    // parenthesised string cannot be concatenated further, so a composed string stays bare.
    const concatenations = c.version.constants.filter((k) => k.kind === 'expr' && typeof k.value === 'string').map((k) => k.name);
    const findings = checkpatchFindings(result.stdout);
    for (const finding of findings) {
      expect(finding.type, finding.line).toBe('COMPLEX_MACRO');
      expect(concatenations).toContain(/^#define (\w+)/.exec(finding.line)?.[1]);
    }
    expect(result.stdout).toContain(`total: ${findings.length} errors, 0 warnings, 0 checks`);
  });
});

describe.each(at4k)('the comments of $label cannot drift from its macros', (c) => {
  const comments = (): string => [...readFileSync(c.header, 'utf8').matchAll(/\/\*[\s\S]*?\*\//g)].map((m) => m[0]).join('\n');
  // What the preprocessor defines after including the header: the truth the comments must match.
  const defined = (): Set<string> => {
    const printed = runOk('gcc', ['-std=c11', `-I${SHIM}`, `-I${c.include}`, '-E', '-dM', c.header]).stdout;
    return new Set([...printed.matchAll(/^#define (\w+)/gm)].map((m) => m[1]!));
  };
  /** The strings the named macros expand to, printed by a program gcc builds. */
  const strings = (macros: readonly string[]): Map<string, string> => {
    const source = join(dirname(c.include), 'strings.c');
    const lines = [`#include "${c.header}"`, '#include <stdio.h>', 'int main(void)', '{', ...macros.map((m) => `\tputs(${m});`), '\treturn 0;', '}', ''];
    writeFileSync(source, lines.join('\n'));
    runOk('gcc', [...GCC_FLAGS, `-I${c.include}`, source, '-o', source.replace(/\.c$/, '')]);
    const printed = runOk(source.replace(/\.c$/, ''), []).stdout.split('\n');
    return new Map(macros.map((m, i) => [m, printed[i]!]));
  };

  it('every macro a comment names is defined', () => {
    const names = defined();
    for (const [name] of comments().matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g)) expect(names.has(name), `${name} is named in a comment`).toBe(true);
  });

  it('every string a comment quotes after a macro is that macro\'s value, and every guard is quoted', () => {
    const flat = comments().replace(/\n \*\s*/g, ' ');
    const quoted = [...flat.matchAll(/\b([A-Z][A-Z0-9_]+) \("([^"]*)"\)/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(new Set(quoted.map(([macro]) => macro))).toEqual(new Set([...c.version.guards.map((g) => g.macro), ...entryMacros(c.version)]));
    const values = strings(quoted.map(([macro]) => macro));
    for (const [macro, value] of quoted) expect(values.get(macro), macro).toBe(value);
    // The FDT picture's compatible strings are those of its nodes' macros.
    const drawn = [...comments().matchAll(/compatible = "([^"]*)";/g)].map((m) => m[1]!);
    const nodeGuards = c.version.guards.filter((g) => g.role.kind === 'node');
    expect(drawn).toEqual(nodeGuards.map((g) => values.get(g.macro)));
  });

  it('every struct says which string a change to it must bump', () => {
    const text = readFileSync(c.header, 'utf8').replace(/\n \*\s*/g, ' ');
    for (const s of c.version.structs) {
      const sentence = new RegExp(`${s.kind} ${s.name} - .*?If this structure is modified, (\\w+|the compatible strings of the headers that use it) must be updated`).exec(text);
      expect(sentence, s.name).not.toBeNull();
      expect(sentence![1]).toBe(s.guard || 'the compatible strings of the headers that use it');
      if (s.guard) expect(defined().has(s.guard)).toBe(true);
    }
  });
});

/** The KHO entry name a kho-entry container quotes beside its macro. */
function entryMacros(version: VersionModel): string[] {
  const container = version.container;
  return container?.kind === 'fdt' || container?.kind === 'kho-entry' ? (container.khoEntry ? [container.khoEntry.name] : []) : [];
}

describe('kernel tools catch what they are there to catch', () => {
  const gadgetModel = models.get('gadget')!.get(12)!;
  const header = renderCHeader(gadgetModel, findVersion(gadgetModel, 'gadget-v1'));

  it('kernel-doc fails on a member documented under the wrong name', () => {
    const broken = join(scratchDir('kdoc'), 'broken.h');
    writeFileSync(broken, header.replace('@pfn:', '@pfm:'));
    const result = run('perl', [join(KERNEL_SCRIPTS, 'kernel-doc'), '-none', '-Werror', broken]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/pfn/);
  });

  it('checkpatch warns about a member indented with spaces', () => {
    const broken = join(scratchDir('checkpatch'), 'broken.h');
    writeFileSync(broken, header.replace('\tu64 count;', '        u64 count;'));
    const result = run('perl', [join(KERNEL_SCRIPTS, 'checkpatch.pl'), '--no-tree', '--no-color', '-f', broken]);
    expect(result.stdout).toMatch(/code indent should use tabs/);
  });
});
