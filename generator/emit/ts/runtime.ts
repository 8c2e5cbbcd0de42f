/**
 * The runtime of the generated TypeScript codecs, emitted verbatim as out/ts/runtime.ts so that out/ts
 * is self-contained. The generated decoders and encoders are straight-line code that calls these
 * small helpers; each helper has one shape of arguments so the JIT inlines it.
 *
 * Every refusal is a CodecError whose `path` names the struct and field (`luo_ser.flbs_pa`,
 * `demo_holder.v.triple[2]`), so a bad value or a bad image can be found at once.
 */

export interface CodecOptions {
  /** Byte order of the integers; the kernel writes the CPU's, little-endian on x86-64 and arm64. Default true. */
  readonly littleEndian?: boolean;
}

/** The codec of one struct, as every version module's `codecs` registry lists it. */
export interface StructCodec<T> {
  /** The C struct name, e.g. `luo_ser`. */
  readonly name: string;
  /** sizeof(struct), in bytes. */
  readonly size: number;
  readonly decode: (bytes: Uint8Array, offset?: number, options?: CodecOptions) => T;
  readonly encode: (value: T, bytes: Uint8Array, offset?: number, options?: CodecOptions) => void;
}

/** Bytes that the kernel could not have written, or a value it could not read back. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  /** The struct, then the fields down to the one at fault: `luo_session_ser.file_set_ser.count`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.path = path;
  }
}

export function isLittleEndian(options: CodecOptions | undefined): boolean {
  return options?.littleEndian ?? true;
}

/**
 * The one bounds check of a decode or encode call: the whole struct must fit in `bytes` at `offset`.
 * Decoders need nothing more: they read `bytes` directly.
 */
export function checkBounds(bytes: Uint8Array, offset: number, size: number, struct: string): void {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(struct, 'expected a Uint8Array to read from or write to');
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new CodecError(struct, `offset ${String(offset)} is not a non-negative integer`);
  }
  if (offset + size > bytes.length) {
    throw new CodecError(struct, `needs ${size} bytes at offset ${offset}, but the buffer holds ${bytes.length}`);
  }
}

/**
 * checkBounds for an encoder, which writes through a DataView over all of `bytes`, so view offsets and
 * `bytes` indices are the same numbers.
 */
export function structView(bytes: Uint8Array, offset: number, size: number, struct: string): DataView {
  checkBounds(bytes, offset, size, struct);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// -----------------------------------------------------------------------------------------------
// Reading: integers of 64 bits are bigint, smaller ones number. They are assembled from `bytes`
// rather than read through a DataView: a decoder then allocates no view per call (the view was the
// largest single cost of decoding a small struct), and checkBounds has vouched for every index.

export const readU8 = (bytes: Uint8Array, at: number): number => bytes[at]!;
export const readS8 = (bytes: Uint8Array, at: number): number => (bytes[at]! << 24) >> 24;
export const readU16 = (bytes: Uint8Array, at: number, le: boolean): number =>
  le ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!;
export const readS16 = (bytes: Uint8Array, at: number, le: boolean): number => (readU16(bytes, at, le) << 16) >> 16;
/** As a signed 32-bit integer; `>>> 0` makes it unsigned. */
const read32 = (bytes: Uint8Array, at: number, le: boolean): number =>
  le
    ? bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)
    : (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
export const readU32 = (bytes: Uint8Array, at: number, le: boolean): number => read32(bytes, at, le) >>> 0;
export const readS32 = (bytes: Uint8Array, at: number, le: boolean): number => read32(bytes, at, le);

const TWO_32 = 0x1_0000_0000;
/** Below this, high word * 2^32 + low word is exact as a double (|value| < 2^53). */
const HIGH_EXACT = 0x20_0000;

/**
 * 0n to 255n, made once: a bigint is a heap object, and counts and small tokens, which repeat across a
 * whole image, then share one instead of each keeping its own (what a large decoded state is, for
 * the garbage collector, is mostly the number of its objects).
 */
const SMALL_U64: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

/** One bigint allocation when the value fits in a double exactly, none when it is below 256. */
export function readU64(bytes: Uint8Array, at: number, le: boolean): bigint {
  const low = read32(bytes, le ? at : at + 4, le) >>> 0;
  const high = read32(bytes, le ? at + 4 : at, le) >>> 0;
  if (high === 0 && low < 256) return SMALL_U64[low]!;
  return high < HIGH_EXACT ? BigInt(high * TWO_32 + low) : (BigInt(high) << 32n) | BigInt(low);
}
export function readS64(bytes: Uint8Array, at: number, le: boolean): bigint {
  const low = read32(bytes, le ? at : at + 4, le) >>> 0;
  const high = read32(bytes, le ? at + 4 : at, le);
  return high < HIGH_EXACT && high >= -HIGH_EXACT ? BigInt(high * TWO_32 + low) : (BigInt(high) << 32n) | BigInt(low);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** For bytes already known to be ASCII: validation there is only cost. */
const ascii = new TextDecoder('utf-8');

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;
/**
 * Node's Buffer has a method that makes a string straight from a range of any Uint8Array's bytes,
 * one character per byte, without the view that TextDecoder needs: for bytes known to be ASCII it
 * is the same string, made at half the cost. Elsewhere (a browser, Deno without node:buffer) the
 * portable TextDecoder path is taken.
 */
const latin1Slice = (globalThis as { Buffer?: { prototype?: { latin1Slice?: Latin1Slice } } }).Buffer?.prototype?.latin1Slice;

/** `bytes[start, end)`, every one of them below 0x80, as a string. */
const asciiText: (bytes: Uint8Array, start: number, end: number) => string =
  typeof latin1Slice === 'function'
    ? (bytes, start, end) => latin1Slice.call(bytes, start, end)
    : (bytes, start, end) => ascii.decode(bytes.subarray(start, end));

/**
 * `char[length]` at `at`: the bytes before the first NUL, as UTF-8. A missing NUL is an error rather
 * than a read past the array, as is invalid UTF-8 (nothing would be lost silently).
 */
export function readChars(bytes: Uint8Array, at: number, length: number, path: string): string {
  const limit = at + length;
  let end = at;
  let bits = 0;
  let hash = 0;
  while (end < limit) {
    const byte = bytes[end]!;
    if (byte === 0) break;
    bits |= byte;
    hash = (Math.imul(hash, 31) + byte) | 0;
    end++;
  }
  if (end === limit) throw new CodecError(path, `no NUL terminator within char[${length}]`);
  return bits < 0x80 ? cachedAscii(bytes, at, end, hash) : readUtf8(bytes, at, length, path);
}

/**
 * The strings of the ABI repeat (a few handler and FLB compatible strings across thousands of
 * records), so recently read ones are kept, by a hash of their bytes, in slots of one preallocated
 * pool: a hit costs one comparison and allocates nothing, which is what decoding many records is
 * bound by. A miss costs one TextDecoder call, whose flat string is cheaper to keep than pieces.
 * A string is kept only when its hash comes round a second time, so that strings which
 * never repeat (session names) cost one integer store rather than a copy and a retained string.
 */
const CACHE_SLOTS = 256;
const CACHE_SLOT_BYTES = 64;
const cachePool = new Uint8Array(CACHE_SLOTS * CACHE_SLOT_BYTES);
/** Byte length of the string kept in each slot; -1 for none. */
const cacheLength = new Int32Array(CACHE_SLOTS).fill(-1);
const cacheText: string[] = new Array<string>(CACHE_SLOTS).fill('');
/** The hash last seen in each slot, kept or not. */
const cacheSeen = new Int32Array(CACHE_SLOTS);

function cachedAscii(bytes: Uint8Array, start: number, end: number, hash: number): string {
  const length = end - start;
  const slot = (hash ^ (hash >>> 8)) & (CACHE_SLOTS - 1);
  const base = slot * CACHE_SLOT_BYTES;
  if (cacheLength[slot] === length) {
    let i = 0;
    while (i < length && cachePool[base + i] === bytes[start + i]) i++;
    if (i === length) return cacheText[slot]!;
  }
  const text = asciiText(bytes, start, end);
  if (cacheSeen[slot] !== hash) {
    cacheSeen[slot] = hash;
  } else if (length <= CACHE_SLOT_BYTES) {
    for (let i = 0; i < length; i++) cachePool[base + i] = bytes[start + i]!;
    cacheLength[slot] = length;
    cacheText[slot] = text;
  }
  return text;
}

/** The slow path of readChars, kept apart so that the fast one stays small enough to inline. */
function readUtf8(bytes: Uint8Array, at: number, length: number, path: string): string {
  const end = bytes.subarray(at, at + length).indexOf(0);
  if (end < 0) throw new CodecError(path, `no NUL terminator within char[${length}]`);
  try {
    return utf8.decode(bytes.subarray(at, at + end));
  } catch {
    throw new CodecError(path, `the ${end} bytes before the NUL are not valid UTF-8`);
  }
}

// -----------------------------------------------------------------------------------------------
// Writing: each value is checked against what the field can hold before a byte is written.

function checkNumber(value: number, min: number, max: number, type: string, path: string): void {
  if (typeof value !== 'number') throw new CodecError(path, `expected a number for ${type}, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError(path, `${value} is outside ${type} (an integer from ${min} to ${max})`);
  }
}

function checkBigint(value: bigint, min: bigint, max: bigint, type: string, path: string): void {
  if (typeof value !== 'bigint') throw new CodecError(path, `expected a bigint for ${type}, got ${typeof value}`);
  if (value < min || value > max) throw new CodecError(path, `${value} is outside ${type} (from ${min} to ${max})`);
}

const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

export function writeU8(view: DataView, at: number, value: number, path: string): void {
  checkNumber(value, 0, 0xff, 'u8', path);
  view.setUint8(at, value);
}
export function writeS8(view: DataView, at: number, value: number, path: string): void {
  checkNumber(value, -0x80, 0x7f, 's8', path);
  view.setInt8(at, value);
}
export function writeU16(view: DataView, at: number, value: number, le: boolean, path: string): void {
  checkNumber(value, 0, 0xffff, 'u16', path);
  view.setUint16(at, value, le);
}
export function writeS16(view: DataView, at: number, value: number, le: boolean, path: string): void {
  checkNumber(value, -0x8000, 0x7fff, 's16', path);
  view.setInt16(at, value, le);
}
export function writeU32(view: DataView, at: number, value: number, le: boolean, path: string): void {
  checkNumber(value, 0, 0xffffffff, 'u32', path);
  view.setUint32(at, value, le);
}
export function writeS32(view: DataView, at: number, value: number, le: boolean, path: string): void {
  checkNumber(value, -0x80000000, 0x7fffffff, 's32', path);
  view.setInt32(at, value, le);
}
export function writeU64(view: DataView, at: number, value: bigint, le: boolean, path: string): void {
  checkBigint(value, 0n, U64_MAX, 'u64', path);
  view.setBigUint64(at, value, le);
}
export function writeS64(view: DataView, at: number, value: bigint, le: boolean, path: string): void {
  checkBigint(value, S64_MIN, S64_MAX, 's64', path);
  view.setBigInt64(at, value, le);
}

const utf8Encoder = new TextEncoder();

/**
 * `char[length]`: at most length - 1 bytes of UTF-8, then NUL bytes to the end of the array (zeroed
 * so that equal values give equal bytes). A NUL inside the string is refused: the kernel would read
 * the string as ending there. So is a lone surrogate, which has no UTF-8 form.
 */
export function writeChars(bytes: Uint8Array, at: number, length: number, value: string, path: string): void {
  if (typeof value !== 'string') throw new CodecError(path, `expected a string for char[${length}], got ${typeof value}`);
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a string this short may fit: copy it
  // while it is plain ASCII, the common case, and hand anything else to the full check.
  if (value.length <= length - 1) {
    let i = 0;
    for (; i < value.length; i++) {
      const unit = value.charCodeAt(i);
      if (unit === 0 || unit >= 0x80) break;
      bytes[at + i] = unit;
    }
    if (i === value.length) {
      bytes.fill(0, at + i, at + length);
      return;
    }
  }
  writeUtf8(bytes, at, length, value, path);
}

function writeUtf8(bytes: Uint8Array, at: number, length: number, value: string, path: string): void {
  const nul = value.indexOf('\0');
  if (nul >= 0) throw new CodecError(path, `contains a NUL at index ${nul}; the kernel would read the string as ending there`);
  if (/\p{Cs}/u.test(value)) throw new CodecError(path, 'contains a lone surrogate, which has no UTF-8 form');
  const encoded = utf8Encoder.encode(value);
  if (encoded.length > length - 1) {
    throw new CodecError(path, `${encoded.length} bytes of UTF-8 do not fit: char[${length}] holds at most ${length - 1} bytes before its NUL`);
  }
  bytes.set(encoded, at);
  bytes.fill(0, at + encoded.length, at + length);
}

/** A C array: exactly its length, no more, no fewer. */
export function checkArray(value: readonly unknown[], length: number, path: string): void {
  if (!Array.isArray(value)) throw new CodecError(path, `expected an array of ${length} elements, got ${typeof value}`);
  if (value.length !== length) {
    throw new CodecError(path, `has ${value.length} elements; the C array has exactly ${length}`);
  }
}

/** A nested struct or union value must be an object before its fields are read. */
export function checkObject(value: object, path: string): void {
  if (typeof value !== 'object' || value === null) throw new CodecError(path, `expected an object, got ${value === null ? 'null' : typeof value}`);
}

/** A union is encoded from exactly one member; which one is the only one not undefined. */
export function checkUnion(value: object, members: readonly string[], path: string): void {
  checkObject(value, path);
  const set = members.filter((m) => (value as Record<string, unknown>)[m] !== undefined);
  if (set.length !== 1) {
    throw new CodecError(
      path,
      `a union is encoded from exactly one member, but ${set.length === 0 ? 'none' : set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set (members: ${members.join(', ')})`,
    );
  }
}

// -----------------------------------------------------------------------------------------------
// Bit-fields and bitmaps. A bit-field is `width` bits starting `shift` bits into the `size` bytes at
// `at`, counted from the least significant bit of those bytes read little-endian, or from the most
// significant bit read big-endian: the order in which gcc allocates bit-fields on either.

function readBytesAsBigint(bytes: Uint8Array, at: number, size: number, le: boolean): bigint {
  let value = 0n;
  for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(bytes[le ? at + size - 1 - i : at + i]!);
  return value;
}

function writeBigintAsBytes(bytes: Uint8Array, at: number, size: number, value: bigint, le: boolean): void {
  for (let i = 0; i < size; i++) {
    bytes[le ? at + i : at + size - 1 - i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

function bitShift(size: number, shift: number, width: number, le: boolean): bigint {
  return BigInt(le ? shift : size * 8 - shift - width);
}

/** A bit-field wider than 32 bits, as a bigint. */
export function readBitsBigint(bytes: Uint8Array, at: number, size: number, shift: number, width: number, signed: boolean, le: boolean): bigint {
  const raw = (readBytesAsBigint(bytes, at, size, le) >> bitShift(size, shift, width, le)) & ((1n << BigInt(width)) - 1n);
  return signed ? BigInt.asIntN(width, raw) : raw;
}

/** A bit-field of at most 32 bits, as a number. */
export function readBitsNumber(bytes: Uint8Array, at: number, size: number, shift: number, width: number, signed: boolean, le: boolean): number {
  return Number(readBitsBigint(bytes, at, size, shift, width, signed, le));
}

export function writeBits(bytes: Uint8Array, at: number, size: number, shift: number, width: number, signed: boolean, value: number | bigint, le: boolean, path: string): void {
  const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : undefined;
  const low = signed ? -(1n << BigInt(width - 1)) : 0n;
  const high = signed ? (1n << BigInt(width - 1)) - 1n : (1n << BigInt(width)) - 1n;
  if (big === undefined || typeof value !== (width > 32 ? 'bigint' : 'number') || big < low || big > high) {
    throw new CodecError(path, `must be a ${signed ? 'signed' : 'unsigned'} ${width}-bit ${width > 32 ? 'bigint' : 'integer'} (${low}..${high}), not ${String(value)}`);
  }
  const mask = ((1n << BigInt(width)) - 1n) << bitShift(size, shift, width, le);
  const current = readBytesAsBigint(bytes, at, size, le);
  writeBigintAsBytes(bytes, at, size, (current & ~mask) | ((BigInt.asUintN(width, big) << bitShift(size, shift, width, le)) & mask), le);
}
