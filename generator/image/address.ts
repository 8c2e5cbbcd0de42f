/**
 * Physical addresses and counts as the image walker carries them: numbers while exact (below 2^53,
 * as every real one is), bigints beyond. And the one reading of an unsigned field from the bytes,
 * as a function (the walker's) and as the text of one (the loops compiled in ./entry-loop.ts).
 */

/** A physical address or a count: a number when exact, else a bigint. */
export type Address = number | bigint;

export const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
/** The high 32 bits of a u64 below 2^53 are below this. */
export const EXACT_HIGH = 0x20_0000;

/**
 * An unsigned integer field (an address, a count) where the walker reads it: `offset` bytes into its
 * struct, `size` bytes wide. The walker reads these straight from the bytes (readUnsigned), not
 * through the struct's decoded value or view, so that following a pointer makes no bigint.
 */
export interface UnsignedAt {
  readonly offset: number;
  readonly size: number;
}

/** `pa` as the walker carries it. */
export function address(pa: bigint): Address {
  return pa <= MAX_EXACT ? Number(pa) : pa;
}

/**
 * The unsigned integer of `size` bytes at `at` (an address or a count): a number, exact below 2^53,
 * beyond which (a u64 only) a bigint. Real images' addresses and counts all come out numbers, read
 * with no allocation; a hostile value past 2^53 keeps every digit for its error message.
 */
export function readUnsigned(view: DataView, at: number, size: number, le: boolean): Address {
  switch (size) {
    case 1:
      return view.getUint8(at);
    case 2:
      return view.getUint16(at, le);
    case 4:
      return view.getUint32(at, le);
    default: {
      const high = view.getUint32(le ? at + 4 : at, le);
      if (high >= EXACT_HIGH) return view.getBigUint64(at, le);
      return high * 0x1_0000_0000 + view.getUint32(le ? at : at + 4, le);
    }
  }
}

/**
 * readUnsigned for one field and byte order, as statements declaring `name`, read from DataView
 * `view` at `at + offset`: a number; one past 2^53 is `wide` (-1 where only a number will do, as no
 * count or address equals it; the bigint for an address a walk may yet report). Text, not a call of
 * a helper: the JIT's inlining budget for the loop they are written into goes to the calls left.
 */
export function readUnsignedSource(field: UnsignedAt, littleEndian: boolean, wide: 'minus-one' | 'bigint', name: string, view: string, at: string): string {
  const le = String(littleEndian);
  switch (field.size) {
    case 1:
      return `const ${name} = ${view}.getUint8(${at} + ${field.offset});`;
    case 2:
      return `const ${name} = ${view}.getUint16(${at} + ${field.offset}, ${le});`;
    case 4:
      return `const ${name} = ${view}.getUint32(${at} + ${field.offset}, ${le});`;
    default: {
      const [high, low] = littleEndian ? [field.offset + 4, field.offset] : [field.offset, field.offset + 4];
      const past = wide === 'bigint' ? `${view}.getBigUint64(${at} + ${field.offset}, ${le})` : '-1';
      return [
        `const ${name}High = ${view}.getUint32(${at} + ${high}, ${le});`,
        `const ${name} = ${name}High >= ${EXACT_HIGH} ? ${past} : ${name}High * 0x100000000 + ${view}.getUint32(${at} + ${low}, ${le});`,
      ].join('\n');
    }
  }
}
