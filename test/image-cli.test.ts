/**
 * luo-abi decode and encode as a user runs them, in process (main() with stdout and stderr caught):
 * exit 0, 1 for a bad image or state, 2 for a bad command line, and messages that say what to fix.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../generator/cli/main.ts';
import { encodeImage, stateToJson } from '../generator/image/index.ts';
import { expectedState, version } from './image-fixtures.ts';
import { scratchDir } from './support/tools.ts';

const BASE = 0x20_0000n;
const state = expectedState('luo-v4', { sessions: 4, filesMod: 3, flbs: 2 });

/** Run luo-abi in process; what it printed and its exit code. */
async function luoAbi(...args: string[]) {
  const out: Buffer[] = [];
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(Buffer.from(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const status = await main(args);
    return { status, stdout: Buffer.concat(out).toString('utf8'), stderr, bytes: Buffer.concat(out) };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('luo-abi decode and encode', () => {
  let dir: string;
  let fdt: string;
  let mem: string;

  beforeAll(() => {
    dir = scratchDir('image-cli');
    const image = encodeImage(version('luo-v4'), state, { base: BASE });
    fdt = join(dir, 'luo.dtb');
    mem = join(dir, 'luo.mem');
    writeFileSync(fdt, image.fdt);
    writeFileSync(mem, image.memory);
    writeFileSync(join(dir, 'state.json'), stateToJson(state));
  });

  afterEach(() => vi.restoreAllMocks());

  it('decode prints the state as JSON', async () => {
    const result = await luoAbi('decode', '--fdt', fdt, '--mem', mem, '--mem-base', '0x200000');
    expect(result).toMatchObject({ status: 0, stdout: stateToJson(state) + '\n', stderr: '' });
  });

  it('encode writes the FDT and memory that decode reads back', async () => {
    const out = (name: string) => join(dir, name);
    const result = await luoAbi('encode', out('state.json'), '--fdt-out', out('again.dtb'), '--mem-out', out('again.mem'), '--mem-base', String(BASE));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`luo-v4: FDT 146 bytes, memory ${readFileSync(mem).length} bytes at 0x200000\n`);
    expect(readFileSync(out('again.dtb')).equals(readFileSync(fdt))).toBe(true);
    expect(readFileSync(out('again.mem')).equals(readFileSync(mem))).toBe(true);
  });

  it('encode writes the FDT to stdout and reports on stderr', async () => {
    const result = await luoAbi('encode', join(dir, 'state.json'), '--fdt-out', '-', '--mem-out', join(dir, 'stdout.mem'), '--mem-base', '0x200000');
    expect(result.status).toBe(0);
    expect(result.bytes.equals(readFileSync(fdt))).toBe(true);
    expect(result.stderr).toMatch(/^luo-v4: FDT 146 bytes, memory \d+ bytes at 0x200000\n$/);
  });

  it('decode takes several memory regions', async () => {
    const bytes = readFileSync(mem);
    writeFileSync(join(dir, 'low.mem'), bytes.subarray(0, 0x1000));
    writeFileSync(join(dir, 'high.mem'), bytes.subarray(0x1000));
    const result = await luoAbi('decode', '--fdt', fdt, '--mem', join(dir, 'high.mem'), '--mem-base', '0x201000', '--mem', join(dir, 'low.mem'), '--mem-base', '0x200000');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(stateToJson(state)));
  });

  it('a bad image exits 1 and says where', async () => {
    const result = await luoAbi('decode', '--fdt', fdt, '--mem', mem, '--mem-base', '0x300000');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^luo-abi decode: bad image: \/luo-abi-header: physical address 0x200000 is not in memory \(memory holds 0x300000\.\./);
    const notFdt = await luoAbi('decode', '--fdt', mem, '--mem', mem, '--mem-base', '0x200000');
    // The memory starts with luo_ser.liveupdate_num, 41 in little-endian.
    expect(notFdt).toMatchObject({ status: 1, stderr: 'luo-abi decode: bad image: FDT header (offset 0): magic is 0x29000000, not 0xd00dfeed\n' });
  });

  it('a state that cannot be encoded exits 1 and says where', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ version: 'luo-v4', root: { properties: { 'luo-abi-header': { liveupdate_num: 'x' } } } }));
    const result = await luoAbi('encode', join(dir, 'bad.json'), '--fdt-out', join(dir, 'x.dtb'), '--mem-out', join(dir, 'x.mem'), '--mem-base', '0');
    expect(result).toMatchObject({
      status: 1,
      stderr: 'luo-abi encode: cannot encode: state.root.properties["luo-abi-header"].liveupdate_num: must be an integer, as a decimal string such as "42" (got "x")\n',
    });
    writeFileSync(join(dir, 'broken.json'), '{');
    expect((await luoAbi('encode', join(dir, 'broken.json'), '--fdt-out', '-', '--mem-out', join(dir, 'x.mem'), '--mem-base', '0')).stderr).toMatch(
      /^luo-abi encode: cannot encode: state: is not JSON: /,
    );
  });

  it.each([
    [['decode'], 'decode: --fdt FILE is required'],
    [['decode', '--fdt', 'x', '--mem', 'm'], 'decode: give one --mem-base for each --mem (1 --mem, 0 --mem-base)'],
    [['decode', '--fdt', 'x', '--format', 'xml'], 'decode: --format must be json or tree, not "xml"'],
    [['decode', '--fdt', '-', '--mem', '-', '--mem-base', '0'], 'decode: only one input can be stdin ("-")'],
    [['decode', '--fdt', 'x', '--mem', 'm', '--mem-base', '12k'], '"12k" is not a physical address (decimal or 0x hexadecimal, below 2^64)'],
    [['decode', '--fdt', 'x', '--page-size', '1000'], '--page-size must be a power of two of at least 256, not "1000"'],
    [['decode', '--fdt', '/nonexistent/luo.dtb'], 'cannot read /nonexistent/luo.dtb: '],
    [['decode', '--frobnicate'], 'decode: Unknown option \'--frobnicate\''],
    [['encode', 'a.json'], 'encode: --fdt-out FILE, --mem-out FILE and --mem-base ADDR are required'],
    [['encode', 'a.json', 'b.json'], 'encode: expected one STATE.json, got 2'],
    [['encode', 'a.json', '--fdt-out', '-', '--mem-out', '-', '--mem-base', '0'], 'encode: only one output can be stdout ("-")'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const result = await luoAbi(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(`Run \`luo-abi ${args[0]} --help\` for usage.`);
  });

  it.each(['decode', 'encode'])('%s --help explains every option', async (name) => {
    const result = await luoAbi(name, '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: luo-abi ${name} `));
    for (const option of name === 'decode' ? ['--fdt', '--mem', '--mem-base', '--format', '--big-endian', '--page-size'] : ['--fdt-out', '--mem-out', '--mem-base', '--big-endian', '--packed', '--fdt-size']) {
      expect(result.stdout).toContain(option);
    }
  });

  it('both are listed in luo-abi --help', async () => {
    const result = await luoAbi('--help');
    expect(result.stdout).toMatch(/\n {2}decode +decode a LUO handover image/);
    expect(result.stdout).toMatch(/\n {2}encode +build a LUO handover image/);
  });
});
