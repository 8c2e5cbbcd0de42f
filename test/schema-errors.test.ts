/**
 * Schema mistakes: those TypeScript sees are type errors; the rest are validation errors that name
 * the exact place. The command line exits 2 on them and writes nothing.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  areaField,
  array,
  bits,
  chars,
  defineExpr,
  defineMacro,
  defineNumber,
  defineString,
  expr,
  family,
  fdtContainer,
  field,
  header,
  khoEntry,
  khoserPtr,
  node,
  pa,
  pointerProperty,
  reachedFrom,
  struct,
  toArray,
  toClient,
  toStruct,
  pages,
  u64,
  u64Property,
  u8,
  version,
  type AbiSchema,
  type Aggregate,
  type AbiVersion,
  type Constant,
  type FdtContainer,
  type FdtNode,
  type FieldType,
} from '../schema/lang.ts';
import { kexecHandoverHeader, kho_vmalloc_area, khoV4 } from '../schema/kexec_handover/index.ts';
import { buildModel, SchemaError, versionNodes, type SchemaIssue } from '../generator/model/index.ts';
import khoFamily from '../schema/index.ts';
import { luoHeader } from '../schema/luo/index.ts';
import { luoV2 } from '../schema/luo/versions.ts';
import { luo_file_ser } from '../schema/luo/structs.ts';
import { cli } from './support/cli.ts';
import { ROOT, run, scratchDir } from './support/tools.ts';

function issuesOf(schema: AbiSchema): SchemaIssue[] {
  try {
    buildModel(schema);
  } catch (error) {
    if (error instanceof SchemaError) return [...error.issues];
    throw error;
  }
  throw new Error('the schema was accepted');
}

/** Code and path of each issue, the path without the header: what most tests compare. */
const placed = (issues: readonly SchemaIssue[]) => issues.map((i) => [i.code, i.path.slice(1).join(' > ')]);

/** luo.h with luo-v2 only, its luo_ser replaced by `luoSer` (and any extra types and constants appended). */
function withLuoSer(luoSer: Aggregate, extraTypes: Aggregate[] = [], extraConstants: Constant[] = []): AbiSchema {
  const types = luoV2.types.map((t) => (t.name === 'luo_ser' ? luoSer : t));
  const container = luoV2.container!;
  if (container.kind !== 'fdt') throw new Error('luo-v2 keeps its state in an FDT');
  const property = container.root.properties[0]!;
  const v: AbiVersion = {
    ...luoV2,
    constants: [...luoV2.constants, ...extraConstants],
    types: [...types, ...extraTypes],
    container: { ...container, root: { ...container.root, properties: [pointerProperty(property.name, pa(toStruct(luoSer)), property.doc)] } },
  };
  return header({ ...luoHeader, versions: [v], current: 'luo-v2' });
}

function withDocs(doc: string): AbiSchema {
  const original = luoV2.types.find((t) => t.name === 'luo_ser')!;
  return withLuoSer(struct('luo_ser', { packed: true, summary: original.summary, fields: { ...original.fields, extra: field(u64, doc) } }));
}

function luoSerWith(extra: Record<string, FieldType>): Aggregate {
  const original = luoV2.types.find((t) => t.name === 'luo_ser')!;
  const fields: Record<string, ReturnType<typeof field>> = { ...original.fields };
  for (const [name, type] of Object.entries(extra)) fields[name] = field(type, 'A field under test.');
  return struct('luo_ser', { packed: true, summary: original.summary, fields });
}

/** A one-version header named `name` whose state is `root` under a KHO entry guarded by `compatible`. */
function rawHeader(name: string, root: Aggregate, spec: Partial<AbiVersion> & { compatible: Constant }): ReturnType<typeof header> {
  const ENTRY = defineString(`${name.toUpperCase()}_ENTRY`, name.toUpperCase());
  const v = version({
    name: `${name}-v1`,
    origin: 'Test.',
    doc: { title: 'Test', paragraphs: [] },
    types: [root],
    ...spec,
    constants: [ENTRY, spec.compatible, ...(spec.constants ?? [])],
    container: khoEntry({ khoEntry: ENTRY, struct: root, field: 'compatible' as never, compatible: spec.compatible as never }),
  });
  return header({ name, path: `include/test/${name}.h`, includeGuard: `_TEST_${name.toUpperCase()}_H`, spdx: 'GPL-2.0', copyright: [], versions: [v], current: v.name });
}

describe('validation errors name the exact place', () => {
  it('a pointer to a struct the version does not declare', () => {
    const stray = struct('stray_ser', { packed: true, summary: 'Not in luo-v2.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(withLuoSer(luoSerWith({ flbs_pa: pa(toStruct(stray)) })));
    expect(issues.map((i) => i.code)).toEqual(['undeclared-type']);
    expect(issues[0]!.path).toEqual(['luo', 'luo-v2', 'struct luo_ser', 'flbs_pa']);
    expect(String(new SchemaError(issues).message)).toMatch(/luo > luo-v2 > struct luo_ser > flbs_pa: points at struct stray_ser, which is not among luo-v2's types/);
  });

  it('an unknown type', () => {
    const issues = issuesOf(withLuoSer(luoSerWith({ extra: 'u128' as unknown as FieldType })));
    expect(placed(issues)).toEqual([['unknown-type', 'luo-v2 > struct luo_ser > extra']]);
  });

  it('a nested struct the version does not declare', () => {
    const stray = struct('stray_ser', { packed: true, summary: 'Not in luo-v2.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(withLuoSer(luoSerWith({ nested: stray })));
    expect(placed(issues)).toEqual([['undeclared-type', 'luo-v2 > struct luo_ser > nested']]);
  });

  it('a zero-length array that TypeScript could not see', () => {
    const zero: number = Number('0');
    const issues = issuesOf(withLuoSer(luoSerWith({ empty: array(u64, zero as 1) })));
    expect(placed(issues)).toEqual([['zero-length-array', 'luo-v2 > struct luo_ser > empty']]);
  });

  it('an array whose length constant is 0', () => {
    const ZERO = defineNumber('LUO_ZERO', 0);
    const issues = issuesOf(withLuoSer(luoSerWith({ empty: chars(ZERO) }), [], [ZERO]));
    expect(placed(issues)).toEqual([['zero-length-array', 'luo-v2 > struct luo_ser > empty']]);
  });

  it('an array length constant missing from the version', () => {
    const LEN = defineNumber('LUO_NOT_LISTED', 4);
    const issues = issuesOf(withLuoSer(luoSerWith({ four: chars(LEN) })));
    expect(issues.map((i) => i.code)).toEqual(['undeclared-constant']);
    expect(issues[0]!.message).toMatch(/LUO_NOT_LISTED.*add it to the version's constants/);
  });

  it('a pointer to nothing', () => {
    const issues = issuesOf(withLuoSer(luoSerWith({ dangling: pa(undefined as never) })));
    expect(placed(issues)).toEqual([['pointer-to-nothing', 'luo-v2 > struct luo_ser > dangling']]);
  });

  it('an array pointer whose count is not a sibling field', () => {
    const entry = luoV2.types.find((t) => t.name === 'luo_file_ser')!;
    const issues = issuesOf(withLuoSer(luoSerWith({ files: pa(toArray({ entry, count: 'nfiles', block: pages(2) })) })));
    expect(placed(issues)).toEqual([['bad-pointer-field', 'luo-v2 > struct luo_ser > files']]);
  });

  it('a cycle of nested structs', () => {
    const a = struct('cycle_a', { packed: true, summary: 'A.', fields: { x: field(u64, 'x') } });
    const b = struct('cycle_b', { packed: true, summary: 'B.', fields: { a: field(a, 'a') } });
    (a.fields as Record<string, unknown>).b = field(b, 'b');
    const issues = issuesOf(withLuoSer(luoSerWith({ a }), [a, b]));
    expect(issues.map((i) => i.code)).toContain('nested-cycle');
    expect(issues.find((i) => i.code === 'nested-cycle')!.message).toMatch(/cycle_a -> cycle_b -> cycle_a/);
  });

  it('a struct nothing in the container reaches', () => {
    const orphan = struct('orphan_ser', { packed: true, summary: 'Reached by nothing.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(withLuoSer(luoSerWith({}), [orphan]));
    expect(placed(issues)).toEqual([['unguarded-struct', 'luo-v2 > struct orphan_ser']]);
  });

  it('a doc naming a macro that does not exist (the upstream LUO_SESSION_COMPATIBLE slip)', () => {
    const original = luoV2.types.find((t) => t.name === 'luo_ser')!;
    const luoSer = struct('luo_ser', {
      packed: true,
      summary: original.summary,
      description: ['If this structure is modified, LUO_SESSION_COMPATIBLE must be updated.'],
      fields: { ...original.fields },
    });
    const issues = issuesOf(withLuoSer(luoSer));
    expect(issues.map((i) => [i.code, i.path.join(' > '), i.message])).toEqual([
      ['bad-doc', 'luo > luo-v2 > struct luo_ser', 'names LUO_SESSION_COMPATIBLE, which luo-v2 does not define (nor a version it uses)'],
    ]);
  });

  it('a member doc naming a member or struct that does not exist', () => {
    const issues = issuesOf(withDocs('See @nothing in struct luo_nothing_ser.'));
    expect(issues.map((i) => i.message)).toEqual([
      'names struct luo_nothing_ser, which luo-v2 does not declare (nor a version it uses)',
      'names @nothing, which is not a member here',
    ]);
  });

  it('reports where in the schema source the mistake was written', () => {
    const stray = struct('stray_ser', { packed: true, summary: 'Not in luo-v2.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(withLuoSer(luoSerWith({ p: pa(toStruct(stray)) })));
    expect(issues[0]!.at?.file).toBe(join(ROOT, 'test/schema-errors.test.ts'));
  });
});

describe('validation of headers, expressions, containers and guards', () => {
  const COMPAT = defineString('TEST_COMPATIBLE', 'test-v1');
  const root = (fields: Record<string, FieldType>, length: number | Constant = 8) =>
    struct('test_ser', {
      packed: true,
      summary: 'A root.',
      fields: { compatible: field(chars(length as 8), 'The string.'), ...Object.fromEntries(Object.entries(fields).map(([k, t]) => [k, field(t, 'A field.')])) },
    });
  const single = (h: ReturnType<typeof header>) => family({ name: 'test', headers: [h] });

  it.each([
    ['an unknown name', 'NO_SUCH_THING + 1', /unknown name NO_SUCH_THING/],
    ['a division by zero', 'PAGE_SIZE / 0', /division by zero/],
    ['ALIGN to something other than a power of two', 'ALIGN(10, 3)', /ALIGN to 3, which is not a power of two/],
    ['sizeof of a number', 'sizeof(PAGE_SHIFT)', /sizeof of a number/],
    ['a struct sizeof cannot find', 'sizeof(struct nowhere_ser)', /no such struct/],
  ])('an expression with %s: bad-constant, the text and the reason', (_what, text, reason) => {
    const BAD = defineExpr('TEST_BAD', text);
    const issues = issuesOf(single(rawHeader('test', root({}), { compatible: COMPAT, constants: [BAD] })));
    expect(placed(issues)).toEqual([['bad-constant', 'test-v1 > constant TEST_BAD']]);
    expect(issues[0]!.message).toContain(text);
    expect(issues[0]!.message).toMatch(reason);
  });

  it('a constant that depends on itself', () => {
    const A = defineExpr('TEST_A', 'TEST_B + 1');
    const B = defineExpr('TEST_B', 'TEST_A * 2');
    const issues = issuesOf(single(rawHeader('test', root({}), { compatible: COMPAT, constants: [A, B] })));
    expect(issues.map((i) => i.code)).toContain('bad-constant');
    expect(issues.map((i) => i.message).join('\n')).toMatch(/depends on itself/);
  });

  it('an array length that evaluates to 0 at a larger page size only names that length', () => {
    const LEN = defineExpr('TEST_LEN', '16384 / PAGE_SIZE');
    const issues = issuesOf(single(rawHeader('test', root({ arr: array(u8, LEN) }), { compatible: COMPAT, constants: [LEN] })));
    expect(placed(issues)).toEqual([['zero-length-array', 'test-v1 > struct test_ser > arr']]);
  });

  it('a string longer than the char field that carries it', () => {
    const LONG = defineString('TEST_COMPATIBLE', 'a-string-of-more-than-eight-bytes');
    const issues = issuesOf(single(rawHeader('test', root({}), { compatible: LONG })));
    expect(placed(issues)).toEqual([['bad-guard', 'test-v1 > container > field']]);
    expect(issues[0]!.message).toMatch(/needs 34 bytes with its NUL, but test_ser.compatible holds 8/);
  });

  it('a bit-field wider than its type, and one of a type that is not an integer', () => {
    const wide: number = Number('65');
    const issues = issuesOf(single(rawHeader('test', root({ wide: bits(u64, wide as 1), fine: bits(u64, 63) }), { compatible: COMPAT })));
    expect(placed(issues)).toEqual([['bad-bit-field', 'test-v1 > struct test_ser > wide']]);
    expect(issues[0]!.message).toMatch(/1 to 64 bits wide, not 65/);
  });

  it('a KHOSER pointer in a version that can see no DECLARE_KHOSER_PTR', () => {
    const target = struct('test_target', { packed: true, summary: 'T.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(single(rawHeader('test', root({ p: khoserPtr(toStruct(target)) }), { compatible: COMPAT, types: [target, root({ p: khoserPtr(toStruct(target)) })] })));
    expect(issues.map((i) => i.code)).toContain('undeclared-constant');
    expect(issues.find((i) => i.code === 'undeclared-constant')!.message).toMatch(/DECLARE_KHOSER_PTR/);
  });

  it('a version that redefines what a header it uses defines', () => {
    const SHARED = defineNumber('TEST_SHARED', 4);
    const baseV = version({ name: 'base-v1', origin: 'Test.', doc: { title: 'Base', paragraphs: [] }, constants: [SHARED], types: [] });
    const base = header({ name: 'base', path: 'include/test/base.h', includeGuard: '_TEST_BASE_H', spdx: 'GPL-2.0', copyright: [], versions: [baseV], current: 'base-v1' });
    const AGAIN = defineNumber('TEST_SHARED', 8);
    const user = rawHeader('user', root({}), { compatible: COMPAT, uses: [baseV], constants: [AGAIN] });
    const issues = issuesOf(family({ name: 'test', headers: [user, base] }));
    expect(placed(issues)).toEqual([['redefined', 'user-v1 > constant TEST_SHARED']]);
    expect(issues[0]!.message).toMatch(/defined by base\.h \(base-v1\), which this version uses/);
  });

  it('a use of a version of no header of the family, and headers that use each other', () => {
    const stray = version({ name: 'stray-v1', origin: 'Test.', doc: { title: 'S', paragraphs: [] }, constants: [], types: [] });
    expect(placed(issuesOf(single(rawHeader('test', root({}), { compatible: COMPAT, uses: [stray] }))))).toEqual([['unknown-use', 'test-v1']]);
    // Frozen versions cannot point at each other; plain objects can, as a mistaken schema might.
    const aV: { -readonly [K in keyof AbiVersion]: AbiVersion[K] } = { name: 'a-v1', origin: 'Test.', doc: { title: 'A', paragraphs: [] }, constants: [], types: [] };
    const bV: AbiVersion = { name: 'b-v1', origin: 'Test.', doc: { title: 'B', paragraphs: [] }, uses: [aV], constants: [], types: [] };
    aV.uses = [bV];
    const a = header({ name: 'a', path: 'include/test/a.h', includeGuard: '_A_H', spdx: 'GPL-2.0', copyright: [], versions: [aV], current: 'a-v1' });
    const b = header({ name: 'b', path: 'include/test/b.h', includeGuard: '_B_H', spdx: 'GPL-2.0', copyright: [], versions: [bV], current: 'b-v1' });
    const cycle = issuesOf(family({ name: 'test', headers: [a, b] }));
    expect(cycle.map((i) => i.code)).toEqual(['use-cycle']);
    expect(cycle[0]!.message).toMatch(/a -> b -> a/);
  });

  it('two headers of one name, and a current version that is not a version', () => {
    const h = rawHeader('test', root({}), { compatible: COMPAT });
    expect(issuesOf(family({ name: 'test', headers: [h, h] })).map((i) => i.code)).toContain('duplicate-header');
    expect(issuesOf(single(header({ ...h, current: 'test-v9' }))).map((i) => [i.code, i.message])).toEqual([
      ['unknown-current', 'current version "test-v9" is not one of the versions (test-v1)'],
    ]);
  });

  it('state reached from a field that is not declared as selected by its string', () => {
    const memo = struct('memo_ser', { packed: true, summary: 'M.', fields: { x: field(u64, 'x') } });
    const STR = defineString('MEMO_COMPATIBLE', 'memo-v1');
    const v = version({
      name: 'memo-v1',
      origin: 'Test.',
      doc: { title: 'Memo', paragraphs: [] },
      constants: [STR],
      types: [memo],
      container: reachedFrom({ from: luo_file_ser, field: 'token', selector: 'compatible', compatible: STR, target: toStruct(memo) }),
    });
    const memoHeader = header({ name: 'memo', path: 'include/test/memo.h', includeGuard: '_MEMO_H', spdx: 'GPL-2.0', copyright: [], versions: [v], current: 'memo-v1' });
    const issues = issuesOf(family({ name: 'test', headers: [...khoFamily.headers, memoHeader] }));
    expect(placed(issues)).toEqual([['bad-container', 'memo-v1 > container > field']]);
    expect(issues[0]!.message).toMatch(/luo_file_ser\.token must be declared pa\(selectedBy\('compatible'\)\) in luo\.h/);
  });

  it('state reached from the handler field: accepted, the handler string its guard', () => {
    const memo = struct('memo_ser', { packed: true, summary: 'M.', fields: { x: field(u64, 'x') } });
    const STR = defineString('MEMO_COMPATIBLE', 'memo-v1');
    const v = version({
      name: 'memo-v1',
      origin: 'Test.',
      doc: { title: 'Memo', paragraphs: [] },
      constants: [STR],
      types: [memo],
      container: reachedFrom({ from: luo_file_ser, field: 'data', selector: 'compatible', compatible: STR, target: toStruct(memo) }),
    });
    const memoHeader = header({ name: 'memo', path: 'include/test/memo.h', includeGuard: '_MEMO_H', spdx: 'GPL-2.0', copyright: [], versions: [v], current: 'memo-v1' });
    const model = buildModel(family({ name: 'test', headers: [memoHeader, ...khoFamily.headers] }));
    const names = model.headers.map((h) => h.name);
    expect(names.indexOf('luo')).toBeLessThan(names.indexOf('memo'));
    expect(model.headers.find((h) => h.name === 'memo')!.versions[0]!.guards.map((g) => [g.macro, g.role, g.structs])).toEqual([
      ['MEMO_COMPATIBLE', { kind: 'selector', header: 'luo', struct: 'luo_file_ser', field: 'compatible' }, ['memo_ser']],
    ]);
  });

  it('a property named by a literal: any name the FDT allows, without a macro; a bad one or a duplicate named', () => {
    const START = defineString('TEST_START', 'start');
    const fdtHeader = (properties: ReturnType<typeof u64Property>[]) =>
      header({
        name: 'test',
        path: 'include/test/test.h',
        includeGuard: '_TEST_H',
        spdx: 'GPL-2.0',
        copyright: [],
        versions: [
          version({
            name: 'test-v1',
            origin: 'Test.',
            doc: { title: 'T', paragraphs: [] },
            constants: [COMPAT, START],
            types: [],
            container: fdtContainer({ root: node({ compatible: COMPAT, doc: 'Root.', properties, children: [] }) }),
          }),
        ],
        current: 'test-v1',
      });
    const good = buildModel(single(fdtHeader([u64Property('size', 'Literal.'), u64Property(START, 'By macro.'), u64Property('linux,phys+1', 'Every allowed character.')])));
    const properties = versionNodes(good.headers[0]!.versions[0]!)[0]!.properties;
    expect(properties).toMatchObject([{ name: 'size', kind: 'u64' }, { name: 'start', macro: 'TEST_START' }, { name: 'linux,phys+1' }]);
    expect(properties[0]).not.toHaveProperty('macro');
    const bad = issuesOf(single(fdtHeader([u64Property('has space', 'Bad.'), u64Property('x'.repeat(32), 'Too long.'), u64Property('start', 'Twice.'), u64Property(START, 'Twice.')])));
    expect(bad.map((i) => [i.code, i.path.slice(2).join(' > ')])).toEqual([
      ['bad-property', 'node / > property "has space"'],
      ['bad-property', `node / > property "${'x'.repeat(32)}"`],
      ['duplicate-property', 'node / > property start'],
    ]);
    expect(bad[0]!.message).toBe('a property name is 1 to 31 of the characters 0-9 a-z A-Z , . _ + ? # -');
  });

  it('composes strings written with a macro of another header, as C concatenates them', () => {
    const SUB = defineMacro('TEST_SUB', ['s'], '";" s');
    const PART = defineString('TEST_PART', 'part-v2');
    const COMPOSED = defineExpr('TEST_COMPATIBLE', expr`"test-v1" ${SUB}(${PART})`);
    const model = buildModel(single(rawHeader('test', root({}, 16), { compatible: COMPOSED, constants: [SUB, PART] })));
    expect(model.headers[0]!.versions[0]!.guards[0]!.value).toBe('test-v1;part-v2');
  });
});

describe('mistakes TypeScript catches', () => {
  const fixture = join(ROOT, 'test/fixtures/schema-type-errors.ts');

  it('each marked line of the fixture is the type error its marker names', () => {
    // Compile the fixture with its @ts-expect-error markers removed: every marked line must fail,
    // with the TypeScript error the marker names, and no other line may.
    const dir = scratchDir('type-errors');
    const source = readFileSync(fixture, 'utf8');
    const lines = source.split('\n');
    const marked = new Map(
      lines.flatMap((line, i) => {
        const marker = /@ts-expect-error MISTAKE \S+ (TS\d+)/.exec(line);
        return marker ? [[i + 2, marker[1]!] as const] : [];
      }),
    );
    const unmarked = source.replace(/\/\/ @ts-expect-error MISTAKE.*\n/g, '\n');
    cpSync(join(ROOT, 'schema/lang.ts'), join(dir, 'lang.ts'));
    writeFileSync(join(dir, 'fixture.ts'), unmarked.replace('../../schema/lang.ts', './lang.ts'));
    const tsc = run(join(ROOT, 'node_modules/.bin/tsc'), [
      '--ignoreConfig', '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node', join(dir, 'fixture.ts'),
    ], { cwd: ROOT });
    const failing = new Map<number, string[]>();
    for (const m of tsc.stdout.matchAll(/fixture\.ts\((\d+),\d+\): error (TS\d+)/g)) failing.set(Number(m[1]), [...(failing.get(Number(m[1])) ?? []), m[2]!]);
    expect(marked.size).toBe(10);
    expect([...failing.keys()].sort((x, y) => x - y)).toEqual([...marked.keys()]);
    for (const [line, code] of marked) expect(failing.get(line), `line ${line}`).toContain(code);
  });
});

describe('luo-abi generate on a broken schema', () => {
  function brokenSchemaCopy(): string {
    const dir = scratchDir('broken-schema');
    cpSync(join(ROOT, 'schema'), join(dir, 'schema'), { recursive: true });
    const structs = join(dir, 'schema/luo/structs.ts');
    // flbs_pa now points at a struct no version declares.
    writeFileSync(
      structs,
      readFileSync(structs, 'utf8').replace(
        "flbs_pa: field(pa(flbBlock),",
        "flbs_pa: field(pa(toStruct(struct('stray_ser', { packed: true, summary: 'Stray.', fields: { x: field(u64, 'x') } }))),",
      ).replace('  toArray,', '  toArray,\n  toStruct,'),
    );
    return join(dir, 'schema/index.ts');
  }

  it('exits 2, names the place, and leaves the output directory as it was', async () => {
    const out = scratchDir('out');
    expect((await cli('generate', '--out', out)).status).toBe(0);
    const before = readdirSync(out, { recursive: true }).sort();
    const header = readFileSync(join(out, 'include/linux/kho/abi/luo.h'), 'utf8');
    const result = await cli('generate', '--out', out, '--schema', brokenSchemaCopy());
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/luo-v2 > struct luo_ser > flbs_pa: points at struct stray_ser/);
    expect(result.stderr).toMatch(/nothing was written/);
    expect(readdirSync(out, { recursive: true }).sort()).toEqual(before);
    expect(readFileSync(join(out, 'include/linux/kho/abi/luo.h'), 'utf8')).toBe(header);
  });
});

describe('the whole-handover forms are checked where they are written', () => {
  /** kexec_handover.h alone, with kho-v4's root node changed. */
  const khoWith = (edit: (root: FdtNode) => FdtNode): AbiSchema => {
    const container = khoV4.container as FdtContainer;
    const changed = version({ ...khoV4, container: fdtContainer({ ...container, root: edit(container.root) }) });
    return header({ ...kexecHandoverHeader, versions: [changed], current: 'kho-v4' });
  };

  it('a client\'s state is named by its node: toClient only in a node named at run time', () => {
    const issues = issuesOf(khoWith((root) => ({ ...root, properties: [...root.properties, pointerProperty('some-client', pa(toClient()), 'A client.')] })));
    expect(placed(issues)).toEqual([['bad-pointer-field', 'kho-v4 > node / > property some-client']]);
    expect(issues[0]!.message).toMatch(/toClient\(\) belongs in a node named at run time \(anyName\)/);
  });

  it('a client\'s size is a u64 property of its node', () => {
    const issues = issuesOf(
      khoWith((root) => ({
        ...root,
        children: root.children.map((c) => ({ ...c, properties: [pointerProperty('preserved-data', pa(toClient({ size: 'length' }), { nullable: false }), 'The state.')] })),
      })),
    );
    expect(placed(issues)).toEqual([['bad-pointer-field', 'kho-v4 > node /<client> > property preserved-data']]);
    expect(issues[0]!.message).toMatch(/the client's size property "length" must be a u64 property of the same node/);
  });

  it('an area\'s count is an unsigned field beside it, its type the page list\'s descriptor', () => {
    const folio = struct('test_folio', { packed: true, summary: 'A folio.', fields: { pfn: field(u64, 'The PFN.') } });
    const holder = (count: string, type?: FieldType) =>
      struct('test_holder', {
        packed: true,
        summary: 'Holds an area.',
        fields: {
          n: field(u64, 'Entries.'),
          area: type ? { ...areaField(kho_vmalloc_area, { entry: folio, count }, 'The area.'), type } : areaField(kho_vmalloc_area, { entry: folio, count }, 'The area.'),
        },
      });
    const schemaOf = (root: Aggregate) => family({ name: 'kho', headers: [kexecHandoverHeader, rawHeader('areas', root, { compatible: defineString('AREAS_COMPATIBLE', 'areas-v1'), uses: [khoV4], types: [folio, root] })] });
    const issues = issuesOf(schemaOf(holder('m')));
    expect(placed(issues)).toContainEqual(['bad-pointer-field', 'areas-v1 > struct test_holder > area']);
    expect(issues.find((i) => i.code === 'bad-pointer-field')!.message).toMatch(/the count field "m" must be an unsigned integer field beside the area/);
    const typed = issuesOf(schemaOf(holder('n', u64)));
    expect(typed.find((i) => i.code === 'bad-pointer-field')!.message).toMatch(/an area field \(areaField\) has the type of its page list's descriptor/);
  });
});
