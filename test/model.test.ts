/**
 * The KHO family schema against the facts (../shared/luo-abi-facts.md, kho-abi-facts.md, and the
 * upstream notes in docs/upstream-notes.md): every number, macro, node and guard there is reproduced
 * by the model, at every page size. The expected values below are typed in from those sources, not
 * taken from the code under test.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, findHeader, findStruct, findVersion, versionNodes, type Model, type VersionModel } from '../generator/model/index.ts';
import schema from '../schema/index.ts';
import gadget from './fixtures/gadget-schema.ts';

const model = buildModel(schema);
const at = (pageShift: 12 | 14 | 16): Model => buildModel(schema, { pageShift });

/** struct -> [field, offset, size][] and total size, from the facts table. */
const LUO_STRUCTS: Record<string, { fields: [string, number, number][]; size: number }> = {
  luo_ser: { fields: [['liveupdate_num', 0, 8], ['sessions_pa', 8, 8], ['flbs_pa', 16, 8]], size: 24 },
  luo_session_header_ser: { fields: [['count', 0, 8]], size: 8 },
  luo_block_header_ser: { fields: [['next', 0, 8], ['count', 8, 8]], size: 16 },
  luo_session_ser: { fields: [['name', 0, 64], ['file_set_ser', 64, 16]], size: 80 },
  luo_file_set_ser: { fields: [['files', 0, 8], ['count', 8, 8]], size: 16 },
  luo_file_ser: { fields: [['compatible', 0, 48], ['data', 48, 8], ['token', 56, 8]], size: 64 },
  luo_flb_header_ser: { fields: [['pgcnt', 0, 8], ['count', 8, 8]], size: 16 },
  luo_flb_ser: { fields: [['name', 0, 48], ['data', 48, 8], ['count', 56, 8]], size: 64 },
};

const LUO_VERSION_STRUCTS: Record<string, string[]> = {
  'luo-v1-session-v1': ['luo_session_header_ser', 'luo_session_ser'],
  'luo-v1-session-v2': ['luo_file_ser', 'luo_file_set_ser', 'luo_session_header_ser', 'luo_session_ser'],
  'luo-v1': ['luo_file_ser', 'luo_file_set_ser', 'luo_session_header_ser', 'luo_session_ser', 'luo_flb_header_ser', 'luo_flb_ser'],
  'luo-v2': ['luo_ser', 'luo_file_ser', 'luo_file_set_ser', 'luo_session_header_ser', 'luo_session_ser', 'luo_flb_header_ser', 'luo_flb_ser'],
  'luo-v3': ['luo_ser', 'luo_block_header_ser', 'luo_file_ser', 'luo_file_set_ser', 'luo_session_ser', 'luo_flb_header_ser', 'luo_flb_ser'],
  'luo-v4': ['luo_ser', 'luo_block_header_ser', 'luo_file_ser', 'luo_file_set_ser', 'luo_session_ser', 'luo_flb_header_ser', 'luo_flb_ser'],
};

const TEST_MACRO = { LIVEUPDATE_TEST_FLB_COMPATIBLE: '"liveupdate-test-flb-v" #i' };
const FDT_V1 = {
  LUO_FDT_SIZE: 'PAGE_SIZE',
  LUO_FDT_KHO_ENTRY_NAME: '"LUO"',
  LUO_FDT_COMPATIBLE: '"luo-v1"',
  LUO_FDT_LIVEUPDATE_NUM: '"liveupdate-number"',
  LUO_FDT_SESSION_NODE_NAME: '"luo-session"',
  LUO_FDT_SESSION_HEADER: '"luo-session-header"',
};
const LUO_MACROS: Record<string, Record<string, string>> = {
  'luo-v1-session-v1': { ...FDT_V1, LUO_FDT_SESSION_COMPATIBLE: '"luo-session-v1"' },
  'luo-v1-session-v2': { ...FDT_V1, LUO_FDT_SESSION_COMPATIBLE: '"luo-session-v2"', LIVEUPDATE_HNDL_COMPAT_LENGTH: '48' },
  'luo-v1': {
    ...FDT_V1,
    LUO_FDT_SESSION_COMPATIBLE: '"luo-session-v2"',
    LIVEUPDATE_HNDL_COMPAT_LENGTH: '48',
    LIVEUPDATE_FLB_COMPAT_LENGTH: '48',
    LUO_FDT_FLB_NODE_NAME: '"luo-flb"',
    LUO_FDT_FLB_COMPATIBLE: '"luo-flb-v1"',
    LUO_FDT_FLB_HEADER: '"luo-flb-header"',
    ...TEST_MACRO,
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
        ...TEST_MACRO,
      },
    ]),
  ),
  'luo-v5': {
    LUO_KHO_ENTRY_NAME: '"LUO"',
    LUO_ABI_COMPATIBLE: '"luo-v5"',
    LUO_ABI_COMPAT_LEN: 'ALIGN(sizeof(LUO_ABI_COMPATIBLE), 8)',
    LIVEUPDATE_HNDL_COMPAT_LENGTH: '48',
    LIVEUPDATE_FLB_COMPAT_LENGTH: '48',
    ...TEST_MACRO,
  },
  'luo-v5+block-v1': {
    LUO_KHO_ENTRY_NAME: '"LUO"',
    LUO_ABI_COMPAT_BASE: '"luo-v5"',
    LUO_ABI_COMPATIBLE: 'LUO_ABI_COMPAT_BASE KHO_SUB_COMPAT(KHO_BLOCK_COMPATIBLE)',
    LUO_ABI_COMPAT_LEN: 'KHO_COMPAT_ALIGN(LUO_ABI_COMPATIBLE)',
    LIVEUPDATE_HNDL_COMPAT_LENGTH: '48',
    LIVEUPDATE_FLB_COMPAT_LENGTH: '48',
    ...TEST_MACRO,
  },
};

function ownMacros(version: VersionModel): Record<string, string> {
  return Object.fromEntries(version.constants.filter((c) => !c.include).map((c) => [c.name, c.c]));
}

const luo = findHeader(model, 'luo');

describe('the family', () => {
  it('orders headers so that each comes after the headers it uses', () => {
    const order = model.headers.map((h) => h.name);
    expect(order.indexOf('block')).toBeLessThan(order.indexOf('luo'));
    expect(order.indexOf('compat')).toBeLessThan(order.indexOf('luo'));
    expect(order.indexOf('kexec_handover')).toBeLessThan(order.indexOf('luo'));
  });

  it('luo.h has every version from luo-v1-session-v1 to the composed luo-v5, the composed one current, then the feature-negotiated forms', () => {
    expect(luo.versions.map((v) => v.name)).toEqual([
      'luo-v1-session-v1',
      'luo-v1-session-v2',
      'luo-v1',
      'luo-v2',
      'luo-v3',
      'luo-v4',
      'luo-v5',
      'luo-v5+block-v1',
      'luo-features',
      'luo-features-named',
    ]);
    expect(luo.current.name).toBe('luo-v5+block-v1');
  });
});

describe.each(Object.keys(LUO_VERSION_STRUCTS))('luo.h %s', (name) => {
  const version = findVersion(luo, name);

  it('has the structs of the facts file, with their offsets and sizes', () => {
    expect(version.structs.map((s) => s.name).sort()).toEqual([...LUO_VERSION_STRUCTS[name]!].sort());
    for (const s of version.structs) {
      const facts = name === 'luo-v1-session-v1' && s.name === 'luo_session_ser' ? { fields: [['name', 0, 64]], size: 64 } : LUO_STRUCTS[s.name]!;
      expect(s.fields.map((f) => [f.name, f.offset, f.size]), s.name).toEqual(facts.fields);
      expect(s.size, s.name).toBe(facts.size);
      expect(s.packed, s.name).toBe(true);
    }
  });
});

describe.each(Object.keys(LUO_MACROS))('luo.h %s macros', (name) => {
  it('defines exactly the macros of the facts, and takes the session name length from the uapi header', () => {
    const version = findVersion(luo, name);
    expect(ownMacros(version)).toEqual(LUO_MACROS[name]);
    expect(version.constants.find((c) => c.name === 'LIVEUPDATE_SESSION_NAME_LENGTH')).toMatchObject({ value: 64, include: '<uapi/linux/liveupdate.h>' });
    expect(version.constants.find((c) => c.name === 'LIVEUPDATE_TEST_FLB_COMPATIBLE')?.config ?? 'none').toBe(name.startsWith('luo-v1-session') ? 'none' : 'CONFIG_LIVEUPDATE_TEST');
  });
});

describe('luo-v5: struct luo_ser is the KHO entry, its string in it', () => {
  const v5 = findVersion(luo, 'luo-v5');
  const composed = findVersion(luo, 'luo-v5+block-v1');

  it('luo_ser is 32 bytes: compatible[8], then the counter and the two addresses', () => {
    expect(findStruct(v5, 'luo_ser').fields.map((f) => [f.name, f.offset, f.size])).toEqual([
      ['compatible', 0, 8],
      ['liveupdate_num', 8, 8],
      ['sessions_pa', 16, 8],
      ['flbs_pa', 24, 8],
    ]);
    expect(findStruct(v5, 'luo_ser').size).toBe(32);
    expect(v5.constants.find((c) => c.name === 'LUO_ABI_COMPAT_LEN')?.value).toBe(8);
  });

  it('composed with block.h: "luo-v5;block-v1", compatible[16], luo_ser 40 bytes', () => {
    expect(composed.constants.find((c) => c.name === 'LUO_ABI_COMPATIBLE')?.value).toBe('luo-v5;block-v1');
    expect(composed.constants.find((c) => c.name === 'LUO_ABI_COMPAT_LEN')?.value).toBe(16);
    expect(findStruct(composed, 'luo_ser').size).toBe(40);
    expect(findStruct(composed, 'luo_ser').fields.map((f) => f.offset)).toEqual([0, 16, 24, 32]);
  });

  it('fb2257f spells the handler address as a KHOSER union of the same 8 bytes', () => {
    const file = findStruct(v5, 'luo_file_ser');
    expect(file.fields.map((f) => [f.name, f.offset, f.size])).toEqual([['compatible', 0, 48], ['serialized_data', 48, 8], ['token', 56, 8]]);
    expect(file.fields[1]!.type).toMatchObject({ kind: 'pointer', form: 'khoser', target: { shape: 'selected', selector: 'compatible' } });
  });

  it('uses block.h (and kexec_handover.h for KHOSER) and redeclares nothing of them', () => {
    expect(v5.uses).toEqual([
      { header: 'kexec_handover', version: 'kho-v4' },
      { header: 'block', version: 'block-v0' },
    ]);
    expect(composed.uses).toEqual([
      { header: 'compat', version: 'compat' },
      { header: 'block', version: 'block-v1' },
    ]);
    for (const v of [v5, composed]) {
      expect(v.structs.map((s) => s.name)).not.toContain('kho_block_header_ser');
      expect(findStruct(v, 'kho_block_header_ser')).toMatchObject({ header: 'block', size: 16 });
    }
  });

  it('sessions and files live in chains of one-page kho_block_header_ser blocks', () => {
    expect(findStruct(v5, 'luo_ser').fields[2]!.type).toMatchObject({
      target: { shape: 'chain', header: 'kho_block_header_ser', entry: 'luo_session_ser', block: { kind: 'pages', pages: 1 } },
    });
    expect(findStruct(v5, 'luo_file_set_ser').fields[0]!.type).toMatchObject({
      target: { shape: 'chain', header: 'kho_block_header_ser', entry: 'luo_file_ser', total: 'count', block: { pages: 1 } },
    });
  });

  it('the plain string guards the block header too; the composed one leaves it to KHO_BLOCK_COMPATIBLE', () => {
    expect(v5.guards.map((g) => [g.macro, g.value, g.role, g.structs.includes('kho_block_header_ser'), g.components])).toEqual([
      ['LUO_ABI_COMPATIBLE', 'luo-v5', { kind: 'field', struct: 'luo_ser', field: 'compatible' }, true, []],
    ]);
    expect(composed.guards.map((g) => [g.macro, g.value, g.structs.includes('kho_block_header_ser'), g.components])).toEqual([
      ['LUO_ABI_COMPATIBLE', 'luo-v5;block-v1', false, [{ macro: 'KHO_BLOCK_COMPATIBLE', value: 'block-v1' }]],
    ]);
    const block = findVersion(findHeader(model, 'block'), 'block-v1');
    expect(block.guards.map((g) => [g.macro, g.value, g.role.kind, g.structs])).toEqual([['KHO_BLOCK_COMPATIBLE', 'block-v1', 'library', ['kho_block_header_ser']]]);
    expect(v5.container).toMatchObject({ kind: 'kho-entry', struct: 'luo_ser', field: 'compatible', compatible: { macro: 'LUO_ABI_COMPATIBLE', value: 'luo-v5' } });
  });
});

describe('the FDT of each FDT version', () => {
  const nodes = (name: string) => versionNodes(findVersion(luo, name));

  it('luo-v1-session-v1: root compatible and counter, then the session node', () => {
    const [root, ...children] = nodes('luo-v1-session-v1');
    expect(root!.compatible!.value).toBe('luo-v1');
    expect(root!.properties.map((p) => [p.name, p.kind])).toEqual([['liveupdate-number', 'u64']]);
    expect(children.map((c) => [c.name, c.compatible!.value, c.properties.map((p) => p.name)])).toEqual([['luo-session', 'luo-session-v1', ['luo-session-header']]]);
  });

  it('luo-v1-session-v2: the session node only (mainline before FLBs)', () => {
    expect(nodes('luo-v1-session-v2').slice(1).map((c) => [c.name, c.compatible!.value])).toEqual([['luo-session', 'luo-session-v2']]);
  });

  it('luo-v1: root properties, then luo-session, then luo-flb', () => {
    expect(nodes('luo-v1').slice(1).map((c) => [c.name, c.compatible!.value, c.properties.map((p) => p.name)])).toEqual([
      ['luo-session', 'luo-session-v2', ['luo-session-header']],
      ['luo-flb', 'luo-flb-v1', ['luo-flb-header']],
    ]);
  });

  it.each(['luo-v2', 'luo-v3', 'luo-v4'])('%s: the root only, with luo-abi-header pointing at struct luo_ser', (name) => {
    const [root, ...rest] = nodes(name);
    expect(root!.compatible!.value).toBe(name);
    expect(rest).toEqual([]);
    expect(root!.properties.map((p) => [p.name, p.kind, p.pointer?.target])).toEqual([['luo-abi-header', 'pointer', { shape: 'struct', struct: 'luo_ser' }]]);
    expect(findVersion(luo, name).container).toMatchObject({ kind: 'fdt', maxSize: { c: 'PAGE_SIZE' }, khoEntry: { value: 'LUO' } });
  });

  it('the FDT size limit is a page on every page size', () => {
    for (const shift of [12, 14, 16] as const) {
      const container = findVersion(findHeader(at(shift), 'luo'), 'luo-v4').container!;
      expect(container.kind === 'fdt' && container.maxSize?.value).toBe(2 ** shift);
    }
  });
});

describe('guards', () => {
  it('luo-v1: the session string guards sessions and files, the FLB string the FLBs, the root only its properties', () => {
    const version = findVersion(luo, 'luo-v1');
    expect(version.guards.map((g) => [g.macro, g.value, g.structs, g.outer])).toEqual([
      ['LUO_FDT_COMPATIBLE', 'luo-v1', [], []],
      ['LUO_FDT_SESSION_COMPATIBLE', 'luo-session-v2', ['luo_file_ser', 'luo_file_set_ser', 'luo_session_header_ser', 'luo_session_ser'], ['LUO_FDT_COMPATIBLE']],
      ['LUO_FDT_FLB_COMPATIBLE', 'luo-flb-v1', ['luo_flb_header_ser', 'luo_flb_ser'], ['LUO_FDT_COMPATIBLE']],
    ]);
    expect(findStruct(version, 'luo_file_ser').guard).toBe('LUO_FDT_SESSION_COMPATIBLE');
  });

  it.each(['luo-v2', 'luo-v3', 'luo-v4'])('%s: LUO_FDT_COMPATIBLE alone guards every struct', (name) => {
    const version = findVersion(luo, name);
    expect(version.guards.map((g) => g.macro)).toEqual(['LUO_FDT_COMPATIBLE']);
    expect(version.structs.every((s) => s.guard === 'LUO_FDT_COMPATIBLE')).toBe(true);
  });

  it('block.h without a string of its own leaves its struct to the strings of the headers that use it', () => {
    const v0 = findVersion(findHeader(model, 'block'), 'block-v0');
    expect(v0.guards).toEqual([]);
    expect(findStruct(v0, 'kho_block_header_ser').guard).toBe('');
  });
});

describe('pointers: what each address points at', () => {
  it('luo-v2 sessions: a header followed by its entries in one 16-page block; FLBs sized by pgcnt', () => {
    const luoSer = findStruct(findVersion(luo, 'luo-v2'), 'luo_ser');
    const types = Object.fromEntries(luoSer.fields.map((f) => [f.name, f.type]));
    expect(types.sessions_pa).toEqual({
      kind: 'pointer',
      nullable: true,
      form: 'u64',
      target: { shape: 'header-array', header: 'luo_session_header_ser', count: 'count', entry: 'luo_session_ser', block: { kind: 'pages', pages: 16 } },
    });
    expect(types.flbs_pa).toEqual({
      kind: 'pointer',
      nullable: true,
      form: 'u64',
      target: { shape: 'header-array', header: 'luo_flb_header_ser', count: 'count', entry: 'luo_flb_ser', block: { kind: 'header-field', field: 'pgcnt', unit: 'pages' } },
    });
  });

  it('luo-v3 sessions: a chain of 2-page blocks (LUO_BLOCK_PGCNT) linked by next', () => {
    const sessions = findStruct(findVersion(luo, 'luo-v3'), 'luo_ser').fields[1]!.type;
    expect(sessions).toMatchObject({ target: { shape: 'chain', header: 'luo_block_header_ser', next: 'next', count: 'count', entry: 'luo_session_ser', block: { pages: 2 } } });
  });

  it('luo-v3 -> luo-v4: every struct is byte for byte the same, only what files points at changed', () => {
    const v3 = findVersion(luo, 'luo-v3');
    const v4 = findVersion(luo, 'luo-v4');
    const layout = (v: VersionModel) => v.structs.map((s) => [s.name, s.size, s.fields.map((f) => [f.name, f.offset, f.size])]);
    expect(layout(v4)).toEqual(layout(v3));
    const files = (v: VersionModel) => findStruct(v, 'luo_file_set_ser').fields[0]!.type;
    expect(files(v3)).toMatchObject({ target: { shape: 'array', entry: 'luo_file_ser', count: 'count', block: { pages: 2 } } });
    expect(files(v4)).toMatchObject({ target: { shape: 'chain', header: 'luo_block_header_ser', entry: 'luo_file_ser', total: 'count', block: { pages: 2 } } });
  });

  it('luo_file_ser.data is the handler\'s: its meaning chosen by the compatible string beside it', () => {
    expect(findStruct(findVersion(luo, 'luo-v4'), 'luo_file_ser').fields[1]!.type).toMatchObject({ kind: 'pointer', form: 'u64', target: { shape: 'selected', selector: 'compatible' } });
  });
});

describe('kexec_handover.h: layouts that follow the page size', () => {
  const kho = (shift: 12 | 14 | 16, name = 'kho-v4') => findVersion(findHeader(at(shift), 'kexec_handover'), name);

  it.each([
    [12, 511],
    [14, 2047],
    [16, 8191],
  ] as const)('PAGE_SHIFT %i: KHO_VMALLOC_SIZE is %i and a vmalloc chunk is exactly one page', (shift, entries) => {
    const v = kho(shift);
    expect(v.constants.find((c) => c.name === 'KHO_VMALLOC_SIZE')?.value).toBe(entries);
    expect(findStruct(v, 'kho_vmalloc_chunk').size).toBe(2 ** shift);
    expect(findStruct(v, 'kho_vmalloc_chunk').sizeC).toBe('PAGE_SIZE');
    expect(findStruct(v, 'kho_radix_node').size).toBe(2 ** shift);
    expect(findStruct(v, 'kho_radix_leaf').size).toBe(2 ** shift);
  });

  it('struct kho_vmalloc is naturally aligned: 16 bytes, offsets 0/8/12/14, aligned to 8', () => {
    const s = findStruct(kho(12), 'kho_vmalloc');
    expect([s.size, s.align, s.packed]).toEqual([16, 8, false]);
    expect(s.fields.map((f) => [f.name, f.offset, f.size])).toEqual([['first', 0, 8], ['total_pages', 8, 4], ['flags', 12, 2], ['order', 14, 2]]);
  });

  it.each([
    [12, 52, 9, 15, 6, 6],
    [14, 50, 11, 17, 4, 5],
    [16, 48, 13, 19, 4, 4],
  ] as const)('PAGE_SHIFT %i: radix constants, and the depth kho-v4 added a level to at 16 KiB', (shift, order0, table, bitmap, depthV2, depthV4) => {
    const value = (v: VersionModel, name: string) => v.constants.find((c) => c.name === name)?.value;
    const v2 = kho(shift, 'kho-v2');
    expect([value(v2, 'KHO_ORDER_0_LOG2'), value(v2, 'KHO_TABLE_SIZE_LOG2'), value(v2, 'KHO_BITMAP_SIZE_LOG2')]).toEqual([order0, table, bitmap]);
    expect(value(v2, 'KHO_TREE_MAX_DEPTH')).toBe(depthV2);
    expect(value(kho(shift), 'KHO_TREE_MAX_DEPTH')).toBe(depthV4);
  });

  it('the root string guards the root\'s properties and every struct of the header', () => {
    expect(kho(12).guards.map((g) => [g.macro, g.value, g.role, g.structs])).toEqual([
      ['KHO_FDT_COMPATIBLE', 'kho-v4', { kind: 'node', node: '/' }, ['kho_radix_leaf', 'kho_radix_node', 'kho_vmalloc', 'kho_vmalloc_chunk', 'kho_vmalloc_hdr']],
    ]);
  });
});

describe('a family of our own: bit-fields, unions, page-size expressions (gadget fixture)', () => {
  const g = buildModel(gadget);
  const gadgetV1 = findVersion(findHeader(g, 'gadget'), 'gadget-v1');

  it('packs u64 bit-fields as gcc does: pfn:52 at bits 0-51 and flags:12 at 52-63 of the first word', () => {
    const item = findStruct(gadgetV1, 'gadget_item');
    const bits = (name: string) => {
      const f = item.fields.find((x) => x.name === name)!;
      return f.offset * 8 + f.bits!.shift;
    };
    expect([bits('pfn'), bits('flags'), bits('small'), bits('rest')]).toEqual([0, 52, 64, 67]);
    expect(item.size).toBe(16);
    expect(item.fields.find((f) => f.name === 'value')).toMatchObject({ offset: 12, size: 4, anonymous: true });
  });

  it('composes the base header\'s string and leaves its struct to it', () => {
    expect(gadgetV1.guards.map((g) => [g.value, g.structs, g.components.map((c) => c.macro)])).toEqual([
      ['gadget-v1;base-v1', ['gadget_item', 'gadget_page', 'gadget_root'], ['GADGET_BASE_COMPATIBLE']],
    ]);
  });

  it('evaluates enum members, macros and sizeof of a composed string', () => {
    const value = (name: string) => gadgetV1.constants.find((c) => c.name === name)?.value;
    expect([value('GADGET_COMPAT_LEN'), value('GADGET_TABLE_LOG2'), value('GADGET_MAP_BITS')]).toEqual([24, 9, 128]);
    expect(gadgetV1.constants.find((c) => c.name === 'GADGET_TEST_COMPATIBLE')).toMatchObject({ kind: 'macro', params: ['i'], config: 'CONFIG_GADGET_TEST' });
  });

  it('lays out natural alignment around C integer types and a bitmap', () => {
    const root = findStruct(gadgetV1, 'gadget_root');
    expect(root.fields.map((f) => [f.name, f.offset, f.size])).toEqual([
      ['compatible', 0, 24],
      ['items', 24, 8],
      ['count', 32, 8],
      ['total', 40, 4],
      ['flags', 44, 2],
      ['order', 46, 2],
      ['link', 48, 16],
      ['map', 64, 16],
      ['page', 80, 8],
    ]);
    expect(findStruct(gadgetV1, 'gadget_page').sizeC).toBe('PAGE_SIZE');
  });
});

describe('memfd.h: the state of a preserved memfd, reached from luo_file_ser.data by the handler string', () => {
  const memfd = findHeader(model, 'memfd');
  const v = (name: string) => findVersion(memfd, name);
  const layout = (version: string) =>
    findStruct(v(version), 'memfd_luo_ser').fields.map((f) => (f.bits ? [f.name, `bits ${f.offset * 8 + f.bits.shift}+${f.bits.width}`] : [f.name, f.offset, f.size]));

  const stringVersions = () => memfd.versions.filter((x) => !x.features);

  it('has memfd-v1, the first memfd-v2 (seals in a bit-field), the applied memfd-v2 (current) and the feature-negotiated form', () => {
    expect(memfd.versions.map((x) => x.name)).toEqual(['memfd-v1', 'memfd-v2+seals-bitfield', 'memfd-v2', 'memfd-features']);
    expect(memfd.current.name).toBe('memfd-v2');
    expect(memfd.versions.map((x) => x.constants.find((c) => c.name === 'MEMFD_LUO_FH_COMPATIBLE')?.value)).toEqual(['memfd-v1', 'memfd-v2', 'memfd-v2', undefined]);
    expect(v('memfd-features').constants.find((c) => c.name === 'MEMFD_LUO_FH_NAME')?.value).toBe('memfd');
  });

  it('memfd-features: memfd_luo_ser opens with luo.h\'s luo_feature_hdr (176 bytes), bits SEALS 0 and FOLIOS 1 supported, required and active', () => {
    expect(layout('memfd-features')).toEqual([['features', 0, 128], ['pos', 128, 8], ['size', 136, 8], ['seals', 144, 4], ['flags', 148, 4], ['nr_folios', 152, 8], ['folios', 160, 16]]);
    expect(findStruct(v('memfd-features'), 'memfd_luo_ser').size).toBe(176);
    expect(findStruct(v('memfd-features'), 'luo_feature_hdr').header).toBe('luo');
    const features = v('memfd-features').features!;
    expect([features.subsystem, features.bits.map((b) => [b.name, b.bit]), features.supported, features.required, features.active]).toEqual([
      'memfd',
      [['MEMFD_LUO_FEATURE_SEALS', 0], ['MEMFD_LUO_FEATURE_FOLIOS', 1]],
      3n,
      3n,
      3n,
    ]);
    expect(v('memfd-features').container).toMatchObject({ kind: 'reached-from', selector: 'name', compatible: { macro: 'MEMFD_LUO_FH_NAME', value: 'memfd' } });
  });

  it('memfd_luo_folio_ser: 16 packed bytes, pfn:52 at bits 0-51 and flags:12 at 52-63, index at 8', () => {
    for (const version of memfd.versions) {
      const s = findStruct(version, 'memfd_luo_folio_ser');
      expect([s.size, s.align, s.packed]).toEqual([16, 1, true]);
      expect(s.fields.map((f) => (f.bits ? [f.name, f.offset * 8 + f.bits.shift, f.bits.width] : [f.name, f.offset, f.size]))).toEqual([
        ['pfn', 0, 52],
        ['flags', 52, 12],
        ['index', 8, 8],
      ]);
    }
  });

  it('memfd_luo_ser: 40 bytes in v1; 48 in v2 with u32 seals and flags at 16 and 20, or an 8-bit seals bit-field and 56 reserved bits', () => {
    expect(layout('memfd-v1')).toEqual([['pos', 0, 8], ['size', 8, 8], ['nr_folios', 16, 8], ['folios', 24, 16]]);
    expect(layout('memfd-v2')).toEqual([['pos', 0, 8], ['size', 8, 8], ['seals', 16, 4], ['flags', 20, 4], ['nr_folios', 24, 8], ['folios', 32, 16]]);
    expect(layout('memfd-v2+seals-bitfield')).toEqual([['pos', 0, 8], ['size', 8, 8], ['seals', 'bits 128+8'], ['__reserved', 'bits 136+56'], ['nr_folios', 24, 8], ['folios', 32, 16]]);
    expect(stringVersions().map((x) => findStruct(x, 'memfd_luo_ser').size)).toEqual([40, 48, 48]);
    expect(new Set(memfd.versions.map((x) => findStruct(x, 'memfd_luo_ser').packed))).toEqual(new Set([true]));
  });

  it('folios is kexec_handover.h\'s struct kho_vmalloc, used, not redeclared', () => {
    expect(memfd.versions.map((x) => x.uses)).toEqual([
      [{ header: 'kexec_handover', version: 'kho-v1' }],
      [{ header: 'kexec_handover', version: 'kho-v2' }],
      [{ header: 'kexec_handover', version: 'kho-v2' }],
      [{ header: 'kexec_handover', version: 'kho-v2' }, { header: 'luo', version: 'luo-features-named' }],
    ]);
    for (const version of memfd.versions) {
      expect(version.structs.map((s) => s.name)).toEqual(['memfd_luo_folio_ser', 'memfd_luo_ser']);
      expect(findStruct(version, 'memfd_luo_ser').fields.at(-1)!.type).toEqual({ kind: 'aggregate', aggregate: 'struct', name: 'kho_vmalloc' });
      expect(findStruct(version, 'kho_vmalloc').header).toBe('kexec_handover');
    }
  });

  it('the handler string selects the state: luo_file_ser.data points at one memfd_luo_ser', () => {
    expect(v('memfd-v1').container).toMatchObject({
      kind: 'reached-from',
      from: { header: 'luo', struct: 'luo_file_ser' },
      field: 'data',
      selector: 'compatible',
      compatible: { macro: 'MEMFD_LUO_FH_COMPATIBLE', value: 'memfd-v1' },
      target: { shape: 'struct', struct: 'memfd_luo_ser' },
    });
  });

  it('the handler string guards its structs and the vmalloc structs it embeds', () => {
    for (const version of stringVersions()) {
      expect(version.guards.map((g) => [g.macro, g.role, g.structs])).toEqual([
        [
          'MEMFD_LUO_FH_COMPATIBLE',
          { kind: 'selector', header: 'luo', struct: 'luo_file_ser', field: 'compatible' },
          ['kho_vmalloc', 'kho_vmalloc_chunk', 'kho_vmalloc_hdr', 'memfd_luo_folio_ser', 'memfd_luo_ser'],
        ],
      ]);
    }
    // The feature form is selected by the handler's name, and that name guards the feature header too.
    expect(v('memfd-features').guards.map((g) => [g.macro, g.role, g.structs])).toEqual([
      [
        'MEMFD_LUO_FH_NAME',
        { kind: 'selector', header: 'luo', struct: 'luo_file_ser', field: 'name' },
        ['kho_vmalloc', 'kho_vmalloc_chunk', 'kho_vmalloc_hdr', 'luo_feature_hdr', 'memfd_luo_folio_ser', 'memfd_luo_ser'],
      ],
    ]);
  });

  it('folio flags are BIT(0) and BIT(1); memfd-v2 hands over the six seals of the uAPI (0x3f)', () => {
    const value = (version: string, name: string) => v(version).constants.find((c) => c.name === name)?.value;
    expect([value('memfd-v1', 'MEMFD_LUO_FOLIO_DIRTY'), value('memfd-v1', 'MEMFD_LUO_FOLIO_UPTODATE')]).toEqual([1, 2]);
    expect(value('memfd-v2', 'MEMFD_LUO_ALL_SEALS')).toBe(0x3f);
    expect(value('memfd-v2+seals-bitfield', 'MEMFD_LUO_ALL_SEALS')).toBeUndefined();
    expect(v('memfd-v2').includes).toEqual(['<uapi/linux/fcntl.h>']);
  });
});

describe('memblock.h: reserve_mem regions in an FDT under the KHO entry "memblock"', () => {
  const v1 = findVersion(findHeader(model, 'memblock'), 'memblock-v1');

  it('a root with memblock-v1, one node per region with reserve-mem-v1 and start/size, named by literals', () => {
    expect(v1.container).toMatchObject({ kind: 'fdt', khoEntry: { name: 'MEMBLOCK_KHO_FDT', value: 'memblock' } });
    const [root, region] = versionNodes(v1);
    expect(root).toMatchObject({ path: '/', compatible: { macro: 'MEMBLOCK_KHO_NODE_COMPATIBLE', value: 'memblock-v1' }, properties: [] });
    expect(region).toMatchObject({ path: '/<region>', anyName: 'region', compatible: { macro: 'RESERVE_MEM_KHO_NODE_COMPATIBLE', value: 'reserve-mem-v1' } });
    expect(region!.properties.map((p) => [p.name, p.kind, p.macro])).toEqual([
      ['start', 'u64', undefined],
      ['size', 'u64', undefined],
    ]);
  });

  it('each string guards its node; the root\'s covers the regions too', () => {
    expect(v1.guards.map((g) => [g.macro, g.role, g.properties, g.outer])).toEqual([
      ['MEMBLOCK_KHO_NODE_COMPATIBLE', { kind: 'node', node: '/' }, [], []],
      ['RESERVE_MEM_KHO_NODE_COMPATIBLE', { kind: 'node', node: '/<region>' }, ['start', 'size'], ['MEMBLOCK_KHO_NODE_COMPATIBLE']],
    ]);
    expect(v1.structs).toEqual([]);
  });
});
