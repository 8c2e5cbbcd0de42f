/**
 * Will kernel B accept what kernel A hands over? One verdict per subsystem A hands over, by the rule of
 * docs/upstream-notes.md §10: B must know the subsystem; where bits guard it, every bit A's payload
 * requires must be one B supports (bits A uses without requiring them B may ignore); where a string
 * guards it, the strings must be equal. A refusal says why (the bits B lacks, by name; the strings),
 * what would be lost, and how the layouts differ, field by field.
 */
import { maskBits, maskText, type FeatureBitModel } from '../model/index.ts';
import { diffStructLists } from '../model/diff.ts';
import type { CanonicalStruct } from '../model/canonical.ts';
import type { HeaderModel } from '../model/index.ts';
import type { FeatureSupport, KernelProfile, SubsystemProfile } from './profile.ts';
import { bitsOf, headerOfKey, payloadStructs, versionModel, type PreflightSchema } from './schema.ts';

export type Outcome = 'accepted' | 'refused' | 'unknown';

export interface Verdict {
  readonly key: string;
  /** What the subsystem is, in words: `luo (LUO core, KHO entry "LUO")`. */
  readonly title: string;
  readonly outcome: Outcome;
  /** What A hands over: a string, or the bits its payload requires and uses. */
  readonly handsOver: string;
  /** What B accepts, when B has the subsystem. */
  readonly accepts?: string;
  /** Why it is refused (or cannot be told); empty when accepted. */
  readonly reasons: readonly string[];
  /** Features A's payload uses without requiring them that B does not know: B ignores them. */
  readonly ignored: readonly string[];
  /** What is lost when B refuses it. */
  readonly lost?: string;
  /** How the layouts differ, field by field, for a refusal: `struct luo_ser > extra: (none) -> u64 at offset 152`. */
  readonly differences: readonly string[];
  readonly fromVersion?: string;
  readonly toVersion?: string;
}

export interface PreflightReport {
  readonly from: { readonly name: string; readonly kind: string };
  readonly to: { readonly name: string; readonly kind: string };
  readonly verdicts: readonly Verdict[];
  readonly notes: readonly string[];
  /** Everything accepted. */
  readonly ok: boolean;
}

export function preflight(from: KernelProfile, to: KernelProfile, schema: PreflightSchema): PreflightReport {
  // KHO's own root string is a handover's, not a subsystem's: an image, which lists subsystems, cannot speak for it.
  const root = to.tellsStrings ? undefined : from.subsystems.find((a) => a.root);
  const rootNote = root?.string ? [`${to.name} is a kernel image, which lists feature-negotiated subsystems only: whether it reads KHO's root ${root.string.macro} "${root.string.value}" cannot be told from it`] : [];
  const verdicts = from.subsystems.filter((a) => a !== root).map((a) => verdictFor(a, to, from, schema));
  return {
    from: { name: from.name, kind: from.kind },
    to: { name: to.name, kind: to.kind },
    verdicts,
    notes: [...from.notes, ...to.notes, ...rootNote],
    ok: verdicts.every((v) => v.outcome === 'accepted'),
  };
}

function verdictFor(a: SubsystemProfile, to: KernelProfile, from: KernelProfile, schema: PreflightSchema): Verdict {
  const b = to.subsystems.find((s) => s.key === a.key);
  if (a.opaque) return opaqueVerdict(a, a.opaque, to, b);
  const bits = bitsOf(schema, a.key);
  const title = titleOf(schema, a.key);
  const payloads = a.payloads ? ` (${a.payloads} payloads)` : '';
  const handsOver = `${a.features ? `requires ${maskWords(a.features.required, bits)}; uses ${maskWords(a.features.active, bits)}` : `the string ${a.string!.macro} "${a.string!.value}"`}${payloads}`;
  const base = { key: a.key, title, handsOver, ...(a.version ? { fromVersion: a.version } : {}) };
  if (!b) {
    if (a.string && !a.features && !to.tellsStrings) {
      return { ...base, outcome: 'unknown', reasons: [`${to.name} is a kernel image: its ${'.liveupdate_features'} lists feature-negotiated subsystems only, so it cannot say which string it expects; give its kernel tree`], ignored: [], differences: [] };
    }
    const renamed = a.features ? to.subsystems.filter((s) => !from.subsystems.some((x) => x.key === s.key) && s.features && sameMasks(s.features, a.features!)) : [];
    const hint = renamed.length > 0 ? ` (it has ${renamed.map((s) => `"${s.key}"`).join(', ')} with the same masks: renamed?)` : '';
    return { ...base, outcome: 'refused', reasons: [`${to.name} has no ${a.key}${hint}`], ignored: [], lost: lossOf(a.key, schema), differences: [] };
  }
  const accepts = b.features ? `supports ${maskWords(b.features.supported, bits)}` : `the string ${b.string!.macro} "${b.string!.value}"`;
  const withB = { ...base, accepts, ...(b.version ? { toVersion: b.version } : {}) };
  const refuse = (reasons: string[]): Verdict => ({ ...withB, outcome: 'refused', reasons, ignored: [], lost: lossOf(a.key, schema), differences: differences(a, b, schema) });

  if (a.features && b.features) {
    const supported = b.features.supported & ((1n << BigInt(8 * b.features.featBytes)) - 1n);
    const lacking = a.features.required & ~supported;
    if (lacking !== 0n) return refuse([`${to.name} lacks ${maskWords(lacking, bits)}, which ${from.name}'s payload requires`]);
    const ignored = maskBits(a.features.active & ~a.features.required & ~supported).map((bit) => nameOf(bit, bits));
    return { ...withB, outcome: 'accepted', reasons: [], ignored, differences: [] };
  }
  if (a.string && b.string && !a.features && !b.features) {
    if (a.string.value === b.string.value) return { ...withB, outcome: 'accepted', reasons: [], ignored: [], differences: [] };
    return refuse([`the strings differ: ${from.name} writes "${a.string.value}" (${a.string.macro}), ${to.name} expects "${b.string.value}" (${b.string.macro})`]);
  }
  if (a.features && b.features === undefined) return refuse([`${from.name} guards ${a.key} with feature bits; ${to.name} expects the string ${b.string!.macro} "${b.string!.value}" where the bits are`]);
  if (a.features === undefined && b.features) return refuse([`${from.name} guards ${a.key} with the string ${a.string!.macro} "${a.string!.value}"; ${to.name} negotiates feature bits and reads the string's bytes as masks`]);
  // Both guarded by bits and by a string: both must agree.
  return refuse(['the two kernels guard it differently']);
}

/** A handover's client or handler whose state the schema does not describe: what it requires cannot be read. */
function opaqueVerdict(a: SubsystemProfile, kind: 'client' | 'handler', to: KernelProfile, b: SubsystemProfile | undefined): Verdict {
  const what = kind === 'client' ? `the KHO client "${a.key}"` : `the file handler "${a.key}"`;
  const listed = b ? `; ${to.name} has a subsystem of that name` : to.kind === 'image' ? `; ${to.name} lists no subsystem of that name` : '';
  return {
    key: a.key,
    title: `${a.key} (${kind === 'client' ? 'a KHO client' : 'a LUO file handler'} the schema does not describe)`,
    outcome: 'unknown',
    handsOver: `a state the schema does not describe${a.payloads ? ` (${a.payloads} payloads)` : ''}, reached from ${a.from}`,
    reasons: [`the schema does not describe ${what}, so whether ${to.name} reads its state cannot be told${listed}`],
    ignored: [],
    differences: [],
  };
}

function sameMasks(x: FeatureSupport, y: FeatureSupport): boolean {
  return x.supported === y.supported && x.required === y.required && x.active === y.active;
}

function nameOf(bit: number, bits: readonly FeatureBitModel[]): string {
  return bits.find((b) => b.bit === bit)?.name ?? `bit ${bit}`;
}

function maskWords(mask: bigint, bits: readonly FeatureBitModel[]): string {
  return `${maskText(mask, bits)} (0x${mask.toString(16)})`;
}

/** A header whose state a LUO file handler keeps (memfd.h): reached from a file, not from a KHO entry. */
function isHandlerState(header: HeaderModel): boolean {
  return header.versions.some((v) => v.container?.kind === 'reached-from');
}

/** The subsystem in words, from the schema where it knows it. */
export function titleOf(schema: PreflightSchema, key: string): string {
  const header = headerOfKey(schema, key);
  const features = schema.features.find((f) => f.subsystem === key);
  const entry = features?.khoEntry?.value ?? khoEntryOf(schema, header?.name);
  if (header?.name === 'kexec_handover') return `${key} (the KHO core, ${header.path})`;
  if (header && isHandlerState(header)) return `${key} (a LUO file handler, its state in ${header.path})`;
  if (header) return `${key} (the ${key === 'luo' ? 'LUO core' : `${header.name}.h state`}${entry ? `, KHO entry "${entry}"` : ''})`;
  return `${key} (a LUO file handler or FLB)`;
}

function khoEntryOf(schema: PreflightSchema, header: string | undefined): string | undefined {
  const h = schema.model.headers.find((x) => x.name === header);
  for (const v of [...(h?.versions ?? [])].reverse()) {
    const c = v.container;
    if (c?.kind === 'kho-entry') return String(c.khoEntry.value);
    if (c?.kind === 'fdt' && c.khoEntry) return String(c.khoEntry.value);
  }
  return undefined;
}

/** What the next kernel loses when it refuses the subsystem. */
export function lossOf(key: string, schema: PreflightSchema): string {
  const headerModel = headerOfKey(schema, key);
  const header = headerModel?.name;
  if (header === 'kexec_handover') return 'everything handed over: every KHO client\'s state and the preserved memory';
  if (key === 'luo') return 'every preserved session and the files in it, and every FLB';
  if (header && !isHandlerState(headerModel!)) {
    const entry = schema.features.find((f) => f.subsystem === key)?.khoEntry?.value ?? khoEntryOf(schema, header);
    return `the state of ${header}.h${entry ? ` under the KHO entry "${entry}"` : ''}`;
  }
  return `the files the "${key}" handler preserved, and with them each session holding one (a session set with a file no handler takes fails to restore as a whole)`;
}

/** The layouts of the two sides, field by field: the kernels' own (DWARF, headers) where both have them, else the schema versions'. */
function differences(a: SubsystemProfile, b: SubsystemProfile, schema: PreflightSchema): string[] {
  const own = (s: SubsystemProfile): readonly CanonicalStruct[] | undefined => s.layouts;
  const fromSchema = (s: SubsystemProfile): CanonicalStruct[] | undefined => {
    const v = s.header && s.version ? versionModel(schema, s.header, s.version) : undefined;
    return v ? payloadStructs(schema, v) : undefined;
  };
  // A kernel's DWARF holds the structs it uses; compare those both kernels have.
  const common = (x: readonly CanonicalStruct[], y: readonly CanonicalStruct[]) => x.filter((s) => y.some((t) => t.name === s.name));
  const [older, newer] = own(a) && own(b) ? [common(own(a)!, own(b)!), common(own(b)!, own(a)!)] : [fromSchema(a), fromSchema(b)];
  if (!older || !newer) return [];
  return diffStructLists(older, newer)
    .filter((c) => c.breaking)
    .map((c) => `${c.subject}: ${c.old ?? '(none)'} -> ${c.new ?? '(none)'}`);
}
