/**
 * out/docs/luo.rst builds with Sphinx (Debian's python3-sphinx) with warnings as errors, as a page of
 * the kernel's Documentation/ tree would, and the built page has a table for every struct of every
 * version.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitDocs } from '../generator/emit/docs/index.ts';
import { buildModel } from '../generator/model/index.ts';
import { luoSchema } from '../schema/index.ts';
import { run, scratchDir } from './support/tools.ts';

const model = buildModel(luoSchema);

describe('docs: luo.rst', () => {
  it('builds with sphinx-build -W, with a table per struct and every changelog pair', async () => {
    const rst = (await emitDocs(model)).find((f) => f.path === 'docs/luo.rst')!.content;
    const dir = scratchDir('docs-rst');
    const source = join(dir, 'source');
    const build = join(dir, 'build');
    mkdirSync(source);
    writeFileSync(join(source, 'conf.py'), "project = 'luo-abi'\nextensions = []\nmaster_doc = 'index'\n");
    writeFileSync(join(source, 'index.rst'), rst);

    const result = run('sphinx-build', ['-W', '--keep-going', '-b', 'html', '-q', source, build]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);

    const html = readFileSync(join(build, 'index.html'), 'utf8');
    expect(html).not.toContain('system-message');
    const text = html.replace(/<[^>]+>/g, '').replace(/&#8217;/g, "'");
    for (const version of model.versions) {
      for (const struct of version.structs) {
        expect(text).toContain(`${version.name}: ${struct.kind} ${struct.name}`);
        // Every field's name appears as a literal in the built tables.
        for (const field of struct.fields) expect(html).toContain(`<span class="pre">${field.name}</span>`);
      }
    }
    const tables = html.match(/<table/g) ?? [];
    const expectedTables = model.versions.reduce((sum, v) => sum + v.structs.length + 2, 0);
    expect(tables.length).toBe(expectedTables);
    for (const [i, newer] of model.versions.slice(1).entries()) expect(text).toContain(`${model.versions[i]!.name} to ${newer.name}`);
  });
});
