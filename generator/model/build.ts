/**
 * schema -> model: validate a family of headers and lay out every struct as gcc does on LP64, at
 * every page size the kernel supports (4, 16 and 64 KiB), then give the model for one of them.
 *
 * The jobs are in files of their own: scope.ts (names and lazy values), constants.ts, layout.ts
 * (types and struct layout), containers.ts, guards.ts and doc-lint.ts. This file orders the headers
 * and versions, runs those jobs for each, and derives what needs more than one page size (a struct's
 * size as C text that holds on all of them).
 *
 * Validation collects every mistake with its exact place (`luo > luo-v2 > struct luo_ser > flbs_pa`)
 * and throws them together as a SchemaError; nothing downstream ever sees an invalid model.
 */
import type { Aggregate, AbiFamily, AbiHeader, AbiSchema, AbiVersion } from '../../schema/lang.ts';
import { constantModels, declareDefinitions } from './constants.ts';
import { containerModel } from './containers.ts';
import { lintDocs } from './doc-lint.ts';
import { Issues, SchemaError } from './errors.ts';
import { featureModel } from './features.ts';
import { computeGuards } from './guards.ts';
import { isAggregate, layoutAggregate } from './layout.ts';
import type { HeaderModel, Model, PageShift, PageTarget, StructModel, VersionModel } from './model.ts';
import { PAGE_SHIFTS } from './model.ts';
import { VersionScope } from './scope.ts';

export interface BuildOptions {
  /** The page size the model is laid out for; every page size is validated whatever this is. */
  readonly pageShift?: PageShift;
}

export const DEFAULT_PAGE_SHIFT: PageShift = 12;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VERSION_NAME = /^[a-z0-9][a-z0-9.+-]*$/;
const HEADER_NAME = /^[a-z0-9_]+$/;

export function pageTarget(pageShift: PageShift): PageTarget {
  return { pageShift, pageSize: 2 ** pageShift };
}

export function buildModel(schema: AbiSchema, options: BuildOptions = {}): Model {
  const issues = new Issues();
  const family = asFamily(schema, issues);
  const ordered = family ? orderHeaders(family, issues) : [];
  if (issues.count > 0 || !family) throw new SchemaError(issues.list);
  const chosen = options.pageShift ?? DEFAULT_PAGE_SHIFT;
  const builds = new Map(PAGE_SHIFTS.map((shift) => [shift, buildAt(ordered, pageTarget(shift), issues)] as const));
  if (issues.count > 0) throw new SchemaError(issues.list);
  const sizeC = sizeTexts(builds);
  const at = builds.get(chosen)!;
  const headers: HeaderModel[] = ordered.map((h) => {
    const versions = h.versions.map((v) => withSizes(at.get(v)!, sizeC));
    return {
      name: h.name,
      path: h.path,
      includeGuard: h.includeGuard,
      spdx: h.spdx,
      copyright: [...h.copyright],
      versions,
      current: versions.find((v) => v.name === h.current)!,
    };
  });
  return { name: family.name, target: pageTarget(chosen), headers };
}

// -----------------------------------------------------------------------------------------------
// The family and its order

function asFamily(schema: AbiSchema | undefined, issues: Issues): AbiFamily | undefined {
  if (schema?.kind === 'header') return { kind: 'family', name: schema.name, headers: [schema] };
  if (schema?.kind === 'family' && Array.isArray(schema.headers)) return schema;
  issues.add('not-a-schema', ['schema'], 'the module must export a family (family({...})) or one header (header({...}))');
  return undefined;
}

/** Headers in dependency order (a header after those it uses or is reached from), each checked. */
function orderHeaders(family: AbiFamily, issues: Issues): AbiHeader[] {
  const headerOfVersion = new Map<AbiVersion, AbiHeader>();
  const headerOfStruct = new Map<Aggregate, AbiHeader>();
  const names = new Set<string>();
  const versionNames = new Set<string>();
  for (const h of family.headers) {
    if (!HEADER_NAME.test(h.name ?? '')) issues.add('bad-identifier', [h.name || '(unnamed header)'], 'a header name is its file stem: lower-case letters, digits and "_"');
    if (names.has(h.name)) issues.add('duplicate-header', [h.name], 'two headers have this name');
    names.add(h.name);
    for (const v of h.versions ?? []) {
      if (versionNames.has(v.name)) issues.add('duplicate-version', [h.name, v.name], 'another version has this name; give each version of the family its own name', v.at);
      versionNames.add(v.name);
      if (!VERSION_NAME.test(v.name ?? '')) issues.add('bad-identifier', [h.name, v.name || '(unnamed version)'], 'a version name is lower-case letters, digits, ".", "+" and "-"', v.at);
      headerOfVersion.set(v, h);
      for (const t of v.types ?? []) if (isAggregate(t) && !headerOfStruct.has(t)) headerOfStruct.set(t, h);
    }
    if (!(h.versions ?? []).some((v) => v.name === h.current)) {
      issues.add('unknown-current', [h.name], `current version "${h.current}" is not one of the versions (${(h.versions ?? []).map((v) => v.name).join(', ')})`);
    }
    if (!IDENTIFIER.test(h.includeGuard ?? '')) issues.add('bad-identifier', [h.name, 'includeGuard'], 'the include guard must be a C identifier');
  }
  const dependsOn = new Map<AbiHeader, Set<AbiHeader>>();
  for (const h of family.headers) {
    const deps = new Set<AbiHeader>();
    for (const v of h.versions ?? []) {
      for (const used of v.uses ?? []) {
        const other = headerOfVersion.get(used);
        if (!other) issues.add('unknown-use', [h.name, v.name], `uses a version (${used?.name ?? String(used)}) of no header of the family; add its header to the family`, v.at);
        else if (other === h) issues.add('unknown-use', [h.name, v.name], `uses ${used.name}, a version of its own header`, v.at);
        else deps.add(other);
      }
      const from = v.container?.kind === 'reached-from' ? headerOfStruct.get(v.container.from) : undefined;
      if (from && from !== h) deps.add(from);
    }
    dependsOn.set(h, deps);
  }
  const ordered: AbiHeader[] = [];
  const state = new Map<AbiHeader, 'visiting' | 'done'>();
  const visit = (h: AbiHeader, trail: AbiHeader[]): void => {
    if (state.get(h) === 'done') return;
    if (state.get(h) === 'visiting') {
      issues.add('use-cycle', [h.name], `headers use each other: ${[...trail.slice(trail.indexOf(h)), h].map((x) => x.name).join(' -> ')}`);
      return;
    }
    state.set(h, 'visiting');
    for (const dep of dependsOn.get(h) ?? []) visit(dep, [...trail, h]);
    state.set(h, 'done');
    ordered.push(h);
  };
  for (const h of family.headers) visit(h, []);
  return ordered;
}

// -----------------------------------------------------------------------------------------------
// One page size

type Built = Map<AbiVersion, VersionModel>;

function buildAt(headers: readonly AbiHeader[], target: PageTarget, issues: Issues): Built {
  const scopes = new Map<AbiVersion, VersionScope>();
  const built: Built = new Map();
  const scopeOfStruct = (def: Aggregate) => [...scopes.values()].find((s) => s.declared.get(def.name)?.def === def);
  for (const h of headers) {
    for (const v of h.versions) {
      const uses = (v.uses ?? []).map((u) => scopes.get(u)).filter((s): s is VersionScope => s !== undefined);
      const scope = new VersionScope(h.name, v, target, uses, issues);
      scopes.set(v, scope);
      const model = buildVersion(scope, v, scopeOfStruct, (used) => built.get(used.version));
      if (model) built.set(v, model);
    }
  }
  return built;
}

function buildVersion(
  scope: VersionScope,
  v: AbiVersion,
  scopeOfStruct: (def: Aggregate) => VersionScope | undefined,
  builtOf: (used: VersionScope) => VersionModel | undefined,
): VersionModel | undefined {
  const before = scope.issues.reports;
  declareDefinitions(scope, v);
  declareTypes(scope, v);
  scope.layoutOwn = (def, index) => layoutAggregate(scope, def, index);
  const { constants, enums } = constantModels(scope, v);
  const structs: StructModel[] = [];
  const localStructs: StructModel[] = [];
  const local = new Set(v.localTypes ?? []);
  for (const { def, index } of scope.declared.values()) {
    const layout = scope.aggregateLayout(def, index);
    if (layout) (local.has(def) ? localStructs : structs).push(layout);
  }
  const container = containerModel(scope, v.container, scopeOfStruct);
  if (v.container && !container) return undefined;
  // Until guards are known, own structs are their layouts; used versions' come with their guards.
  const visible = new Map<string, StructModel>(structs.map((s) => [s.name, s]));
  for (const used of scope.allScopes().slice(1)) for (const s of builtOf(used)?.structs ?? []) if (!visible.has(s.name)) visible.set(s.name, s);
  const ownGuard = v.guard ? scope.constantModel(v.guard) : undefined;
  if (v.guard && !ownGuard) scope.issues.add('bad-guard', [...scope.path, 'guard'], `the guard ${v.guard.name} must be one of the version's string constants`, v.at);
  // Guards are computed over a whole, valid version; earlier mistakes would only echo as orphans.
  if (scope.issues.reports > before) return undefined;
  const { guards, guardOf } = computeGuards(scope, container, structs, visible, ownGuard);
  const includes = [...new Set(constants.flatMap((c) => (c.include ? [c.include] : [])))];
  const model: VersionModel = {
    header: scope.header,
    name: v.name,
    origin: v.origin,
    doc: { title: v.doc?.title ?? '', paragraphs: [...(v.doc?.paragraphs ?? [])] },
    uses: scope.uses.map((u) => ({ header: u.header, version: u.version.name })),
    constants,
    enums,
    structs: structs.map((s) => ({ ...s, guard: guardOf.get(s.name) ?? '' })),
    visibleStructs: [],
    ...(localStructs.length > 0 ? { localStructs } : {}),
    ...(container ? { container } : {}),
    guards,
    includes,
    acknowledges: (v.acknowledges ?? []).map((a) => ({ rule: a.rule, reason: a.reason })),
    ...(v.at ? { at: v.at } : {}),
  };
  const withVisible = { ...model, visibleStructs: [...visible.values()].map((s) => model.structs.find((own) => own.name === s.name && s.version === own.version) ?? s) };
  const features = featureModel(v, withVisible, scope.issues);
  const built = features ? { ...withVisible, features } : withVisible;
  lintDocs(scope, built);
  return scope.issues.reports > before ? undefined : built;
}

/** The version's types, then its local types (the kernel's .c file's), after them in one index. */
function declareTypes(scope: VersionScope, v: AbiVersion): void {
  [...(v.types ?? []), ...(v.localTypes ?? [])].forEach((def, index) => {
    const path = [...scope.path, `types[${index}]`];
    if (!isAggregate(def)) {
      scope.issues.add('unknown-type', path, 'not a struct or union; declare it with struct() or union()');
      return;
    }
    const where = [...scope.path, `${def.kind} ${def.name}`];
    if (!IDENTIFIER.test(def.name)) {
      scope.issues.add('bad-identifier', where, 'a struct name must be a C identifier', def.at);
      return;
    }
    if (scope.declared.has(def.name)) {
      scope.issues.add('duplicate-type', where, 'declared twice in this version; one definition per name', def.at);
      return;
    }
    const elsewhere = scope.uses.flatMap((u) => u.allScopes()).find((s) => s.declared.has(def.name));
    if (elsewhere) {
      scope.issues.add('redefined', where, `${def.kind} ${def.name} is declared by ${elsewhere.header}.h (${elsewhere.version.name}), which this version uses; use that one instead of redeclaring it`, def.at);
      return;
    }
    scope.declared.set(def.name, { def, index });
  });
  checkNestingCycles(scope);
}

/** A struct that contains itself, directly or through others, has no finite size. */
function checkNestingCycles(scope: VersionScope): void {
  const state = new Map<Aggregate, 'visiting' | 'done'>();
  const visit = (def: Aggregate, trail: string[]): boolean => {
    if (state.get(def) === 'done') return true;
    if (state.get(def) === 'visiting') {
      const cycle = trail.slice(trail.indexOf(def.name)).concat(def.name);
      scope.issues.add('nested-cycle', [...scope.path, `${def.kind} ${def.name}`], `contains itself: ${cycle.join(' -> ')}; use a pointer (pa) instead of nesting`, def.at);
      return false;
    }
    state.set(def, 'visiting');
    let ok = true;
    for (const fieldDef of Object.values(def.fields ?? {})) {
      for (const nested of nestedAggregates(fieldDef?.type)) ok = visit(nested, [...trail, def.name]) && ok;
    }
    state.set(def, 'done');
    return ok;
  };
  for (const { def } of scope.declared.values()) {
    if (!visit(def, [])) {
      // Laying out a struct that contains itself would recurse without end.
      scope.declared.delete(def.name);
    }
  }
}

function nestedAggregates(type: unknown): Aggregate[] {
  if (!type || typeof type !== 'object') return [];
  const t = type as { kind?: string; element?: unknown; fields?: Record<string, { type?: unknown }> };
  if (t.kind === 'struct' || t.kind === 'union') return [type as Aggregate];
  if (t.kind === 'array' || t.kind === 'flexible') return nestedAggregates(t.element);
  if (t.kind === 'inline') return Object.values(t.fields ?? {}).flatMap((f) => nestedAggregates(f?.type));
  return [];
}

// -----------------------------------------------------------------------------------------------
// What needs every page size: sizeof as C text

type SizeKey = string;
const sizeKey = (s: StructModel): SizeKey => `${s.header}\0${s.version}\0${s.name}`;

/** Each struct's size as C text true at every page size: a number, or a multiple of PAGE_SIZE plus one. */
function sizeTexts(builds: ReadonlyMap<PageShift, Built>): Map<SizeKey, string> {
  const sizes = new Map<SizeKey, Map<number, number>>();
  for (const [shift, built] of builds) {
    for (const version of built.values()) {
      for (const s of version.structs) {
        if (!sizes.has(sizeKey(s))) sizes.set(sizeKey(s), new Map());
        sizes.get(sizeKey(s))!.set(2 ** shift, s.size);
      }
    }
  }
  const texts = new Map<SizeKey, string>();
  for (const [key, bySize] of sizes) texts.set(key, sizeText(bySize));
  return texts;
}

/** `size` when it does not depend on PAGE_SIZE; `a * PAGE_SIZE + b` when it does, linearly; else ''. */
export function sizeText(bySize: ReadonlyMap<number, number>): string {
  const points = [...bySize].sort((a, b) => a[0] - b[0]);
  if (points.every(([, size]) => size === points[0]![1])) return String(points[0]![1]);
  const [[p0, s0], [p1, s1]] = points as [[number, number], [number, number]];
  const a = (s1 - s0) / (p1 - p0);
  const b = s0 - a * p0;
  if (!Number.isInteger(a) || !points.every(([p, s]) => a * p + b === s)) return '';
  const scaled = a === 1 ? 'PAGE_SIZE' : `${a} * PAGE_SIZE`;
  return b === 0 ? scaled : b > 0 ? `${scaled} + ${b}` : `${scaled} - ${-b}`;
}

function withSizes(version: VersionModel, sizeC: ReadonlyMap<SizeKey, string>): VersionModel {
  const fix = (s: StructModel): StructModel => ({ ...s, sizeC: sizeC.get(sizeKey(s)) ?? String(s.size) });
  return { ...version, structs: version.structs.map(fix), visibleStructs: version.visibleStructs.map(fix) };
}
