/**
 * The mutation suite: each kind of layout change, made to the next version (luo-next) of a copy of the
 * schema without a bump, fails `check` with the right rule and change; with the bump and `lock` it
 * passes; a change to documentation alone passes.
 */
import { describe, expect, it } from 'vitest';
import { checkSchema, lockSchema } from '../generator/check/run.ts';
import type { Finding } from '../generator/check/finding.ts';
import { addNextVersion, copySchema, edit, NEXT_VERSION, readSchemaFile, replaceOnce, writeSchemaFile, type SchemaCopy } from './check-support.ts';

/** What a run found, but the notes the schema acknowledges (kho-v2's blob-size): those are in every run. */
const problems = (result: { findings: readonly Finding[] }): Finding[] => result.findings.filter((f) => f.severity !== 'note');

interface Mutation {
  readonly name: string;
  readonly edits: readonly [string, string][];
  /** The subject and old/new values the first LUO001 finding must name. */
  readonly subject: string;
  readonly old?: string;
  readonly new?: string;
}

const mutations: Mutation[] = [
  {
    name: 'a field added',
    edits: [["    count: field(u64, 'Number of files that depended on it.'),\n", "    count: field(u64, 'Number of files that depended on it.'),\n    extra: field(u64, 'A new field.'),\n"]],
    subject: 'struct luo_flb_ser > extra',
    new: 'u64 at offset 64, 8 bytes',
  },
  {
    name: 'a field removed',
    edits: [["    token: field(u64, 'Token userspace gave the file.'),\n", '']],
    subject: 'struct luo_file_ser > token',
    old: 'u64 at offset 56, 8 bytes',
  },
  {
    name: 'fields reordered',
    edits: [
      ["    data: field(pa(selectedBy('compatible')), 'Opaque value of the file handler.'),\n    token: field(u64, 'Token userspace gave the file.'),\n", "    token: field(u64, 'Token userspace gave the file.'),\n    data: field(pa(selectedBy('compatible')), 'Opaque value of the file handler.'),\n"],
    ],
    subject: 'struct luo_file_ser',
    old: 'compatible, data, token',
    new: 'compatible, token, data',
  },
  {
    name: 'an array length changed',
    edits: [['chars(LIVEUPDATE_FLB_COMPAT_LENGTH)', 'chars(32)']],
    subject: 'struct luo_flb_ser > name',
    old: 'char[LIVEUPDATE_FLB_COMPAT_LENGTH = 48]',
    new: 'char[32]',
  },
  {
    name: 'a field resized',
    edits: [["    count: field(u64, 'Number of entries in this block.'),", "    count: field(u32, 'Number of entries in this block.'),"]],
    subject: 'struct luo_block_header_ser > count',
    old: 'u64',
    new: 'u32',
  },
  {
    name: 'a field retyped at the same size',
    edits: [["    data: field(u64, 'Opaque handle of the FLB.'),", "    data: field(s64, 'Opaque handle of the FLB.'),"]],
    subject: 'struct luo_flb_ser > data',
    old: 'u64',
    new: 's64',
  },
  {
    name: 'the constant shaping an array changed, same length',
    edits: [
      ["const EXTRA_CONSTANTS = [];", "const FLB_NAME = defineNumber('LUO_FLB_NAME_LENGTH', 48);\nconst EXTRA_CONSTANTS = [FLB_NAME];"],
      ['chars(LIVEUPDATE_FLB_COMPAT_LENGTH)', 'chars(FLB_NAME)'],
    ],
    subject: 'struct luo_flb_ser > name',
    old: 'char[LIVEUPDATE_FLB_COMPAT_LENGTH = 48]',
    new: 'char[LUO_FLB_NAME_LENGTH = 48]',
  },
  {
    name: 'a nested struct changed',
    edits: [["    count: field(u64, 'Total number of files in the set.'),\n", "    count: field(u64, 'Total number of files in the set.'),\n    flags: field(u64, 'Flags of the set.'),\n"]],
    subject: 'struct luo_session_ser',
    old: '80 bytes',
    new: '88 bytes',
  },
  {
    name: 'packing dropped',
    edits: [["  packed: true,\n  summary: 'Header of one block in a chain of blocks.',", "  summary: 'Header of one block in a chain of blocks.',"]],
    subject: 'struct luo_block_header_ser',
    old: '__packed',
    new: 'natural alignment',
  },
  {
    name: 'what a pointer points at changed (block size)',
    edits: [['entry: file, block: pages(2)', 'entry: file, block: pages(4)']],
    subject: 'struct luo_file_set_ser > files',
  },
  {
    name: 'what a pointer points at changed (chain to flat array), as in luo-v3 -> luo-v4',
    edits: [
      [
        "pa(toChain({ header: block_header, next: 'next', count: 'count', entry: file, block: pages(2), total: 'count' }))",
        "pa(toArray({ entry: file, count: 'count', block: pages(2) }))",
      ],
      ['import { chars,', 'import { toArray, chars,'],
    ],
    subject: 'struct luo_file_set_ser > files',
  },
  {
    name: 'an FDT property renamed',
    edits: [["const ABI_HEADER = LUO_FDT_ABI_HEADER;", "const ABI_HEADER = defineString('LUO_FDT_ABI_HEADER', 'luo-abi-root');"]],
    subject: 'node / > luo-abi-root',
    old: '"luo-abi-header"',
    new: '"luo-abi-root"',
  },
  {
    name: 'the FDT property made nullable',
    edits: [['pa(toStruct(root), { nullable: false })', 'pa(toStruct(root), { nullable: true })']],
    subject: 'node / > luo-abi-header',
  },
  {
    name: 'the KHO entry name changed',
    edits: [["const KHO_ENTRY_NAME = LUO_FDT_KHO_ENTRY_NAME;", "const KHO_ENTRY_NAME = defineString('LUO_FDT_KHO_ENTRY_NAME', 'LUO2');"]],
    subject: 'container',
    old: 'an FDT under the KHO entry LUO_FDT_KHO_ENTRY_NAME "LUO" of at most LUO_FDT_SIZE = PAGE_SIZE',
    new: 'an FDT under the KHO entry LUO_FDT_KHO_ENTRY_NAME "LUO2" of at most LUO_FDT_SIZE = PAGE_SIZE',
  },
];

/** The bump the fix asks for: luo-v5 is the raw KHO entry's string, so the FDT's next is luo-v6. */
const BUMP: [string, string] = ["const COMPATIBLE = 'luo-v4';", "const COMPATIBLE = 'luo-v6';"];

function nextVersion(edits: readonly [string, string][]): string {
  return edits.reduce((source, [from, to]) => replaceOnce(source, from, to), NEXT_VERSION);
}

function withNextVersion(prefix: string, edits: readonly [string, string][]): SchemaCopy {
  const copy = copySchema(prefix);
  addNextVersion(copy, nextVersion(edits));
  return copy;
}

const errors = (findings: readonly Finding[]) => findings.filter((f) => f.severity === 'error');

// Concurrent: each test checks a schema copy of its own, and much of a test is waiting for vitest to transform that copy.
describe.concurrent('check: the mutation suite', () => {
  it('passes a next version identical to luo-v4 under the same string', async () => {
    const copy = withNextVersion('check-same', []);
    const report = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    expect(problems(report)).toEqual([]);
  });

  it('passes a change to documentation only', async () => {
    const copy = withNextVersion('check-docs', [
      ["summary: 'Serialised state of one FLB.',", "summary: 'One File-Lifecycle-Bound object, serialised.',"],
      ["'Opaque handle of the FLB.'", "'What the FLB returned from its preserve callback.'"],
      ["paragraphs: ['The next version of the LUO ABI.']", "paragraphs: ['The next version of the LUO ABI.', 'A second paragraph.']"],
      ["doc: 'The LUO root node.',", "doc: 'The one and only LUO node.',"],
    ]);
    const report = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    expect(problems(report)).toEqual([]);
  });

  for (const mutation of mutations) {
    it(`${mutation.name}: fails without a bump, passes with the bump and lock`, async () => {
      const copy = withNextVersion('check-mutation', mutation.edits);
      const failed = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
      const layout = problems(failed).filter((f) => f.rule === 'LUO001');
      expect(errors(problems(failed))).toEqual(layout);
      const finding = layout.find((f) => f.subject === mutation.subject);
      expect(finding, `no LUO001 on ${mutation.subject} in ${JSON.stringify(layout, null, 1)}`).toBeDefined();
      expect(finding).toMatchObject({
        name: 'layout-changed-without-bump',
        version: 'luo-next',
        compatible: 'LUO_FDT_COMPATIBLE "luo-v4"',
        fix: 'bump LUO_FDT_COMPATIBLE from "luo-v4" to "luo-v6", then run `luo-abi lock`',
      });
      expect(finding!.file).toMatch(/schema\/luo\/next\.ts$/);
      expect(finding!.line).toBeGreaterThan(0);
      if (mutation.old !== undefined) expect(finding!.old).toContain(mutation.old);
      if (mutation.new !== undefined) expect(finding!.new).toContain(mutation.new);
      expect(finding!.old ?? finding!.new).toBeDefined();

      // lock refuses to record the changed layout under the old string.
      const refused = await lockSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
      expect(refused.written).toBe(false);

      const bumped = withNextVersion('check-bumped', [...mutation.edits, BUMP]);
      const unlocked = await checkSchema({ schemaPath: bumped.schemaPath, lockPath: bumped.lockPath });
      expect(problems(unlocked).map((f) => `${f.rule} ${f.subject}`)).toEqual(['LUO006 luo@/=luo-v6']);
      const locked = await lockSchema({ schemaPath: bumped.schemaPath, lockPath: bumped.lockPath });
      expect(locked.added.map((e) => e.key)).toEqual(['luo@/=luo-v6']);
      const passed = await checkSchema({ schemaPath: bumped.schemaPath, lockPath: bumped.lockPath });
      expect(problems(passed)).toEqual([]);
    });
  }

  it('a bump with no layout change is a warning only', async () => {
    const copy = withNextVersion('check-bump-only', [BUMP]);
    await lockSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    const report = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    expect(problems(report)).toHaveLength(1);
    expect(problems(report)[0]).toMatchObject({
      rule: 'LUO005',
      name: 'compatible-bumped-without-change',
      severity: 'warning',
      subject: 'LUO_FDT_COMPATIBLE',
      old: '"luo-v4"',
      new: '"luo-v6"',
    });
  });

  it('a string released for another layout, and older than the one before, is reused and downgraded', async () => {
    const copy = withNextVersion('check-reused', [["const COMPATIBLE = 'luo-v4';", "const COMPATIBLE = 'luo-v2';"]]);
    const report = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    expect(problems(report).map((f) => f.rule).sort()).toEqual(['LUO002', 'LUO003']);
    const reused = problems(report).find((f) => f.rule === 'LUO002')!;
    expect(reused.message).toContain('luo-v2');
    expect(reused.fix).toContain('"luo-v6"');
    const downgraded = problems(report).find((f) => f.rule === 'LUO003')!;
    expect(downgraded).toMatchObject({ old: '"luo-v4"', new: '"luo-v2"' });
    expect((await lockSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath })).written).toBe(false);
  });

  it('a struct no property reaches is struct-unguarded', async () => {
    const copy = withNextVersion('check-unguarded', [
      ["properties: [pointerProperty(ABI_HEADER, pa(toStruct(root), { nullable: false }), 'Physical address of struct luo_ser.')]", "properties: [u64Property(ABI_HEADER, 'Now a plain number.')]"],
    ]);
    const report = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    const subjects = problems(report).map((f) => `${f.rule} ${f.version} ${f.subject}`).sort();
    expect(subjects).toEqual(
      ['luo_block_header_ser', 'luo_file_ser', 'luo_file_set_ser', 'luo_flb_header_ser', 'luo_flb_ser', 'luo_ser', 'luo_session_ser'].map(
        (s) => `LUO004 luo-next struct ${s}`,
      ),
    );
    expect(problems(report)[0]!.file).toMatch(/schema\/luo\/next\.ts$/);
  });

  it('an edit in place to a struct every version shares fails for each, naming its guard', async () => {
    const copy = copySchema('check-in-place');
    edit(copy, 'luo/structs.ts', 'compatible: field(chars(LIVEUPDATE_HNDL_COMPAT_LENGTH)', 'compatible: field(chars(32)');
    const report = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    // luo_file_ser is in every version from luo-v1 on: each one's guard is named; luo-features, which
    // feature bits guard, against the form the lock records for it (an edit in place, no new bit).
    expect([...new Set(problems(report).map((f) => `${f.rule} ${f.version} ${f.compatible}`))].sort()).toEqual([
      'LUO001 luo-v1 LUO_FDT_SESSION_COMPATIBLE "luo-session-v2"',
      'LUO001 luo-v1-session-v2 LUO_FDT_SESSION_COMPATIBLE "luo-session-v2"',
      'LUO001 luo-v2 LUO_FDT_COMPATIBLE "luo-v2"',
      'LUO001 luo-v3 LUO_FDT_COMPATIBLE "luo-v3"',
      'LUO001 luo-v4 LUO_FDT_COMPATIBLE "luo-v4"',
      'LUO001 luo-v5+block-v1 LUO_ABI_COMPATIBLE "luo-v5;block-v1"',
      'LUO010 luo-features luo features (requires LUO_FEATURE_NUMBER | LUO_FEATURE_SESSIONS | LUO_FEATURE_FLBS)',
    ]);
    expect(problems(report).filter((f) => f.rule === 'LUO010').map((f) => [f.subject, f.inPlace])).toEqual([
      ['struct luo_file_ser', true],
      ['struct luo_file_ser > compatible', true],
      ['struct luo_file_ser > data', true],
      ['struct luo_file_ser > token', true],
    ]);
    const v1 = problems(report).find((f) => f.version === 'luo-v1' && f.subject === 'struct luo_file_ser > compatible')!;
    expect(v1.fix).toBe('bump LUO_FDT_SESSION_COMPATIBLE from "luo-session-v2" to "luo-session-v3" (a bump of LUO_FDT_COMPATIBLE, which enclose it, covers it too), then run `luo-abi lock`');
    expect(v1.file).toMatch(/schema\/luo\/structs\.ts$/);
  });
});

describe('check: a released version edited in place', () => {
  it('an FDT property retyped in luo-v1 fails for both versions that have it; bumping their root string in place and locking passes', async () => {
    const retyped = (prefix: string) => {
      const copy = copySchema(prefix);
      edit(copy, 'luo/versions.ts', 'import { fdtContainer, node, pa, pointerProperty, toStruct, u64Property,', 'import { fdtContainer, node, pa, pointerProperty, stringProperty, toStruct, u64Property,');
      edit(copy, 'luo/versions.ts', "u64Property(LUO_FDT_LIVEUPDATE_NUM, 'Number of live updates performed so far.')", "stringProperty(LUO_FDT_LIVEUPDATE_NUM, 'Number of live updates performed so far, in decimal.')");
      return copy;
    };
    const unbumped = retyped('check-property-retyped');
    const failed = await checkSchema({ schemaPath: unbumped.schemaPath, lockPath: unbumped.lockPath });
    expect(problems(failed).map((f) => `${f.rule} ${f.version} ${f.subject} ${f.old} -> ${f.new}`)).toEqual(
      ['luo-v1-session-v1', 'luo-v1-session-v2', 'luo-v1'].map(
        (v) => `LUO001 ${v} node / > liveupdate-number LUO_FDT_LIVEUPDATE_NUM "liveupdate-number": u64 -> LUO_FDT_LIVEUPDATE_NUM "liveupdate-number": string`,
      ),
    );
    expect(problems(failed)[0]!.file).toMatch(/schema\/luo\/versions\.ts$/);

    // Modules are cached by path: the bumped schema is a fresh copy.
    const copy = retyped('check-property-bumped');
    writeSchemaFile(copy, 'luo/versions.ts', readSchemaFile(copy, 'luo/versions.ts').replaceAll("fdtCompatible('luo-v1')", "fdtCompatible('luo-v1.1')"));
    const locked = await lockSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    expect(problems(locked)).toEqual([]);
    expect(locked.added.map((e) => e.key)).toEqual([
      'luo@/=luo-v1.1',
      'luo@/=luo-v1.1 > luo@/luo-session=luo-session-v1',
      'luo@/=luo-v1.1 > luo@/luo-session=luo-session-v2',
      'luo@/=luo-v1.1 > luo@/luo-flb=luo-flb-v1',
    ]);
    expect(problems(await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath }))).toEqual([]);
  });
});
