/**
 * luo-abi preflight --from-state: an actual handover (KHO's root FDT and its memory, laid out by our
 * encoder from states written here) against a kernel image gcc made from our own C, or a kernel-style
 * fixture tree. Each client and handler is judged by what its payload says (the masks its feature
 * header really holds, or the string that selected its version); each verdict and exit code asserted;
 * hostile handovers are exit 2 with a message naming the place, never a stack.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayPath as shown } from '../generator/core/paths.ts';
import { decodeImage, encodeImage, PhysicalMemory, stateFromJson } from '../generator/image/index.ts';
import { allVersions, buildModel } from '../generator/model/index.ts';
import khoFamily from '../schema/index.ts';
import { buildImage, CORE, type Subsystem } from './feature-images.ts';
import { FIXTURES } from './kernel-fixtures.ts';
import { cli, scratch } from './support/cli.ts';
import type { JsonVerdict } from './support/preflight-report.ts';

const work = scratch('preflight-state');
afterAll(work.remove);

const family = allVersions(buildModel(khoFamily));
const BASE = 0x1_0000_0000n;
const LUO_BITS = ['LUO_FEATURE_NUMBER', 'LUO_FEATURE_SESSIONS', 'LUO_FEATURE_FLBS'];
const MEMFD_BITS = ['MEMFD_LUO_FEATURE_SEALS', 'MEMFD_LUO_FEATURE_FOLIOS'];
const HANDLER_LOSS = 'the files the "memfd" handler preserved, and with them each session holding one (a session set with a file no handler takes fails to restore as a whole)';

/** A mask in the words preflight uses: the names of its bits, then the number. */
function words(mask: bigint, names: readonly string[]): string {
  const parts = names.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
  return `${parts.length > 0 ? parts.join(' | ') : 'none'} (0x${mask.toString(16)})`;
}

const header = (supp: bigint, req: bigint, active: bigint) => ({ supp: String(supp), req: String(req), active: String(active), reserved: Array(13).fill('0') });

/** A memfd of two folios, in the feature form (`masks`) or memfd-v2's. */
function memfd(masks?: { supp: bigint; req: bigint; active: bigint }) {
  const body = { pos: '0', size: '8192', seals: 1, flags: 0, nr_folios: '2', folios: { first: [{ pfn: '4096', flags: 3, index: '0' }, { pfn: '4097', flags: 3, index: '1' }], flags: 0, order: 0 } };
  return masks ? { version: 'memfd-features', entry: { features: header(masks.supp, masks.req, masks.active), ...body } } : { version: 'memfd-v2', entry: body };
}

interface File {
  readonly handler: string;
  readonly data: unknown;
}

/** KHO's root (`kho`) with one client, LUO, whose state is `luo` holding one session with `files`. */
function handoverState(kho: string, luo: { version: string; features?: ReturnType<typeof header>; compatible?: string }, files: readonly File[]) {
  const handlerField = luo.version === 'luo-features-named' ? 'name' : 'compatible';
  const session = { name: 'vm', file_set_ser: { files: files.map((f, i) => ({ [handlerField]: f.handler, data: f.data, token: String(i + 1) })) } };
  const entry = { ...(luo.features ? { features: luo.features } : {}), liveupdate_num: '1', sessions_pa: [session], flbs_pa: null };
  return { version: kho, root: { compatible: kho, properties: { 'preserved-memory-map': [] }, children: { LUO: { properties: { 'preserved-data': { version: luo.version, entry } }, children: {} } } } };
}

let counter = 0;
/** The handover laid out by our encoder: its root FDT and memory image, as files. */
function handover(state: ReturnType<typeof handoverState>): { kho: string; mem: string } {
  const image = encodeImage(family.find((v) => v.name === state.version)!, stateFromJson(family, state), { base: BASE, family });
  const n = counter++;
  const kho = join(work.dir, `kho-${n}.dtb`);
  const mem = join(work.dir, `mem-${n}.bin`);
  writeFileSync(kho, image.fdt!);
  writeFileSync(mem, image.memory);
  return { kho, mem };
}

/** A feature-negotiated handover: LUO's core with these masks, and one memfd per mask set. */
function featureHandover(luo: bigint | { supp: bigint; req: bigint; active: bigint }, memfds: readonly { supp: bigint; req: bigint; active: bigint }[]) {
  const masks = typeof luo === 'bigint' ? { supp: luo, req: luo, active: luo } : luo;
  return handover(handoverState('kho-v4', { version: 'luo-features-named', features: header(masks.supp, masks.req, masks.active) }, memfds.map((m) => ({ handler: 'memfd', data: memfd(m) }))));
}

const images = new Map<string, string>();
function image(subsystems: readonly Subsystem[]): string {
  const key = JSON.stringify(subsystems, (_, v) => (typeof v === 'bigint' ? String(v) : v));
  let file = images.get(key);
  if (!file) images.set(key, (file = buildImage(work.dir, `kernel-${images.size}`, subsystems)));
  return file;
}
const luoEntry = (supp: bigint): Subsystem => ({ name: 'luo', supp, req: supp, active: supp });
const memfdEntry = (supp: bigint): Subsystem => ({ name: 'memfd', supp, req: supp, active: supp });


async function preflightState(state: { kho: string; mem: string }, to: string, ...more: string[]) {
  const result = await cli('preflight', '--from-state', state.kho, '--mem', state.mem, '--mem-base', `0x${BASE.toString(16)}`, '--to', to, '--format', 'json', ...more);
  const report = JSON.parse(result.stdout) as { ok: boolean; from: { name: string; kind: string }; verdicts: JsonVerdict[]; notes: string[] };
  return { status: result.status, report, verdict: (key: string) => report.verdicts.find((v) => v.key === key)! };
}

const ALL_MEMFD = 0b11n;

describe('a feature-negotiated handover (luo-features-named, memfd-features) against kernel images', () => {
  let same: { kho: string; mem: string };
  beforeAll(() => {
    same = featureHandover(CORE, [{ supp: ALL_MEMFD, req: ALL_MEMFD, active: ALL_MEMFD }]);
  });

  it('an image supporting every bit the payloads require: every client and handler accepted, exit 0', async () => {
    const b = image([luoEntry(CORE), memfdEntry(ALL_MEMFD)]);
    const { status, report, verdict } = await preflightState(same, b);
    expect(report.from).toEqual({ name: shown(same.kho), kind: 'state' });
    expect(report.verdicts.map((v) => `${v.key} ${v.outcome}`)).toEqual(['luo accepted', 'memfd accepted']);
    expect(verdict('luo')).toEqual({
      key: 'luo',
      title: 'luo (the LUO core, KHO entry "LUO")',
      outcome: 'accepted',
      handsOver: `requires ${words(CORE, LUO_BITS)}; uses ${words(CORE, LUO_BITS)}`,
      accepts: `supports ${words(CORE, LUO_BITS)}`,
      reasons: [],
      ignored: [],
      differences: [],
      fromVersion: 'luo-features-named',
      toVersion: 'luo-features-named',
    });
    expect(verdict('memfd')).toMatchObject({ fromVersion: 'memfd-features', handsOver: `requires ${words(ALL_MEMFD, MEMFD_BITS)}; uses ${words(ALL_MEMFD, MEMFD_BITS)}` });
    // KHO's own root string is not the image's to say, and the report says so.
    expect(report.notes).toContain(`${shown(b)} is a kernel image, which lists feature-negotiated subsystems only: whether it reads KHO's root KHO_FDT_COMPATIBLE "kho-v4" cannot be told from it`);
    expect(status).toBe(0);
  });

  it('the payload, not the image, decides: a payload that requires less than its kernel could is accepted where the kernel image would be refused', async () => {
    const sessionsOnly = 0b011n;
    const light = featureHandover({ supp: CORE, req: sessionsOnly, active: CORE }, [{ supp: ALL_MEMFD, req: ALL_MEMFD, active: ALL_MEMFD }]);
    const older = image([luoEntry(sessionsOnly), memfdEntry(ALL_MEMFD)]);
    const { status, verdict } = await preflightState(light, older);
    // FLBS is used, not required: the older kernel ignores it.
    expect(verdict('luo')).toMatchObject({ outcome: 'accepted', handsOver: `requires ${words(sessionsOnly, LUO_BITS)}; uses ${words(CORE, LUO_BITS)}`, ignored: ['LUO_FEATURE_FLBS'] });
    expect(status).toBe(0);
    // The kernel's image says it requires every core bit: from the image, the same update is refused.
    const fromImage = await cli('preflight', '--from', image([luoEntry(CORE), memfdEntry(ALL_MEMFD)]), '--to', older, '--format', 'json');
    expect(JSON.parse(fromImage.stdout).verdicts[0].outcome).toBe('refused');
    expect(fromImage.status).toBe(1);
  });

  it('an image lacking a bit a file requires: that handler refused, the bit named, what is lost; exit 1', async () => {
    const b = image([luoEntry(CORE), memfdEntry(0b01n)]);
    const { status, report, verdict } = await preflightState(same, b);
    expect(verdict('luo').outcome).toBe('accepted');
    expect(verdict('memfd')).toMatchObject({
      outcome: 'refused',
      title: 'memfd (a LUO file handler, its state in include/linux/kho/abi/memfd.h)',
      accepts: `supports ${words(0b01n, MEMFD_BITS)}`,
      reasons: [`${shown(b)} lacks ${words(0b10n, MEMFD_BITS)}, which ${shown(same.kho)}'s payload requires`],
      lost: HANDLER_LOSS,
    });
    expect(report.ok).toBe(false);
    expect(status).toBe(1);
  });

  it('an image without the handler: refused; without the core: every session lost', async () => {
    const noMemfd = image([luoEntry(CORE)]);
    const first = await preflightState(same, noMemfd);
    expect(first.verdict('memfd')).toMatchObject({ outcome: 'refused', reasons: [`${shown(noMemfd)} has no memfd`], lost: HANDLER_LOSS });
    expect(first.status).toBe(1);
    const noLuo = image([memfdEntry(ALL_MEMFD)]);
    const second = await preflightState(same, noLuo);
    expect(second.verdict('luo')).toMatchObject({ outcome: 'refused', lost: 'every preserved session and the files in it, and every FLB' });
    expect(second.status).toBe(1);
  });

  it('several files of one handler: their required bits together decide, and the count is said', async () => {
    const two = featureHandover(CORE, [
      { supp: ALL_MEMFD, req: 0b01n, active: 0b01n },
      { supp: ALL_MEMFD, req: 0b10n, active: 0b10n },
    ]);
    const { status, verdict } = await preflightState(two, image([luoEntry(CORE), memfdEntry(0b01n)]));
    expect(verdict('memfd')).toMatchObject({
      outcome: 'refused',
      handsOver: `requires ${words(ALL_MEMFD, MEMFD_BITS)}; uses ${words(ALL_MEMFD, MEMFD_BITS)} (2 payloads)`,
    });
    expect(status).toBe(1);
  });

  it('a handler the schema does not describe: cannot be told, exit 1', async () => {
    const files = [{ handler: 'memfd', data: memfd({ supp: ALL_MEMFD, req: ALL_MEMFD, active: ALL_MEMFD }) }, { handler: 'vfio', data: '0x1234000' }];
    const state = handover(handoverState('kho-v4', { version: 'luo-features-named', features: header(CORE, CORE, CORE) }, files));
    const b = image([luoEntry(CORE), memfdEntry(ALL_MEMFD)]);
    const { status, verdict } = await preflightState(state, b);
    expect(verdict('vfio')).toMatchObject({
      outcome: 'unknown',
      title: 'vfio (a LUO file handler the schema does not describe)',
      reasons: [`the schema does not describe the file handler "vfio", so whether ${shown(b)} reads its state cannot be told; ${shown(b)} lists no subsystem of that name`],
    });
    expect(verdict('memfd').outcome).toBe('accepted');
    expect(status).toBe(1);
  });

  it('a handover whose map preserves none of it: the verdicts stand, and a note says the next kernel would not get the blocks back', async () => {
    // The radix tree's leaf bitmaps cleared: the map preserves nothing.
    const bytes = readFileSync(same.mem);
    const decoded = decodeImage(family, { kho: readFileSync(same.kho) }, new PhysicalMemory([{ base: BASE, bytes }]));
    const leaves = decoded.blocks.filter((b) => b.what === 'radix leaf');
    expect(leaves.length).toBeGreaterThan(0);
    for (const leaf of leaves) bytes.fill(0, Number(leaf.pa - BASE), Number(leaf.pa - BASE) + leaf.size);
    const unpreserved = { kho: same.kho, mem: join(work.dir, 'unpreserved.bin') };
    writeFileSync(unpreserved.mem, bytes);
    const { status, report } = await preflightState(unpreserved, image([luoEntry(CORE), memfdEntry(ALL_MEMFD)]));
    expect(report.verdicts.map((v) => v.outcome)).toEqual(['accepted', 'accepted']);
    expect(report.notes).toContainEqual(expect.stringMatching(/^\d+ blocks of the handover lie outside the preserved memory, which the next kernel would not get back \(the first: luo_ser at \/LUO\/preserved-data -> luo-features-named\)$/));
    expect(status).toBe(0);
  });

  it('text for people', async () => {
    const b = image([luoEntry(CORE), memfdEntry(0b01n)]);
    const result = await cli('preflight', '--from-state', same.kho, '--mem', same.mem, '--mem-base', `0x${BASE.toString(16)}`, '--to', b);
    expect(result.stdout.split('\n')[0]).toBe(`luo-abi preflight: ${shown(same.kho)} (state) -> ${shown(b)} (image)`);
    expect(result.stdout).toContain(`refused  memfd (a LUO file handler, its state in include/linux/kho/abi/memfd.h)\n         hands over: requires ${words(ALL_MEMFD, MEMFD_BITS)}; uses ${words(ALL_MEMFD, MEMFD_BITS)} [memfd-features]\n`);
    expect(result.stdout.endsWith('luo-abi preflight: the live update would lose state (1 refused, 1 accepted)\n')).toBe(true);
    expect(result.status).toBe(1);
  });
});

describe('string-guarded payloads against a kernel tree, and a feature core with a string-guarded handler', () => {
  /** A kernel tree of the fixtures: the common part and these versions' headers. */
  function tree(name: string, versions: readonly string[]): string {
    const dir = join(work.dir, name);
    cpSync(join(FIXTURES, 'common'), dir, { recursive: true });
    for (const v of versions) cpSync(join(FIXTURES, v), dir, { recursive: true });
    return dir;
  }

  let strings: { kho: string; mem: string };
  beforeAll(() => {
    strings = handover(handoverState('kho-v2', { version: 'luo-v5+block-v1' }, [{ handler: 'memfd-v2', data: memfd() }]));
  });

  it('the same strings in the tree: KHO\'s root, the core and the handler accepted, exit 0', async () => {
    const b = tree('same', ['kho-v2', 'luo-v5+block-v1', 'memfd-v2']);
    const { status, report, verdict } = await preflightState(strings, b);
    expect(report.verdicts.map((v) => `${v.key} ${v.outcome} ${v.handsOver}`)).toEqual([
      'kexec_handover accepted the string KHO_FDT_COMPATIBLE "kho-v2"',
      'luo accepted the string LUO_ABI_COMPATIBLE "luo-v5;block-v1"',
      'memfd accepted the string MEMFD_LUO_FH_COMPATIBLE "memfd-v2"',
    ]);
    expect(verdict('memfd')).toMatchObject({ fromVersion: 'memfd-v2', accepts: 'the string MEMFD_LUO_FH_COMPATIBLE "memfd-v2"' });
    expect(status).toBe(0);
  });

  it('a tree with an older handler string: the handler refused, the strings named', async () => {
    const b = tree('older-memfd', ['kho-v2', 'luo-v5+block-v1', 'memfd-v1']);
    const { status, verdict } = await preflightState(strings, b);
    expect(verdict('memfd')).toMatchObject({
      outcome: 'refused',
      reasons: [`the strings differ: ${shown(strings.kho)} writes "memfd-v2" (MEMFD_LUO_FH_COMPATIBLE), ${shown(b)} expects "memfd-v1" (MEMFD_LUO_FH_COMPATIBLE)`],
      lost: HANDLER_LOSS,
    });
    expect(verdict('luo').outcome).toBe('accepted');
    expect(status).toBe(1);
  });

  it('string-guarded payloads against a kernel image, which negotiates bits: refused, saying which guard each has', async () => {
    const b = image([luoEntry(CORE), memfdEntry(ALL_MEMFD)]);
    const { status, verdict } = await preflightState(strings, b);
    expect(verdict('luo').reasons).toEqual([`${shown(strings.kho)} guards luo with the string LUO_ABI_COMPATIBLE "luo-v5;block-v1"; ${shown(b)} negotiates feature bits and reads the string's bytes as masks`]);
    expect(verdict('memfd').reasons).toEqual([`${shown(strings.kho)} guards memfd with the string MEMFD_LUO_FH_COMPATIBLE "memfd-v2"; ${shown(b)} negotiates feature bits and reads the string's bytes as masks`]);
    expect(status).toBe(1);
  });

  it('a feature-negotiated core (luo-features, handlers by string) with a memfd-v2 file: bits for the core, the string for the handler', async () => {
    const mixed = handover(handoverState('kho-v2', { version: 'luo-features', features: header(CORE, CORE, CORE) }, [{ handler: 'memfd-v2', data: memfd() }]));
    const b = tree('features', ['kho-v2', 'luo-features', 'memfd-v2']);
    const { status, verdict } = await preflightState(mixed, b);
    expect(verdict('luo')).toMatchObject({ outcome: 'accepted', handsOver: `requires ${words(CORE, LUO_BITS)}; uses ${words(CORE, LUO_BITS)}` });
    expect(verdict('memfd')).toMatchObject({ outcome: 'accepted', handsOver: 'the string MEMFD_LUO_FH_COMPATIBLE "memfd-v2"' });
    expect(verdict('kexec_handover').outcome).toBe('accepted');
    expect(status).toBe(0);
  });
});

describe('hostile handovers and usage: exit 2, a message, no stack', () => {
  const b = () => image([luoEntry(CORE), memfdEntry(ALL_MEMFD)]);
  let good: { kho: string; mem: string };
  beforeAll(() => {
    good = featureHandover(CORE, [{ supp: ALL_MEMFD, req: ALL_MEMFD, active: ALL_MEMFD }]);
  });

  async function failing(kho: string, mem: string) {
    const result = await cli('preflight', '--from-state', kho, '--mem', mem, '--mem-base', `0x${BASE.toString(16)}`, '--to', b());
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    return result.stderr;
  }

  it('a root FDT cut short', async () => {
    const cut = join(work.dir, 'cut.dtb');
    writeFileSync(cut, readFileSync(good.kho).subarray(0, 20));
    expect(await failing(cut, good.mem)).toMatch(new RegExp(`^luo-abi preflight: ${shown(cut).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: bad handover: .+\n$`));
  });

  it('an address that leads out of the memory given: the place named', async () => {
    const bytes = readFileSync(good.mem);
    // luo_ser is the first block; its sessions_pa follows the 128-byte feature header and liveupdate_num.
    new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(136, 0x2_0000_0000n, true);
    const bad = join(work.dir, 'away.bin');
    writeFileSync(bad, bytes);
    expect(await failing(good.kho, bad)).toMatch(/^luo-abi preflight: .*: bad handover: \/LUO\/preserved-data -> luo-features-named -> luo_ser\.sessions_pa.*: physical address 0x200000000 is not in memory .*\n$/);
  });

  it('a session count far beyond its block', async () => {
    const bytes = readFileSync(good.mem);
    // The session block follows luo_ser's page; its header's count is at offset 8.
    new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(4096 + 8, 1n << 40n, true);
    const bad = join(work.dir, 'count.bin');
    writeFileSync(bad, bytes);
    expect(await failing(good.kho, bad)).toContain('count 1099511627776 is more than');
  });

  it.each([
    [['--from-state', 'kho.dtb', '--to', 'b'], '--from-state needs the memory the handover points into: --mem FILE [--mem-base ADDR]'],
    [['--from', 'a', '--from-state', 'kho.dtb', '--mem', 'm', '--to', 'b'], 'give the kernel handing over (--from) or a handover it wrote (--from-state), not both'],
    [['--from', 'a', '--mem', 'm', '--to', 'b'], '--mem, --mem-base and --big-endian describe a handover: give it with --from-state KHO.dtb'],
  ])('%j', async (args, message) => {
    const result = await cli('preflight', ...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`luo-abi preflight: ${message}\nRun \`luo-abi preflight --help\` for usage.\n`);
  });
});
