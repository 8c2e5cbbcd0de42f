/**
 * Comparing canonical layouts: what changed between two versions, or between what a compatible string
 * guarded when it was locked and what it guards now. Every change is one sentence about one struct,
 * field, node or property, with the old and new values as text.
 */
import type { VersionModel } from './model.ts';
import {
  canonicalVersion,
  describeProperty,
  describeType,
  sameLayout,
  type CanonicalContainer,
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
  | 'container'
  /** A field under a new name, same bytes: not breaking. */
  | 'renamed'
  /** A guard string took a new value (or its macro a new name): not a layout change, but what a changelog wants to say. */
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
   * Whether the other kernel would misread the state. False only for a new guard value, a new
   * subnode with a string of its own (the older kernel ignores it) and a newly reached struct (the
   * field or property that reaches it is the change that matters).
   */
  readonly breaking: boolean;
  readonly target: ChangeTarget;
}

/** Every difference between two versions, whole: containers, structs, FDT nodes and guard strings. */
export function diffVersions(older: VersionModel, newer: VersionModel): LayoutChange[] {
  return diffCanonicalVersions(canonicalVersion(older), canonicalVersion(newer));
}

export function diffCanonicalVersions(older: CanonicalVersion, newer: CanonicalVersion): LayoutChange[] {
  const changes: LayoutChange[] = [];
  const containerOf = (v: CanonicalVersion) => v.guards.find((g) => g.layout.container)?.layout.container;
  changes.push(...diffContainers(containerOf(older), containerOf(newer)));
  const oldGuards = new Map(older.guards.map((g) => [g.role, g]));
  const newGuards = new Map(newer.guards.map((g) => [g.role, g]));
  for (const [role, guard] of oldGuards) {
    if (newGuards.has(role) || !guard.layout.node) continue;
    changes.push({
      kind: 'node',
      subject: `node ${guard.layout.node.path}`,
      old: `${guard.layout.node.path} (compatible ${guard.macro} "${guard.value}")`,
      summary: `Node ${guard.layout.node.path} is gone.`,
      breaking: true,
      target: { node: guard.layout.node.path },
    });
  }
  for (const [role, guard] of newGuards) {
    const before = oldGuards.get(role);
    const node = guard.layout.node;
    if (!before) {
      if (!node) continue;
      changes.push({
        kind: 'node',
        subject: `node ${node.path}`,
        new: `${node.path} (compatible ${guard.macro} "${guard.value}")`,
        summary: `Node ${node.path} is new, guarded by ${guard.macro}.`,
        // The older kernel ignores a subnode it does not know; the new node's own string guards it.
        breaking: false,
        target: { node: node.path },
      });
      continue;
    }
    if (before.value !== guard.value || before.macro !== guard.macro) {
      const where = node ? `node ${node.path}` : guard.role;
      changes.push({
        kind: 'compatible',
        subject: guard.macro,
        old: `${before.macro} "${before.value}"`,
        new: `${guard.macro} "${guard.value}"`,
        summary:
          before.value !== guard.value
            ? `The guard string of ${where} went from "${before.value}" to "${guard.value}".`
            : `The guard string of ${where} keeps "${guard.value}" under a new macro name, ${guard.macro} (was ${before.macro}).`,
        breaking: false,
        target: node ? { node: node.path } : {},
      });
    }
    if (before.layout.node && node) changes.push(...diffNode(before.layout.node, node));
  }
  const structsOf = (v: CanonicalVersion) => v.guards.flatMap((g) => g.layout.structs);
  changes.push(...diffStructLists(uniqueByName(structsOf(older)), uniqueByName(structsOf(newer))));
  return changes;
}

/** What changed in what one guard string guards. */
export function diffGuardLayouts(older: GuardLayout, newer: GuardLayout): LayoutChange[] {
  return [
    ...(older.container || newer.container ? diffContainers(older.container, newer.container) : []),
    ...(older.node && newer.node ? diffNode(older.node, newer.node) : []),
    ...diffStructLists(older.structs, newer.structs),
  ];
}

function uniqueByName(structs: readonly CanonicalStruct[]): CanonicalStruct[] {
  return [...new Map(structs.map((s) => [s.name, s])).values()];
}

// -----------------------------------------------------------------------------------------------
// Containers and the FDT

function containerText(container: CanonicalContainer | undefined): string {
  if (!container) return 'no container of its own';
  switch (container.kind) {
    case 'fdt':
      return `an FDT${container.khoEntry ? ` under the KHO entry ${container.khoEntry.macro} "${container.khoEntry.value}"` : ''}${container.maxSize ? ` of at most ${container.maxSize.macro} = ${container.maxSize.c}` : ''}`;
    case 'kho-entry':
      return `struct ${container.struct} under the KHO entry ${container.khoEntry.macro} "${container.khoEntry.value}", its string in ${container.field}`;
    case 'reached-from':
      return `${describeType({ kind: 'pointer', nullable: false, target: container.target })} reached from ${container.from}.${container.field} when ${container.selector} selects it`;
  }
}

function diffContainers(older: CanonicalContainer | undefined, newer: CanonicalContainer | undefined): LayoutChange[] {
  if (sameLayout(older, newer)) return [];
  const old = containerText(older);
  const now = containerText(newer);
  return [
    {
      kind: 'container',
      subject: 'container',
      old,
      new: now,
      summary: `The state moved from ${old} to ${now}.`,
      breaking: true,
      target: newer?.kind === 'fdt' ? { node: '/' } : newer?.kind === 'kho-entry' ? { struct: newer.struct } : {},
    },
  ];
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
    const sameMacro = p.macro === undefined ? undefined : older.properties.find((o) => o.macro === p.macro && o.name !== p.name);
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
      const source = (macro: string | undefined) => macro ?? 'a literal in the kernel\'s code';
      changes.push({
        kind: 'constant',
        subject: propertySubject,
        old: source(before.macro),
        new: source(p.macro),
        summary: `The property "${p.name}" of node ${newer.path} takes its name from ${source(p.macro)} instead of ${source(before.macro)}.`,
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
  const oldChildren = new Map((older.children ?? []).map((c) => [c.path, c]));
  for (const child of newer.children ?? []) {
    const before = oldChildren.get(child.path);
    if (before) changes.push(...diffNode(before, child));
    else changes.push({ kind: 'node', subject: `node ${child.path}`, new: child.path, summary: `Node ${newer.path} has a new subnode ${child.path}.`, breaking: true, target: { node: newer.path } });
  }
  for (const [path] of oldChildren) {
    if (!(newer.children ?? []).some((c) => c.path === path)) {
      changes.push({ kind: 'node', subject: `node ${path}`, old: path, summary: `Node ${newer.path} no longer has the subnode ${path}.`, breaking: true, target: { node: newer.path } });
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
  else if ((older.sizeC ?? '') !== (newer.sizeC ?? '')) {
    change('resized', older.sizeC ?? `${older.size} bytes`, newer.sizeC ?? `${newer.size} bytes`, `The size of ${subject} now follows ${newer.sizeC ?? 'no page size'} instead of ${older.sizeC ?? 'no page size'}.`);
  }
  else if (older.align !== newer.align) change('resized', `aligned to ${older.align}`, `aligned to ${newer.align}`, `${subject} is now aligned to ${newer.align} bytes instead of ${older.align}.`);

  const oldFields = new Map(older.fields.map((f) => [f.name, f]));
  const newFields = new Map(newer.fields.map((f) => [f.name, f]));
  // A field gone and a field new at the same offset, of the same size and type, is one field renamed:
  // the bytes are the same, so the other kernel reads them the same.
  const renamed = new Map<string, CanonicalField>();
  for (const f of newer.fields) {
    if (oldFields.has(f.name)) continue;
    const was = older.fields.find((o) => !newFields.has(o.name) && !renamed.has(o.name) && o.offset === f.offset && o.size === f.size && describeType(o.type) === describeType(f.type));
    if (was) renamed.set(was.name, f);
  }
  for (const f of older.fields) {
    if (newFields.has(f.name)) continue;
    const now = renamed.get(f.name);
    if (now) {
      changes.push({ kind: 'renamed', subject: `${subject} > ${now.name}`, old: f.name, new: now.name, summary: `${subject}.${f.name} is now called ${now.name}, same bytes.`, breaking: false, target: { ...target, field: now.name } });
      continue;
    }
    changes.push({
      kind: 'removed',
      subject: `${subject} > ${f.name}`,
      old: fieldText(f),
      summary: `${subject} lost the field ${f.name}.`,
      breaking: true,
      target,
    });
  }
  const renamedTo = new Set([...renamed.values()].map((f) => f.name));
  for (const f of newer.fields) {
    const before = oldFields.get(f.name);
    if (!before) {
      if (renamedTo.has(f.name)) continue;
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
  const backTo = new Map([...renamed].map(([from, to]) => [to.name, from]));
  const common = newer.fields.map((f) => backTo.get(f.name) ?? f.name).filter((n) => oldFields.has(n));
  const oldOrder = older.fields.map((f) => f.name).filter((n) => newFields.has(n) || renamed.has(n));
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
    else if ((a.c ?? '') !== (b.c ?? '')) {
      change('constant', describeType(a), describeType(b), `The length of ${what} is now given by ${b.c ?? 'a number'} instead of ${a.c ?? 'a number'}.`);
    }
  } else if (describeType(a) !== describeType(b)) {
    change('retyped', describeType(a), describeType(b), `${what} changed type from ${describeType(a)} to ${describeType(b)}.`);
  }
  const resizedAlready = changes.some((c) => c.kind === 'resized');
  // A bit-field read from a compiled header has no place of its own (offset and size -1): its type says it.
  const placed = older.offset >= 0 && newer.offset >= 0;
  if (older.size !== newer.size && !resizedAlready && placed) {
    change('resized', `${older.size} bytes`, `${newer.size} bytes`, `${what} went from ${older.size} to ${newer.size} bytes.`);
  }
  if (older.offset !== newer.offset && placed) {
    change('moved', `offset ${older.offset}`, `offset ${newer.offset}`, `${what} moved from offset ${older.offset} to ${newer.offset}.`);
  }
  if (!sameLayout(older.bits, newer.bits) && !changes.some((c) => c.kind === 'retyped')) {
    change('moved', bitsText(older), bitsText(newer), `${what} moved within its bytes, from ${bitsText(older)} to ${bitsText(newer)}.`);
  }
  if (Boolean(older.anonymous) !== Boolean(newer.anonymous)) {
    change('retyped', older.anonymous ? 'anonymous' : 'named', newer.anonymous ? 'anonymous' : 'named', `${what} is ${newer.anonymous ? 'now' : 'no longer'} an anonymous member.`);
  }
  return changes;
}

function bitsText(f: CanonicalField): string {
  return f.bits ? `bits ${f.bits.shift}..${f.bits.shift + f.bits.width - 1} past offset ${f.offset}` : 'whole bytes';
}

function fieldText(f: CanonicalField): string {
  return f.offset < 0 ? describeType(f.type) : `${describeType(f.type)} at offset ${f.offset}, ${f.size} bytes`;
}
