/**
 * What the feature rules (LUO010..LUO013) share: each version that negotiates features beside the
 * earlier states of its lineage (the same header and subsystem): the earlier versions of the schema,
 * and the versions the baseline (the lock file, or another revision) records as released, so that a
 * version edited in place is compared with what it was released as. Layouts are in the canonical
 * form every layout rule compares.
 */
import { canonicalStruct, canonicalVersion, type CanonicalStruct } from '../model/canonical.ts';
import type { FeatureBitModel, FeatureVersionModel, VersionModel } from '../model/index.ts';
import type { CheckContext } from './context.ts';
import type { LockFeatureEntry } from './lock.ts';

/** A state of the lineage: a version as the schema has it, or as the baseline records it. */
export interface FeatureSide {
  /** As messages name it: `luo-features`, or `luo-features-named as schema/abi.lock.json records it`. */
  readonly name: string;
  readonly features: {
    readonly bits: readonly FeatureBitModel[];
    readonly supported: bigint;
    readonly required: bigint;
  };
  /** The structs the feature header covers. */
  readonly layouts: readonly CanonicalStruct[];
  /** The version's guard strings by role: one that guards a covered struct beside the bits answers for its change. */
  readonly strings: ReadonlyMap<string, string>;
  /** The baseline's record of the very version compared with it: a difference is an edit in place. */
  readonly own?: boolean;
}

export interface FeatureStep {
  readonly features: FeatureVersionModel;
  readonly model: VersionModel;
  readonly side: FeatureSide;
  /**
   * Earlier states of the lineage: the baseline's record of this very version first (where it differs:
   * an edit in place, reported as such), then the schema's versions newest first, then the other
   * versions the baseline records, newest first.
   */
  readonly earlier: readonly FeatureSide[];
}

/** Every feature version with the earlier states of its lineage. */
export function featureSteps(context: CheckContext): FeatureStep[] {
  const withModels = context.features.flatMap((features) => {
    const model = context.versions.find((v) => v.model.header === features.header && v.model.name === features.version)?.model;
    return model ? [{ features, model, side: schemaSide(features, model) }] : [];
  });
  const locked = context.baseline.features ?? [];
  const lineage = (header: string, subsystem: string) => (f: { header: string; subsystem: string }) => f.header === header && f.subsystem === subsystem;
  return withModels.map((step, i) => {
    const same = lineage(step.features.header, step.features.subsystem);
    const schemaEarlier = withModels.slice(0, i).filter((e) => same(e.features)).reverse();
    // Released up to this version's own entry (itself included: an edit in place), or all of them for a new version.
    const own = locked.findIndex((e) => e.header === step.model.header && e.version === step.model.name);
    const released = locked.slice(0, own < 0 ? locked.length : own + 1).filter(same).reverse();
    const recorded = released
      .map((entry) => ({ ...lockedSide(entry, context.baselineName), ...(entry.header === step.model.header && entry.version === step.model.name ? { own: true } : {}) }))
      // A recorded state the schema still has as it was adds nothing.
      .filter((side, j) => !withModels.some((e) => e.model.header === released[j]!.header && e.model.name === released[j]!.version && sameSide(e.side, side)));
    return { ...step, earlier: [...recorded.filter((s) => s.own), ...schemaEarlier.map((e) => e.side), ...recorded.filter((s) => !s.own)] };
  });
}

function schemaSide(features: FeatureVersionModel, model: VersionModel): FeatureSide {
  const layouts = coveredLayouts(features, model);
  const strings = new Map(canonicalVersion(model).guards.map((g) => [g.role, g.value]));
  return { name: model.name, features, layouts, strings };
}

function lockedSide(entry: LockFeatureEntry, baselineName: string): FeatureSide {
  return {
    name: `${entry.version} as ${baselineName} records it`,
    features: { bits: entry.bits, supported: BigInt(entry.supported), required: BigInt(entry.required) },
    layouts: entry.structs,
    strings: new Map(entry.strings.map((s) => [s.role, s.value])),
  };
}

function sameSide(a: FeatureSide, b: FeatureSide): boolean {
  const facts = (s: FeatureSide) => JSON.stringify([s.features.bits.map((x) => [x.name, x.bit]), String(s.features.supported), String(s.features.required), s.layouts, [...s.strings]]);
  return facts(a) === facts(b);
}

/** The covered structs' layouts, in the order the negotiation lists them. */
function coveredLayouts(features: FeatureVersionModel, model: VersionModel): CanonicalStruct[] {
  return features.structs.flatMap((name) => {
    const found = model.visibleStructs.find((s) => s.name === name);
    return found ? [canonicalStruct(found)] : [];
  });
}

/**
 * Whether a string that guards `struct` in `newer` has another value than the same role had in
 * `older`: then that string answers for the change, as a string always did.
 */
export function stringBumpedFor(struct: string, older: FeatureSide, newer: VersionModel): boolean {
  return canonicalVersion(newer).guards.some((g) => g.layout.structs.some((s) => s.name === struct) && older.strings.has(g.role) && older.strings.get(g.role) !== g.value);
}

/** The bit that stands for a number in a version, by name where it has one. */
export function bitName(features: FeatureSide['features'], bit: number): string {
  return features.bits.find((b) => b.bit === bit)?.name ?? `bit ${bit}`;
}

/** The lowest bit number no version of the lineage has named: what a new feature can take. */
export function freeBit(step: FeatureStep): number {
  const used = new Set([step.features, ...step.earlier.map((e) => e.features)].flatMap((f) => f.bits.map((b) => b.bit)));
  let bit = 0;
  while (used.has(bit)) bit++;
  return bit;
}
