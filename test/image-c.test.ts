/**
 * Against C and libfdt: test/c/image/luo_image.c, compiled with the generated luo.h of each version,
 * builds an image the way the kernel does and checks one through libfdt. Our decoder must return
 * exactly what it wrote; what our encoder writes must pass its checks, byte for byte the same image.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PhysicalMemory, decodeImage, encodeImage, stateToJson } from '../generator/image/index.ts';
import { buildImageTool, expectedState, luo, toolArgs, version, type Content } from './image-fixtures.ts';
import { luoAbi, run, runOk, scratchDir } from './support/tools.ts';

const BASE = 0x4000_0000n;

/** Per version: enough sessions for several session blocks where they chain, files for several file blocks in luo-v4. */
const CONTENT: Record<string, Content> = {
  'luo-v1-session-v1': { sessions: 700, filesMod: 0, flbs: 0 },
  'luo-v1': { sessions: 300, filesMod: 7, flbs: 5 },
  'luo-v2': { sessions: 260, filesMod: 129, flbs: 70 },
  'luo-v3': { sessions: 1700, filesMod: 3, flbs: 3 },
  'luo-v4': { sessions: 30, filesMod: 400, flbs: 2 },
};

/** Each version's program is compiled once for the whole file. */
const tools = new Map<string, string>();
function toolFor(name: string): string {
  let tool = tools.get(name);
  if (!tool) tools.set(name, (tool = buildImageTool(name, scratchDir(`image-c-${name}`))));
  return tool;
}

describe.each(Object.keys(CONTENT))('%s against luo_image.c and libfdt', (name) => {
  const content = CONTENT[name]!;
  let dir: string;
  let tool: string;

  beforeAll(() => {
    dir = scratchDir(`image-c-${name}`);
    tool = toolFor(name);
  });

  const decodeFiles = (fdt: string, mem: string) =>
    decodeImage(luo.versions, new Uint8Array(readFileSync(fdt)), new PhysicalMemory([{ base: BASE, bytes: new Uint8Array(readFileSync(mem)) }]));

  it('decodes the image the C program built as the kernel does', () => {
    const fdt = join(dir, 'c.dtb');
    const mem = join(dir, 'c.mem');
    runOk(tool, ['build', ...toolArgs(fdt, mem, BASE, content)]);
    expect(decodeFiles(fdt, mem).state).toEqual(expectedState(name, content));
  });

  it('writes an image the C program reads back field by field through libfdt', () => {
    const image = encodeImage(version(name), expectedState(name, content), { base: BASE });
    const fdt = join(dir, 'ours.dtb');
    const mem = join(dir, 'ours.mem');
    writeFileSync(fdt, image.fdt!);
    writeFileSync(mem, image.memory);
    expect(runOk(tool, ['check', ...toolArgs(fdt, mem, BASE, content)]).stdout).toBe('ok\n');
  });

  it('lays the image out exactly as the C program does', () => {
    const image = encodeImage(version(name), expectedState(name, content), { base: BASE });
    expect(Buffer.from(image.fdt!).equals(readFileSync(join(dir, 'c.dtb')))).toBe(true);
    expect(Buffer.from(image.memory).equals(readFileSync(join(dir, 'c.mem')))).toBe(true);
  });
});

describe.each(['luo-v1', 'luo-v2', 'luo-v3', 'luo-v4'])('%s: the C check is not a rubber stamp', (name) => {
  it('fails when one file token differs', () => {
    const dir = scratchDir(`image-c-bad-${name}`);
    const tool = toolFor(name);
    const content = CONTENT[name]!;
    const state = structuredClone(expectedState(name, content));
    findFirstFiles(state.root)[0]!.token = 999999n;
    const image = encodeImage(version(name), state, { base: BASE });
    writeFileSync(join(dir, 'bad.dtb'), image.fdt!);
    writeFileSync(join(dir, 'bad.mem'), image.memory);
    const result = run(tool, ['check', ...toolArgs(join(dir, 'bad.dtb'), join(dir, 'bad.mem'), BASE, content)]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/file token \[\d+\]\[0\]: 0xf423f, expected/);
  });
});

/** The first non-empty files array in a state, found by walking it. */
function findFirstFiles(value: unknown): Record<string, unknown>[] {
  const pending = [value];
  while (pending.length > 0) {
    const item = pending.shift();
    if (Array.isArray(item)) pending.push(...item);
    else if (item && typeof item === 'object') {
      const files = (item as Record<string, unknown>).files;
      if (Array.isArray(files) && files.length > 0) return files as Record<string, unknown>[];
      pending.push(...Object.values(item));
    }
  }
  throw new Error('no files in the state');
}

describe('the decode and encode commands, with stdin, on a C-built luo-v3 image', () => {
  const content: Content = { sessions: 830, filesMod: 3, flbs: 2 };
  let dir: string;

  beforeAll(() => {
    dir = scratchDir('image-c-cli');
    runOk(toolFor('luo-v3'), ['build', ...toolArgs(join(dir, 'c.dtb'), join(dir, 'c.mem'), BASE, content)]);
  });

  it('encode reads the state from stdin and writes the bytes the C program wrote', () => {
    const encoded = luoAbi(['encode', '-', '--fdt-out', join(dir, 'cli.dtb'), '--mem-out', join(dir, 'cli.mem'), '--mem-base', String(BASE)], {
      input: stateToJson(expectedState('luo-v3', content)),
    });
    expect(encoded.stderr).toBe('');
    expect(encoded.status).toBe(0);
    expect(readFileSync(join(dir, 'cli.dtb')).equals(readFileSync(join(dir, 'c.dtb')))).toBe(true);
    expect(readFileSync(join(dir, 'cli.mem')).equals(readFileSync(join(dir, 'c.mem')))).toBe(true);
  });

  it('decode reads the FDT from stdin and prints a tree for people', () => {
    const result = luoAbi(['decode', '--fdt', '-', '--mem', join(dir, 'c.mem'), '--mem-base', `0x${BASE.toString(16)}`, '--format', 'tree'], {
      input: readFileSync(join(dir, 'c.dtb')),
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('/ (compatible "luo-v3")');
    expect(result.stdout).toContain('sessions_pa: 830 entries');
    expect(result.stdout).toContain('name: "session-829"');
    expect(result.stdout).toContain(`0x${BASE.toString(16)}      24 bytes  luo_ser  (/luo-abi-header)`);
  });
});
