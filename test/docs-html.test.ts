/**
 * out/docs/index.html in headless Chromium: it loads with no console error and no network request,
 * every struct of every version has a byte-layout diagram whose drawn boxes (their SVG geometry, turned
 * back into bytes with the scale the diagram declares) sit at the model's offsets with the model's
 * sizes, the handover graph has an arrow for every physical address in the model, the version tabs
 * work, and the changelog lists what diffVersions finds. Screenshots of every tab go to
 * test-output/docs/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffVersions } from '../generator/check/diff.ts';
import { emitDocs } from '../generator/emit/docs/index.ts';
import { allNodes, buildModel, findStruct, targetStructs, type FieldModel, type TargetModel, type VersionModel } from '../generator/model/index.ts';
import { luoSchema } from '../schema/index.ts';
import { demoSchema } from './fixtures/aligned-schema.ts';
import { TEST_OUTPUT } from './support/tools.ts';

const model = buildModel(luoSchema);
const SCREENSHOTS = join(TEST_OUTPUT, 'docs');

let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  const html = (await emitDocs(model)).find((f) => f.path === 'docs/index.html')!.content;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  // Every request is recorded and refused: the page must need none.
  await page.route('**/*', async (route) => {
    requests.push(route.request().url());
    await route.abort();
  });
  await page.setContent(html, { waitUntil: 'load' });
});

afterAll(async () => {
  await browser?.close();
});

interface DrawnField {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly dataOffset: number;
  readonly dataSize: number;
}

/** A diagram's fields as drawn: offset from the first box's position, size from the boxes' areas. */
async function drawnFields(on: Page, version: string, struct: string): Promise<DrawnField[]> {
  return on.locator(`svg.layout[data-version="${version}"][data-struct="${struct}"]`).evaluate((svg) => {
    const scale = (name: string): number => Number(svg.getAttribute(`data-${name}`));
    const [perRow, byteWidth, rowHeight, originX] = ['bytes-per-row', 'byte-width', 'row-height', 'origin-x'].map(scale) as [number, number, number, number];
    return [...svg.querySelectorAll(':scope > g.field')].map((group) => {
      // A union draws each member in a lane of its own; a struct has one lane.
      const originY = Number(group.getAttribute('data-origin-y'));
      const boxes = [...group.querySelectorAll(':scope > rect.box')] as SVGRectElement[];
      const first = boxes[0]!;
      const column = (first.x.baseVal.value - originX) / byteWidth;
      const row = (first.y.baseVal.value - originY) / rowHeight;
      const bytes = boxes.reduce((sum, box) => sum + (box.width.baseVal.value / byteWidth) * (box.height.baseVal.value / rowHeight), 0);
      return {
        name: group.getAttribute('data-field') ?? '',
        offset: row * perRow + column,
        size: bytes,
        dataOffset: Number(group.getAttribute('data-offset')),
        dataSize: Number(group.getAttribute('data-size')),
      };
    });
  });
}

/** Every physical address in a struct, nested structs spelled `outer.inner` as the graph rows are. */
function pointersOf(version: VersionModel, fields: readonly FieldModel[], prefix = ''): { path: string; target: TargetModel }[] {
  return fields.flatMap((f) => {
    if (f.type.kind === 'aggregate') return pointersOf(version, findStruct(version, f.type.name).fields, `${prefix}${f.name}.`);
    return f.type.kind === 'pointer' ? [{ path: `${prefix}${f.name}`, target: f.type.target }] : [];
  });
}

/** Every struct has a diagram, and what it draws is the model's layout, byte for byte. */
async function expectDiagramsMatchModel(on: Page, version: VersionModel): Promise<void> {
  const drawn = await on.locator(`svg.layout[data-version="${version.name}"]`).evaluateAll((svgs) => svgs.map((s) => s.getAttribute('data-struct')));
  expect(drawn).toEqual(version.structs.map((s) => s.name));
  for (const struct of version.structs) {
    const fields = await drawnFields(on, version.name, struct.name);
    const expected = struct.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size, dataOffset: f.offset, dataSize: f.size }));
    expect(fields.filter((f) => f.name !== ''), `${version.name} ${struct.kind} ${struct.name}`).toEqual(expected);
    if (struct.kind === 'struct') {
      // Every byte of a struct is drawn once: fields and padding tile it.
      const bytes = fields.flatMap((f) => Array.from({ length: f.size }, (_, i) => f.offset + i));
      expect(bytes).toEqual(Array.from({ length: struct.size }, (_, i) => i));
    }
  }
}

describe('docs: index.html in Chromium', () => {
  it('loads without console errors and without any network request', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('has no external resources at all: no src, no href to another document, no @import or url() to a file', async () => {
    const html = await page.content();
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('gives every element a distinct id, so tabs, anchors and arrow markers resolve to one thing', async () => {
    const ids = await page.locator('[id]').evaluateAll((elements) => elements.map((e) => e.id));
    expect(ids.length).toBeGreaterThan(model.versions.length);
    expect(new Set(ids).size).toBe(ids.length);
    const markers = await page.locator('path.edge').evaluateAll((paths) => paths.map((p) => p.getAttribute('marker-end')!.slice(5, -1)));
    for (const marker of new Set(markers)) expect(ids).toContain(marker);
  });

  for (const version of model.versions) {
    describe(version.name, () => {
      it('draws every struct, each field at the offset and with the size the layout engine gives', async () => {
        await expectDiagramsMatchModel(page, version);
      });

      it('draws the handover graph: every FDT node, and an arrow for every physical address to the block it points at', async () => {
        const graph = page.locator(`svg.graph[data-version="${version.name}"]`);
        const boxes = await graph.locator('g.gbox').evaluateAll((gs) =>
          gs.map((g) => ({ id: g.getAttribute('data-graph-node')!, kind: g.classList.contains('gbox-fdt') ? 'fdt' : 'memory', structs: g.getAttribute('data-structs')! })),
        );
        const edges = await graph.locator('path.edge').evaluateAll((ps) =>
          ps.map((p) => ({ kind: [...p.classList].find((c) => c.startsWith('edge-'))!.slice(5), from: p.getAttribute('data-from')!, to: p.getAttribute('data-to')!, via: p.getAttribute('data-via')! })),
        );
        const box = (id: string) => boxes.find((b) => b.id === id)!;
        const nodes = allNodes(version.fdt.root);
        expect(boxes.filter((b) => b.kind === 'fdt')).toHaveLength(nodes.length);
        for (const node of nodes) {
          for (const child of node.children) expect(edges.filter((e) => e.kind === 'subnode' && e.via === child.path)).toHaveLength(1);
          for (const property of node.properties) {
            if (!property.pointer) continue;
            const edge = edges.find((e) => e.kind === 'pointer' && e.via === `${node.path}:${property.name}`);
            expect(edge, `${version.name} ${node.path}:${property.name}`).toBeDefined();
            expect(box(edge!.to).structs).toBe(targetStructs(property.pointer.target).join(' '));
          }
        }
        // Each block's addresses, from every box that holds the struct.
        let pointerEdges = nodes.reduce((sum, n) => sum + n.properties.filter((p) => p.pointer).length, 0);
        for (const holder of boxes.filter((b) => b.kind === 'memory')) {
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
        const chains = version.structs.flatMap((s) => pointersOf(version, s.fields)).filter((p) => p.target.shape === 'chain');
        for (const chain of chains) {
          const holder = boxes.find((b) => b.structs === targetStructs(chain.target).join(' '))!;
          expect(edges.filter((e) => e.kind === 'next' && e.from === holder.id && e.to === holder.id)).toHaveLength(1);
        }
        expect(edges.filter((e) => e.kind === 'next')).toHaveLength(new Set(chains.map((c) => targetStructs(c.target).join(' '))).size);
        // Every struct of the version is shown: in a block, or nested in a struct that is.
        const shown = new Set(boxes.flatMap((b) => b.structs.split(' ')).filter(Boolean));
        for (const struct of version.structs) {
          const nestedIn = version.structs.filter((outer) => outer.fields.some((f) => f.type.kind === 'aggregate' && f.type.name === struct.name));
          expect(shown.has(struct.name) || nestedIn.some((outer) => shown.has(outer.name)), struct.name).toBe(true);
        }
      });

      it('links every box of the graph to its cards: each struct in a block to that struct\'s card, an FDT node to the FDT layout', async () => {
        const section = page.locator(`section.version[data-version="${version.name}"]`);
        const boxes = await section.locator('svg.graph g.gbox').evaluateAll((gs) =>
          gs.map((g) => ({
            kind: g.classList.contains('gbox-fdt') ? 'fdt' : 'memory',
            structs: g.getAttribute('data-structs')!,
            links: [...g.querySelectorAll('a.glink')].map((a) => a.getAttribute('href')!),
          })),
        );
        // What each in-page link leads to, looked up in this version's section only.
        const targets = await section.evaluate((root) =>
          Object.fromEntries([...root.querySelectorAll('svg.graph a.glink')].map((a) => {
            const target = root.querySelector(a.getAttribute('href')!);
            return [a.getAttribute('href')!, target?.querySelector('h3, h4')?.textContent ?? null];
          })),
        );
        for (const box of boxes) {
          expect(box.links.length, box.structs).toBeGreaterThan(0);
          const headings = new Set(box.links.map((href) => targets[href]));
          if (box.kind === 'fdt') {
            expect(headings).toEqual(new Set(['FDT layout']));
          } else {
            const structs = box.structs.split(' ');
            expect(headings).toEqual(new Set(structs.map((name) => `${findStruct(version, name).kind} ${name}`)));
          }
        }
        // In the tab shown at first (the current version), a click on a box's title brings its card into view.
        if (version.name !== model.versions.at(-1)!.name) return;
        const link = section.locator('svg.graph g.gbox-memory a.glink').first();
        const href = (await link.getAttribute('href'))!;
        await link.click();
        expect(await page.evaluate(() => location.hash)).toBe(href);
        const card = await section.locator(href).boundingBox();
        // Scrolled to its top edge, give or take a fraction of a pixel.
        expect(Math.abs(card!.y)).toBeLessThan(1);
      });
    });
  }

  it('lists in the changelog exactly the changes diffVersions finds', async () => {
    for (const [i, newer] of model.versions.slice(1).entries()) {
      const older = model.versions[i]!;
      const items = await page
        .locator(`#changelog [data-older="${older.name}"][data-newer="${newer.name}"] li`)
        .evaluateAll((lis) => lis.map((li) => ({ kind: li.getAttribute('data-kind'), subject: li.querySelector('.subject')?.textContent })));
      expect(items).toEqual(diffVersions(older, newer).map((c) => ({ kind: c.kind, subject: c.subject })));
    }
  });

  it('shows one version at a time through its tab, and screenshots every tab', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const current = page.locator(`section.version[data-version="${model.current.name}"]`);
    expect(await current.isVisible()).toBe(true);
    for (const version of model.versions) {
      await page.click(`label[for="tab-${version.name}"]`);
      for (const other of model.versions) {
        expect(await page.locator(`section.version[data-version="${other.name}"]`).isVisible(), `${other.name} with ${version.name} picked`).toBe(other === version);
      }
      // Drawn diagrams have real size on screen, not just attributes.
      const box = await page.locator(`svg.layout[data-version="${version.name}"]`).first().boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      await page.screenshot({ path: join(SCREENSHOTS, `index-${version.name}.png`), fullPage: true });
    }
    await page.click('label[for="tab-changelog"]');
    expect(await page.locator('#changelog').isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'index-changelog.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });
});

describe('docs: index.html for a naturally aligned schema with padding, a union and a flexible array', () => {
  it('draws each member where the layout engine puts it, padding between, a union in lanes', async () => {
    const fixture = buildModel(demoSchema);
    const html = (await emitDocs(fixture)).find((f) => f.path === 'docs/index.html')!.content;
    const fixturePage = await browser.newPage();
    const errors: string[] = [];
    fixturePage.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await fixturePage.setContent(html, { waitUntil: 'load' });
    for (const version of fixture.versions) await expectDiagramsMatchModel(fixturePage, version);
    const padding = await fixturePage.locator('svg.layout[data-struct="demo_mixed"] g.field[data-role="padding"]').evaluateAll((gs) =>
      gs.map((g) => [Number(g.getAttribute('data-offset')), Number(g.getAttribute('data-size'))]),
    );
    // u8 a, u32 b at 4, u16 c at 8, u64 d at 16, s8 e at 24, size 32.
    expect(padding).toEqual([[1, 3], [10, 6], [25, 7]]);
    const lanes = await fixturePage.locator('svg.layout[data-struct="demo_value"] g.field').evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-origin-y'))));
    expect(new Set(lanes).size).toBe(lanes.length);
    expect(errors).toEqual([]);
    await fixturePage.close();
  });
});
