/**
 * The struct codecs the walker and builder use for bytes: compiled at run time from the version's
 * model (generator/codec), never taken from generated files, so that they always match the model the
 * image is read or written with.
 */
import { CodecError } from '../codec/runtime.ts';
import { codecsFor, type CodecTable } from '../codec/compile.ts';
import type { VersionModel } from '../model/index.ts';

export type { CodecOptions } from '../codec/runtime.ts';
export { codecsFor, type CodecTable, type StructCodec } from '../codec/compile.ts';

const withLocal = new WeakMap<VersionModel, VersionModel>();

/** The codecs of every struct a walk of `version` reads: its header's and its kernel .c file's (localStructs). */
export function imageCodecsFor(version: VersionModel): CodecTable {
  if (!version.localStructs?.length) return codecsFor(version);
  let all = withLocal.get(version);
  if (!all) withLocal.set(version, (all = { ...version, visibleStructs: [...version.visibleStructs, ...version.localStructs] }));
  return codecsFor(all);
}

export function isCodecError(error: unknown): error is CodecError {
  return error instanceof CodecError;
}
