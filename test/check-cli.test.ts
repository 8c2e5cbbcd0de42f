/**
 * `luo-abi check` and `luo-abi lock` as CI runs them: exit codes, the three formats, --against,
 * stale out/. The command runs in process (main() with its output caught); the rest calls the same
 * functions the command does.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatReport } from '../generator/check/format.ts';
import { checkSchema, lockSchema } from '../generator/check/run.ts';
import { generateFiles } from '../generator/generate.ts';
import { buildModel } from '../generator/model/index.ts';
import { writeAtomically } from '../generator/write.ts';
import luoSchema from '../schema/index.ts';
import { addNextVersion, copySchema, NEXT_VERSION, replaceOnce } from './check-support.ts';
import { cli } from './support/cli.ts';
import { luoAbi, ROOT, runOk, scratchDir } from './support/tools.ts';

/** What a run found, but the notes the schema acknowledges (kho-v2's blob-size): those are in every run. */
const problems = <F extends { severity?: unknown }>(result: { findings: readonly F[] }): F[] => result.findings.filter((f) => f.severity !== 'note');

const ADDED_FIELD: [string, string] = [
  "    count: field(u64, 'Number of files that depended on it.'),\n",
  "    count: field(u64, 'Number of files that depended on it.'),\n    extra: field(u64, 'A new field.'),\n",
];
/** The bump the fix asks for: luo-v5 is the raw KHO entry's string, so the FDT's next is luo-v6. */
const BUMP: [string, string] = ["const COMPATIBLE = 'luo-v4';", "const COMPATIBLE = 'luo-v6';"];

/** Scratch directories of this file, removed when its tests are done. */
const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const scratchOwn = (prefix: string) => (made.push(scratchDir(prefix)), made.at(-1)!);

function mutated(prefix: string, ...edits: [string, string][]) {
  const copy = copySchema(prefix);
  made.push(copy.dir);
  addNextVersion(copy, edits.reduce((s, [a, b]) => replaceOnce(s, a, b), NEXT_VERSION));
  return copy;
}

describe('luo-abi check (CLI)', () => {
  it('passes on the project as committed', async () => {
    const result = await cli('check');
    expect(result.stderr).toBe('');
    // kho-v2 kept its string when blob-size came, memfd-v2 when its seals became a u32: the schema
    // acknowledges both, and check shows them (the memfd one as four changes of one struct).
    expect(result.stdout).toMatch(/note LUO001 layout-changed-without-bump: Node \/<client> has a new property "blob-size"[\s\S]*acknowledged: upstream added blob-size/);
    expect(result.stdout).toMatch(/note LUO001 layout-changed-without-bump: struct memfd_luo_ser.seals changed type from u64:8 to u32\.[\s\S]*acknowledged: the second revision of the seals patch/);
    // luo-features-named renamed the handler field under the same feature bits: acknowledged as well (LUO010).
    expect(result.stdout).toMatch(/note LUO010 feature-layout-changed-without-bit: struct luo_file_ser lost the field compatible[\s\S]*acknowledged: upstream replaced luo_file_ser.compatible/);
    expect(result.stdout.endsWith('luo-abi check: no ABI drift against schema/abi.lock.json (9 acknowledged, shown above)\n')).toBe(true);
    expect(result.status).toBe(0);
    // The other formats give the reason too, and no fix: there is nothing to fix.
    const json = JSON.parse((await cli('check', '--format', 'json')).stdout) as { ok: boolean; findings: Record<string, unknown>[] };
    expect(json.ok).toBe(true);
    expect(json.findings.length).toBeGreaterThan(0);
    for (const finding of json.findings) {
      expect(finding).toMatchObject({ severity: 'note', acknowledged: expect.any(String) });
      expect(finding).not.toHaveProperty('fix');
    }
    expect(json.findings).toContainEqual(expect.objectContaining({ rule: 'LUO001', acknowledged: expect.stringMatching(/^upstream added blob-size/) }));
    const github = (await cli('check', '--format', 'github')).stdout;
    expect(github).toMatch(/^::notice file=schema\/kexec_handover\/index\.ts,line=\d+,title=LUO001 layout-changed-without-bump::.* Acknowledged: upstream added blob-size.*$/m);
    expect(github.trimEnd().split('\n').every((line) => line.startsWith('::notice '))).toBe(true);
    expect(github).not.toContain('Fix:');
  });

  it('exits 1 on a layout change without a bump: text on stderr, github annotations on stdout', async () => {
    const copy = mutated('cli-added', ADDED_FIELD);
    const base = ['check', '--schema', copy.schemaPath, '--lock', copy.lockPath];
    const text = await cli(...base);
    expect(text.status).toBe(1);
    expect(text.stderr).toMatch(/schema\/luo\/next\.ts:\d+: error LUO001 layout-changed-without-bump: struct luo_flb_ser has a new field extra\./);
    expect(text.stderr).toContain('    struct luo_flb_ser > extra: (none) -> u64 at offset 64, 8 bytes\n');
    expect(text.stderr).toContain('    fix: bump LUO_FDT_COMPATIBLE from "luo-v4" to "luo-v6", then run `luo-abi lock`\n');
    expect(text.stderr).toMatch(/luo-abi check: 2 errors, 0 warnings against .*abi\.lock\.json\n$/);

    const github = await cli(...base, '--format', 'github');
    expect(github.status).toBe(1);
    // The two errors, and the acknowledged kho-v2 finding as a notice.
    const lines = github.stdout.trimEnd().split('\n').filter((line) => !line.startsWith('::notice '));
    expect(github.stdout).toMatch(/^::notice file=.*title=LUO001 layout-changed-without-bump::/m);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/^::error file=[^,:]*schema\/luo\/next\.ts,line=\d+,title=LUO001 layout-changed-without-bump::.* Fix: bump LUO_FDT_COMPATIBLE from "luo-v4" to "luo-v6", then run `luo-abi lock`$/);
    }
  });

  it('--format json has the documented shape', async () => {
    const copy = mutated('cli-json', ADDED_FIELD);
    const report = await checkSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath });
    const parsed = JSON.parse(formatReport(report, 'json')) as { findings: Record<string, unknown>[] };
    expect(parsed).toMatchObject({ format: 1, ok: false, errors: 2, warnings: 0 });
    const extra = problems(parsed).find((f) => f['subject'] === 'struct luo_flb_ser > extra')!;
    expect(Object.keys(extra)).toEqual(['rule', 'name', 'severity', 'version', 'compatible', 'subject', 'new', 'message', 'file', 'line', 'fix']);
    expect(extra).toMatchObject({ rule: 'LUO001', name: 'layout-changed-without-bump', severity: 'error', version: 'luo-next', compatible: 'LUO_FDT_COMPATIBLE "luo-v4"' });
    expect(extra['line']).toEqual(expect.any(Number));
  });

  it('lock refuses the change (exit 1), accepts it with the bump, and only appends', async () => {
    const copy = mutated('cli-lock', ADDED_FIELD);
    const before = readFileSync(copy.lockPath, 'utf8');
    const refused = await cli('lock', '--schema', copy.schemaPath, '--lock', copy.lockPath);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('not changed: a locked layout would change');
    expect(readFileSync(copy.lockPath, 'utf8')).toBe(before);

    const bumped = mutated('cli-lock-bumped', ADDED_FIELD, BUMP);
    const locked = await lockSchema({ schemaPath: bumped.schemaPath, lockPath: bumped.lockPath });
    expect(locked.added.map((e) => e.key)).toEqual(['luo@/=luo-v6']);
    const after = readFileSync(bumped.lockPath, 'utf8');
    // The strings come first and the new one is appended to them; the feature-guarded versions after them stay as they were.
    const stringsEnd = before.indexOf('\n  ],\n  "features"');
    expect(stringsEnd).toBeGreaterThan(0);
    const kept = before.slice(0, stringsEnd);
    expect(after.slice(0, kept.length)).toBe(kept);
    expect(after.endsWith(before.slice(stringsEnd + '\n  ]'.length))).toBe(true);
    expect(after).toContain('"key": "luo@/=luo-v6"');
    expect(problems(await checkSchema({ schemaPath: bumped.schemaPath, lockPath: bumped.lockPath }))).toEqual([]);
  });

  it('exits 0 with warnings only', async () => {
    const copy = mutated('cli-warning', BUMP);
    expect((await lockSchema({ schemaPath: copy.schemaPath, lockPath: copy.lockPath })).written).toBe(true);
    const result = await cli('check', '--schema', copy.schemaPath, '--lock', copy.lockPath, '--format', 'github');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^::warning file=.*,title=LUO005 compatible-bumped-without-change::luo-next bumps LUO_FDT_COMPATIBLE from "luo-v4" to "luo-v6"/m);
  });

  it('exits 2 on a usage error and on a broken schema', async () => {
    expect((await cli('check', '--format', 'xml')).status).toBe(2);
    const copy = mutated('cli-broken', ['chars(LIVEUPDATE_FLB_COMPAT_LENGTH)', 'chars(0 as number)']);
    const broken = await cli('check', '--schema', copy.schemaPath, '--lock', copy.lockPath);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain('must be a positive integer');
  });

  it('reports generated-out-stale when a generated file differs from what the schema gives', async () => {
    const out = join(scratchOwn('cli-stale'), 'out');
    writeAtomically(out, await generateFiles(buildModel(luoSchema)));
    expect(problems(await checkSchema({ outDir: out }))).toEqual([]);
    const header = join(out, 'luo/luo-v4/luo.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('#define LUO_FDT_COMPATIBLE', '#define  LUO_FDT_COMPATIBLE'));
    const findings = problems(await checkSchema({ outDir: out }));
    expect(findings.map((f) => `${f.rule} ${f.name} ${f.severity}`)).toEqual(['LUO007 generated-out-stale error']);
    expect(findings[0]!.file).toMatch(/out\/luo\/luo-v4\/luo\.h$/);
  });

  it('--against compares with the schema at another revision, leaving the work tree alone', async () => {
    const repo = join(scratchOwn('cli-against'), 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) => runOk('git', ['-c', 'user.name=luo-abi test', '-c', 'user.email=test@luo-abi.invalid', ...args], { cwd: repo });
    git('init', '-q');
    cpSync(join(ROOT, 'schema'), join(repo, 'schema'), { recursive: true });
    git('add', '.');
    git('commit', '-q', '-m', 'luo-v4');
    const copy = { dir: repo, schemaPath: join(repo, 'schema/index.ts'), lockPath: '' };
    addNextVersion(copy, replaceOnce(NEXT_VERSION, ...ADDED_FIELD));
    git('add', '.');
    git('commit', '-q', '-m', 'luo-v5 without a bump');

    // A process of its own: the schema is edited below, and this process would keep the modules it imported.
    const failed = luoAbi(['check', '--schema', copy.schemaPath, '--against', 'HEAD~1', '--format', 'json']);
    expect(failed.status).toBe(1);
    const report = JSON.parse(failed.stdout) as { baseline: string; findings: { rule: string; subject: string; severity: string }[] };
    expect(report.baseline).toBe('revision HEAD~1');
    expect(problems(report).map((f) => `${f.rule} ${f.subject}`)).toEqual(['LUO001 struct luo_flb_ser', 'LUO001 struct luo_flb_ser > extra']);

    // The bump, not committed: fine against the commit before luo-v5.
    const next = join(repo, 'schema/luo/next.ts');
    writeFileSync(next, replaceOnce(readFileSync(next, 'utf8'), ...BUMP));
    expect(problems(await checkSchema({ schemaPath: copy.schemaPath, against: 'HEAD~1' }))).toEqual([]);
    // HEAD gave luo-v5 "luo-v4", whose layout is luo-v4's (the first to use it): the bump is needed.
    expect(problems(await checkSchema({ schemaPath: copy.schemaPath, against: 'HEAD' }))).toEqual([]);
    expect(git('status', '--porcelain').stdout).toBe(' M schema/luo/next.ts\n');
    await expect(checkSchema({ schemaPath: copy.schemaPath, against: 'no-such-ref' })).rejects.toThrow(/no-such-ref/);
  });

  it('--against a revision whose schema is of an older luo-abi says so, and what to compare with instead', async () => {
    const repo = join(scratchOwn('cli-against-old'), 'repo');
    mkdirSync(join(repo, 'schema'), { recursive: true });
    const git = (...args: string[]) => runOk('git', ['-c', 'user.name=luo-abi test', '-c', 'user.email=test@luo-abi.invalid', ...args], { cwd: repo });
    git('init', '-q');
    // The shape schemas had before families: versions in an array, no kind.
    writeFileSync(join(repo, 'schema/index.ts'), 'export const schema = { name: "luo", versions: [] };\n');
    git('add', '.');
    git('commit', '-q', '-m', 'old');
    cpSync(join(ROOT, 'schema'), join(repo, 'schema'), { recursive: true });
    const result = await cli('check', '--schema', join(repo, 'schema/index.ts'), '--against', 'HEAD');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^luo-abi check: the schema module at HEAD exports no family\(\{\.\.\.\}\) or header\(\{\.\.\.\}\): it is from an older luo-abi, .*compare with a later revision, or with the lock file/);
  });
});
