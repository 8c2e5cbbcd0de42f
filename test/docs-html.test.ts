/**
 * out/docs/index.html in headless Chromium, for each schema: one page for the family, a section per
 * header; it loads with no console error and no network request; every struct of every version has
 * a byte-layout diagram whose drawn boxes (their SVG geometry, turned back into bits with the scale
 * the diagram declares) sit where the layout engine puts each field, bit-fields included; the
 * handover graph starts where the next kernel starts (an FDT, a KHO entry, another header's field)
 * and has an arrow for every physical address; the version tabs of each header work on their own.
 * Screenshots of every tab go to test-output/docs/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitDocs } from '../generator/emit/docs/index.ts';
import { versionAnchor } from '../generator/emit/docs/anchors.ts';
import { allVersions, buildModel, findStruct, targetStructs, versionNodes, type FieldModel, type Model, type TargetModel, type VersionModel } from '../generator/model/index.ts';
import kho from '../schema/index.ts';
import aligned from './fixtures/aligned-schema.ts';
import gadget from './fixtures/gadget-schema.ts';
import handler from './fixtures/handler-schema.ts';
import { TEST_OUTPUT } from './support/tools.ts';

const SCREENSHOTS = join(TEST_OUTPUT, 'docs');
const MODELS: readonly { readonly label: string; readonly model: Model }[] = [
  { label: 'kho', model: buildModel(kho) },
  { label: 'gadget', model: buildModel(gadget) },
  { label: 'handler', model: buildModel(handler) },
  { label: 'aligned', model: buildModel(aligned) },
];

let browser: Browser;
const pages = new Map<string, Page>();
const consoleErrors: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // The pages load side by side; `pages` keeps MODELS' order.
  const loaded = MODELS.map(async ({ label, model }) => {
    const html = (await emitDocs(model)).find((f) => f.path === 'docs/index.html')!.content;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${label}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${label}: ${error.message}`));
    // Every request is recorded and refused: the page must need none.
    await page.route('**/*', async (route) => {
      requests.push(route.request().url());
      await route.abort();
    });
    await page.setContent(html, { waitUntil: 'load' });
    return [label, page] as const;
  });
  for (const [label, page] of await Promise.all(loaded)) pages.set(label, page);
});

afterAll(async () => {
  await browser?.close();
});

interface DrawnField {
  readonly name: string;
  readonly bitOffset: number;
  readonly bits: number;
  readonly dataBitOffset: number;
  readonly dataBits: number;
}

/**
 * The diagrams of a version, by struct in the order drawn, with their fields as drawn: where in bits
 * from the first box's position, how many from the boxes' widths and the rows they span. Each drawn
 * row stands for the bytes from its start to the next row's start (a folded row for many), as the
 * diagram declares. All of a version's diagrams are read in one round trip to the browser.
 */
async function drawnDiagrams(on: Page, version: string): Promise<Map<string, DrawnField[]>> {
  const diagrams = await on.locator(`svg.layout[data-version="${version}"]`).evaluateAll((svgs) =>
    svgs.map((svg) => {
      const scale = (name: string): number => Number(svg.getAttribute(`data-${name}`));
      const [perRow, byteWidth, rowHeight, originX] = ['bytes-per-row', 'byte-width', 'row-height', 'origin-x'].map(scale) as [number, number, number, number];
      const starts = svg.getAttribute('data-row-starts')!.split(' ').map((b) => Number(b) * 8);
      const rowWidth = perRow * byteWidth;
      const fields = [...svg.querySelectorAll(':scope > g.field')].map((group) => {
        // A union draws each member in a lane of its own; a struct has one lane.
        const originY = Number(group.getAttribute('data-origin-y'));
        const boxes = [...group.querySelectorAll(':scope > rect.box')] as SVGRectElement[];
        const place = (box: SVGRectElement): { row: number; rows: number; fraction: number; from: number } => {
          const row = Math.round((box.y.baseVal.value - originY) / rowHeight);
          return { row, rows: Math.round(box.height.baseVal.value / rowHeight), fraction: box.width.baseVal.value / rowWidth, from: (box.x.baseVal.value - originX) / rowWidth };
        };
        const bitsIn = (row: number, rows: number): number => starts[row + rows]! - starts[row]!;
        const first = place(boxes[0]!);
        const bits = boxes.map(place).reduce((sum, b) => sum + (b.fraction === 1 ? bitsIn(b.row, b.rows) : b.fraction * bitsIn(b.row, 1)), 0);
        return {
          name: group.getAttribute('data-field') ?? '',
          bitOffset: Math.round(starts[first.row]! + first.from * bitsIn(first.row, 1)),
          bits: Math.round(bits),
          dataBitOffset: Number(group.getAttribute('data-bit-offset')),
          dataBits: Number(group.getAttribute('data-bits')),
        };
      });
      return [svg.getAttribute('data-struct')!, fields] as const;
    }),
  );
  return new Map(diagrams);
}

/** One struct's diagram, as drawnDiagrams reads it. */
async function drawnFields(on: Page, version: string, struct: string): Promise<DrawnField[]> {
  const fields = (await drawnDiagrams(on, version)).get(struct);
  expect(fields, `a diagram of ${struct} in ${version}`).toBeDefined();
  return fields!;
}

/** Where a field is in bits: a bit-field's own bits, any other field's bytes. */
function bitsOf(field: FieldModel): { bitOffset: number; bits: number } {
  return field.bits ? { bitOffset: field.offset * 8 + field.bits.shift, bits: field.bits.width } : { bitOffset: field.offset * 8, bits: field.size * 8 };
}

/** Every struct has a diagram, and what it draws is the model's layout, bit for bit. */
async function expectDiagramsMatchModel(on: Page, version: VersionModel): Promise<void> {
  const diagrams = await drawnDiagrams(on, version.name);
  expect([...diagrams.keys()]).toEqual(version.structs.map((s) => s.name));
  for (const struct of version.structs) {
    const fields = diagrams.get(struct.name)!;
    const expected = struct.fields.map((f) => {
      const { bitOffset, bits } = bitsOf(f);
      return { name: f.name, bitOffset, bits, dataBitOffset: bitOffset, dataBits: bits };
    });
    expect(
      fields.filter((f) => f.name !== ''),
      `${version.name} ${struct.kind} ${struct.name}`,
    ).toEqual(expected);
    if (struct.kind === 'struct') {
      // Every bit of a struct is drawn once: fields and padding tile it.
      const covered = fields.flatMap((f) => Array.from({ length: f.bits }, (_, i) => f.bitOffset + i));
      expect(covered).toEqual(Array.from({ length: struct.size * 8 }, (_, i) => i));
    }
  }
}

/** Every physical address in a struct, nested structs spelled `outer.inner` (an anonymous one's by their own names) as the graph rows are. */
function pointersOf(version: VersionModel, fields: readonly FieldModel[], prefix = ''): { path: string; target: TargetModel }[] {
  return fields.flatMap((f) => {
    if (f.type.kind === 'aggregate') return pointersOf(version, findStruct(version, f.type.name).fields, `${prefix}${f.name}.`);
    if (f.type.kind === 'inline') return pointersOf(version, f.type.fields, f.anonymous ? prefix : `${prefix}${f.name}.`);
    return f.type.kind === 'pointer' ? [{ path: `${prefix}${f.name}`, target: f.type.target }] : [];
  });
}

interface GraphBox {
  readonly id: string;
  readonly kind: string;
  readonly structs: string;
}

interface GraphEdge {
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly via: string;
}

async function graphOf(on: Page, version: string): Promise<{ boxes: GraphBox[]; edges: GraphEdge[] }> {
  const graph = on.locator(`svg.graph[data-version="${version}"]`);
  const boxes = await graph.locator('g.gbox').evaluateAll((gs) =>
    gs.map((g) => ({ id: g.getAttribute('data-graph-node')!, kind: [...g.classList].find((c) => c.startsWith('gbox-'))!.slice(5), structs: g.getAttribute('data-structs')! })),
  );
  const edges = await graph.locator('path.edge').evaluateAll((ps) =>
    ps.map((p) => ({ kind: [...p.classList].find((c) => c.startsWith('edge-'))!.slice(5), from: p.getAttribute('data-from')!, to: p.getAttribute('data-to')!, via: p.getAttribute('data-via')! })),
  );
  return { boxes, edges };
}

/** The graph has an arrow for every address the version's state holds, each to the box of what it points at. */
function expectEveryAddressFollowed(version: VersionModel, boxes: readonly GraphBox[], edges: readonly GraphEdge[], startEdges: number): void {
  const box = (id: string): GraphBox => boxes.find((b) => b.id === id)!;
  let pointerEdges = startEdges;
  for (const holder of boxes.filter((b) => b.kind === 'memory' && b.structs)) {
    for (const structName of holder.structs.split(' ')) {
      for (const pointer of pointersOf(version, findStruct(version, structName).fields)) {
        const edge = edges.find((e) => e.kind === 'pointer' && e.from === holder.id && e.via === `${structName}.${pointer.path}`);
        expect(edge, `${version.name} ${structName}.${pointer.path}`).toBeDefined();
        expect(box(edge!.to).structs).toBe(targetStructs(pointer.target).join(' '));
        pointerEdges++;
      }
    }
  }
  expect(edges.filter((e) => e.kind === 'pointer')).toHaveLength(pointerEdges);
  // A chain's box links back to itself through the header's next field.
  const chains = [...new Set(boxes.filter((b) => b.kind === 'memory' && b.structs).flatMap((b) => b.structs.split(' ')))]
    .flatMap((s) => pointersOf(version, findStruct(version, s).fields))
    .filter((p) => p.target.shape === 'chain');
  for (const chain of chains) {
    const holder = boxes.find((b) => b.structs === targetStructs(chain.target).join(' '))!;
    expect(edges.filter((e) => e.kind === 'next' && e.from === holder.id && e.to === holder.id)).toHaveLength(1);
  }
  expect(edges.filter((e) => e.kind === 'next')).toHaveLength(new Set(chains.map((c) => targetStructs(c.target).join(' '))).size);
  // Every struct of the version is shown: in a block, or nested in a struct that is.
  const shown = new Set(boxes.flatMap((b) => b.structs.split(' ')).filter(Boolean));
  for (const struct of version.structs) {
    const nestedIn = version.visibleStructs.filter((outer) => outer.fields.some((f) => f.type.kind === 'aggregate' && f.type.name === struct.name));
    expect(shown.has(struct.name) || nestedIn.some((outer) => shown.has(outer.name)), struct.name).toBe(true);
  }
}

describe('docs: index.html in Chromium', () => {
  it('loads without console errors and without any network request', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });

  // The schemas' pages are apart: their tests run side by side, each page's one after another (the
  // browser's waits for a page, for a click or a screenshot, then overlap).
  describe.concurrent.each(MODELS)('$label', ({ label, model }) => {
    describe.sequential('on its own page', () => {
      const page = (): Page => pages.get(label)!;

      it('has no external resources at all: no src, no href to another document, no @import or url() to a file', async () => {
        const html = await page().content();
        expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
        expect(html).not.toMatch(/@import|url\((?!#)/);
        expect(html).not.toMatch(/https?:\/\//);
      });

      it('gives every element a distinct id, so tabs, anchors and arrow markers resolve to one thing', async () => {
        const ids = await page().locator('[id]').evaluateAll((elements) => elements.map((e) => e.id));
        expect(new Set(ids).size).toBe(ids.length);
        const markers = await page().locator('path.edge').evaluateAll((paths) => paths.map((p) => p.getAttribute('marker-end')!.slice(5, -1)));
        for (const marker of new Set(markers)) expect(ids).toContain(marker);
        const links = await page().locator('a[href^="#"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!.slice(1)));
        for (const link of new Set(links)) expect(ids, `#${link}`).toContain(link);
      });

      it('has a section per header, in dependency order, each with a tab per version', async () => {
        const sections = await page().locator('section.header').evaluateAll((ss) => ss.map((s) => s.getAttribute('data-header')));
        expect(sections).toEqual(model.headers.map((h) => h.name));
        for (const header of model.headers) {
          const labels = await page().locator(`section.header[data-header="${header.name}"] nav.versions label`).evaluateAll((ls) => ls.map((l) => l.firstChild!.textContent));
          expect(labels).toEqual([...header.versions.map((v) => v.name), ...(header.versions.length > 1 ? ['Changelog'] : [])]);
        }
      });

      for (const version of allVersions(model)) {
        describe(version.name, () => {
          it('draws every struct, each field at the bits and with the size the layout engine gives', async () => {
            await expectDiagramsMatchModel(page(), version);
          });

          const container = version.container;
          if (!container) {
            it('has no handover graph and no card for a container, as its state is part of the headers that use it', async () => {
              const section = page().locator(`section.version[data-version="${version.name}"]`);
              expect(await section.locator('svg.graph').count()).toBe(0);
              expect(await section.locator('.card.container').count()).toBe(0);
            });
            return;
          }

          it('draws the handover graph from where the next kernel starts, with an arrow for every physical address', async () => {
            expect(await page().locator(`svg.graph[data-version="${version.name}"]`).count()).toBe(1);
            const { boxes, edges } = await graphOf(page(), version.name);
            const box = (id: string): GraphBox => boxes.find((b) => b.id === id)!;
            let startEdges = 0;
            if (container.kind === 'fdt') {
              const nodes = versionNodes(version);
              expect(boxes.filter((b) => b.kind === 'fdt')).toHaveLength(nodes.length);
              for (const node of nodes) {
                for (const child of node.children) expect(edges.filter((e) => e.kind === 'subnode' && e.via === child.path)).toHaveLength(1);
                for (const property of node.properties) {
                  if (!property.pointer) continue;
                  const edge = edges.find((e) => e.kind === 'pointer' && e.via === `${node.path}:${property.name}`);
                  expect(edge, `${version.name} ${node.path}:${property.name}`).toBeDefined();
                  expect(box(edge!.to).structs).toBe(targetStructs(property.pointer.target).join(' '));
                  startEdges++;
                }
              }
            } else {
              // One box where the kernel starts, one arrow from it to the state.
              const starts = boxes.filter((b) => b.kind !== 'memory');
              expect(starts.map((b) => b.kind)).toEqual([container.kind === 'kho-entry' ? 'entry' : 'from']);
              const edge = edges.find((e) => e.from === starts[0]!.id)!;
              expect(box(edge.to).structs).toBe(container.kind === 'kho-entry' ? container.struct : targetStructs(container.target).join(' '));
              startEdges = 1;
            }
            expectEveryAddressFollowed(version, boxes, edges, startEdges);
          });

          it('links every box of the graph to its card: a struct to that struct\'s card, the start to the card that says where the state lives', async () => {
            const section = page().locator(`section.version[data-version="${version.name}"]`);
            const boxes = await section.locator('svg.graph g.gbox').evaluateAll((gs) =>
              gs.map((g) => ({
                kind: [...g.classList].find((c) => c.startsWith('gbox-'))!.slice(5),
                structs: g.getAttribute('data-structs')!,
                links: [...g.querySelectorAll('a.glink')].map((a) => a.getAttribute('href')!),
              })),
            );
            // What each in-page link leads to, anywhere on the page (a used header's struct has its card there).
            const targets = await page().evaluate((hrefs) => Object.fromEntries(hrefs.map((href) => [href, document.querySelector(href)?.querySelector('h4, h5')?.textContent ?? null])), [
              ...new Set(boxes.flatMap((b) => b.links)),
            ]);
            const title = { fdt: 'FDT layout', 'kho-entry': 'KHO entry', 'reached-from': 'Reached from' }[container.kind];
            for (const box of boxes) {
              expect(box.links.length, box.structs).toBeGreaterThan(0);
              const headings = new Set(box.links.map((href) => targets[href]));
              if (box.kind !== 'memory') expect(headings).toEqual(new Set([title]));
              else if (box.structs) expect(headings).toEqual(new Set(box.structs.split(' ').map((name) => `${findStruct(version, name).kind} ${name}`)));
            }
          });
        });
      }

      it('shows one version of a header at a time through its tab, the others\' tabs untouched, and screenshots each header', async () => {
        mkdirSync(SCREENSHOTS, { recursive: true });
        // Which version sections are visible, by Playwright's isVisible() rule (shown by CSS, a non-empty box), asked in one
        // round trip for all: one isVisible() call per section and tab was most of this test's time.
        const visibleSections = async (): Promise<Map<string, boolean | null>> =>
          new Map(
            await page()
              .locator('section.version[data-version]')
              .evaluateAll((sections) =>
                sections.map((section) => {
                  const style = getComputedStyle(section);
                  const box = section.getBoundingClientRect();
                  // display: contents would have Playwright look at the children instead; no section is drawn so.
                  const visible = style.display === 'contents' ? null : section.checkVisibility() && style.visibility === 'visible' && box.width > 0 && box.height > 0;
                  return [section.getAttribute('data-version')!, visible] as const;
                }),
              ),
          );
        const initially = await visibleSections();
        for (const header of model.headers) expect(initially.get(header.current.name), header.current.name).toBe(true);
        for (const header of model.headers) {
          for (const version of header.versions) {
            await page().click(`label[for="tab-${versionAnchor(version.name)}"]`);
            const visible = await visibleSections();
            for (const other of header.versions) expect(visible.get(other.name), `${other.name} with ${version.name} picked`).toBe(other === version);
            // The other headers keep their current version.
            for (const otherHeader of model.headers.filter((h) => h !== header)) expect(visible.get(otherHeader.current.name)).toBe(true);
            if (version.structs.length > 0) {
              // Drawn diagrams have real size on screen, not just attributes.
              const box = await page().locator(`svg.layout[data-version="${version.name}"]`).first().boundingBox();
              expect(box!.width).toBeGreaterThan(300);
            }
          }
          await page().click(`label[for="tab-${versionAnchor(header.current.name)}"]`);
          // For a person to look at (test-output/): the header's own section with its current version picked, cut from the
          // full page (where a sticky bar stays at the top). One picture per header: a picture of every tab took a third of
          // this file's time, and what each tab shows is asserted above.
          const section = await page().locator(`section.header[data-header="${header.name}"]`).evaluate((element) => {
            const box = element.getBoundingClientRect();
            return { x: box.x + window.scrollX, y: box.y + window.scrollY, width: box.width, height: box.height };
          });
          await page().screenshot({ path: join(SCREENSHOTS, `${label}-${header.current.name}.png`), fullPage: true, clip: section });
        }
        expect(consoleErrors).toEqual([]);
        expect(requests).toEqual([]);
      });
    });
  });

  it('has a changelog tab per header with a card per pair of consecutive versions, and shows the luo-v4 break as a pointer-target change', async () => {
    const page = pages.get('kho')!;
    const luo = MODELS[0]!.model.headers.find((h) => h.name === 'luo')!;
    await page.click('label[for="tab-header-luo-changelog"]');
    expect(await page.locator('#header-luo-changelog').isVisible()).toBe(true);
    for (const version of luo.versions) expect(await page.locator(`section.version[data-version="${version.name}"]`).isVisible()).toBe(false);
    const pairs = await page.locator('#header-luo-changelog [data-older]').evaluateAll((cards) => cards.map((c) => [c.getAttribute('data-older'), c.getAttribute('data-newer')]));
    expect(pairs).toEqual(luo.versions.slice(1).map((v, i) => [luo.versions[i]!.name, v.name]));
    const last = await page
      .locator('#header-luo-changelog [data-older="luo-v3"][data-newer="luo-v4"] li')
      .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-kind'), li.querySelector('.subject')?.textContent]));
    expect(last).toContainEqual(['pointer-target', 'struct luo_file_set_ser > files']);
    await page.click(`label[for="tab-${versionAnchor(luo.current.name)}"]`);
  });

  it('brings a struct\'s card into view when its box in the graph is clicked', async () => {
    const page = pages.get('gadget')!;
    const link = page.locator('svg.graph[data-version="gadget-v1"] g.gbox-memory a.glink').first();
    const href = (await link.getAttribute('href'))!;
    await link.click();
    expect(await page.evaluate(() => location.hash)).toBe(href);
    const card = await page.locator(href).boundingBox();
    // Scrolled to its top edge, below the sticky header.
    expect(card!.y).toBeGreaterThanOrEqual(0);
    expect(card!.y).toBeLessThan(200);
  });

  it('starts a KHO entry\'s graph at the entry, then its struct', async () => {
    const { boxes, edges } = await graphOf(pages.get('gadget')!, 'gadget-v1');
    expect(boxes.slice(0, 2).map((b) => [b.kind, b.structs])).toEqual([
      ['entry', ''],
      ['memory', 'gadget_root'],
    ]);
    expect(edges[0]).toMatchObject({ kind: 'pointer', from: boxes[0]!.id, to: boxes[1]!.id, via: 'kho-entry' });
  });

  it('starts a reached-from graph at the other header\'s field, and shows there which handlers the string chooses', async () => {
    const page = pages.get('handler')!;
    const { boxes, edges } = await graphOf(page, 'widget-v1');
    expect(boxes.map((b) => [b.kind, b.structs])).toEqual([
      ['from', ''],
      ['memory', 'widget_ser'],
      ['memory', 'widget_page'],
    ]);
    expect(edges).toEqual([
      { kind: 'pointer', from: boxes[0]!.id, to: boxes[1]!.id, via: 'holder_slot.data' },
      { kind: 'pointer', from: boxes[1]!.id, to: boxes[2]!.id, via: 'widget_ser.table' },
    ]);
    const start = await page.locator(`svg.graph[data-version="widget-v1"] g.gbox-from`).evaluate((g) => [...g.querySelectorAll('text')].map((t) => t.textContent));
    expect(start).toEqual(['struct holder_slot', 'in holder.h', 'handler', '"widget-v1"', 'data', 'PA']);
    // In holder.h's graph, the slot's address leads to a box naming the widget's string, linked to widget-v1.
    const holder = await graphOf(page, 'holder-v1');
    const selected = holder.edges.find((e) => e.via === 'holder_slot.data')!;
    const handlers = await page
      .locator(`svg.graph[data-version="holder-v1"] g.gbox[data-graph-node="${selected.to}"] a.glink`)
      .evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    expect(handlers).toContainEqual(['"widget-v1"', '#widget-v1-container']);
  });

  it('draws padding between naturally aligned members and a union in lanes', async () => {
    const page = pages.get('aligned')!;
    const padding = await page.locator('svg.layout[data-struct="demo_mixed"] g.field[data-role="padding"]').evaluateAll((gs) =>
      gs.map((g) => [Number(g.getAttribute('data-bit-offset')) / 8, Number(g.getAttribute('data-bits')) / 8]),
    );
    // u8 a, u32 b at 4, u16 c at 8, u64 d at 16, s8 e at 24, size 32.
    expect(padding).toEqual([
      [1, 3],
      [10, 6],
      [25, 7],
    ]);
    const lanes = await page.locator('svg.layout[data-struct="demo_value"] g.field').evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-origin-y'))));
    expect(new Set(lanes).size).toBe(lanes.length);
  });

  it('folds the rows a page-sized table fills, and still accounts for every byte', async () => {
    const svg = pages.get('gadget')!.locator('svg.layout[data-struct="gadget_page"]');
    // 4096 bytes: the first row, one row for the 254 between, the last row.
    expect(await svg.getAttribute('data-row-starts')).toBe('0 16 4080 4096');
    expect(Number(await svg.getAttribute('height'))).toBeLessThan(300);
    expect(await drawnFields(pages.get('gadget')!, 'gadget-v1', 'gadget_page')).toEqual([{ name: 'table', bitOffset: 0, bits: 4096 * 8, dataBitOffset: 0, dataBits: 4096 * 8 }]);
  });

  it('folds only the rows one field fills, not the row it shares with the header before it', async () => {
    const page = pages.get('handler')!;
    // hdr and the first entry share row 0; the entries fill rows 1 to 255.
    expect(await page.locator('svg.layout[data-struct="widget_page"]').getAttribute('data-row-starts')).toBe('0 16 32 4080 4096');
    expect(await drawnFields(page, 'widget-v1', 'widget_page')).toEqual([
      { name: 'hdr', bitOffset: 0, bits: 64, dataBitOffset: 0, dataBits: 64 },
      { name: 'entries', bitOffset: 64, bits: 4088 * 8, dataBitOffset: 64, dataBits: 4088 * 8 },
    ]);
  });

  it('draws the bit-fields of one storage unit side by side in its bytes', async () => {
    const fields = await drawnFields(pages.get('gadget')!, 'gadget-v1', 'gadget_item');
    // pfn:52 and flags:12 share the first u64; small:3 and rest:29 the next u32.
    expect(fields.slice(0, 4).map((f) => [f.name, f.bitOffset, f.bits])).toEqual([
      ['pfn', 0, 52],
      ['flags', 52, 12],
      ['small', 64, 3],
      ['rest', 67, 29],
    ]);
  });
});
