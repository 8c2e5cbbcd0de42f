/**
 * The careful hand-written read of a C string, shared by the hand-written peers of the codecs and
 * image benches: the NUL must be there, and while it is looked for the bytes are OR-ed together, so
 * that ASCII (the common case) becomes a string through a Node Buffer over the same memory (made
 * once per buffer, one copy, no validation needed) and anything else goes to a fatal TextDecoder.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });
let latin1For: Uint8Array | undefined;
let latin1: Buffer = Buffer.alloc(0);

/** char[length] at `offset` of `bytes`; `what` names it in the error for a missing NUL. */
export function handChars(bytes: Uint8Array, offset: number, length: number, what: string): string {
  const limit = offset + length;
  let end = offset;
  let bits = 0;
  for (; end < limit; end++) {
    const byte = bytes[end]!;
    if (byte === 0) break;
    bits |= byte;
  }
  if (end === limit) throw new Error(`${what}: no NUL within char[${length}]`);
  if (bits >= 0x80) return utf8.decode(bytes.subarray(offset, end));
  if (bytes !== latin1For) {
    latin1For = bytes;
    latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return latin1.toString('latin1', offset, end);
}
