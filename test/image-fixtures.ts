/**
 * What the image tests share: the model, the C image tool (test/c/image) built
 * once per version, and the content formulas that tool uses, written again here so that the expected
 * state comes from the formulas, never from the code under test.
 */
import { join } from 'node:path';
import { buildModel, findHeader, findVersion, type VersionModel } from '../generator/model/index.ts';
import type { FdtImageState, ImageState, NodeState, StructValue } from '../generator/image/index.ts';
import khoFamily from '../schema/index.ts';
import { OUT, ROOT, runOk } from './support/tools.ts';

export const model = buildModel(khoFamily);
/** luo.h's versions: what the image tests decode and encode. */
export const luo = findHeader(model, 'luo');
export const version = (name: string): VersionModel => findVersion(luo, name);
/** The versions whose state is an FDT, the C image tool's. */
export const VERSION_NAMES = luo.versions.filter((v) => v.container?.kind === 'fdt').map((v) => v.name);

export interface Content {
  readonly sessions: number;
  /** Session i has (i * 13) % filesMod files. */
  readonly filesMod: number;
  readonly flbs: number;
}

const fileCount = (i: number, c: Content) => (c.filesMod ? (i * 13) % c.filesMod : 0);

function file(i: number, j: number): StructValue {
  return { compatible: `fh-${i}-${j}`, data: (1n << 63n) | (BigInt(i) << 20n) | BigInt(j), token: BigInt(i) * 1000n + BigInt(j) };
}

export type { ImageState };

function session(name: string, i: number, c: Content): StructValue {
  if (name === 'luo-v1-session-v1') return { name: `session-${i}` };
  const n = fileCount(i, c);
  return {
    name: `session-${i}`,
    file_set_ser: { files: n === 0 ? null : Array.from({ length: n }, (_, j) => file(i, j)), count: BigInt(n) },
  };
}

function flb(k: number): StructValue {
  return { name: `flb-${k}`, data: 0xdead000000000000n + BigInt(k), count: 3n * BigInt(k) };
}

const LIVEUPDATE_NUM = 41n;

/** The state test/c/image/luo_image.c builds for this content. */
export function expectedState(name: string, c: Content): FdtImageState {
  const sessions = Array.from({ length: c.sessions }, (_, i) => session(name, i, c));
  const flbs = Array.from({ length: c.flbs }, (_, k) => flb(k));
  if (name.startsWith('luo-v1')) {
    const children: Record<string, NodeState> = {
      'luo-session': {
        compatible: name === 'luo-v1-session-v1' ? 'luo-session-v1' : 'luo-session-v2',
        properties: { 'luo-session-header': sessions },
        children: {},
      },
    };
    if (name === 'luo-v1') children['luo-flb'] = { compatible: 'luo-flb-v1', properties: { 'luo-flb-header': flbs }, children: {} };
    return { version: name, root: { compatible: 'luo-v1', properties: { 'liveupdate-number': LIVEUPDATE_NUM }, children } };
  }
  const luoSer = { liveupdate_num: LIVEUPDATE_NUM, sessions_pa: c.sessions ? sessions : null, flbs_pa: c.flbs ? flbs : null };
  return { version: name, root: { compatible: name, properties: { 'luo-abi-header': luoSer }, children: {} } };
}

/** gcc flags for what no struct layout shows: where sessions and files live in chains. */
const CHAIN_FLAGS: Record<string, string[]> = {
  'luo-v3': ['-DSESSION_CHAIN'],
  'luo-v4': ['-DSESSION_CHAIN', '-DFILE_CHAIN'],
};

/** Compile test/c/image/luo_image.c against out/<version>/luo.h; returns the program. */
export function buildImageTool(name: string, dir: string): string {
  const program = join(dir, `luo_image-${name}`);
  const source = join(ROOT, 'test/c/image');
  runOk('gcc', [
    '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O1',
    '-I', join(ROOT, 'test/c/shim'), '-I', join(OUT, 'luo', name),
    ...(CHAIN_FLAGS[name] ?? []),
    join(source, 'luo_image.c'), '-lfdt', '-o', program,
  ]);
  return program;
}

export function toolArgs(fdt: string, mem: string, base: bigint, c: Content): string[] {
  return [fdt, mem, `0x${base.toString(16)}`, String(c.sessions), String(c.filesMod), String(c.flbs)];
}
