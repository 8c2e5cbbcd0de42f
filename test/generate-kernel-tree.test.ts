/**
 * `luo-abi generate --kernel-tree PATH`: the newest header written into a kernel tree at
 * include/linux/kho/abi/, and nothing else; a header luo-abi did not write, or one edited by hand since,
 * is refused with the diff of what would change (--force takes it); `--check` is kernel CI's
 * regenerate-and-diff. Run in process, as a user runs the command.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copySchema, edit } from './check-support.ts';
import { FIXTURES, fixtureText, HEADER } from './kernel-fixtures.ts';
import { OUT, runOk, scratchDir } from './support/tools.ts';
import { cli } from './support/cli.ts';

/** A kernel tree holding the fixture's hand-written luo-v4 header. */
function handWrittenTree(): string {
  const tree = scratchDir('kernel-tree');
  cpSync(join(FIXTURES, 'common'), tree, { recursive: true });
  cpSync(join(FIXTURES, 'luo-v4'), tree, { recursive: true });
  return tree;
}

/** Every file of the tree with its content, but one. */
function filesBut(tree: string, except: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (relative(tree, path) !== except) found.set(relative(tree, path), readFileSync(path, 'utf8'));
    }
  };
  walk(tree);
  return found;
}

/**
 * What the tree must hold: the committed out/luo.h with the seal after the line that says how to
 * regenerate it, the seal being the first 16 hex digits of the SHA-256 of out/luo.h.
 */
function expectedHeader(generated = readFileSync(join(OUT, 'luo.h'), 'utf8')): string {
  const seal = createHash('sha256').update(generated).digest('hex').slice(0, 16);
  const regenerate = ' * Regenerate: npx luo-abi generate --kernel-tree <path of the kernel tree>\n';
  expect(generated).toContain(regenerate);
  return generated.replace(regenerate, `${regenerate} * luo-abi seal: ${seal}\n`);
}

const generate = (...args: string[]) => cli('generate', ...args);

describe('generate --kernel-tree', () => {
  it('refuses to replace a hand-written luo.h: exit 1, the diff shown, nothing written; --force writes it', async () => {
    const tree = handWrittenTree();
    const before = filesBut(tree, '');
    const refused = await generate('--kernel-tree', tree);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(
      `${relative(process.cwd(), join(tree, HEADER))} was not written by luo-abi (it has no luo-abi seal); not overwritten\n` +
        'The diff above is what would change; nothing was written. Run again with --force to replace it.\n',
    );
    expect(refused.stdout).toMatch(/^--- a\/include\/linux\/kho\/abi\/luo\.h\n\+\+\+ b\/include\/linux\/kho\/abi\/luo\.h\n@@ /);
    expect(refused.stdout).toContain('-#define LUO_FDT_SIZE\t\t\\\n-\tPAGE_SIZE\n');
    expect(filesBut(tree, '')).toEqual(before);

    // The diff is a real patch: applied to a copy of the tree, it gives what --force writes.
    const copy = scratchDir('kernel-tree-patched');
    cpSync(tree, copy, { recursive: true });
    runOk('patch', ['-p1', '--quiet'], { cwd: copy, input: refused.stdout });

    const forced = await generate('--kernel-tree', tree, '--force');
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toBe(`wrote ${relative(process.cwd(), join(tree, HEADER))}\n`);
    expect(readFileSync(join(tree, HEADER), 'utf8')).toBe(expectedHeader());
    expect(readFileSync(join(copy, HEADER), 'utf8')).toBe(expectedHeader());
    // Nothing else in the tree was touched: the uapi header, block.h, the ioctl headers.
    expect(filesBut(tree, HEADER)).toEqual(new Map([...before].filter(([path]) => path !== HEADER)));
  });

  it('rewrites a header it wrote before without --force, and a second run changes nothing', async () => {
    const tree = handWrittenTree();
    // An older luo-abi run: the same tool with a schema whose newest version was luo-v3.
    const older = copySchema('kernel-tree-schema');
    edit(older, 'luo/index.ts', "current: 'luo-v4',", "current: 'luo-v3',");
    expect((await generate('--kernel-tree', tree, '--force', '--schema', older.schemaPath)).status).toBe(0);
    expect(readFileSync(join(tree, HEADER), 'utf8')).toBe(expectedHeader(readFileSync(join(OUT, 'luo-v3/luo.h'), 'utf8')));

    const rewritten = await generate('--kernel-tree', tree);
    expect(rewritten.status, rewritten.stderr).toBe(0);
    expect(readFileSync(join(tree, HEADER), 'utf8')).toBe(expectedHeader());
    const again = await generate('--kernel-tree', tree);
    expect(again).toMatchObject({ status: 0, stdout: `${relative(process.cwd(), join(tree, HEADER))}: up to date\n`, stderr: '' });
    expect(readFileSync(join(tree, HEADER), 'utf8')).toBe(expectedHeader());
    // What it wrote is what check --header reads as luo-v4.
    const checked = await cli('check', '--header', join(tree, HEADER));
    expect(checked.stdout).toMatch(/no ABI drift against schema version luo-v4\n$/);
  });

  it('refuses a header it wrote that was edited by hand since', async () => {
    const tree = handWrittenTree();
    await generate('--kernel-tree', tree, '--force');
    const path = join(tree, HEADER);
    const edited = readFileSync(path, 'utf8').replace(' * struct luo_ser - ', ' * struct luo_ser - Edited: ');
    writeFileSync(path, edited);
    const refused = await generate('--kernel-tree', tree);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('was changed by hand since luo-abi wrote it (its luo-abi seal no longer matches); not overwritten\n');
    expect(refused.stdout).toContain('- * struct luo_ser - Edited: ');
    expect(readFileSync(path, 'utf8')).toBe(edited);
    expect((await generate('--kernel-tree', tree, '--force')).status).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(expectedHeader());
  });

  it('--check: exit 0 when the tree has exactly what the schema gives, 1 with the diff otherwise; writes nothing', async () => {
    const tree = handWrittenTree();
    const handWritten = await generate('--kernel-tree', tree, '--check');
    expect(handWritten.status).toBe(1);
    expect(handWritten.stderr).toContain('was not written by luo-abi (it has no luo-abi seal)\n');
    expect(handWritten.stdout).toMatch(/^--- a\/include\/linux\/kho\/abi\/luo\.h\n/);
    expect(readFileSync(join(tree, HEADER), 'utf8')).toBe(fixtureText('luo-v4'));

    await generate('--kernel-tree', tree, '--force');
    const clean = await generate('--kernel-tree', tree, '--check');
    expect(clean).toMatchObject({ status: 0, stdout: `${relative(process.cwd(), join(tree, HEADER))}: up to date\n`, stderr: '' });

    writeFileSync(join(tree, HEADER), expectedHeader().replace('\tu64 token;\n', '\tu64 token;\n\tu64 flags;\n'));
    const dirty = await generate('--kernel-tree', tree, '--check');
    expect(dirty.status).toBe(1);
    expect(dirty.stdout).toContain('\n \tu64 token;\n-\tu64 flags;\n } __packed;\n');
    expect(dirty.stderr).toContain('was changed by hand since luo-abi wrote it');

    rmSync(join(tree, HEADER));
    const missing = await generate('--kernel-tree', tree, '--check');
    expect(missing.status).toBe(1);
    expect(missing.stdout).toMatch(/^--- \/dev\/null\n\+\+\+ b\/include\/linux\/kho\/abi\/luo\.h\n/);
    expect(missing.stderr).toContain(`${relative(process.cwd(), join(tree, HEADER))} is missing\n`);
    expect(existsSync(join(tree, HEADER))).toBe(false);
  });

  it('into a tree without include/linux/kho/abi/ yet, makes the directory; a path that is no kernel tree is an error', async () => {
    const tree = scratchDir('kernel-tree-bare');
    mkdirSync(join(tree, 'include/linux'), { recursive: true });
    expect((await generate('--kernel-tree', tree)).status).toBe(0);
    expect(readdirSync(join(tree, 'include/linux/kho/abi'))).toEqual(['luo.h']);

    const notKernel = scratchDir('kernel-tree-not');
    const refused = await generate('--kernel-tree', notKernel);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(`luo-abi generate: --kernel-tree ${notKernel}: not a kernel tree (it has no include/ directory)\n`);
    expect(readdirSync(notKernel)).toEqual([]);
    const both = await generate('--kernel-tree', tree, '--out', notKernel);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--out and --kernel-tree are two destinations; give one');
    expect((await generate('--force')).stderr).toContain('--force applies to --kernel-tree only');
  });
});
