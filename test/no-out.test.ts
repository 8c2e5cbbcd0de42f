/**
 * The generator does not depend on its own output: nothing in generator/, bin/ or schema/ imports
 * out/, and encode, decode and generate run from a copy of the project that has no out/ at all.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeImage, stateToJson } from '../generator/image/index.ts';
import { expectedState, version } from './image-fixtures.ts';
import { ROOT, run, scratchDir } from './support/tools.ts';

const SOURCES = ['generator', 'bin', 'schema'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : /\.(ts|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('the generator without its output', () => {
  it('imports nothing from out/ (static and dynamic imports, every source file)', () => {
    const out = join(ROOT, 'out');
    const files = SOURCES.flatMap((dir) => sourceFiles(join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const specifier of specifiers.filter((s) => s.startsWith('.'))) {
        const target = resolve(dirname(file), specifier);
        expect(relative(out, target).startsWith('..'), `${relative(ROOT, file)} imports ${specifier}`).toBe(true);
      }
    }
  });

  it('encodes, decodes and generates from a copy of the project with no out/', () => {
    const dir = scratchDir('no-out');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const name of [...SOURCES, 'templates', 'package.json']) cpSync(join(ROOT, name), join(dir, name), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    expect(existsSync(join(dir, 'out'))).toBe(false);

    const state = expectedState('luo-v4', { sessions: 3, filesMod: 4, flbs: 1 });
    const expected = encodeImage(version('luo-v4'), state, { base: 0x100000n });
    writeFileSync(join(dir, 'state.json'), stateToJson(state));
    const cli = (...args: string[]) => run(process.execPath, [join(dir, 'bin/luo-abi.mjs'), ...args], { cwd: dir });

    const encoded = cli('encode', 'state.json', '--fdt-out', 'luo.dtb', '--mem-out', 'luo.mem', '--mem-base', '0x100000');
    expect(encoded.stderr).toBe('');
    expect(encoded.status).toBe(0);
    expect(readFileSync(join(dir, 'luo.dtb'))).toEqual(Buffer.from(expected.fdt!));
    expect(readFileSync(join(dir, 'luo.mem'))).toEqual(Buffer.from(expected.memory));

    const decoded = cli('decode', '--fdt', 'luo.dtb', '--mem', 'luo.mem', '--mem-base', '0x100000');
    expect(decoded).toEqual({ status: 0, stdout: stateToJson(state) + '\n', stderr: '' });
    expect(existsSync(join(dir, 'out'))).toBe(false);

    // And generate makes out/ there, the same files as the project's.
    const generated = cli('generate');
    expect(generated.stderr).toBe('');
    expect(generated.status).toBe(0);
    for (const name of ['luo/luo-v4.js', 'luo/luo-v4.d.ts', 'memfd/memfd-v2.js', 'runtime.js', 'index.d.ts', 'package.json', '../include/linux/kho/abi/luo.h']) {
      expect(readFileSync(join(dir, 'out/ts', name), 'utf8')).toBe(readFileSync(join(ROOT, 'out/ts', name), 'utf8'));
    }
  });
});
