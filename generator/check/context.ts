/**
 * What every rule sees: the schema's versions with their canonical layouts, the baseline they are
 * compared with (the lock file, or another revision turned into a lock, or another header), and the
 * questions the rules share: what did a guard guard before, what layout was a string first released
 * with, which value of a guard came first, and where in the schema a change is written.
 *
 * Guards are matched by role (header and where the string sits), never by macro name, so a renamed
 * macro that keeps its value is no bump.
 */
import { isAbsolute, relative } from 'node:path';
import type { SchemaIssue, SourceLocation, VersionModel } from '../model/index.ts';
import { versionNodes } from '../model/index.ts';
import { canonicalVersion, type CanonicalGuard, type CanonicalVersion, type GuardLayout } from '../model/canonical.ts';
import type { ChangeTarget } from '../model/diff.ts';
import type { LockFile } from './lock.ts';
import { nextValue } from './finding.ts';
import type { StaleReport } from '../write.ts';
import type { FeatureVersionModel } from '../model/index.ts';

export interface SchemaVersion {
  readonly model: VersionModel;
  readonly canonical: CanonicalVersion;
}

/** A guard string with its layout, from the lock or from the schema: the same shape either way. */
export type GuardState = CanonicalGuard;

/** One guard of one version, and what the same role guarded in a past state (undefined: nothing). */
export interface GuardBeside {
  readonly version: SchemaVersion;
  /** The version's index in the checked order. */
  readonly index: number;
  readonly guard: CanonicalGuard;
  readonly before: GuardState | undefined;
  /** That whole past state, by role. */
  readonly previous: ReadonlyMap<string, GuardState>;
}

export interface KnownLayout {
  readonly layout: GuardLayout;
  readonly versions: readonly string[];
  readonly locked: boolean;
}

export interface CheckInputs {
  /** Every version of every header, headers in dependency order, each header's oldest first. */
  readonly versions: readonly VersionModel[];
  /** Their canonical forms, when the caller made them some other way (a header read with gcc). */
  readonly canonical?: readonly CanonicalVersion[];
  /**
   * With `canonical`: the schema's own forms of the same versions, in the same view. A version
   * acknowledges only what upstream released with it, the findings these give too; a header that
   * differs further is not what upstream released.
   */
  readonly released?: readonly CanonicalVersion[];
  readonly baseline: LockFile;
  /** How to name the baseline in messages: 'schema/abi.lock.json', 'main'. */
  readonly baselineName: string;
  /** Whether every string the schema uses must be in the baseline (true against the lock file). */
  readonly requireLocked: boolean;
  /** Paths in findings are relative to this directory. */
  readonly root: string;
  /** Set when the schema did not build: only the issues can be checked. */
  readonly schemaIssues?: readonly SchemaIssue[];
  /** Set when generated files were compared with an output directory. */
  readonly stale?: { readonly outDir: string; readonly report: StaleReport };
  /**
   * For a header read with gcc, which cannot see what an address points at: whether the schema knows
   * that what a guard covers changed between the versions compared, beyond what C shows.
   */
  readonly invisibleChange?: (guard: CanonicalGuard, before: GuardState) => boolean;
  /** Headers (or revisions) whose guard strings match no schema version: LUO008's input. */
  readonly unmatched?: readonly UnmatchedHeader[];
  /** What a fix says to do after a bump; default: run `luo-abi lock`. */
  readonly afterBump?: string;
  /** The versions that negotiate feature bits, with their bits and masks (generator/features/). */
  readonly features?: readonly FeatureVersionModel[];
}

/** A header that no schema version matches, with the nearest version and how it differs. */
export interface UnmatchedHeader {
  /** The header as messages name it: its path, or `path at REV`. */
  readonly name: string;
  /** Its guard strings: `LUO_ABI_COMPATIBLE "luo-v6"`. */
  readonly says: string;
  readonly nearest?: string;
  readonly differences: readonly string[];
  readonly file?: string;
  readonly line?: number;
}

export class CheckContext {
  readonly versions: readonly SchemaVersion[];
  readonly baseline: LockFile;
  readonly baselineName: string;
  readonly requireLocked: boolean;
  readonly schemaIssues: readonly SchemaIssue[];
  readonly stale?: { readonly outDir: string; readonly report: StaleReport };
  readonly invisibleChange: (guard: CanonicalGuard, before: GuardState) => boolean;
  readonly unmatched: readonly UnmatchedHeader[];
  readonly afterBump: string;
  readonly features: readonly FeatureVersionModel[];
  private readonly root: string;
  private readonly ranks = new Map<string, number>();

  constructor(inputs: CheckInputs) {
    this.versions = inputs.versions.map((model, i) => ({ model, canonical: inputs.canonical?.[i] ?? canonicalVersion(model) }));
    this.baseline = inputs.baseline;
    this.baselineName = inputs.baselineName;
    this.requireLocked = inputs.requireLocked;
    this.schemaIssues = inputs.schemaIssues ?? [];
    if (inputs.stale) this.stale = inputs.stale;
    this.invisibleChange = inputs.invisibleChange ?? (() => false);
    this.unmatched = inputs.unmatched ?? [];
    this.afterBump = inputs.afterBump ?? 'then run `luo-abi lock`';
    this.features = inputs.features ?? [];
    this.root = inputs.root;
    const rank = (role: string, value: string) => {
      const key = `${role}=${value}`;
      if (!this.ranks.has(key)) this.ranks.set(key, this.ranks.size);
    };
    // The order values were released in: a history the baseline carries first (a header's schema
    // versions), then the baseline's entries, then the versions checked.
    for (const v of this.baseline.history ?? []) for (const g of v.guards) rank(g.role, g.value);
    for (const entry of this.baseline.compatibles) rank(entry.role, entry.value);
    for (const v of this.versions) for (const g of v.canonical.guards) rank(g.role, g.value);
  }

  /**
   * What version `index` guarded before, by role: what the baseline last recorded for this version,
   * or, for a version the baseline does not know, what the version before it (of its header) guards.
   */
  previous(index: number): Map<string, GuardState> {
    const recorded = this.recordedFor(this.versions[index]!.model, 'last');
    return recorded.size > 0 ? recorded : this.predecessor(index);
  }

  /**
   * Every guard of every version, beside what the same role guarded before: the loop of each rule
   * that compares a version with its past. Against 'previous' (the last recorded state, see
   * previous()) each guard comes once; against 'earlier' once per earlier state (see earlier()).
   */
  *guardsAgainst(past: 'previous' | 'earlier'): Generator<GuardBeside> {
    for (const [index, version] of this.versions.entries()) {
      const states = past === 'previous' ? [this.previous(index)] : this.earlier(index);
      for (const previous of states) {
        for (const guard of version.canonical.guards) {
          yield { version, index, guard, before: previous.get(guard.role), previous };
        }
      }
    }
  }

  /**
   * Every earlier state version `index` grew from: the version before it, and the layout the
   * baseline first recorded for this version (before any edit in place).
   */
  earlier(index: number): Map<string, GuardState>[] {
    return [this.predecessor(index), this.recordedFor(this.versions[index]!.model, 'first')].filter((m) => m.size > 0);
  }

  /** The version before `index` of the same header, as the baseline recorded it or as the schema has it. */
  private predecessor(index: number): Map<string, GuardState> {
    const header = this.versions[index]!.model.header;
    const before = this.versions.slice(0, index).reverse().find((v) => v.model.header === header);
    if (!before) return new Map();
    const recorded = this.recordedFor(before.model, 'last');
    return recorded.size > 0 ? recorded : new Map(before.canonical.guards.map((g) => [g.role, g]));
  }

  private recordedFor(version: VersionModel, which: 'first' | 'last'): Map<string, GuardState> {
    const found = new Map<string, GuardState>();
    // An edit in place records the version under its new string too, after the old one.
    for (const entry of this.baseline.compatibles) {
      if (entry.header === version.header && entry.versions.includes(version.name) && (which === 'last' || !found.has(entry.role))) found.set(entry.role, entry);
    }
    return found;
  }

  /** The layout a string was first given: in the baseline, else in an earlier schema version. */
  known(key: string, beforeIndex: number): KnownLayout | undefined {
    const entry = this.baseline.compatibles.find((e) => e.key === key);
    if (entry) return { layout: entry.layout, versions: entry.versions, locked: true };
    for (const v of this.versions.slice(0, beforeIndex)) {
      const guard = v.canonical.guards.find((g) => g.key === key);
      if (guard) return { layout: guard.layout, versions: [v.model.name], locked: false };
    }
    return undefined;
  }

  /** Release order of a guard's values: lower came first. */
  rank(role: string, value: string): number {
    return this.ranks.get(`${role}=${value}`) ?? Number.MAX_SAFE_INTEGER;
  }

  isDowngrade(role: string, from: string, to: string): boolean {
    return from !== to && this.rank(role, to) < this.rank(role, from);
  }

  /** Every value released for a guard, in the baseline and in the schema. */
  /**
   * Every value the baseline, its history or the schema has given a guard of the header `role` is in:
   * a new value must be none of them, whichever role had it (a reader tells strings apart by value).
   */
  valuesOf(role: string): Set<string> {
    const header = role.slice(0, role.indexOf('@'));
    const guards = [
      ...this.baseline.compatibles,
      ...(this.baseline.history ?? []).flatMap((v) => v.guards),
      ...this.versions.flatMap((v) => v.canonical.guards),
    ];
    return new Set(guards.filter((g) => g.header === header).map((g) => g.value));
  }

  /** The value to bump `value` to: the next one (luo-v4 -> luo-v5) that none of valuesOf(role) is. */
  unusedValue(role: string, value: string): string {
    const used = this.valuesOf(role);
    let candidate = nextValue(value);
    while (used.has(candidate)) candidate = nextValue(candidate);
    return candidate;
  }

  /** Where a change is written in the schema, as file (relative to the repository) and line. */
  locate(version: VersionModel, target: ChangeTarget): { file?: string; line?: number } {
    let at: SourceLocation | undefined;
    const struct = target.struct ? version.visibleStructs.find((s) => s.name === target.struct) : undefined;
    if (struct) at = (target.field ? struct.fields.find((f) => f.name === target.field)?.at : undefined) ?? struct.at;
    const node = target.node ? versionNodes(version).find((n) => n.path === target.node) : undefined;
    if (!at && node) at = (target.property ? node.properties.find((p) => p.name === target.property)?.at : undefined) ?? node.at;
    return this.where(at ?? version.at);
  }

  where(at: SourceLocation | undefined): { file?: string; line?: number } {
    if (!at) return {};
    const rel = relative(this.root, at.file);
    return { file: rel.startsWith('..') || isAbsolute(rel) ? at.file : rel, line: at.line };
  }

  /** The guards beneath the guard of `role` in one version: those it encloses. */
  static beneath<G extends { outer: readonly { role: string }[] }>(guards: Iterable<G>, role: string): G[] {
    return [...guards].filter((g) => g.outer.some((o) => o.role === role));
  }
}
