/**
 * luo-abi decode and encode as a user runs them, in process (main() with stdout and stderr caught):
 * exit 0, 1 for a bad image or state, 2 for a bad command line or an output that cannot be written,
 * messages that say what to fix, and outputs written all or nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhysicalMemory, decodeImage, encodeImage, formatTree, stateToJson } from '../generator/image/index.ts';
import { expectedState, model, version } from './image-fixtures.ts';
import { allVersions } from '../generator/model/index.ts';
import { cli, scratch } from './support/cli.ts';
import { ROOT } from './support/tools.ts';

const BASE = 0x20_0000n;
const state = expectedState('luo-v4', { sessions: 4, filesMod: 3, flbs: 2 });
const { dir, remove } = scratch('image-cli');
afterAll(remove);
const at = (name: string) => join(dir, name);

describe('luo-abi decode and encode', () => {
  let fdt: string;
  let mem: string;

  beforeAll(() => {
    const image = encodeImage(version('luo-v4'), state, { base: BASE });
    fdt = at('luo.dtb');
    mem = at('luo.mem');
    writeFileSync(fdt, image.fdt!);
    writeFileSync(mem, image.memory);
    writeFileSync(at('state.json'), stateToJson(state));
  });

  it('decode prints the state as JSON.stringify would, written as the walk goes', async () => {
    const result = await cli('decode', '--fdt', fdt, '--mem', mem, '--mem-base', '0x200000');
    // stateToJson is JSON.stringify with 64-bit integers as strings: the platform's text, not ours.
    expect(result).toMatchObject({ status: 0, stdout: stateToJson(state) + '\n', stderr: '' });
  });

  it('decode --format tree prints the state for people, and the blocks read', async () => {
    const result = await cli('decode', '--fdt', fdt, '--mem', mem, '--mem-base', '0x200000', '--format', 'tree');
    expect(result.status).toBe(0);
    // Session i has (13 i) % 3 files; file j of session i holds data 2^63 | i << 20 | j, token 1000 i + j.
    expect(result.stdout.split('\n').slice(0, 20)).toEqual([
      'version luo-v4',
      '/ (compatible "luo-v4")',
      '  luo-abi-header:',
      '    liveupdate_num: 41 (0x29)',
      '    sessions_pa: 4 entries',
      '      [0]:',
      '        name: "session-0"',
      '        file_set_ser:',
      '          files: none',
      '          count: 0',
      '      [1]:',
      '        name: "session-1"',
      '        file_set_ser:',
      '          files: 1 entry',
      '            [0]:',
      '              compatible: "fh-1-0"',
      '              data: 9223372036855824384 (0x8000000000100000)',
      '              token: 1000 (0x3e8)',
      '          count: 1',
      '      [2]:',
    ]);
    // Streamed from the walk (chain lengths counted by the first walk), as from the state in memory.
    const decoded = decodeImage(allVersions(model), readFileSync(fdt), new PhysicalMemory([{ base: BASE, bytes: readFileSync(mem) }]));
    expect(result.stdout).toBe(formatTree(decoded));
    // luo_ser, one session block, the file blocks of sessions 1 and 2, the FLB block.
    expect(result.stdout).toMatch(/\n\nmemory read: 5 blocks, \d+ bytes\n {2}0x200000 {6}24 bytes {2}luo_ser {2}\(\/luo-abi-header\)\n/);
  });

  it('encode writes the FDT and memory that decode reads back', async () => {
    const result = await cli('encode', at('state.json'), '--fdt-out', at('again.dtb'), '--mem-out', at('again.mem'), '--mem-base', String(BASE));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`luo-v4: FDT 146 bytes, memory ${readFileSync(mem).length} bytes at 0x200000\n`);
    expect(readFileSync(at('again.dtb')).equals(readFileSync(fdt))).toBe(true);
    expect(readFileSync(at('again.mem')).equals(readFileSync(mem))).toBe(true);
  });

  it('encode writes the FDT to stdout and reports on stderr', async () => {
    const result = await cli('encode', at('state.json'), '--fdt-out', '-', '--mem-out', at('stdout.mem'), '--mem-base', '0x200000');
    expect(result.status).toBe(0);
    expect(result.bytes.equals(readFileSync(fdt))).toBe(true);
    expect(result.stderr).toMatch(/^luo-v4: FDT 146 bytes, memory \d+ bytes at 0x200000\n$/);
  });

  it('decode takes several memory regions', async () => {
    const bytes = readFileSync(mem);
    writeFileSync(at('low.mem'), bytes.subarray(0, 0x1000));
    writeFileSync(at('high.mem'), bytes.subarray(0x1000));
    const result = await cli('decode', '--fdt', fdt, '--mem', at('high.mem'), '--mem-base', '0x201000', '--mem', at('low.mem'), '--mem-base', '0x200000');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(stateToJson(state)));
  });

  it('a bad image exits 1, says where, and prints nothing on stdout', async () => {
    const result = await cli('decode', '--fdt', fdt, '--mem', mem, '--mem-base', '0x300000');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^luo-abi decode: bad image: \/luo-abi-header: physical address 0x200000 is not in memory \(memory holds 0x300000\.\./);
    const notFdt = await cli('decode', '--fdt', mem, '--mem', mem, '--mem-base', '0x200000');
    // The memory starts with luo_ser.liveupdate_num, 41 in little-endian.
    expect(notFdt).toMatchObject({ status: 1, stdout: '', stderr: 'luo-abi decode: bad image: FDT header (offset 0): magic is 0x29000000, not 0xd00dfeed\n' });
    // A session's name cut short of its NUL is found deep in the walk, after the FDT and luo_ser: still nothing printed.
    const bytes = readFileSync(mem);
    const name = bytes.indexOf('session-3');
    const broken = Buffer.from(bytes);
    broken.fill(0x41, name, name + 64);
    writeFileSync(at('broken.mem'), broken);
    const late = await cli('decode', '--fdt', fdt, '--mem', at('broken.mem'), '--mem-base', '0x200000');
    expect(late).toMatchObject({ status: 1, stdout: '' });
    expect(late.stderr).toMatch(/^luo-abi decode: bad image: \/luo-abi-header -> luo_ser\.sessions_pa -> block 0 -> entry 3: /);
  });

  it.each([
    ['a decimal string, a 0x string and a JSON number up to 2^53', ['"41"', '"0x29"', '41', '9007199254740992'], true],
    ['a number past 2^53, named exactly', ['18446744073709551615'], '18446744073709551615 is a JSON number past 2^53, which JSON readers round; write it as a string: "18446744073709551615"'],
    ['a fraction', ['1.5'], 'must be an integer, as a decimal string such as "42" (got 1.5)'],
    ['an exponent', ['4e1'], 'must be an integer, as a decimal string such as "42" (got 4e1)'],
    ['a string that is not a number', ['"x"'], 'must be an integer, as a decimal string such as "42" (got "x")'],
  ])('a 64-bit integer in the state: %s', async (_what, texts, outcome) => {
    for (const text of texts) {
      const json = stateToJson(state).replace('"liveupdate_num": "41"', `"liveupdate_num": ${text}`);
      writeFileSync(at('int.json'), json);
      const result = await cli('encode', at('int.json'), '--fdt-out', at('int.dtb'), '--mem-out', at('int.mem'), '--mem-base', '0x200000');
      if (outcome === true) {
        expect(result.status, text).toBe(0);
      } else {
        expect(result).toMatchObject({ status: 1, stderr: `luo-abi encode: cannot encode: state.root.properties["luo-abi-header"].liveupdate_num: ${outcome}\n` });
      }
    }
  });

  it('a state that cannot be encoded exits 1 and says where: the JSON path, or the line and column', async () => {
    const cases: [string, string][] = [
      [JSON.stringify({ version: 'luo-v4', root: { properties: { 'luo-abi-header': { liveupdate_num: 'x' } } } }), 'state.root.properties["luo-abi-header"].liveupdate_num: must be an integer, as a decimal string such as "42" (got "x")'],
      ['{', 'state: is not JSON: the text ends before the JSON value does'],
      ['', 'state: is not JSON: there is no JSON value'],
      ['{"version": "luo-v4",\n  "root": ]', 'state: is not JSON: line 2, column 11: "]" where a value was expected'],
      ['{"version": "luo-v4",\n  "root" 5', 'state: is not JSON: line 2, column 10: a value where ":" was expected'],
      [`${stateToJson(state)}\n1`, `state: is not JSON: line ${stateToJson(state).split('\n').length + 1}, column 1: more text after the JSON value`],
      ['{"root": {}, "version": "luo-v4"}', 'state: "version" must come before "root" (as `luo-abi decode` writes it): it says how to read the rest'],
      ['{"version": "luo-v4", "version": "luo-v4"}', 'state: has "version" twice'],
      ['{"version": "luo-v4", "root": {"properties": {}}}', 'state.root.properties["luo-abi-header"]: is missing'],
    ];
    for (const [text, message] of cases) {
      writeFileSync(at('bad.json'), text);
      const result = await cli('encode', at('bad.json'), '--fdt-out', at('x.dtb'), '--mem-out', at('x.mem'), '--mem-base', '0');
      expect(result, text).toMatchObject({ status: 1, stdout: '', stderr: `luo-abi encode: cannot encode: ${message}\n` });
      expect(existsSync(at('x.dtb')) || existsSync(at('x.mem'))).toBe(false);
    }
  });

  describe('encode writes both outputs or neither', () => {
    const leftovers = () => readdirSync(dir).filter((name) => name.includes('.tmp-'));

    it.each([
      ['--fdt-out is a directory', () => ['--fdt-out', mkdirAt('out-dir'), '--mem-out', at('n1.mem')], at('n1.mem'), '--fdt-out', 'is a directory; give a file name'],
      ['--mem-out is in a missing directory', () => ['--fdt-out', at('n2.dtb'), '--mem-out', at('missing/m.mem')], at('n2.dtb'), '--mem-out', 'the directory'],
      ['--mem-out is /dev/full', () => ['--fdt-out', at('n3.dtb'), '--mem-out', '/dev/full'], at('n3.dtb'), '--mem-out', 'cannot write --mem-out /dev/full: no space left on device (ENOSPC); nothing was written'],
    ])('%s: exit 2, nothing written', async (_what, outputs, other, option, message) => {
      const result = await cli('encode', at('state.json'), ...outputs(), '--mem-base', '0x200000');
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`luo-abi encode: `);
      expect(result.stderr).toContain(option);
      expect(result.stderr).toContain(message);
      expect(existsSync(other)).toBe(false);
      expect(leftovers()).toEqual([]);
    });

    it('a failed encode leaves files that were there as they were', async () => {
      writeFileSync(at('kept.dtb'), 'old fdt');
      const result = await cli('encode', at('state.json'), '--fdt-out', at('kept.dtb'), '--mem-out', '/dev/full', '--mem-base', '0x200000');
      expect(result.status).toBe(2);
      expect(readFileSync(at('kept.dtb'), 'utf8')).toBe('old fdt');
      expect(leftovers()).toEqual([]);
    });
  });

  // Every version of the family that hands over state: in an FDT, or as the raw struct of a KHO entry.
  const withState = allVersions(model).filter((v) => v.container?.kind === 'fdt' || v.container?.kind === 'kho-entry');
  it.each(withState.map((v) => [v.name, v.container!.kind]))('encode --example %s (%s) prints a state that encodes, and decodes back to itself', async (name, kind) => {
    const example = await cli('encode', '--example', name);
    expect(example.status).toBe(0);
    const json = JSON.parse(example.stdout) as { version: string };
    expect(json.version).toBe(name);
    writeFileSync(at(`example-${name}.json`), example.stdout);
    const memory = ['--mem', at('ex.mem'), '--mem-base', '0x200000'];
    if (kind === 'fdt') {
      const encoded = await cli('encode', at(`example-${name}.json`), '--fdt-out', at('ex.dtb'), '--mem-out', at('ex.mem'), '--mem-base', '0x200000');
      expect(encoded.stderr).toBe('');
      const decoded = await cli('decode', '--fdt', at('ex.dtb'), ...memory);
      // Decoded, the counts the example leaves to encode are there too; everything it gives comes back.
      expect(JSON.parse(decoded.stdout)).toMatchObject(json);
    } else {
      const encoded = await cli('encode', at(`example-${name}.json`), '--mem-out', at('ex.mem'), '--mem-base', '0x200000');
      const entry = new RegExp(`^${name.replace('+', '\\+')}: raw KHO entry at (0x[0-9a-f]+), memory \\d+ bytes at 0x200000\n$`).exec(encoded.stdout);
      expect(entry, encoded.stdout + encoded.stderr).not.toBeNull();
      const decoded = await cli('decode', '--at', entry![1]!, ...memory);
      const state = JSON.parse(decoded.stdout) as { version: string };
      const sharing = allVersions(model).filter((v) => v.container?.kind === 'kho-entry' && !v.container.compatible && v.features?.carrier.struct === v.container.struct);
      if (sharing.length > 1 && sharing.some((v) => v.name === name)) {
        // Feature forms of one entry have no string to tell them apart: the bytes read as the newest,
        // which writes them back byte for byte.
        expect(state.version).toBe(sharing.at(-1)!.name);
        writeFileSync(at(`decoded-${name}.json`), decoded.stdout);
        const again = await cli('encode', at(`decoded-${name}.json`), '--mem-out', at('ex2.mem'), '--mem-base', '0x200000');
        expect(again.stdout.split(': ')[1]).toBe(encoded.stdout.split(': ')[1]);
        expect(readFileSync(at('ex2.mem')).equals(readFileSync(at('ex.mem')))).toBe(true);
      } else {
        expect(state).toMatchObject(json);
      }
    }
  });

  it('encode --example of a version that hands over no state of its own is a usage error', async () => {
    const result = await cli('encode', '--example', 'block-v1');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^luo-abi encode: --example: block-v1 hands over no state of its own .*; versions with state: kho-v1, /);
    // A handler's state travels inside LUO's: no example of its own either.
    const handler = await cli('encode', '--example', 'memfd-features');
    expect(handler.status).toBe(2);
    expect(handler.stderr).toMatch(/^luo-abi encode: --example: memfd-features is a file handler's state, which travels inside another version's \(at luo_file_ser\.data\); ask for the example of a version that holds it: kho-v1, /);
  });

  it('a raw entry whose compatible field names another version is refused; left out, encode writes the version\'s', async () => {
    const state = JSON.parse((await cli('encode', '--example', 'luo-v5')).stdout) as { entry: Record<string, unknown> };
    writeFileSync(at('other.json'), JSON.stringify({ ...state, entry: { ...state.entry, compatible: 'luo-v9' } }));
    const refused = await cli('encode', at('other.json'), '--mem-out', at('o.mem'), '--mem-base', '0x200000');
    expect(refused).toMatchObject({ status: 1, stderr: 'luo-abi encode: cannot encode: state.entry.compatible: is "luo-v9" but luo-v5 has "luo-v5"\n' });
    const { compatible: _left, ...rest } = state.entry;
    writeFileSync(at('left.json'), JSON.stringify({ ...state, entry: rest }));
    const written = await cli('encode', at('left.json'), '--mem-out', at('l.mem'), '--mem-base', '0x200000');
    const pa = /entry at (0x[0-9a-f]+)/.exec(written.stdout)![1]!;
    expect(JSON.parse((await cli('decode', '--at', pa, '--mem', at('l.mem'), '--mem-base', '0x200000')).stdout).entry.compatible).toBe('luo-v5');
  });

  it('the example state in the README encodes', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /luo-abi encode --example luo-v4\n```\n\n```json\n([\s\S]*?)\n```/.exec(readme);
    expect(block, 'README: the example after `luo-abi encode --example luo-v4`').not.toBeNull();
    writeFileSync(at('readme.json'), block![1]!);
    const result = await cli('encode', at('readme.json'), '--fdt-out', at('readme.dtb'), '--mem-out', at('readme.mem'), '--mem-base', '0x100000000');
    expect(result).toMatchObject({ status: 0, stderr: '' });
  });

  it.each([
    [['decode'], 'give one of --kho FILE, --fdt FILE or --at ADDR'],
    [['decode', '--fdt', 'x', '--page-size', '1000'], '--page-size must be one of 4096, 16384, 65536 (the page sizes KHO runs on), not "1000"'],
    [['decode', '--at', '0x12k'], '--at "0x12k" is not a physical address (decimal or 0x hexadecimal, below 2^64)'],
    [['decode', '--fdt', 'x', '--mem-base', '0', '--mem', 'm'], '--mem-base 0 comes before any --mem: give it after the raw dump it is the base address of'],
    [['decode', '--fdt', 'x', '--mem', 'm', '--mem-base', '0', '--mem-base', '0x1000'], '--mem m is given two --mem-base (0 and 0x1000); give one'],
    [['decode', '--fdt', 'x', '--format', 'xml'], '--format must be json or tree, not "xml"'],
    [['decode', '--fdt', '-', '--mem', '-', '--mem-base', '0'], 'only one input can be stdin ("-")'],
    [['decode', '--fdt', 'x', '--mem', 'm', '--mem-base', '12k'], '--mem-base "12k" is not a physical address (decimal or 0x hexadecimal, below 2^64)'],
    [['decode', '--fdt', 'x', '--fdt', 'y'], '--fdt is given twice; give it once'],
    [['decode', '--fdt', ''], '--fdt needs a value, not an empty string'],
    [['decode', '--fdt', '/nonexistent/luo.dtb'], '--fdt: cannot read /nonexistent/luo.dtb: no such file or directory (ENOENT)'],
    [['decode', '--frobnicate'], "Unknown option '--frobnicate'"],
    [['encode', 'a.json'], '--mem-out FILE and --mem-base ADDR are required'],
    [['encode', '--example', 'luo-v4', 'a.json'], '--example VERSION takes no other argument but --schema'],
    [['encode', 'a.json', 'b.json'], 'expected one STATE.json, got 2'],
    [['encode', 'a.json', '--fdt-out', '-', '--mem-out', '-', '--mem-base', '0'], 'only one output can be stdout ("-")'],
    [['encode', 'a.json', '--fdt-out', 'f', '--mem-out', 'm', '--mem-base', '0', '--mem-base', '0'], '--mem-base is given twice; give it once'],
    [['encode', '/nonexistent/state.json', '--fdt-out', 'f', '--mem-out', 'm', '--mem-base', '0'], 'cannot read /nonexistent/state.json: no such file or directory (ENOENT)'],
    [['encode', '--example', 'luo-v9'], '--example: "luo-v9" is not a version; known: kho-v1, kho-v2, kho-v2+blob-size, kho-v4, block-v0, block-v1, compat, luo-v1-session-v1, luo-v1-session-v2, luo-v1, luo-v2, luo-v3, luo-v4, luo-v5, luo-v5+block-v1, luo-features, luo-features-named, memfd-v1, memfd-v2+seals-bitfield, memfd-v2, memfd-features, memblock-v1'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const result = await cli(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`luo-abi ${args[0]}: ${message}\nRun \`luo-abi ${args[0]} --help\` for usage.\n`);
  });

  // The page sizes KHO runs on, and no other: 2^32 + 256 passes a 32-bit `x & (x - 1)` test, 8192 is a power of two.
  it.each(['1000', '2048', '8192', '2147483648', '4294967552', '0x1000', '99999999999999999999'])('--page-size %s is refused by decode and encode', async (size) => {
    for (const args of [
      ['decode', '--fdt', fdt, '--mem', mem, '--mem-base', '0x200000'],
      ['encode', at('state.json'), '--fdt-out', at('p.dtb'), '--mem-out', at('p.mem'), '--mem-base', '0x200000'],
    ]) {
      const result = await cli(...args, '--page-size', size);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`--page-size must be one of 4096, 16384, 65536 (the page sizes KHO runs on), not "${size}"`);
    }
    expect(existsSync(at('p.dtb'))).toBe(false);
  });

  it('--page-size 16384 lays blocks out on 16 KiB pages, and decode needs the same size', async () => {
    const result = await cli('encode', at('state.json'), '--fdt-out', at('16k.dtb'), '--mem-out', at('16k.mem'), '--mem-base', '0x200000', '--page-size', '16384');
    expect(result.status).toBe(0);
    const decoded = await cli('decode', '--fdt', at('16k.dtb'), '--mem', at('16k.mem'), '--mem-base', '0x200000', '--page-size', '16384');
    expect(decoded.stdout).toBe(stateToJson(state) + '\n');
  });

  it.each(['decode', 'encode'])('%s --help explains every option', async (name) => {
    const result = await cli(name, '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: luo-abi ${name} `));
    for (const option of name === 'decode' ? ['--fdt', '--mem', '--mem-base', '--format', '--big-endian', '--page-size'] : ['--fdt-out', '--mem-out', '--mem-base', '--big-endian', '--packed', '--fdt-size', '--example']) {
      expect(result.stdout).toContain(option);
    }
  });

  it('both are listed in luo-abi --help', async () => {
    const result = await cli('--help');
    expect(result.stdout).toMatch(/\n {2}decode +decode a handover \(KHO's root FDT/);
    expect(result.stdout).toMatch(/\n {2}encode +build a handover image/);
  });
});

function mkdirAt(name: string): string {
  mkdirSync(at(name), { recursive: true });
  return at(name);
}
