/**
 * The walker and the builder on their own: memory, version choice, the layout rules, every refusal
 * with the place it names, JSON, and the same walker over a schema that is not LUO.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FdtError, readFdt, rawU64Value, stringValue, writeFdt, type FdtNodeData } from '../generator/fdt/index.ts';
import {
  ImageError,
  PhysicalMemory,
  loadMemory,
  decodeEntry,
  decodeImage,
  encodeImage,
  walkImage,
  stateFromJson,
  stateToJson,
  type FdtImageState,
  type ImageState,
  type StructValue,
} from '../generator/image/index.ts';
import { buildModel, findStruct } from '../generator/model/index.ts';
import {
  array,
  chars,
  field,
  node,
  pa,
  pages,
  pointerProperty,
  fdtContainer,
  header,
  stringProperty,
  struct,
  toArray,
  toChain,
  toStruct,
  u32,
  u64,
  u64Property,
  version as abiVersion,
  defineExpr,
  defineString,
} from '../schema/lang.ts';
import { expectedState, luo, version } from './image-fixtures.ts';
import { scratchDir, thrown } from './support/tools.ts';

const BASE = 0x8000_0000n;
const PAGE = 4096n;

const file = (token: bigint): StructValue => ({ compatible: 'memfd-v1', data: token * 3n, token });
const sessionWith = (name: string, files: number): StructValue => ({
  name,
  file_set_ser: { files: files ? Array.from({ length: files }, (_, j) => file(BigInt(j))) : null, count: BigInt(files) },
});

function v3State(sessions: readonly StructValue[], flbs: readonly StructValue[] | null = null): FdtImageState {
  return {
    version: 'luo-v3',
    root: { compatible: 'luo-v3', properties: { 'luo-abi-header': { liveupdate_num: 1n, sessions_pa: sessions, flbs_pa: flbs } }, children: {} },
  };
}

const encode = (state: ImageState, options: Partial<Parameters<typeof encodeImage>[2]> = {}) =>
  encodeImage(version(state.version), state, { base: BASE, ...options });
const decode = (fdt: Uint8Array, memory: Uint8Array, base = BASE) => decodeImage(luo.versions, fdt, new PhysicalMemory([{ base, bytes: memory }]));

const view = (memory: Uint8Array) => new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
const u64At = (memory: Uint8Array, address: bigint) => view(memory).getBigUint64(Number(address - BASE), true);
const setU64 = (memory: Uint8Array, address: bigint, value: bigint) => view(memory).setBigUint64(Number(address - BASE), value, true);

/** luo-v3 addresses read from the image itself: luo_ser is at BASE. */
const sessionsPa = (memory: Uint8Array) => u64At(memory, BASE + 8n);
const sessionEntry = (block: bigint, i: number) => block + 16n + 80n * BigInt(i);
const filesPa = (memory: Uint8Array, block: bigint, i: number) => u64At(memory, sessionEntry(block, i) + 64n);

const imageError = (action: () => unknown) => thrown(ImageError, action);

describe('PhysicalMemory', () => {
  const memory = new PhysicalMemory([
    { base: 0x2000n, bytes: new Uint8Array(0x1000) },
    { base: 0x3000n, bytes: new Uint8Array(0x1000).fill(7) },
  ]);

  it('reads a range inside one region', () => {
    const slice = memory.slice(0x3ff8n, 8, 'here');
    expect(slice.offset).toBe(0xff8);
    expect(slice.bytes[slice.offset]).toBe(7);
  });

  it('refuses a range that runs from one region into the next, though both are there', () => {
    expect(() => memory.slice(0x2ffcn, 8, 'luo_ser')).toThrow(new ImageError('luo_ser', '8 bytes at 0x2ffc run past the end of the region 0x2000..0x3000'));
  });

  it('refuses an address outside every region, naming the regions', () => {
    expect(() => memory.slice(0x1000n, 1, 'x')).toThrow('x: physical address 0x1000 is not in memory (memory holds 0x2000..0x3000, 0x3000..0x4000)');
    expect(() => memory.slice((1n << 64n) - 1n, 1n << 62n, 'x')).toThrow(/is not in memory/);
  });

  it('loads raw files, each at its base address', () => {
    const dir = scratchDir('image-memory');
    writeFileSync(join(dir, 'a.mem'), new Uint8Array([1, 2, 3, 4]));
    writeFileSync(join(dir, 'b.mem'), new Uint8Array([9]));
    const loaded = loadMemory([{ path: join(dir, 'b.mem'), base: 0x9000n }, { path: join(dir, 'a.mem'), base: 0x1000n }]);
    expect(loaded.totalBytes).toBe(5);
    const slice = loaded.slice(0x1002n, 2, 'x');
    expect([...slice.bytes.subarray(slice.offset, slice.offset + 2)]).toEqual([3, 4]);
    expect(loaded.regionList.map((r) => r.base)).toEqual([0x1000n, 0x9000n]);
  });

  it('refuses overlapping regions', () => {
    expect(() => new PhysicalMemory([{ base: 0n, bytes: new Uint8Array(16) }, { base: 8n, bytes: new Uint8Array(16) }])).toThrow(
      'memory: region at 0x0 of 16 bytes overlaps the region at 0x8',
    );
  });
});

describe('choosing the version from the compatible strings', () => {
  const content = { sessions: 3, filesMod: 2, flbs: 1 };

  it.each(luo.versions.filter((v) => v.container?.kind === 'fdt').map((v) => v.name))('%s round-trips and is recognised as itself', (name) => {
    const image = encode(expectedState(name, content));
    expect(decode(image.fdt!, image.memory).state.version).toBe(name);
  });

  it('refuses an unknown root string, listing the known ones', () => {
    const image = encode(v3State([]));
    const tree = readFdt(image.fdt!);
    const root: FdtNodeData = { ...tree.root, properties: [{ name: 'compatible', value: stringValue('luo-v9') }, ...tree.root.properties.slice(1)] };
    expect(imageError(() => decode(writeFdt({ ...tree, root }), image.memory)).message).toBe(
      '/compatible: "luo-v9" names no known version; known: "luo-v1" (luo-v1-session-v1), "luo-v1" (luo-v1-session-v2), "luo-v1" (luo-v1), "luo-v2" (luo-v2), "luo-v3" (luo-v3), "luo-v4" (luo-v4)',
    );
  });

  it('refuses a luo-v1 root whose session node no luo-v1 version has', () => {
    const image = encode(expectedState('luo-v1', content));
    const tree = readFdt(image.fdt!);
    const session = tree.root.children[0]!;
    const changed = { ...session, properties: [{ name: 'compatible', value: stringValue('luo-session-v3') }, ...session.properties.slice(1)] };
    const fdt = writeFdt({ ...tree, root: { ...tree.root, children: [changed, ...tree.root.children.slice(1)] } });
    expect(imageError(() => decode(fdt, image.memory)).message).toBe(
      '/: the root says "luo-v1" but no version with that root matches the subnodes: luo-v1-session-v1 wants "luo-session-v1" at /luo-session, found "luo-session-v3"; luo-v1-session-v2 wants "luo-session-v2" at /luo-session, found "luo-session-v3"; luo-v1 wants "luo-session-v2" at /luo-session, found "luo-session-v3"',
    );
  });
});

describe('the kernel layout', () => {
  it('puts every block on a page boundary, 2 pages per session block of a chain (LUO_BLOCK_PGCNT), 2 per file array', () => {
    const image = encode(v3State([sessionWith('a', 2), sessionWith('b', 1), sessionWith('c', 0)], [{ name: 'f', data: 1n, count: 1n }]));
    const blocks = decode(image.fdt!, image.memory).blocks.map((b) => [b.pa - BASE, b.what]);
    expect(blocks).toEqual([
      [0n, 'luo_ser'],
      [PAGE, 'luo_block_header_ser + luo_session_ser[3]'],
      [3n * PAGE, 'luo_file_ser[2]'],
      [5n * PAGE, 'luo_file_ser[1]'],
      [7n * PAGE, 'luo_flb_header_ser + luo_flb_ser[1]'],
    ]);
    expect(image.memory.length).toBe(8 * 4096);
  });

  it('starts a new session block when 102 sessions fill one of 2 pages (luo-v3)', () => {
    const sessions = Array.from({ length: 103 }, (_, i) => ({ name: `s${i}`, file_set_ser: { files: null, count: 0n } }));
    const image = encode(v3State(sessions));
    const first = sessionsPa(image.memory);
    expect([u64At(image.memory, first + 8n), u64At(image.memory, first)]).toEqual([102n, first + 2n * PAGE]);
    expect([u64At(image.memory, first + 2n * PAGE + 8n), u64At(image.memory, first + 2n * PAGE)]).toEqual([1n, 0n]);
    expect(decode(image.fdt!, image.memory).state).toEqual(v3State(sessions));
  });

  it('starts a new file block when 127 files fill one (luo-v4)', () => {
    const state = expectedState('luo-v4', { sessions: 1, filesMod: 0, flbs: 0 });
    const files = Array.from({ length: 255 }, (_, j) => file(BigInt(j)));
    const luoSer = state.root.properties['luo-abi-header'] as { sessions_pa: StructValue[] };
    luoSer.sessions_pa = [{ name: 'big', file_set_ser: { files, count: 255n } }];
    const image = encode(state);
    const decoded = decode(image.fdt!, image.memory);
    expect(decoded.blocks.filter((b) => b.what.startsWith('luo_block_header_ser + luo_file_ser')).map((b) => b.entries)).toEqual([127, 127, 1]);
    expect(decoded.state).toEqual(state);
  });

  it('sizes the FLB block by what it holds and records it in pgcnt', () => {
    const flbs = Array.from({ length: 64 }, (_, k) => ({ name: `flb${k}`, data: BigInt(k), count: 0n }));
    const image = encode(v3State([], flbs));
    const flbPa = u64At(image.memory, BASE + 16n);
    expect(u64At(image.memory, flbPa)).toBe(2n);
    expect(u64At(image.memory, flbPa + 8n)).toBe(64n);
  });

  it('refuses more sessions than one luo-v2 block holds, and more files than one file array', () => {
    const state = expectedState('luo-v2', { sessions: 820, filesMod: 0, flbs: 0 });
    expect(imageError(() => encode(state)).message).toBe(
      '/luo-abi-header -> luo_ser.sessions_pa: 820 entries of struct luo_session_ser do not fit a block of 65536 bytes (at most 819)',
    );
    expect(imageError(() => encode(v3State([sessionWith('x', 129)]))).message).toBe(
      '/luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 0 -> luo_session_ser.file_set_ser.files: 129 entries of struct luo_file_ser do not fit a block of 8192 bytes (at most 128)',
    );
  });

  it('sizes blocks by the PAGE_SIZE given, on both sides', () => {
    const sessions = Array.from({ length: 1000 }, (_, i) => ({ name: `s${i}`, file_set_ser: { files: null, count: 0n } }));
    const state = { ...expectedState('luo-v2', { sessions: 0, filesMod: 0, flbs: 0 }) };
    (state.root.properties['luo-abi-header'] as { sessions_pa: unknown }).sessions_pa = sessions;
    const image = encode(state, { pageSize: 16384 });
    const memory = new PhysicalMemory([{ base: BASE, bytes: image.memory }]);
    expect(decodeImage(luo.versions, image.fdt!, memory, { pageSize: 16384 }).state).toEqual(state);
    expect(() => decodeImage(luo.versions, image.fdt!, memory)).toThrow(
      '/luo-abi-header -> luo_ser.sessions_pa: count 1000 is more than the 819 entries of struct luo_session_ser a block of 65536 bytes holds',
    );
  });

  it('never hands out physical address 0, which means none', () => {
    const image = encode(v3State([sessionWith('a', 1)]), { base: 0n });
    expect(decode(image.fdt!, image.memory, 0n).state).toEqual(v3State([sessionWith('a', 1)]));
    expect(decode(image.fdt!, image.memory, 0n).blocks[0]!.pa).toBe(4096n);
  });

  it('packs blocks back to back on request, still a valid image', () => {
    const state = v3State([sessionWith('a', 2), sessionWith('b', 1)]);
    const image = encode(state, { packing: 'packed' });
    expect(image.memory.length).toBe(24 + 16 + 2 * 80 + 3 * 64);
    expect(decode(image.fdt!, image.memory).state).toEqual(state);
  });

  it('fills in counts beside pointers, and refuses ones that disagree', () => {
    const withoutCount = v3State([{ name: 'a', file_set_ser: { files: [file(1n)] } }]);
    const image = encode(withoutCount);
    expect(decode(image.fdt!, image.memory).state).toEqual(v3State([sessionWith('a', 0)].map(() => ({ name: 'a', file_set_ser: { files: [file(1n)], count: 1n } }))));
    expect(imageError(() => encode(v3State([{ name: 'a', file_set_ser: { files: [file(1n)], count: 2n } }]))).message).toBe(
      '/luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 0 -> luo_session_ser.file_set_ser.files: holds 1 entries but the count beside it says 2',
    );
  });

  it('refuses a state that does not fit the version', () => {
    expect(imageError(() => encode({ ...v3State([]), root: { ...v3State([]).root, properties: {} } })).message).toBe(
      '/luo-abi-header: the property is missing from the state',
    );
    expect(imageError(() => encode({ ...v3State([]), root: { ...v3State([]).root, compatible: 'luo-v2' } })).message).toBe(
      '/compatible: is "luo-v2" but luo-v3 has "luo-v3"',
    );
    // The codec's own words follow the place.
    expect(imageError(() => encode(v3State([{ name: 'x'.repeat(64), file_set_ser: { files: null, count: 0n } }]))).message).toMatch(
      /^\/luo-abi-header -> luo_ser\.sessions_pa -> block 0 -> entry 0: luo_session_ser\.name: .*char\[64\] holds at most 63 bytes/,
    );
    expect(imageError(() => encode(v3State([]), { base: 0x1234n })).message).toBe('memory: base 0x1234 is not on a page boundary (4096); blocks are whole pages');
  });

  it('refuses an FDT larger than the limit, named after LUO_FDT_SIZE', () => {
    const state = expectedState('luo-v1', { sessions: 1, filesMod: 0, flbs: 0 });
    expect(() => encode(state, { maxFdtSize: 300 })).toThrow(new FdtError('size', 'the blob needs 311 bytes, more than LUO_FDT_SIZE (300)'));
    // The default is the model's LUO_FDT_SIZE, PAGE_SIZE on the model's page size.
    expect(encode(state).fdt!.length).toBe(311);
  });
});

describe('refusing a bad image, saying where', () => {
  const state = v3State([sessionWith('a', 2), sessionWith('b', 3)], [{ name: 'f', data: 1n, count: 1n }]);
  let good: { fdt: Uint8Array; memory: Uint8Array };
  const bad = (patch: (memory: Uint8Array) => void) => {
    const memory = good.memory.slice();
    patch(memory);
    return imageError(() => decode(good.fdt, memory)).message;
  };

  beforeAll(() => {
    const image = encode(state);
    good = { fdt: image.fdt!, memory: image.memory };
  });

  it('a pointer outside memory', () => {
    expect(bad((m) => setU64(m, BASE + 8n, 0xdead000n))).toBe(
      `/luo-abi-header -> luo_ser.sessions_pa -> block 0: physical address 0xdead000 is not in memory (memory holds 0x80000000..0x${(BASE + BigInt(good.memory.length)).toString(16)})`,
    );
  });

  it('a count larger than its block can hold', () => {
    expect(bad((m) => setU64(m, sessionsPa(m) + 8n, 103n))).toBe(
      '/luo-abi-header -> luo_ser.sessions_pa -> block 0: count 103 is more than the 102 entries of struct luo_session_ser a block of 8192 bytes holds',
    );
    expect(bad((m) => setU64(m, sessionEntry(sessionsPa(m), 1) + 72n, 129n))).toBe(
      '/luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 1 -> luo_session_ser.file_set_ser.files: count 129 is more than the 128 entries of struct luo_file_ser a block of 8192 bytes holds',
    );
  });

  it('a count the block holds but memory does not', () => {
    const huge = 1n << 55n;
    const pgcntAndCount = (m: Uint8Array) => {
      setU64(m, u64At(m, BASE + 16n), 1n << 50n);
      setU64(m, u64At(m, BASE + 16n) + 8n, huge);
    };
    expect(bad(pgcntAndCount)).toBe(
      `/luo-abi-header -> luo_ser.flbs_pa: ${16n + huge * 64n} bytes at 0x${(BASE + 7n * PAGE).toString(16)} run past the end of the region 0x80000000..0x${(BASE + BigInt(good.memory.length)).toString(16)}`,
    );
  });

  it('a chain that loops', () => {
    expect(bad((m) => setU64(m, sessionsPa(m), sessionsPa(m)))).toBe(
      `/luo-abi-header -> luo_ser.sessions_pa -> block 1: 0x${(BASE + PAGE).toString(16)} is block 0 again: the chain loops`,
    );
  });

  it('overlapping blocks', () => {
    expect(bad((m) => setU64(m, sessionEntry(sessionsPa(m), 1) + 64n, filesPa(m, sessionsPa(m), 0) + 64n))).toBe(
      `/luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 1 -> luo_session_ser.file_set_ser.files: luo_file_ser[3] at 0x80003040..0x80003100 overlaps luo_file_ser[2] at 0x80003000..0x80003080 read by /luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 0 -> luo_session_ser.file_set_ser.files`,
    );
  });

  it('overlapping blocks above 2^53, where addresses are not exact as numbers', () => {
    const high = 0xffff_ff00_0000_0000n;
    const image = encode(v3State([sessionWith('a', 2), sessionWith('b', 3)]), { base: high });
    const memory = image.memory.slice();
    const at = (address: bigint) => Number(address - high);
    const sessions = view(memory).getBigUint64(at(high + 8n), true);
    const firstFiles = view(memory).getBigUint64(at(sessionEntry(sessions, 0) + 64n), true);
    view(memory).setBigUint64(at(sessionEntry(sessions, 1) + 64n), firstFiles + 64n, true);
    const hexOf = (address: bigint) => `0x${address.toString(16)}`;
    expect(imageError(() => decode(image.fdt!, memory, high)).message).toBe(
      `/luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 1 -> luo_session_ser.file_set_ser.files: luo_file_ser[3] at ${hexOf(firstFiles + 64n)}..${hexOf(firstFiles + 256n)} overlaps luo_file_ser[2] at ${hexOf(firstFiles)}..${hexOf(firstFiles + 128n)} read by /luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 0 -> luo_session_ser.file_set_ser.files`,
    );
    // One byte apart at that height is the same double: only exact arithmetic tells these apart.
    expect(Number(firstFiles + 64n) === Number(firstFiles + 65n)).toBe(true);
  });

  it('a session name without its NUL', () => {
    expect(bad((m) => m.fill(0x41, Number(sessionEntry(sessionsPa(m), 1) - BASE), Number(sessionEntry(sessionsPa(m), 1) - BASE) + 64))).toBe(
      '/luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 1: luo_session_ser.name: no NUL terminator within char[64]',
    );
  });

  it('a luo-v4 chain holding fewer files than its count says', () => {
    const v4 = expectedState('luo-v4', { sessions: 2, filesMod: 3, flbs: 0 });
    const image = encode(v4);
    const memory = image.memory.slice();
    setU64(memory, sessionEntry(sessionsPa(memory), 1) + 72n, 5n);
    expect(imageError(() => decode(image.fdt!, memory)).message).toBe(
      '/luo-abi-header -> luo_ser.sessions_pa -> block 0 -> entry 1 -> luo_session_ser.file_set_ser.files: the chain holds 1 entries but the count beside the pointer says 5',
    );
  });

  it('many sessions aliasing one file block end at once, not after reading every alias', () => {
    // One session block holds 102 sessions: 101 of them point at the first one's file array.
    const sessions = Array.from({ length: 102 }, (_, i) => sessionWith(`s${i}`, i === 0 ? 128 : 1));
    const image = encode(v3State(sessions));
    const memory = image.memory.slice();
    const block = sessionsPa(memory);
    const shared = filesPa(memory, block, 0);
    for (let i = 1; i < 102; i++) {
      setU64(memory, sessionEntry(block, i) + 64n, shared);
      setU64(memory, sessionEntry(block, i) + 72n, 128n);
    }
    expect(imageError(() => decode(image.fdt!, memory)).message).toMatch(/^\/luo-abi-header -> luo_ser\.sessions_pa -> block 0 -> entry \d+ -> luo_session_ser\.file_set_ser\.files: luo_file_ser\[128\] at 0x80003000\.\.0x80005000 overlaps luo_file_ser\[128\] at 0x80003000\.\.0x80005000 read by/);
  });

  const withRootProperty = (name: string, value: Uint8Array) => {
    const tree = readFdt(good.fdt);
    return writeFdt({ ...tree, root: { ...tree.root, properties: [tree.root.properties[0]!, { name, value }] } });
  };

  it('a u64 property that is not 8 bytes', () => {
    expect(imageError(() => decode(withRootProperty('luo-abi-header', new Uint8Array(4)), good.memory)).message).toBe(
      '/luo-abi-header: is 4 bytes; a u64 property is exactly 8',
    );
  });

  it('a missing property, and a 0 where the pointer may not be 0', () => {
    expect(imageError(() => decode(withRootProperty('other', new Uint8Array(8)), good.memory)).message).toBe('/luo-abi-header: is missing');
    expect(imageError(() => decode(withRootProperty('luo-abi-header', rawU64Value(0n, true)), good.memory)).message).toBe(
      '/luo-abi-header: is 0, but must point at struct luo_ser',
    );
  });
});

describe('the streaming walk (walkImage): the same walker, nothing kept', () => {
  /** A visited view read field by field, through the model, into the plain value decodeImage keeps. */
  const plain = (name: string, value: StructValue): StructValue =>
    Object.fromEntries(
      findStruct(version('luo-v4'), name)
        .fields.filter((f) => f.type.kind !== 'flexible')
        .map((f) => [f.name, f.type.kind === 'aggregate' ? plain(f.type.name, value[f.name] as StructValue) : value[f.name]!]),
    );
  const walk = (fdt: Uint8Array, memory: Uint8Array, transientViews = false) => {
    const seen: [string, StructValue, string, number][] = [];
    const summary = walkImage(luo.versions, fdt, new PhysicalMemory([{ base: BASE, bytes: memory }]), {
      struct: (name, value, block, index) => seen.push([name, plain(name, value), block.toString(), index]),
      transientViews,
    });
    return { seen, summary };
  };

  it('visits every struct decodeImage keeps, in walk order, with pointers as addresses', () => {
    for (const name of ['luo-v3', 'luo-v4']) {
      const image = encode(expectedState(name, { sessions: 300, filesMod: name === 'luo-v3' ? 120 : 300, flbs: 2 }));
      const decoded = decode(image.fdt!, image.memory);
      const { seen, summary } = walk(image.fdt!, image.memory);
      const root = (decoded.state as FdtImageState).root.properties['luo-abi-header'] as { sessions_pa: StructValue[]; flbs_pa: StructValue[] };
      const files = root.sessions_pa.flatMap((s) => ((s['file_set_ser'] as { files: StructValue[] | null }).files ?? []));
      expect(seen.filter(([n]) => n === 'luo_file_ser').map(([, v]) => v)).toEqual(files);
      expect(seen.filter(([n]) => n === 'luo_flb_ser').map(([, v]) => v)).toEqual(root.flbs_pa);
      const sessions = seen.filter(([n]) => n === 'luo_session_ser');
      expect(sessions.map(([, v]) => v['name'])).toEqual(root.sessions_pa.map((s) => s['name']));
      // Each session is seen before its files, its files pointer still an address.
      expect(typeof (sessions[1]![1]['file_set_ser'] as StructValue)['files']).toBe('bigint');
      expect(sessions[1]!.slice(2)).toEqual(['/luo-abi-header -> luo_ser.sessions_pa -> block 0', 1]);
      expect(seen[0]![0]).toBe('luo_ser');
      expect(summary).toEqual({
        version: name,
        structs: seen.length,
        blocks: decoded.blocks.length,
        bytes: decoded.blocks.reduce((sum, b) => sum + b.size, 0),
      });
    }
  });

  it('with transient views: each struct type one view, moved from struct to struct, reading during each call what a view of its own reads', () => {
    const image = encode(expectedState('luo-v4', { sessions: 300, filesMod: 300, flbs: 2 }));
    const views = new Map<string, Set<StructValue>>();
    let lastFile: StructValue | undefined;
    const moved: [string, StructValue, string, number][] = [];
    walkImage(luo.versions, image.fdt!, new PhysicalMemory([{ base: BASE, bytes: image.memory }]), {
      transientViews: true,
      struct(name, value, block, index) {
        moved.push([name, plain(name, value), block.toString(), index]);
        views.set(name, (views.get(name) ?? new Set()).add(value));
        if (name === 'luo_file_ser') lastFile = value;
      },
    });
    expect(moved).toEqual(walk(image.fdt!, image.memory).seen);
    const counts = Object.fromEntries([...views].map(([name, set]) => [name, set.size]));
    expect(counts).toEqual({ luo_ser: 1, luo_block_header_ser: 1, luo_session_ser: 1, luo_file_ser: 1, luo_flb_header_ser: 1, luo_flb_ser: 1 });
    // What was kept is the last struct of its type, not the first: the view moved on.
    const files = moved.filter(([name]) => name === 'luo_file_ser');
    expect(plain('luo_file_ser', lastFile!)).toEqual(files.at(-1)![1]);
    expect(files[0]![1]).not.toEqual(files.at(-1)![1]);
  });

  it.each([false, true])('refuses a bad image with the same error as decodeImage, overlaps included (transient views: %s)', (transientViews) => {
    const image = encode(v3State([sessionWith('a', 2), sessionWith('b', 3)]));
    const patched = (patch: (memory: Uint8Array) => void) => {
      const memory = image.memory.slice();
      patch(memory);
      return memory;
    };
    for (const patch of [
      (m: Uint8Array) => setU64(m, sessionEntry(sessionsPa(m), 1) + 64n, filesPa(m, sessionsPa(m), 0) + 64n),
      (m: Uint8Array) => setU64(m, sessionsPa(m), sessionsPa(m)),
      (m: Uint8Array) => m.fill(0x41, Number(sessionEntry(sessionsPa(m), 1) - BASE), Number(sessionEntry(sessionsPa(m), 1) - BASE) + 64),
      (m: Uint8Array) => setU64(m, BASE + 8n, 0xdead000n),
    ]) {
      const memory = patched(patch);
      expect(imageError(() => walk(image.fdt!, memory, transientViews)).message).toBe(imageError(() => decode(image.fdt!, memory)).message);
    }
  });

  it('reads a file\'s handler string itself, with the decoder\'s checks and errors, though the visitor reads no field', () => {
    const image = encode(v3State([sessionWith('a', 2), sessionWith('b', 3)]));
    const fileAt = (memory: Uint8Array, session: number, file: number) => Number(filesPa(memory, sessionsPa(memory), session) - BASE) + 64 * file;
    const cases: [(m: Uint8Array) => void, string][] = [
      [(m) => m.fill(0x41, fileAt(m, 1, 2), fileAt(m, 1, 2) + 48), 'entry 2: luo_file_ser.compatible: no NUL terminator within char[48]'],
      [(m) => m.set([0xc3, 0x28, 0], fileAt(m, 0, 1)), 'entry 1: luo_file_ser.compatible: the 2 bytes before the NUL are not valid UTF-8'],
    ];
    for (const [patch, problem] of cases) {
      const memory = image.memory.slice();
      patch(memory);
      const decoded = imageError(() => decode(image.fdt!, memory));
      expect(decoded.message).toContain(problem);
      const walked = imageError(() => walkImage(luo.versions, image.fdt!, new PhysicalMemory([{ base: BASE, bytes: memory }]), { struct() {} }));
      expect(walked.message).toBe(decoded.message);
    }
  });
});

describe('the state as JSON', () => {
  const state = v3State([sessionWith('a', 1)], [{ name: 'f', data: (1n << 64n) - 1n, count: 0n }]);

  it('writes 64-bit integers as decimal strings and reads them back', () => {
    const text = stateToJson(state);
    expect(JSON.parse(text).root.properties['luo-abi-header'].flbs_pa[0].data).toBe('18446744073709551615');
    expect(stateFromJson(luo.versions, JSON.parse(text))).toEqual(state);
  });

  it('takes a count beside a pointer as optional, and 0x addresses and small JSON numbers', () => {
    const json = { version: 'luo-v3', root: { properties: { 'luo-abi-header': { liveupdate_num: 1, sessions_pa: [{ name: 'a', file_set_ser: { files: null } }], flbs_pa: null } } } };
    const read = stateFromJson(luo.versions, json) as FdtImageState;
    expect(read.root.properties['luo-abi-header']).toEqual({ liveupdate_num: 1n, sessions_pa: [{ name: 'a', file_set_ser: { files: null } }], flbs_pa: null });
    const image = encode(read);
    expect(decode(image.fdt!, image.memory).state).toEqual(v3State([sessionWith('a', 0)]));
  });

  it.each([
    [{ version: 'luo-v7', root: {} }, 'state.version: "luo-v7" is not a version; known: luo-v1-session-v1, luo-v1-session-v2, luo-v1, luo-v2, luo-v3, luo-v4, luo-v5, luo-v5+block-v1, luo-features, luo-features-named'],
    [{ version: 'luo-v3', root: { properties: {} } }, 'state.root.properties["luo-abi-header"]: is missing'],
    [{ version: 'luo-v3', root: { properties: { 'luo-abi-header': { liveupdate_num: '1.5', sessions_pa: null, flbs_pa: null } } } }, 'state.root.properties["luo-abi-header"].liveupdate_num: must be an integer, as a decimal string such as "42" (got "1.5")'],
    [{ version: 'luo-v3', root: { properties: { 'luo-abi-header': { liveupdate_num: '18446744073709551616', sessions_pa: null, flbs_pa: null } } } }, 'state.root.properties["luo-abi-header"].liveupdate_num: 18446744073709551616 is outside u64 (0 to 18446744073709551615)'],
    [{ version: 'luo-v3', root: { properties: { 'luo-abi-header': { liveupdate_num: '1', sessions_pa: [{ nam: 'x' }], flbs_pa: null } } } }, 'state.root.properties["luo-abi-header"].sessions_pa[0]: has "nam", which is not one of name, file_set_ser'],
    [{ version: 'luo-v3', root: { properties: { 'luo-abi-header': { liveupdate_num: '1', sessions_pa: {}, flbs_pa: null } } } }, 'state.root.properties["luo-abi-header"].sessions_pa: must be null or an array of struct luo_session_ser'],
  ])('refuses %j', (json, message) => {
    expect(imageError(() => stateFromJson(luo.versions, json)).message).toBe(message);
  });
});

describe('a schema that is not LUO', () => {
  const leaf = struct('demo_leaf', { packed: true, summary: 'A leaf.', fields: { tag: field(chars(8), 'Tag.'), value: field(u64, 'Value.') } });
  const item = struct('demo_item', { packed: true, summary: 'An item.', fields: { id: field(u32, 'Id.'), flags: field(u32, 'Flags.'), leaf: field(pa(toStruct(leaf)), 'A leaf.') } });
  const record = struct('demo_record', { packed: true, summary: 'A record.', fields: { seq: field(u64, 'Sequence.') } });
  const pair = struct('demo_pair', { packed: true, summary: 'A pair.', fields: { key: field(u32, 'Key.'), leaf: field(pa(toStruct(leaf), { nullable: true }), 'A leaf, or none.') } });
  const hdr = struct('demo_hdr', { packed: true, summary: 'A block header.', fields: { count: field(u64, 'Count.'), next: field(u64, 'Next.') } });
  const top = struct('demo_top', {
    packed: true,
    summary: 'The root.',
    fields: {
      n: field(u64, 'Items.'),
      items: field(pa(toArray({ entry: item, count: 'n', block: pages(1) })), 'Items.'),
      log: field(pa(toChain({ header: hdr, next: 'next', count: 'count', entry: record, block: pages(1) })), 'A log without a total.'),
      spare: field(array(pa(toStruct(leaf), { nullable: true }), 2), 'Two spare leaves: an array of pointers.'),
      pairs: field(array(pair, 2), 'Two pairs: an array of structs holding pointers.'),
    },
  });
  const c = {
    kho: defineString('DEMO_KHO', 'DEMO'),
    size: defineExpr('DEMO_FDT_SIZE', 'PAGE_SIZE'),
    compatible: defineString('DEMO_COMPATIBLE', 'demo-v1'),
    top: defineString('DEMO_TOP', 'demo-top'),
    extra: defineString('DEMO_EXTRA', 'extra'),
    extraCompatible: defineString('DEMO_EXTRA_COMPATIBLE', 'demo-extra-v1'),
    epoch: defineString('DEMO_EPOCH', 'epoch'),
    label: defineString('DEMO_LABEL', 'label'),
  };
  const demo = header({
    name: 'demo',
    path: 'include/demo.h',
    includeGuard: 'DEMO_H',
    spdx: 'GPL-2.0',
    copyright: [],
    current: 'demo-v1',
    versions: [
      abiVersion({
        name: 'demo-v1',
        origin: 'A test.',
        doc: { title: 'Demo', paragraphs: [] },
        constants: Object.values(c),
        types: [leaf, item, pair, record, hdr, top],
        container: fdtContainer({
          khoEntry: c.kho,
          maxSize: c.size,
          root: node({
            compatible: c.compatible,
            doc: 'Root.',
            properties: [pointerProperty(c.top, pa(toStruct(top), { nullable: false }), 'The root struct.')],
            children: [
              node({
                name: c.extra,
                compatible: c.extraCompatible,
                doc: 'Extra.',
                properties: [u64Property(c.epoch, 'Epoch.'), stringProperty(c.label, 'Label.')],
                children: [],
              }),
            ],
          }),
        }),
      }),
    ],
  });
  const demoModel = buildModel(demo);
  const demoVersions = demoModel.headers[0]!.versions;
  const records = Array.from({ length: 600 }, (_, i) => ({ seq: BigInt(i) * 11n }));
  const state: FdtImageState = {
    version: 'demo-v1',
    root: {
      compatible: 'demo-v1',
      properties: {
        'demo-top': {
          n: 2n,
          items: [
            { id: 1, flags: 0xffffffff, leaf: { tag: 'left', value: 5n } },
            { id: 2, flags: 0, leaf: null },
          ],
          log: records,
          spare: [null, { tag: 'spare', value: 7n }],
          pairs: [
            { key: 1, leaf: { tag: 'paired', value: 8n } },
            { key: 2, leaf: null },
          ],
        },
      },
      children: { extra: { compatible: 'demo-extra-v1', properties: { epoch: 9n, label: 'hello' }, children: {} } },
    },
  };

  it('follows struct, array and chain pointers and FDT string properties the same way', () => {
    const image = encodeImage(demoVersions[0]!, state, { base: BASE });
    const decoded = decodeImage(demoVersions, image.fdt!, new PhysicalMemory([{ base: BASE, bytes: image.memory }]));
    expect(decoded.state).toEqual(state);
    // 255 records of 8 bytes fit a page after the 16-byte header: 600 take three blocks.
    expect(decoded.blocks.filter((b) => b.what.startsWith('demo_hdr')).map((b) => b.entries)).toEqual([510, 90]);
  });
});

describe('a raw KHO entry (luo-v5 on): struct luo_ser found at an address, its version read from its string', () => {
  const files = (n: number) => Array.from({ length: n }, (_, j) => ({ compatible: 'memfd-v1', data: 0x1000n * BigInt(j + 1), token: BigInt(j) }));
  const sessions = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, file_set_ser: { files: i % 2 ? files(i) : null, count: BigInt(i % 2 ? i : 0) } }));
  const entry = (name: string, compatible: string, fileField: 'data' | 'serialized_data') => ({
    version: name,
    entry: {
      compatible,
      liveupdate_num: 7n,
      sessions_pa: sessions(60).map((s) => ({ ...s, file_set_ser: { ...s.file_set_ser, files: s.file_set_ser.files?.map(({ data, ...f }) => ({ ...f, [fileField]: data })) ?? null } })),
      flbs_pa: null,
    },
  });

  it.each([
    ['luo-v5', 'luo-v5', 'serialized_data'],
    ['luo-v5+block-v1', 'luo-v5;block-v1', 'data'],
  ] as const)('%s round-trips: one-page block chains, the handler address kept as it is', (name, compatible, fileField) => {
    const state = entry(name, compatible, fileField) as ImageState;
    const image = encode(state);
    expect(image.fdt).toBeUndefined();
    const decoded = decodeEntry(luo.versions, image.entryPa!, new PhysicalMemory([{ base: BASE, bytes: image.memory }]));
    expect(decoded.state).toEqual(state);
    // 80-byte sessions after a 16-byte header: 51 fit one 4 KiB block (KHO_BLOCK_SIZE), so 60 take two.
    expect(decoded.blocks.filter((b) => b.what.startsWith('kho_block_header_ser + luo_session_ser')).map((b) => b.entries)).toEqual([51, 9]);
  });

  it('picks the version by the string the struct holds, and names what it found otherwise', () => {
    const image = encode(entry('luo-v5', 'luo-v5', 'serialized_data') as ImageState);
    const memory = image.memory.slice();
    memory.set(new TextEncoder().encode('luo-v9\0'), Number(image.entryPa! - BASE));
    // Read as luo_feature_hdr, the bytes require and use bits they do not support: no feature header either.
    const word = (i: number) => new DataView(memory.buffer, memory.byteOffset).getBigUint64(Number(image.entryPa! - BASE) + 8 * i, true);
    const stray = (word(1) | word(2)) & ~word(0);
    expect(imageError(() => decodeEntry(luo.versions, image.entryPa!, new PhysicalMemory([{ base: BASE, bytes: memory }]))).message).toBe(
      `0x${image.entryPa!.toString(16)}: the entry's compatible string names no known version: "luo-v9" where luo-v5 has "luo-v5"; "luo-v9" where luo-v5+block-v1 has "luo-v5;block-v1"; ` +
        `nor a feature header of luo-features-named (bits 0x${stray.toString(16)} are required or active but not supported)`,
    );
  });
});
