/**
 * out/docs/<header>.md against the facts: one file per header, named after it; every version's
 * struct tables list the fields at the offsets and sizes the layout engine gives (which
 * test/c-header.test.ts checks against gcc), with the C types and the guards written here from the
 * ABI facts, not from the emitter's own spelling; where each version's state lives; and the
 * changelog has every consecutive pair and shows the luo-v4 break, which changes no layout.
 */
import { describe, expect, it } from 'vitest';
import { emitDocs } from '../generator/emit/docs/index.ts';
import { buildModel, findHeader, findVersion, type Model, type VersionModel } from '../generator/model/index.ts';
import kho from '../schema/index.ts';
import gadget from './fixtures/gadget-schema.ts';
import handler from './fixtures/handler-schema.ts';

async function docsOf(model: Model): Promise<Map<string, string>> {
  return new Map((await emitDocs(model)).map((f) => [f.path, f.content]));
}

const luoModel = buildModel(kho);
const luoDocs = await docsOf(luoModel);
const gadgetModel = buildModel(gadget);
const gadgetDocs = await docsOf(gadgetModel);
const handlerModel = buildModel(handler);
const handlerDocs = await docsOf(handlerModel);

/** Undo Markdown backslash escapes and code spans, leaving the text a reader sees. */
function plain(text: string): string {
  return text
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, '$1')
    .trim();
}

/** The cells of a table row, split at the `|` that are not escaped. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map(plain);
}

/** The lines after a heading up to the next heading of the same or a higher level. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  expect(start, `heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.match(/^#+/)![0].length;
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.match(/^#+/)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The body rows of the first table in `lines`, as cells. */
function firstTable(lines: readonly string[]): string[][] {
  const start = lines.findIndex((line) => line.startsWith('|'));
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  expect(rows[1]).toMatch(/^\|[-:|]+\|$/);
  return rows.slice(2).map(cells);
}

/** The text of a section's paragraphs and list items, as one line. */
function prose(lines: readonly string[]): string {
  return plain(lines.filter((line) => !line.startsWith('|') && !line.startsWith('#')).join(' ').replace(/\s+/g, ' '));
}

function versionHeading(version: string, current: boolean): string {
  return `## Version \`${version}\`${current ? ' (current)' : ''}`;
}

/** A struct's table: offset, size, type and field of every row. */
function structRows(markdown: string, version: string, current: boolean, struct: string, size: string): string[][] {
  const body = section(markdown, versionHeading(version, current)).join('\n');
  const structs = section(body, `### \`${version}\`: structs`).join('\n');
  return firstTable(section(structs, `#### \`struct ${struct}\` (${size})`)).map(([offset, size2, type, name]) => [offset!, size2!, type!, name!]);
}

describe('docs: one Markdown and one RST file per header, named after it', () => {
  it('names the files after the headers, and writes one page for the family', () => {
    expect([...gadgetDocs.keys()].sort()).toEqual(['docs/gadget.md', 'docs/gadget.rst', 'docs/gadget_base.md', 'docs/gadget_base.rst', 'docs/index.html']);
    expect([...luoDocs.keys()]).toContain('docs/luo.md');
    expect([...luoDocs.keys()]).toContain('docs/luo.rst');
  });
});

describe('docs: gadget.md and gadget_base.md, written from the facts of the fixture', () => {
  const markdown = gadgetDocs.get('docs/gadget.md')!;

  it('lists bit-fields by their bits and an anonymous union with its members', () => {
    expect(structRows(markdown, 'gadget-v1', true, 'gadget_item', '16 bytes')).toEqual([
      ['0', '52 bits', 'u64:52', 'pfn'],
      ['6', '12 bits', 'u64:12', 'flags'],
      ['8', '3 bits', 'u32:3', 'small'],
      ['8', '29 bits', 'u32:29', 'rest'],
      ['12', '4', 'union { u32 word; u16 halves[2]; }', '(anonymous union)'],
    ]);
    const docs = firstTable(section(markdown, '#### `struct gadget_item` (16 bytes)')).map((row) => row[4]);
    // gcc allocates bit-fields from the low bit of each unit on little-endian machines.
    expect(docs.slice(0, 4).map((d) => d!.split('.')[0])).toEqual(['Bits 0-51 of the struct', 'Bits 52-63 of the struct', 'Bits 64-66 of the struct', 'Bits 67-95 of the struct']);
  });

  it('spells KHOSER pointers, bitmaps, C integer types and expression lengths as the header does', () => {
    expect(structRows(markdown, 'gadget-v1', true, 'gadget_root', '88 bytes')).toEqual([
      ['0', '24', 'char[GADGET_COMPAT_LEN]', 'compatible'],
      ['24', '8', 'DECLARE_KHOSER_PTR(struct gadget_item *)', 'items'],
      ['32', '8', 'u64', 'count'],
      ['40', '4', 'unsigned int', 'total'],
      ['44', '2', 'unsigned short', 'flags'],
      ['46', '2', 'unsigned short', 'order'],
      ['48', '16', 'struct gadget_link', 'link'],
      ['64', '16', 'DECLARE_BITMAP(GADGET_MAP_BITS)', 'map'],
      ['80', '8', 'DECLARE_KHOSER_PTR(struct gadget_page *)', 'page'],
    ]);
    expect(structRows(markdown, 'gadget-v1', true, 'gadget_page', 'PAGE_SIZE bytes, 4096 with 4 KiB pages')).toEqual([['0', '4096', 'u64[1 << GADGET_TABLE_LOG2]', 'table']]);
  });

  it('shows the padding of a naturally aligned struct', () => {
    expect(structRows(gadgetDocs.get('docs/gadget_base.md')!, 'base-v1', true, 'gadget_link', '16 bytes')).toEqual([
      ['0', '4', 'u32', 'kind'],
      ['4', '2', 'u16', 'flags'],
      ['6', '2', 'padding', ''],
      ['8', '8', 'u64', 'next'],
    ]);
  });

  it('says where the state lives, which header it uses, and what its composed string guards', () => {
    const body = section(markdown, versionHeading('gadget-v1', true));
    expect(prose(body)).toContain('Uses gadget_base.h version base-v1.');
    expect(body).toContain('### `gadget-v1`: KHO entry');
    expect(prose(section(body.join('\n'), '### `gadget-v1`: KHO entry'))).toBe(
      'The KHO entry GADGET_KHO_ENTRY ("GADGET") holds one struct gadget_root, the root of the state. Its compatible field holds GADGET_COMPATIBLE ("gadget-v1;base-v1"), which the next kernel compares before it reads anything else.',
    );
    expect(markdown).not.toMatch(/FDT/);
    const compatibility = prose(section(body.join('\n'), '### `gadget-v1`: compatibility'));
    expect(compatibility).toContain('struct gadget_item, struct gadget_page and struct gadget_root, and struct gadget_link through GADGET_BASE_COMPATIBLE, which it composes.');
    for (const struct of ['gadget_page', 'gadget_item', 'gadget_root']) {
      const guarded = section(markdown, `#### \`struct ${struct}\` (${struct === 'gadget_page' ? 'PAGE_SIZE bytes, 4096 with 4 KiB pages' : struct === 'gadget_item' ? '16 bytes' : '88 bytes'})`).find((l) => l.startsWith('Guarded by'));
      expect(guarded).toBe('Guarded by `GADGET_COMPATIBLE` (`"gadget-v1;base-v1"`).');
    }
  });

  it('lists function-like and CONFIG-guarded macros with their parameters', () => {
    const constants = firstTable(section(markdown, '### `gadget-v1`: constants'));
    expect(constants.find(([name]) => name === 'GADGET_TEST_COMPATIBLE(i)')).toEqual(['GADGET_TEST_COMPATIBLE(i)', '"gadget-test-v" #i', 'this header', 'Defined only with CONFIG_GADGET_TEST.']);
    expect(constants.find(([name]) => name === 'GADGET_TABLE_LOG2')?.[1]).toBe('const_ilog2(PAGE_SIZE / sizeof(u64))');
  });

  it('has no changelog for a header with one version', () => {
    expect(markdown).not.toContain('## Changelog');
  });
});

describe('docs: widget.md, state reached from another header', () => {
  it('says which field of which struct of which header leads to it', () => {
    const markdown = handlerDocs.get('docs/widget.md')!;
    expect(prose(section(markdown, '### `widget-v1`: Reached from'))).toBe(
      'The state is reached from struct holder_slot of holder.h: when its handler field holds WIDGET_COMPATIBLE ("widget-v1"), its data field is the physical address of one struct widget_ser. Never 0.',
    );
    expect(structRows(markdown, 'widget-v1', true, 'widget_ser', '24 bytes')).toEqual([
      ['0', '8', 'u64', 'size'],
      ['8', '4', 'struct { u32 kind:4; u32 level:28; }', 'mode'],
      ['12', '2', 'u16', 'users'],
      ['14', '2', 'padding', ''],
      ['16', '8', 'u64', 'table'],
    ]);
    // (4096 - 8) / 8 entries after an 8-byte header fill a 4 KiB page.
    expect(structRows(markdown, 'widget-v1', true, 'widget_page', 'PAGE_SIZE bytes, 4096 with 4 KiB pages')).toEqual([
      ['0', '8', 'struct widget_hdr', 'hdr'],
      ['8', '4088', 'u64[WIDGET_ENTRIES]', 'entries'],
    ]);
  });
});

describe('docs: luo.md', () => {
  const markdown = luoDocs.get('docs/luo.md')!;
  const luo = findHeader(luoModel, 'luo');
  const isCurrent = (v: VersionModel): boolean => v.name === luo.current.name;

  it('has a section for every version, oldest first, and marks the current one', () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('## Version '));
    expect(headings.slice(0, 6)).toEqual(['luo-v1-session-v1', 'luo-v1-session-v2', 'luo-v1', 'luo-v2', 'luo-v3', 'luo-v4'].map((v) => versionHeading(v, v === luo.current.name)));
    expect(headings).toHaveLength(luo.versions.length);
    expect(headings.filter((h) => h.endsWith('(current)'))).toEqual([versionHeading(luo.current.name, true)]);
  });

  it('lists the luo-v4 structs as the ABI facts give them', () => {
    const rows = (struct: string, size: number): string[][] => structRows(markdown, 'luo-v4', isCurrent(findVersion(luoModel, 'luo-v4')), struct, `${size} bytes`);
    expect(rows('luo_ser', 24)).toEqual([
      ['0', '8', 'u64', 'liveupdate_num'],
      ['8', '8', 'u64', 'sessions_pa'],
      ['16', '8', 'u64', 'flbs_pa'],
    ]);
    expect(rows('luo_block_header_ser', 16)).toEqual([
      ['0', '8', 'u64', 'next'],
      ['8', '8', 'u64', 'count'],
    ]);
    expect(rows('luo_session_ser', 80)).toEqual([
      ['0', '64', 'char[LIVEUPDATE_SESSION_NAME_LENGTH]', 'name'],
      ['64', '16', 'struct luo_file_set_ser', 'file_set_ser'],
    ]);
    expect(rows('luo_file_set_ser', 16)).toEqual([
      ['0', '8', 'u64', 'files'],
      ['8', '8', 'u64', 'count'],
    ]);
    expect(rows('luo_file_ser', 64)).toEqual([
      ['0', '48', 'char[LIVEUPDATE_HNDL_COMPAT_LENGTH]', 'compatible'],
      ['48', '8', 'u64', 'data'],
      ['56', '8', 'u64', 'token'],
    ]);
    expect(rows('luo_flb_header_ser', 16)).toEqual([
      ['0', '8', 'u64', 'pgcnt'],
      ['8', '8', 'u64', 'count'],
    ]);
    expect(rows('luo_flb_ser', 64)).toEqual([
      ['0', '48', 'char[LIVEUPDATE_FLB_COMPAT_LENGTH]', 'name'],
      ['48', '8', 'u64', 'data'],
      ['56', '8', 'u64', 'count'],
    ]);
  });

  for (const version of luo.versions) {
    it(`${version.name}: a table per struct, in declaration order, each field where the layout engine puts it`, () => {
      const body = section(markdown, versionHeading(version.name, isCurrent(version)));
      const structs = section(body.join('\n'), `### \`${version.name}\`: structs`);
      const headings = structs.filter((line) => line.startsWith('#### '));
      expect(headings).toEqual(version.structs.map((s) => `#### \`${s.kind} ${s.name}\` (${s.size} bytes)`));
      for (const struct of version.structs) {
        const rows = firstTable(section(structs.join('\n'), `#### \`${struct.kind} ${struct.name}\` (${struct.size} bytes)`));
        expect(rows.map(([offset, size, , name]) => [Number(offset), Number(size), name])).toEqual(struct.fields.map((f) => [f.offset, f.size, f.name]));
      }
    });
  }

  it('says which compatible string guards each struct, as the facts give it', () => {
    const guardOf = (version: string, struct: string, size: number): string | undefined =>
      section(section(markdown, versionHeading(version, version === luo.current.name)).join('\n'), `#### \`struct ${struct}\` (${size} bytes)`).find((l) => l.startsWith('Guarded by'));
    // luo-v1: each subnode's string guards its own structs.
    expect(guardOf('luo-v1', 'luo_session_ser', 80)).toBe('Guarded by `LUO_FDT_SESSION_COMPATIBLE` (`"luo-session-v2"`); packed, no padding.');
    expect(guardOf('luo-v1', 'luo_file_ser', 64)).toBe('Guarded by `LUO_FDT_SESSION_COMPATIBLE` (`"luo-session-v2"`); packed, no padding.');
    expect(guardOf('luo-v1', 'luo_flb_ser', 64)).toBe('Guarded by `LUO_FDT_FLB_COMPATIBLE` (`"luo-flb-v1"`); packed, no padding.');
    // luo-v2 on: the root string guards everything.
    for (const [version, value] of [['luo-v2', 'luo-v2'], ['luo-v3', 'luo-v3'], ['luo-v4', 'luo-v4']] as const) {
      expect(guardOf(version, 'luo_ser', 24)).toBe(`Guarded by \`LUO_FDT_COMPATIBLE\` (\`"${value}"\`); packed, no padding.`);
      expect(guardOf(version, 'luo_file_set_ser', 16)).toBe(`Guarded by \`LUO_FDT_COMPATIBLE\` (\`"${value}"\`); packed, no padding.`);
    }
  });

  it('lists the FDT nodes and properties of luo-v1 and the constants of luo-v2, as the facts give them', () => {
    const v1 = section(markdown, versionHeading('luo-v1', false)).join('\n');
    expect(firstTable(section(v1, '### `luo-v1`: FDT layout')).map(([node, name, macro]) => [node, name, macro])).toEqual([
      ['/', 'compatible', 'LUO_FDT_COMPATIBLE'],
      ['/', 'liveupdate-number', 'LUO_FDT_LIVEUPDATE_NUM'],
      ['/luo-session', 'compatible', 'LUO_FDT_SESSION_COMPATIBLE'],
      ['/luo-session', 'luo-session-header', 'LUO_FDT_SESSION_HEADER'],
      ['/luo-flb', 'compatible', 'LUO_FDT_FLB_COMPATIBLE'],
      ['/luo-flb', 'luo-flb-header', 'LUO_FDT_FLB_HEADER'],
    ]);
    expect(prose(section(v1, '### `luo-v1`: FDT layout'))).toContain('The FDT is handed over as the KHO entry LUO_FDT_KHO_ENTRY_NAME ("LUO"), in at most LUO_FDT_SIZE bytes.');
    const v2 = section(markdown, versionHeading('luo-v2', false)).join('\n');
    const constants = firstTable(section(v2, '### `luo-v2`: constants')).map(([name, value, definedIn]) => [name, value, definedIn]);
    expect(constants.sort()).toEqual(
      [
        ['LUO_FDT_SIZE', 'PAGE_SIZE', 'this header'],
        ['LUO_FDT_KHO_ENTRY_NAME', '"LUO"', 'this header'],
        ['LUO_FDT_COMPATIBLE', '"luo-v2"', 'this header'],
        ['LUO_FDT_ABI_HEADER', '"luo-abi-header"', 'this header'],
        ['LIVEUPDATE_SESSION_NAME_LENGTH', '64', '<uapi/linux/liveupdate.h>'],
        ['LIVEUPDATE_HNDL_COMPAT_LENGTH', '48', 'this header'],
        ['LIVEUPDATE_FLB_COMPAT_LENGTH', '48', 'this header'],
        // Under CONFIG_LIVEUPDATE_TEST: the FLB strings of the selftests.
        ['LIVEUPDATE_TEST_FLB_COMPATIBLE(i)', '"liveupdate-test-flb-v" #i', 'this header'],
      ].sort(),
    );
  });

  it('has a changelog entry for every pair of consecutive versions', () => {
    const pairs = section(markdown, '## Changelog').filter((line) => line.startsWith('### '));
    expect(pairs).toEqual(luo.versions.slice(1).map((v, i) => `### \`${luo.versions[i]!.name}\` → \`${v.name}\``));
    for (const pair of pairs) expect(section(section(markdown, '## Changelog').join('\n'), pair).some((line) => line.startsWith('- **'))).toBe(true);
  });

  it('shows the luo-v4 ABI break, which changes no layout, as a pointer-target change', () => {
    const last = section(section(markdown, '## Changelog').join('\n'), '### `luo-v3` → `luo-v4`').join('\n');
    expect(last).toContain('**pointer-target** `struct luo_file_set_ser > files`');
    expect(last).not.toMatch(/\*\*(added|removed|moved|resized)\*\*/);
  });
});
