/**
 * `luo-abi decode --header NAME`, in process: the state the image starts with (KHO's root FDT, a
 * client's FDT, a raw KHO entry) is read as a version of header NAME only. A string of another
 * header's is a bad image (exit 1) that names whose it is; a header the schema lacks, or one no
 * version of which the given option reads, is a usage error (exit 2).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImage as encodeVersion, type FdtImageState, type ImageState } from '../generator/image/index.ts';
import { exampleState } from '../generator/image/example.ts';
import { familyAt } from './handover-fixtures.ts';
import { cli, scratch } from './support/cli.ts';

const BASE = 0x40_0000n;
const base = `0x${BASE.toString(16)}`;
const { dir, remove } = scratch('decode-header');
afterAll(remove);
const at = (name: string) => join(dir, name);
const family = familyAt(12);
const versionNamed = (name: string) => family.find((v) => v.name === name)!;
const exampleStateFor = (name: string) => exampleState(versionNamed(name));
const encodeImage = (name: string, state: ImageState, memoryBase: bigint) => encodeVersion(versionNamed(name), state, { base: memoryBase, family });

/** Files of three images: a luo-v4 FDT, a luo-v5+block-v1 raw entry, a whole handover from KHO's root. */
const files = { luoFdt: at('luo.dtb'), luoFdtMem: at('luo.mem'), entryMem: at('entry.mem'), kho: at('kho.dtb'), khoMem: at('kho.mem') };
let entryPa: string;

beforeAll(() => {
  const v4 = encodeImage('luo-v4', exampleStateFor('luo-v4'), BASE);
  writeFileSync(files.luoFdt, v4.fdt!);
  writeFileSync(files.luoFdtMem, v4.memory);
  const luoV5 = exampleStateFor('luo-v5+block-v1');
  const v5 = encodeImage('luo-v5+block-v1', luoV5, BASE);
  entryPa = `0x${v5.entryPa!.toString(16)}`;
  writeFileSync(files.entryMem, v5.memory);
  const handover: FdtImageState = {
    version: 'kho-v4',
    root: {
      compatible: 'kho-v4',
      properties: { 'preserved-memory-map': [] },
      children: {
        LUO: { properties: { 'preserved-data': luoV5 as never }, children: {} },
        memblock: { properties: { 'preserved-data': exampleStateFor('memblock-v1') as never }, children: {} },
      },
    },
  };
  const whole = encodeImage('kho-v4', handover, BASE);
  writeFileSync(files.kho, whole.fdt!);
  writeFileSync(files.khoMem, whole.memory);
});

const decode = (...args: string[]) => cli('decode', ...args);
const parsed = (stdout: string) => JSON.parse(stdout) as { version: string; entry?: unknown; root?: { compatible: string; children: Record<string, { properties: Record<string, { version: string }> }> } };

describe('decode --header NAME decodes what starts as a version of NAME', () => {
  /** The state of `args` decoded with --header NAME: exit 0, and what decode prints without --header. */
  async function sameAsWithout(name: string, args: string[]): Promise<string> {
    const result = await decode('--header', name, ...args);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toBe((await decode(...args)).stdout);
    return result.stdout;
  }

  it('--at: a raw entry of header luo', async () => {
    const stdout = await sameAsWithout('luo', ['--at', entryPa, '--mem', files.entryMem, '--mem-base', base]);
    expect(parsed(stdout)).toMatchObject({ version: 'luo-v5+block-v1', entry: { compatible: 'luo-v5;block-v1' } });
  });

  it('--fdt: a client FDT of header luo', async () => {
    const stdout = await sameAsWithout('luo', ['--fdt', files.luoFdt, '--mem', files.luoFdtMem, '--mem-base', base]);
    expect(parsed(stdout)).toMatchObject({ version: 'luo-v4', root: { compatible: 'luo-v4' } });
  });

  it('--kho: the root as header kexec_handover, the clients it leads to of their own headers', async () => {
    const state = parsed(await sameAsWithout('kexec_handover', ['--kho', files.kho, '--mem', files.khoMem, '--mem-base', base]));
    expect(state.version).toBe('kho-v4');
    expect(state.root!.children['LUO']!.properties['preserved-data']!.version).toBe('luo-v5+block-v1');
    expect(state.root!.children['memblock']!.properties['preserved-data']!.version).toBe('memblock-v1');
  });
});

describe('a string of another header is a bad image: exit 1, nothing on stdout, whose string it is', () => {
  it.each([
    ['LUO\'s FDT', 'memblock', 'luo', 'luo-v4 of header luo'],
    ['LUO\'s FDT', 'kexec_handover', 'luo', 'luo-v4 of header luo'],
    ['KHO\'s root FDT', 'memblock', 'kho', 'kho-v4 of header kexec_handover'],
  ] as const)('--fdt: %s read as header %s', async (_what, header, image, whose) => {
    const [fdt, mem] = image === 'luo' ? [files.luoFdt, files.luoFdtMem] : [files.kho, files.khoMem];
    const result = await decode('--header', header, '--fdt', fdt, '--mem', mem, '--mem-base', base);
    const [version, owner] = whose.split(' of ');
    expect(result).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `luo-abi decode: bad image: /compatible: holds the string of ${version}, a version of ${owner}, not of header ${header}\n`,
    });
  });

  it('--at: a string no version has is listed against the versions of NAME alone', async () => {
    const bad = at('bad-entry.mem');
    const bytes = readFileSync(files.entryMem);
    const offset = Number(BigInt(entryPa) - BASE);
    bytes.set(new TextEncoder().encode('luo-v9;block-v1'), offset);
    writeFileSync(bad, bytes);
    const result = await decode('--header', 'luo', '--at', entryPa, '--mem', bad, '--mem-base', base);
    expect(result).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `luo-abi decode: bad image: ${entryPa}: the entry's compatible string names no known version: "luo-v9;b" where luo-v5 has "luo-v5"; "luo-v9;block-v1" where luo-v5+block-v1 has "luo-v5;block-v1"; nor a feature header of luo-features-named (bits 0x460942000a01 are required or active but not supported)\n`,
    });
  });
});

describe('a header that cannot be the start is a usage error: exit 2, nothing on stdout, what would do', () => {
  const usage = (message: string) => ({ status: 2, stdout: '', stderr: `luo-abi decode: ${message}\nRun \`luo-abi decode --help\` for usage.\n` });
  const entry = () => ['--at', entryPa, '--mem', files.entryMem, '--mem-base', base];

  it('a name the schema does not have lists the headers it has', async () => {
    expect(await decode('--header', 'lou', ...entry())).toMatchObject(usage('--header: the schema has no header "lou"; its headers: kexec_handover, block, compat, luo, memfd, memblock'));
  });

  it('a header none of whose versions the option reads names the options that do', async () => {
    expect(await decode('--header', 'luo', '--kho', files.kho, '--mem', files.khoMem, '--mem-base', base)).toMatchObject(
      usage('--header luo: no version of header luo is read with --kho; its versions are read with --fdt or --at'),
    );
    expect(await decode('--header', 'kexec_handover', ...entry())).toMatchObject(
      usage('--header kexec_handover: no version of header kexec_handover is read with --at; its versions are read with --kho or --fdt'),
    );
  });

  it('a header whose state is only reached from another\'s says to decode that one', async () => {
    expect(await decode('--header', 'memfd', ...entry())).toMatchObject(
      usage('--header memfd: no version of header memfd keeps a state decode can start from (each is reached from another header\'s state); decode the state that leads to it, without --header'),
    );
  });
});
