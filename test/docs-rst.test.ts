/**
 * out/docs/<header>.rst builds with Sphinx (Debian's python3-sphinx) with warnings as errors, as a
 * page of the kernel's Documentation/ tree would, every header of every schema together in one
 * project, and the built pages have a table for every struct of every version.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitDocs } from '../generator/emit/docs/index.ts';
import { buildModel, type Model } from '../generator/model/index.ts';
import kho from '../schema/index.ts';
import gadget from './fixtures/gadget-schema.ts';
import handler from './fixtures/handler-schema.ts';
import { run, scratchDir } from './support/tools.ts';

const MODELS: readonly { readonly label: string; readonly model: Model }[] = [
  { label: 'kho', model: buildModel(kho) },
  { label: 'gadget', model: buildModel(gadget) },
  { label: 'handler', model: buildModel(handler) },
];

describe.each(MODELS)('docs: the RST pages of $label', ({ model }) => {
  it('build with sphinx-build -W, with a table per struct, per FDT and per constant list, and every changelog pair', async () => {
    const pages = (await emitDocs(model)).filter((f) => f.path.endsWith('.rst'));
    expect(pages.map((p) => p.path)).toEqual(model.headers.map((h) => `docs/${h.name}.rst`));
    const dir = scratchDir('docs-rst');
    const source = join(dir, 'source');
    const build = join(dir, 'build');
    mkdirSync(source);
    const names = model.headers.map((h) => h.name);
    writeFileSync(join(source, 'conf.py'), "project = 'luo-abi'\nextensions = []\nmaster_doc = 'index'\n");
    writeFileSync(join(source, 'index.rst'), `Headers\n=======\n\n.. toctree::\n\n${names.map((n) => `   ${n}`).join('\n')}\n`);
    for (const page of pages) writeFileSync(join(source, page.path.slice('docs/'.length)), page.content);

    const result = run('sphinx-build', ['-W', '--keep-going', '-b', 'html', '-q', source, build]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);

    for (const header of model.headers) {
      const html = readFileSync(join(build, `${header.name}.html`), 'utf8');
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
