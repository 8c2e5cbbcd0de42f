/**
 * luo-abi preflight --matrix over a fleet of kernel images gcc made from our own C: the table in text,
 * the same verdicts in JSON, and the HTML page in headless Chromium (as the docs page is tested): it
 * loads with no console error and no request, every cell says what the pair's verdicts say and leads
 * to that pair's card, and each card lists every subsystem with its outcome. A screenshot goes to
 * test-output/preflight/ for a person to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayPath as shown } from '../generator/core/paths.ts';
import { buildImage, CORE } from './feature-images.ts';
import { cli, scratch } from './support/cli.ts';
import { TEST_OUTPUT } from './support/tools.ts';

const work = scratch('preflight-matrix');
let kernels: string[];
let json: { ok: boolean; kernels: { name: string }[]; pairs: { from: { name: string }; to: { name: string }; ok: boolean; verdicts: { key: string; outcome: string }[] }[] };
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  // old: luo and memfd; new: requires a new luo bit (3) and supports more of memfd; bare: luo only.
  kernels = [
    buildImage(work.dir, 'old', [{ name: 'luo', supp: CORE, req: CORE, active: CORE }, { name: 'memfd', supp: 3n, req: 3n, active: 3n }]),
    buildImage(work.dir, 'new', [{ name: 'luo', supp: CORE | 8n, req: CORE | 8n, active: CORE | 8n }, { name: 'memfd', supp: 7n, req: 3n, active: 3n }]),
    buildImage(work.dir, 'bare', [{ name: 'luo', supp: CORE | 8n, req: CORE, active: CORE }]),
  ];
  const result = await cli('preflight', '--matrix', ...kernels, '--format', 'json');
  expect(result.status).toBe(1);
  json = JSON.parse(result.stdout);
  const html = join(work.dir, 'matrix.html');
  expect((await cli('preflight', '--matrix', ...kernels, '--format', 'html', '--out', html)).status).toBe(1);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.route('**/*', async (route) => {
    requests.push(route.request().url());
    await route.abort();
  });
  await page.setContent(readFileSync(html, 'utf8'), { waitUntil: 'load' });
});

afterAll(async () => {
  await browser?.close();
  work.remove();
});

const names = () => kernels.map((k) => shown(k));
const pair = (from: number, to: number) => json.pairs.find((p) => p.from.name === names()[from] && p.to.name === names()[to])!;

describe('preflight --matrix', () => {
  it('JSON: every ordered pair once, each with its verdicts', () => {
    expect(json.kernels.map((k) => k.name)).toEqual(names());
    expect(json.pairs.map((p) => `${p.from.name} -> ${p.to.name}`)).toEqual(
      [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]].map(([i, j]) => `${names()[i!]} -> ${names()[j!]}`),
    );
    const outcomes = (i: number, j: number) => pair(i, j).verdicts.map((v) => `${v.key} ${v.outcome}`);
    expect(outcomes(0, 1)).toEqual(['luo accepted', 'memfd accepted']);
    expect(outcomes(0, 2)).toEqual(['luo accepted', 'memfd refused']);
    expect(outcomes(1, 0)).toEqual(['luo refused', 'memfd accepted']);
    expect(outcomes(1, 2)).toEqual(['luo accepted', 'memfd refused']);
    expect(outcomes(2, 0)).toEqual(['luo accepted']);
    expect(outcomes(2, 1)).toEqual(['luo accepted']);
    expect(json.ok).toBe(false);
  });

  it('text: a table of the same answers', async () => {
    const text = (await cli('preflight', '--matrix', ...kernels)).stdout.split('\n');
    const cells = (line: string) => line.trim().split(/\s{2,}/);
    expect(cells(text[0]!)).toEqual(['from \\ to', ...names()]);
    expect(cells(text[1]!)).toEqual([names()[0], '-', 'yes', 'no: memfd']);
    expect(cells(text[2]!)).toEqual([names()[1], 'no: luo', '-', 'no: memfd']);
    expect(cells(text[3]!)).toEqual([names()[2], 'yes', 'yes', '-']);
    expect(text[4]).toBe('luo-abi preflight: 3 of 6 updates accepted');
  });

  it('HTML in Chromium: loads with no console error and no request', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('HTML: each cell says what its pair says and leads to its card', async () => {
    const rows = await page.locator('table.matrix tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => ({ cls: td.className, text: td.querySelector('a')?.firstChild?.textContent ?? '', refused: td.querySelector('.refused')?.textContent ?? '', href: td.querySelector('a')?.getAttribute('href') ?? '' }))),
    );
    for (const [i, row] of rows.entries()) {
      for (const [j, cell] of row.entries()) {
        if (i === j) {
          expect(cell.cls).toBe('self');
          continue;
        }
        const p = pair(i, j);
        expect(cell.cls).toBe(p.ok ? 'yes' : 'no');
        expect(cell.text).toBe(p.ok ? 'yes' : 'no');
        expect(cell.refused).toBe(p.verdicts.filter((v) => v.outcome !== 'accepted').map((v) => v.key).join(', '));
        const card = page.locator(cell.href);
        expect(await card.getAttribute('data-ok')).toBe(String(p.ok));
        expect(await card.locator('h2').innerText()).toBe(`${p.from.name} → ${p.to.name}`);
        const listed = await card.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-key')} ${tr.getAttribute('data-outcome')}`));
        expect(listed).toEqual(p.verdicts.map((v) => `${v.key} ${v.outcome}`));
      }
    }
  });

  it('HTML: a click on a refused cell brings its card into view, with the reason', async () => {
    await page.locator('td.no a').first().click();
    const id = (await page.locator('td.no a').first().getAttribute('href'))!;
    const card = page.locator(id);
    expect(await card.isVisible()).toBe(true);
    const box = await card.boundingBox();
    expect(box!.y).toBeLessThan(900);
    expect(await card.locator('tr[data-outcome="refused"] li').first().innerText()).toMatch(/has no memfd$/);
    mkdirSync(join(TEST_OUTPUT, 'preflight'), { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(TEST_OUTPUT, 'preflight', 'matrix.png'), fullPage: true });
  });
});
