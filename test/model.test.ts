/**
 * The LUO schema against ../shared/luo-abi-facts.md: every number, macro, node and guard there is
 * reproduced by the model. The expected values below are typed in from the facts file, not taken
 * from the code under test.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, findStruct, findVersion, type VersionModel } from '../generator/model/index.ts';
import { luoSchema } from '../schema/index.ts';

const model = buildModel(luoSchema);

/** struct -> [field, offset, size][] and total size, from the facts table. */
const FACTS: Record<string, { fields: [string, number, number][]; size: number }> = {
  luo_ser: { fields: [['liveupdate_num', 0, 8], ['sessions_pa', 8, 8], ['flbs_pa', 16, 8]], size: 24 },
  luo_session_header_ser: { fields: [['count', 0, 8]], size: 8 },
  luo_block_header_ser: { fields: [['next', 0, 8], ['count', 8, 8]], size: 16 },
  luo_session_ser: { fields: [['name', 0, 64], ['file_set_ser', 64, 16]], size: 80 },
  luo_file_set_ser: { fields: [['files', 0, 8], ['count', 8, 8]], size: 16 },
  luo_file_ser: { fields: [['compatible', 0, 48], ['data', 48, 8], ['token', 56, 8]], size: 64 },
  luo_flb_header_ser: { fields: [['pgcnt', 0, 8], ['count', 8, 8]], size: 16 },
  luo_flb_ser: { fields: [['name', 0, 48], ['data', 48, 8], ['count', 56, 8]], size: 64 },
};

const STRUCTS: Record<string, string[]> = {
  'luo-v1-session-v1': ['luo_session_header_ser', 'luo_session_ser'],
  'luo-v1': ['luo_file_ser', 'luo_file_set_ser', 'luo_session_header_ser', 'luo_session_ser', 'luo_flb_header_ser', 'luo_flb_ser'],
  'luo-v2': ['luo_ser', 'luo_file_ser', 'luo_file_set_ser', 'luo_session_header_ser', 'luo_session_ser', 'luo_flb_header_ser', 'luo_flb_ser'],
  'luo-v3': ['luo_ser', 'luo_block_header_ser', 'luo_file_ser', 'luo_file_set_ser', 'luo_session_ser', 'luo_flb_header_ser', 'luo_flb_ser'],
  'luo-v4': ['luo_ser', 'luo_block_header_ser', 'luo_file_ser', 'luo_file_set_ser', 'luo_session_ser', 'luo_flb_header_ser', 'luo_flb_ser'],
};

const MACROS: Record<string, Record<string, string>> = {
  'luo-v1-session-v1': {
    LUO_FDT_SIZE: 'PAGE_SIZE',
    LUO_FDT_KHO_ENTRY_NAME: '"LUO"',
    LUO_FDT_COMPATIBLE: '"luo-v1"',
    LUO_FDT_LIVEUPDATE_NUM: '"liveupdate-number"',
    LUO_FDT_SESSION_NODE_NAME: '"luo-session"',
    LUO_FDT_SESSION_COMPATIBLE: '"luo-session-v1"',
    LUO_FDT_SESSION_HEADER: '"luo-session-header"',
  },
  'luo-v1': {
    LUO_FDT_SIZE: 'PAGE_SIZE',
    LUO_FDT_KHO_ENTRY_NAME: '"LUO"',
    LUO_FDT_COMPATIBLE: '"luo-v1"',
    LUO_FDT_LIVEUPDATE_NUM: '"liveupdate-number"',
    LUO_FDT_SESSION_NODE_NAME: '"luo-session"',
    LUO_FDT_SESSION_COMPATIBLE: '"luo-session-v2"',
    LUO_FDT_SESSION_HEADER: '"luo-session-header"',
    LIVEUPDATE_HNDL_COMPAT_LENGTH: '48',
    LIVEUPDATE_FLB_COMPAT_LENGTH: '48',
    LUO_FDT_FLB_NODE_NAME: '"luo-flb"',
    LUO_FDT_FLB_COMPATIBLE: '"luo-flb-v1"',
    LUO_FDT_FLB_HEADER: '"luo-flb-header"',
  },
  ...Object.fromEntries(
    ['luo-v2', 'luo-v3', 'luo-v4'].map((v) => [
      v,
      {
        LUO_FDT_SIZE: 'PAGE_SIZE',
        LUO_FDT_KHO_ENTRY_NAME: '"LUO"',
        LUO_FDT_COMPATIBLE: `"${v}"`,
        LUO_FDT_ABI_HEADER: '"luo-abi-header"',
        LIVEUPDATE_HNDL_COMPAT_LENGTH: '48',
        LIVEUPDATE_FLB_COMPAT_LENGTH: '48',
      },
    ]),
  ),
};

function ownMacros(version: VersionModel): Record<string, string> {
  return Object.fromEntries(version.constants.filter((c) => !c.include).map((c) => [c.name, c.c]));
}

describe.each(model.versions.map((v) => [v.name, v] as const))('%s', (name, version) => {
  it('has the structs of the facts file, with their offsets and sizes', () => {
    expect(version.structs.map((s) => s.name).sort()).toEqual([...STRUCTS[name]!].sort());
    for (const s of version.structs) {
      const facts = name === 'luo-v1-session-v1' && s.name === 'luo_session_ser' ? { fields: [['name', 0, 64]], size: 64 } : FACTS[s.name]!;
      expect(s.fields.map((f) => [f.name, f.offset, f.size]), s.name).toEqual(facts.fields);
      expect(s.size, s.name).toBe(facts.size);
      expect(s.packed, s.name).toBe(true);
    }
  });

  it('defines exactly the macros of the facts file, and takes the session name length from the uapi header', () => {
    expect(ownMacros(version)).toEqual(MACROS[name]);
    const sessionName = version.constants.find((c) => c.name === 'LIVEUPDATE_SESSION_NAME_LENGTH');
    expect(sessionName).toMatchObject({ value: 64, include: '<uapi/linux/liveupdate.h>' });
  });
});

describe('the FDT of each version', () => {
  it('luo-v1-session-v1: root compatible and counter, then the session node', () => {
    const root = findVersion(model, 'luo-v1-session-v1').fdt.root;
    expect(root.compatible.value).toBe('luo-v1');
    expect(root.properties.map((p) => [p.name, p.kind])).toEqual([['liveupdate-number', 'u64']]);
    expect(root.children.map((c) => [c.name, c.compatible.value, c.properties.map((p) => p.name)])).toEqual([
      ['luo-session', 'luo-session-v1', ['luo-session-header']],
    ]);
  });

  it('luo-v1: root properties, then luo-session, then luo-flb', () => {
    const root = findVersion(model, 'luo-v1').fdt.root;
    expect(root.children.map((c) => [c.name, c.compatible.value, c.properties.map((p) => p.name)])).toEqual([
      ['luo-session', 'luo-session-v2', ['luo-session-header']],
      ['luo-flb', 'luo-flb-v1', ['luo-flb-header']],
    ]);
  });

  it.each(['luo-v2', 'luo-v3', 'luo-v4'])('%s: the root only, with luo-abi-header pointing at struct luo_ser', (name) => {
    const root = findVersion(model, name).fdt.root;
    expect(root.compatible.value).toBe(name);
    expect(root.children).toEqual([]);
    expect(root.properties.map((p) => [p.name, p.kind, p.pointer?.target])).toEqual([
      ['luo-abi-header', 'pointer', { shape: 'struct', struct: 'luo_ser' }],
    ]);
    expect(findVersion(model, name).fdt.maxSize.c).toBe('PAGE_SIZE');
  });
});

describe('guards', () => {
  it('luo-v1: the session string guards sessions and files, the FLB string the FLBs, the root only its properties', () => {
    const guards = findVersion(model, 'luo-v1').guards;
    expect(guards.map((g) => [g.macro, g.value, g.structs, g.outer])).toEqual([
      ['LUO_FDT_COMPATIBLE', 'luo-v1', [], []],
      ['LUO_FDT_SESSION_COMPATIBLE', 'luo-session-v2', ['luo_file_ser', 'luo_file_set_ser', 'luo_session_header_ser', 'luo_session_ser'], ['LUO_FDT_COMPATIBLE']],
      ['LUO_FDT_FLB_COMPATIBLE', 'luo-flb-v1', ['luo_flb_header_ser', 'luo_flb_ser'], ['LUO_FDT_COMPATIBLE']],
    ]);
    expect(findStruct(findVersion(model, 'luo-v1'), 'luo_file_ser').guard).toBe('LUO_FDT_SESSION_COMPATIBLE');
  });

  it.each(['luo-v2', 'luo-v3', 'luo-v4'])('%s: LUO_FDT_COMPATIBLE alone guards every struct', (name) => {
    const version = findVersion(model, name);
    expect(version.guards.map((g) => g.macro)).toEqual(['LUO_FDT_COMPATIBLE']);
    expect(version.structs.every((s) => s.guard === 'LUO_FDT_COMPATIBLE')).toBe(true);
  });
});

describe('pointers: what each address points at', () => {
  it('luo-v2 sessions: a header followed by its entries in one 16-page block; FLBs sized by pgcnt', () => {
    const luoSer = findStruct(findVersion(model, 'luo-v2'), 'luo_ser');
    const types = Object.fromEntries(luoSer.fields.map((f) => [f.name, f.type]));
    expect(types.sessions_pa).toEqual({
      kind: 'pointer',
      nullable: true,
      target: { shape: 'header-array', header: 'luo_session_header_ser', count: 'count', entry: 'luo_session_ser', block: { kind: 'pages', pages: 16 } },
    });
    expect(types.flbs_pa).toEqual({
      kind: 'pointer',
      nullable: true,
      target: { shape: 'header-array', header: 'luo_flb_header_ser', count: 'count', entry: 'luo_flb_ser', block: { kind: 'header-field', field: 'pgcnt', unit: 'pages' } },
    });
  });

  it('luo-v3 sessions: a chain of 16-page blocks linked by next', () => {
    const sessions = findStruct(findVersion(model, 'luo-v3'), 'luo_ser').fields[1]!.type;
    expect(sessions).toMatchObject({ target: { shape: 'chain', header: 'luo_block_header_ser', next: 'next', count: 'count', entry: 'luo_session_ser', block: { pages: 16 } } });
  });

  it('luo-v3 -> luo-v4: every struct is byte for byte the same, only what files points at changed', () => {
    const v3 = findVersion(model, 'luo-v3');
    const v4 = findVersion(model, 'luo-v4');
    const layout = (v: VersionModel) => v.structs.map((s) => [s.name, s.size, s.fields.map((f) => [f.name, f.offset, f.size])]);
    expect(layout(v4)).toEqual(layout(v3));
    const files = (v: VersionModel) => findStruct(v, 'luo_file_set_ser').fields[0]!.type;
    expect(files(v3)).toMatchObject({ target: { shape: 'array', entry: 'luo_file_ser', count: 'count', block: { pages: 2 } } });
    expect(files(v4)).toMatchObject({ target: { shape: 'chain', header: 'luo_block_header_ser', entry: 'luo_file_ser', total: 'count' } });
  });
});
