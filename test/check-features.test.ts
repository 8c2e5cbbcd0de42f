/**
 * The feature rules (LUO010..LUO013) on a copy of the schema with a next feature-negotiated version,
 * luo-features-next, written out in full (a copy of luo-features-named) and edited as text the way a
 * kernel developer edits the schema: a layout change needs a bit the older kernel lacks and the new
 * payload requires; support for a bit an older kernel requires cannot go; a bit keeps its number and
 * meaning; a version's masks agree with each other. Where a string guards the struct as well, bumping
 * the string answers for the change as it always did.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSchema, lockSchema } from '../generator/check/run.ts';
import type { Finding } from '../generator/check/finding.ts';
import { SchemaError } from '../generator/model/index.ts';
import { displayPath as shown } from '../generator/core/paths.ts';
import { SESSION_AND_FLB, copySchema, edit, replaceOnce, writeSchemaFile, type SchemaCopy } from './check-support.ts';
import { cli } from './support/cli.ts';

const FEATURE_NEXT = `
import { kho_block_header_ser, blockV0 } from '../block/index.ts';
import { chars, defineExpr, defineFeatureBit, defineString, dependsOn, expr, features, field, khoEntry, pa, pages, selectedBy, struct, toChain, toHeaderArray, pagesIn, u32, u64, version } from '../lang.ts';
import { LIVEUPDATE_FLB_COMPAT_LENGTH, LIVEUPDATE_SESSION_NAME_LENGTH, LUO_KHO_ENTRY_NAME } from './constants.ts';
import { LIVEUPDATE_HNDL_NAME_LENGTH, LUO_FEATURE_FLBS, LUO_FEATURE_NUMBER, LUO_FEATURE_SESSIONS, luo_feature_hdr } from './features.ts';

const EXTRA_BITS = [];
const SUPP = defineExpr('LUO_CORE_FEATURES_SUPP', expr\`(\${LUO_FEATURE_NUMBER} | \${LUO_FEATURE_SESSIONS} | \${LUO_FEATURE_FLBS})\`);
const REQ = defineExpr('LUO_CORE_FEATURES_REQ', expr\`(\${LUO_FEATURE_NUMBER} | \${LUO_FEATURE_SESSIONS} | \${LUO_FEATURE_FLBS})\`);
const ACTIVE = defineExpr('LUO_CORE_FEATURES_ACTIVE', expr\`(\${LUO_FEATURE_NUMBER} | \${LUO_FEATURE_SESSIONS} | \${LUO_FEATURE_FLBS})\`);
const BITS = [LUO_FEATURE_NUMBER, LUO_FEATURE_SESSIONS, LUO_FEATURE_FLBS, ...EXTRA_BITS];
const STRING_CONSTANTS = [];

const file = struct('luo_file_ser', {
  packed: true,
  summary: 'Serialised state of one preserved file.',
  fields: {
    name: field(chars(LIVEUPDATE_HNDL_NAME_LENGTH), 'Name of the file handler.'),
    data: field(pa(selectedBy('name')), 'Opaque value of the file handler.'),
    token: field(u64, 'Token userspace gave the file.'),
  },
});

const file_set = struct('luo_file_set_ser', {
  packed: true,
  summary: 'Serialised state of the files of one session.',
  fields: {
    files: field(pa(toChain({ header: kho_block_header_ser, next: 'next', count: 'count', entry: file, block: pages(1), total: 'count' })), 'First block of files.'),
    count: field(u64, 'Total number of files in the set.'),
  },
});

${SESSION_AND_FLB}const root = struct('luo_ser', {
  packed: true,
  summary: 'The root of the LUO state handed to the next kernel.',
  fields: {
    features: field(luo_feature_hdr, 'The feature masks.'),
    liveupdate_num: field(u64, 'Number of live updates so far.'),
    sessions_pa: field(pa(toChain({ header: kho_block_header_ser, next: 'next', count: 'count', entry: session, block: pages(1) })), 'First block of sessions.'),
    flbs_pa: field(pa(toHeaderArray({ header: flb_header, count: 'count', entry: flb, block: pagesIn(flb_header, 'pgcnt') })), 'The FLB block.'),
  },
});

export const luoFeaturesNext = version({
  name: 'luo-features-next',
  origin: 'The next feature-negotiated version, for the check tests.',
  doc: { title: 'Live Update Orchestrator ABI', paragraphs: ['The next version of the LUO ABI.'] },
  uses: [blockV0],
  constants: [LUO_KHO_ENTRY_NAME, ...BITS, SUPP, REQ, ACTIVE, LIVEUPDATE_SESSION_NAME_LENGTH, LIVEUPDATE_HNDL_NAME_LENGTH, LIVEUPDATE_FLB_COMPAT_LENGTH, ...STRING_CONSTANTS],
  types: [luo_feature_hdr, root, file, file_set, session, flb_header, flb],
  features: features({
    subsystem: 'luo',
    khoEntry: LUO_KHO_ENTRY_NAME,
    header: { struct: luo_feature_hdr, supported: 'supp', required: 'req', active: 'active' },
    carrier: { struct: root, field: 'features' },
    bits: BITS,
    supported: SUPP,
    required: REQ,
    active: ACTIVE,
    dependencies: [dependsOn(flb, [LUO_FEATURE_FLBS]), dependsOn(root, [LUO_FEATURE_SESSIONS], 'sessions_pa')],
  }),
});
`;

/**
 * The notes the project's schema acknowledges (kho-v2's blob-size, luo-features-named's rename) are in
 * every run; and a next version is checked before it is locked, so LUO006 (not in the lock yet) is too.
 */
const problems = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.severity !== 'note' && !(f.rule === 'LUO006' && f.version?.startsWith('luo-features-next')));
const summary = (findings: readonly Finding[]) => problems(findings).map((f) => `${f.rule} ${f.severity} ${f.subject}`);

/**
 * Adds a version written as FEATURE_NEXT with `edits`, under another name and export when given, to the
 * copy's luo.h right after `after` (the export of the version before it).
 */
function addFeatureVersion(copy: SchemaCopy, edits: readonly [string, string][], as = { file: 'features-next', name: 'luo-features-next', symbol: 'luoFeaturesNext', after: 'luoFeaturesNamed' }): void {
  const source = FEATURE_NEXT.replace("name: 'luo-features-next'", `name: '${as.name}'`).replace('export const luoFeaturesNext', `export const ${as.symbol}`);
  writeSchemaFile(copy, `luo/${as.file}.ts`, edits.reduce((text, [from, to]) => replaceOnce(text, from, to), source));
  edit(copy, 'luo/index.ts', "import { luoFeatures, luoFeaturesNamed } from './features.ts';", `import { luoFeatures, luoFeaturesNamed } from './features.ts';\nimport { ${as.symbol} } from './${as.file}.ts';`);
  edit(copy, 'luo/index.ts', `${as.after}],`, `${as.after}, ${as.symbol}],`);
}

function withFeatureNext(prefix: string, edits: readonly [string, string][]): SchemaCopy {
  const copy = copySchema(prefix);
  addFeatureVersion(copy, edits);
  return copy;
}

async function check(prefix: string, edits: readonly [string, string][]): Promise<readonly Finding[]> {
  const copy = withFeatureNext(prefix, edits);
  return (await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath })).findings;
}

const FLB_EXTRA: [string, string] = [
  "    count: field(u64, 'Number of files that depended on it.'),\n",
  "    count: field(u64, 'Number of files that depended on it.'),\n    flags: field(u64, 'Flags of the FLB.'),\n",
];
/** A new bit, 3, named and put in one or more masks. */
const NEW_BIT: [string, string] = ['const EXTRA_BITS = [];', "const LUO_FEATURE_FLB_FLAGS = defineFeatureBit('LUO_FEATURE_FLB_FLAGS', 3);\nconst EXTRA_BITS = [LUO_FEATURE_FLB_FLAGS];"];
const inMask = (mask: 'SUPP' | 'REQ' | 'ACTIVE'): [string, string] => [
  `const ${mask} = defineExpr('LUO_CORE_FEATURES_${mask}', expr\`(\${LUO_FEATURE_NUMBER} | \${LUO_FEATURE_SESSIONS} | \${LUO_FEATURE_FLBS})\`);`,
  `const ${mask} = defineExpr('LUO_CORE_FEATURES_${mask}', expr\`(\${LUO_FEATURE_NUMBER} | \${LUO_FEATURE_SESSIONS} | \${LUO_FEATURE_FLBS} | \${LUO_FEATURE_FLB_FLAGS})\`);`,
];
const withoutFlbs = (mask: 'SUPP' | 'REQ' | 'ACTIVE'): [string, string] => [
  `const ${mask} = defineExpr('LUO_CORE_FEATURES_${mask}', expr\`(\${LUO_FEATURE_NUMBER} | \${LUO_FEATURE_SESSIONS} | \${LUO_FEATURE_FLBS})\`);`,
  `const ${mask} = defineExpr('LUO_CORE_FEATURES_${mask}', expr\`(\${LUO_FEATURE_NUMBER} | \${LUO_FEATURE_SESSIONS})\`);`,
];

describe('check: the feature rules', () => {
  it('passes a next version identical to luo-features-named', async () => {
    expect(summary(await check('features-same', []))).toEqual([]);
  });

  it('LUO010: a field added to a feature-guarded struct with no new bit fails, naming the field, the masks and a free bit', async () => {
    const findings = problems(await check('features-added', [FLB_EXTRA]));
    expect(summary(findings)).toEqual(['LUO010 error struct luo_flb_ser', 'LUO010 error struct luo_flb_ser > flags']);
    expect(findings[0]).toMatchObject({ old: '64 bytes', new: '72 bytes' });
    const finding = findings[1]!;
    expect(finding).toMatchObject({
      name: 'feature-layout-changed-without-bit',
      version: 'luo-features-next',
      compatible: 'luo features (requires LUO_FEATURE_NUMBER | LUO_FEATURE_SESSIONS | LUO_FEATURE_FLBS)',
      new: 'u64 at offset 64, 8 bytes',
    });
    expect(finding.message).toContain('all of which luo-features-named supports');
    expect(finding.fix).toContain('bit 3 is free');
    expect(finding.fix).toContain('LUO_CORE_FEATURES_REQ');
    expect(finding.file).toMatch(/schema\/luo\/features-next\.ts$/);
    expect(finding.line).toBeGreaterThan(0);
    // lock refuses while the finding stands.
    const copy = withFeatureNext('features-added-lock', [FLB_EXTRA]);
    expect((await lockSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath })).written).toBe(false);
  });

  it('LUO010: the change passes with a new bit the older kernels lack in the required mask', async () => {
    expect(summary(await check('features-new-bit', [FLB_EXTRA, NEW_BIT, inMask('SUPP'), inMask('REQ'), inMask('ACTIVE')]))).toEqual([]);
  });

  it('LUO010: a new bit that is only supported and active (optional) does not protect a layout change', async () => {
    const findings = summary(await check('features-optional-bit', [FLB_EXTRA, NEW_BIT, inMask('SUPP'), inMask('ACTIVE')]));
    expect(findings).toContain('LUO010 error struct luo_flb_ser > flags');
  });

  it('LUO010: a struct resized under the same bits, and a pointer retargeted, are changes too', async () => {
    const findings = summary(
      await check('features-retyped', [
        ["    count: field(u64, 'Total number of files in the set.'),", "    count: field(u32, 'Total number of files in the set.'),"],
        ["entry: session, block: pages(1)", 'entry: session, block: pages(2)'],
      ]),
    );
    expect(findings).toEqual(expect.arrayContaining(['LUO010 error struct luo_file_set_ser > count', 'LUO010 error struct luo_ser > sessions_pa']));
    expect(findings.every((f) => f.startsWith('LUO010 '))).toBe(true);
  });

  it('LUO011: dropping support for a bit older kernels require fails, once per bit, naming the version that requires it', async () => {
    const findings = problems(await check('features-removed', [withoutFlbs('SUPP'), withoutFlbs('REQ'), withoutFlbs('ACTIVE')]));
    expect(summary(findings)).toEqual(['LUO011 error LUO_FEATURE_FLBS']);
    expect(findings[0]!.message).toBe(
      "luo-features-next does not support LUO_FEATURE_FLBS (bit 2), which luo-features-named requires of the next kernel: a live update from luo-features-named's kernel to luo-features-next's would be refused.",
    );
  });

  it('LUO011: no longer requiring a bit, while still supporting it, is fine', async () => {
    const findings = summary(await check('features-not-required', [withoutFlbs('REQ')]));
    expect(findings).toEqual([]);
  });

  it('LUO012: a released bit number given to another feature fails', async () => {
    const findings = problems(
      await check('features-reused', [
        ["import { LIVEUPDATE_HNDL_NAME_LENGTH, LUO_FEATURE_FLBS,", "import { LIVEUPDATE_HNDL_NAME_LENGTH,"],
        ['const EXTRA_BITS = [];', "const LUO_FEATURE_FLBS = defineFeatureBit('LUO_FEATURE_FLB_TABLE', 2);\nconst EXTRA_BITS = [];"],
      ]),
    );
    expect(summary(findings)).toEqual(['LUO012 error LUO_FEATURE_FLB_TABLE']);
    expect(findings[0]!.old).toBe('bit 2 is LUO_FEATURE_FLBS');
    expect(findings[0]!.fix).toContain('bit 3 is free');
  });

  it('LUO012 and LUO011: a feature moved to another bit', async () => {
    const findings = summary(
      await check('features-moved', [
        ["import { LIVEUPDATE_HNDL_NAME_LENGTH, LUO_FEATURE_FLBS,", "import { LIVEUPDATE_HNDL_NAME_LENGTH,"],
        ['const EXTRA_BITS = [];', "const LUO_FEATURE_FLBS = defineFeatureBit('LUO_FEATURE_FLBS', 5);\nconst EXTRA_BITS = [];"],
      ]),
    );
    expect(findings).toEqual(['LUO011 error LUO_FEATURE_FLBS', 'LUO012 error LUO_FEATURE_FLBS']);
  });

  it('LUO013: a payload that requires or uses what its kernel does not support fails; requiring what it does not use warns', async () => {
    expect(summary(await check('features-req-not-supp', [NEW_BIT, inMask('REQ'), inMask('ACTIVE')]))).toEqual(
      expect.arrayContaining(['LUO013 error LUO_CORE_FEATURES_REQ', 'LUO013 error LUO_CORE_FEATURES_ACTIVE']),
    );
    const warned = problems(await check('features-req-not-active', [NEW_BIT, inMask('SUPP'), inMask('REQ')]));
    expect(summary(warned)).toEqual(['LUO013 warning LUO_CORE_FEATURES_REQ']);
    expect(warned[0]!.new).toBe('LUO_FEATURE_FLB_FLAGS');
  });

  it('where a string guards the struct as well, a bump of the string answers for the change', async () => {
    // A hybrid: luo_ser also carries a string, so the version is guarded by bits and by the string.
    const hybrid = (value: string): [string, string][] => [
      ['const STRING_CONSTANTS = [];', `const LUO_ABI_COMPATIBLE = defineString('LUO_ABI_COMPATIBLE', '${value}');\nconst STRING_CONSTANTS = [LUO_ABI_COMPATIBLE];`],
      ["    features: field(luo_feature_hdr, 'The feature masks.'),\n", "    features: field(luo_feature_hdr, 'The feature masks.'),\n    compatible: field(chars(16), 'The compatible string.'),\n"],
      ['  features: features({', "  container: khoEntry({ khoEntry: LUO_KHO_ENTRY_NAME, struct: root, field: 'compatible', compatible: LUO_ABI_COMPATIBLE }),\n  features: features({"],
      NEW_BIT,
      inMask('SUPP'),
      inMask('REQ'),
      inMask('ACTIVE'),
    ];
    const after = { file: 'features-after', name: 'luo-features-after', symbol: 'luoFeaturesAfter', after: 'luoFeaturesNext' };
    const run = async (prefix: string, secondValue?: string) => {
      const copy = withFeatureNext(prefix, hybrid('luo-v6'));
      // The second hybrid changes luo_flb_ser under the same bits.
      if (secondValue) addFeatureVersion(copy, [...hybrid(secondValue), FLB_EXTRA], after);
      await lockSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
      return summary((await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath })).findings);
    };
    // The first hybrid against luo-features-named: its new required bit covers the new field.
    expect(await run('features-hybrid')).toEqual([]);
    // The second with its string bumped: the string answers for the change.
    expect(await run('features-hybrid-bumped', 'luo-v7')).toEqual([]);
    // The same change keeping "luo-v6": both the string rule and the feature rule fail.
    expect(await run('features-hybrid-kept', 'luo-v6')).toEqual(expect.arrayContaining(['LUO001 error struct luo_flb_ser > flags', 'LUO010 error struct luo_flb_ser > flags']));
  });

  it('a mask holding a bit no feature bit names is a schema error that names the place', async () => {
    const copy = withFeatureNext('features-unnamed', [inMask('SUPP').map((t) => t.replace('| ${LUO_FEATURE_FLB_FLAGS}', '| BIT_ULL(9)')) as [string, string]]);
    const error = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).message).toContain('luo > luo-features-next > features > supported: LUO_CORE_FEATURES_SUPP holds bit 9, which no feature bit of the version names');
  });
});

describe('check --lock: feature-guarded versions as the lock file records them', () => {
  interface JsonFinding {
    rule: string;
    severity: string;
    version: string;
    subject: string;
    message: string;
  }
  async function checkCli(copy: SchemaCopy) {
    const result = await cli('check', '--schema', copy.schemaPath, '--lock', copy.lockPath, '--format', 'json');
    const findings = (JSON.parse(result.stdout) as { findings: JsonFinding[] }).findings.filter((f) => f.severity !== 'note');
    return { status: result.status, findings };
  }
  /** A field added in place to luo_file_ser of luo-features-named, which no other version has. */
  const FILE_FLAGS: [string, string] = ["    token: luo_file_ser.fields.token,\n  },\n});", "    token: luo_file_ser.fields.token,\n    flags: field(u64, 'Flags of the file.'),\n  },\n});"];
  const lockFeatures = (copy: SchemaCopy) => (JSON.parse(readFileSync(copy.lockPath, 'utf8')) as { features?: { header: string; version: string; required: string; dependencies: unknown[] }[] }).features;

  it('the lock records each feature-guarded version: its masks, its bits by name, which bits each struct and field needs', () => {
    const copy = copySchema('features-lock-read');
    const luo = lockFeatures(copy)!.find((e) => e.version === 'luo-features-named')!;
    expect(luo).toMatchObject({
      header: 'luo',
      subsystem: 'luo',
      bits: [{ name: 'LUO_FEATURE_NUMBER', bit: 0 }, { name: 'LUO_FEATURE_SESSIONS', bit: 1 }, { name: 'LUO_FEATURE_FLBS', bit: 2 }],
      supported: '0x7',
      required: '0x7',
      active: '0x7',
    });
    expect(luo.dependencies).toContainEqual({ struct: 'luo_ser', field: 'flbs_pa', bits: ['LUO_FEATURE_FLBS'] });
    expect(luo.dependencies).toContainEqual({ struct: 'luo_file_ser', bits: ['LUO_FEATURE_SESSIONS'] });
    expect(lockFeatures(copy)!.map((e) => `${e.header}@${e.version}`)).toEqual(['luo@luo-features', 'luo@luo-features-named', 'memfd@memfd-features']);
  });

  it('LUO010: a released feature-guarded version edited in place, no new bit: the lock catches it (exit 1), and lock refuses', async () => {
    const copy = copySchema('features-in-place');
    edit(copy, 'luo/features.ts', ...FILE_FLAGS);
    const { status, findings } = await checkCli(copy);
    expect(findings.map((f) => `${f.rule} ${f.version} ${f.subject}`)).toEqual(['LUO010 luo-features-named struct luo_file_ser', 'LUO010 luo-features-named struct luo_file_ser > flags']);
    expect(findings[1]!.message).toContain(`all of which luo-features-named as ${shown(copy.lockPath)} records it supports`);
    expect(status).toBe(1);
    const before = readFileSync(copy.lockPath, 'utf8');
    expect((await lockSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath })).written).toBe(false);
    expect(readFileSync(copy.lockPath, 'utf8')).toBe(before);
  });

  it('the same edit against a lock that records no feature-guarded version: only that they are not locked (LUO006)', async () => {
    const copy = copySchema('features-in-place-unlocked');
    edit(copy, 'luo/features.ts', ...FILE_FLAGS);
    const lock = JSON.parse(readFileSync(copy.lockPath, 'utf8')) as { features?: unknown };
    delete lock.features;
    writeFileSync(copy.lockPath, JSON.stringify(lock));
    const { status, findings } = await checkCli(copy);
    expect(findings.map((f) => `${f.rule} ${f.subject}`)).toEqual(['LUO006 luo@luo-features', 'LUO006 luo@luo-features-named', 'LUO006 memfd@memfd-features']);
    expect(status).toBe(1);
  });

  it('LUO011: support dropped for a bit a released version requires, with that version gone from the schema: the lock remembers it', async () => {
    const copy = copySchema('features-support-dropped');
    // luo-features leaves the schema; luo-features-named stops supporting (and requiring, and using) FLBS.
    edit(copy, 'luo/index.ts', 'luoFeatures, luoFeaturesNamed]', 'luoFeaturesNamed]');
    edit(copy, 'luo/features.ts', 'return defineExpr(name, expr`(${LUO_FEATURE_NUMBER} | ${LUO_FEATURE_SESSIONS} | ${LUO_FEATURE_FLBS})`, { doc });', 'return defineExpr(name, expr`(${LUO_FEATURE_NUMBER} | ${LUO_FEATURE_SESSIONS})`, { doc });');
    const { status, findings } = await checkCli(copy);
    expect(findings.map((f) => `${f.rule} ${f.version} ${f.subject}`)).toEqual(['LUO011 luo-features-named LUO_FEATURE_FLBS']);
    expect(findings[0]!.message).toMatch(new RegExp(`^luo-features-named does not support LUO_FEATURE_FLBS \\(bit 2\\), which luo-features(-named)? as ${shown(copy.lockPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} records it requires of the next kernel`));
    expect(status).toBe(1);
  });
});
