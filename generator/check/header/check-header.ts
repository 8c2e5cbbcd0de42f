/**
 * `luo-abi check --header`: a real C header against the schema version with the same compatible
 * strings, or against the same header at another git revision. The rules are the schema's (LUO001,
 * LUO003, LUO005), applied to what a compiler sees: macros and struct layouts.
 *
 * Which string guards which struct comes from the schema version the older side matches (by its
 * compatible strings); a header no version matches has every struct guarded by the root string alone,
 * which is always safe: the root string covers everything beneath it.
 *
 * What this mode cannot see: where a u64 physical address points. luo-v3 -> luo-v4 turned
 * luo_file_set_ser.files from the address of an array into the address of a chain of blocks without
 * changing a byte of any struct, so two headers that differ only in that look identical here.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { displayPath } from '../../core/paths.ts';
import { loadModel } from '../../core/schema.ts';
import { allNodes, type Model, type VersionModel } from '../../model/index.ts';
import { diffStructLists, type LayoutChange } from '../diff.ts';
import { compatibleText, nextValue, type Finding, reportOf } from '../finding.ts';
import type { CheckReport } from '../format.ts';
import { fileAtRevision, filesAtRevision } from '../git.ts';
import { compatibleDowngraded } from '../rules/compatible-downgraded.ts';
import { compatibleBumpedWithoutChange } from '../rules/compatible-bumped-without-change.ts';
import { layoutChangedWithoutBump } from '../rules/layout-changed-without-bump.ts';
import { headerCView, versionCView, type CView } from './c-view.ts';
import { extractHeader, type IncludedMacros } from './extract.ts';

export interface HeaderCheckOptions {
  readonly headerPath: string;
  /** Compare with the header at this revision of its repository instead of with the schema. */
  readonly against?: string;
  readonly schemaPath?: string;
}

export async function checkHeader(options: HeaderCheckOptions): Promise<CheckReport> {
  const model = await loadModel(options.schemaPath);
  const shown = displayPath(options.headerPath);
  const current = includedMacros(model, options.headerPath, readIfPresent);
  const newer = headerCView(extractHeader(options.headerPath, current.macros), shown);
  if (options.against) {
    const ref = options.against;
    const then = includedMacros(model, options.headerPath, filesAtRevision(options.headerPath, ref), ` at ${ref}`);
    const older = headerAtRevision(options.headerPath, ref, then.macros, `${shown} at ${ref}`);
    const reference = matchVersion(model, older);
    const baseline = `${shown} at revision ${ref}`;
    return { baseline, notes: [...then.notes, ...current.notes], findings: compareViews(older, newer, ownership(model, reference), model) };
  }
  const reference = matchVersion(model, newer) ?? model.current;
  return {
    baseline: `schema version ${reference.name}`,
    notes: current.notes,
    findings: compareViews(versionCView(reference), newer, ownership(model, reference), model),
  };
}

function headerAtRevision(path: string, ref: string, included: IncludedMacros, name: string): CView {
  const scratch = mkdtempSync(join(tmpdir(), 'luo-abi-header-at-'));
  try {
    const copy = join(scratch, basename(path));
    writeFileSync(copy, fileAtRevision(path, ref));
    return { ...headerCView(extractHeader(copy, included), name), lines: new Map() };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The constants the schema takes from other headers, for the shim. When the header sits in a kernel
 * tree that has the other header (include/uapi/linux/liveupdate.h beside include/linux/kho/abi/luo.h),
 * the values are that file's, so that a kernel change there shows as the layout change it is; else
 * they are the schema's. Each value's source is a note in the report.
 */
function includedMacros(
  model: Model,
  headerPath: string,
  read: (path: string) => string | undefined,
  when = '',
): { macros: IncludedMacros; notes: string[] } {
  const wanted = new Map<string, Map<string, string>>();
  for (const c of model.versions.flatMap((v) => v.constants)) {
    if (!c.include) continue;
    if (!wanted.has(c.include)) wanted.set(c.include, new Map());
    wanted.get(c.include)!.set(c.name, c.c);
  }
  const macros = new Map<string, Map<string, string>>();
  const notes: string[] = [];
  for (const [include, fromSchema] of wanted) {
    const found = findInTree(headerPath, include.replace(/^[<"]|[>"]$/g, ''), read);
    if (!found) {
      macros.set(include, fromSchema);
      notes.push(`${[...fromSchema.keys()].join(', ')}: the schema's value${fromSchema.size === 1 ? '' : 's'} (no ${include} in the tree of the header${when})`);
      continue;
    }
    const values = new Map<string, string>();
    for (const name of fromSchema.keys()) {
      const value = definedValue(found.text, name);
      // Left undefined, so that gcc says where the header uses a macro its tree no longer defines.
      if (value !== undefined) values.set(name, value);
      notes.push(`${name}: ${value ?? 'not defined'} in ${displayPath(found.path)}${when}`);
    }
    macros.set(include, values);
  }
  return { macros, notes };
}

/** `<dir>/include/<include>` for the nearest directory above the header that has it. */
function findInTree(headerPath: string, include: string, read: (path: string) => string | undefined): { path: string; text: string } | undefined {
  for (let dir = dirname(resolve(headerPath)); ; dir = dirname(dir)) {
    const path = join(dir, 'include', include);
    const text = read(path);
    if (text !== undefined) return { path, text };
    if (dirname(dir) === dir) return undefined;
  }
}

/** The body of a one-line `#define NAME body`, comments dropped; gcc evaluates it where it is used. */
function definedValue(text: string, name: string): string | undefined {
  const line = new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+${name}[ \\t]+(.*)$`, 'm').exec(text);
  const body = line?.[1]?.replace(/\/\*.*?(\*\/|$)|\/\/.*$/g, '').trim();
  return body ? body : undefined;
}

function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/**
 * The version the view is, or grew from: the newest whose compatible strings are all the view's, else
 * the one sharing most of them (newest first), else none.
 */
function matchVersion(model: Model, view: CView): VersionModel | undefined {
  const says = (macro: string, value: string) => view.macros.get(macro) === `"${value}"`;
  const shared = (v: VersionModel) => v.guards.filter((g) => says(g.macro, g.value)).length;
  const newestFirst = [...model.versions].reverse();
  const exact = newestFirst.find((v) => shared(v) === v.guards.length);
  if (exact) return exact;
  const best = Math.max(...newestFirst.map(shared));
  return best > 0 ? newestFirst.find((v) => shared(v) === best) : undefined;
}

interface Ownership {
  readonly root: string;
  /** Every macro that holds a compatible string. */
  readonly guards: ReadonlySet<string>;
  guardOfStruct(name: string): string;
  guardOfMacro(name: string): string;
  outer(macro: string): readonly string[];
}

function ownership(model: Model, reference: VersionModel | undefined): Ownership {
  const root = (reference ?? model.current).guards[0]!.macro;
  const guards = new Set(model.versions.flatMap((v) => v.guards.map((g) => g.macro)));
  const macroOwner = new Map<string, string>();
  if (reference) {
    for (const n of allNodes(reference.fdt.root)) {
      for (const p of n.properties) macroOwner.set(p.macro, n.compatible.macro);
      for (const child of n.children) if (child.nameMacro) macroOwner.set(child.nameMacro, n.compatible.macro);
      for (const child of n.children) macroOwner.set(child.compatible.macro, n.compatible.macro);
    }
    for (const s of reference.structs) {
      for (const f of s.fields) {
        const constant = f.type.kind === 'chars' || f.type.kind === 'array' ? f.type.lengthConstant : undefined;
        if (constant && !macroOwner.has(constant)) macroOwner.set(constant, s.guard);
      }
    }
  }
  return {
    root,
    guards,
    guardOfStruct: (name) => reference?.structs.find((s) => s.name === name)?.guard ?? root,
    guardOfMacro: (name) => macroOwner.get(name) ?? root,
    outer: (macro) => reference?.guards.find((g) => g.macro === macro)?.outer ?? (macro === root ? [] : [root]),
  };
}

function diffMacros(older: CView, newer: CView, guards: ReadonlySet<string>): LayoutChange[] {
  const changes: LayoutChange[] = [];
  for (const [name, text] of older.macros) {
    const now = newer.macros.get(name);
    if (now === undefined) {
      changes.push({ kind: 'constant', subject: `#define ${name}`, old: text, summary: `${name} is no longer defined.`, breaking: true, target: {} });
    } else if (now !== text && !guards.has(name)) {
      changes.push({ kind: 'constant', subject: `#define ${name}`, old: text, new: now, summary: `${name} changed from ${text} to ${now}.`, breaking: true, target: {} });
    }
  }
  for (const [name, text] of newer.macros) {
    if (older.macros.has(name)) continue;
    // A new macro changes nothing the older kernel reads; a struct that uses it shows up on its own.
    changes.push({ kind: 'constant', subject: `#define ${name}`, new: text, summary: `${name} is new.`, breaking: false, target: {} });
  }
  return changes;
}

function compareViews(older: CView, newer: CView, owners: Ownership, model: Model): Finding[] {
  const guards = new Set([...owners.guards, ...[...newer.macros.keys(), ...older.macros.keys()].filter((m) => m.endsWith('_COMPATIBLE'))]);
  const changes = [...diffStructLists(older.structs, newer.structs), ...diffMacros(older, newer, guards)];
  const ownerOf = (change: LayoutChange) =>
    change.target.struct ? owners.guardOfStruct(change.target.struct) : owners.guardOfMacro(change.subject.replace(/^#define /, ''));
  const value = (view: CView, macro: string) => view.macros.get(macro)?.replace(/^"|"$/g, '');
  const bumped = (macro: string) => value(older, macro) !== undefined && value(newer, macro) !== value(older, macro);
  const covered = (macro: string) => bumped(macro) || owners.outer(macro).some(bumped);
  const where = (subject: string) => {
    const line = newer.lines.get(subject) ?? newer.lines.get(subject.split(' > ')[0]!);
    return newer.file ? { file: displayPath(newer.file), ...(line ? { line } : {}) } : {};
  };
  const findings: Finding[] = [];
  for (const change of changes) {
    const owner = ownerOf(change);
    if (!change.breaking || covered(owner)) continue;
    const oldValue = value(older, owner) ?? '?';
    findings.push(reportOf(layoutChangedWithoutBump, {
      version: newer.name,
      compatible: compatibleText(owner, oldValue),
      subject: change.subject,
      ...(change.old !== undefined ? { old: change.old } : {}),
      ...(change.new !== undefined ? { new: change.new } : {}),
      message: `${change.summary} ${newer.name} still says ${compatibleText(owner, oldValue)}, as ${older.name} does.`,
      ...where(change.subject),
      fix: `bump ${owner} from "${oldValue}" to "${freshValue(model, owner, oldValue)}"${owners.outer(owner).length > 0 ? ` (a bump of ${owners.outer(owner).join(' or ')} covers it too)` : ''}, then describe the new version in the luo-abi schema`,
    }));
  }
  for (const macro of guards) {
    const before = value(older, macro);
    const now = value(newer, macro);
    if (before === undefined || now === undefined || before === now) continue;
    if (isDowngrade(model, macro, before, now)) {
      findings.push(reportOf(compatibleDowngraded, {
        version: newer.name,
        compatible: compatibleText(macro, now),
        subject: macro,
        old: `"${before}"`,
        new: `"${now}"`,
        message: `${newer.name} sets ${macro} back from "${before}" to "${now}", a value released before it.`,
        ...where(`#define ${macro}`),
        fix: `compatible strings only move forward: give ${macro} a value never released, after "${before}"`,
      }));
      continue;
    }
    const owned = changes.filter((c) => {
      const owner = ownerOf(c);
      return owner === macro || owners.outer(owner).includes(macro);
    });
    if (owned.length > 0) continue;
    findings.push(reportOf(compatibleBumpedWithoutChange, {
      version: newer.name,
      compatible: compatibleText(macro, now),
      subject: macro,
      old: `"${before}"`,
      new: `"${now}"`,
      message:
        `${newer.name} bumps ${macro} from "${before}" to "${now}" but no struct or macro it guards changed. --header cannot see ` +
        'what a physical address points at (luo-v3 -> luo-v4 changed only that), so check that the schema describes the change.',
      ...where(`#define ${macro}`),
      fix: `describe the change in the schema and run \`luo-abi check\` there, or keep ${macro} at "${before}"`,
    }));
  }
  return findings;
}

/** By the schema's release order when it knows both values, else by their trailing numbers. */
function isDowngrade(model: Model, macro: string, from: string, to: string): boolean {
  const order = model.versions.flatMap((v) => v.guards.filter((g) => g.macro === macro).map((g) => g.value));
  const a = order.indexOf(from);
  const b = order.indexOf(to);
  if (a >= 0 && b >= 0) return b < a;
  const number = (s: string) => Number(/(\d+)$/.exec(s)?.[1] ?? NaN);
  return number(to) < number(from);
}

/** The next value after `value` that no version of the schema has used for this macro. */
function freshValue(model: Model, macro: string, value: string): string {
  const used = new Set(model.versions.flatMap((v) => v.guards.filter((g) => g.macro === macro).map((g) => g.value)));
  let candidate = nextValue(value);
  while (used.has(candidate)) candidate = nextValue(candidate);
  return candidate;
}
