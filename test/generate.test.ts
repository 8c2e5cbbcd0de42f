import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateFiles } from '../generator/generate.ts';
import { buildModel } from '../generator/model/index.ts';
import { commands } from '../generator/cli/commands/index.ts';
import luoSchema from '../schema/index.ts';
import { luoHeader } from '../schema/luo/index.ts';
import { luoAbi, ROOT, run, runOk, scratchDir } from './support/tools.ts';

function schemaCopy(edit: (structs: string) => string): string {
  const dir = scratchDir('schema-copy');
  cpSync(join(ROOT, 'schema'), join(dir, 'schema'), { recursive: true });
  const structs = join(dir, 'schema/luo/structs.ts');
  const before = readFileSync(structs, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(structs, after);
  return join(dir, 'schema/index.ts');
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

  it('--check passes on the committed out/', () => {
    const result = luoAbi(['generate', '--check']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('--check fails after a documentation edit to the schema, naming each stale header, and writes nothing', () => {
    const schema = schemaCopy((s) => s.replace("'Token userspace gave the file when it preserved it.'", "'The token of the file.'"));
    const before = readFileSync(join(ROOT, 'out/include/linux/kho/abi/luo.h'), 'utf8');
    const result = luoAbi(['generate', '--check', '--schema', schema]);
    expect(result.status).toBe(1);
    // That luo_file_ser is in every version but the first and luo-v5 (whose own spells the address as a KHOSER union).
    for (const v of luoHeader.versions.filter((v) => v.name !== 'luo-v1-session-v1' && v.name !== 'luo-v5')) {
      expect(result.stderr).toContain(`stale: out/luo/${v.name}/luo.h`);
    }
    expect(result.stderr).not.toContain('luo-v1-session-v1/luo.h');
    expect(readFileSync(join(ROOT, 'out/include/linux/kho/abi/luo.h'), 'utf8')).toBe(before);
  });

  it('--check fails after a layout edit and names missing and extra files', () => {
    const out = scratchDir('out');
    expect(luoAbi(['generate', '--out', out]).status).toBe(0);
    writeFileSync(join(out, 'leftover.h'), '');
    const schema = schemaCopy((s) => s.replace("token: field(u64,", "token: field(u32,").replace('  u64,\n', '  u32,\n  u64,\n'));
    const result = luoAbi(['generate', '--check', '--out', out, '--schema', schema]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('luo/luo-v2/luo.h');
    expect(result.stderr).toMatch(/extra: .*leftover\.h/);
  });

  it('--check fails when the marker records the digests of other inputs, and generate brings it back in step', () => {
    const out = scratchDir('out');
    expect(luoAbi(['generate', '--out', out]).status).toBe(0);
    expect(luoAbi(['generate', '--check', '--out', out]).status).toBe(0);
    const marker = join(out, '.luo-abi-generated');
    writeFileSync(marker, readFileSync(marker, 'utf8').replace(/^inputs [0-9a-f]+$/m, `inputs ${'0'.repeat(64)}`));
    const stale = luoAbi(['generate', '--check', '--out', out]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/stale: .*\.luo-abi-generated records the digests of other inputs/);
    expect(luoAbi(['generate', '--out', out]).status).toBe(0);
    expect(luoAbi(['generate', '--check', '--out', out]).status).toBe(0);
  });

  it('replaces the output directory as a whole, dropping files no longer generated', () => {
    const out = scratchDir('out');
    expect(luoAbi(['generate', '--out', out]).status).toBe(0);
    writeFileSync(join(out, 'stale.h'), 'old');
    expect(luoAbi(['generate', '--out', out]).status).toBe(0);
    expect(existsSync(join(out, 'stale.h'))).toBe(false);
    expect(existsSync(join(out, 'include/linux/kho/abi/luo.h'))).toBe(true);
  });

  it('refuses to replace a directory it did not write', () => {
    const out = scratchDir('foreign');
    mkdirSync(join(out, 'src'));
    writeFileSync(join(out, 'src/main.c'), 'int main(void) { return 0; }\n');
    const result = luoAbi(['generate', '--out', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/holds files luo-abi did not write/);
    expect(readFileSync(join(out, 'src/main.c'), 'utf8')).toMatch(/int main/);
  });
});

describe('the luo-abi command', () => {
  it('runs from any folder, with --help for itself and every subcommand', () => {
    const elsewhere = scratchDir('cwd');
    const top = luoAbi(['--help'], { cwd: elsewhere });
    expect(top.status).toBe(0);
    for (const command of commands) {
      expect(top.stdout).toContain(command.name);
      const help = luoAbi([command.name, '--help'], { cwd: elsewhere });
      expect(help.status, command.name).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: luo-abi ${command.name}`));
    }
  });

  it('works after npm install of the packed package (npx luo-abi)', () => {
    const dir = scratchDir('install');
    const packed = runOk('npm', ['pack', ROOT, '--silent', '--pack-destination', dir], { cwd: dir }).stdout.trim();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed)], { cwd: dir });
    const npx = run('npx', ['--no-install', 'luo-abi', 'generate', '--out', 'gen'], { cwd: dir });
    expect(npx.stderr).toBe('');
    expect(npx.status).toBe(0);
    expect(readFileSync(join(dir, 'gen/include/linux/kho/abi/luo.h'), 'utf8')).toBe(readFileSync(join(ROOT, 'out/include/linux/kho/abi/luo.h'), 'utf8'));
  }, 120_000);

  it('exits 2 on an unknown command or option', () => {
    expect(luoAbi(['frobnicate']).status).toBe(2);
    const bad = luoAbi(['generate', '--frob']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--frob'/);
  });
});
