/**
 * Against dtc and fdtdump: what we write, they read and show with the nodes and properties the kernel
 * writes; what dtc compiles from source, we read, and decode as a handover image.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFdt, writeFdt } from '../generator/fdt/index.ts';
import { PhysicalMemory, decodeImage, encodeImage, type ImageState } from '../generator/image/index.ts';
import { luo, version } from './image-fixtures.ts';
import { runOk, scratchDir } from './support/tools.ts';

const BASE = 0x4000_0000n;

/** How dtc shows 8 raw little-endian bytes: two big-endian cells. */
function cellsOfLittleEndian(value: bigint): string {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  const view = new DataView(bytes.buffer);
  return `<0x${view.getUint32(0, false).toString(16)} 0x${view.getUint32(4, false).toString(16).padStart(2, '0')}>`;
}

/** dts bytes `[..]` of a u64 in the given byte order. */
function dtsBytes(value: bigint, littleEndian: boolean): string {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, littleEndian);
  return `[${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}]`;
}

const v1State: ImageState = {
  version: 'luo-v1',
  root: {
    compatible: 'luo-v1',
    properties: { 'liveupdate-number': 41n },
    children: {
      'luo-session': {
        compatible: 'luo-session-v2',
        properties: { 'luo-session-header': [{ name: 'vm', file_set_ser: { files: null, count: 0n } }] },
        children: {},
      },
      'luo-flb': { compatible: 'luo-flb-v1', properties: { 'luo-flb-header': [{ name: 'iommu', data: 7n, count: 1n }] }, children: {} },
    },
  },
};

const v2State: ImageState = {
  version: 'luo-v2',
  root: {
    compatible: 'luo-v2',
    properties: {
      'luo-abi-header': {
        liveupdate_num: 2n,
        sessions_pa: [{ name: 'db', file_set_ser: { files: [{ compatible: 'memfd-v1', data: 1n << 63n, token: 5n }], count: 1n } }],
        flbs_pa: null,
      },
    },
    children: {},
  },
};

describe('our FDT through dtc and fdtdump', () => {
  let dir: string;
  let blob: string;

  beforeAll(() => {
    dir = scratchDir('fdt-dtc');
    blob = join(dir, 'luo-v1.dtb');
    writeFileSync(blob, encodeImage(version('luo-v1'), v1State, { base: BASE }).fdt!);
  });

  it('dtc decompiles it, without a warning, to the nodes and properties in the kernel order', () => {
    const result = runOk('dtc', ['-I', 'dtb', '-O', 'dts', blob]);
    expect(result.stderr).toBe('');
    // The session block is the first thing laid out, at BASE; the FLB block follows its 16 pages.
    expect(result.stdout).toBe(`/dts-v1/;

/ {
\tcompatible = "luo-v1";
\tliveupdate-number = ${cellsOfLittleEndian(41n)};

\tluo-session {
\t\tcompatible = "luo-session-v2";
\t\tluo-session-header = ${cellsOfLittleEndian(BASE)};
\t};

\tluo-flb {
\t\tcompatible = "luo-flb-v1";
\t\tluo-flb-header = ${cellsOfLittleEndian(BASE + 16n * 4096n)};
\t};
};
`);
  });

  it('fdtdump reads its header and structure', () => {
    const dump = runOk('fdtdump', [blob]).stdout;
    expect(dump).toMatch(/\/\/ magic:\s+0xd00dfeed/);
    expect(dump).toMatch(/\/\/ version:\s+17\n\/\/ last_comp_version:\s+16/);
    expect(dump).toMatch(/\/\/ off_mem_rsvmap:\s+0x30/);
    expect(dump).toContain('luo-session {\n        compatible = "luo-session-v2";');
  });

  it('dtc compiles its own decompilation back to a tree we read as the same', () => {
    const dts = join(dir, 'again.dts');
    writeFileSync(dts, runOk('dtc', ['-I', 'dtb', '-O', 'dts', blob]).stdout);
    const again = join(dir, 'again.dtb');
    runOk('dtc', ['-I', 'dts', '-O', 'dtb', '-o', again, dts]);
    expect(readFdt(new Uint8Array(readFileSync(again))).root).toEqual(readFdt(new Uint8Array(readFileSync(blob))).root);
  });
});

describe('dtc-compiled sources through our reader and decoder', () => {
  let dir: string;
  const compile = (name: string, source: string) => {
    const dts = join(dir, `${name}.dts`);
    const dtb = join(dir, `${name}.dtb`);
    writeFileSync(dts, source);
    runOk('dtc', ['-I', 'dts', '-O', 'dtb', '-o', dtb, dts]);
    return new Uint8Array(readFileSync(dtb));
  };

  beforeAll(() => {
    dir = scratchDir('dtc-source');
  });

  it('reads reservations, string lists, cells and nested nodes as dtc lays them out', () => {
    const tree = readFdt(
      compile(
        'general',
        `/dts-v1/;
/memreserve/ 0x10000000 0x4000;
/ {
\tcompatible = "vendor,board", "luo-v2";
\tcells = <1 0xdeadbeef>;
\tempty;
\ta { b { c { leaf = "x"; }; }; };
};
`,
      ),
    );
    expect(tree.reservations).toEqual([{ address: 0x10000000n, size: 0x4000n }]);
    const root = tree.root;
    expect(root.properties.map((p) => p.name)).toEqual(['compatible', 'cells', 'empty']);
    expect(Buffer.from(root.properties[0]!.value).toString('latin1')).toBe('vendor,board\0luo-v2\0');
    expect([...root.properties[1]!.value]).toEqual([0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]);
    expect(root.properties[2]!.value.length).toBe(0);
    expect(root.children[0]!.children[0]!.children[0]!.properties[0]).toEqual({ name: 'leaf', value: new Uint8Array([0x78, 0]) });
  });

  it('decodes a luo-v2 FDT written in dts with the address as raw little-endian bytes', () => {
    const image = encodeImage(version('luo-v2'), v2State, { base: BASE });
    // luo_ser is the first thing laid out: at BASE.
    const fdt = compile('luo-v2', `/dts-v1/;\n/ {\n\tcompatible = "luo-v2";\n\tluo-abi-header = ${dtsBytes(BASE, true)};\n};\n`);
    const decoded = decodeImage(luo.versions, fdt, new PhysicalMemory([{ base: BASE, bytes: image.memory }]));
    expect(decoded.state).toEqual(v2State);
  });

  it('decodes a big-endian image whose address dtc wrote as a 64-bit cell', () => {
    const image = encodeImage(version('luo-v2'), v2State, { base: BASE, littleEndian: false });
    const fdt = compile('luo-v2-be', `/dts-v1/;\n/ {\n\tcompatible = "luo-v2";\n\tluo-abi-header = /bits/ 64 <0x${BASE.toString(16)}>;\n};\n`);
    const memory = new PhysicalMemory([{ base: BASE, bytes: image.memory }]);
    expect(decodeImage(luo.versions, fdt, memory, { littleEndian: false }).state).toEqual(v2State);
    expect(() => decodeImage(luo.versions, fdt, memory)).toThrow(/luo-abi-header: physical address 0x4000000000 is not in memory/);
  });

  it('tells luo-v1-session-v1 from luo-v1 by the session node of a dts', () => {
    const oldState: ImageState = {
      version: 'luo-v1-session-v1',
      root: {
        compatible: 'luo-v1',
        properties: { 'liveupdate-number': 3n },
        children: { 'luo-session': { compatible: 'luo-session-v1', properties: { 'luo-session-header': [{ name: 'a' }, { name: 'b' }] }, children: {} } },
      },
    };
    const image = encodeImage(version('luo-v1-session-v1'), oldState, { base: BASE });
    const fdt = compile(
      'luo-v1-session-v1',
      `/dts-v1/;\n/ {\n\tcompatible = "luo-v1";\n\tliveupdate-number = ${dtsBytes(3n, true)};\n\tluo-session {\n\t\tcompatible = "luo-session-v1";\n\t\tluo-session-header = ${dtsBytes(BASE, true)};\n\t};\n};\n`,
    );
    const decoded = decodeImage(luo.versions, fdt, new PhysicalMemory([{ base: BASE, bytes: image.memory }]));
    expect(decoded.state).toEqual(oldState);
  });

  it('writes what dtc compiled back as the same tree', () => {
    const tree = readFdt(compile('simple', '/dts-v1/;\n/ { compatible = "luo-v3"; x = <1>; n { y = "z"; }; };\n'));
    expect(readFdt(writeFdt(tree))).toEqual(tree);
  });
});
