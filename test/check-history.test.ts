/**
 * The real history replayed: every step from luo-v1-session-v1 to luo-v4 passes because the guarding
 * compatible string was bumped, and the same step under the old string fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeLock } from '../generator/check/lock.ts';
import { checkVersions, lockOf } from '../generator/check/run.ts';
import { diffVersions } from '../generator/model/diff.ts';
import { allVersions, buildModel, findHeader, type VersionModel } from '../generator/model/index.ts';
import type { Container } from '../schema/lang.ts';
import { blockHeader } from '../schema/block/index.ts';
import { compatHeader } from '../schema/compat/index.ts';
import { kexecHandoverHeader } from '../schema/kexec_handover/index.ts';
import { defineExpr, defineString, expr, family, fdtContainer, field, header, node, pa, pointerProperty, struct, u64, version, type AbiHeader, type AbiVersion, type FdtNode, type ReachedFromContainer } from '../schema/lang.ts';
import khoFamily from '../schema/index.ts';
import { luoHeader } from '../schema/luo/index.ts';
import { memfdHeader, memfdV1, memfdV2, memfdV2SealsBitfield } from '../schema/memfd/index.ts';
import { LUO_FDT_SESSION_HEADER } from '../schema/luo/constants.ts';
import { compatLength, luo_file_ser_khoser, luoV5, luoV5Composed, rawLuoVersion } from '../schema/luo/raw.ts';
import { KHO_BLOCK_COMPATIBLE, KHO_BLOCK_SIZE, blockV1 } from '../schema/block/index.ts';
import { KHO_SUB_COMPAT, compat } from '../schema/compat/index.ts';
import { luo_file_ser, luo_file_set_ser_array, sessionBlock } from '../schema/luo/structs.ts';
import { luoV1, luoV1SessionV1, luoV1SessionV2, luoV2, luoV3, luoV4 } from '../schema/luo/versions.ts';
import { ROOT } from './support/tools.ts';

/** The family with luo.h holding exactly `versions` (and block.h holding `blocks`): every header's versions, in order. */
function models(versions: AbiVersion[], block: AbiHeader = blockHeader): readonly VersionModel[] {
  const luo = header({ ...luoHeader, versions, current: versions.at(-1)!.name });
  return allVersions(buildModel(family({ name: 'kho', headers: [kexecHandoverHeader, block, compatHeader, luo] })));
}

const luoOnly = (all: readonly VersionModel[]) => all.filter((v) => v.header === 'luo');

/** `version` with the string macro `macro` set to `value` (the constant and the node or struct that carries it). */
function withCompatible(base: AbiVersion, macro: string, value: string, name = `${base.name}-changed`): AbiVersion {
  const replacement = defineString(macro, value, { doc: 'Changed by the test.' });
  const renode = (n: FdtNode): FdtNode => ({
    ...n,
    compatible: n.compatible?.name === macro ? replacement : n.compatible,
    children: n.children.map(renode),
  });
  const container = base.container!;
  return version({
    ...base,
    name,
    constants: base.constants.map((c) => (c.name === macro ? replacement : c)),
    container: container.kind === 'fdt' ? fdtContainer({ ...container, root: renode(container.root) }) : ({ ...container, compatible: container.compatible?.name === macro ? replacement : container.compatible } as Container),
  });
}

/**
 * Runs the check of the last luo version after the others, with the others (and every other header)
 * locked; the notes the schema acknowledges for other headers (kho-v2's blob-size) are left out.
 */
function step(before: AbiVersion[], newer: AbiVersion) {
  const all = models([...before, newer]);
  const last = [...all].reverse().find((v) => v.header === 'luo')!;
  return checkVersions(all, lockOf('kho', all.filter((v) => v !== last))).filter((f) => f.severity !== 'note');
}

const errors = (findings: ReturnType<typeof step>) => findings.filter((f) => f.severity === 'error');

describe('check: the real history', () => {
  it('luo-v1-session-v1 -> luo-v1 passes: the session string went to luo-session-v2', () => {
    expect(step([luoV1SessionV1], luoV1)).toEqual([]);
    expect(step([luoV1SessionV1, luoV1SessionV2], luoV1)).toEqual([]);
  });

  it('luo-v1-session-v1 -> luo-v1 under luo-session-v1 fails on the session node', () => {
    const findings = step([luoV1SessionV1], withCompatible(luoV1, 'LUO_FDT_SESSION_COMPATIBLE', 'luo-session-v1'));
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.rule === 'LUO001' && f.compatible === 'LUO_FDT_SESSION_COMPATIBLE "luo-session-v1"')).toBe(true);
    expect(findings.map((f) => f.subject)).toContain('struct luo_session_ser > file_set_ser');
    expect(findings[0]!.fix).toContain('bump LUO_FDT_SESSION_COMPATIBLE from "luo-session-v1" to "luo-session-v2"');
  });

  it('luo-v1 -> luo-v2 passes, and fails under luo-v1 (the subnodes and liveupdate-number are gone)', () => {
    expect(step([luoV1SessionV1, luoV1], luoV2)).toEqual([]);
    const findings = step([luoV1SessionV1, luoV1], withCompatible(luoV2, 'LUO_FDT_COMPATIBLE', 'luo-v1'));
    expect(findings.map((f) => `${f.rule} ${f.subject}`)).toEqual(
      expect.arrayContaining(['LUO001 node / > liveupdate-number', 'LUO001 node /luo-session', 'LUO001 node /luo-flb']),
    );
  });

  it('luo-v2 -> luo-v3 passes, and fails under luo-v2 (sessions_pa points at a chain)', () => {
    expect(step([luoV2], luoV3)).toEqual([]);
    const findings = step([luoV2], withCompatible(luoV3, 'LUO_FDT_COMPATIBLE', 'luo-v2'));
    expect(errors(findings).map((f) => `${f.rule} ${f.subject}`)).toEqual(['LUO001 struct luo_session_header_ser', 'LUO001 struct luo_ser > sessions_pa']);
  });

  it('luo-v3 -> luo-v4 passes, and under luo-v3 fails on the pointer alone, no struct layout having changed', () => {
    expect(step([luoV3], luoV4)).toEqual([]);
    const findings = step([luoV3], withCompatible(luoV4, 'LUO_FDT_COMPATIBLE', 'luo-v3'));
    expect(findings.map((f) => `${f.rule} ${f.subject}`)).toEqual(['LUO001 struct luo_file_set_ser > files']);
    expect(findings[0]!.old).toContain('an array of @count struct luo_file_ser');
    expect(findings[0]!.new).toContain('a chain of blocks of struct luo_block_header_ser');
  });

  describe('luo-v1: a change to luo_session_ser', () => {
    const session = struct('luo_session_ser', {
      packed: true,
      summary: 'Serialised state of one session.',
      fields: {
        name: luoV1.types.find((t) => t.name === 'luo_session_ser')!.fields['name']!,
        file_set_ser: field(luo_file_set_ser_array, 'The files of the session.'),
        flags: field(u64, 'A new field.'),
      },
    });
    const fdt = luoV1.container as ReturnType<typeof fdtContainer>;
    const changed: AbiVersion = version({
      ...luoV1,
      name: 'luo-v1-next',
      types: luoV1.types.map((t) => (t.name === 'luo_session_ser' ? session : t)),
      container: fdtContainer({
        ...fdt,
        root: node({
          ...fdt.root,
          children: fdt.root.children.map((child) =>
            child.properties[0]?.name === LUO_FDT_SESSION_HEADER
              ? node({ ...child, properties: [pointerProperty(LUO_FDT_SESSION_HEADER, pa(sessionBlock(session)), 'The session block.')] })
              : child,
          ),
        }),
      }),
    });
    const history = [luoV1SessionV1, luoV1];

    it('is covered by bumping the session string', () => {
      expect(errors(step(history, withCompatible(changed, 'LUO_FDT_SESSION_COMPATIBLE', 'luo-session-v3', 'luo-v1-next')))).toEqual([]);
    });

    it('is covered by bumping the root string', () => {
      expect(errors(step(history, withCompatible(changed, 'LUO_FDT_COMPATIBLE', 'luo-v1.1', 'luo-v1-next')))).toEqual([]);
    });

    it('is not covered by bumping only the FLB string', () => {
      const findings = step(history, withCompatible(changed, 'LUO_FDT_FLB_COMPATIBLE', 'luo-flb-v2', 'luo-v1-next'));
      expect(errors(findings).map((f) => `${f.rule} ${f.compatible} ${f.subject}`)).toEqual([
        'LUO001 LUO_FDT_SESSION_COMPATIBLE "luo-session-v2" struct luo_session_ser',
        'LUO001 LUO_FDT_SESSION_COMPATIBLE "luo-session-v2" struct luo_session_ser > flags',
      ]);
      // The FLB bump changed nothing the FLB string guards.
      expect(findings.filter((f) => f.severity === 'warning').map((f) => `${f.rule} ${f.subject}`)).toEqual(['LUO005 LUO_FDT_FLB_COMPATIBLE']);
    });
  });

  it('luo-v1 with the session node renamed needs the root string bumped, not the session string', () => {
    const name = defineString('LUO_FDT_SESSION_NODE_NAME', 'luo-sessions', { doc: 'Renamed by the test.' });
    const fdt = luoV1.container as ReturnType<typeof fdtContainer>;
    const renamed = version({
      ...luoV1,
      name: 'luo-v1-renamed',
      constants: luoV1.constants.map((c) => (c.name === name.name ? name : c)),
      container: fdtContainer({ ...fdt, root: { ...fdt.root, children: fdt.root.children.map((c) => (c.name && 'name' in c.name && c.name.name === name.name ? { ...c, name } : c)) } }),
    });
    const history = [luoV1SessionV1, luoV1];
    const sessionBumped = step(history, withCompatible(renamed, 'LUO_FDT_SESSION_COMPATIBLE', 'luo-session-v3', 'luo-v1-renamed'));
    expect(errors(sessionBumped).map((f) => `${f.rule} ${f.compatible} ${f.subject}`)).toEqual(['LUO001 LUO_FDT_COMPATIBLE "luo-v1" node /luo-session']);
    expect(errors(step(history, withCompatible(renamed, 'LUO_FDT_COMPATIBLE', 'luo-v1.1', 'luo-v1-renamed')))).toEqual([]);
  });

  it('the whole schema passes against its own lock, and the committed lock is what lock gives from scratch', () => {
    const model = buildModel(khoFamily);
    const lock = lockOf(model.name, allVersions(model));
    const findings = checkVersions(allVersions(model), lock);
    expect(findings.filter((f) => f.severity !== 'note')).toEqual([]);
    expect(readFileSync(join(ROOT, 'schema/abi.lock.json'), 'utf8')).toBe(serializeLock(lock));
  });

  it('kho-v2 kept its string when client nodes gained blob-size, memfd-v2 when its seals became a u32: acknowledged LUO001s, shown as notes with their reasons', () => {
    const model = buildModel(khoFamily);
    const notes = checkVersions(allVersions(model), lockOf(model.name, allVersions(model))).filter((f) => f.severity === 'note');
    expect(notes.map((f) => `${f.rule} ${f.version} ${f.subject}`)).toEqual([
      // The same upstream change twice: the node gained blob-size, and the client's state is now sized by it.
      'LUO001 kho-v2+blob-size node /<client> > preserved-data',
      'LUO001 kho-v2+blob-size node /<client> > blob-size',
      'LUO001 memfd-v2 struct memfd_luo_ser > __reserved',
      'LUO001 memfd-v2 struct memfd_luo_ser > seals',
      'LUO001 memfd-v2 struct memfd_luo_ser > seals',
      'LUO001 memfd-v2 struct memfd_luo_ser > flags',
    ]);
    expect(notes[0]!.acknowledged).toMatch(/kept "kho-v2"/);
    expect(notes[1]!.acknowledged).toMatch(/kept "kho-v2"/);
    expect(notes[2]!.acknowledged).toMatch(/kept "memfd-v2"/);
  });

  it('luo-v4 -> luo-v5: the state moved from an FDT into a raw KHO entry with a string of its own', () => {
    expect(step([luoV3, luoV4], luoV5)).toEqual([]);
    expect(step([luoV4, luoV5], luoV5Composed)).toEqual([]);
  });

  it('diffVersions names the one breaking change of luo-v3 -> luo-v4 and the new string', () => {
    const [v3, v4] = luoOnly(models([luoV3, luoV4]));
    const changes = diffVersions(v3!, v4!);
    expect(changes.map((c) => `${c.kind} ${c.subject} ${c.breaking}`)).toEqual([
      'compatible LUO_FDT_COMPATIBLE false',
      'pointer-target struct luo_file_set_ser > files true',
    ]);
    expect(changes[0]).toMatchObject({ old: 'LUO_FDT_COMPATIBLE "luo-v3"', new: 'LUO_FDT_COMPATIBLE "luo-v4"' });
  });
});

describe('check: the memfd history', () => {
  /** Checks the last memfd version after the others, with every other version locked; notes left out. */
  function memfdStep(before: AbiVersion[], newer: AbiVersion) {
    const memfd = header({ ...memfdHeader, versions: [...before, newer], current: newer.name });
    const all = allVersions(buildModel(family({ name: 'kho', headers: [...khoFamily.headers.filter((h) => h.name !== 'memfd'), memfd] })));
    const last = all.find((v) => v.header === 'memfd' && v.name === newer.name)!;
    return checkVersions(all, lockOf('kho', all.filter((v) => v !== last))).filter((f) => f.severity !== 'note');
  }

  /** `base` with the handler string `value`, and without the acknowledgements of its own release. */
  function underString(base: AbiVersion, value: string): AbiVersion {
    const str = defineString('MEMFD_LUO_FH_COMPATIBLE', value, { doc: 'Changed by the test.' });
    const container = base.container as ReachedFromContainer;
    return version({
      ...base,
      name: `${base.name}-as-${value}`,
      constants: base.constants.map((c) => (c.name === str.name ? str : c)),
      container: { ...container, compatible: str },
      guard: str,
      acknowledges: [],
    });
  }

  it('memfd-v1 -> memfd-v2 passes in either revision: the seals came with a new string', () => {
    expect(memfdStep([memfdV1], memfdV2SealsBitfield)).toEqual([]);
    expect(memfdStep([memfdV1], memfdV2)).toEqual([]);
  });

  it('memfd-v2 under "memfd-v1" is LUO001 on the struct the handler string reaches', () => {
    const findings = memfdStep([memfdV1], underString(memfdV2, 'memfd-v1'));
    expect(findings.map((f) => `${f.rule} ${f.compatible} ${f.subject}`)).toEqual([
      'LUO001 MEMFD_LUO_FH_COMPATIBLE "memfd-v1" struct memfd_luo_ser',
      'LUO001 MEMFD_LUO_FH_COMPATIBLE "memfd-v1" struct memfd_luo_ser > seals',
      'LUO001 MEMFD_LUO_FH_COMPATIBLE "memfd-v1" struct memfd_luo_ser > flags',
      'LUO001 MEMFD_LUO_FH_COMPATIBLE "memfd-v1" struct memfd_luo_ser > nr_folios',
      'LUO001 MEMFD_LUO_FH_COMPATIBLE "memfd-v1" struct memfd_luo_ser > folios',
    ]);
  });

  it('the applied memfd-v2 after the first, without its acknowledgement, is LUO001: the string was kept for a new layout', () => {
    const findings = memfdStep([memfdV1, memfdV2SealsBitfield], underString(memfdV2, 'memfd-v2'));
    expect(findings.map((f) => `${f.rule} ${f.subject}`)).toEqual([
      'LUO001 struct memfd_luo_ser > __reserved',
      'LUO001 struct memfd_luo_ser > seals',
      'LUO001 struct memfd_luo_ser > seals',
      'LUO001 struct memfd_luo_ser > flags',
    ]);
    expect(findings.every((f) => f.severity === 'error')).toBe(true);
  });
});

describe('check: headers that use each other', () => {
  /** block.h with a block-v2 whose header gained a field, under `value`. */
  function blockV2(value: string) {
    const str = defineString('KHO_BLOCK_COMPATIBLE', value, { doc: 'Changed by the test.' });
    const header2 = struct('kho_block_header_ser', {
      packed: true,
      summary: 'Header of one block in a chain of blocks.',
      fields: { next: field(u64, 'Next block.'), count: field(u64, 'Entries.'), flags: field(u64, 'A new field.') },
    });
    const v2 = version({ ...blockV1, name: 'block-v2', constants: [str, KHO_BLOCK_SIZE], types: [header2], guard: str });
    return { v2, block: header({ ...blockHeader, versions: [...blockHeader.versions, v2], current: 'block-v2' }) };
  }

  /** The composed luo-v5 rewritten to use block-v2 (its string composed from the macro, as C does). */
  function composedOver(v2: AbiVersion): AbiVersion {
    return version({ ...luoV5Composed, name: 'luo-v5+block-v2', uses: [compat, v2] });
  }

  function check(block: AbiHeader, luoVersions: AbiVersion[]) {
    const luo = header({ ...luoHeader, versions: luoVersions, current: luoVersions.at(-1)!.name });
    const all = allVersions(buildModel(family({ name: 'kho', headers: [kexecHandoverHeader, block, compatHeader, luo] })));
    const released = all.filter((v) => v.name !== 'block-v2' && !v.name.endsWith('block-v2'));
    return checkVersions(all, lockOf('kho', released)).filter((f) => f.severity !== 'note');
  }

  it('a change to the block header without a bump of block.h\'s string is LUO001 on block.h\'s own string', () => {
    const { block } = blockV2('block-v1');
    const findings = check(block, [luoV5Composed]);
    expect(findings.map((f) => `${f.rule} ${f.version} ${f.compatible} ${f.subject}`)).toEqual([
      'LUO001 block-v2 KHO_BLOCK_COMPATIBLE "block-v1" struct kho_block_header_ser',
      'LUO001 block-v2 KHO_BLOCK_COMPATIBLE "block-v1" struct kho_block_header_ser > flags',
    ]);
  });

  it('with the bump, a LUO string composed of it changes with it and the check passes', () => {
    const { v2, block } = blockV2('block-v2');
    const composed = composedOver(v2);
    expect(check(block, [luoV5Composed, composed])).toEqual([]);
    const model = buildModel(family({ name: 'kho', headers: [kexecHandoverHeader, block, compatHeader, header({ ...luoHeader, versions: [composed], current: composed.name })] }));
    expect(findHeader(model, 'luo').versions[0]!.guards[0]).toMatchObject({ value: 'luo-v5;block-v2', components: [{ macro: 'KHO_BLOCK_COMPATIBLE', value: 'block-v2' }] });
  });

  it('composed parts out of alphabetical order are LUO009, naming the order the KUnit test wants', () => {
    const A = defineString('TEST_A_COMPATIBLE', 'alpha-v1');
    const aV = version({ name: 'alpha-v1', origin: 'Test.', doc: { title: 'A', paragraphs: [] }, constants: [A], types: [], guard: A });
    const alpha = header({ name: 'alpha', path: 'include/test/alpha.h', includeGuard: '_ALPHA_H', spdx: 'GPL-2.0', copyright: [], versions: [aV], current: 'alpha-v1' });
    const base = defineString('LUO_ABI_COMPAT_BASE', 'luo-v5');
    const unsorted = defineExpr('LUO_ABI_COMPATIBLE', expr`${base} ${KHO_SUB_COMPAT}(${KHO_BLOCK_COMPATIBLE}) ${KHO_SUB_COMPAT}(${A})`);
    const bad = rawLuoVersion({
      name: 'luo-v5+unsorted',
      origin: 'Test.',
      paragraphs: [],
      uses: [compat, blockV1, aV],
      compatible: [base, unsorted],
      compatLen: compatLength('LUO_ABI_COMPAT_LEN', unsorted, 'compat-align'),
      fileEntry: luo_file_ser,
    });
    const luo = header({ ...luoHeader, versions: [bad], current: bad.name });
    const all = allVersions(buildModel(family({ name: 'kho', headers: [kexecHandoverHeader, blockHeader, compatHeader, alpha, luo] })));
    const findings = checkVersions(all, lockOf('kho', all)).filter((f) => f.rule === 'LUO009');
    expect(findings.map((f) => [f.version, f.old, f.new])).toEqual([['luo-v5+unsorted', '"luo-v5;block-v1;alpha-v1"', '"luo-v5;alpha-v1;block-v1"']]);
  });

  it('a guard macro renamed with its value kept is no bump: a field added under it is LUO001, and the finding says so', () => {
    const renamedString = defineString('LUO_ABI_VERSION', 'luo-v5', { doc: 'Renamed by the test.' });
    const len = compatLength('LUO_ABI_COMPAT_LEN', renamedString, 'align');
    const file = struct('luo_file_ser', {
      packed: true,
      summary: 'Serialised state of one preserved file.',
      fields: { ...luo_file_ser_khoser.fields, flags: field(u64, 'A new field.') },
    });
    const edited = rawLuoVersion({
      name: 'luo-v5-renamed',
      origin: 'Test.',
      paragraphs: [],
      uses: [kexecHandoverHeader.versions.at(-1)!, blockHeader.versions[0]!],
      compatible: [renamedString],
      compatLen: len,
      fileEntry: file,
    });
    const findings = step([luoV4, luoV5], edited);
    expect(findings.filter((f) => f.rule === 'LUO001').map((f) => f.subject)).toContain('struct luo_file_ser > flags');
    expect(findings.find((f) => f.rule === 'LUO001')!.message).toMatch(/renamed from LUO_ABI_COMPATIBLE to LUO_ABI_VERSION; a new name with the old value is no bump/);
  });
});
