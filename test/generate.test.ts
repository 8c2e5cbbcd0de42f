import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputError } from '../generator/core/errors.ts';
import { generateFiles } from '../generator/generate.ts';
import { buildModel } from '../generator/model/index.ts';
import { commands } from '../generator/cli/commands/index.ts';
import { MARKER, writeAtomically } from '../generator/write.ts';
import luoSchema from '../schema/index.ts';
import { luoHeader } from '../schema/luo/index.ts';
import { cli, scratch } from './support/cli.ts';
import { luoAbi, ROOT, thrown } from './support/tools.ts';

const { dir, remove } = scratch('generate');
afterAll(remove);
let made = 0;
/** A fresh directory inside this file's scratch directory. */
const fresh = (name: string) => {
  const path = join(dir, `${name}-${made++}`);
  mkdirSync(path);
  return path;
};

function schemaCopy(edit: (structs: string) => string): string {
  const copy = fresh('schema-copy');
  cpSync(join(ROOT, 'schema'), join(copy, 'schema'), { recursive: true });
  const structs = join(copy, 'schema/luo/structs.ts');
  const before = readFileSync(structs, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(structs, after);
  return join(copy, 'schema/index.ts');
}

describe('luo-abi generate', () => {
  it('gives byte-identical files twice in a row', async () => {
    const first = await generateFiles(buildModel(luoSchema));
    const second = await generateFiles(buildModel(luoSchema));
    expect(second).toEqual(first);
  });

  it('writes each header\'s current version where a kernel tree has it, and every version of every header', async () => {
    const files = await generateFiles(buildModel(luoSchema));
    const paths = files.map((f) => f.path);
    const current = ['kexec_handover', 'block', 'compat', 'luo'].map((h) => `include/linux/kho/abi/${h}.h`);
    expect(paths).toEqual(expect.arrayContaining([...current, ...luoHeader.versions.map((v) => `luo/${v.name}/luo.h`), 'block/block-v0/block.h', 'block/block-v1/block.h']));
    const content = (p: string) => files.find((f) => f.path === p)!.content;
    expect(content('include/linux/kho/abi/luo.h')).toBe(content('luo/luo-v5+block-v1/luo.h'));
    expect(content('luo/luo-v2/luo.h')).toMatch(/#define LUO_FDT_COMPATIBLE\t+"luo-v2"/);
  });

  it('--check passes on the committed out/', async () => {
    const result = await cli('generate', '--check');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('--check fails after a documentation edit to the schema, naming each stale header, and writes nothing', async () => {
    const schema = schemaCopy((s) => s.replace("'Token userspace gave the file when it preserved it.'", "'The token of the file.'"));
    const before = readFileSync(join(ROOT, 'out/include/linux/kho/abi/luo.h'), 'utf8');
    const result = await cli('generate', '--check', '--schema', schema);
    expect(result.status).toBe(1);
    // That luo_file_ser is in every version but the first and luo-v5 (whose own spells the address as a KHOSER union).
    for (const v of luoHeader.versions.filter((v) => v.name !== 'luo-v1-session-v1' && v.name !== 'luo-v5')) {
      expect(result.stderr).toContain(`stale: out/luo/${v.name}/luo.h`);
    }
    expect(result.stderr).not.toContain('luo-v1-session-v1/luo.h');
    expect(readFileSync(join(ROOT, 'out/include/linux/kho/abi/luo.h'), 'utf8')).toBe(before);
  });

  it('--check fails after a layout edit and names missing and extra files', async () => {
    const out = join(fresh('out'), 'out');
    expect((await cli('generate', '--out', out)).status).toBe(0);
    writeFileSync(join(out, 'leftover.h'), '');
    const schema = schemaCopy((s) => s.replace('token: field(u64,', 'token: field(u32,').replace('  u64,\n', '  u32,\n  u64,\n'));
    const result = await cli('generate', '--check', '--out', out, '--schema', schema);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('luo/luo-v2/luo.h');
    expect(result.stderr).toMatch(/extra: .*leftover\.h/);
  });

  it('--check fails when the marker records the digests of other inputs, and generate brings it back in step', async () => {
    const out = join(fresh('out'), 'out');
    expect((await cli('generate', '--out', out)).status).toBe(0);
    expect((await cli('generate', '--check', '--out', out)).status).toBe(0);
    const marker = join(out, MARKER);
    writeFileSync(marker, readFileSync(marker, 'utf8').replace(/^inputs [0-9a-f]+$/m, `inputs ${'0'.repeat(64)}`));
    const stale = await cli('generate', '--check', '--out', out);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/stale: .*\.luo-abi-generated records the digests of other inputs/);
    expect((await cli('generate', '--out', out)).status).toBe(0);
    expect((await cli('generate', '--check', '--out', out)).status).toBe(0);
  });

  it('replaces the output directory as a whole, dropping files no longer generated', async () => {
    const out = join(fresh('out'), 'out');
    expect((await cli('generate', '--out', out)).status).toBe(0);
    writeFileSync(join(out, 'stale.h'), 'old');
    expect((await cli('generate', '--out', out)).status).toBe(0);
    expect(existsSync(join(out, 'stale.h'))).toBe(false);
    expect(existsSync(join(out, 'include/linux/kho/abi/luo.h'))).toBe(true);
  });

  it('refuses to replace a directory it did not write', async () => {
    const out = fresh('foreign');
    mkdirSync(join(out, 'src'));
    writeFileSync(join(out, 'src/main.c'), 'int main(void) { return 0; }\n');
    const result = await cli('generate', '--out', out);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/holds files luo-abi did not write/);
    expect(readFileSync(join(out, 'src/main.c'), 'utf8')).toMatch(/int main/);
  });

  it('an --out beneath a file, or a file given to --check --out, is an error (exit 2) that says so', async () => {
    const file = join(fresh('file'), 'a-file');
    writeFileSync(file, 'not a directory');
    const beneath = await cli('generate', '--out', join(file, 'sub'));
    expect(beneath).toMatchObject({ status: 2, stdout: '' });
    expect(beneath.stderr).toMatch(/^luo-abi generate: cannot make .*a-file\/sub: .*a-file is a file, not a directory\n$/);
    const check = await cli('generate', '--check', '--out', file);
    expect(check.status).toBe(2);
    expect(check.stderr).toMatch(/^luo-abi generate: .*a-file is not a directory; --out names the directory of generated files\n$/);
  });
});

describe('writing out/ all or nothing', () => {
  const files = [
    { path: 'luo.h', content: 'header\n' },
    { path: 'docs/luo.md', content: 'docs\n' },
  ];

  it('where a directory cannot be made (/proc), fails at once instead of retrying forever', () => {
    const started = Date.now();
    const error = thrown(OutputError, () => writeAtomically('/proc/luo-abi-test-x', files));
    expect(error.message).toMatch(/^cannot make the directory \/proc\/luo-abi-test-x\.tmp-\d+: no such file or directory \(ENOENT\)$/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('clears what a killed run left beside out/, and brings back an out/ killed between its two renames', () => {
    const parent = fresh('killed');
    const out = join(parent, 'out');
    writeAtomically(out, files);
    // A run (no longer running: pid 2^22 + 1 is above Linux's pid_max) killed while writing, and one killed after moving out/ aside.
    const dead = 4194305;
    mkdirSync(join(parent, `out.tmp-${dead}`));
    writeFileSync(join(parent, `out.tmp-${dead}`, 'half.h'), '');
    writeAtomically(out, files);
    expect(readdirSync(parent)).toEqual(['out']);

    cpSync(out, join(parent, `out.old-${dead}`), { recursive: true });
    writeFileSync(join(parent, `out.old-${dead}`, 'luo.h'), 'the last complete out/\n');
    rmSync(out, { recursive: true });
    // The next write starts by bringing it back: a write that then fails leaves it in place.
    const clash = [{ path: 'a', content: '' }, { path: 'a/b', content: '' }];
    thrown(OutputError, () => writeAtomically(out, clash));
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readFileSync(join(out, 'luo.h'), 'utf8')).toBe('the last complete out/\n');
  });

  it('leaves directories of a run still going alone', () => {
    const parent = fresh('running');
    const out = join(parent, 'out');
    const running = join(parent, `out.tmp-${process.ppid}`);
    mkdirSync(running);
    writeAtomically(out, files);
    expect(existsSync(running)).toBe(true);
  });
});

describe('the luo-abi command', () => {
  it('runs from any folder, with --help for itself and every subcommand', async () => {
    const elsewhere = fresh('cwd');
    const top = luoAbi(['--help'], { cwd: elsewhere });
    expect(top.status).toBe(0);
    for (const command of commands) {
      expect(top.stdout).toContain(command.name);
      const help = await cli(command.name, '--help');
      expect(help.status, command.name).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: luo-abi ${command.name}`));
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await cli('frobnicate')).status).toBe(2);
    const bad = await cli('generate', '--frob');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--frob'/);
  });
});
