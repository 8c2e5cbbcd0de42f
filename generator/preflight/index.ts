/** `luo-abi preflight` as functions: one update (A -> B), from a handover A wrote, or every update between kernels of a fleet. */
import { loadSchema } from '../core/schema.ts';
import type { PhysicalMemory } from '../image/index.ts';
import { DEFAULT_PAGE_SHIFT } from '../model/index.ts';
import type { Matrix } from './format.ts';
import { kernelProfile, type ProfileOptions } from './profile.ts';
import { preflightSchema, type PreflightSchema } from './schema.ts';
import { stateProfile, type StateOptions } from './state.ts';
import { preflight, type PreflightReport } from './verdict.ts';

export interface PreflightOptions extends ProfileOptions {
  readonly schemaPath?: string;
}

async function schemaFor(options: PreflightOptions): Promise<PreflightSchema> {
  return preflightSchema(await loadSchema(options.schemaPath), options.pageShift);
}

export async function preflightPair(from: string, to: string, options: PreflightOptions = {}): Promise<PreflightReport> {
  const schema = await schemaFor(options);
  return preflight(kernelProfile(from, schema, options), kernelProfile(to, schema, options), schema);
}

/**
 * An actual handover (KHO's root FDT, `name` as the user gave it, and its memory) against kernel `to`:
 * each client and handler as its payload says. The layouts are laid out at `options.pageShift`, the
 * page size of the kernel that wrote the handover.
 */
export async function preflightState(
  state: { readonly name: string; readonly kho: Uint8Array; readonly memory: PhysicalMemory },
  to: string,
  options: PreflightOptions & Pick<StateOptions, 'littleEndian'> = {},
): Promise<PreflightReport> {
  const schema = await schemaFor(options);
  const from = stateProfile(state.name, state.kho, state.memory, schema, {
    ...(options.littleEndian !== undefined ? { littleEndian: options.littleEndian } : {}),
    pageSize: 2 ** (options.pageShift ?? DEFAULT_PAGE_SHIFT),
  });
  return preflight(from, kernelProfile(to, schema, options), schema);
}

/** Every ordered pair of different kernels; each kernel is read once. */
export async function preflightMatrix(kernels: readonly string[], options: PreflightOptions = {}): Promise<Matrix> {
  const schema = await schemaFor(options);
  const profiles = kernels.map((k) => kernelProfile(k, schema, options));
  return {
    kernels: profiles.map((p) => ({ name: p.name, kind: p.kind })),
    pairs: profiles.flatMap((from, i) => profiles.flatMap((to, j) => (i === j ? [] : [preflight(from, to, schema)]))),
  };
}

export { formatMatrix, formatPreflight, MATRIX_FORMATS, type Matrix, type MatrixFormat } from './format.ts';
export type { PreflightReport, Verdict } from './verdict.ts';
