/**
 * The lock file, schema/abi.lock.json: the canonical layout of every compatible string ever released,
 * in release order. `luo-abi lock` appends; it never rewrites what an existing entry records.
 * The text is deterministic and diff-friendly: short objects on one line, longer ones broken up.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../cli/command.ts';
import type { CanonicalGuard, CanonicalVersion } from '../model/canonical.ts';

/** Format 2: guards identified by header and role (format 1 knew one header and keyed by macro). */
export const LOCK_FORMAT = 2;

/** One guard string as released: its canonical layout and the schema versions that use it. */
export interface LockEntry extends CanonicalGuard {
  /** The schema versions that use this string with this layout, in schema order. */
  readonly versions: readonly string[];
}

export interface LockFile {
  readonly format: number;
  readonly schema: string;
  /** Release order: the first entry was released first. */
  readonly compatibles: readonly LockEntry[];
  /** Not in the file: versions released before every entry, for the order of values (a header's check). */
  readonly history?: readonly CanonicalVersion[];
}

export function emptyLock(schema: string): LockFile {
  return { format: LOCK_FORMAT, schema, compatibles: [] };
}

/** The lock a set of versions would give if it were locked from scratch. */
export function lockFromVersions(schema: string, versions: readonly CanonicalVersion[]): LockFile {
  return mergeIntoLock(emptyLock(schema), versions).lock;
}

/**
 * Adds the strings the versions use that the lock lacks, and records which versions use an existing
 * one. Layouts already in the lock are kept as they are: the rules decide whether they still match.
 */
export function mergeIntoLock(lock: LockFile, versions: readonly CanonicalVersion[]): { lock: LockFile; added: LockEntry[] } {
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
  return { lock: { format: LOCK_FORMAT, schema: lock.schema, compatibles: entries }, added };
}

export function readLock(path: string): LockFile {
  if (!existsSync(path)) throw new UsageError(`no lock file at ${path}; run \`luo-abi lock\` to create it`);
  let parsed: LockFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as LockFile;
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON (${(error as Error).message})`);
  }
  if (parsed.format !== LOCK_FORMAT || !Array.isArray(parsed.compatibles)) {
    throw new UsageError(`${path} is not a luo-abi lock file of format ${LOCK_FORMAT}`);
  }
  return parsed;
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
