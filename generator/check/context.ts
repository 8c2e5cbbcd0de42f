/**
 * What every rule sees: the schema's versions with their canonical layouts, the baseline they are
 * compared with (the lock file, or another revision turned into a lock), and the questions the rules
 * share: what did this version guard before, what layout was a string first released with, which
 * value of a macro came first, and where in the schema a change is written.
 */
import { isAbsolute, relative } from 'node:path';
import type { SchemaIssue, SourceLocation, VersionModel } from '../model/index.ts';
import { allNodes } from '../model/index.ts';
import { canonicalVersion, type CanonicalGuard, type CanonicalVersion, type CompatibleRef, type GuardLayout } from './canonical.ts';
import type { ChangeTarget } from './diff.ts';
import type { LockFile } from './lock.ts';
import type { StaleReport } from '../write.ts';

export interface SchemaVersion {
  readonly model: VersionModel;
  readonly canonical: CanonicalVersion;
}

/** A compatible string with its layout, from the lock or from the schema: the same shape either way. */
export type GuardState = CanonicalGuard;

/** One guard of one version, and what its macro guarded in a past state (undefined: nothing). */
export interface GuardBeside {
  readonly version: SchemaVersion;
  /** The version's index in the schema's order. */
  readonly index: number;
  readonly guard: CanonicalGuard;
  readonly before: GuardState | undefined;
  /** That whole past state, by macro. */
  readonly previous: ReadonlyMap<string, GuardState>;
}

export interface KnownLayout {
  readonly layout: GuardLayout;
  readonly versions: readonly string[];
  readonly locked: boolean;
}

export interface CheckInputs {
  readonly versions: readonly VersionModel[];
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
}

export class CheckContext {
  readonly versions: readonly SchemaVersion[];
  readonly baseline: LockFile;
  readonly baselineName: string;
  readonly requireLocked: boolean;
  readonly schemaIssues: readonly SchemaIssue[];
  readonly stale?: { readonly outDir: string; readonly report: StaleReport };
  private readonly root: string;
  private readonly ranks = new Map<string, number>();

  constructor(inputs: CheckInputs) {
    this.versions = inputs.versions.map((model) => ({ model, canonical: canonicalVersion(model) }));
    this.baseline = inputs.baseline;
    this.baselineName = inputs.baselineName;
    this.requireLocked = inputs.requireLocked;
    this.schemaIssues = inputs.schemaIssues ?? [];
    if (inputs.stale) this.stale = inputs.stale;
    this.root = inputs.root;
    const rank = (macro: string, value: string) => {
      const key = `${macro}=${value}`;
      if (!this.ranks.has(key)) this.ranks.set(key, this.ranks.size);
    };
    for (const entry of this.baseline.compatibles) rank(entry.macro, entry.value);
    for (const v of this.versions) for (const g of v.canonical.guards) rank(g.macro, g.value);
  }

  /**
   * What version `index` guarded before, by macro: what the baseline last recorded for this version,
   * or, for a version the baseline does not know, what the version before it guards.
   */
  previous(index: number): Map<string, GuardState> {
    const recorded = this.recordedFor(this.versions[index]!.model.name, 'last');
    return recorded.size > 0 ? recorded : this.predecessor(index);
  }

  /**
   * Every guard of every version, beside what the same macro guarded before: the loop of each rule
   * that compares a version with its past. Against 'previous' (the last recorded state, see
   * previous()) each guard comes once; against 'earlier' once per earlier state (see earlier()).
   */
  *guardsAgainst(past: 'previous' | 'earlier'): Generator<GuardBeside> {
    for (const [index, version] of this.versions.entries()) {
      const states = past === 'previous' ? [this.previous(index)] : this.earlier(index);
      for (const previous of states) {
        for (const guard of version.canonical.guards) {
          yield { version, index, guard, before: previous.get(guard.macro), previous };
        }
      }
    }
  }

  /**
   * Every earlier state version `index` grew from: the version before it, and the layout the
   * baseline first recorded for this version (before any edit in place).
   */
  earlier(index: number): Map<string, GuardState>[] {
    return [this.predecessor(index), this.recordedFor(this.versions[index]!.model.name, 'first')].filter((m) => m.size > 0);
  }

  private predecessor(index: number): Map<string, GuardState> {
    if (index === 0) return new Map();
    const before = this.versions[index - 1]!;
    const recorded = this.recordedFor(before.model.name, 'last');
    return recorded.size > 0 ? recorded : new Map(before.canonical.guards.map((g) => [g.macro, g]));
  }

  private recordedFor(versionName: string, which: 'first' | 'last'): Map<string, GuardState> {
    const found = new Map<string, GuardState>();
    // An edit in place records the version under its new string too, after the old one.
    for (const entry of this.baseline.compatibles) {
      if (entry.versions.includes(versionName) && (which === 'last' || !found.has(entry.macro))) found.set(entry.macro, entry);
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

  /** Release order of a macro's values: lower came first. */
  rank(macro: string, value: string): number {
    return this.ranks.get(`${macro}=${value}`) ?? Number.MAX_SAFE_INTEGER;
  }

  isDowngrade(macro: string, from: string, to: string): boolean {
    return from !== to && this.rank(macro, to) < this.rank(macro, from);
  }

  /** Where a change is written in the schema, as file (relative to the repository) and line. */
  locate(version: VersionModel, target: ChangeTarget): { file?: string; line?: number } {
    let at: SourceLocation | undefined;
    const struct = target.struct ? version.structs.find((s) => s.name === target.struct) : undefined;
    if (struct) at = (target.field ? struct.fields.find((f) => f.name === target.field)?.at : undefined) ?? struct.at;
    const node = target.node ? allNodes(version.fdt.root).find((n) => n.path === target.node) : undefined;
    if (!at && node) at = (target.property ? node.properties.find((p) => p.name === target.property)?.at : undefined) ?? node.at;
    return this.where(at ?? version.at);
  }

  where(at: SourceLocation | undefined): { file?: string; line?: number } {
    if (!at) return {};
    const rel = relative(this.root, at.file);
    return { file: rel.startsWith('..') || isAbsolute(rel) ? at.file : rel, line: at.line };
  }

  /** The guards beneath `macro` in one version: those it encloses. */
  static beneath<G extends { outer: readonly CompatibleRef[] }>(guards: Iterable<G>, macro: string): G[] {
    return [...guards].filter((g) => g.outer.some((o) => o.macro === macro));
  }
}
