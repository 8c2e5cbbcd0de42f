/**
 * What the feature rules (LUO010..LUO013) share: each version that negotiates features beside the
 * earlier versions of its lineage (the same header and subsystem, in schema order), and the layouts
 * of the structs the negotiation covers, in the canonical form every layout rule compares.
 */
import { canonicalStruct, canonicalVersion, type CanonicalStruct } from '../model/canonical.ts';
import type { VersionModel } from '../model/index.ts';
import type { FeatureVersionModel } from '../model/index.ts';
import type { CheckContext } from './context.ts';

export interface FeatureStep {
  readonly features: FeatureVersionModel;
  readonly model: VersionModel;
  /** Earlier versions of the lineage, newest first. */
  readonly earlier: readonly { readonly features: FeatureVersionModel; readonly model: VersionModel }[];
}

/** Every feature version with the earlier ones of its lineage. */
export function featureSteps(context: CheckContext): FeatureStep[] {
  const withModels = context.features.flatMap((features) => {
    const model = context.versions.find((v) => v.model.header === features.header && v.model.name === features.version)?.model;
    return model ? [{ features, model }] : [];
  });
  return withModels.map((step, i) => ({
    ...step,
    earlier: withModels
      .slice(0, i)
      .filter((e) => e.features.header === step.features.header && e.features.subsystem === step.features.subsystem)
      .reverse(),
  }));
}

/** The covered structs' layouts, in the order the negotiation lists them. */
export function coveredLayouts(features: FeatureVersionModel, model: VersionModel): CanonicalStruct[] {
  return features.structs.flatMap((name) => {
    const found = model.visibleStructs.find((s) => s.name === name);
    return found ? [canonicalStruct(found)] : [];
  });
}

/**
 * Whether a string that guards `struct` in `newer` has another value than the same role had in
 * `older`: then that string answers for the change, as a string always did.
 */
export function stringBumpedFor(struct: string, older: VersionModel, newer: VersionModel): boolean {
  const before = new Map(canonicalVersion(older).guards.map((g) => [g.role, g.value]));
  return canonicalVersion(newer).guards.some((g) => g.layout.structs.some((s) => s.name === struct) && before.has(g.role) && before.get(g.role) !== g.value);
}

/** The bit that stands for a number in a version, by name where it has one. */
export function bitName(features: FeatureVersionModel, bit: number): string {
  return features.bits.find((b) => b.bit === bit)?.name ?? `bit ${bit}`;
}

/** The lowest bit number no version of the lineage has named: what a new feature can take. */
export function freeBit(step: FeatureStep): number {
  const used = new Set([step.features, ...step.earlier.map((e) => e.features)].flatMap((f) => f.bits.map((b) => b.bit)));
  let bit = 0;
  while (used.has(bit)) bit++;
  return bit;
}
