/**
 * The image workload the image benches decode: luo-v3 (luo-v4 for the views bench), every session with
 * the same number of files, built with our encoder (not timed) into one memory region at physical
 * address 2^32.
 */
import { buildModel, findVersion } from '../generator/model/index.ts';
import { PhysicalMemory, encodeImage, type ImageState, type StructValue } from '../generator/image/index.ts';
import luoSchema from '../schema/index.ts';

export const VERSION = 'luo-v3';
export const FILES = 8;
export const BASE = 1n << 32n;
export const model = buildModel(luoSchema);

/**
 * `sessions` sessions named session-N, each with FILES files whose data counts up from 0. Their
 * handler string is one no version of the family is reached by, so that `data` stays an opaque value
 * (memfd-v1's would be followed to a memfd_luo_ser, which this workload does not hold); same length
 * as "memfd-v1", so the image's bytes are laid out as before.
 */
export function luoV3State(sessions: number): ImageState {
  return luoState(VERSION, sessions);
}

/** The same state for another version whose sessions hold files (luo-v4: the files in a chain). */
export function luoState(version: string, sessions: number): ImageState {
  const entries: StructValue[] = new Array(sessions);
  for (let i = 0; i < sessions; i++) {
    const files: StructValue[] = new Array(FILES);
    for (let j = 0; j < FILES; j++) files[j] = { compatible: 'bench-v1', data: BigInt(i * FILES + j), token: BigInt(j) };
    entries[i] = { name: `session-${i}`, file_set_ser: { files, count: BigInt(FILES) } };
  }
  return {
    version,
    root: { compatible: version, properties: { 'luo-abi-header': { liveupdate_num: 1n, sessions_pa: entries, flbs_pa: null } }, children: {} },
  };
}

export interface LuoV3Image {
  readonly fdt: Uint8Array;
  /** What our decoders read. */
  readonly memory: PhysicalMemory;
  /** The same bytes, the first at physical address BASE. */
  readonly raw: Uint8Array;
}

/** The image of luoV3State(sessions): blocks on page boundaries as the kernel lays them out, or packed back to back. */
export function luoV3Image(sessions: number, packing: 'pages' | 'packed'): LuoV3Image {
  return luoImage(VERSION, sessions, packing);
}

export function luoImage(version: string, sessions: number, packing: 'pages' | 'packed'): LuoV3Image {
  const built = encodeImage(findVersion(model, version), luoState(version, sessions), { base: BASE, packing });
  return { fdt: built.fdt!, memory: new PhysicalMemory([{ base: BASE, bytes: built.memory }]), raw: built.memory };
}
