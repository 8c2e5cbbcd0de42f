/**
 * Whole handovers against C and libfdt: test/c/handover/kho_handover.c, compiled over the generated
 * headers of one set of versions at each page size KHO runs on, writes KHO's root FDT with its radix
 * tree, LUO's state (a luo-v4 FDT, or a raw luo-v5 entry), memblock's FDT, a client the schema does
 * not know, and memfd files whose folio arrays are preserved vmalloc areas. Our decoder must give
 * exactly what it wrote; what our encoder writes the program must read back, every block preserved.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError, PhysicalMemory, decodeImage, encodeImage, formatTree, stateFromJson, stateToJson, type FdtImageState } from '../generator/image/index.ts';
import { JsonWriter } from '../generator/image/json.ts';
import { streamImage } from '../generator/image/stream.ts';
import { TreeWriter } from '../generator/image/view.ts';
import { PAGE_SHIFTS, type PageShift } from '../generator/model/index.ts';
import { buildHandoverTool, expectedHandover, familyAt, parseReport, RUN_NAMES, runVersions, type RunName } from './handover-fixtures.ts';
import { cli } from './support/cli.ts';
import { run, runOk, scratchDir } from './support/tools.ts';
import { expectEqual } from './support/equal.ts';

const BASE = 0x4000_0000n;
/**
 * Folios of the first memfd. The FDT run at 4 KiB pages has more than one kho_vmalloc chunk lists
 * (511 pages of 256 entries each), so its folio array is listed by two chunks; the raw run differs
 * from it in how LUO is handed over, not in the memfd below, so there a dozen pages of one chunk do
 * (each folio is an object in every state compared here: 131,000 of them were half of this file's
 * time). A chunk at 16 and 64 KiB lists 2047 and 8191 pages, more than a unit test should write,
 * so there the area is a few pages of one chunk.
 */
const FOLIOS: Record<RunName, Record<PageShift, number>> = { fdt: { 12: 131_000, 14: 3000, 16: 9000 }, raw: { 12: 3000, 14: 3000, 16: 9000 } };
/** The chunks that list the folio arrays of the memfds the program writes, at 4 KiB pages. */
const CHUNKS_AT_4K: Record<RunName, string[]> = { fdt: ['chunk 0', 'chunk 1', 'chunk 0'], raw: ['chunk 0', 'chunk 0'] };

const cases = RUN_NAMES.flatMap((name) => PAGE_SHIFTS.map((shift) => [name, shift] as const));

const memoryOf = (path: string) => new PhysicalMemory([{ base: BASE, bytes: new Uint8Array(readFileSync(path)) }]);

interface Handover {
  readonly dir: string;
  /** kho_handover.c built over the run's headers at the page size. */
  readonly tool: string;
  readonly expected: FdtImageState;
  /** What decodeImage gives for the program's handover: decoded once, as at 4 KiB pages the FDT run has 131,000 folios. */
  readonly decoded: () => ReturnType<typeof decodeImage>;
}

/**
 * What a writer is given is `expected`, character for character: each piece compared where it falls,
 * none kept (131,000 folios are half a million pieces, which the garbage collector copied over and
 * over while they were held). The first piece that differs is shown beside the text expected there.
 */
function expectWritten(what: string, expected: string, stream: (write: (text: string) => void) => void): void {
  let at = 0;
  let first: { at: number; text: string } | undefined;
  stream((text) => {
    if (first === undefined && !expected.startsWith(text, at)) first = { at, text };
    at += text.length;
  });
  if (first) expect(`${what} at ${first.at}: ${first.text}`).toBe(`${what} at ${first.at}: ${expected.slice(first.at, first.at + first.text.length)}`);
  expect(at, `${what}: its length`).toBe(expected.length);
}

const handovers = new Map<string, Handover>();
// The workers run file after file: the FDT run's 131,000 decoded folios are let go with this file.
afterAll(() => handovers.clear());
/** The program built for a run and page size, and the handover it wrote: made once for every test that reads it. */
function handover(name: RunName, pageShift: PageShift): Handover {
  const key = `${name} ${pageShift}`;
  let made = handovers.get(key);
  if (!made) {
    const dir = scratchDir(`handover-${name}-${pageShift}`);
    const tool = buildHandoverTool(name, pageShift, dir);
    runOk(tool, ['build', join(dir, 'c.dtb'), join(dir, 'c.mem'), join(dir, 'c.report'), `0x${BASE.toString(16)}`, String(FOLIOS[name][pageShift])]);
    const expected = expectedHandover(name, pageShift, FOLIOS[name][pageShift], parseReport(readFileSync(join(dir, 'c.report'), 'utf8')));
    let decodedOnce: ReturnType<typeof decodeImage> | undefined;
    const decoded = () =>
      (decodedOnce ??= decodeImage(familyAt(pageShift), { kho: new Uint8Array(readFileSync(join(dir, 'c.dtb'))) }, memoryOf(join(dir, 'c.mem')), { pageSize: 2 ** pageShift }));
    handovers.set(key, (made = { dir, tool, expected, decoded }));
  }
  return made;
}

describe.each(cases)('%s handover at PAGE_SHIFT %i against kho_handover.c', (name, pageShift) => {
  let dir: string;
  let tool: string;
  let expected: FdtImageState;
  const family = () => familyAt(pageShift);
  const decoded = () => handover(name, pageShift).decoded();

  beforeAll(() => {
    ({ dir, tool, expected } = handover(name, pageShift));
  });

  it('decodes everything the program wrote, every block inside the preserved memory', () => {
    const { state, preserved, blocks } = decoded();
    expectEqual(state, expected);
    // The clients in the order the root lists them (toEqual does not look at key order).
    expect(Object.keys((state as FdtImageState).root.children)).toEqual(['kexec-metadata', 'LUO', 'memblock']);
    expect(preserved).toEqual({ warnings: [], total: 0 });
    if (pageShift === 12) {
      // In the FDT run, the folio array of the first memfd is listed by two chunks of page addresses.
      const chunks = blocks.filter((b) => b.what === 'kho_vmalloc_chunk');
      expect(chunks.map((b) => b.place.toString().replace(/.* -> /, ''))).toEqual(CHUNKS_AT_4K[name]);
    }
  });

  it('streams it as the same JSON and the same tree, and reads that JSON back to the same state', () => {
    const kho = { kho: new Uint8Array(readFileSync(join(dir, 'c.dtb'))) };
    const options = { pageSize: 2 ** pageShift };
    const json = `${stateToJson(decoded().state).slice(0, -2)},\n  "warnings": []\n}\n`;
    expectWritten('the streamed JSON', json, (write) => streamImage(family(), kho, memoryOf(join(dir, 'c.mem')), new JsonWriter(write), options));
    const formatted = formatTree(decoded());
    expectWritten('the streamed tree', formatted.slice(0, formatted.indexOf('\nmemory read')), (write) => streamImage(family(), kho, memoryOf(join(dir, 'c.mem')), new TreeWriter(write), options));
    // The streamed JSON is that text, character for character.
    expectEqual(stateFromJson(family(), JSON.parse(json)), expected);
  });

  it('writes a handover the program reads back, every block it reads preserved', () => {
    const image = encodeImage(family().find((v) => v.name === runVersions(name, pageShift).kho)!, expected, { base: BASE, pageSize: 2 ** pageShift, family: family() });
    writeFileSync(join(dir, 'ours.dtb'), image.fdt!);
    writeFileSync(join(dir, 'ours.mem'), image.memory);
    expect(runOk(tool, ['check', join(dir, 'ours.dtb'), join(dir, 'ours.mem'), `0x${BASE.toString(16)}`, String(FOLIOS[name][pageShift])]).stdout).toBe('ok\n');
    if (pageShift === 12) {
      // Ours too lists the first memfd's folio pages in as many chunks (two in the FDT run), which the program has just followed.
      const ours = decodeImage(family(), { kho: image.fdt! }, new PhysicalMemory([{ base: BASE, bytes: image.memory }]), { pageSize: 2 ** pageShift });
      expect(ours.blocks.filter((b) => b.what === 'kho_vmalloc_chunk').map((b) => b.place.toString().replace(/.* -> /, ''))).toEqual(CHUNKS_AT_4K[name]);
    }
  });
});

it('kho-v2 cannot mark an order-0 page at 16 KiB pages: the encoder says so rather than drop the order', () => {
  const family = familyAt(14);
  const state = { version: 'kho-v2', root: { compatible: 'kho-v2', properties: { 'preserved-memory-map': [{ start: 0x4000_0000n, size: 0x4000n, order: 0 }] }, children: {} } };
  expect(() => encodeImage(family.find((v) => v.name === 'kho-v2')!, state, { base: BASE, pageSize: 1 << 14, family })).toThrow(
    '/preserved-memory-map[0]: order 0 at 0x40000000 needs a key of 51 bits, more than the 50 this tree\'s 3 node levels and leaves address',
  );
  expect(() => encodeImage(family.find((v) => v.name === 'kho-v4')!, { ...state, version: 'kho-v4', root: { ...state.root, compatible: 'kho-v4' } }, { base: BASE, pageSize: 1 << 14, family })).not.toThrow();
});

describe('a handover with memory left out of the map', () => {
  const pageShift = 12;
  let dir: string;
  let tool: string;

  beforeAll(() => {
    dir = scratchDir('handover-forgot');
    // The raw run's program at 4 KiB pages, asked for other handovers.
    tool = handover('raw', pageShift).tool;
  });

  const build = (forget: string) => {
    const files = ['dtb', 'mem', 'report'].map((ext) => join(dir, `${forget}.${ext}`)) as [string, string, string];
    runOk(tool, ['build', ...files, `0x${BASE.toString(16)}`, '600', forget]);
    return files;
  };

  it('decodes it, with a warning naming the path to each block outside the preserved memory', () => {
    const [fdt, mem] = build('session-block-0-0');
    const decoded = decodeImage(familyAt(pageShift), { kho: new Uint8Array(readFileSync(fdt)) }, new PhysicalMemory([{ base: BASE, bytes: new Uint8Array(readFileSync(mem)) }]));
    expect(decoded.preserved!.total).toBe(1);
    const [warning] = decoded.preserved!.warnings;
    expect(warning!.place.toString()).toBe('/LUO/preserved-data -> luo-v5+block-v1 -> luo_ser.sessions_pa -> block 0');
    expect(warning!.what).toBe('kho_block_header_ser + luo_session_ser[2]');
  });

  it('names a vmalloc chunk left out by the file it belongs to', () => {
    const [fdt, mem] = build('memfd-chunk-2-0');
    const decoded = decodeImage(familyAt(pageShift), { kho: new Uint8Array(readFileSync(fdt)) }, new PhysicalMemory([{ base: BASE, bytes: new Uint8Array(readFileSync(mem)) }]));
    expect(decoded.preserved!.warnings.map((w) => `${w.place} (${w.what})`)).toEqual([
      '/LUO/preserved-data -> luo-v5+block-v1 -> luo_ser.sessions_pa -> block 0 -> entry 1 -> luo_session_ser.file_set_ser.files -> block 0 -> entry 0 -> luo_file_ser.data -> memfd-v2 -> memfd_luo_ser.folios -> chunk 0 (kho_vmalloc_chunk)',
    ]);
  });

  it('decode --kho prints the state with its warnings and exits 1', async () => {
    const [fdt, mem] = build('luo_ser');
    const result = await cli('decode', '--kho', fdt, '--mem', mem, '--mem-base', `0x${BASE.toString(16)}`);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('luo-abi decode: 1 block read outside the preserved memory: the next kernel would not get it back (see "warnings")\n');
    const json = JSON.parse(result.stdout) as { version: string; warnings: Record<string, unknown>[] };
    expect(json.version).toBe('kho-v4');
    expect(json.warnings).toEqual([
      {
        path: '/LUO/preserved-data -> luo-v5+block-v1',
        what: 'luo_ser',
        pa: expect.stringMatching(/^\d+$/),
        size: 40,
        problem: 'not in the preserved memory: the next kernel would not get it back',
      },
    ]);
  });

  it('the C check refuses an image whose map leaves a block out', () => {
    const [fdt, mem] = build('memfd-area-0-page-1');
    const result = run(tool, ['check', fdt, mem, `0x${BASE.toString(16)}`, '600']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^kho_handover: folio page at 0x[0-9a-f]+: page 0x[0-9a-f]+ is not preserved\n$/);
  });
});

describe('a fault deep in a handover the C program wrote, LUO as a luo-v4 FDT under kho-v2', () => {
  const pageShift = 12;

  it('a chunk list of a memfd that loops is an error naming the whole path from KHO\'s root', () => {
    // The FDT run's handover at 4 KiB pages, whose first memfd has two chunks.
    const { dir, decoded } = handover('fdt', pageShift);
    const kho = { kho: new Uint8Array(readFileSync(join(dir, 'c.dtb'))) };
    const bytes = new Uint8Array(readFileSync(join(dir, 'c.mem')));
    // Where the program put the first memfd's two chunks (the decoder finds them; the program does not say).
    const chunks = decoded().blocks.filter((b) => b.what === 'kho_vmalloc_chunk');
    const [first, second] = chunks.map((b) => b.pa);
    // The second chunk's header (its next pointer, a u64 at offset 0) leads back to the first.
    new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(Number(second! - BASE), first!, true);
    expect(() => decodeImage(familyAt(pageShift), kho, new PhysicalMemory([{ base: BASE, bytes }]))).toThrow(
      new ImageError(
        '/LUO/preserved-data -> luo-v4 -> /luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 0 -> luo_session_ser.file_set_ser.files -> block 0 -> entry 0 -> luo_file_ser.data -> memfd-v2 -> memfd_luo_ser.folios -> chunk 2',
        `0x${first!.toString(16)} is chunk 0 again: the chunk list loops`,
      ),
    );
  });
});
