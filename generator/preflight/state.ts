/**
 * What an actual handover hands over, read from the handover itself: KHO's root FDT and the memory it
 * points into, walked as `decode --kho` walks them. For each client and each file handler the walk
 * reaches, the payload says what it is: the masks its feature header really holds (a payload may
 * require less than its kernel's image says), or the string that selected its version.
 *
 * Payloads of one subsystem (every file of one handler) are one subsystem here, their masks ORed: the
 * next kernel must support every bit any of them requires.
 */
import { InputError } from '../core/errors.ts';
import { FdtError } from '../fdt/index.ts';
import { ImageError, walkImage, type ImageVisitor, type PhysicalMemory, type StateReached, type StructValue } from '../image/index.ts';
import { allVersions, type VersionModel } from '../model/index.ts';
import type { FeatureSupport, KernelProfile, SubsystemProfile } from './profile.ts';
import { subsystemKey, type PreflightSchema } from './schema.ts';

export interface StateOptions {
  readonly littleEndian?: boolean;
  readonly pageSize?: number;
}

/** A subsystem of the handover, and how many payloads of it the walk met. */
interface Gathered {
  profile: SubsystemProfile;
  payloads: number;
}

/** The profile of the handover whose KHO root FDT is `kho`: one subsystem per client and per handler it holds. */
export function stateProfile(name: string, kho: Uint8Array, memory: PhysicalMemory, schema: PreflightSchema, options: StateOptions = {}): KernelProfile {
  const gathered = new Map<string, Gathered>();
  const add = (profile: SubsystemProfile): void => {
    const before = gathered.get(profile.key);
    if (!before) return void gathered.set(profile.key, { profile, payloads: 1 });
    before.payloads++;
    if (before.profile.features && profile.features) before.profile = { ...before.profile, features: orMasks(before.profile.features, profile.features) };
  };
  // A feature version's masks are in the first struct of its state, visited right after its note.
  let pending: { version: VersionModel; reached: StateReached } | undefined;
  const visitor: ImageVisitor = {
    note(note) {
      if (note.kind !== 'state') return;
      pending = undefined;
      if (note.version?.features) pending = { version: note.version, reached: note.reached };
      else add(stringSubsystem(schema, note.version, note.reached));
    },
    struct(struct, value) {
      if (!pending || struct !== pending.version.features!.carrier.struct) return;
      add(featureSubsystem(pending.version, value, pending.reached));
      pending = undefined;
    },
  };
  let summary;
  try {
    summary = walkImage(allVersions(schema.model), { kho }, memory, visitor, options);
  } catch (error) {
    if (error instanceof ImageError || error instanceof FdtError) throw new InputError(`${name}: bad handover: ${error.message}`);
    throw error;
  }
  const root = allVersions(schema.model).find((v) => v.name === summary.version)!;
  const notes: string[] = [];
  const outside = summary.preserved?.total ?? 0;
  if (outside > 0) {
    const first = summary.preserved!.warnings[0]!;
    notes.push(`${outside} block${outside === 1 ? '' : 's'} of the handover ${outside === 1 ? 'lies' : 'lie'} outside the preserved memory, which the next kernel would not get back (the first: ${first.what} at ${first.place})`);
  }
  return {
    name,
    kind: 'state',
    tellsStrings: true,
    notes,
    subsystems: [
      { ...rootSubsystem(schema, root), root: true },
      ...[...gathered.values()].map(({ profile, payloads }) => ({ ...profile, ...(payloads > 1 ? { payloads } : {}) })),
    ],
  };
}

/** KHO's own root: the string it says. */
function rootSubsystem(schema: PreflightSchema, version: VersionModel): SubsystemProfile {
  const guard = outerGuard(version)!;
  return { key: subsystemKey(schema, version.header), header: version.header, version: version.name, string: { macro: guard.macro, value: guard.value }, from: '/compatible' };
}

/** A client's or handler's state guarded by a string (or one the schema does not know: opaque). */
function stringSubsystem(schema: PreflightSchema, version: VersionModel | undefined, reached: StateReached): SubsystemProfile {
  const from = reached.site.toString();
  if (!version) return { key: reached.name, opaque: reached.kind, from };
  const guard = outerGuard(version);
  // A handler's string is the one that selected it; a client's, its container's outermost.
  const string = reached.kind === 'handler' && version.container?.kind === 'reached-from' ? { macro: version.container.compatible.macro, value: reached.name } : guard && { macro: guard.macro, value: guard.value };
  return { key: subsystemKey(schema, version.header), header: version.header, version: version.name, ...(string ? { string } : {}), from };
}

/** A state that opens with a feature header: the masks it holds. */
function featureSubsystem(version: VersionModel, value: StructValue, reached: StateReached): SubsystemProfile {
  const features = version.features!;
  const header = value[features.carrier.field] as StructValue;
  const mask = (field: string) => BigInt(header[field] as bigint | number);
  const fields = features.headerStruct;
  return {
    key: features.subsystem,
    header: version.header,
    version: version.name,
    features: {
      featBytes: maskBytes(version, fields.name, fields.supported),
      supported: mask(fields.supported),
      required: mask(fields.required),
      active: mask(fields.active),
    },
    from: reached.site.toString(),
  };
}

function maskBytes(version: VersionModel, struct: string, field: string): number {
  return version.visibleStructs.find((s) => s.name === struct)!.fields.find((f) => f.name === field)!.size;
}

function orMasks(a: FeatureSupport, b: FeatureSupport): FeatureSupport {
  return { featBytes: a.featBytes, supported: a.supported | b.supported, required: a.required | b.required, active: a.active | b.active };
}

function outerGuard(version: VersionModel) {
  return version.guards.find((g) => g.outer.length === 0 && g.role.kind !== 'library');
}
