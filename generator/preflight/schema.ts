/**
 * What preflight needs of the schema: for each subsystem the other kernel may receive, its name (the
 * key both kernels are matched by), the headers and versions that describe it, its feature bits by
 * number, the guard strings a tree may define, and the structs its payload is made of.
 */
import type { AbiSchema } from '../../schema/lang.ts';
import { modelOf } from '../core/schema.ts';
import { featureVersions, type FeatureBitModel, type FeatureVersionModel } from '../model/index.ts';
import { featureSectionLayout, type FeatureSectionLayout } from '../features/section.ts';
import { canonicalStruct, type CanonicalStruct } from '../model/canonical.ts';
import { type HeaderModel, type Model, type PageShift, type VersionModel } from '../model/index.ts';

export interface PreflightSchema {
  readonly model: Model;
  readonly features: readonly FeatureVersionModel[];
  /** The `.liveupdate_features` layout, when the schema describes the section. */
  readonly section?: FeatureSectionLayout;
}

export function preflightSchema(schema: AbiSchema, pageShift?: PageShift): PreflightSchema {
  const model = modelOf(schema, pageShift);
  let section: FeatureSectionLayout | undefined;
  try {
    section = featureSectionLayout(model);
  } catch {
    section = undefined;
  }
  return { model, features: featureVersions(model), ...(section ? { section } : {}) };
}

/** A header's state is handed over when one of its versions has a container or negotiates features. */
export function handedOverHeaders(schema: PreflightSchema): HeaderModel[] {
  return schema.model.headers.filter((h) => h.versions.some((v) => v.container || schema.features.some((f) => f.header === h.name && f.version === v.name)));
}

/** The name both kernels know a header's state by: its feature subsystem's, else the header's own. */
export function subsystemKey(schema: PreflightSchema, header: string): string {
  return schema.features.find((f) => f.header === header)?.subsystem ?? header;
}

/** The header a subsystem name belongs to, if the schema knows it. */
export function headerOfKey(schema: PreflightSchema, key: string): HeaderModel | undefined {
  return handedOverHeaders(schema).find((h) => subsystemKey(schema, h.name) === key);
}

/** Every feature bit the schema names for a subsystem, by number; a newer name wins. */
export function bitsOf(schema: PreflightSchema, key: string): FeatureBitModel[] {
  const byBit = new Map<number, FeatureBitModel>();
  for (const f of schema.features) if (f.subsystem === key) for (const b of f.bits) byBit.set(b.bit, b);
  return [...byBit.values()].sort((a, b) => a.bit - b.bit);
}

/** The feature versions of a subsystem, oldest first. */
export function featureVersionsOf(schema: PreflightSchema, key: string): FeatureVersionModel[] {
  return schema.features.filter((f) => f.subsystem === key);
}

export function versionModel(schema: PreflightSchema, header: string, name: string): VersionModel | undefined {
  return schema.model.headers.find((h) => h.name === header)?.versions.find((v) => v.name === name);
}

/**
 * The strings that guard a header's state from the outside (a container's outermost guard), newest
 * version first: the macros a tree may define, with the versions that use each value.
 */
export function outerGuards(header: HeaderModel): { macro: string; value: string; version: string }[] {
  return [...header.versions].reverse().flatMap((v) => v.guards.filter((g) => g.outer.length === 0 && g.role.kind !== 'library').map((g) => ({ macro: g.macro, value: g.value, version: v.name })));
}

/** The structs a version's payload is made of: what its feature negotiation covers, else what its guards guard. */
export function payloadStructs(schema: PreflightSchema, version: VersionModel): CanonicalStruct[] {
  const features = schema.features.find((f) => f.header === version.header && f.version === version.name);
  const names = new Set(features ? features.structs : version.guards.flatMap((g) => g.structs));
  return version.visibleStructs.filter((s) => names.has(s.name)).map(canonicalStruct);
}
