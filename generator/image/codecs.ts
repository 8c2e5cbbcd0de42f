/**
 * The struct codecs the walker and builder use for bytes: compiled at run time from the version's
 * model (generator/codec), never taken from generated files, so that they always match the model the
 * image is read or written with.
 */
import { CodecError } from '../codec/runtime.ts';

export type { CodecOptions } from '../codec/runtime.ts';
export { codecsFor, type CodecTable, type StructCodec } from '../codec/compile.ts';

export function isCodecError(error: unknown): error is CodecError {
  return error instanceof CodecError;
}
