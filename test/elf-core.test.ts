/**
 * decode --mem with ELF core files: a core written here in /proc/vmcore's layout (ELF64 little-endian
 * ET_CORE, a PT_NOTE, PT_LOADs at physical addresses with gaps between them, the kernel's text mapped
 * twice, an image split across two PT_LOADs) decodes exactly as the same memory given as raw dumps;
 * readelf reads the program headers as we do; a big-endian ELF32 core too; hostile cores are exit 2
 * with the file and the offset; and no core, random or mutated, makes the reader crash or hang.
 */
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../generator/core/errors.ts';
import { readElf } from '../generator/elf/read.ts';
import { FdtError } from '../generator/fdt/index.ts';
import { ImageError, PhysicalMemory, decodeImage, encodeImage, stateToJson, type ImageState } from '../generator/image/index.ts';
import { openInputFile, type InputBytes } from '../generator/image/io.ts';
import { loadMemory, memoryFrom } from '../generator/image/memory.ts';
import { readelfSegments } from './feature-images.ts';
import { expectedState, luo, version } from './image-fixtures.ts';
import { cli, scratch } from './support/cli.ts';
import { PHDR_FIELDS, writeCore, type CoreLoad, type CoreNote, type CoreSpec } from './support/elf-writer.ts';
import { expectEqual } from './support/equal.ts';
import { runOk } from './support/tools.ts';

const { dir, remove } = scratch('elf-core');
afterAll(remove);
const at = (name: string) => join(dir, name);
const hexOf = (n: number | bigint) => `0x${n.toString(16)}`;

/** Above 4 GiB, as on a machine with more memory than that. */
const BASE = 0x1_2340_0000n;
const LOW = 0x10_0000n;
const DIRECT_MAP = 0xffff_8880_0000_0000n;
const KERNEL_TEXT = 0xffff_ffff_8100_0000n;

/** Bytes no two ranges share: byte i of range `seed` is (i * 31 + seed * 7 + (i >> 8)) & 0xff. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return bytes;
}

/** What vmcore's PT_NOTE holds: a CPU's registers (NT_PRSTATUS) and VMCOREINFO's text. */
const NOTES: CoreNote[] = [
  { name: 'CORE', type: 1, desc: new Uint8Array(336) },
  {
    name: 'VMCOREINFO',
    type: 0,
    desc: new TextEncoder().encode('OSRELEASE=6.12.0\nPAGESIZE=4096\n'),
  },
];

const state = expectedState('luo-v4', { sessions: 40, filesMod: 5, flbs: 3 });
const image = encodeImage(version('luo-v4'), state, { base: BASE });
const memory = image.memory;
const blocks = decodeImage(luo.versions, image.fdt!, new PhysicalMemory([{ base: BASE, bytes: memory }])).blocks;
/** Where the image is split in two PT_LOADs: the start of a block in its middle. */
const split = Number(blocks[Math.floor(blocks.length / 2)]!.pa - BASE);
const lowRam = pattern(0x10000, 1);
const highRam = pattern(0x3000, 2);
/** Above the image, past a gap; its last pages left out of the dump. */
const HIGH = BASE + BigInt(Math.ceil(memory.length / 0x1000) * 0x1000) + 0x20_0000n;
const HIGH_MEMSZ = 0x8000n;

/**
 * The vmcore layout: the kernel's text first (its physical pages are also in the RAM range below),
 * then each RAM range at its physical address, the image in two PT_LOADs with a gap in the file.
 */
const vmcoreLoads: CoreLoad[] = [
  {
    paddr: LOW + 0x4000n,
    vaddr: KERNEL_TEXT,
    data: lowRam.subarray(0x4000, 0x6000),
  },
  { paddr: LOW, vaddr: DIRECT_MAP + LOW, data: lowRam },
  { paddr: BASE, vaddr: DIRECT_MAP + BASE, data: memory.subarray(0, split) },
  {
    paddr: BASE + BigInt(split),
    vaddr: DIRECT_MAP + BASE + BigInt(split),
    data: memory.subarray(split),
    padding: 0x1000,
  },
  { paddr: HIGH, vaddr: DIRECT_MAP + HIGH, data: highRam, memsz: HIGH_MEMSZ },
];
const vmcore = writeCore({
  class: 64,
  endian: 'little',
  notes: NOTES,
  loads: vmcoreLoads,
});

/** The same memory as raw dumps: the kernel's text needs none, it is in the low range. */
const raws: [string, Uint8Array, bigint][] = [
  ['low.bin', lowRam, LOW],
  ['image-1.bin', memory.subarray(0, split), BASE],
  ['image-2.bin', memory.subarray(split), BASE + BigInt(split)],
  ['high.bin', highRam, HIGH],
];
const rawArgs = () => raws.flatMap(([name, , base]) => ['--mem', at(name), '--mem-base', hexOf(base)]);

beforeAll(() => {
  writeFileSync(at('luo.dtb'), image.fdt!);
  writeFileSync(at('vmcore'), vmcore.bytes);
  for (const [name, bytes] of raws) writeFileSync(at(name), bytes);
});

/** A core's bytes as decode reads them from a file, and when held in memory (stdin). */
const held = (bytes: Uint8Array): InputBytes => ({
  length: bytes.length,
  held: bytes,
  read: (o, n) => bytes.subarray(o, o + n),
  close: () => {},
});

describe('a core file in the vmcore layout', () => {
  it('decodes exactly as the same memory given as raw dumps, as JSON and as a tree', async () => {
    expect(split % 0x1000).toBe(0);
    for (const format of ['json', 'tree']) {
      const fromCore = await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('vmcore'), '--format', format);
      const fromRaw = await cli('decode', '--fdt', at('luo.dtb'), ...rawArgs(), '--format', format);
      expect(fromRaw).toMatchObject({ status: 0, stderr: '' });
      expect(fromCore).toMatchObject({
        status: 0,
        stderr: '',
        stdout: fromRaw.stdout,
      });
    }
    const decoded = await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('vmcore'));
    expect(JSON.parse(decoded.stdout)).toEqual(JSON.parse(stateToJson(state)));
  });

  it('mixes with raw dumps: part of the image in the core, the rest raw', async () => {
    const core = writeCore({
      class: 64,
      endian: 'little',
      notes: NOTES,
      loads: vmcoreLoads.slice(0, 3),
    });
    writeFileSync(at('part.core'), core.bytes);
    const result = await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('image-2.bin'), '--mem-base', hexOf(BASE + BigInt(split)), '--mem', at('part.core'));
    expect(result).toMatchObject({
      status: 0,
      stderr: '',
      stdout: stateToJson(state) + '\n',
    });
  });

  it('reads the core from stdin too, its PT_LOADs then views of the bytes read', () => {
    const fromFile = loadMemory([{ path: at('vmcore') }]);
    const fromStdin = memoryFrom([{ name: 'stdin', bytes: held(vmcore.bytes) }]);
    for (const m of [fromFile, fromStdin]) {
      expect(decodeImage(luo.versions, image.fdt!, m).state).toEqual(state);
      // Four ranges: the kernel's text is the low range's bytes, and the image's two halves are apart in the file.
      expect(m.regionList.map((r) => [r.base, r.length])).toEqual([
        [LOW, lowRam.length],
        [BASE, split],
        [BASE + BigInt(split), memory.length - split],
        [HIGH, highRam.length],
      ]);
    }
    const slice = fromStdin.slice(BASE, 8, 'x');
    expect(slice.bytes.buffer).toBe(vmcore.bytes.buffer);
  });

  it('PT_LOADs back to back in memory and in the file are one range: a block across them decodes', async () => {
    // Split inside a block, the second half right after the first in the file.
    const inside = split + 16;
    const loads: CoreLoad[] = [
      { paddr: BASE, data: memory.subarray(0, inside) },
      {
        paddr: BASE + BigInt(inside),
        data: memory.subarray(inside),
        fileAlign: 1,
      },
    ];
    const core = writeCore({
      class: 64,
      endian: 'little',
      notes: NOTES,
      loads,
    });
    expect(core.dataOffsets[1]).toBe(core.dataOffsets[0]! + inside);
    writeFileSync(at('joined.core'), core.bytes);
    expect(await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('joined.core'))).toMatchObject({ status: 0, stdout: stateToJson(state) + '\n' });
    expect(loadMemory([{ path: at('joined.core') }]).regionList.map((r) => [r.base, r.length, r.source])).toEqual([
      [BASE, memory.length, `${at('joined.core')} PT_LOAD 1 (program header at offset 0x78) and the 1 PT_LOADs that follow it in memory and in the file`],
    ]);
    // Raw dumps split there are two regions: a read may not run from one into the next.
    writeFileSync(at('a.bin'), memory.subarray(0, inside));
    writeFileSync(at('b.bin'), memory.subarray(inside));
    const raw = await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('a.bin'), '--mem-base', hexOf(BASE), '--mem', at('b.bin'), '--mem-base', hexOf(BASE + BigInt(inside)));
    expect(raw.status).toBe(1);
    expect(raw.stderr).toContain(`run past the end of the region ${hexOf(BASE)}..${hexOf(BASE + BigInt(inside))}`);
  });

  it('memory a PT_LOAD describes but does not hold is not present, and a read there says why', async () => {
    const missing = HIGH + BigInt(highRam.length) + 0x100n;
    expect(() => loadMemory([{ path: at('vmcore') }]).slice(missing, 8, 'here')).toThrow(
      new ImageError(
        'here',
        `physical address ${hexOf(missing)} is not in memory (${at('vmcore')}: PT_LOAD 5 (program header at offset ${hexOf(vmcore.headers[5]!)}) describes ${hexOf(HIGH)}..${hexOf(HIGH + HIGH_MEMSZ)} but holds only its first ${hexOf(highRam.length)} bytes (p_memsz past p_filesz: memory the dump left out))`,
      ),
    );
    // The image's pages left out of a dump whole (p_filesz 0): decode says so where it reads them.
    const excluded = writeCore({
      class: 64,
      endian: 'little',
      notes: NOTES,
      loads: [
        { paddr: LOW, data: lowRam },
        { paddr: BASE, data: new Uint8Array(0), memsz: BigInt(memory.length) },
      ],
    });
    writeFileSync(at('excluded.core'), excluded.bytes);
    const result = await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('excluded.core'));
    expect(result).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `luo-abi decode: bad image: /luo-abi-header: physical address ${hexOf(BASE)} is not in memory (${at('excluded.core')}: PT_LOAD 2 (program header at offset ${hexOf(excluded.headers[2]!)}) describes ${hexOf(BASE)}..${hexOf(BASE + BigInt(memory.length))} but holds only its first 0x0 bytes (p_memsz past p_filesz: memory the dump left out))\n`,
    });
    // Between the ranges: nothing describes it, and the message lists what there is.
    expect(() => loadMemory([{ path: at('vmcore') }]).slice(LOW + 0x20000n, 8, 'here')).toThrow(
      `here: physical address ${hexOf(LOW + 0x20000n)} is not in memory (memory holds ${hexOf(LOW)}..${hexOf(LOW + 0x10000n)}, ${hexOf(BASE)}..${hexOf(BASE + BigInt(split))}, `,
    );
  });

  it('readelf -l reads the program headers as we do, and each PT_LOAD reads back its bytes from memory', () => {
    const file = at('vmcore');
    expect(runOk('readelf', ['-h', file]).stdout).toMatch(/Type:\s+CORE \(Core file\)/);
    const theirs = readelfSegments(file);
    const ours = readElf(vmcore.bytes, file).segments;
    const typeName: Record<number, string> = { 1: 'LOAD', 4: 'NOTE' };
    expect(
      ours.map((s) => ({
        type: typeName[s.type],
        offset: s.offset,
        vaddr: s.vaddr,
        paddr: s.paddr,
        filesz: s.filesz,
        memsz: s.memsz,
      })),
    ).toEqual(
      theirs.map((s) => ({
        type: s.type,
        offset: s.offset,
        vaddr: s.vaddr,
        paddr: s.paddr,
        filesz: s.filesz,
        memsz: s.memsz,
      })),
    );
    expect(theirs.map((s) => s.type)).toEqual(['NOTE', 'LOAD', 'LOAD', 'LOAD', 'LOAD', 'LOAD']);
    const loaded = loadMemory([{ path: file }]);
    for (const s of theirs.filter((s) => s.type === 'LOAD')) {
      const slice = loaded.slice(s.paddr, Number(s.filesz), 'x');
      expectEqual(Buffer.from(slice.bytes.subarray(slice.offset, slice.offset + Number(s.filesz))), Buffer.from(vmcore.bytes.subarray(Number(s.offset), Number(s.offset + s.filesz))));
    }
  });

  it('a big-endian ELF32 core holds a big-endian image: readelf agrees, and it decodes as the raw dump', async () => {
    const base = 0x2000_0000n;
    const be = encodeImage(version('luo-v4'), state, {
      base,
      littleEndian: false,
    });
    const half = Math.floor(be.memory.length / 0x2000) * 0x1000;
    const core = writeCore({
      class: 32,
      endian: 'big',
      machine: 20,
      notes: NOTES,
      loads: [
        {
          paddr: base,
          vaddr: 0xc000_0000n + base,
          data: be.memory.subarray(0, half),
        },
        {
          paddr: base + BigInt(half),
          data: be.memory.subarray(half),
          memsz: BigInt(be.memory.length - half + 0x4000),
          padding: 0x2000,
        },
      ],
    });
    writeFileSync(at('be32.core'), core.bytes);
    writeFileSync(at('be.dtb'), be.fdt!);
    writeFileSync(at('be.bin'), be.memory);
    const elf = readElf(core.bytes, 'be32.core');
    expect([elf.class, elf.endian]).toEqual([32, 'big']);
    expect(elf.segments.map((s) => [s.offset, s.vaddr, s.paddr, s.filesz, s.memsz])).toEqual(readelfSegments(at('be32.core')).map((s) => [s.offset, s.vaddr, s.paddr, s.filesz, s.memsz]));
    const fromCore = await cli('decode', '--fdt', at('be.dtb'), '--mem', at('be32.core'), '--big-endian');
    const fromRaw = await cli('decode', '--fdt', at('be.dtb'), '--mem', at('be.bin'), '--mem-base', hexOf(base), '--big-endian');
    expect(fromCore).toMatchObject({
      status: 0,
      stderr: '',
      stdout: fromRaw.stdout,
    });
    expect(fromCore.stdout).toBe(stateToJson(state) + '\n');
  });
});

describe('raw or ELF: --mem-base decides', () => {
  // liveupdate_num, the first u64 of luo_ser at the start of the image, in little-endian: "\x7fELF\0\0\0\0".
  const elfLike: ImageState = {
    ...state,
    root: {
      ...state.root,
      properties: {
        'luo-abi-header': {
          ...(state.root.properties['luo-abi-header'] as object),
          liveupdate_num: 0x464c457fn,
        },
      },
    },
  } as ImageState;
  const looksElf = encodeImage(version('luo-v4'), elfLike, { base: BASE });

  beforeAll(() => {
    writeFileSync(at('elf-like.bin'), looksElf.memory);
    writeFileSync(at('elf-like.dtb'), looksElf.fdt!);
  });

  it('a raw dump that starts with "\\x7fELF" loads as raw with --mem-base', async () => {
    expect([...looksElf.memory.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    const result = await cli('decode', '--fdt', at('elf-like.dtb'), '--mem', at('elf-like.bin'), '--mem-base', hexOf(BASE));
    expect(result).toMatchObject({
      status: 0,
      stdout: stateToJson(elfLike) + '\n',
    });
    // Without one it is read as ELF, and it is not a valid one.
    const asElf = await cli('decode', '--fdt', at('elf-like.dtb'), '--mem', at('elf-like.bin'));
    expect(asElf).toMatchObject({
      status: 2,
      stdout: '',
      stderr: `luo-abi decode: ${at('elf-like.bin')}: offset 0x4: unknown ELF class 0 (1 is ELF32, 2 is ELF64)\n`,
    });
  });

  it('a file that is not ELF without --mem-base is a usage error that says to give one', async () => {
    const result = await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('low.bin'));
    const start = [...lowRam.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(result).toMatchObject({
      status: 2,
      stderr: `luo-abi decode: --mem ${at('low.bin')} has no --mem-base, so it must be an ELF core file, but it begins ${start}, not 7f 45 4c 46 ("\\x7fELF"): give --mem-base ADDR after a raw dump\nRun \`luo-abi decode --help\` for usage.\n`,
    });
    writeFileSync(at('empty.bin'), new Uint8Array(0));
    expect((await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('empty.bin'))).stderr).toContain(`--mem ${at('empty.bin')} has no --mem-base, so it must be an ELF core file, but it is empty`);
  });

  it('a core and a raw dump that overlap are exit 2, naming both', async () => {
    const result = await cli('decode', '--fdt', at('luo.dtb'), '--mem', at('vmcore'), '--mem', at('low.bin'), '--mem-base', hexOf(LOW + 0x8000n));
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `luo-abi decode: memory: region at ${hexOf(LOW)} of ${lowRam.length} bytes (${at('vmcore')} PT_LOAD 2 (program header at offset ${hexOf(vmcore.headers[2]!)})) overlaps the region at ${hexOf(LOW + 0x8000n)} of ${lowRam.length} bytes (${at('low.bin')})\n`,
    );
  });

  it('decode --help documents --mem for both', async () => {
    const help = (await cli('decode', '--help')).stdout;
    expect(help).toContain('[--mem FILE [--mem-base ADDR]]...');
    expect(help).toMatch(/Without: an ELF core file \(QEMU's\s+dump-guest-memory, kdump's \/proc\/vmcore\), each PT_LOAD at its p_paddr/);
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile cores

/** A small valid core: three PT_LOADs, the middle one apart from the first in memory. */
function smallCore(spec: Partial<CoreSpec> = {}) {
  return writeCore({
    class: 64,
    endian: 'little',
    notes: NOTES,
    loads: [
      { paddr: 0x1000n, data: pattern(0x2000, 3) },
      { paddr: 0x10000n, data: pattern(0x1000, 4) },
      { paddr: 0x20000n, data: pattern(0x1800, 5), memsz: 0x3000n },
    ],
    ...spec,
  });
}

/** A small core with the 16-bit field of the file header at `offset` set to `value`. */
function withFileHeader(offset: number, value: number) {
  const core = smallCore();
  new DataView(core.bytes.buffer).setUint16(offset, value, true);
  return core;
}

/** Sets a field of program header `index` (0 is the PT_NOTE) of an ELF64 little-endian core. */
function setField(core: { bytes: Uint8Array; headers: readonly number[] }, index: number, field: keyof (typeof PHDR_FIELDS)[64], value: bigint): void {
  const [offset, width] = PHDR_FIELDS[64][field];
  const view = new DataView(core.bytes.buffer, core.bytes.byteOffset);
  if (width === 8) view.setBigUint64(core.headers[index]! + offset, value, true);
  else view.setUint32(core.headers[index]! + offset, Number(value), true);
}

async function decodeCore(name: string, bytes: Uint8Array) {
  writeFileSync(at(name), bytes);
  return cli('decode', '--fdt', at('luo.dtb'), '--mem', at(name));
}

describe('hostile cores: exit 2, naming the file and the offset', () => {
  const cases: [string, () => { bytes: Uint8Array; message: (file: string) => string }][] = [
    [
      'a truncated file header',
      () => ({
        bytes: smallCore().bytes.subarray(0, 40),
        message: (f) => `${f}: offset 0x0: the ELF64 file header needs 64 bytes there, past the end of the file (40 bytes)`,
      }),
    ],
    [
      'a program header count past the end of the file',
      () => {
        const core = withFileHeader(56, 0xfff0);
        return {
          bytes: core.bytes,
          message: (f) => `${f}: offset 0x40: the table of ${0xfff0} program headers of 56 bytes needs ${0xfff0 * 56} bytes there, past the end of the file (${core.bytes.length} bytes)`,
        };
      },
    ],
    [
      'a core cut short: its last PT_LOAD past the end of the file',
      () => {
        const core = smallCore();
        const cut = core.bytes.subarray(0, core.bytes.length - 0x100);
        return {
          bytes: cut,
          message: (f) =>
            `${f}: offset ${hexOf(core.headers[3]!)}: PT_LOAD 3 claims 0x1800 bytes at file offset ${hexOf(core.dataOffsets[2]!)}, but the file ends at ${hexOf(cut.length)}: it is truncated (a dump cut short?) or the header is wrong`,
        };
      },
    ],
    [
      'a PT_LOAD whose offset is past the end of the file',
      () => {
        const core = smallCore();
        setField(core, 2, 'offset', 1n << 62n);
        return {
          bytes: core.bytes,
          message: (f) =>
            `${f}: offset ${hexOf(core.headers[2]!)}: PT_LOAD 2 claims 0x1000 bytes at file offset ${hexOf(1n << 62n)}, but the file ends at ${hexOf(core.bytes.length)}: it is truncated (a dump cut short?) or the header is wrong`,
        };
      },
    ],
    [
      'overlapping PT_LOADs that hold different bytes',
      () => {
        const core = smallCore();
        setField(core, 2, 'paddr', 0x2800n);
        // PT_LOAD 2 now starts at 0x2800, inside PT_LOAD 1 (0x1000..0x3000), whose byte there is pattern(…, 3)[0x1800].
        const ours = core.dataOffsets[1]!;
        const theirs = core.dataOffsets[0]! + 0x1800;
        expect(core.bytes[ours]).not.toBe(core.bytes[theirs]);
        return {
          bytes: core.bytes,
          message: (f) =>
            `${f}: offset ${hexOf(core.headers[2]!)}: PT_LOAD 2 (0x2800..0x3800) overlaps PT_LOAD 1 (program header at offset ${hexOf(core.headers[1]!)}) in physical memory, and they hold different bytes at 0x2800 (file offsets ${hexOf(ours)} and ${hexOf(theirs)}): which was the memory cannot be told`,
        };
      },
    ],
    [
      "a process's core: every p_paddr 0",
      () => {
        const core = smallCore();
        for (const i of [1, 2, 3]) setField(core, i, 'paddr', 0n);
        return {
          bytes: core.bytes,
          message: (f) =>
            // The longest first (PT_LOAD 1, 0x2000 bytes), then PT_LOAD 3 (0x1800) is compared with it.
            `${f}: offset ${hexOf(core.headers[3]!)}: PT_LOAD 3 (0x0..0x1800) overlaps PT_LOAD 1 (program header at offset ${hexOf(core.headers[1]!)}) in physical memory, and they hold different bytes at 0x0 (file offsets ${hexOf(core.dataOffsets[2]!)} and ${hexOf(core.dataOffsets[0]!)}): which was the memory cannot be told; both give physical address 0, as a process's core does (gdb, systemd-coredump): it is not a dump of physical memory`,
        };
      },
    ],
    [
      'a PT_LOAD whose physical range runs past 2^64',
      () => {
        const core = smallCore();
        setField(core, 3, 'paddr', (1n << 64n) - 0x1000n);
        return {
          bytes: core.bytes,
          message: (f) => `${f}: offset ${hexOf(core.headers[3]!)}: PT_LOAD 3 puts 0x3000 bytes at physical address 0xfffffffffffff000, past the end of the 64-bit physical address space`,
        };
      },
    ],
    [
      'p_filesz more than p_memsz',
      () => {
        const core = smallCore();
        setField(core, 1, 'memsz', 0x10n);
        return {
          bytes: core.bytes,
          message: (f) => `${f}: offset ${hexOf(core.headers[1]!)}: PT_LOAD 1 holds 0x2000 bytes of the file but 0x10 of memory (p_filesz is more than p_memsz)`,
        };
      },
    ],
    [
      'an executable, not a core',
      () => {
        const core = withFileHeader(16, 2);
        return {
          bytes: core.bytes,
          message: (f) =>
            `${f}: offset 0x10: an ELF file of type ET_EXEC (an executable), not a core file (ET_CORE): give a memory dump such as QEMU's dump-guest-memory output or a copy of /proc/vmcore`,
        };
      },
    ],
    [
      'a core with no memory',
      () => ({
        bytes: smallCore({ loads: [] }).bytes,
        message: (f) => `${f}: offset 0x38: no PT_LOAD holds any bytes (1 program headers, 0 of them PT_LOAD): the core holds no memory`,
      }),
    ],
  ];

  it.each(cases)('%s', async (name, make) => {
    const { bytes, message } = make();
    const file = `${name.replace(/\W+/g, '-')}.core`;
    const result = await decodeCore(file, bytes);
    expect(result).toMatchObject({
      status: 2,
      stdout: '',
      stderr: `luo-abi decode: ${message(at(file))}\n`,
    });
    // Held in memory (stdin), the same error.
    expect(() => memoryFrom([{ name: 'stdin', bytes: held(bytes) }])).toThrow(message('stdin'));
  });

  it('PT_LOADs that repeat more memory than the file holds are refused, and quickly', () => {
    // 2000 PT_LOADs at address 0, each over 32 KiB of zeros at one of 8 offsets: comparing each with
    // the first would read 64 MiB from a file of about 370 KiB.
    const count = 2000;
    const dataAt = 0x40 + count * 56;
    const many = new Uint8Array(dataAt + 8 * 0x8000);
    const view = new DataView(many.buffer);
    many.set(smallCore().bytes.subarray(0, 0x40));
    view.setUint16(56, count, true);
    for (let i = 0; i < count; i++) {
      const h = 0x40 + i * 56;
      view.setUint32(h, 1, true);
      view.setBigUint64(h + 8, BigInt(dataAt + (i % 8) * 0x8000), true);
      view.setBigUint64(h + 32, 0x8000n, true);
      view.setBigUint64(h + 40, 0x8000n, true);
    }
    expect(() => memoryFrom([{ name: 'many', bytes: held(many) }])).toThrow(
      /^many: offset 0x[0-9a-f]+: PT_LOAD \d+ overlaps earlier PT_LOADs, and the PT_LOADs repeat more memory than the file holds bytes \(\d+\): these program headers do not describe a memory dump$/,
    );
  });

  it('PT_LOADs that map the same file bytes at the same address (QEMU with paging) are one', () => {
    // Two views of the same bytes: the second PT_LOAD's p_offset is the first's, and its copy in the file is zeros.
    const again = writeCore({
      class: 64,
      endian: 'little',
      notes: NOTES,
      loads: [
        { paddr: 0x1000n, data: pattern(0x2000, 3) },
        { paddr: 0x1800n, data: new Uint8Array(0x800) },
      ],
    });
    setField(again, 2, 'offset', BigInt(again.dataOffsets[0]! + 0x800));
    const m = memoryFrom([{ name: 'again', bytes: held(again.bytes) }]);
    expect(m.regionList.map((r) => [r.base, r.length])).toEqual([[0x1000n, 0x2000]]);
    expect(m.totalBytes).toBe(0x2000);
  });
});

describe('memory read from a file when the walk reaches it', () => {
  /** A region of `length` pattern bytes whose reads are counted. */
  function counted(length: number) {
    const bytes = pattern(length, 9);
    const reads: [number, number][] = [];
    const region = {
      base: 0x8000_0000n,
      length,
      read: (offset: number, n: number) => (reads.push([offset, n]), bytes.slice(offset, offset + n)),
    };
    return { bytes, reads, memory: new PhysicalMemory([region]) };
  }

  it('every range around the pages it reads is the bytes there, up to the end of the region', () => {
    const { bytes, memory } = counted(3 * 4096 + 5);
    for (const boundary of [4096, 2 * 4096, 3 * 4096]) {
      for (let offset = boundary - 20; offset < boundary + 4; offset++) {
        for (let n = 1; n <= 24 && offset + n <= bytes.length; n++) {
          const slice = memory.slice(0x8000_0000n + BigInt(offset), n, 'x');
          expectEqual([...slice.bytes.subarray(slice.offset, slice.offset + n)], [...bytes.subarray(offset, offset + n)]);
        }
      }
    }
    expect(() => memory.slice(0x8000_3000n, 6, 'x')).toThrow('x: 6 bytes at 0x80003000 run past the end of the region 0x80000000..0x80003005');
  });

  it('reads the whole pages a range lies in, once for the reads that follow in them', () => {
    const { reads, memory } = counted(64 * 4096);
    memory.slice(0x8000_1010n, 8, 'x');
    memory.slice(0x8000_1ff8n, 8, 'x');
    memory.slice(0x8000_1000n, 4096, 'x');
    expect(reads).toEqual([[0x1000, 0x1000]]);
    // Across a page boundary, far from the last read: both pages, and then reads in either need no other.
    memory.slice(0x8002_3ff0n, 0x20, 'x');
    memory.slice(0x8002_4100n, 0x20, 'x');
    memory.slice(0x8002_3000n, 0x10, 'x');
    expect(reads).toEqual([
      [0x1000, 0x1000],
      [0x23000, 0x2000],
    ]);
    // Only the last pages read are kept.
    memory.slice(0x8000_1010n, 8, 'x');
    expect(reads.length).toBe(3);
  });

  it('reading forward through a file reads ever more ahead, up to 1 MiB; a read elsewhere only its pages', () => {
    const { bytes, reads, memory } = counted(8 << 20);
    // Blocks of 8 KiB one after the other, as encode and the kernel's chains lay them out.
    for (let at = 0; at < 4 << 20; at += 0x2000) {
      const slice = memory.slice(0x8000_0000n + BigInt(at), 0x100, 'x');
      expect(slice.bytes[slice.offset + 0x99]).toBe(bytes[at + 0x99]);
    }
    expect(reads.map(([, n]) => n).slice(0, 6)).toEqual([0x1000, 0x5000, 0x9000, 0x11000, 0x21000, 0x41000]);
    expect(Math.max(...reads.map(([, n]) => n))).toBe(0x1000 + (1 << 20));
    expect(reads.length).toBeLessThan(12);
    // Back to the start: its pages only, and then forward again from there.
    memory.slice(0x8000_0000n + 0x10n, 8, 'x');
    expect(reads[reads.length - 1]).toEqual([0, 0x1000]);
  });

  it('opens a file at its first read, and closing the memory closes it; a read after opens it again', () => {
    const path = at('fd.core');
    writeFileSync(path, vmcore.bytes);
    const open = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === path;
        } catch {
          return false;
        }
      }).length;
    const m = loadMemory([{ path }]);
    expect(open()).toBe(0);
    m.slice(BASE, 64, 'x');
    m.slice(LOW, 64, 'x');
    expect(open()).toBe(1);
    m.close();
    expect(open()).toBe(0);
    const again = m.slice(BASE + BigInt(split), 8, 'x');
    expect([...again.bytes.subarray(again.offset, again.offset + 8)]).toEqual([...memory.subarray(split, split + 8)]);
    expect(open()).toBe(1);
    m.close();
    expect(open()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Only our typed errors: InputError from the reader, ImageError or FdtError from the walk. */
function typedErrorOf(action: () => unknown): string {
  try {
    action();
    return 'ok';
  } catch (error) {
    if (error instanceof InputError || error instanceof ImageError || error instanceof FdtError) return error.name;
    throw error;
  }
}

describe('properties', () => {
  const ranges = fc
    .array(
      fc.record({
        gapPages: fc.integer({ min: 0, max: 40 }),
        length: fc.integer({ min: 1, max: 0x30000 }),
        seed: fc.nat(200),
        padding: fc.integer({ min: 0, max: 3 }),
        alias: fc.option(fc.nat(), { nil: undefined }),
      }),
      {
        minLength: 1,
        maxLength: 6,
      },
    )
    .map((specs) => {
      let next = 0x4000_0000n;
      return specs.map((s) => {
        const paddr = next + BigInt(s.gapPages) * 0x1000n;
        next = paddr + BigInt(s.length);
        return {
          paddr,
          data: pattern(s.length, s.seed),
          padding: s.padding * 0x1000,
          alias: s.alias,
        };
      });
    });

  const aliasOf = (paddr: bigint, data: Uint8Array, at: number): CoreLoad => {
    const length = Math.min(0x1000, data.length);
    const offset = at % (data.length - length + 1);
    return {
      paddr: paddr + BigInt(offset),
      data: data.subarray(offset, offset + length),
    };
  };

  it('a core of random ranges reads back every byte at its address, from a file and held, across pages', () => {
    const file = at('random.core');
    fc.assert(
      fc.property(
        ranges,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 0x12000 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (specs, reads) => {
          // An alias (as vmcore's kernel text) repeats up to 4 KiB of a range with its own copy in the file, listed before it.
          const loads: CoreLoad[] = specs.flatMap((s) => [
            ...(s.alias === undefined ? [] : [aliasOf(s.paddr, s.data, s.alias)]),
            {
              paddr: s.paddr,
              data: s.data,
              padding: s.padding,
              fileAlign: s.padding ? 4096 : 1,
            },
          ]);
          const core = writeCore({
            class: 64,
            endian: 'little',
            notes: NOTES,
            loads,
          });
          writeFileSync(file, core.bytes);
          for (const m of [loadMemory([{ path: file }]), memoryFrom([{ name: 'held', bytes: held(core.bytes) }])]) {
            expect(m.totalBytes).toBe(specs.reduce((n, s) => n + s.data.length, 0));
            for (const [where, length] of reads) {
              const range = specs[where % specs.length]!;
              const offset = where % range.data.length;
              const n = Math.min(length, range.data.length - offset);
              const slice = m.slice(range.paddr + BigInt(offset), n, 'x');
              expect(Buffer.from(slice.bytes.subarray(slice.offset, slice.offset + n)).equals(Buffer.from(range.data.subarray(offset, offset + n)))).toBe(true);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('mutated cores end in a typed error or memory that reads, never a crash or a hang', () => {
    const base = smallCore();
    const be = smallCore({ class: 32, endian: 'big' });
    const fdt = image.fdt!;
    fc.assert(
      fc.property(
        fc.constantFrom(base, be),
        fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        (core, edits, cut) => {
          const bytes = Uint8Array.from(core.bytes);
          for (const [offset, value] of edits) if (offset < bytes.length) bytes[offset] = value;
          const mutated = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          let m: PhysicalMemory | undefined;
          const loaded = typedErrorOf(() => (m = memoryFrom([{ name: 'mutated', bytes: held(mutated) }])));
          expect(['ok', 'ElfError', 'InputError']).toContain(loaded);
          if (!m) return;
          for (const r of m.regionList) expect(m.slice(r.base, r.length, 'x').bytes).toBeDefined();
          expect(['ok', 'ImageError', 'FdtError']).toContain(typedErrorOf(() => decodeImage(luo.versions, fdt, m!)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random bytes after "\\x7fELF" end in a typed error, from a file as from memory', () => {
    const file = at('random.elf');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(1, 2), fc.constantFrom(1, 2), (rest, elfClass, data) => {
        const bytes = new Uint8Array(7 + rest.length);
        bytes.set([0x7f, 0x45, 0x4c, 0x46, elfClass, data, 1]);
        bytes.set(rest, 7);
        writeFileSync(file, bytes);
        expect(['ok', 'ElfError', 'InputError']).toContain(typedErrorOf(() => memoryFrom([{ name: 'random', bytes: held(bytes) }])));
        expect(['ok', 'ElfError', 'InputError']).toContain(typedErrorOf(() => memoryFrom([{ name: file, bytes: openInputFile(file) }])));
      }),
      { numRuns: 400 },
    );
  });

  it('through the command line, a mutated core is exit 0, 1 or 2 and never an internal error', async () => {
    const core = smallCore();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(core.bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (edits) => {
        const bytes = Uint8Array.from(core.bytes);
        for (const [offset, value] of edits) bytes[offset] = value;
        const result = await decodeCore('cli-mutated.core', bytes);
        expect([0, 1, 2]).toContain(result.status);
        expect(result.stderr).not.toContain('internal error');
      }),
      { numRuns: 60 },
    );
  });
});
