/**
 * Feature negotiation, validated with the version it belongs to: for a version whose payload opens
 * with a feature header, the subsystem's name, the header's mask fields, the named bits, the three
 * masks as numbers, which structs and fields need which bits, and the structs the negotiation covers
 * (everything reached from the struct that opens with the header). buildVersion calls it on the
 * laid-out version, so a mistake names its place as every schema error does.
 */
import type { AbiVersion, Constant, FeatureNegotiation, SourceLocation } from '../../schema/lang.ts';
import type { Issues } from './errors.ts';
import { typeReferences } from './guards.ts';
import { memberFields, type Model, type StructModel, type VersionModel } from './model.ts';

export interface FeatureBitModel {
  readonly name: string;
  readonly bit: number;
  readonly doc?: string;
}

export interface FeatureDependencyModel {
  readonly struct: string;
  readonly field?: string;
  /** Names of the bits. */
  readonly bits: readonly string[];
}

export interface FeatureVersionModel {
  readonly header: string;
  readonly version: string;
  readonly subsystem: string;
  readonly khoEntry?: { readonly macro: string; readonly value: string };
  /** The struct holding the masks and its mask fields. */
  readonly headerStruct: { readonly name: string; readonly supported: string; readonly required: string; readonly active: string };
  readonly carrier: { readonly struct: string; readonly field: string };
  /** Oldest first, as the schema lists them. */
  readonly bits: readonly FeatureBitModel[];
  readonly supported: bigint;
  readonly required: bigint;
  readonly active: bigint;
  /** The macros holding the masks. */
  readonly macros: { readonly supported: string; readonly required: string; readonly active: string };
  readonly dependencies: readonly FeatureDependencyModel[];
  /** Structs the negotiation covers, sorted: the carrier and everything it reaches. */
  readonly structs: readonly string[];
  readonly at?: SourceLocation;
}

/** Bit numbers a mask holds, lowest first. */
export function maskBits(mask: bigint): number[] {
  const bits: number[] = [];
  for (let bit = 0; mask >> BigInt(bit) !== 0n; bit++) if ((mask >> BigInt(bit)) & 1n) bits.push(bit);
  return bits;
}

/** A mask in words: `LUO_FEATURE_NUMBER | bit 5`, or `none`. */
export function maskText(mask: bigint, bits: readonly FeatureBitModel[]): string {
  const named = new Map(bits.map((b) => [b.bit, b.name]));
  const parts = maskBits(mask).map((bit) => named.get(bit) ?? `bit ${bit}`);
  return parts.length > 0 ? parts.join(' | ') : 'none';
}

/** The feature negotiation of every version that has one, in the model's order (headers in dependency order, oldest version first). */
export function featureVersions(model: Model): FeatureVersionModel[] {
  return model.headers.flatMap((h) => h.versions.flatMap((v) => (v.features ? [v.features] : [])));
}

/** The version's feature negotiation, validated against its laid-out model; undefined when it has none or it has mistakes (reported). */
export function featureModel(version: AbiVersion, model: VersionModel, issues: Issues): FeatureVersionModel | undefined {
  if (!version.features) return undefined;
  const spec: FeatureNegotiation = version.features;
  const path = [model.header, model.name, 'features'];
  const before = issues.reports;
  const add = (where: string[], message: string, at?: SourceLocation) => issues.add('bad-guard', [...path, ...where], message, at ?? spec.at);
  const struct = (name: string): StructModel | undefined => model.visibleStructs.find((s) => s.name === name);

  if (!/^[\x21-\x7e]{1,47}$/.test(spec.subsystem ?? '')) add(['subsystem'], 'the subsystem name is printable ASCII without spaces, 1 to 47 characters (it travels in a 48-byte name field)');

  const header = struct(spec.header?.struct?.name ?? '');
  if (!header) add(['header'], `the feature header struct ${spec.header?.struct?.name ?? '(none)'} is not a struct of ${model.name} or of a version it uses`);
  for (const role of ['supported', 'required', 'active'] as const) {
    const name = spec.header?.[role];
    const f = header ? memberFields(header.fields).find((x) => x.name === name) : undefined;
    if (header && (!f || f.type.kind !== 'scalar' || f.type.signed)) add(['header', role], `${header.name}.${String(name)} must be an unsigned integer field holding the ${role} mask`);
  }

  const carrier = struct(spec.carrier?.struct?.name ?? '');
  const carrierField = carrier?.fields.find((f) => f.name === spec.carrier.field);
  if (!carrier) add(['carrier'], `the struct opening with the feature header, ${spec.carrier?.struct?.name ?? '(none)'}, is not a struct of ${model.name} or of a version it uses`);
  else if (!carrierField || carrierField.type.kind !== 'aggregate' || carrierField.type.name !== header?.name) {
    add(['carrier'], `${carrier.name}.${spec.carrier.field} must be a field of type struct ${header?.name ?? '(the feature header)'}`);
  }

  const constant = (c: Constant | undefined) => (c ? model.constants.find((m) => m.name === c.name) : undefined);
  const bits: FeatureBitModel[] = [];
  for (const bit of spec.bits ?? []) {
    const where = [`bit ${bit?.name ?? '(unnamed)'}`];
    if (!Number.isInteger(bit?.bit) || bit.bit < 0 || bit.bit > 63) {
      add(where, 'a feature bit number is 0 to 63 (the masks are u64)', bit?.at);
      continue;
    }
    const value = constant(bit)?.value;
    if (value === undefined) add(where, `${bit.name} is not among ${model.name}'s constants; add it there`, bit.at);
    else if (BigInt(value) !== 1n << BigInt(bit.bit)) add(where, `${bit.name} evaluates to ${String(value)}, not BIT_ULL(${bit.bit})`, bit.at);
    if (bits.some((b) => b.bit === bit.bit)) add(where, `bit ${bit.bit} is named twice (${bits.find((b) => b.bit === bit.bit)!.name} and ${bit.name})`, bit.at);
    if (bits.some((b) => b.name === bit.name)) add(where, `${bit.name} is listed twice`, bit.at);
    bits.push({ name: bit.name, bit: bit.bit, ...(bit.doc ? { doc: bit.doc } : {}) });
  }
  const known = bits.reduce((mask, b) => mask | (1n << BigInt(b.bit)), 0n);

  const masks = {} as Record<'supported' | 'required' | 'active', bigint>;
  for (const role of ['supported', 'required', 'active'] as const) {
    const c = spec[role];
    const value = constant(c)?.value;
    if (value === undefined || typeof value === 'string') {
      add([role], `the ${role} mask must be a numeric constant of ${model.name} (an OR of its bits)`, c?.at);
      continue;
    }
    masks[role] = BigInt(value);
    const unnamed = masks[role] & ~known;
    if (unnamed !== 0n) add([role], `${c.name} holds ${maskBits(unnamed).map((b) => `bit ${b}`).join(', ')}, which no feature bit of the version names`, c.at);
  }

  const dependencies: FeatureDependencyModel[] = [];
  for (const dep of spec.dependencies ?? []) {
    const target = struct(dep?.struct?.name ?? '');
    const where = [`dependency ${dep?.struct?.name ?? '(none)'}${dep?.field ? `.${dep.field}` : ''}`];
    if (!target) add(where, `${dep?.struct?.name ?? '(none)'} is not a struct of ${model.name} or of a version it uses`, dep?.at);
    else if (dep.field !== undefined && !memberFields(target.fields).some((f) => f.name === dep.field)) add(where, `struct ${target.name} has no field ${dep.field}`, dep.at);
    const unknown = (dep?.bits ?? []).filter((b) => !bits.some((x) => x.name === b.name));
    if (unknown.length > 0) add(where, `depends on ${unknown.map((b) => b.name).join(', ')}, not among the version's feature bits`, dep?.at);
    if ((dep?.bits ?? []).length === 0) add(where, 'a dependency names at least one bit', dep?.at);
    dependencies.push({ struct: dep.struct.name, ...(dep.field !== undefined ? { field: dep.field } : {}), bits: dep.bits.map((b) => b.name) });
  }

  const khoEntry = spec.khoEntry ? model.constants.find((c) => c.name === spec.khoEntry!.name) : undefined;
  if (spec.khoEntry && typeof khoEntry?.value !== 'string') add(['khoEntry'], `${spec.khoEntry.name} must be a string constant of ${model.name}`, spec.khoEntry.at);

  if (issues.reports > before || !header || !carrier) return undefined;
  return {
    header: model.header,
    version: model.name,
    subsystem: spec.subsystem,
    ...(khoEntry ? { khoEntry: { macro: khoEntry.name, value: String(khoEntry.value) } } : {}),
    headerStruct: { name: header.name, supported: spec.header.supported, required: spec.header.required, active: spec.header.active },
    carrier: { struct: carrier.name, field: spec.carrier.field },
    bits,
    supported: masks.supported,
    required: masks.required,
    active: masks.active,
    macros: { supported: spec.supported.name, required: spec.required.name, active: spec.active.name },
    dependencies,
    structs: reached(carrier.name, model),
    ...(spec.at ? { at: spec.at } : {}),
  };
}

/** The carrier and every struct it reaches by nesting or pointing, sorted. */
function reached(start: string, model: VersionModel): string[] {
  const byName = new Map(model.visibleStructs.map((s) => [s.name, s]));
  const found = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (found.has(name) || !byName.has(name)) continue;
    found.add(name);
    for (const f of byName.get(name)!.fields) stack.push(...typeReferences(f.type));
  }
  return [...found].sort();
}
