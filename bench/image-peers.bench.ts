/**
 * `npm run bench image-peers`: our handover-image decoder against peers on the same bytes in this one
 * run. The image is images.bench.ts's throughput image: luo-v3, 100k sessions with 8 files each (100k
 * luo_session_ser and 800k luo_file_ser records), laid out as the kernel lays it out, the memory image
 * at physical address 2^32.
 *
 * Decoded: decodeImage (the whole state kept) against a hand-written DataView decoder, binary-parser
 * (built two ways, see binaryParserImage), restructure and Kaitai Struct (bench/luo_v3_image.ksy
 * compiled here, at bench time, with kaitai-struct-compiler's JS API), each building and returning a
 * tree of every session's name and every file's compatible, data and token. Streaming: walkImage
 * (nothing kept) against a hand-written DataView walker. The peers are given the memory image, its
 * base and the physical address of struct luo_ser, read once here from the FDT; ours starts from the
 * FDT blob. Each peer follows every pointer, checks that it lands in the memory image and that each
 * count fits its block, and stops a chain that comes back to a block, as a decoder of bytes from the
 * previous kernel must; what a library cannot say itself is done in a few lines of JS, named in the
 * table's notes. flbs_pa is 0 in this image, and no peer follows it.
 *
 * Every peer's output is checked, session by session and file by file, against what decodeImage
 * returns before it is timed, so that nothing is timed doing less than the whole walk. Rates are the
 * median of several runs after warm-up, each from a collected heap, the peers taking turns
 * (bench/measure.ts). IMAGE_PEERS_SESSIONS=n runs a smaller image, for trying changes.
 */
import { createRequire } from 'node:module';
import { handChars } from './hand-chars.ts';
import { compileKsy, readKsy, type KaitaiStreamClass } from './kaitai.ts';
import { BASE, FILES, VERSION, luoV3Image, luoV3State, model, type LuoV3Image } from './luo-v3-image.ts';
import { table, type Measuring } from './measure.ts';
import { readFdt } from '../generator/fdt/index.ts';
import { DEFAULT_PAGE_SIZE, decodeImage, walkImage, type DecodedImage, type FdtImageState, type ImageState } from '../generator/image/index.ts';
import { FILE_ARRAY_PAGES, LUO_BLOCK_PAGES } from '../schema/luo/structs.ts';
import { allVersions, findStruct, findVersion } from '../generator/model/index.ts';

const SESSIONS = Number(process.env['IMAGE_PEERS_SESSIONS'] ?? 100_000);
const RECORDS = SESSIONS * (1 + FILES);
const WARMUP = 3;
const RUNS = 9;

// The C layout, as a person writing a decoder for this one image takes it from the header.
const LUO_SER = 24;
const BLOCK_HEADER = 16;
const SESSION = 80;
const NAME = 64;
const FILE = 64;
const COMPAT = 48;
const SESSION_BLOCK_BYTES = LUO_BLOCK_PAGES * DEFAULT_PAGE_SIZE;
const FILE_BLOCK_BYTES = FILE_ARRAY_PAGES * DEFAULT_PAGE_SIZE;
/** A block's entries never cross into the next block: 102 sessions after the header in 2 pages. */
const SESSIONS_PER_BLOCK = Math.floor((SESSION_BLOCK_BYTES - BLOCK_HEADER) / SESSION);
/** A file array is one block of FILE_ARRAY_PAGES pages: 128 files. */
const FILES_PER_BLOCK = Math.floor(FILE_BLOCK_BYTES / FILE);

// -----------------------------------------------------------------------------------------------
// The workload: images.bench.ts's throughput image (bench/luo-v3-image.ts), built untimed.

interface Workload extends LuoV3Image {
  /** Physical address of struct luo_ser: the FDT property luo-abi-header, a raw native-endian u64. */
  readonly luoSerPa: bigint;
}

function workload(): Workload {
  const built = luoV3Image(SESSIONS, 'pages');
  const header = readFdt(built.fdt).root.properties.find((p) => p.name === 'luo-abi-header');
  if (header?.value.length !== 8) throw new Error('the FDT has no 8-byte luo-abi-header property');
  const luoSerPa = new DataView(header.value.buffer, header.value.byteOffset, 8).getBigUint64(0, true);
  return { ...built, luoSerPa };
}

// -----------------------------------------------------------------------------------------------
// What every peer is checked against: the sessions in order, each with its files.

interface CheckedFile {
  readonly compatible: string;
  readonly data: bigint | number;
  readonly token: bigint | number;
}
interface CheckedSession {
  readonly name: string;
  readonly files: readonly CheckedFile[];
}
interface CheckedImage {
  readonly liveupdateNum: bigint | number;
  readonly sessions: readonly CheckedSession[];
}

type StateSession = { name: string; file_set_ser: { files: CheckedFile[] } };

/** The sessions of a state: one decodeImage returned, or one an image was built from. */
function stateChecked(state: ImageState): CheckedImage {
  const header = (state as FdtImageState).root.properties['luo-abi-header'] as unknown as { liveupdate_num: bigint; sessions_pa: StateSession[] };
  return {
    liveupdateNum: header.liveupdate_num,
    sessions: header.sessions_pa.map((s) => ({ name: s.name, files: s.file_set_ser.files })),
  };
}

/** Every session and every file, value by value; strings lose any NUL padding a peer keeps. */
function checkImage(peer: string, want: CheckedImage, got: CheckedImage): void {
  const fail = (what: string) => {
    throw new Error(`${peer}: ${what}`);
  };
  const text = (s: string) => s.replace(/\0+$/, '');
  if (BigInt(got.liveupdateNum) !== want.liveupdateNum) fail(`liveupdate_num ${got.liveupdateNum}, expected ${want.liveupdateNum}`);
  if (got.sessions.length !== want.sessions.length) fail(`${got.sessions.length} sessions, expected ${want.sessions.length}`);
  want.sessions.forEach((session, i) => {
    const other = got.sessions[i]!;
    if (text(other.name) !== session.name) fail(`session ${i} named ${JSON.stringify(other.name)}`);
    if (other.files.length !== session.files.length) fail(`session ${i} has ${other.files.length} files`);
    session.files.forEach((file, j) => {
      const f = other.files[j]!;
      if (text(f.compatible) !== file.compatible || BigInt(f.data) !== BigInt(file.data) || BigInt(f.token) !== BigInt(file.token)) {
        fail(`session ${i} file ${j} decoded as ${JSON.stringify(f, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
    });
  });
}

// -----------------------------------------------------------------------------------------------
// Hand-written: what a careful person writes for this one image. Every pointer is checked against the
// memory image before it is read, every count against its block, every string for its NUL and (when
// not ASCII) its UTF-8, and a chain that comes back to a block it has been through is a loop, not a
// hang. Addresses and counts are read as numbers (exact below 2^53, which is checked), the values
// the state keeps as bigints.

interface HandFile {
  compatible: string;
  data: bigint;
  token: bigint;
}
interface HandSession {
  name: string;
  files: HandFile[];
}
interface HandImage {
  liveupdateNum: bigint;
  sessions: HandSession[];
}

/** The high 32 bits of a u64 below 2^53 are below this. */
const EXACT_HIGH = 0x20_0000;

/**
 * Checked reads from the memory image; offsets are into `bytes`, addresses physical. One DataView
 * over the image, made once; addresses read, compared and offset as numbers, so that no read
 * allocates but the values it returns.
 */
class HandMemory {
  private readonly view: DataView;
  private readonly baseNumber: number;

  constructor(
    readonly bytes: Uint8Array,
    base: bigint,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (base + BigInt(bytes.length) > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('the memory image must lie below 2^53');
    this.baseNumber = Number(base);
  }

  /** Where `length` bytes at physical address `pa` start in the image; a throw unless all are in it. */
  at(pa: number, length: number, what: string): number {
    const offset = pa - this.baseNumber;
    if (offset < 0 || offset + length > this.bytes.length) {
      throw new Error(`${what}: ${length} bytes at 0x${pa.toString(16)} are outside the memory image`);
    }
    return offset;
  }

  u64(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }

  /** A u64 address or count as a number; one past 2^53 is in no image. */
  number(offset: number, what: string): number {
    const high = this.view.getUint32(offset + 4, true);
    if (high >= EXACT_HIGH) throw new Error(`${what}: ${this.u64(offset)} is past 2^53`);
    return high * 0x1_0000_0000 + this.view.getUint32(offset, true);
  }

  /** A count read as a u64, no more than `max` (what fits in its block). */
  count(offset: number, max: number, what: string): number {
    const count = this.number(offset, what);
    if (count > max) throw new Error(`${what}: count ${count} does not fit its block (at most ${max})`);
    return count;
  }

  /** A char[length]: UTF-8 up to its NUL, which must be there (./hand-chars.ts, with its ASCII fast path). */
  chars(offset: number, length: number, what: string): string {
    return handChars(this.bytes, offset, length, what);
  }

  /** The session blocks of the chain at `pa`, in order: where each one's entries start and how many. */
  *sessionBlocks(pa: number): Generator<{ entries: number; count: number }> {
    const seen = new Set<number>();
    while (pa !== 0) {
      const header = this.at(pa, BLOCK_HEADER, 'luo_block_header_ser');
      if (seen.has(header)) throw new Error(`the chain of session blocks comes back to 0x${pa.toString(16)}`);
      seen.add(header);
      const count = this.count(header + 8, SESSIONS_PER_BLOCK, 'luo_block_header_ser');
      this.at(pa, BLOCK_HEADER + count * SESSION, 'session block');
      yield { entries: header + BLOCK_HEADER, count };
      pa = this.number(header, 'luo_block_header_ser.next');
    }
  }

  /** Where the `count` files of a file set start (0 for none). */
  files(pa: number, count: number): number {
    if (count === 0) return 0;
    return this.at(pa, count * FILE, 'luo_file_set_ser.files');
  }
}

function handDecodeImage(bytes: Uint8Array, base: bigint, luoSerPa: bigint): HandImage {
  const memory = new HandMemory(bytes, base);
  const root = memory.at(Number(luoSerPa), LUO_SER, 'luo_ser');
  const sessions: HandSession[] = [];
  for (const block of memory.sessionBlocks(memory.number(root + 8, 'luo_ser.sessions_pa'))) {
    for (let i = 0, entry = block.entries; i < block.count; i++, entry += SESSION) {
      const name = memory.chars(entry, NAME, 'luo_session_ser.name');
      const count = memory.count(entry + NAME + 8, FILES_PER_BLOCK, 'luo_file_set_ser');
      const files: HandFile[] = new Array(count);
      for (let j = 0, at = memory.files(memory.number(entry + NAME, 'luo_file_set_ser.files'), count); j < count; j++, at += FILE) {
        files[j] = { compatible: memory.chars(at, COMPAT, 'luo_file_ser.compatible'), data: memory.u64(at + 48), token: memory.u64(at + 56) };
      }
      sessions.push({ name, files });
    }
  }
  return { liveupdateNum: memory.u64(root), sessions };
}

/**
 * The streaming form: every session and file checked as the decoder checks it, and handed to the
 * visitor with what it reads of it (as walkImage's visitor here reads a session's name and a file's
 * compatible string and data), then dropped.
 */
interface HandVisitor {
  session(name: string, files: number, count: number): void;
  file(compatible: string, data: bigint): void;
}

function handWalkImage(bytes: Uint8Array, base: bigint, luoSerPa: bigint, visitor: HandVisitor): void {
  const memory = new HandMemory(bytes, base);
  const root = memory.at(Number(luoSerPa), LUO_SER, 'luo_ser');
  for (const block of memory.sessionBlocks(memory.number(root + 8, 'luo_ser.sessions_pa'))) {
    for (let i = 0, entry = block.entries; i < block.count; i++, entry += SESSION) {
      const filesPa = memory.number(entry + NAME, 'luo_file_set_ser.files');
      const count = memory.count(entry + NAME + 8, FILES_PER_BLOCK, 'luo_file_set_ser');
      visitor.session(memory.chars(entry, NAME, 'luo_session_ser.name'), filesPa, count);
      for (let j = 0, at = memory.files(filesPa, count); j < count; j++, at += FILE) {
        visitor.file(memory.chars(at, COMPAT, 'luo_file_ser.compatible'), memory.u64(at + 48));
      }
    }
  }
}

// -----------------------------------------------------------------------------------------------
// binary-parser: pointers with offsets computed from the physical address, nested parsers, arrays
// whose length is a field, and the chain as a named parser that points at itself. binary-parser ships
// no types that NodeNext resolution finds, so it is loaded with require and given the little of its
// API used here. Option functions are called with the object being parsed as `this`.

const require = createRequire(import.meta.url);

type ParserOption = (this: never) => number;
interface BinaryParser {
  useContextVars(): BinaryParser;
  namely(alias: string): BinaryParser;
  endianness(order: 'little'): BinaryParser;
  string(name: string, options: { length: number; stripNull: boolean }): BinaryParser;
  uint64(name: string, options?: { assert: (value: bigint) => boolean }): BinaryParser;
  nest(name: string, options: { type: BinaryParser }): BinaryParser;
  array(name: string, options: { type: BinaryParser; length: string | (() => bigint) }): BinaryParser;
  pointer(name: string, options: { type: BinaryParser | string; offset: number | ParserOption }): BinaryParser;
  choice(options: { tag: ParserOption; choices: Record<number, BinaryParser> }): BinaryParser;
  parse(bytes: Uint8Array): unknown;
}
const { Parser } = require('binary-parser') as { Parser: new () => BinaryParser };

interface ParsedFile {
  compatible: string;
  data: bigint;
  token: bigint;
}
interface ParsedSession {
  name: string;
  file_set_ser: { files: bigint; count: bigint; array: { entries: ParsedFile[] } };
}
interface ParsedBlock {
  next: bigint;
  count: bigint;
  entries: ParsedSession[];
  next_block?: ParsedBlock;
}
interface ParsedImage {
  luo_ser: { liveupdate_num: bigint; sessions_pa: bigint; flbs_pa: bigint; sessions?: ParsedBlock };
}

/**
 * A pointer's target is an object of its own, so the file array a file set points at is one object
 * down, and its length, the file set's count, is out of the array's reach. binary-parser's way there
 * is a context variable, `$parent.count`; but context variables are set and deleted on every object
 * parsed, which makes the parse about three times as slow, so the parser is also built the other way:
 * the pointer's offset function, which runs on the file set, leaves the count in a closure for the
 * array's length function (JS glue, two lines).
 */
type FileCountVia = 'context' | 'closure';

function binaryParserImage(bytes: Uint8Array, base: bigint, luoSerPa: bigint, fileCountVia: FileCountVia): () => ParsedImage {
  const inMemory = (pa: bigint) => pa === 0n || (pa >= base && pa - base < BigInt(bytes.length));
  const offsetOf = (pa: bigint) => Number(pa - base);
  // binary-parser follows a chain that comes back to a block until the heap runs out (the process
  // aborts): the assertions on the chain's addresses also remember the blocks seen (JS glue).
  const seenBlocks = new Set<bigint>();
  const firstVisit = (pa: bigint) => pa === 0n || (!seenBlocks.has(pa) && seenBlocks.add(pa) !== undefined);
  let fileCount = 0n;
  const file = new Parser().endianness('little').string('compatible', { length: COMPAT, stripNull: true }).uint64('data').uint64('token');
  const fileSet = new Parser()
    .endianness('little')
    .uint64('files', { assert: inMemory })
    .uint64('count', { assert: (count) => count <= BigInt(FILES_PER_BLOCK) })
    .pointer('array', {
      type: new Parser().array('entries', { type: file, length: fileCountVia === 'context' ? '$parent.count' : () => fileCount }),
      offset: function (this: { files: bigint; count: bigint }) {
        fileCount = this.count;
        return offsetOf(this.files);
      },
    });
  const session = new Parser().endianness('little').string('name', { length: NAME, stripNull: true }).nest('file_set_ser', { type: fileSet });
  // The chain: while the address in `field` is not 0, a choice follows it to a session block, read
  // by the parser named `blockParser`, whose own `next` is followed the same way. Names are global to
  // binary-parser, so each way of building has its own.
  const blockParser = `sessionBlockVia${fileCountVia}`;
  const sessionBlockAt = (field: 'next' | 'sessions_pa', name: string) => ({
    tag: function (this: Record<string, bigint>) {
      return this[field] === 0n ? 0 : 1;
    },
    choices: {
      0: new Parser(),
      1: new Parser().pointer(name, {
        type: blockParser,
        offset: function (this: Record<string, bigint>) {
          return offsetOf(this[field]!);
        },
      }),
    },
  });
  new Parser()
    .namely(blockParser)
    .endianness('little')
    .uint64('next', { assert: (next) => inMemory(next) && firstVisit(next) })
    .uint64('count', { assert: (count) => count <= BigInt(SESSIONS_PER_BLOCK) })
    .array('entries', { type: session, length: 'count' })
    .choice(sessionBlockAt('next', 'next_block'));
  const luoSer = new Parser()
    .endianness('little')
    .uint64('liveupdate_num')
    .uint64('sessions_pa', { assert: (pa) => inMemory(pa) && firstVisit(pa) })
    .uint64('flbs_pa', { assert: inMemory })
    .choice(sessionBlockAt('sessions_pa', 'sessions'));
  const image = new Parser().pointer('luo_ser', { type: luoSer, offset: offsetOf(luoSerPa) });
  if (fileCountVia === 'context') image.useContextVars();
  return () => {
    seenBlocks.clear();
    return image.parse(bytes) as ParsedImage;
  };
}

function binaryParserChecked(parsed: ParsedImage): CheckedImage {
  const sessions: CheckedSession[] = [];
  for (let block = parsed.luo_ser.sessions; block; block = block.next_block) {
    for (const s of block.entries) sessions.push({ name: s.name, files: s.file_set_ser.array.entries });
  }
  return { liveupdateNum: parsed.luo_ser.liveupdate_num, sessions };
}

// -----------------------------------------------------------------------------------------------
// restructure: Pointer types for every physical address, the chain as a struct whose `next` points at
// itself. It has no 64-bit integer, so u64 is the custom type its users write from two u32 halves, and
// addresses and counts are custom types too (restructure's way of extending it): a physical address
// becomes a Number and is checked against the memory image, a count against its block.

interface RestructureStream {
  pos: number;
  readUInt32LE(): number;
}
interface RestructureStruct {
  decode(stream: RestructureStream): unknown;
  process?: (this: Record<string, unknown>) => void;
}
interface RestructureType {
  decode(stream: RestructureStream): unknown;
  size(): number;
}
const r = require('restructure') as {
  DecodeStream: new (bytes: Uint8Array) => RestructureStream;
  Struct: new (fields: Record<string, unknown>) => RestructureStruct;
  String: new (length: number, encoding: string) => unknown;
  Array: new (type: unknown, length: string) => unknown;
  Pointer: new (offsetType: RestructureType, type: unknown, options: { type: 'global'; relativeTo: () => number; lazy?: boolean }) => unknown;
};

function readU64(stream: RestructureStream): bigint {
  const low = stream.readUInt32LE();
  return (BigInt(stream.readUInt32LE()) << 32n) | BigInt(low);
}
const restructureU64: RestructureType = { decode: readU64, size: () => 8 };

function restructureCount(max: number, what: string): RestructureType {
  return {
    decode: (stream) => {
      const count = readU64(stream);
      if (count > BigInt(max)) throw new Error(`restructure: ${what} count ${count} does not fit its block (at most ${max})`);
      return Number(count);
    },
    size: () => 8,
  };
}

interface StructuredFile {
  compatible: string;
  data: bigint;
  token: bigint;
}
interface StructuredBlock {
  next: StructuredBlock | null;
  count: number;
  entries: { name: string; file_set_ser: { files: StructuredFile[] | null; count: number } }[];
}
interface StructuredImage {
  liveupdate_num: bigint;
  sessions: StructuredBlock | null;
  flbs_pa: bigint;
}

function restructureImage(bytes: Uint8Array, base: bigint, luoSerPa: bigint): () => StructuredImage {
  const physicalAddress: RestructureType = {
    decode: (stream) => {
      const pa = readU64(stream);
      if (pa !== 0n && (pa < base || pa - base >= BigInt(bytes.length))) throw new Error(`restructure: 0x${pa.toString(16)} is outside the memory image`);
      return Number(pa);
    },
    size: () => 8,
  };
  // restructure follows a chain that comes back to a block until the stack overflows: the address
  // type of the chain's pointers also remembers the blocks seen.
  const seenBlocks = new Set<number>();
  const blockAddress: RestructureType = {
    decode: (stream) => {
      const pa = physicalAddress.decode(stream) as number;
      if (seenBlocks.has(pa)) throw new Error(`restructure: the chain of session blocks comes back to 0x${pa.toString(16)}`);
      if (pa !== 0) seenBlocks.add(pa);
      return pa;
    },
    size: () => 8,
  };
  // 'global' offsets count from where the root struct (luo_ser) was decoded, not from the start of
  // the bytes as restructure's README says; relativeTo takes them back to the start, at `base`.
  const luoSerOffset = Number(luoSerPa - base);
  const pointer = (type: unknown, address = physicalAddress, lazy = false) =>
    new r.Pointer(address, type, { type: 'global', relativeTo: () => -(Number(base) + luoSerOffset), lazy });
  // The strings keep their NUL padding: restructure's fixed-length string is not a C string.
  const file = new r.Struct({ compatible: new r.String(COMPAT, 'utf8'), data: restructureU64, token: restructureU64 });
  // Fields are read in order and the file count comes after the pointer, so the pointer is lazy (read
  // when first asked for) and the struct's process hook asks for it once the count is read.
  const fileSet = new r.Struct({
    files: pointer(new r.Array(file, 'count'), physicalAddress, true),
    count: restructureCount(FILES_PER_BLOCK, 'luo_file_set_ser'),
  });
  fileSet.process = function () {
    void this['files'];
  };
  const session = new r.Struct({ name: new r.String(NAME, 'utf8'), file_set_ser: fileSet });
  const blockFields: Record<string, unknown> = {};
  const block = new r.Struct(blockFields);
  blockFields['next'] = pointer(block, blockAddress);
  blockFields['count'] = restructureCount(SESSIONS_PER_BLOCK, 'luo_block_header_ser');
  blockFields['entries'] = new r.Array(session, 'count');
  const image = new r.Struct({ liveupdate_num: restructureU64, sessions: pointer(block, blockAddress), flbs_pa: restructureU64 });
  return () => {
    seenBlocks.clear();
    const stream = new r.DecodeStream(bytes);
    stream.pos = luoSerOffset;
    return image.decode(stream) as StructuredImage;
  };
}

function restructureChecked(image: StructuredImage): CheckedImage {
  const sessions: CheckedSession[] = [];
  for (let block = image.sessions; block; block = block.next) {
    for (const s of block.entries) sessions.push({ name: s.name, files: s.file_set_ser.files ?? [] });
  }
  return { liveupdateNum: image.liveupdate_num, sessions };
}

// -----------------------------------------------------------------------------------------------
// Kaitai Struct: bench/luo_v3_image.ksy, with the base and the address of luo_ser as params, every
// pointer a `pos` instance checked by a `valid` expression (Kaitai's seek clamps to the stream, it
// does not fail), the chain an instance of a block that reads the next block.

interface KaitaiFile {
  compatible: string;
  data: number;
  token: number;
}
interface KaitaiBlock {
  readonly next: number;
  readonly entries: { name: string; fileSetSer: { readonly entries: KaitaiFile[] | undefined } }[];
  readonly nextBlock: KaitaiBlock | undefined;
}
interface KaitaiImage {
  readonly luoSer: { liveupdateNum: number; sessionsPa: number; readonly sessions: KaitaiBlock | undefined };
}
type KaitaiImageClass = new (io: unknown, parent: null, root: null, base: number, luoSerPa: number) => KaitaiImage;
interface Kaitai {
  readonly LuoV3Image: KaitaiImageClass;
  readonly KaitaiStream: KaitaiStreamClass;
}

/** bench/luo_v3_image.ksy, its count limits checked against the layout first, compiled now. */
async function loadKaitai(): Promise<Kaitai> {
  const ksy = readKsy<{ types: Record<string, { seq: { id: string; valid?: { max?: number } }[] }> }>('luo_v3_image.ksy');
  const limit = (type: string) => ksy.types[type]?.seq.find((field) => field.id === 'count')?.valid?.max;
  if (limit('session_block') !== SESSIONS_PER_BLOCK || limit('luo_file_set_ser') !== FILES_PER_BLOCK) {
    throw new Error(`luo_v3_image.ksy's counts are not limited to ${SESSIONS_PER_BLOCK} sessions and ${FILES_PER_BLOCK} files a block`);
  }
  const { type, KaitaiStream } = await compileKsy<KaitaiImageClass>(ksy, 'LuoV3Image');
  return { LuoV3Image: type, KaitaiStream };
}

function kaitaiImage({ LuoV3Image, KaitaiStream }: Kaitai, bytes: Uint8Array, base: bigint, luoSerPa: bigint): () => KaitaiImage {
  // Kaitai's stream takes an ArrayBuffer and reads to its end: the image must be the whole of it.
  if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) throw new Error('the memory image is not a whole ArrayBuffer');
  return () => {
    const image = new LuoV3Image(new KaitaiStream(bytes.buffer as ArrayBuffer, 0), null, null, Number(base), Number(luoSerPa));
    // Instances are read when first asked for: every one is asked for here, so that the whole image
    // is read now and kept (JS glue), and a chain that comes back to a block is stopped (Kaitai would
    // follow it for ever).
    const seenBlocks = new Set([image.luoSer.sessionsPa]);
    for (let block = image.luoSer.sessions; block; block = block.nextBlock) {
      if (seenBlocks.has(block.next)) throw new Error(`Kaitai Struct: the chain of session blocks comes back to 0x${block.next.toString(16)}`);
      seenBlocks.add(block.next);
      for (const session of block.entries) void session.fileSetSer.entries;
    }
    return image;
  };
}

function kaitaiChecked(image: KaitaiImage): CheckedImage {
  const sessions: CheckedSession[] = [];
  for (let block = image.luoSer.sessions; block; block = block.nextBlock) {
    for (const s of block.entries) sessions.push({ name: s.name, files: s.fileSetSer.entries ?? [] });
  }
  return { liveupdateNum: image.luoSer.liveupdateNum, sessions };
}

// -----------------------------------------------------------------------------------------------
// The tables

const measuring: Measuring = { records: RECORDS, warmUp: WARMUP, runs: RUNS };
const columns = { peer: 'decoder', ratio: 'ours vs this' };
const shape = `${SESSIONS.toLocaleString('en')} sessions x ${FILES} files, ${RECORDS.toLocaleString('en')} luo_session_ser + luo_file_ser records`;

export default async function run(): Promise<void> {
  const sizeOf = (struct: string) => findStruct(findVersion(model, VERSION), struct).size;
  if (sizeOf('luo_ser') !== LUO_SER || sizeOf('luo_block_header_ser') !== BLOCK_HEADER || sizeOf('luo_session_ser') !== SESSION || sizeOf('luo_file_ser') !== FILE) {
    throw new Error(`the hand-written layout is not ${VERSION}'s`);
  }
  const kaitai = await loadKaitai();
  const { fdt, memory, raw: bytes, luoSerPa } = workload();
  // What every check compares with is made afresh for it and dropped after: a reference kept alive
  // while the peers are timed would be a large live heap, which slows every decoder that allocates
  // (walkImage ran at under a third of its rate with a decoded state kept beside it). Ours is checked against the state
  // the image was built from, the peers against what decodeImage returns.
  const reference = () => stateChecked(decodeImage(allVersions(model), fdt, memory).state);
  const checked =
    <T>(peer: string, toChecked: (result: T) => CheckedImage) =>
    (result: unknown) =>
      checkImage(peer, reference(), toChecked(result as T));

  const binaryParserViaContext = binaryParserImage(bytes, BASE, luoSerPa, 'context');
  const binaryParserViaClosure = binaryParserImage(bytes, BASE, luoSerPa, 'closure');
  const restructure = restructureImage(bytes, BASE, luoSerPa);
  const kaitaiStruct = kaitaiImage(kaitai, bytes, BASE, luoSerPa);

  console.log(`${VERSION}, kernel layout, memory image of ${(bytes.length / 2 ** 20).toFixed(0)} MB at 0x${BASE.toString(16)}.`);
  console.log('Ours is timed from the FDT blob (reading the FDT, picking the version, finding luo_ser, and at the end checking');
  console.log('that no two blocks overlap); the peers are given the address of luo_ser, read from the FDT once beforehand.\n');

  table(`Decode, the whole image kept (${shape})`, [
    {
      name: 'ours (decodeImage)',
      note: 'from the FDT blob; pointers, counts, NULs, UTF-8, chain loops and overlapping blocks checked; u64 as bigint',
      run: () => decodeImage(allVersions(model), fdt, memory),
      check: (result) => checkImage('ours', stateChecked(luoV3State(SESSIONS)), stateChecked((result as DecodedImage).state)),
    },
    {
      name: 'hand-written DataView',
      note: 'one DataView per image, addresses as numbers; pointers, counts, NULs, UTF-8 (TextDecoder, fatal, for what is not ASCII) and chain loops checked; overlapping blocks not; u64 as bigint',
      run: () => handDecodeImage(bytes, BASE, luoSerPa),
      check: checked('hand-written', (image: HandImage) => image),
    },
    {
      name: 'binary-parser, file count via $parent',
      note: 'pointer, nest, arrays of a field\'s length, a choice and a named parser for the chain; `assert` on addresses and counts; the file array\'s length through context variables ($parent); chain loops stopped by JS in an `assert`; trailing NULs stripped, a NUL not required; u64 as bigint',
      run: binaryParserViaContext,
      check: checked('binary-parser via $parent', binaryParserChecked),
    },
    {
      name: 'binary-parser, file count via a closure',
      note: 'the same without context variables: the file count handed from the pointer\'s offset function to the array\'s length function through a JS closure',
      run: binaryParserViaClosure,
      check: checked('binary-parser via a closure', binaryParserChecked),
    },
    {
      name: 'restructure',
      note: 'global Pointers, relativeTo -(base + where luo_ser starts); u64, addresses and counts are custom types, which check; the file pointer is lazy and forced by a `process` hook, as its count comes after it; chain loops stopped by the address type; strings keep their NUL padding; u64 as bigint',
      run: restructure,
      check: checked('restructure', restructureChecked),
    },
    {
      name: 'Kaitai Struct',
      note: 'params, pos instances, the chain a recursive instance, `valid` on addresses and counts; instances are lazy, so a JS loop asks for every one (and stops a looping chain); u8 as a Number, exact below 2^53',
      run: kaitaiStruct,
      check: checked('Kaitai Struct', kaitaiChecked),
    },
  ], columns, measuring);

  // Streaming: every record decoded and handed to a visitor that keeps nothing; checked by what the
  // visitor saw: sessions, files, the characters of every string, and the last file's data.
  const expected = (() => {
    const want = reference();
    let files = 0;
    let chars = 0;
    for (const s of want.sessions) {
      chars += s.name.length;
      for (const f of s.files) chars += f.compatible.length;
      files += s.files.length;
    }
    return `${want.sessions.length} sessions, ${files} files, ${chars} characters, last data ${want.sessions.at(-1)?.files.at(-1)?.data}`;
  })();
  const saw = (peer: string) => (result: unknown) => {
    if (result !== expected) throw new Error(`${peer} saw ${String(result)}; expected ${expected}`);
  };
  table(`Decode, streaming, nothing kept (${shape})`, [
    {
      name: 'ours (walkImage)',
      note: 'from the FDT blob; the checks of decodeImage, strings when read; every struct, headers too, handed to the visitor as a view',
      run: () => {
        let sessions = 0;
        let files = 0;
        let chars = 0;
        let lastData: unknown;
        walkImage(allVersions(model), fdt, memory, {
          struct(name, value) {
            if (name === 'luo_file_ser') {
              files++;
              chars += (value['compatible'] as string).length;
              lastData = value['data'];
            } else if (name === 'luo_session_ser') {
              sessions++;
              chars += (value['name'] as string).length;
            }
          },
        });
        return `${sessions} sessions, ${files} files, ${chars} characters, last data ${String(lastData)}`;
      },
      check: saw('walkImage'),
    },
    {
      name: 'hand-written DataView',
      note: 'the checks of the hand-written decoder above; each session handed to the visitor with its name, each file with its compatible string and data, what the visitor reads',
      run: () => {
        let sessions = 0;
        let files = 0;
        let chars = 0;
        let lastData: unknown;
        handWalkImage(bytes, BASE, luoSerPa, {
          session(name) {
            sessions++;
            chars += name.length;
          },
          file(compatible, data) {
            files++;
            chars += compatible.length;
            lastData = data;
          },
        });
        return `${sessions} sessions, ${files} files, ${chars} characters, last data ${String(lastData)}`;
      },
      check: saw('hand-written walker'),
    },
  ], columns, measuring);
}
