/** The FDT codec on its own: the layout libfdt gives, and refusals that say where. */
import { describe, expect, it } from 'vitest';
import {
  FdtError,
  MAX_PROPERTY_NAME_BYTES,
  rawU64Value,
  readFdt,
  stringValue,
  writeFdt,
  type FdtNodeData,
  type FdtTree,
} from '../generator/fdt/index.ts';
import { thrown } from './support/tools.ts';

const tree = (root: FdtNodeData, reservations: FdtTree['reservations'] = []): FdtTree => ({ reservations, bootCpuid: 0, root });
const prop = (name: string, value: Uint8Array) => ({ name, value });
const be32 = (blob: Uint8Array, offset: number) => new DataView(blob.buffer, blob.byteOffset).getUint32(offset, false);
const setBe32 = (blob: Uint8Array, offset: number, value: number) => new DataView(blob.buffer, blob.byteOffset).setUint32(offset, value, false);

const luoV1Root: FdtNodeData = {
  name: '',
  properties: [prop('compatible', stringValue('luo-v1')), prop('liveupdate-number', rawU64Value(0x1122334455667788n, true))],
  children: [
    { name: 'luo-session', properties: [prop('compatible', stringValue('luo-session-v2')), prop('luo-session-header', rawU64Value(0x1000n, true))], children: [] },
    { name: 'luo-flb', properties: [prop('compatible', stringValue('luo-flb-v1')), prop('luo-flb-header', rawU64Value(0x3000n, true))], children: [] },
  ],
};

const errorOf = (action: () => unknown) => thrown(FdtError, action);

describe('writeFdt', () => {
  const blob = writeFdt(tree(luoV1Root));

  it('writes the header libfdt writes: magic, version 17, last compatible 16, map at 48', () => {
    expect(be32(blob, 0)).toBe(0xd00dfeed);
    expect(be32(blob, 4)).toBe(blob.length);
    expect(be32(blob, 16)).toBe(48);
    expect(be32(blob, 8)).toBe(64);
    expect(be32(blob, 20)).toBe(17);
    expect(be32(blob, 24)).toBe(16);
    expect(be32(blob, 12) + be32(blob, 32)).toBe(blob.length);
    expect(be32(blob, 8) + be32(blob, 36)).toBe(be32(blob, 12));
  });

  it('keeps each property name once, the newest first, as fdt_finish leaves the strings', () => {
    const strings = Buffer.from(blob.subarray(be32(blob, 12))).toString('latin1');
    expect(strings).toBe('luo-flb-header\0luo-session-header\0liveupdate-number\0compatible\0');
  });

  it('reuses the tail of a longer name', () => {
    const shared = writeFdt(tree({ name: '', properties: [prop('luo-session-header', new Uint8Array()), prop('header', new Uint8Array())], children: [] }));
    expect(Buffer.from(shared.subarray(be32(shared, 12))).toString('latin1')).toBe('luo-session-header\0');
    const root = readFdt(shared).root;
    expect(root.properties.map((p) => p.name)).toEqual(['luo-session-header', 'header']);
  });

  it('writes u64 properties as 8 raw bytes in the order asked for, not fdt64 cells', () => {
    expect([...rawU64Value(0x0102030405060708n, true)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect([...rawU64Value(0x0102030405060708n, false)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reads back what it wrote, reservations included', () => {
    const reservations = [{ address: 0x8000_0000n, size: 0x1000n }, { address: 1n << 40n, size: 3n }];
    const back = readFdt(writeFdt({ reservations, bootCpuid: 7, root: luoV1Root }));
    expect(back.reservations).toEqual(reservations);
    expect(back.bootCpuid).toBe(7);
    expect(back.root).toEqual(luoV1Root);
  });

  it('refuses a blob larger than the limit, naming it', () => {
    const big = tree({ name: '', properties: [prop('compatible', stringValue('x')), prop('blob', new Uint8Array(5000))], children: [] });
    const error = errorOf(() => writeFdt(big, { maxSize: 4096, maxSizeName: 'LUO_FDT_SIZE' }));
    expect(error.message).toMatch(/^FDT size: the blob needs 5\d{3} bytes, more than LUO_FDT_SIZE \(4096\)$/);
    expect(writeFdt(big).length).toBeGreaterThan(5000);
  });

  it('refuses a name with a NUL in it', () => {
    expect(errorOf(() => writeFdt(tree({ name: 'a\0b', properties: [], children: [] }))).where).toBe('node "a\0b"');
  });

  it('writes a deep tree without recursion', () => {
    let node: FdtNodeData = { name: 'leaf', properties: [], children: [] };
    for (let depth = 0; depth < 20000; depth++) node = { name: `n${depth % 10}`, properties: [], children: [node] };
    const back = readFdt(writeFdt(tree({ name: '', properties: [], children: [node] })));
    let depth = 0;
    for (let n = back.root; n.children.length > 0; n = n.children[0]!) depth++;
    expect(depth).toBe(20001);
  });
});

describe('readFdt refuses bad blobs with the place', () => {
  const good = writeFdt(tree(luoV1Root));
  const copy = () => good.slice();

  it.each([
    ['an empty blob', () => new Uint8Array(0), /^FDT header \(offset 0\): blob is 0 bytes, too short/],
    ['a wrong magic', () => { const b = copy(); b[0] = 0; return b; }, /^FDT header \(offset 0\): magic is 0x000dfeed, not 0xd00dfeed$/],
    ['version 15', () => { const b = copy(); setBe32(b, 20, 15); return b; }, /version 15 is older than 16/],
    ['last compatible version 18', () => { const b = copy(); setBe32(b, 24, 18); return b; }, /last compatible version 18 is newer than 17/],
    ['totalsize past the end', () => { const b = copy(); setBe32(b, 4, good.length + 1); return b; }, /^FDT header \(offset 4\): totalsize \d+ is outside 40\.\.\d+/],
    ['a structure block past totalsize', () => { const b = copy(); setBe32(b, 36, 0xfffffff0); return b; }, /structure block at 64, 4294967280 bytes, is not inside the blob/],
    ['a misaligned structure block', () => { const b = copy(); setBe32(b, 8, 66); return b; }, /structure block offset 66 is not a multiple of 4/],
    ['a strings block past totalsize', () => { const b = copy(); setBe32(b, 32, 0x7fffffff); return b; }, /strings block at \d+, 2147483647 bytes/],
    ['an unknown token', () => { const b = copy(); setBe32(b, 64, 7); return b; }, /^FDT structure block \(offset 64\): unknown token 0x7$/],
    ['a property outside any node', () => { const b = copy(); setBe32(b, 64, 3); return b; }, /^FDT structure block \(offset 64\): FDT_PROP outside any node$/],
    ['a property name offset past the strings', () => { const b = copy(); setBe32(b, 64 + 8 + 8, 0xffff); return b; }, /property name offset 65535 is outside the strings block/],
    ['a property length past the block', () => { const b = copy(); setBe32(b, 64 + 8 + 4, 0x10000); return b; }, /property value of 65536 bytes runs past the structure block/],
    ['FDT_END inside a node', () => { const b = copy(); setBe32(b, 64 + 8, 9); return b; }, /FDT_END inside node ""/],
    ['an END_NODE too many', () => { const b = copy(); setBe32(b, be32(good, 8) + be32(good, 36) - 4, 2); return b; }, /FDT_END_NODE without a node to end$/],
  ])('%s', (_what, make, message) => {
    expect(errorOf(() => readFdt(make())).message).toMatch(message);
  });

  it('a node name without a NUL before the block ends', () => {
    const b = copy();
    setBe32(b, 36, 6);
    b[68] = 0x41;
    b[69] = 0x41;
    expect(errorOf(() => readFdt(b)).message).toMatch(/^FDT structure block \(offset 68\): node name has no terminating NUL$/);
  });

  it('a property name longer than the limit', () => {
    const long = 'p'.repeat(MAX_PROPERTY_NAME_BYTES + 1);
    const blob = writeFdt(tree({ name: '', properties: [prop(long, new Uint8Array())], children: [] }));
    expect(errorOf(() => readFdt(blob)).message).toMatch(/longer than 1024 bytes/);
  });

  it('reads a version 16 blob, whose header has no size_dt_struct', () => {
    const b = copy();
    setBe32(b, 20, 16);
    setBe32(b, 36, 0xffffffff);
    expect(readFdt(b).root).toEqual(luoV1Root);
  });

  it('NOPs anywhere between tokens are skipped', () => {
    const blob = writeFdt(tree(luoV1Root));
    const structStart = be32(blob, 8);
    const withNop = new Uint8Array(blob.length + 4);
    withNop.set(blob.subarray(0, structStart));
    setBe32(withNop, structStart, 4);
    withNop.set(blob.subarray(structStart), structStart + 4);
    for (const field of [4, 12]) setBe32(withNop, field, be32(blob, field) + 4);
    setBe32(withNop, 36, be32(blob, 36) + 4);
    expect(readFdt(withNop).root).toEqual(luoV1Root);
  });
});
