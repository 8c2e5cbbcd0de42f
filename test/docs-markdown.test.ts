/**
 * out/docs/luo.md against the model and the checker's comparison: every version's struct tables list
 * exactly the model's fields (offset, size, C type, name), every constant and property is there with
 * its value, each struct names the compatible string that guards it, and the changelog lists exactly
 * what diffVersions finds between consecutive versions.
 *
 * The expected C type of a field is the one the generated header declares (the C emitter's
 * spelling, which test/c-header.test.ts compiles with gcc): the docs must show what the header says.
 */
import { describe, expect, it } from 'vitest';
import { diffVersions } from '../generator/check/diff.ts';
import { emitDocs } from '../generator/emit/docs/index.ts';
import { allNodes, buildModel, type VersionModel } from '../generator/model/index.ts';
import { luoSchema } from '../schema/index.ts';
import { cTypeText } from '../generator/emit/c/declarator.ts';

const model = buildModel(luoSchema);
const files = await emitDocs(model);
const markdown = files.find((f) => f.path === 'docs/luo.md')!.content;


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

function versionHeading(version: VersionModel): string {
  return `## Version \`${version.name}\`${version.name === model.current.name ? ' (current)' : ''}`;
}

describe('docs: luo.md', () => {
  it('has a section for every version, oldest first, and marks the current one', () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('## Version '));
    expect(headings).toEqual(model.versions.map(versionHeading));
    expect(headings.filter((h) => h.endsWith('(current)'))).toEqual([`## Version \`luo-v4\` (current)`]);
  });

  for (const version of model.versions) {
    describe(version.name, () => {
      const body = section(markdown, versionHeading(version));
      const structsPart = section(body.join('\n'), `### \`${version.name}\`: structs`);

      it('has one table per struct, in declaration order, with exactly its fields', () => {
        const headings = structsPart.filter((line) => line.startsWith('#### '));
        expect(headings).toEqual(version.structs.map((s) => `#### \`${s.kind} ${s.name}\` (${s.size} bytes)`));
        for (const struct of version.structs) {
          const lines = section(structsPart.join('\n'), `#### \`${struct.kind} ${struct.name}\` (${struct.size} bytes)`);
          const rows = firstTable(lines).map(([offset, size, type, name]) => [Number(offset), Number(size), type, name]);
          expect(rows, `${version.name} struct ${struct.name}`).toEqual(struct.fields.map((f) => [f.offset, f.size, cTypeText(f.type), f.name]));
        }
      });

      it('says which compatible string guards each struct', () => {
        for (const struct of version.structs) {
          const lines = section(structsPart.join('\n'), `#### \`${struct.kind} ${struct.name}\` (${struct.size} bytes)`);
          const guard = version.guards.find((g) => g.macro === struct.guard)!;
          expect(lines.find((line) => line.startsWith('Guarded by '))).toContain(`Guarded by \`${guard.macro}\` (\`"${guard.value}"\`)`);
        }
        const compatibility = section(body.join('\n'), `### \`${version.name}\`: compatibility`).filter((line) => line.startsWith('- '));
        expect(compatibility).toHaveLength(version.guards.length);
        version.guards.forEach((guard, i) => {
          const line = plain(compatibility[i]!);
          expect(line).toContain(`${guard.macro} = "${guard.value}", on node ${guard.node}`);
          for (const property of guard.properties) expect(line).toContain(property);
          for (const struct of guard.structs) expect(line).toContain(`struct ${struct}`);
        });
      });

      it('lists every constant with its value and every FDT property', () => {
        const constants = firstTable(section(body.join('\n'), `### \`${version.name}\`: constants`));
        expect(constants.map(([name, value, definedIn]) => [name, value, definedIn])).toEqual(
          version.constants.map((c) => [c.name, c.c, c.include ?? 'this header']),
        );
        const properties = firstTable(section(body.join('\n'), `### \`${version.name}\`: FDT layout`));
        expect(properties.map(([node, name, macro]) => [node, name, macro])).toEqual(
          allNodes(version.fdt.root).flatMap((n) => [[n.path, 'compatible', n.compatible.macro], ...n.properties.map((p) => [n.path, p.name, p.macro])]),
        );
      });
    });
  }

  it('lists exactly what diffVersions finds between each pair of consecutive versions', () => {
    const changelog = section(markdown, '## Changelog');
    const pairs = changelog.filter((line) => line.startsWith('### '));
    expect(pairs).toEqual(model.versions.slice(1).map((v, i) => `### \`${model.versions[i]!.name}\` → \`${v.name}\``));
    model.versions.slice(1).forEach((newer, i) => {
      const older = model.versions[i]!;
      const items = section(changelog.join('\n'), pairs[i]!).filter((line) => line.startsWith('- '));
      const changes = diffVersions(older, newer);
      expect(changes.length, `${older.name} -> ${newer.name}`).toBeGreaterThan(0);
      expect(items).toHaveLength(changes.length);
      changes.forEach((change, j) => {
        const item = plain(items[j]!.replace(/^- \*\*(.*?)\*\*/, '- $1'));
        expect(item.startsWith(`- ${change.kind} ${change.subject}: ${change.summary}`), item).toBe(true);
      });
    });
  });

  it('shows the luo-v4 ABI break, which changes no layout, as a pointer-target change', () => {
    const last = section(section(markdown, '## Changelog').join('\n'), '### `luo-v3` → `luo-v4`').join('\n');
    expect(last).toContain('**pointer-target** `struct luo_file_set_ser > files`');
  });
});
