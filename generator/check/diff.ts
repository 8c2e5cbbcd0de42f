/**
 * Comparing canonical layouts: what changed between two versions, or between what a compatible string
 * guarded when it was locked and what it guards now. Every change is one sentence about one struct,
 * field, node or property, with the old and new values as text.
 */
import type { VersionModel } from '../model/index.ts';
import {
  canonicalVersion,
  describeProperty,
  describeType,
  sameLayout,
  type CanonicalFdt,
  type CanonicalField,
  type CanonicalNode,
  type CanonicalStruct,
  type CanonicalVersion,
  type GuardLayout,
} from './canonical.ts';

export type LayoutChangeKind =
  | 'added'
  | 'removed'
  | 'moved'
  | 'resized'
  | 'retyped'
  | 'reordered'
  | 'pointer-target'
  | 'packing'
  | 'constant'
  | 'property'
  | 'node'
  | 'fdt'
  /** A compatible string took a new value: not a layout change, but what a changelog wants to say. */
  | 'compatible';

/** What a change is about, so a finding can point at the schema line that defines it. */
export interface ChangeTarget {
  readonly struct?: string;
  readonly field?: string;
  readonly node?: string;
  readonly property?: string;
}

export interface LayoutChange {
  readonly kind: LayoutChangeKind;
  /** e.g. 'struct luo_ser > flbs_pa', 'node /luo-session > luo-session-header'. */
  readonly subject: string;
  readonly old?: string;
  readonly new?: string;
  /** One human sentence. */
  readonly summary: string;
  /**
   * Whether the other kernel would misread the state. False only for a new compatible value, a new
   * subnode with a string of its own (the older kernel ignores it) and a newly reached struct (the
   * field or property that reaches it is the change that matters).
   */
  readonly breaking: boolean;
  readonly target: ChangeTarget;
}

/** Every difference between two versions, whole: structs, FDT nodes and compatible strings. */
export function diffVersions(older: VersionModel, newer: VersionModel): LayoutChange[] {
  return diffCanonicalVersions(canonicalVersion(older), canonicalVersion(newer));
}

export function diffCanonicalVersions(older: CanonicalVersion, newer: CanonicalVersion): LayoutChange[] {
  const changes: LayoutChange[] = [];
  const oldRoot = older.guards[0]?.layout.fdt;
  const newRoot = newer.guards[0]?.layout.fdt;
  if (oldRoot && newRoot) changes.push(...diffFdt(oldRoot, newRoot));
  const oldNodes = new Map(older.guards.map((g) => [g.layout.node.path, g]));
  const newNodes = new Map(newer.guards.map((g) => [g.layout.node.path, g]));
  for (const [path, guard] of oldNodes) {
    if (newNodes.has(path)) continue;
    changes.push({
      kind: 'node',
      subject: `node ${path}`,
      old: `${path} (compatible ${guard.macro} "${guard.value}")`,
      summary: `Node ${path} is gone.`,
      breaking: true,
      target: { node: path },
    });
  }
  for (const [path, guard] of newNodes) {
    const before = oldNodes.get(path);
    if (!before) {
      changes.push({
        kind: 'node',
        subject: `node ${path}`,
        new: `${path} (compatible ${guard.macro} "${guard.value}")`,
        summary: `Node ${path} is new, guarded by ${guard.macro}.`,
        // The older kernel ignores a subnode it does not know; the new node's own string guards it.
        breaking: false,
        target: { node: path },
      });
      continue;
    }
    if (before.value !== guard.value || before.macro !== guard.macro) {
      changes.push({
        kind: 'compatible',
        subject: guard.macro,
        old: `${before.macro} "${before.value}"`,
        new: `${guard.macro} "${guard.value}"`,
        summary: `The compatible string of node ${path} went from "${before.value}" to "${guard.value}".`,
        breaking: false,
        target: { node: path },
      });
    }
    changes.push(...diffNode(before.layout.node, guard.layout.node));
  }
  const structsOf = (v: CanonicalVersion) => v.guards.flatMap((g) => g.layout.structs);
  changes.push(...diffStructLists(uniqueByName(structsOf(older)), uniqueByName(structsOf(newer))));
  return changes;
}

/** What changed in what one compatible string guards. */
export function diffGuardLayouts(older: GuardLayout, newer: GuardLayout): LayoutChange[] {
  return [
    ...(older.fdt && newer.fdt ? diffFdt(older.fdt, newer.fdt) : []),
    ...diffNode(older.node, newer.node),
    ...diffStructLists(older.structs, newer.structs),
  ];
}

function uniqueByName(structs: readonly CanonicalStruct[]): CanonicalStruct[] {
  return [...new Map(structs.map((s) => [s.name, s])).values()];
}

// -----------------------------------------------------------------------------------------------
// The FDT

function diffFdt(older: CanonicalFdt, newer: CanonicalFdt): LayoutChange[] {
  const changes: LayoutChange[] = [];
  const oldName = `${older.khoEntryName.macro} "${older.khoEntryName.value}"`;
  const newName = `${newer.khoEntryName.macro} "${newer.khoEntryName.value}"`;
  if (oldName !== newName) {
    changes.push({
      kind: 'fdt',
      subject: 'fdt > KHO entry name',
      old: oldName,
      new: newName,
      summary: `The KHO sub-tree the FDT travels under went from ${oldName} to ${newName}.`,
      breaking: true,
      target: { node: '/' },
    });
  }
  const oldSize = `${older.maxSize.macro} = ${older.maxSize.c}`;
  const newSize = `${newer.maxSize.macro} = ${newer.maxSize.c}`;
  if (oldSize !== newSize) {
    changes.push({
      kind: 'fdt',
      subject: 'fdt > maximum size',
      old: oldSize,
      new: newSize,
      summary: `The largest FDT the kernel allocates went from ${oldSize} to ${newSize}.`,
      breaking: true,
      target: { node: '/' },
    });
  }
  return changes;
}

export function diffNode(older: CanonicalNode, newer: CanonicalNode): LayoutChange[] {
  const changes: LayoutChange[] = [];
  const subject = `node ${newer.path}`;
  if ((older.nameMacro ?? '') !== (newer.nameMacro ?? '')) {
    changes.push({
      kind: 'node',
      subject,
      old: older.nameMacro,
      new: newer.nameMacro,
      summary: `Node ${newer.path} takes its name from ${newer.nameMacro} instead of ${older.nameMacro}.`,
      breaking: true,
      target: { node: newer.path },
    });
  }
  const oldProps = new Map(older.properties.map((p) => [p.name, p]));
  const newProps = new Map(newer.properties.map((p) => [p.name, p]));
  const renamedFrom = new Map<string, string>();
  for (const p of newer.properties) {
    const sameMacro = older.properties.find((o) => o.macro === p.macro && o.name !== p.name);
    if (!oldProps.has(p.name) && sameMacro && !newProps.has(sameMacro.name)) renamedFrom.set(p.name, sameMacro.name);
  }
  const renamedOld = new Set(renamedFrom.values());
  for (const p of older.properties) {
    if (newProps.has(p.name) || renamedOld.has(p.name)) continue;
    changes.push({
      kind: 'property',
      subject: `${subject} > ${p.name}`,
      old: describeProperty(p),
      summary: `Node ${newer.path} no longer has the property "${p.name}".`,
      breaking: true,
      target: { node: newer.path },
    });
  }
  for (const p of newer.properties) {
    const from = renamedFrom.get(p.name);
    const before = oldProps.get(p.name) ?? (from ? oldProps.get(from) : undefined);
    const propertySubject = `${subject} > ${p.name}`;
    const target = { node: newer.path, property: p.name };
    if (!before) {
      changes.push({
        kind: 'property',
        subject: propertySubject,
        new: describeProperty(p),
        summary: `Node ${newer.path} has a new property "${p.name}".`,
        breaking: true,
        target,
      });
      continue;
    }
    if (from) {
      changes.push({
        kind: 'property',
        subject: propertySubject,
        old: `"${from}"`,
        new: `"${p.name}"`,
        summary: `The property ${p.macro} of node ${newer.path} was renamed from "${from}" to "${p.name}".`,
        breaking: true,
        target,
      });
    } else if (before.macro !== p.macro) {
      changes.push({
        kind: 'constant',
        subject: propertySubject,
        old: before.macro,
        new: p.macro,
        summary: `The property "${p.name}" of node ${newer.path} takes its name from ${p.macro} instead of ${before.macro}.`,
        breaking: true,
        target,
      });
    }
    if (before.kind !== p.kind) {
      changes.push({
        kind: 'property',
        subject: propertySubject,
        old: describeProperty(before),
        new: describeProperty(p),
        summary: `The property "${p.name}" of node ${newer.path} changed from a ${before.kind} to a ${p.kind} value.`,
        breaking: true,
        target,
      });
    } else if (!sameLayout(before.pointer, p.pointer)) {
      changes.push({
        kind: 'pointer-target',
        subject: propertySubject,
        old: describeProperty(before),
        new: describeProperty(p),
        summary: `The property "${p.name}" of node ${newer.path} now points at something else.`,
        breaking: true,
        target,
      });
    }
  }
  const order = (names: string[], keep: Set<string>) => names.filter((n) => keep.has(n)).join(',');
  const common = new Set(newer.properties.map((p) => renamedFrom.get(p.name) ?? p.name).filter((n) => oldProps.has(n)));
  const oldOrder = order(older.properties.map((p) => p.name), common);
  const newOrder = order(newer.properties.map((p) => renamedFrom.get(p.name) ?? p.name), common);
  if (oldOrder !== newOrder) {
    changes.push({
      kind: 'reordered',
      subject,
      old: oldOrder,
      new: newOrder,
      summary: `The properties of node ${newer.path} are written in another order.`,
      breaking: true,
      target: { node: newer.path },
    });
  }
  return changes;
}

// -----------------------------------------------------------------------------------------------
// Structs

export function diffStructLists(older: readonly CanonicalStruct[], newer: readonly CanonicalStruct[]): LayoutChange[] {
  const changes: LayoutChange[] = [];
  const oldByName = new Map(older.map((s) => [s.name, s]));
  const newByName = new Map(newer.map((s) => [s.name, s]));
  for (const s of older) {
    if (newByName.has(s.name)) continue;
    changes.push({
      kind: 'removed',
      subject: `${s.kind} ${s.name}`,
      old: `${s.size} bytes`,
      summary: `${s.kind} ${s.name} is gone.`,
      breaking: true,
      target: { struct: s.name },
    });
  }
  for (const s of newer) {
    const before = oldByName.get(s.name);
    if (before) {
      changes.push(...diffStruct(before, s));
      continue;
    }
    changes.push({
      kind: 'added',
      subject: `${s.kind} ${s.name}`,
      new: `${s.size} bytes`,
      summary: `${s.kind} ${s.name} is new.`,
      // Only a field or property that reaches it can bring a struct in; that reference is the change.
      breaking: false,
      target: { struct: s.name },
    });
  }
  return changes;
}

export function diffStruct(older: CanonicalStruct, newer: CanonicalStruct): LayoutChange[] {
  const changes: LayoutChange[] = [];
  const subject = `${newer.kind} ${newer.name}`;
  const target = { struct: newer.name };
  const change = (kind: LayoutChangeKind, old: string, now: string, summary: string, field?: string) =>
    changes.push({
      kind,
      subject: field ? `${subject} > ${field}` : subject,
      old,
      new: now,
      summary,
      breaking: true,
      target: field ? { ...target, field } : target,
    });
  if (older.kind !== newer.kind) change('retyped', older.kind, newer.kind, `${older.name} went from a ${older.kind} to a ${newer.kind}.`);
  if (older.packed !== newer.packed) {
    change('packing', older.packed ? '__packed' : 'natural alignment', newer.packed ? '__packed' : 'natural alignment', `${subject} is ${newer.packed ? 'now' : 'no longer'} __packed.`);
  }
  if (older.size !== newer.size) change('resized', `${older.size} bytes`, `${newer.size} bytes`, `${subject} went from ${older.size} to ${newer.size} bytes.`);
  else if (older.align !== newer.align) change('resized', `aligned to ${older.align}`, `aligned to ${newer.align}`, `${subject} is now aligned to ${newer.align} bytes instead of ${older.align}.`);

  const oldFields = new Map(older.fields.map((f) => [f.name, f]));
  const newFields = new Map(newer.fields.map((f) => [f.name, f]));
  for (const f of older.fields) {
    if (!newFields.has(f.name)) {
      changes.push({
        kind: 'removed',
        subject: `${subject} > ${f.name}`,
        old: fieldText(f),
        summary: `${subject} lost the field ${f.name}.`,
        breaking: true,
        target,
      });
    }
  }
  for (const f of newer.fields) {
    const before = oldFields.get(f.name);
    if (!before) {
      changes.push({
        kind: 'added',
        subject: `${subject} > ${f.name}`,
        new: fieldText(f),
        summary: `${subject} has a new field ${f.name}.`,
        breaking: true,
        target: { ...target, field: f.name },
      });
      continue;
    }
    changes.push(...diffField(subject, newer.name, before, f));
  }
  const common = newer.fields.map((f) => f.name).filter((n) => oldFields.has(n));
  const oldOrder = older.fields.map((f) => f.name).filter((n) => newFields.has(n));
  if (common.join(',') !== oldOrder.join(',')) {
    change('reordered', oldOrder.join(', '), common.join(', '), `The fields of ${subject} are in another order.`);
  }
  return changes;
}

function diffField(subject: string, struct: string, older: CanonicalField, newer: CanonicalField): LayoutChange[] {
  const changes: LayoutChange[] = [];
  const change = (kind: LayoutChangeKind, old: string, now: string, summary: string) =>
    changes.push({ kind, subject: `${subject} > ${newer.name}`, old, new: now, summary, breaking: true, target: { struct, field: newer.name } });
  const a = older.type;
  const b = newer.type;
  const what = `${subject}.${newer.name}`;
  if (a.kind === 'pointer' && b.kind === 'pointer') {
    if (!sameLayout(a, b)) change('pointer-target', describeType(a), describeType(b), `${what} now points at something else.`);
  } else if ((a.kind === 'chars' && b.kind === 'chars') || (a.kind === 'array' && b.kind === 'array' && sameLayout(a.element, b.element))) {
    if (a.length !== b.length) change('resized', describeType(a), describeType(b), `${what} went from ${a.length} to ${b.length} elements.`);
    else if ((a.constant ?? '') !== (b.constant ?? '')) {
      change('constant', describeType(a), describeType(b), `The length of ${what} is now given by ${b.constant ?? 'a number'} instead of ${a.constant ?? 'a number'}.`);
    }
  } else if (describeType(a) !== describeType(b)) {
    change('retyped', describeType(a), describeType(b), `${what} changed type from ${describeType(a)} to ${describeType(b)}.`);
  }
  const resizedAlready = changes.some((c) => c.kind === 'resized');
  if (older.size !== newer.size && !resizedAlready) {
    change('resized', `${older.size} bytes`, `${newer.size} bytes`, `${what} went from ${older.size} to ${newer.size} bytes.`);
  }
  if (older.offset !== newer.offset) {
    change('moved', `offset ${older.offset}`, `offset ${newer.offset}`, `${what} moved from offset ${older.offset} to ${newer.offset}.`);
  }
  return changes;
}

function fieldText(f: CanonicalField): string {
  return `${describeType(f.type)} at offset ${f.offset}, ${f.size} bytes`;
}
