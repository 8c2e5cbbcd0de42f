/**
 * `luo-abi check --header`: a real C header against the schema version it is, or against the same
 * header at another git revision. The header is read as the kernel compiles it (extract.ts), turned
 * into the checker's canonical form with the roles of the schema version it matches (c-view.ts),
 * and checked by the same rules, in the same context, as the schema itself.
 *
 * What this mode cannot see: where a u64 physical address points. luo-v3 -> luo-v4 turned
 * luo_file_set_ser.files from the address of an array into the address of a chain of blocks without
 * changing a byte of any struct; the schema knows it, and a bump for it is then no finding.
 */
import { basename, resolve } from 'node:path';
import { displayPath } from '../../core/paths.ts';
import { loadModel } from '../../core/schema.ts';
import { canonicalStruct, canonicalVersion, sameLayout, type CanonicalGuard, type CanonicalVersion } from '../../model/canonical.ts';
import { diffCanonicalVersions, diffGuardLayouts } from '../../model/diff.ts';
import { allVersions, usedVersion, versionNodes, type HeaderModel, type Model, type PageShift, type VersionModel } from '../../model/index.ts';
import type { UnmatchedHeader } from '../context.ts';
import type { Finding } from '../finding.ts';
import type { CheckReport } from '../format.ts';
import { lockFromVersions } from '../lock.ts';
import { runRules } from '../run.ts';
import { cStruct, cVisible, headerCanonical, headerGuard, HeaderStrings } from './c-view.ts';
import { readHeader, readHeaderAtRevision, type HeaderLayout, type ReadOptions } from './extract.ts';
import type { IncludedMacros } from './tree.ts';

export interface HeaderCheckOptions {
  readonly headerPath: string;
  /** Compare with the header at this revision of its repository instead of with the schema. */
  readonly against?: string;
  readonly schemaPath?: string;
  /** How to compile the header: the architecture for <asm/...>, the page size, Kconfig options set. */
  readonly compile?: ReadOptions;
}

/** After a bump in a header, the schema must learn the new version. */
const AFTER_BUMP = 'then describe the new version in the luo-abi schema and run `luo-abi lock`';

/** A header as read, and the schema version it is (exact) or is nearest to. */
interface Reading {
  readonly name: string;
  readonly layout: HeaderLayout;
  readonly match: VersionModel;
  readonly exact: boolean;
}

export async function checkHeader(options: HeaderCheckOptions): Promise<CheckReport> {
  const pageShift = options.compile?.pageShift as PageShift | undefined;
  const model = await loadModel(options.schemaPath, pageShift);
  const header = headerOf(model, options.headerPath);
  const shown = displayPath(options.headerPath);
  const compile: ReadOptions = { ...options.compile, standIns: schemaStandIns(allVersions(model)) };
  const newer = reading(header, readHeader(options.headerPath, compile), shown);
  const notes = includedNotes(withUses(model, newer.match), newer.layout, '');
  if (options.against) {
    const ref = options.against;
    const older = reading(header, readHeaderAtRevision(options.headerPath, ref, compile), `${shown} at ${ref}`);
    const reference = older.match;
    // A new form against a known one is what kernel CI checks before the schema learns it; when the
    // schema knows neither, the two are compared with each other and that is a finding too.
    const neither = !older.exact && !newer.exact;
    const compared = neither ? [`neither revision is a version of the schema: ${shown} is compared with itself at ${ref}, with the roles of ${reference.name}`] : [];
    const checked = withUsed(model, reference, [newer.layout, older.layout]);
    const findings = runRules({
      versions: checked,
      canonical: checked.map((v) => cVisible(headerCanonical(v, newer.layout, v === reference))),
      released: checked.map((v) => cVisible(canonicalVersion(v))),
      baseline: withHistory(model, checked.map((v) => cVisible(headerCanonical(v, older.layout, v === reference)))),
      baselineName: `${shown} at revision ${ref}`,
      requireLocked: false,
      root: process.cwd(),
      invisibleChange: schemaKnowsChange(older.match, newer.match),
      unmatched: neither ? [unmatchedOf(newer, header)] : [],
      afterBump: AFTER_BUMP,
    });
    return {
      baseline: `${shown} at revision ${ref}`,
      notes: [...compared, ...includedNotes(withUses(model, reference), older.layout, ` at ${ref}`), ...notes],
      findings: located(findings, newer),
    };
  }
  const reference = newer.match;
  const checked = withUsed(model, reference, [newer.layout]);
  const findings = runRules({
    versions: checked,
    canonical: checked.map((v) => cVisible(headerCanonical(v, newer.layout, v === reference))),
    released: checked.map((v) => cVisible(canonicalVersion(v))),
    baseline: withHistory(model, checked.map((v) => cVisible(canonicalVersion(v)))),
    baselineName: `schema version ${reference.name}`,
    requireLocked: false,
    root: process.cwd(),
    unmatched: newer.exact ? [] : [unmatchedOf(newer, header)],
    afterBump: AFTER_BUMP,
  });
  return { baseline: `schema version ${reference.name}`, notes, findings: located(findings, newer) };
}

/**
 * The version checked and the versions of other headers it uses (block.h's for luo.h), those first:
 * the header's tree holds them too, and a string luo.h composes guards their structs.
 */
function withUsed(model: Model, version: VersionModel, layouts: readonly HeaderLayout[]): VersionModel[] {
  // A used header is checked where the tree holds it (every side defines its strings).
  const present = (v: VersionModel) => v.guards.length > 0 && layouts.every((l) => v.guards.every((g) => l.definitions.has(g.macro)));
  return withUses(model, version).filter((v) => v === version || present(v));
}

/** The version and every version it uses, transitively, those first. */
function withUses(model: Model, version: VersionModel): VersionModel[] {
  const found: VersionModel[] = [];
  const visit = (v: VersionModel): void => {
    if (found.includes(v)) return;
    for (const ref of v.uses) visit(usedVersion(model, ref));
    found.push(v);
  };
  visit(version);
  return found;
}

/** The schema's header the file is: by its path in a kernel tree, else by its file name. */
function headerOf(model: Model, path: string): HeaderModel {
  const full = resolve(path).split('\\').join('/');
  const found = model.headers.find((h) => full.endsWith(`/${h.path}`)) ?? model.headers.find((h) => basename(h.path) === basename(full));
  return found ?? model.headers.find((h) => h.name === 'luo') ?? model.headers.at(-1)!;
}

function reading(header: HeaderModel, layout: HeaderLayout, name: string): Reading {
  const strings = new HeaderStrings(layout);
  // How much of a version's strings the header has: 3 for a macro with its value, 2 for the macro with
  // another value (a bump), 1 for the value under another name (a rename).
  const score = (version: VersionModel) =>
    canonicalVersion(version).guards.reduce((sum, g) => {
      if (layout.definitions.has(g.macro)) return sum + (strings.value(g.macro) === g.value ? 3 : 2);
      return sum + (headerGuard(g, version, layout, strings).value === g.value ? 1 : 0);
    }, 0);
  const newestFirst = [...header.versions].reverse();
  // Versions without strings (a feature header guards them) have no guarded layout to compare: their structs are compared one by one.
  const differences = (v: VersionModel) =>
    v.guards.length > 0 ? diffCanonicalVersions(cVisible(canonicalVersion(v)), cVisible(headerCanonical(v, layout))).length : structDifferences(v, layout);
  const fewestOf = (versions: readonly VersionModel[]) => {
    const fewest = Math.min(...versions.map(differences));
    return versions.find((v) => differences(v) === fewest);
  };
  // The version with the most of the header's strings (luo-v1 over luo-v1-session-v2, whose strings
  // luo-v1 also has); where upstream kept its strings for a new layout ("memfd-v2" twice), the layout.
  // A version without strings (a header that has none, block.h before its first) is the header when
  // the header defines none of the strings of any version.
  // (A string under another macro name counts: that header renamed its guard, it did not drop it.)
  const anyString = header.versions.some((v) => score(v) > 0);
  const same = newestFirst.filter((v) => (v.guards.length > 0 ? sameStrings(v, layout, strings) : !anyString));
  const most = Math.max(...same.map((v) => v.guards.length));
  const exact = fewestOf(same.filter((v) => v.guards.length === most));
  if (exact) return { name, layout, match: exact, exact: true };
  // The nearest: the best score, then the fewest differences, then the newest.
  const best = Math.max(...newestFirst.map(score));
  return { name, layout, match: fewestOf(newestFirst.filter((v) => score(v) === best)) ?? header.current, exact: false };
}

/** How many of the version's structs the header lacks or lays out otherwise, as C sees them. */
function structDifferences(version: VersionModel, layout: HeaderLayout): number {
  const found = new Map(layout.structs.map((s) => [s.name, cStruct(s)]));
  return version.visibleStructs.filter((s) => !sameLayout(found.get(s.name), cStruct(canonicalStruct(s)))).length;
}

/** Every guard of the version is there under its own name with its value (a renamed macro is no exact match). */
function sameStrings(version: VersionModel, layout: HeaderLayout, strings: HeaderStrings): boolean {
  return version.guards.every((g) => layout.definitions.has(g.macro) && strings.value(g.macro) === g.value);
}

/** LUO008's input: what the header says, the nearest version and how the header differs from it. */
function unmatchedOf(r: Reading, header: HeaderModel): UnmatchedHeader {
  const strings = new HeaderStrings(r.layout);
  const schema = canonicalVersion(r.match);
  const found = schema.guards.map((g) => headerGuard(g, r.match, r.layout, strings));
  const says = found.map((g) => `${g.macro} ${g.value === undefined ? '(undefined)' : `"${g.value}"`}`);
  const differences = diffCanonicalVersions(cVisible(schema), cVisible(headerCanonical(r.match, r.layout))).map((c) => c.summary.replace(/\.$/, ''));
  const line = r.layout.macros.get(found[0]?.macro ?? '')?.line;
  return { name: r.name, says: says.join(', ') || `no string of ${header.name}.h`, nearest: r.match.name, differences, file: displayPath(r.layout.path), ...(line ? { line } : {}) };
}

/**
 * The baseline: the layouts compared against, after every earlier version of the header as the
 * schema has them, so that the rules know the order values were released in.
 */
function withHistory(model: Model, baseline: readonly CanonicalVersion[]) {
  const history = allVersions(model).map((v) => cVisible(canonicalVersion(v)));
  const lock = lockFromVersions(model.name, baseline);
  return { ...lock, history };
}

/**
 * Whether the schema knows that what a guard covers changed between the versions the two sides are,
 * beyond what C shows (a pointer's target): a bump for that is right, not a bump without change.
 */
function schemaKnowsChange(older: VersionModel, newer: VersionModel) {
  return (guard: CanonicalGuard): boolean => {
    if (older === newer) return false;
    const role = (v: VersionModel) => canonicalVersion(v).guards.find((g) => g.role === guard.role);
    const a = role(older);
    const b = role(newer);
    return a !== undefined && b !== undefined && diffGuardLayouts(a.layout, b.layout).some((c) => c.breaking);
  };
}

/**
 * Findings point at the header's lines: a struct or member where it is declared (in the header, or
 * in the sibling header that declares it), a property or string where its macro is defined.
 */
function located(findings: readonly Finding[], r: Reading): Finding[] {
  const file = displayPath(r.layout.path);
  const structs = new Map(r.layout.structs.map((s) => [s.name, s]));
  const strings = new HeaderStrings(r.layout);
  // A property is named by its macro's value: the macro by the name the header gives the property.
  const propertyMacro = new Map(versionNodes(r.match).flatMap((n) => n.properties.flatMap((p) => (p.macro ? [[strings.value(p.macro) ?? p.name, p.macro] as const] : []))));
  const definedAt = (macro: string): { file: string; line: number } | undefined => {
    const own = r.layout.macros.get(macro)?.line;
    if (own) return { file, line: own };
    const elsewhere = r.layout.definitions.get(macro);
    const at = elsewhere && /^(.*):(\d+)$/.exec(elsewhere.where.replace(/ at .*$/, ''));
    return at ? { file: at[1]!, line: Number(at[2]) } : undefined;
  };
  const where = (f: Finding): { file: string; line?: number } => {
    const guardLine = f.compatible ? definedAt(f.compatible.split(' ')[0]!) : undefined;
    const member = /^(?:struct|union) (\w+)(?: > (\w+))?/.exec(f.subject);
    if (member) {
      const s = structs.get(member[1]!);
      const line = (member[2] ? s?.fieldLines.get(member[2]) : undefined) ?? s?.line;
      // A struct the header no longer has is the guard's to answer for: its string's line.
      if (!line) return guardLine ?? { file };
      return { file: s?.file && s.file !== file ? s.file.replace(/ at .*$/, '') : file, line };
    }
    const property = /^node \S+ > (\S+)$/.exec(f.subject);
    const macro = property ? propertyMacro.get(property[1]!) : (f.compatible?.split(' ')[0] ?? f.subject);
    return (macro ? definedAt(macro) : undefined) ?? definedAt(f.subject) ?? { file };
  };
  return findings.map((f) => (f.rule === 'LUO008' ? f : { ...f, line: undefined, ...where(f) }));
}

/**
 * The constants the versions take from other headers (LIVEUPDATE_SESSION_NAME_LENGTH from
 * <uapi/linux/liveupdate.h>), with the schema's values: they stand in for a header the tree lacks.
 */
export function schemaStandIns(versions: readonly VersionModel[]): IncludedMacros {
  const wanted = new Map<string, Map<string, string>>();
  for (const c of versions.flatMap((v) => v.constants)) {
    if (!c.include) continue;
    if (!wanted.has(c.include)) wanted.set(c.include, new Map());
    wanted.get(c.include)!.set(c.name, c.c);
  }
  return wanted;
}

/**
 * Where the value of each constant the checked versions take from another header came from: that
 * header in the kernel tree (a kernel change there shows as the layout change it is), or the
 * schema's stand-in.
 */
function includedNotes(versions: readonly VersionModel[], layout: HeaderLayout, when: string): string[] {
  const notes: string[] = [];
  for (const [include, names] of schemaStandIns(versions)) {
    for (const name of names.keys()) {
      const found = layout.definitions.get(name);
      if (!found) notes.push(`${name}: not defined by ${include} in the tree of the header${when}`);
      else if (found.origin === 'stand-in') notes.push(`${name}: the schema's value (no ${include} in the tree of the header${when})`);
      else notes.push(`${name}: ${found.text} in ${found.where}`);
    }
  }
  return notes;
}
