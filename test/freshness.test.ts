/**
 * The shortcut `luo-abi check` takes for out/: generate records a digest of its inputs and of the
 * files it wrote, and out/ counts as up to date only while both match. Any change to out/ or to an
 * input sends the check back to regenerating and comparing file by file.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSchema } from '../generator/check/run.ts';
import { generateFiles } from '../generator/generate.ts';
import { filesDigest, inputsDigest, recordLines, recordedFresh } from '../generator/freshness.ts';
import { buildModel } from '../generator/model/index.ts';
import { MARKER, writeAtomically } from '../generator/write.ts';
import luoSchema from '../schema/index.ts';
import { OUT, scratchDir } from './support/tools.ts';

const files = [
  { path: 'luo.h', content: '/* a header */\n' },
  { path: 'docs/luo.md', content: '# docs\n' },
];

describe('recordedFresh', () => {
  const recorded = () => {
    const out = join(scratchDir('fresh'), 'out');
    writeAtomically(out, files, recordLines('a'.repeat(64), files));
    return out;
  };

  it('holds right after generate wrote the files from these inputs', () => {
    expect(recordedFresh(recorded(), 'a'.repeat(64))).toBe(true);
  });

  it('fails for other inputs, an edited, added or removed file, or no record at all', () => {
    expect(recordedFresh(recorded(), 'b'.repeat(64))).toBe(false);
    const edited = recorded();
    appendFileSync(join(edited, 'luo.h'), ' ');
    expect(recordedFresh(edited, 'a'.repeat(64))).toBe(false);
    const added = recorded();
    writeFileSync(join(added, 'extra.h'), '');
    expect(recordedFresh(added, 'a'.repeat(64))).toBe(false);
    const removed = recorded();
    rmSync(join(removed, 'docs/luo.md'));
    expect(recordedFresh(removed, 'a'.repeat(64))).toBe(false);
    const unrecorded = join(scratchDir('fresh-none'), 'out');
    writeAtomically(unrecorded, files);
    expect(recordedFresh(unrecorded, 'a'.repeat(64))).toBe(false);
  });

  it('digests files by path and content, whatever their order', () => {
    expect(filesDigest([...files].reverse())).toBe(filesDigest(files));
    expect(filesDigest([{ ...files[0]!, path: 'other.h' }, files[1]!])).not.toBe(filesDigest(files));
  });
});

describe('inputsDigest', () => {
  it('changes with any file under generator/, templates/ or schema/ (the lock file aside), or with package-lock.json, and with nothing else', () => {
    const root = scratchDir('inputs');
    for (const dir of ['generator/emit', 'templates/c', 'schema', 'test']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'generator/emit/a.ts'), 'a');
    writeFileSync(join(root, 'templates/c/b.hbs'), 'b');
    writeFileSync(join(root, 'schema/c.ts'), 'c');
    writeFileSync(join(root, 'package-lock.json'), '{}');
    let last = inputsDigest(root);
    const changes: [string, string][] = [
      ['generator/emit/a.ts', 'a2'],
      ['templates/c/b.hbs', 'b2'],
      ['schema/c.ts', 'c2'],
      ['schema/new.ts', 'new'],
      ['package-lock.json', '{"v":2}'],
    ];
    for (const [path, content] of changes) {
      writeFileSync(join(root, path), content);
      const now = inputsDigest(root);
      expect(now, path).not.toBe(last);
      last = now;
    }
    writeFileSync(join(root, 'test/x.test.ts'), 'not an input');
    writeFileSync(join(root, 'schema/abi.lock.json'), '{"read by": "check and lock, not by generate"}');
    writeFileSync(join(root, 'schema/.c.ts.swp'), 'an editor\'s');
    expect(inputsDigest(root)).toBe(last);
  });

  it('is what the committed out/ records, so that `luo-abi check` in CI skips regenerating', () => {
    expect(readFileSync(join(OUT, MARKER), 'utf8')).toContain(`inputs ${inputsDigest()}\n`);
    expect(recordedFresh(OUT, inputsDigest())).toBe(true);
  });
});

describe('check with a recorded out/', () => {
  it('still reports a file edited by hand (generated-out-stale)', async () => {
    const out = join(scratchDir('fresh-check'), 'out');
    const generated = await generateFiles(buildModel(luoSchema));
    writeAtomically(out, generated, recordLines(inputsDigest(), generated));
    // But the note the schema acknowledges (kho-v2 kept its string when blob-size came), nothing.
    const problems = async () => (await checkSchema({ outDir: out })).findings.filter((f) => f.severity !== 'note');
    expect(await problems()).toEqual([]);
    appendFileSync(join(out, 'include/linux/kho/abi/luo.h'), '\n');
    expect((await problems()).map((f) => `${f.rule} ${f.subject}`)).toEqual([expect.stringMatching(/^LUO007 .*out\/include\/linux\/kho\/abi\/luo\.h$/)]);
  });
});
