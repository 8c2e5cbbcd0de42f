/**
 * The runtime of the generated struct codecs: what the code made by ./source.ts calls. It is compiled
 * into the codec package (out/ts/runtime.js and its .d.ts), so that the package stands alone, and
 * ./compile.ts hands the same module to the codecs it compiles at run time: one runtime for both uses.
 * It uses only what JavaScript engines provide, no Node module.
 *
 * Every refusal is a CodecError whose `path` names the struct and field (`luo_ser.flbs_pa`,
 * `demo_holder.v.triple[2]`), so a bad value or a bad image can be found at once.
 */

export interface CodecOptions {
  /** Byte order of the integers; the kernel writes the CPU's, little-endian on x86-64 and arm64. Default true. */
  readonly littleEndian?: boolean;
}

/** The codec of one struct, as every version's `codecs` registry lists it. */
export interface StructCodec<T, V extends T = T> {
  /** The C struct name, e.g. `luo_ser`. */
  readonly name: string;
  /** sizeof(struct), in bytes. */
  readonly size: number;
  /** offsetof(struct, field) for every field. */
  readonly offsets: { readonly [field: string]: number };
  readonly decode: (bytes: Uint8Array, offset?: number, options?: CodecOptions) => T;
  readonly encode: (value: T, bytes: Uint8Array, offset?: number, options?: CodecOptions) => void;
  /** A zero-copy view: bounds checked now, each field read (and a string checked) when asked for. */
  readonly view: (bytes: Uint8Array, offset?: number, options?: CodecOptions) => V;
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

/** Undefined options and `littleEndian` left out both mean little-endian; no object is made. */
export function isLittleEndian(options: CodecOptions | undefined): boolean {
  return options === undefined || options.littleEndian !== false;
}

/**
 * The one bounds check of a decode, an encode or a view: the whole struct must fit in `bytes` at
 * `offset`. Every read and write after it is at a constant distance inside those bytes.
 */
export function checkBounds(bytes: Uint8Array, offset: number, size: number, struct: string): void {
  // One comparison chain on the fast path; the reasons are worked out only for the error.
  if (bytes instanceof Uint8Array && Number.isSafeInteger(offset) && offset >= 0 && offset + size <= bytes.length) return;
  if (!(bytes instanceof Uint8Array)) throw new CodecError(struct, 'expected a Uint8Array to read from or write to');
  if (!Number.isSafeInteger(offset) || offset < 0) throw new CodecError(struct, `offset ${String(offset)} is not a non-negative integer`);
  throw new CodecError(struct, `needs ${size} bytes at offset ${offset}, but the buffer holds ${bytes.length}`);
}

let lastBytes: Uint8Array | undefined;
let lastLength = 0;
let lastView: DataView = new DataView(new ArrayBuffer(0));

/**
 * A DataView over all of `bytes` (so view offsets are `bytes` indices), made once per buffer: a
 * codec called for each of a million records in one buffer then makes one view, not a million,
 * and its reads are DataView reads, which the optimising compiler turns into plain loads.
 */
export function dataView(bytes: Uint8Array): DataView {
  // The length is compared too (checkBounds has just read it): a Uint8Array over a resizable
  // ArrayBuffer can grow, and its view must then be made again.
  if (bytes === lastBytes && bytes.length === lastLength) return lastView;
  lastBytes = bytes;
  lastLength = bytes.length;
  return (lastView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

// -----------------------------------------------------------------------------------------------
// Strings

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** ASCII strings up to this long are made by shortAscii; longer ones by TextDecoder. */
const SHORT_ASCII = 64;

/**
 * `(bytes, start, length) => string` for 1 <= length <= SHORT_ASCII: one `String.fromCharCode` call
 * with exactly `length` arguments, picked by a switch. The engine makes the flat string in one step,
 * with no call out of JavaScript and no subarray: under half the cost of TextDecoder or a Node
 * Buffer for the short strings of the ABI. Written out by `new Function` (64 cases); where a content
 * security policy forbids that, undefined, and TextDecoder does all strings.
 */
const shortAscii = ((): ((bytes: Uint8Array, start: number, length: number) => string) | undefined => {
  const cases = Array.from({ length: SHORT_ASCII }, (_, n) => {
    const args = Array.from({ length: n + 1 }, (_, i) => `b[s + ${i}]`).join(', ');
    return `case ${n + 1}: return f(${args});`;
  });
  try {
    return new Function('f', `return function shortAscii(b, s, n) {\nswitch (n) {\n${cases.join('\n')}\n}\nreturn '';\n};`)(String.fromCharCode) as (
      bytes: Uint8Array,
      start: number,
      length: number,
    ) => string;
  } catch {
    return undefined;
  }
})();

/** `bytes[start, end)`, every one below 0x80, as a string. */
function asciiText(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length <= SHORT_ASCII && shortAscii !== undefined) return shortAscii(bytes, start, length);
  return utf8.decode(bytes.subarray(start, end));
}

/** Set by scanChars: whether the bytes before the NUL it found are all ASCII. */
let scannedAscii = true;

/**
 * The index of the NUL that ends `char[length]` at `at`, noting in scannedAscii whether the bytes
 * before it are ASCII. A missing NUL is an error rather than a read past the array. One pass finds
 * the NUL and tells ASCII from the rest: four bytes at a time while none of them is a NUL (the word
 * test below is exact), then byte by byte.
 */
function scanChars(bytes: Uint8Array, at: number, length: number, path: string): number {
  const limit = at + length;
  let end = at;
  let bits = 0;
  const view = dataView(bytes);
  while (end + 4 <= limit) {
    const word = view.getInt32(end, true);
    // Non-zero exactly when one of the four bytes is 0 (the classic has-a-zero-byte test).
    if (((word - 0x01010101) & ~word & 0x80808080) !== 0) break;
    bits |= word;
    end += 4;
  }
  while (end < limit) {
    const byte = bytes[end]!;
    if (byte === 0) break;
    bits |= byte;
    end++;
  }
  if (end === limit) throw new CodecError(path, `no NUL terminator within char[${length}]`);
  scannedAscii = (bits & 0x80808080) === 0;
  return end;
}

/**
 * `char[length]` at `at`: the bytes before the first NUL, as UTF-8. A missing NUL is an error, as is
 * invalid UTF-8 (nothing would be lost silently). The cache below keys on a few bytes read once, not
 * on a hash of them all.
 */
export function readChars(bytes: Uint8Array, at: number, length: number, path: string): string {
  const end = scanChars(bytes, at, length, path);
  return scannedAscii ? cachedAscii(bytes, at, end) : readUtf8(bytes, at, end, path);
}

/**
 * The byte length of the string in `char[length]` at `at`, checked as readChars checks it (NUL,
 * UTF-8) but not made: for a reader that only compares the bytes with strings it knows (the image
 * walker, finding a file's handler by name).
 */
export function checkedCharsLength(bytes: Uint8Array, at: number, length: number, path: string): number {
  const end = scanChars(bytes, at, length, path);
  if (!scannedAscii) readUtf8(bytes, at, end, path);
  return end - at;
}

/**
 * The strings of the ABI repeat (a few handler and FLB compatible strings across thousands of
 * records), so recently read ones are kept in slots of one preallocated pool, found by their length
 * and a few of their bytes (the last ones included, where names like `memfd-v1-17` and `memfd-v1-18`
 * differ): a hit costs one comparison and allocates nothing, which is what decoding many records is
 * bound by. A string is kept only when its key comes round a second time, so that strings which
 * never repeat (session names) cost one integer store rather than a copy and a retained string.
 */
const CACHE_SLOTS = 256;
const CACHE_SLOT_BYTES = 64;
const cachePool = new Uint8Array(CACHE_SLOTS * CACHE_SLOT_BYTES);
/** Byte length of the string kept in each slot; -1 for none. */
const cacheLength = new Int32Array(CACHE_SLOTS).fill(-1);
const cacheText: string[] = new Array<string>(CACHE_SLOTS).fill('');
/** The key last seen in each slot, kept or not. */
const cacheSeen = new Int32Array(CACHE_SLOTS);
/**
 * Strings that never repeat (every session's own name) gain nothing from the cache and pay for its
 * lookups: after this many misses in a row it is left aside for BYPASS_READS reads, then tried again.
 */
const MISSES_BEFORE_BYPASS = 64;
const BYPASS_READS = 4096;
let missesInARow = 0;
let bypassLeft = 0;

function cachedAscii(bytes: Uint8Array, start: number, end: number): string {
  if (bypassLeft > 0) {
    bypassLeft--;
    return asciiText(bytes, start, end);
  }
  const length = end - start;
  if (length === 0) return '';
  // Length, first, middle and last two bytes (the second last is the last again for one byte).
  const key =
    Math.imul(length, 0x9e3779b1) ^
    (bytes[start]! << 8) ^
    (bytes[start + (length >> 1)]! << 4) ^
    (bytes[end - 1]! << 16) ^
    (bytes[end - (length > 1 ? 2 : 1)]! << 24);
  const slot = (key ^ (key >>> 8) ^ (key >>> 16) ^ (key >>> 24)) & (CACHE_SLOTS - 1);
  const base = slot * CACHE_SLOT_BYTES;
  if (cacheLength[slot] === length) {
    let i = 0;
    while (i < length && cachePool[base + i] === bytes[start + i]) i++;
    if (i === length) {
      missesInARow = 0;
      return cacheText[slot]!;
    }
  }
  if (++missesInARow === MISSES_BEFORE_BYPASS) {
    missesInARow = 0;
    bypassLeft = BYPASS_READS;
  }
  const text = asciiText(bytes, start, end);
  if (cacheSeen[slot] !== key) {
    cacheSeen[slot] = key;
  } else if (length <= CACHE_SLOT_BYTES) {
    for (let i = 0; i < length; i++) cachePool[base + i] = bytes[start + i]!;
    cacheLength[slot] = length;
    cacheText[slot] = text;
  }
  return text;
}

/** The slow path of readChars, kept apart so that the fast one stays small enough to inline. */
function readUtf8(bytes: Uint8Array, at: number, end: number, path: string): string {
  try {
    return utf8.decode(bytes.subarray(at, end));
  } catch {
    throw new CodecError(path, `the ${end - at} bytes before the NUL are not valid UTF-8`);
  }
}

const utf8Encoder = new TextEncoder();

/**
 * `char[length]`: at most length - 1 bytes of UTF-8, then NUL bytes to the end of the array (zeroed
 * so that equal values give equal bytes). A NUL inside the string is refused: the kernel would read
 * the string as ending there. So is a lone surrogate, which has no UTF-8 form.
 */
export function writeChars(bytes: Uint8Array, at: number, length: number, value: unknown, path: string): void {
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
      // Zeroed in line: for the few dozen bytes of a char array, cheaper than a call to fill().
      for (; i < length; i++) bytes[at + i] = 0;
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

// -----------------------------------------------------------------------------------------------
// Integers to write: each value is checked against what the field can hold before a byte is written,
// and returned, typed, for the DataView write the generated code makes with it. The check is inline
// (a type test and two comparisons); the message is made only for a value refused.

function refuseNumber(value: unknown, min: number, max: number, type: string, path: string): never {
  if (typeof value !== 'number') throw new CodecError(path, `expected a number for ${type}, got ${typeof value}`);
  throw new CodecError(path, `${value} is outside ${type} (an integer from ${min} to ${max})`);
}

function refuseBigint(value: unknown, min: bigint, max: bigint, type: string, path: string): never {
  if (typeof value !== 'bigint') throw new CodecError(path, `expected a bigint for ${type}, got ${typeof value}`);
  throw new CodecError(path, `${value} is outside ${type} (from ${min} to ${max})`);
}

// Integers of 32 bits or fewer: `(value & mask) === value` holds exactly for integers within an
// unsigned range (no fraction, NaN or infinity survives it); `(value << k >> k) === value` for signed.
export const checkU8 = (value: unknown, path: string): number =>
  typeof value === 'number' && (value & 0xff) === value ? value : refuseNumber(value, 0, 0xff, 'u8', path);
export const checkS8 = (value: unknown, path: string): number =>
  typeof value === 'number' && (value << 24) >> 24 === value ? value : refuseNumber(value, -0x80, 0x7f, 's8', path);
export const checkU16 = (value: unknown, path: string): number =>
  typeof value === 'number' && (value & 0xffff) === value ? value : refuseNumber(value, 0, 0xffff, 'u16', path);
export const checkS16 = (value: unknown, path: string): number =>
  typeof value === 'number' && (value << 16) >> 16 === value ? value : refuseNumber(value, -0x8000, 0x7fff, 's16', path);
export const checkU32 = (value: unknown, path: string): number =>
  typeof value === 'number' && value >>> 0 === value ? value : refuseNumber(value, 0, 0xffffffff, 'u32', path);
export const checkS32 = (value: unknown, path: string): number =>
  typeof value === 'number' && (value | 0) === value ? value : refuseNumber(value, -0x80000000, 0x7fffffff, 's32', path);

const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;

export const checkU64 = (value: unknown, path: string): bigint =>
  typeof value === 'bigint' && value >= 0n && value <= U64_MAX ? value : refuseBigint(value, 0n, U64_MAX, 'u64', path);
export const checkS64 = (value: unknown, path: string): bigint =>
  typeof value === 'bigint' && value >= S64_MIN && value <= S64_MAX ? value : refuseBigint(value, S64_MIN, S64_MAX, 's64', path);

// -----------------------------------------------------------------------------------------------
// Aggregates

/** A C array: exactly its length, no more, no fewer. */
export function checkArray(value: unknown, length: number, path: string): void {
  if (!Array.isArray(value)) throw new CodecError(path, `expected an array of ${length} elements, got ${typeof value}`);
  if (value.length !== length) {
    throw new CodecError(path, `has ${value.length} elements; the C array has exactly ${length}`);
  }
}

/** A nested struct or union value must be an object before its fields are read. */
export function checkObject(value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null) throw new CodecError(path, `expected an object, got ${value === null ? 'null' : typeof value}`);
}

/** A union is encoded from exactly one member; which one is the only one not undefined. */
export function checkUnion(value: unknown, members: readonly string[], path: string): void {
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
// Bit-fields. A bit-field is `width` bits starting `shift` bits into the `size` bytes at
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
  // As the other integers: a bigint past 32 bits, a number up to them, refused with the same words.
  const type = `${signed ? 's' : 'u'}${width} bit-field`;
  const kind = width > 32 ? 'bigint' : 'number';
  if (typeof value !== kind) throw new CodecError(path, `expected a ${kind} for ${type}, got ${typeof value}`);
  const low = signed ? -(1n << BigInt(width - 1)) : 0n;
  const high = signed ? (1n << BigInt(width - 1)) - 1n : (1n << BigInt(width)) - 1n;
  const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (big === undefined || big < low || big > high) throw new CodecError(path, `${value} is outside ${type} (from ${low} to ${high})`);
  const mask = ((1n << BigInt(width)) - 1n) << bitShift(size, shift, width, le);
  const current = readBytesAsBigint(bytes, at, size, le);
  writeBigintAsBytes(bytes, at, size, (current & ~mask) | ((BigInt.asUintN(width, big) << bitShift(size, shift, width, le)) & mask), le);
}
