/**
 * luo-abi preflight --from A --to B on kernel images gcc made from our own C (the section written with
 * section attributes, DWARF for the structs), on kernel-style fixture trees and on git revisions of
 * one: each feature set's verdicts and exit code, what a refusal names (bits, strings, what is lost,
 * layouts field by field), and input errors (exit 2, naming the offset for a bad image).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, CORE, type ImageOptions, type Subsystem } from './feature-images.ts';
import { FIXTURES, kernelRepository, type KernelRepository } from './kernel-fixtures.ts';
import { cli, scratch } from './support/cli.ts';
import type { JsonVerdict } from './support/preflight-report.ts';
import { runOk } from './support/tools.ts';
import { displayPath as shown } from '../generator/core/paths.ts';

const work = scratch('preflight');
afterAll(work.remove);

const luo = (supp: bigint, req = supp, active = supp): Subsystem => ({ name: 'luo', supp, req, active });
const handler = (name: string, supp: bigint, req = supp, active = supp): Subsystem => ({ name, supp, req, active });
const BIT3 = 0b1000n;

let counter = 0;
function image(subsystems: readonly Subsystem[], options: ImageOptions = {}): string {
  return buildImage(work.dir, `kernel-${counter++}`, subsystems, options);
}


async function preflight(from: string, to: string) {
  const result = await cli('preflight', '--from', from, '--to', to, '--format', 'json');
  const report = JSON.parse(result.stdout) as { ok: boolean; verdicts: JsonVerdict[] };
  return { status: result.status, report, verdict: (key: string) => report.verdicts.find((v) => v.key === key)! };
}

const A: Subsystem[] = [luo(CORE), handler('memfd', 0b11n, 0b01n, 0b11n)];

describe('kernel images', () => {
  let a: string;
  beforeAll(() => {
    a = image(A);
  });

  it('the same feature sets: everything accepted, exit 0', async () => {
    const { status, report } = await preflight(a, image(A));
    expect(report.verdicts.map((v) => `${v.key} ${v.outcome}`)).toEqual(['luo accepted', 'memfd accepted']);
    expect(report.ok).toBe(true);
    expect(status).toBe(0);
  });

  it('B newer, supporting more bits than A requires: accepted, exit 0', async () => {
    const { status, verdict } = await preflight(a, image([luo(CORE | BIT3), handler('memfd', 0b111n)]));
    expect(verdict('luo')).toMatchObject({ outcome: 'accepted', accepts: 'supports LUO_FEATURE_NUMBER | LUO_FEATURE_SESSIONS | LUO_FEATURE_FLBS | bit 3 (0xf)' });
    expect(verdict('memfd').outcome).toBe('accepted');
    expect(status).toBe(0);
  });

  it('B older, lacking a bit A requires: refused, the bit named, what is lost and the layouts from the DWARF field by field; exit 1', async () => {
    const newer = image([luo(CORE | BIT3), A[1]!], { luoSerExtra: 'huge_pages_pa' });
    const { status, report, verdict } = await preflight(newer, a);
    expect(verdict('luo')).toEqual({
      key: 'luo',
      title: 'luo (the LUO core, KHO entry "LUO")',
      outcome: 'refused',
      handsOver: 'requires LUO_FEATURE_NUMBER | LUO_FEATURE_SESSIONS | LUO_FEATURE_FLBS | bit 3 (0xf); uses LUO_FEATURE_NUMBER | LUO_FEATURE_SESSIONS | LUO_FEATURE_FLBS | bit 3 (0xf)',
      accepts: 'supports LUO_FEATURE_NUMBER | LUO_FEATURE_SESSIONS | LUO_FEATURE_FLBS (0x7)',
      reasons: [`${shown(a)} lacks bit 3 (0x8), which ${shown(newer)}'s payload requires`],
      ignored: [],
      lost: 'every preserved session and the files in it, and every FLB',
      differences: ['struct luo_ser: 160 bytes -> 152 bytes', 'struct luo_ser > huge_pages_pa: u64 at offset 152, 8 bytes -> (none)'],
      toVersion: 'luo-features-named',
    });
    expect(verdict('memfd').outcome).toBe('accepted');
    expect(report.ok).toBe(false);
    expect(status).toBe(1);
  });

  it('a subsystem missing in B: refused with what its files cost; exit 1', async () => {
    const { status, verdict } = await preflight(a, image([luo(CORE)]));
    expect(verdict('memfd')).toMatchObject({
      outcome: 'refused',
      reasons: [expect.stringMatching(/ has no memfd$/)],
      lost: 'the files the "memfd" handler preserved, and with them each session holding one (a session set with a file no handler takes fails to restore as a whole)',
    });
    expect(verdict('luo').outcome).toBe('accepted');
    expect(status).toBe(1);
  });

  it('a handler renamed: refused, with the name B has under the same masks', async () => {
    const { status, verdict } = await preflight(a, image([luo(CORE), handler('memfd-luo', 0b11n, 0b01n, 0b11n)]));
    expect(verdict('memfd').reasons[0]).toMatch(/ has no memfd \(it has "memfd-luo" with the same masks: renamed\?\)$/);
    expect(status).toBe(1);
  });

  it('bits A uses without requiring them that B does not know: accepted, listed as ignored', async () => {
    const optional = image([luo(CORE, CORE, CORE | BIT3), A[1]!]);
    const { status, verdict } = await preflight(optional, a);
    expect(verdict('luo')).toMatchObject({ outcome: 'accepted', ignored: ['bit 3'] });
    expect(status).toBe(0);
  });

  it('ELF32 images, and a kernel without DWARF, answer the same', async () => {
    const { status, verdict } = await preflight(image([luo(CORE | BIT3)], { m32: true, noDebug: true }), image([luo(CORE)], { m32: true }));
    expect(verdict('luo')).toMatchObject({ outcome: 'refused', differences: [] });
    expect(status).toBe(1);
  });

  it('text for people, annotations for GitHub', async () => {
    const b = image([luo(CORE)]);
    const text = await cli('preflight', '--from', a, '--to', b);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain(`refused  memfd (a LUO file handler, its state in include/linux/kho/abi/memfd.h)\n         hands over: requires MEMFD_LUO_FEATURE_SEALS (0x1); uses MEMFD_LUO_FEATURE_SEALS | MEMFD_LUO_FEATURE_FOLIOS (0x3)\n         why:        ${shown(b)} has no memfd\n`);
    expect(text.stdout.endsWith('luo-abi preflight: the live update would lose state (1 refused, 1 accepted)\n')).toBe(true);
    const github = await cli('preflight', '--from', a, '--to', b, '--format', 'github');
    expect(github.stdout).toBe(`::error title=preflight ${shown(a)} -> ${shown(b)}%3A memfd refused::${shown(b)} has no memfd Lost: the files the "memfd" handler preserved, and with them each session holding one (a session set with a file no handler takes fails to restore as a whole)\n`);
  });
});

describe('kernel trees and git revisions of one', () => {
  let repo: KernelRepository;
  let image7: string;
  beforeAll(() => {
    repo = kernelRepository('preflight-tree', ['luo-v5', 'luo-features']);
    const header = 'include/linux/kho/abi/luo.h';
    // A release that requires a new bit, 3, which it also supports.
    repo.edit(header, '#define LUO_FEATURE_FLBS\tBIT_ULL(2)\n', '#define LUO_FEATURE_FLBS\tBIT_ULL(2)\n#define LUO_FEATURE_HUGE\tBIT_ULL(3)\n');
    for (const [end, next] of [
      ['LUO_FEATURE_FLBS)\n#define LUO_CORE_FEATURES_REQ', 'LUO_FEATURE_FLBS | LUO_FEATURE_HUGE)\n#define LUO_CORE_FEATURES_REQ'],
      ['LUO_FEATURE_FLBS)\n#define LUO_CORE_FEATURES_ACTIVE', 'LUO_FEATURE_FLBS | LUO_FEATURE_HUGE)\n#define LUO_CORE_FEATURES_ACTIVE'],
      ['LUO_FEATURE_FLBS)\n\n/**\n * struct luo_ser', 'LUO_FEATURE_FLBS | LUO_FEATURE_HUGE)\n\n/**\n * struct luo_ser'],
    ]) repo.edit(header, end!, next!);
    repo.git('commit', '-q', '-am', 'liveupdate: require huge pages');
    repo.git('tag', 'luo-features-huge');
    image7 = image([luo(CORE)]);
  });

  it('a revision with a string, to one with bits: refused both ways, saying which guard each has and the layouts', async () => {
    const result = await cli('preflight', '--repo', repo.root, '--from', 'luo-v5', '--to', 'luo-features', '--format', 'json');
    const verdict = (JSON.parse(result.stdout) as { verdicts: JsonVerdict[] }).verdicts[0]!;
    expect(verdict).toMatchObject({
      key: 'luo',
      outcome: 'refused',
      handsOver: 'the string LUO_ABI_COMPATIBLE "luo-v5"',
      reasons: [`${shown(repo.root)} at luo-v5 guards luo with the string LUO_ABI_COMPATIBLE "luo-v5"; ${shown(repo.root)} at luo-features negotiates feature bits and reads the string's bytes as masks`],
    });
    expect(verdict.differences).toContain('struct luo_ser > features: (none) -> struct luo_feature_hdr at offset 0, 128 bytes');
    expect(result.status).toBe(1);
    const back = await cli('preflight', '--repo', repo.root, '--from', 'luo-features', '--to', 'luo-v5', '--format', 'json');
    expect(JSON.parse(back.stdout).verdicts[0].reasons).toEqual([
      `${shown(repo.root)} at luo-features guards luo with feature bits; ${shown(repo.root)} at luo-v5 expects the string LUO_ABI_COMPATIBLE "luo-v5" where the bits are`,
    ]);
    expect(back.status).toBe(1);
  });

  it('to a release that supports and requires a new bit: accepted; back from it: refused for that bit', async () => {
    const up = await cli('preflight', '--repo', repo.root, '--from', 'luo-features', '--to', 'luo-features-huge', '--format', 'json');
    expect(JSON.parse(up.stdout).verdicts.map((v: JsonVerdict) => v.outcome)).toEqual(['accepted']);
    expect(up.status).toBe(0);
    const down = await cli('preflight', '--repo', repo.root, '--from', 'luo-features-huge', '--to', 'luo-features', '--format', 'json');
    expect(JSON.parse(down.stdout).verdicts[0].reasons).toEqual([`${shown(repo.root)} at luo-features lacks bit 3 (0x8), which ${shown(repo.root)} at luo-features-huge's payload requires`]);
    expect(down.status).toBe(1);
  });

  it('the work tree against a kernel image: the tree checked out is read as it is on disk', async () => {
    const result = await cli('preflight', '--from', repo.root, '--to', image7, '--format', 'json');
    expect(JSON.parse(result.stdout).verdicts[0]).toMatchObject({ key: 'luo', outcome: 'refused', reasons: [`${shown(image7)} lacks bit 3 (0x8), which ${shown(repo.root)}'s payload requires`] });
    expect(result.status).toBe(1);
  });

  it('a tree copied from the fixtures (no git): its header read with gcc, accepted by an image of the same bits', async () => {
    const tree = join(work.dir, 'tree');
    cpSync(join(FIXTURES, 'common'), tree, { recursive: true });
    cpSync(join(FIXTURES, 'luo-features'), tree, { recursive: true });
    const result = await cli('preflight', '--from', tree, '--to', image7);
    expect(result.stdout).toContain('accepted luo (the LUO core, KHO entry "LUO")');
    expect(result.status).toBe(0);
  });

  it('a revision the repository does not have is an input error', async () => {
    const result = await cli('preflight', '--repo', repo.root, '--from', 'no-such-tag', '--to', 'luo-features');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('"no-such-tag" is neither a kernel image, a kernel tree nor a revision of the repository at');
  });
});

describe('input errors: exit 2', () => {
  it('a damaged image: the message names the file and the offset', async () => {
    const file = image([luo(CORE)]);
    const bytes = readFileSync(file);
    const text = bytes.toString('latin1');
    // The section's magic, "PUVL" in the file (LVUP read little-endian), made wrong.
    const at = text.indexOf('PUVL');
    bytes[at] = 0x51;
    const bad = `${file}-bad`;
    writeFileSync(bad, bytes);
    const result = await cli('preflight', '--from', bad, '--to', file);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`luo-abi preflight: ${shown(bad)}: offset 0x${at.toString(16)}: .liveupdate_features: the magic is 0x4c565551, not LIVEUPDATE_VER_HDR_MAGIC 0x4c565550 ("LVUP"); this is not a feature list\n`);
  });

  it('a file that is no ELF, and an ELF without the section', async () => {
    const text = join(work.dir, 'not-elf');
    writeFileSync(text, 'hello');
    const notElf = await cli('preflight', '--from', text, '--to', text);
    expect(notElf.stderr).toContain(`${shown(text)}: offset 0x0: 5 bytes is too short for an ELF identification (16 bytes)`);
    expect(notElf.status).toBe(2);
    const stripped = join(work.dir, 'stripped');
    runOk('objcopy', ['--remove-section=.liveupdate_features', image([luo(CORE)]), stripped]);
    const without = await cli('preflight', '--from', stripped, '--to', stripped);
    expect(without.stderr).toBe(`luo-abi preflight: ${shown(stripped)} has no .liveupdate_features section: it predates feature negotiation or was built without live update; give its kernel tree, or a git revision of it, instead\n`);
    expect(without.status).toBe(2);
  });

  it.each([
    [['preflight', '--from', 'x'], 'give the kernel handing over (--from) or a handover it wrote (--from-state), and the kernel receiving (--to)'],
    [['preflight', '--matrix', 'x'], '--matrix needs at least two kernels, got 1'],
    [['preflight', '--from', 'a', '--to', 'b', '--format', 'html'], '--format must be one of text, json, github'],
    [['preflight', '--matrix', 'a', 'b', '--format', 'github'], '--format must be one of text, json, html with --matrix'],
    [['preflight', '--from', 'a', '--to', 'b', 'c'], 'unexpected argument "c"; name the kernels with --from and --to (or --matrix K1 K2 ...)'],
  ])('%j', async (args, message) => {
    const result = await cli(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`luo-abi preflight: ${message}\nRun \`luo-abi preflight --help\` for usage.\n`);
  });
});
