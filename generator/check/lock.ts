/**
 * The lock file, schema/abi.lock.json: the canonical layout of every compatible string ever released,
 * in release order, and of every version guarded by feature bits (its bits, its masks, which bits
 * each struct and field needs, and the layouts the bits cover). `luo-abi lock` appends; it never
 * rewrites what an existing entry records.
 * The text is deterministic and diff-friendly: short objects on one line, longer ones broken up.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../core/errors.ts';
import { displayPath } from '../core/paths.ts';
import { canonicalStruct, canonicalVersion, type CanonicalField, type CanonicalGuard, type CanonicalNode, type CanonicalStruct, type CanonicalType, type CanonicalVersion } from '../model/canonical.ts';
import type { VersionModel } from '../model/index.ts';

/** Format 2: guards identified by header and role (format 1 knew one header and keyed by macro). */
export const LOCK_FORMAT = 2;

/** One guard string as released: its canonical layout and the schema versions that use it. */
export interface LockEntry extends CanonicalGuard {
  /** The schema versions that use this string with this layout, in schema order. */
  readonly versions: readonly string[];
}

/**
 * One version guarded by feature bits, as released: masks as `0x` hexadecimal text (JSON numbers
 * cannot hold 64 bits), the bits by name, which bits each struct or field needs, its guard strings
 * (by role: one may guard a struct beside the bits), and the layouts the feature header covers.
 */
export interface LockFeatureEntry {
  readonly header: string;
  readonly version: string;
  readonly subsystem: string;
  readonly bits: readonly { readonly name: string; readonly bit: number }[];
  readonly supported: string;
  readonly required: string;
  readonly active: string;
  readonly dependencies: readonly { readonly struct: string; readonly field?: string; readonly bits: readonly string[] }[];
  readonly strings: readonly { readonly role: string; readonly value: string }[];
  readonly structs: readonly CanonicalStruct[];
}

export interface LockFile {
  readonly format: typeof LOCK_FORMAT;
  readonly schema: string;
  /** Release order: the first entry was released first. */
  readonly compatibles: readonly LockEntry[];
  /** The versions feature bits guard, in release order (absent in a lock that has none). */
  readonly features?: readonly LockFeatureEntry[];
  /** Not in the file: versions released before every entry, for the order of values (a header's check). */
  readonly history?: readonly CanonicalVersion[];
}

export function emptyLock(schema: string): LockFile {
  return { format: LOCK_FORMAT, schema, compatibles: [] };
}

/** The lock a set of versions would give if it were locked from scratch. */
export function lockFromVersions(schema: string, versions: readonly CanonicalVersion[], features: readonly LockFeatureEntry[] = []): LockFile {
  return mergeIntoLock(emptyLock(schema), versions, features).lock;
}

/** A version's feature negotiation as the lock records it; undefined for a version without one. */
export function lockedFeatures(version: VersionModel): LockFeatureEntry | undefined {
  const f = version.features;
  if (!f) return undefined;
  const hex = (mask: bigint) => `0x${mask.toString(16)}`;
  const strings = canonicalVersion(version).guards;
  return {
    header: version.header,
    version: version.name,
    subsystem: f.subsystem,
    bits: f.bits.map((b) => ({ name: b.name, bit: b.bit })),
    supported: hex(f.supported),
    required: hex(f.required),
    active: hex(f.active),
    dependencies: f.dependencies.map((d) => ({ struct: d.struct, ...(d.field !== undefined ? { field: d.field } : {}), bits: [...d.bits] })),
    strings: strings.map((g) => ({ role: g.role, value: g.value })),
    structs: f.structs.flatMap((name) => {
      const found = version.visibleStructs.find((s) => s.name === name);
      return found ? [canonicalStruct(found)] : [];
    }),
  };
}

/**
 * Adds the strings the versions use that the lock lacks, and records which versions use an existing
 * one; adds the feature-guarded versions it lacks. Layouts already in the lock are kept as they are:
 * the rules decide whether they still match.
 */
export function mergeIntoLock(
  lock: LockFile,
  versions: readonly CanonicalVersion[],
  features: readonly LockFeatureEntry[] = [],
): { lock: LockFile; added: LockEntry[]; addedFeatures: LockFeatureEntry[] } {
  const entries: (LockEntry & { versions: string[] })[] = lock.compatibles.map((e) => ({ ...e, versions: [...e.versions] }));
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const added: LockEntry[] = [];
  for (const version of versions) {
    for (const guard of version.guards) {
      const existing = byKey.get(guard.key);
      if (existing) {
        if (!existing.versions.includes(version.name)) existing.versions.push(version.name);
        continue;
      }
      const entry = { ...guard, versions: [version.name] };
      entries.push(entry);
      byKey.set(entry.key, entry);
      added.push(entry);
    }
  }
  const lockedFeatureVersions = [...(lock.features ?? [])];
  const addedFeatures = features.filter((f) => !lockedFeatureVersions.some((e) => e.header === f.header && e.version === f.version));
  const allFeatures = [...lockedFeatureVersions, ...addedFeatures];
  return { lock: { format: LOCK_FORMAT, schema: lock.schema, compatibles: entries, ...(allFeatures.length > 0 ? { features: allFeatures } : {}) }, added, addedFeatures };
}

/**
 * The lock file's shape, checked on every read: the rules walk every layout, so a hand-edited or
 * truncated lock must be refused with the place it goes wrong, not crash them.
 */
const name = z.string().min(1);
const size = z.int().nonnegative();
const block = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('pages'), pages: z.int().positive() }),
  z.strictObject({ kind: z.literal('header-field'), field: name, unit: z.literal('pages') }),
]);
const target = z.discriminatedUnion('shape', [
  z.strictObject({ shape: z.literal('struct'), struct: name }),
  z.strictObject({ shape: z.literal('header-array'), header: name, count: name, entry: name, block }),
  z.strictObject({ shape: z.literal('array'), entry: name, count: name, block }),
  z.strictObject({ shape: z.literal('chain'), header: name, next: name, count: name, entry: name, block, total: name.optional() }),
  z.strictObject({ shape: z.literal('selected'), selector: name }),
  z.strictObject({ shape: z.literal('radix-tree'), node: name, table: name, leaf: name, bitmap: name, depth: z.int().positive(), order0: z.int().positive() }),
  z.strictObject({
    shape: z.literal('bitmap-chunks'),
    header: name,
    next: name,
    order: name,
    count: name,
    entry: name,
    start: name,
    bitmap: name,
    bits: z.strictObject({ struct: name, field: name }),
    block,
  }),
  z.strictObject({ shape: z.literal('client'), size: name.optional() }),
]);
const area = z.strictObject({
  list: z.strictObject({ descriptor: name, first: name, chunk: name, next: z.array(name).readonly(), pages: name, order: name, totalPages: name }),
  entry: name,
  count: name,
});
const aggregateKind = z.enum(['struct', 'union']);
const field: z.ZodType<CanonicalField> = z.lazy(() =>
  z.strictObject({
    name,
    offset: size,
    size,
    bits: z.strictObject({ shift: size, width: z.int().positive() }).optional(),
    anonymous: z.boolean().optional(),
    holds: area.optional(),
    type,
  }),
);
const type: z.ZodType<CanonicalType> = z.lazy(() =>
  z.union([
    z.strictObject({ kind: z.literal('scalar'), name }),
    z.strictObject({ kind: z.literal('bits'), base: name, width: z.int().positive() }),
    z.strictObject({ kind: z.literal('chars'), length: size, c: name.optional() }),
    z.strictObject({ kind: z.literal('array'), element: type, length: size, c: name.optional() }),
    z.strictObject({ kind: z.literal('flexible'), element: type }),
    z.strictObject({ kind: z.literal('bitmap'), bits: size, c: name.optional() }),
    z.strictObject({ kind: aggregateKind, name }),
    z.strictObject({ kind: z.literal('inline'), aggregate: aggregateKind, packed: z.boolean(), fields: z.array(field).readonly() }),
    z.strictObject({ kind: z.literal('pointer'), nullable: z.boolean(), form: z.enum(['u64', 'phys_addr_t', 'khoser']).optional(), target }),
  ]),
);
const compatibleRef = z.strictObject({ macro: name, value: name });
const node: z.ZodType<CanonicalNode> = z.lazy(() =>
  z.strictObject({
    path: z.string().startsWith('/'),
    nameMacro: name.optional(),
    anyName: name.optional(),
    properties: z
      .array(
        z.strictObject({
          name,
          macro: name.optional(),
          kind: z.enum(['string', 'u64', 'pointer']),
          pointer: z.strictObject({ nullable: z.boolean(), target }).optional(),
        }),
      )
      .readonly(),
    children: z.array(node).readonly().optional(),
  }),
);
const container = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fdt'), khoEntry: compatibleRef.optional(), maxSize: z.strictObject({ macro: name, c: name }).optional() }),
  z.strictObject({ kind: z.literal('kho-entry'), khoEntry: compatibleRef, struct: name, field: name.optional() }),
  z.strictObject({ kind: z.literal('reached-from'), from: name, field: name, selector: name, target }),
]);
const layout = z.strictObject({
  container: container.optional(),
  node: node.optional(),
  structs: z
    .array(
      z.strictObject({
        name,
        kind: aggregateKind,
        packed: z.boolean(),
        size,
        sizeC: name.optional(),
        align: z.int().positive(),
        fields: z.array(field).readonly(),
      }),
    )
    .readonly(),
});
const entry = z.strictObject({
  key: name,
  role: name,
  header: name,
  macro: name,
  value: name,
  outer: z.array(z.strictObject({ role: name, macro: name, value: name })).readonly(),
  components: z.array(compatibleRef).readonly(),
  layout,
  versions: z.array(name).readonly(),
});
const mask = z.string().regex(/^0x[0-9a-f]+$/, 'a mask is 0x and lower-case hexadecimal digits');
const featureEntry = z.strictObject({
  header: name,
  version: name,
  subsystem: name,
  bits: z.array(z.strictObject({ name, bit: z.int().min(0).max(63) })).readonly(),
  supported: mask,
  required: mask,
  active: mask,
  dependencies: z.array(z.strictObject({ struct: name, field: name.optional(), bits: z.array(name).readonly() })).readonly(),
  strings: z.array(z.strictObject({ role: name, value: name })).readonly(),
  structs: layout.shape.structs,
});
const lockSchemaShape = z.strictObject({
  format: z.literal(LOCK_FORMAT),
  schema: name,
  compatibles: z.array(entry).readonly(),
  features: z.array(featureEntry).readonly().optional(),
});

// The checker's types and the lock's shape are one: each must be assignable to the other, so that a
// change to the canonical layout that this file does not follow is a type error here.
const toTypes: [z.infer<typeof lockSchemaShape>] extends [LockFile] ? true : false = true;
const fromTypes: [LockFile] extends [z.infer<typeof lockSchemaShape>] ? true : false = true;
void [toTypes, fromTypes];

/** Reads and checks a lock file; every way it can be wrong is an InputError naming the file and the place. */
export function readLock(path: string): LockFile {
  const shown = displayPath(path);
  if (!existsSync(path)) throw new InputError(`no lock file at ${shown}; run \`luo-abi lock\` to create it`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${shown} is not valid JSON (${(error as Error).message})`);
  }
  const format = (parsed as { format?: unknown } | null)?.format;
  if (typeof parsed === 'object' && parsed !== null && format !== undefined && format !== LOCK_FORMAT) {
    throw new InputError(
      `${shown} is a lock file of format ${JSON.stringify(format)}; this luo-abi reads format ${LOCK_FORMAT}` +
        (typeof format === 'number' && format < LOCK_FORMAT ? `: move it away and run \`luo-abi lock\`, which records every version of the schema in format ${LOCK_FORMAT}` : ''),
    );
  }
  const result = lockSchemaShape.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((issue) => `  ${jsonPath(issue.path)}: ${issue.message}`);
    const more = result.error.issues.length > 5 ? [`  ... and ${result.error.issues.length - 5} more`] : [];
    throw new InputError(`${shown} is not a valid luo-abi lock file (fix it, or restore it from version control):\n${[...issues, ...more].join('\n')}`);
  }
  // The file's own objects, not zod's copies: those list keys in the schema's order, and a lock read and
  // written again (luo-abi lock) must keep the text of every entry it does not add.
  return parsed as LockFile;
}

/** `compatibles[3].layout.structs[0].size`, as a reader finds it in the file. */
function jsonPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(the whole file)';
  return path.map((step, i) => (typeof step === 'number' ? `[${step}]` : /^[A-Za-z_]\w*$/.test(String(step)) ? `${i === 0 ? '' : '.'}${String(step)}` : `[${JSON.stringify(String(step))}]`)).join('');
}

export function writeLock(path: string, lock: LockFile): void {
  writeFileSync(path, serializeLock(lock));
}

export function serializeLock(lock: LockFile): string {
  return `${formatJson(lock, '')}\n`;
}

const LINE_WIDTH = 110;

/** JSON with a value on one line when it fits, else one member per line. */
function formatJson(value: unknown, indent: string): string {
  const flat = flatJson(value);
  if (value === null || typeof value !== 'object' || indent.length + flat.length <= LINE_WIDTH) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const members = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{\n${members.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

function flatJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(flatJson).join(', ')}]`;
  const members = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{${members.map(([k, v]) => `${JSON.stringify(k)}: ${flatJson(v)}`).join(', ')}}`;
}
