/**
 * The reference docs' view model: everything luo.md, luo.rst and index.html say about the ABI,
 * computed from the model and from the checker's comparison of versions (diffVersions), in no output
 * format. Each format's template only arranges it; escaping is that format's helpers' (render.ts).
 */
import type { ConstantModel, FieldModel, GuardModel, Model, NodeModel, PropertyModel, StructModel, VersionModel } from '../../model/index.ts';
import { allNodes } from '../../model/index.ts';
import { diffVersions, type LayoutChange } from '../../check/diff.ts';
import { chainLinks, roleOf, targetText, type FieldRole } from './describe.ts';
import { cTypeText } from '../c/declarator.ts';
import { structDiagram, type StructDiagram } from './diagram.ts';
import { fdtPicture } from '../fdt-picture.ts';
import { handoverGraph, type HandoverGraph } from './graph.ts';
import { anchorOf, fdtLayoutAnchor, structAnchor } from './anchors.ts';

export interface DocsView {
  readonly spdx: string;
  readonly title: string;
  readonly headerPath: string;
  readonly current: string;
  readonly versions: readonly VersionDoc[];
  readonly changelog: readonly ChangeSetDoc[];
}

export interface VersionDoc {
  readonly name: string;
  /** Safe as an HTML id and an RST label. */
  readonly anchor: string;
  /** The id of the FDT layout card, which the graph's FDT boxes link to. */
  readonly fdtAnchor: string;
  readonly isCurrent: boolean;
  readonly origin: string;
  readonly paragraphs: readonly string[];
  readonly khoEntryName: ConstantRefDoc;
  readonly maxSize: ConstantRefDoc;
  /** The FDT as the dtc source syntax would show it, one line each. */
  readonly fdtPicture: readonly string[];
  readonly properties: readonly PropertyDoc[];
  readonly structs: readonly StructDoc[];
  readonly constants: readonly ConstantDoc[];
  readonly guards: readonly GuardModel[];
  readonly graph: HandoverGraph;
}

export interface ConstantRefDoc {
  readonly macro: string;
  readonly c: string;
}

export interface PropertyDoc {
  readonly node: string;
  readonly name: string;
  readonly macro: string;
  readonly value: string;
  readonly doc: string;
}

export interface FieldDoc {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** The C type as the header declares it. */
  readonly type: string;
  readonly role: FieldRole;
  readonly doc: string;
  /** For a physical address: what it points at, in words. */
  readonly pointsAt?: string;
}

export interface StructDoc {
  readonly keyword: 'struct' | 'union';
  readonly name: string;
  readonly anchor: string;
  readonly size: number;
  readonly packed: boolean;
  readonly summary: string;
  readonly description: readonly string[];
  readonly guard: { readonly macro: string; readonly value: string };
  readonly fields: readonly FieldDoc[];
  readonly diagram: StructDiagram;
}

export interface ConstantDoc {
  readonly name: string;
  readonly c: string;
  /** The header that defines it, or '' when the documented header does. */
  readonly include: string;
  readonly doc: string;
}

export interface ChangeSetDoc {
  readonly older: string;
  readonly newer: string;
  readonly anchor: string;
  readonly changes: readonly LayoutChange[];
}

export function docsView(model: Model): DocsView {
  const versions = model.versions;
  return {
    spdx: model.header.spdx,
    title: `${model.name.toUpperCase()} handover ABI`,
    headerPath: model.header.path,
    current: model.current.name,
    versions: versions.map((v) => versionDoc(v, v.name === model.current.name)),
    changelog: versions.slice(1).map((newer, i) => {
      const older = versions[i]!;
      return { older: older.name, newer: newer.name, anchor: `changes-${anchorOf(newer.name)}`, changes: diffVersions(older, newer) };
    }),
  };
}

function versionDoc(version: VersionModel, isCurrent: boolean): VersionDoc {
  const anchor = anchorOf(version.name);
  const links = chainLinks(version);
  return {
    name: version.name,
    anchor,
    fdtAnchor: fdtLayoutAnchor(anchor),
    isCurrent,
    origin: version.origin,
    paragraphs: version.doc.paragraphs,
    khoEntryName: constantRef(version.fdt.khoEntryName),
    maxSize: constantRef(version.fdt.maxSize),
    fdtPicture: fdtPicture(version.fdt.root),
    properties: allNodes(version.fdt.root).flatMap((node) => [compatibleDoc(node), ...node.properties.map((p) => propertyDoc(node, p))]),
    structs: version.structs.map((s) => structDoc(s, version, anchor, links)),
    constants: version.constants.map(constantDoc),
    guards: version.guards,
    graph: handoverGraph(version, anchor),
  };
}

function constantRef(constant: ConstantModel): ConstantRefDoc {
  return { macro: constant.name, c: constant.c };
}

// -----------------------------------------------------------------------------------------------
// The FDT

function compatibleDoc(node: NodeModel): PropertyDoc {
  return {
    node: node.path,
    name: 'compatible',
    macro: node.compatible.macro,
    value: `string "${node.compatible.value}"`,
    doc: `${node.doc} Its compatible string says which form of everything below it the kernel wrote.`,
  };
}

function propertyDoc(node: NodeModel, property: PropertyModel): PropertyDoc {
  const value =
    property.kind === 'string'
      ? 'string'
      : property.kind === 'u64'
        ? 'u64, CPU byte order'
        : `u64 physical address, CPU byte order: ${targetText(property.pointer!.target, property.pointer!.nullable)}`;
  return { node: node.path, name: property.name, macro: property.macro, value, doc: property.doc };
}

// -----------------------------------------------------------------------------------------------
// Structs

function structDoc(struct: StructModel, version: VersionModel, versionAnchor: string, links: ReadonlyMap<string, readonly string[]>): StructDoc {
  const guard = version.guards.find((g) => g.macro === struct.guard)!;
  const fields = withPadding(struct, struct.fields.map((f) => fieldDoc(f, links.get(`${struct.name}.${f.name}`))));
  return {
    keyword: struct.kind,
    name: struct.name,
    anchor: structAnchor(versionAnchor, struct.name),
    size: struct.size,
    packed: struct.packed,
    summary: struct.summary,
    description: struct.description,
    guard: { macro: guard.macro, value: guard.value },
    fields,
    diagram: structDiagram(struct, fields, version),
  };
}

/** A field; `chainEntries` is set when the field links the blocks of chains of those entries. */
function fieldDoc(field: FieldModel, chainEntries?: readonly string[]): FieldDoc {
  const chain = chainEntries !== undefined;
  const pointsAt = chain
    ? `the next block of the same chain (of ${chainEntries.map((e) => `struct ${e}`).join(' or ')} entries). 0 ends the chain.`
    : field.type.kind === 'pointer'
      ? targetText(field.type.target, field.type.nullable)
      : undefined;
  return {
    name: field.name,
    offset: field.offset,
    size: field.size,
    type: cTypeText(field.type),
    role: chain ? 'pointer' : roleOf(field.type),
    doc: field.doc,
    ...(pointsAt ? { pointsAt } : {}),
  };
}

/** Holes gcc leaves in a naturally aligned struct, shown as padding so every byte is accounted for. */
function withPadding(struct: StructModel, fields: readonly FieldDoc[]): FieldDoc[] {
  if (struct.kind === 'union') return [...fields];
  const out: FieldDoc[] = [];
  let end = 0;
  const pad = (upTo: number): void => {
    if (upTo > end) out.push({ name: '', offset: end, size: upTo - end, type: 'padding', role: 'padding', doc: 'Padding inserted by the compiler.' });
  };
  for (const field of fields) {
    pad(field.offset);
    out.push(field);
    end = Math.max(end, field.offset + field.size);
  }
  pad(struct.size);
  return out;
}

// -----------------------------------------------------------------------------------------------
// Constants

function constantDoc(constant: ConstantModel): ConstantDoc {
  return {
    name: constant.name,
    c: constant.c,
    include: constant.include ?? '',
    doc: constant.doc ?? '',
  };
}
