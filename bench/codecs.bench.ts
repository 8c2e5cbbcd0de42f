/**
 * `npm run bench codecs`: decode and encode throughput of the generated struct codecs on 200k
 * luo_file_ser records (64 bytes each), against, on the same bytes in this one run: careful
 * hand-written decoders and an encoder, binary-parser, restructure and Kaitai Struct (the .ksy in
 * bench/ compiled here, at bench time, with kaitai-struct-compiler's JS API; nothing generated is kept).
 * The generated codecs are those the image walker uses, compiled from the model
 * (generator/codec/compile.ts): the same source out/ts is generated from, which nothing here imports.
 *
 * Decoding is measured two ways: streaming (each record decoded, looked at and dropped, through each
 * library's per-record API) and collected (all records kept in an array, each library's bulk form
 * where it has one), each on strings that repeat, as a real image's handler names do, and on strings
 * that are all distinct. Every peer's output is checked before it is timed. Rates are the median of
 * several runs after warm-up, each from a collected heap, the peers taking turns so that load from other processes falls on all.
 */
import { createRequire } from 'node:module';
import { handChars } from './hand-chars.ts';
import { compileKsy, readKsy, type KaitaiStreamClass } from './kaitai.ts';
import { table as measuredTable, type Peer } from './measure.ts';
import { codecsFor } from '../generator/codec/compile.ts';
import { buildModel, findVersion } from '../generator/model/index.ts';
import luoSchema from '../schema/index.ts';

const RECORDS = 200_000;
const SIZE = 64;
const COMPAT = 48;
const WARMUP = 3;
const RUNS = 9;

interface LuoFileSer {
  compatible: string;
  data: bigint;
  token: bigint;
}
const fileCodec = codecsFor(findVersion(buildModel(luoSchema), 'luo-v4'))['luo_file_ser']!;
const decodeLuoFileSer = fileCodec.decode as unknown as (bytes: Uint8Array, offset: number) => LuoFileSer;
const encodeLuoFileSer = fileCodec.encode as unknown as (value: LuoFileSer, bytes: Uint8Array, offset: number) => void;
const LUO_FILE_SER_SIZE = fileCodec.size;

// -----------------------------------------------------------------------------------------------
// The workload: compatible strings of the kind file handlers use (a real image has a handful of
// handlers, so they repeat), and u64 values below 2^53 so that Kaitai's JavaScript u8 (a Number) can
// be checked exactly too.

/** With `distinct`, every record's string differs (`memfd-v1-17`), which no string cache can help. */
function workload(distinct: boolean): { records: LuoFileSer[]; bytes: Uint8Array } {
  const names = ['memfd-v1', 'vfio-pci-v1', 'iommufd-v1', 'kvm-guest-memfd-v1', 'luo-test-handler-with-a-long-name-v2'];
  const records: LuoFileSer[] = [];
  let seed = 0x2545f491;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < RECORDS; i++) {
    records.push({
      compatible: distinct ? `${names[i % names.length]!}-${i}` : names[i % names.length]!,
      data: (BigInt(next() & 0x1fffff) << 32n) | BigInt(next()),
      token: BigInt(i),
    });
  }
  const bytes = new Uint8Array(RECORDS * SIZE);
  const view = new DataView(bytes.buffer);
  const ascii = new TextEncoder();
  records.forEach((rec, i) => {
    ascii.encodeInto(rec.compatible, bytes.subarray(i * SIZE, i * SIZE + COMPAT - 1));
    view.setBigUint64(i * SIZE + 48, rec.data, true);
    view.setBigUint64(i * SIZE + 56, rec.token, true);
  });
  return { records, bytes };
}

// -----------------------------------------------------------------------------------------------
// Hand-written: what a careful person writes for this one struct, with the generated code's
// signature. One DataView per buffer (made again only when the buffer changes), no allocation that
// the result does not need, the missing NUL refused; u64 as bigint, one object per record.

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const textEncoder = new TextEncoder();

let handBytes: Uint8Array | undefined;
let handView: DataView = new DataView(new ArrayBuffer(0));
/** The DataView of `bytes`, made once per buffer. */
function viewOf(bytes: Uint8Array): DataView {
  if (bytes !== handBytes) {
    handBytes = bytes;
    handView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return handView;
}

/** Where the NUL of the char[COMPAT] at `offset` is; a throw when there is none. */
function nulOf(bytes: Uint8Array, offset: number): number {
  const limit = offset + COMPAT;
  let end = offset;
  while (end < limit && bytes[end] !== 0) end++;
  if (end === limit) throw new Error(`luo_file_ser at ${offset}: no NUL in compatible`);
  return end;
}

/** TextDecoder (fatal, so that invalid UTF-8 is refused) for the string. */
function handDecode(bytes: Uint8Array, offset: number): LuoFileSer {
  const view = viewOf(bytes);
  return {
    compatible: textDecoder.decode(bytes.subarray(offset, nulOf(bytes, offset))),
    data: view.getBigUint64(offset + 48, true),
    token: view.getBigUint64(offset + 56, true),
  };
}

/** The same, tuned as a careful person would once TextDecoder shows in a profile: an ASCII fast path (./hand-chars.ts). */
function handDecodeAscii(bytes: Uint8Array, offset: number): LuoFileSer {
  const view = viewOf(bytes);
  return {
    compatible: handChars(bytes, offset, COMPAT, `luo_file_ser at ${offset}`),
    data: view.getBigUint64(offset + 48, true),
    token: view.getBigUint64(offset + 56, true),
  };
}

/** encodeInto straight into the record, the rest of the array zeroed; a string that does not fit is refused. */
function handEncode(value: LuoFileSer, bytes: Uint8Array, offset: number): void {
  const view = viewOf(bytes);
  const { read, written } = textEncoder.encodeInto(value.compatible, bytes.subarray(offset, offset + COMPAT - 1));
  if (read !== value.compatible.length) throw new Error(`luo_file_ser at ${offset}: compatible does not fit`);
  bytes.fill(0, offset + written, offset + COMPAT);
  view.setBigUint64(offset + 48, value.data, true);
  view.setBigUint64(offset + 56, value.token, true);
}

// -----------------------------------------------------------------------------------------------
// The peers. binary-parser and restructure ship no types that NodeNext resolution finds, so they are
// loaded with require and given the little of their API used here.

const require = createRequire(import.meta.url);

interface BinaryParser {
  endianness(order: 'little'): BinaryParser;
  string(name: string, options: { length: number; stripNull: boolean }): BinaryParser;
  uint64(name: string): BinaryParser;
  array(name: string, options: { type: BinaryParser; length: number }): BinaryParser;
  parse(bytes: Uint8Array): unknown;
}
const { Parser } = require('binary-parser') as { Parser: new () => BinaryParser };

interface RestructureType {
  fromBuffer(bytes: Uint8Array): unknown;
  decode(stream: unknown): unknown;
  toBuffer(value: unknown): Uint8Array;
}
const r = require('restructure') as {
  DecodeStream: new (bytes: Uint8Array) => unknown;
  Struct: new (fields: Record<string, unknown>) => RestructureType;
  String: new (length: number, encoding: string) => unknown;
  Array: new (type: RestructureType, length: number) => RestructureType;
};

const fileParser = new Parser()
  .endianness('little')
  .string('compatible', { length: COMPAT, stripNull: true })
  .uint64('data')
  .uint64('token');
const allFilesParser = new Parser().array('records', { type: fileParser, length: RECORDS });

interface RestructureStream {
  readUInt32LE(): number;
  writeUInt32LE(value: number): void;
}
/** restructure has no 64-bit integer: this is the custom type its users write, from two u32 halves. */
const restructureU64 = {
  decode: (stream: RestructureStream): bigint => {
    const low = stream.readUInt32LE();
    return (BigInt(stream.readUInt32LE()) << 32n) | BigInt(low);
  },
  encode: (stream: RestructureStream, value: bigint): void => {
    stream.writeUInt32LE(Number(value & 0xffffffffn));
    stream.writeUInt32LE(Number(value >> 32n));
  },
  size: (): number => 8,
};
// Nor has it a C string: a fixed-length string is read with its NUL padding (stripped when checked)
// and must be given padded to its length to be written.
const fileStruct = new r.Struct({ compatible: new r.String(COMPAT, 'utf8'), data: restructureU64, token: restructureU64 });
const allFilesStruct = new r.Array(fileStruct, RECORDS);

interface KaitaiRecord {
  compatible: string;
  data: number;
  token: number;
}
interface Kaitai {
  readonly LuoFileSer: new (io: unknown) => KaitaiRecord;
  readonly KaitaiStream: KaitaiStreamClass;
}

async function loadKaitai(): Promise<Kaitai> {
  const { type, KaitaiStream } = await compileKsy<Kaitai['LuoFileSer']>(readKsy('luo_file_ser.ksy'), 'LuoFileSer');
  return { LuoFileSer: type, KaitaiStream };
}

// -----------------------------------------------------------------------------------------------
// Measuring: bench/measure.ts, every table RECORDS records, the median of RUNS runs after WARMUP.

const measuring = { records: RECORDS, warmUp: WARMUP, runs: RUNS };
const columns = { peer: 'codec', ratio: 'generated codecs vs this' };

type Decoded = { compatible: string; data: bigint | number; token: bigint | number };

function check(name: string, records: readonly LuoFileSer[], decoded: readonly Decoded[]): void {
  if (decoded.length !== records.length) throw new Error(`${name}: ${decoded.length} records, expected ${records.length}`);
  decoded.forEach((got, i) => {
    const want = records[i]!;
    if (got.compatible.replace(/\0+$/, '') !== want.compatible || BigInt(got.data) !== want.data || BigInt(got.token) !== want.token) {
      throw new Error(`${name}: record ${i} decoded as ${JSON.stringify(got, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
  });
}

function table(title: string, peers: readonly Peer[]): void {
  measuredTable(`${title} (${RECORDS.toLocaleString('en')} x luo_file_ser, ${SIZE} bytes each)`, peers, columns, measuring);
}

/**
 * Collected: every decoder gives the same thing, an array of all the records (what the bulk peers
 * return), checked against the records the workload was built from before it is timed. Keeping
 * 200k records alive makes this mostly a measure of allocation and garbage collection.
 */
function collectingDecoders(records: readonly LuoFileSer[], bytes: Uint8Array, { LuoFileSer: KaitaiFileSer, KaitaiStream }: Kaitai): Peer[] {
  const checked = (name: string) => (result: unknown) => check(name, records, result as Decoded[]);
  return [
    {
      name: 'generated',
      note: 'one call per record; bounds, NUL and UTF-8 checked',
      run: () => {
        const out = new Array<LuoFileSer>(RECORDS);
        for (let i = 0; i < RECORDS; i++) out[i] = decodeLuoFileSer(bytes, i * SIZE);
        return out;
      },
      check: checked('generated'),
    },
    {
      name: 'hand-written DataView',
      note: 'one call per record; one DataView per buffer; NUL and UTF-8 (TextDecoder, fatal) checked, bounds only by the DataView',
      run: () => {
        const out = new Array<LuoFileSer>(RECORDS);
        for (let i = 0; i < RECORDS; i++) out[i] = handDecode(bytes, i * SIZE);
        return out;
      },
      check: checked('hand-written'),
    },
    {
      name: 'hand-written DataView, ASCII fast path',
      note: 'as above, ASCII strings made by a Buffer over the same memory (latin1), others by TextDecoder',
      run: () => {
        const out = new Array<LuoFileSer>(RECORDS);
        for (let i = 0; i < RECORDS; i++) out[i] = handDecodeAscii(bytes, i * SIZE);
        return out;
      },
      check: checked('hand-written ASCII fast path'),
    },
    {
      name: 'binary-parser',
      note: 'one array parse of all records',
      run: () => (allFilesParser.parse(bytes) as { records: Decoded[] }).records,
      check: checked('binary-parser'),
    },
    {
      name: 'restructure',
      note: 'one array decode; u64 as a custom type; keeps the NUL padding',
      run: () => allFilesStruct.fromBuffer(bytes) as Decoded[],
      check: checked('restructure'),
    },
    {
      name: 'Kaitai Struct',
      note: 'records read in turn from one stream; u8 as a Number',
      run: () => {
        const io = new KaitaiStream(bytes.buffer as ArrayBuffer, bytes.byteOffset);
        const out = new Array<KaitaiRecord>(RECORDS);
        for (let i = 0; i < RECORDS; i++) out[i] = new KaitaiFileSer(io);
        return out;
      },
      check: checked('Kaitai Struct'),
    },
  ];
}

/**
 * Streaming: each record is decoded, looked at and dropped, as a walker of a handover image does;
 * every peer goes through its per-record API. This measures the decoding itself. The check is the
 * total length of the strings read (restructure's keep their NUL padding).
 */
function streamingDecoders(records: readonly LuoFileSer[], bytes: Uint8Array, { LuoFileSer: KaitaiFileSer, KaitaiStream }: Kaitai): Peer[] {
  const total = records.reduce((sum, rec) => sum + rec.compatible.length, 0);
  const sums = (name: string, expected: number) => (result: unknown) => {
    if (result !== expected) throw new Error(`${name}: strings of ${String(result)} characters in all, expected ${expected}`);
  };
  return [
    {
      name: 'generated',
      note: 'bounds, NUL and UTF-8 checked',
      run: () => {
        let sum = 0;
        for (let i = 0; i < RECORDS; i++) sum += decodeLuoFileSer(bytes, i * SIZE).compatible.length;
        return sum;
      },
      check: sums('generated', total),
    },
    {
      name: 'hand-written DataView',
      note: 'one DataView per buffer; NUL and UTF-8 (TextDecoder, fatal) checked, bounds only by the DataView',
      run: () => {
        let sum = 0;
        for (let i = 0; i < RECORDS; i++) sum += handDecode(bytes, i * SIZE).compatible.length;
        return sum;
      },
      check: sums('hand-written', total),
    },
    {
      name: 'hand-written DataView, ASCII fast path',
      note: 'as above, ASCII strings made by a Buffer over the same memory (latin1), others by TextDecoder',
      run: () => {
        let sum = 0;
        for (let i = 0; i < RECORDS; i++) sum += handDecodeAscii(bytes, i * SIZE).compatible.length;
        return sum;
      },
      check: sums('hand-written ASCII fast path', total),
    },
    {
      name: 'binary-parser',
      note: 'parse() of each record\'s 64 bytes',
      run: () => {
        let sum = 0;
        for (let i = 0; i < RECORDS; i++) sum += (fileParser.parse(bytes.subarray(i * SIZE, i * SIZE + SIZE)) as Decoded).compatible.length;
        return sum;
      },
      check: sums('binary-parser', total),
    },
    {
      name: 'restructure',
      note: 'decode() of each record from one DecodeStream',
      run: () => {
        const stream = new r.DecodeStream(bytes);
        let sum = 0;
        for (let i = 0; i < RECORDS; i++) sum += (fileStruct.decode(stream) as Decoded).compatible.length;
        return sum;
      },
      check: sums('restructure', RECORDS * COMPAT),
    },
    {
      name: 'Kaitai Struct',
      note: 'records read in turn from one stream; u8 as a Number',
      run: () => {
        const io = new KaitaiStream(bytes.buffer as ArrayBuffer, bytes.byteOffset);
        let sum = 0;
        for (let i = 0; i < RECORDS; i++) sum += new KaitaiFileSer(io).compatible.length;
        return sum;
      },
      check: sums('Kaitai Struct', total),
    },
  ];
}

export default async function run(): Promise<void> {
  if (LUO_FILE_SER_SIZE !== SIZE) throw new Error(`luo_file_ser is ${LUO_FILE_SER_SIZE} bytes, the bench assumes ${SIZE}`);
  const kaitai = await loadKaitai();
  const distinct = workload(true);
  const { records, bytes } = workload(false);
  table('Decode, streaming, every compatible string distinct', streamingDecoders(distinct.records, distinct.bytes, kaitai));
  table("Decode, streaming, five handlers' compatible strings repeating", streamingDecoders(records, bytes, kaitai));
  table('Decode, collected, every compatible string distinct', collectingDecoders(distinct.records, distinct.bytes, kaitai));
  table("Decode, collected, five handlers' compatible strings repeating", collectingDecoders(records, bytes, kaitai));

  const out = new Uint8Array(bytes.length);
  for (const [name, encode] of [['generated', encodeLuoFileSer], ['hand-written', handEncode]] as const) {
    out.fill(0xff);
    for (let i = 0; i < RECORDS; i++) encode(records[i]!, out, i * SIZE);
    if (!out.every((b, i) => b === bytes[i])) throw new Error(`${name} encoder wrote other bytes than the workload`);
  }
  const padded = records.map((rec) => ({ ...rec, compatible: rec.compatible.padEnd(COMPAT, '\0') }));
  const restructureOut = allFilesStruct.toBuffer(padded);
  if (!(restructureOut.length === bytes.length && restructureOut.every((b, i) => b === bytes[i]))) {
    throw new Error('restructure encoder wrote other bytes than the workload');
  }
  table('Encode, five handlers\' compatible strings repeating', [
    {
      name: 'generated',
      note: 'one call per record; every value checked: types, u64 ranges, the string\'s length, NUL and surrogates',
      run: () => {
        for (let i = 0; i < RECORDS; i++) encodeLuoFileSer(records[i]!, out, i * SIZE);
        return out;
      },
    },
    {
      name: 'hand-written DataView',
      note: 'one call per record; one DataView per buffer; TextEncoder.encodeInto; a string too long refused; no type or range checks (setBigUint64 wraps)',
      run: () => {
        for (let i = 0; i < RECORDS; i++) handEncode(records[i]!, out, i * SIZE);
        return out;
      },
    },
    { name: 'binary-parser', note: 'parses only' },
    {
      name: 'restructure',
      note: 'one array encode into a new buffer; strings given NUL-padded',
      run: () => allFilesStruct.toBuffer(padded),
    },
    { name: 'Kaitai Struct', note: 'the JavaScript target reads only' },
  ]);
}
