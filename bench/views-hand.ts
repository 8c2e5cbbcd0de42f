/**
 * The views bench's floor: a walk of one luo-v4 image written by hand for that one layout, as a
 * careful person would write it to hand every struct to a visitor as a view with the least work,
 * with walkImage's checks on this image:
 * - every address must lie in memory with its whole block, and every count fit its block (two
 *   pages); the block is checked once, and the views moved within it without a check of their own
 *   (the codecs' `shift`);
 * - a chain must not come back to a block it has been through, and the files must add up to the
 *   count beside their pointer;
 * - every file's compatible string must end in a NUL within its 48 bytes and be UTF-8, or name a
 *   handler. The strings repeat (a few handler names across millions of files), so the last one
 *   checked is kept as 32-bit words, with what it named: a string equal to it, through its NUL, is
 *   that one again, two or three word compares. Another is compared with the handler names, then
 *   checked by the codecs' runtime;
 * - no two blocks may overlap (checked at the end, in one pass when they were read in address order).
 * Views are the model's codecs' (so the visitor gets what walkImage gives it), one per struct type,
 * moved from struct to struct. Not done: the FDT (it is given luo_ser's address), FLBs (the image has
 * none; a non-zero flbs_pa is refused), handler state (a string that names a handler is refused: the
 * image has none), the block table's places for messages; errors are plain Errors.
 */
import type { StructCodec } from '../generator/codec/compile.ts';
import { checkedCharsLength } from '../generator/codec/runtime.ts';
import type { StructValue } from '../generator/image/index.ts';

/** luo-v4's layout, checked against the model by the bench before it runs. */
export const LAYOUT = {
  luoSer: { size: 24, sessions: 8, flbs: 16 },
  header: { size: 16, next: 0, count: 8 },
  session: { size: 80, files: 64, fileCount: 72 },
  file: { size: 64, compatible: 0, compatibleLength: 48 },
  blockBytes: 2 * 4096,
} as const;

export interface HandViewCodecs {
  readonly luo_ser: StructCodec;
  readonly luo_block_header_ser: StructCodec;
  readonly luo_session_ser: StructCodec;
  readonly luo_file_ser: StructCodec;
}

export type HandVisit = (struct: string, value: StructValue, index: number) => void;

const SESSIONS_PER_BLOCK = Math.floor((LAYOUT.blockBytes - LAYOUT.header.size) / LAYOUT.session.size);
const FILES_PER_BLOCK = Math.floor((LAYOUT.blockBytes - LAYOUT.header.size) / LAYOUT.file.size);

const EXACT_HIGH = 0x20_0000;
const HIGH = 0x1_0000_0000;

/**
 * Walks the image whose luo_ser is at `luoSerPa` in `bytes` (at physical address `base`); returns the
 * structs visited. One function, its reads written out where they are made rather than called
 * through small helpers, and a session's chain of files read within the sessions' loop: V8 inlines
 * calls only up to a budget per function, and helpers for the reads, the bounds and the table of
 * blocks (with the files' chain a function of its own) used it up, so that the calls left stayed
 * calls (`--trace-turbo-inlining`); this shape measured 10-15% faster. Errors are made by functions
 * of their own, off the loops' paths.
 */
export function handWalkViews(bytes: Uint8Array, base: number, luoSerPa: number, codecs: HandViewCodecs, handlers: readonly Uint8Array[], visit: HandVisit): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Taken once: a typed array's length is a load and a check every time it is read.
  const length = bytes.length;
  // Offsets into `bytes` are 32-bit integers (`| 0`): the JIT then computes every field's offset from
  // them with integer adds, where an offset left a double (an address minus the base, both past
  // 2^31) is converted and checked at each read.
  if (length > 0x7fff_ffff) throw new Error('this hand walker keeps offsets below 2^31');
  // Blocks read, as (address, size) pairs: grown by doubling.
  let blocks: Float64Array = new Float64Array(1024);
  let count = 0;
  let total = 0;
  // The last compatible string checked: its words before the one holding the NUL, then that word
  // masked to the bytes through the NUL (little-endian), and whether it named a handler.
  const last = new Int32Array(LAYOUT.file.compatibleLength / 4);
  let lastWords = -1;
  let lastMask = 0;
  /** A compatible string at `at` that is not the last one: checked, and remembered. */
  const checkCompatible = (at: number): void => {
    if (namesHandler(bytes, at, handlers)) throw new Error(`file at ${at} names a handler: this hand walker follows none`);
    const chars = checkedCharsLength(bytes, at, LAYOUT.file.compatibleLength, 'luo_file_ser.compatible');
    lastWords = chars >> 2;
    lastMask = (0xffff_ffff >>> (24 - 8 * (chars & 3))) | 0;
    for (let k = 0; k < lastWords; k++) last[k] = view.getInt32(at + 4 * k, true);
    last[lastWords] = view.getInt32(at + 4 * lastWords, true) & lastMask;
  };
  // Each struct's shift taken once, not looked up through the table per struct.
  const shiftHeader = codecs.luo_block_header_ser.shift;
  const shiftSession = codecs.luo_session_ser.shift;
  const shiftFile = codecs.luo_file_ser.shift;
  const header = codecs.luo_block_header_ser.view(bytes, 0);
  const session = codecs.luo_session_ser.view(bytes, 0);
  const file = codecs.luo_file_ser.view(bytes, 0);
  let structs = 0;

  const luoSer = luoSerPa - base;
  if (luoSer < 0 || luoSer + LAYOUT.luoSer.size > length) throw notInMemory(luoSerPa, LAYOUT.luoSer.size);
  blocks[0] = luoSerPa;
  blocks[1] = LAYOUT.luoSer.size;
  count = 1;
  total = LAYOUT.luoSer.size;
  visit('luo_ser', codecs.luo_ser.view(bytes, luoSer) as StructValue, -1);
  structs++;
  if (view.getUint32(luoSer + LAYOUT.luoSer.flbs, true) !== 0 || view.getUint32(luoSer + LAYOUT.luoSer.flbs + 4, true) !== 0) throw new Error('this hand walker reads no FLBs');
  const sessionsHigh = view.getUint32(luoSer + LAYOUT.luoSer.sessions + 4, true);
  if (sessionsHigh >= EXACT_HIGH) throw pastExact(luoSer + LAYOUT.luoSer.sessions);
  const firstSessions = sessionsHigh * HIGH + view.getUint32(luoSer + LAYOUT.luoSer.sessions, true);
  let seen: Set<number> | undefined;
  for (let pa = firstSessions, index = 0; pa !== 0; index++) {
    // The blocks a chain has been through, kept from its second block (the files' chains are one).
    if (index === 1) seen = new Set([firstSessions]);
    else if (seen?.has(pa)) throw loops(pa);
    seen?.add(pa);
    const offset = pa - base;
    if (offset < 0 || offset + LAYOUT.header.size > length) throw notInMemory(pa, LAYOUT.header.size);
    const top = offset | 0;
    shiftHeader(header, bytes, view, top);
    visit('luo_block_header_ser', header as StructValue, -1);
    structs++;
    const nHigh = view.getUint32(top + LAYOUT.header.count + 4, true);
    const nextHigh = view.getUint32(top + LAYOUT.header.next + 4, true);
    if (nHigh >= EXACT_HIGH || nextHigh >= EXACT_HIGH) throw pastExact(top);
    const n = nHigh * HIGH + view.getUint32(top + LAYOUT.header.count, true);
    const next = nextHigh * HIGH + view.getUint32(top + LAYOUT.header.next, true);
    if (n > SESSIONS_PER_BLOCK) throw tooMany(n);
    const size = LAYOUT.header.size + n * LAYOUT.session.size;
    if (top + size > length) throw notInMemory(pa, size);
    if (count * 2 === blocks.length) blocks = doubled(blocks);
    blocks[count * 2] = pa;
    blocks[count * 2 + 1] = size;
    count++;
    if ((total += size) > length) throw overlapping();
    for (let i = 0, at = top + LAYOUT.header.size; i < n; i++, at += LAYOUT.session.size) {
      shiftSession(session, bytes, view, at);
      visit('luo_session_ser', session as StructValue, i);
      structs++;
      const expectedHigh = view.getUint32(at + LAYOUT.session.fileCount + 4, true);
      const filesHigh = view.getUint32(at + LAYOUT.session.files + 4, true);
      if (expectedHigh >= EXACT_HIGH || filesHigh >= EXACT_HIGH) throw pastExact(at);
      const expected = expectedHigh * HIGH + view.getUint32(at + LAYOUT.session.fileCount, true);
      const firstFiles = filesHigh * HIGH + view.getUint32(at + LAYOUT.session.files, true);
      // The session's chain of files, as the sessions' chain above.
      let found = 0;
      let seenFiles: Set<number> | undefined;
      for (let filesPa = firstFiles, filesIndex = 0; filesPa !== 0; filesIndex++) {
        if (filesIndex === 1) seenFiles = new Set([firstFiles]);
        else if (seenFiles?.has(filesPa)) throw loops(filesPa);
        seenFiles?.add(filesPa);
        const filesOffset = filesPa - base;
        if (filesOffset < 0 || filesOffset + LAYOUT.header.size > length) throw notInMemory(filesPa, LAYOUT.header.size);
        const filesTop = filesOffset | 0;
        shiftHeader(header, bytes, view, filesTop);
        visit('luo_block_header_ser', header as StructValue, -1);
        structs++;
        const fHigh = view.getUint32(filesTop + LAYOUT.header.count + 4, true);
        const fNextHigh = view.getUint32(filesTop + LAYOUT.header.next + 4, true);
        if (fHigh >= EXACT_HIGH || fNextHigh >= EXACT_HIGH) throw pastExact(filesTop);
        const f = fHigh * HIGH + view.getUint32(filesTop + LAYOUT.header.count, true);
        const nextFiles = fNextHigh * HIGH + view.getUint32(filesTop + LAYOUT.header.next, true);
        if (f > FILES_PER_BLOCK) throw tooMany(f);
        const filesSize = LAYOUT.header.size + f * LAYOUT.file.size;
        if (filesTop + filesSize > length) throw notInMemory(filesPa, filesSize);
        if (count * 2 === blocks.length) blocks = doubled(blocks);
        blocks[count * 2] = filesPa;
        blocks[count * 2 + 1] = filesSize;
        count++;
        if ((total += filesSize) > length) throw overlapping();
        for (let j = 0, fileAt = filesTop + LAYOUT.header.size; j < f; j++, fileAt += LAYOUT.file.size) {
          shiftFile(file, bytes, view, fileAt);
          visit('luo_file_ser', file as StructValue, j);
          structs++;
          // The last string again (its words, then the one holding its NUL, masked), or checked.
          const compatible = fileAt + LAYOUT.file.compatible;
          let k = 0;
          while (k < lastWords && view.getInt32(compatible + 4 * k, true) === last[k]) k++;
          if (lastWords < 0 || k < lastWords || (view.getInt32(compatible + 4 * k, true) & lastMask) !== last[k]) checkCompatible(compatible);
        }
        found += f;
        filesPa = nextFiles;
      }
      if (found !== expected) throw new Error(`the chain holds ${found} files but the count beside it says ${expected}`);
    }
    pa = next;
  }
  checkOverlaps(blocks, count);
  return structs;
}

function notInMemory(pa: number, size: number): Error {
  return new Error(`${size} bytes at 0x${pa.toString(16)} are not in memory`);
}

function pastExact(at: number): Error {
  return new Error(`a u64 at ${at} is past 2^53`);
}

function tooMany(n: number): Error {
  return new Error(`count ${n} is more than a block holds`);
}

function loops(pa: number): Error {
  return new Error(`block 0x${pa.toString(16)} again: the chain loops`);
}

function overlapping(): Error {
  return new Error('the blocks read add up to more bytes than memory holds: two overlap');
}

function doubled(blocks: Float64Array): Float64Array {
  const bigger = new Float64Array(blocks.length * 2);
  bigger.set(blocks);
  return bigger;
}

/** Whether one of `handlers`, NUL-terminated, is at `bytes[at..]`. */
function namesHandler(bytes: Uint8Array, at: number, handlers: readonly Uint8Array[]): boolean {
  for (const name of handlers) {
    if (bytes[at + name.length] !== 0) continue;
    let i = 0;
    while (i < name.length && bytes[at + i] === name[i]) i++;
    if (i === name.length) return true;
  }
  return false;
}

/** No two of the `count` (address, size) blocks overlap: one pass if they are in address order, else sorted first. */
function checkOverlaps(blocks: Float64Array, count: number): void {
  let order: number[] | undefined;
  for (let i = 1; i < count; i++) {
    if (blocks[(i - 1) * 2]! > blocks[i * 2]!) {
      order = Array.from({ length: count }, (_, k) => k).sort((a, b) => blocks[a * 2]! - blocks[b * 2]!);
      break;
    }
  }
  let end = -Infinity;
  for (let k = 0; k < count; k++) {
    const i = order ? order[k]! : k;
    const pa = blocks[i * 2]!;
    if (pa < end) throw new Error(`the block at 0x${pa.toString(16)} overlaps an earlier one`);
    end = Math.max(end, pa + blocks[i * 2 + 1]!);
  }
}
