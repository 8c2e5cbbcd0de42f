/**
 * The real history replayed: every step from luo-v1-session-v1 to luo-v4 passes because the guarding
 * compatible string was bumped, and the same step under the old string fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffVersions } from '../generator/check/diff.ts';
import { serializeLock } from '../generator/check/lock.ts';
import { checkVersions, lockOf } from '../generator/check/run.ts';
import { buildModel, type VersionModel } from '../generator/model/index.ts';
import { defineString, field, node, pa, pointerProperty, struct, u64, version, type AbiVersion, type FdtNode } from '../schema/lang.ts';
import { luoSchema } from '../schema/index.ts';
import { LUO_FDT_SESSION_HEADER } from '../schema/luo/constants.ts';
import { luo_file_set_ser_array, sessionBlock } from '../schema/luo/structs.ts';
import { luoV1, luoV1SessionV1, luoV2, luoV3, luoV4 } from '../schema/luo/versions.ts';
import { ROOT } from './support/tools.ts';

function models(...versions: AbiVersion[]): readonly VersionModel[] {
  return buildModel({ ...luoSchema, versions, current: versions.at(-1)!.name }).versions;
}

/** `version` with the compatible macro `macro` set to `value` (the constant and the node that carries it). */
function withCompatible(base: AbiVersion, macro: string, value: string, name = `${base.name}-changed`): AbiVersion {
  const replacement = defineString(macro, value, { doc: 'Changed by the test.' });
  const renode = (n: FdtNode): FdtNode => ({
    ...n,
    compatible: n.compatible.name === macro ? replacement : n.compatible,
    children: n.children.map(renode),
  });
  return version({
    ...base,
    name,
    constants: base.constants.map((c) => (c.name === macro ? replacement : c)),
    fdt: { ...base.fdt, root: renode(base.fdt.root) },
  });
}

/** Runs the check of `newer` after `older`, with `older` (and what came before it) locked. */
function step(before: AbiVersion[], newer: AbiVersion) {
  const all = models(...before, newer);
  return checkVersions(all, lockOf('luo', all.slice(0, -1)));
}

const errors = (findings: ReturnType<typeof step>) => findings.filter((f) => f.severity === 'error');

describe('check: the real history', () => {
  it('luo-v1-session-v1 -> luo-v1 passes: the session string went to luo-session-v2', () => {
    expect(step([luoV1SessionV1], luoV1)).toEqual([]);
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
    const changed: AbiVersion = version({
      ...luoV1,
      name: 'luo-v1-next',
      types: luoV1.types.map((t) => (t.name === 'luo_session_ser' ? session : t)),
      fdt: {
        ...luoV1.fdt,
        root: node({
          ...luoV1.fdt.root,
          children: luoV1.fdt.root.children.map((child) =>
            child.properties[0]?.name === LUO_FDT_SESSION_HEADER
              ? node({ ...child, properties: [pointerProperty(LUO_FDT_SESSION_HEADER, pa(sessionBlock(session)), 'The session block.')] })
              : child,
          ),
        }),
      },
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
    const renamed = version({
      ...luoV1,
      name: 'luo-v1-renamed',
      constants: luoV1.constants.map((c) => (c.name === name.name ? name : c)),
      fdt: {
        ...luoV1.fdt,
        root: { ...luoV1.fdt.root, children: luoV1.fdt.root.children.map((c) => (c.name?.name === name.name ? { ...c, name } : c)) },
      },
    });
    const history = [luoV1SessionV1, luoV1];
    const sessionBumped = step(history, withCompatible(renamed, 'LUO_FDT_SESSION_COMPATIBLE', 'luo-session-v3', 'luo-v1-renamed'));
    expect(errors(sessionBumped).map((f) => `${f.rule} ${f.compatible} ${f.subject}`)).toEqual(['LUO001 LUO_FDT_COMPATIBLE "luo-v1" node /luo-session']);
    expect(errors(step(history, withCompatible(renamed, 'LUO_FDT_COMPATIBLE', 'luo-v1.1', 'luo-v1-renamed')))).toEqual([]);
  });

  it('the whole schema passes against its own lock, and the committed lock is what lock gives from scratch', () => {
    const model = buildModel(luoSchema);
    const lock = lockOf(model.name, model.versions);
    expect(checkVersions(model.versions, lock)).toEqual([]);
    expect(readFileSync(join(ROOT, 'schema/abi.lock.json'), 'utf8')).toBe(serializeLock(lock));
  });

  it('diffVersions names the one breaking change of luo-v3 -> luo-v4 and the new string', () => {
    const [v3, v4] = models(luoV3, luoV4);
    const changes = diffVersions(v3!, v4!);
    expect(changes.map((c) => `${c.kind} ${c.subject} ${c.breaking}`)).toEqual([
      'compatible LUO_FDT_COMPATIBLE false',
      'pointer-target struct luo_file_set_ser > files true',
    ]);
    expect(changes[0]).toMatchObject({ old: 'LUO_FDT_COMPATIBLE "luo-v3"', new: 'LUO_FDT_COMPATIBLE "luo-v4"' });
  });
});
