/**
 * out/docs/<header>.rst builds with Sphinx (Debian's python3-sphinx) with warnings as errors, as a
 * page of the kernel's Documentation/ tree would, every header of every schema together in one
 * project (one build: Sphinx's start-up is most of a small build), and the built pages have a table
 * for every struct of every version.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitDocs } from '../generator/emit/docs/index.ts';
import { buildModel, type Model } from '../generator/model/index.ts';
import kho from '../schema/index.ts';
import gadget from './fixtures/gadget-schema.ts';
import handler from './fixtures/handler-schema.ts';
import { scratch } from './support/cli.ts';
import { run, type RunResult } from './support/tools.ts';

const MODELS: readonly { readonly label: string; readonly model: Model }[] = [
  { label: 'kho', model: buildModel(kho) },
  { label: 'gadget', model: buildModel(gadget) },
  { label: 'handler', model: buildModel(handler) },
];

const { dir, remove } = scratch('docs-rst');
afterAll(remove);
const source = join(dir, 'source');
const build = join(dir, 'build');
/** Each schema's pages as emitted, in a folder of the project named by its label. */
const emitted = new Map<string, string[]>();
let sphinx: RunResult;

beforeAll(async () => {
  mkdirSync(source);
  writeFileSync(join(source, 'conf.py'), "project = 'luo-abi'\nextensions = []\nmaster_doc = 'index'\n");
  const entries: string[] = [];
  for (const { label, model } of MODELS) {
    const pages = (await emitDocs(model)).filter((f) => f.path.endsWith('.rst'));
    emitted.set(label, pages.map((p) => p.path));
    mkdirSync(join(source, label));
    for (const page of pages) writeFileSync(join(source, label, page.path.slice('docs/'.length)), page.content);
    entries.push(...model.headers.map((h) => `${label}/${h.name}`));
  }
  writeFileSync(join(source, 'index.rst'), `Headers\n=======\n\n.. toctree::\n\n${entries.map((n) => `   ${n}`).join('\n')}\n`);
  sphinx = run('sphinx-build', ['-W', '--keep-going', '-b', 'html', '-q', source, build]);
});

it('sphinx-build -W builds every page of every schema without a warning', () => {
  expect(sphinx.stderr).toBe('');
  expect(sphinx.status).toBe(0);
});

describe.each(MODELS)('docs: the RST pages of $label', ({ label, model }) => {
  it('build with a table per struct, per FDT and per constant list, and every changelog pair', () => {
    expect(emitted.get(label)).toEqual(model.headers.map((h) => `docs/${h.name}.rst`));
    for (const header of model.headers) {
      const html = readFileSync(join(build, label, `${header.name}.html`), 'utf8');
      expect(html).not.toContain('system-message');
      const text = html.replace(/<[^>]+>/g, '').replace(/&#8217;/g, "'");
      for (const version of header.versions) {
        for (const struct of version.structs) {
          expect(text).toContain(`${version.name}: ${struct.kind} ${struct.name}`);
          // Every field's name appears as a literal in the built tables.
          for (const field of struct.fields) if (!field.anonymous) expect(html).toContain(`<span class="pre">${field.name}</span>`);
        }
      }
      const tables = html.match(/<table/g) ?? [];
      const expected = header.versions.reduce((sum, v) => sum + v.structs.length + (v.container?.kind === 'fdt' ? 1 : 0) + (v.constants.length > 0 ? 1 : 0), 0);
      expect(tables.length, header.name).toBe(expected);
      for (const [i, newer] of header.versions.slice(1).entries()) expect(text).toContain(`${header.versions[i]!.name} to ${newer.name}`);
    }
  });
});
