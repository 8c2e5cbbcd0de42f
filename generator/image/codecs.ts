/**
 * The struct codecs the walker and builder use for bytes. For LUO they are the generated ones in
 * out/ts; any table with this shape works, so other schemas can bring theirs.
 */
export interface CodecOptions {
  readonly littleEndian?: boolean;
}

export interface StructCodec {
  readonly name: string;
  readonly size: number;
  decode(bytes: Uint8Array, offset?: number, options?: CodecOptions): unknown;
  encode(value: never, bytes: Uint8Array, offset?: number, options?: CodecOptions): void;
}

/** By struct name. */
export type CodecTable = { readonly [struct: string]: StructCodec };

/** Per version name. */
export type CodecRegistry = { readonly [version: string]: CodecTable };

/** A CodecError of the generated runtime, recognised by shape so this module does not depend on it. */
export function isCodecError(error: unknown): error is Error & { path: string } {
  return error instanceof Error && error.name === 'CodecError' && typeof (error as { path?: unknown }).path === 'string';
}
