/**
 * Schema mistakes: those TypeScript sees are type errors; the rest are validation errors that name
 * the exact place. The command line exits 2 on them and writes nothing.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  array,
  chars,
  defineNumber,
  field,
  pa,
  struct,
  toArray,
  toStruct,
  pages,
  u64,
  type AbiSchema,
  type Aggregate,
  type AbiVersion,
  type FieldType,
} from '../schema/lang.ts';
import { buildModel, SchemaError, type SchemaIssue } from '../generator/model/index.ts';
import { luoSchema } from '../schema/index.ts';
import { luoV2 } from '../schema/luo/versions.ts';
import { luoAbi, ROOT, run, scratchDir } from './support/tools.ts';

function issuesOf(schema: AbiSchema): SchemaIssue[] {
  try {
    buildModel(schema);
  } catch (error) {
    if (error instanceof SchemaError) return [...error.issues];
    throw error;
  }
  throw new Error('the schema was accepted');
}

/** luo-v2 with its luo_ser replaced by `luoSer` (and any extra types appended). */
function withLuoSer(luoSer: Aggregate, extraTypes: Aggregate[] = []): AbiSchema {
  const types = luoV2.types.map((t) => (t.name === 'luo_ser' ? luoSer : t));
  const root = luoV2.fdt.root;
  const property = root.properties[0]!;
  const version: AbiVersion = {
    ...luoV2,
    types: [...types, ...extraTypes],
    fdt: {
      ...luoV2.fdt,
      root: { ...root, properties: [{ ...property, value: { kind: 'pointer', pointer: pa(toStruct(luoSer)) } }] },
    },
  };
  return { ...luoSchema, versions: [version], current: 'luo-v2' };
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

describe('validation errors name the exact place', () => {
  it('a pointer to a struct the version does not declare', () => {
    const stray = struct('stray_ser', { packed: true, summary: 'Not in luo-v2.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(withLuoSer(luoSerWith({ flbs_pa: pa(toStruct(stray)) })));
    expect(issues.map((i) => i.code)).toEqual(['undeclared-type']);
    expect(issues[0]!.path).toEqual(['luo-v2', 'struct luo_ser', 'flbs_pa']);
    expect(String(new SchemaError(issues).message)).toMatch(/luo-v2 > struct luo_ser > flbs_pa: points at struct stray_ser, which is not among luo-v2's types/);
  });

  it('an unknown type', () => {
    const issues = issuesOf(withLuoSer(luoSerWith({ extra: 'u128' as unknown as FieldType })));
    expect(issues.map((i) => [i.code, i.path.join(' > ')])).toEqual([['unknown-type', 'luo-v2 > struct luo_ser > extra']]);
  });

  it('a nested struct the version does not declare', () => {
    const stray = struct('stray_ser', { packed: true, summary: 'Not in luo-v2.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(withLuoSer(luoSerWith({ nested: stray })));
    expect(issues.map((i) => [i.code, i.path.join(' > ')])).toEqual([['undeclared-type', 'luo-v2 > struct luo_ser > nested']]);
  });

  it('a zero-length array that TypeScript could not see', () => {
    const zero: number = Number('0');
    const issues = issuesOf(withLuoSer(luoSerWith({ empty: array(u64, zero as 1) })));
    expect(issues.map((i) => [i.code, i.path.join(' > ')])).toEqual([['zero-length-array', 'luo-v2 > struct luo_ser > empty']]);
  });

  it('an array whose length constant is 0', () => {
    const ZERO = defineNumber('LUO_ZERO', 0);
    const schema = withLuoSer(luoSerWith({ empty: chars(ZERO) }));
    const version = { ...schema.versions[0]!, constants: [...schema.versions[0]!.constants, ZERO] };
    const issues = issuesOf({ ...schema, versions: [version] });
    expect(issues.map((i) => [i.code, i.path.join(' > ')])).toEqual([['zero-length-array', 'luo-v2 > struct luo_ser > empty']]);
  });

  it('an array length constant missing from the version', () => {
    const LEN = defineNumber('LUO_NOT_LISTED', 4);
    const issues = issuesOf(withLuoSer(luoSerWith({ four: chars(LEN) })));
    expect(issues.map((i) => i.code)).toEqual(['undeclared-constant']);
    expect(issues[0]!.message).toMatch(/LUO_NOT_LISTED.*add it to the version's constants/);
  });

  it('a pointer to nothing', () => {
    const issues = issuesOf(withLuoSer(luoSerWith({ dangling: pa(undefined as never) })));
    expect(issues.map((i) => [i.code, i.path.join(' > ')])).toEqual([['pointer-to-nothing', 'luo-v2 > struct luo_ser > dangling']]);
  });

  it('an array pointer whose count is not a sibling field', () => {
    const entry = luoV2.types.find((t) => t.name === 'luo_file_ser')!;
    const issues = issuesOf(withLuoSer(luoSerWith({ files: pa(toArray({ entry, count: 'nfiles', block: pages(2) })) })));
    expect(issues.map((i) => [i.code, i.path.join(' > ')])).toEqual([['bad-pointer-field', 'luo-v2 > struct luo_ser > files']]);
  });

  it('a cycle of nested structs', () => {
    const a = struct('cycle_a', { packed: true, summary: 'A.', fields: { x: field(u64, 'x') } });
    const b = struct('cycle_b', { packed: true, summary: 'B.', fields: { a: field(a, 'a') } });
    (a.fields as Record<string, unknown>).b = field(b, 'b');
    const issues = issuesOf(withLuoSer(luoSerWith({ a }), [a, b]));
    expect(issues.map((i) => i.code)).toContain('nested-cycle');
    expect(issues.find((i) => i.code === 'nested-cycle')!.message).toMatch(/cycle_a -> cycle_b -> cycle_a/);
  });

  it('a struct no FDT property reaches', () => {
    const orphan = struct('orphan_ser', { packed: true, summary: 'Reached by nothing.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(withLuoSer(luoSerWith({}), [orphan]));
    expect(issues.map((i) => [i.code, i.path.join(' > ')])).toEqual([['unguarded-struct', 'luo-v2 > struct orphan_ser']]);
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
      ['bad-doc', 'luo-v2 > struct luo_ser', 'names LUO_SESSION_COMPATIBLE, which luo-v2 does not define'],
    ]);
  });

  it('a member doc naming a member or struct that does not exist', () => {
    const issues = issuesOf(withDocs('See @nothing in struct luo_nothing_ser.'));
    expect(issues.map((i) => i.message)).toEqual([
      'names struct luo_nothing_ser, which luo-v2 does not declare',
      'names @nothing, which is not a member here',
    ]);
  });

  it('reports where in the schema source the mistake was written', () => {
    const stray = struct('stray_ser', { packed: true, summary: 'Not in luo-v2.', fields: { x: field(u64, 'x') } });
    const issues = issuesOf(withLuoSer(luoSerWith({ p: pa(toStruct(stray)) })));
    expect(issues[0]!.at?.file).toBe(join(ROOT, 'test/schema-errors.test.ts'));
  });
});

describe('mistakes TypeScript catches', () => {
  const fixture = join(ROOT, 'test/fixtures/schema-type-errors.ts');

  it('each marked line of the fixture is a type error of its own', () => {
    // Compile the fixture with its @ts-expect-error markers removed: every marked line must fail.
    const dir = scratchDir('type-errors');
    const source = readFileSync(fixture, 'utf8');
    const lines = source.split('\n');
    const marked = lines.flatMap((line, i) => (/@ts-expect-error MISTAKE/.test(line) ? [i + 2] : []));
    const unmarked = source.replace(/\/\/ @ts-expect-error MISTAKE.*\n/g, '\n');
    cpSync(join(ROOT, 'schema/lang.ts'), join(dir, 'lang.ts'));
    writeFileSync(join(dir, 'fixture.ts'), unmarked.replace('../../schema/lang.ts', './lang.ts'));
    const tsc = run(join(ROOT, 'node_modules/.bin/tsc'), [
      '--ignoreConfig', '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node', join(dir, 'fixture.ts'),
    ], { cwd: ROOT });
    const failing = new Set([...tsc.stdout.matchAll(/fixture\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])));
    expect(marked.length).toBe(7);
    expect([...failing].sort((x, y) => x - y)).toEqual(marked);
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

  it('exits 2, names the place, and leaves the output directory as it was', () => {
    const out = scratchDir('out');
    expect(luoAbi(['generate', '--out', out]).status).toBe(0);
    const before = readdirSync(out, { recursive: true }).sort();
    const header = readFileSync(join(out, 'luo.h'), 'utf8');
    const result = luoAbi(['generate', '--out', out, '--schema', brokenSchemaCopy()]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/luo-v2 > struct luo_ser > flbs_pa: points at struct stray_ser/);
    expect(result.stderr).toMatch(/nothing was written/);
    expect(readdirSync(out, { recursive: true }).sort()).toEqual(before);
    expect(readFileSync(join(out, 'luo.h'), 'utf8')).toBe(header);
  });
});
