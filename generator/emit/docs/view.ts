/**
 * The reference docs' view model: everything <header>.md, <header>.rst and index.html say about the
 * ABI, computed from the model and from the checker's comparison of versions (diffVersions), in no
 * output format. Each format's template only arranges it; escaping is that format's helpers'
 * (render.ts).
 */
import { basename } from 'node:path';
import {
  chainLinks,
  cTypeText,
  findHeader,
  memberDeclaration,
  targetSentence,
  versionNodes,
  type ConstantModel,
  type FieldModel,
  type HeaderModel,
  type Model,
  type NodeModel,
  type PropertyModel,
  type StructModel,
  type VersionModel,
} from '../../model/index.ts';
import type { LayoutChange } from '../../model/diff.ts';
import { versionChanges } from '../../features/changelog.ts';
import { fdtPicture } from '../fdt-picture.ts';
import { containerSentence, featuresGuarding, guardSentence, structGuardText } from '../prose.ts';
import { changelogAnchor, containerAnchor, headerAnchor, structAnchor, versionAnchor } from './anchors.ts';
import { roleOf, type FieldRole } from './describe.ts';
import { structDiagram, type StructDiagram } from './diagram.ts';
import { handoverGraph, type HandoverGraph } from './graph.ts';

/** The family page: one section per header. */
export interface FamilyDocsView {
  readonly title: string;
  readonly headers: readonly HeaderDoc[];
}

export interface HeaderDoc {
  readonly spdx: string;
  readonly name: string;
  /** `luo.h`. */
  readonly file: string;
  readonly title: string;
  readonly anchor: string;
  readonly changelogAnchor: string;
  /** `include/linux/kho/abi/luo.h`. */
  readonly headerPath: string;
  readonly current: string;
  readonly versions: readonly VersionDoc[];
  readonly changelog: readonly ChangeSetDoc[];
}

export interface VersionDoc {
  readonly name: string;
  /** Safe as an HTML id and an RST label. */
  readonly anchor: string;
  readonly isCurrent: boolean;
  readonly origin: string;
  readonly paragraphs: readonly string[];
  /** The versions of other headers it includes. */
  readonly uses: readonly UseDoc[];
  /** Where the state lives; false for a header whose structs others use. */
  readonly container: ContainerDoc | false;
  readonly structs: readonly StructDoc[];
  readonly constants: readonly ConstantDoc[];
  readonly guards: readonly GuardDoc[];
  readonly graph: HandoverGraph | false;
}

export interface UseDoc {
  readonly file: string;
  readonly version: string;
  readonly anchor: string;
}

export interface ContainerDoc {
  /** The id of the card, which the graph's first box links to. */
  readonly anchor: string;
  readonly title: string;
  readonly sentence: string;
  readonly fdt: { readonly picture: readonly string[]; readonly properties: readonly PropertyDoc[] } | false;
}

export interface PropertyDoc {
  readonly node: string;
  readonly name: string;
  /** Absent where the kernel writes the name as a literal. */
  readonly macro?: string;
  readonly value: string;
  readonly doc: string;
}

export interface GuardDoc {
  readonly macro: string;
  readonly value: string;
  readonly sentence: string;
}

export interface FieldDoc {
  /** The model's name ('' for padding); an anonymous member's is the schema's, not C's. */
  readonly name: string;
  /** What a reader calls it: the name, or `(anonymous union)`. */
  readonly label: string;
  readonly anonymous: boolean;
  /** Byte offset (of the first byte holding a bit-field's bits). */
  readonly offset: number;
  /** `8`, or `52 bits` for a bit-field. */
  readonly sizeText: string;
  /** Where it is, in bits: a bit-field's own bits, a byte field's whole bytes. */
  readonly bitOffset: number;
  readonly bitSize: number;
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
  /** `24 bytes`, or `PAGE_SIZE bytes, 4096 with 4 KiB pages` where the size follows the page size. */
  readonly sizeText: string;
  readonly packed: boolean;
  readonly summary: string;
  readonly description: readonly string[];
  readonly guard: { readonly macro: string; readonly value: string } | false;
  /** What guards it where feature bits do (they take the place of `guard`): `feature bit LUO_FEATURE_SESSIONS`. */
  readonly featureGuard: string | false;
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

export function familyDocsView(model: Model): FamilyDocsView {
  return { title: `${model.name} handover ABI headers`, headers: model.headers.map((h) => headerDoc(model, h)) };
}

export function headerDoc(model: Model, header: HeaderModel): HeaderDoc {
  const versions = header.versions;
  const file = basename(header.path);
  return {
    spdx: header.spdx,
    name: header.name,
    file,
    title: `${file} handover ABI`,
    anchor: headerAnchor(header.name),
    changelogAnchor: changelogAnchor(header.name),
    headerPath: header.path,
    current: header.current.name,
    versions: versions.map((v) => versionDoc(model, v, v.name === header.current.name)),
    changelog: versions.slice(1).map((newer, i) => {
      const older = versions[i]!;
      return { older: older.name, newer: newer.name, anchor: `changes-${versionAnchor(newer.name)}`, changes: versionChanges(older, newer) };
    }),
  };
}

function versionDoc(model: Model, version: VersionModel, isCurrent: boolean): VersionDoc {
  const links = chainLinks(version);
  return {
    name: version.name,
    anchor: versionAnchor(version.name),
    isCurrent,
    origin: version.origin,
    paragraphs: version.doc.paragraphs,
    uses: version.uses.map((ref) => ({ file: basename(findHeader(model, ref.header).path), version: ref.version, anchor: versionAnchor(ref.version) })),
    container: containerDoc(model, version),
    structs: version.structs.map((s) => structDoc(s, version, links, model.target.pageSize)),
    constants: version.constants.map(constantDoc),
    guards: version.guards.map((g) => ({ macro: g.macro, value: g.value, sentence: guardSentence(model, version, g) })),
    graph: version.container ? handoverGraph(model, version) : false,
  };
}

// -----------------------------------------------------------------------------------------------
// Where the state lives

const CONTAINER_TITLE = { fdt: 'FDT layout', 'kho-entry': 'KHO entry', 'reached-from': 'Reached from' } as const;

function containerDoc(model: Model, version: VersionModel): ContainerDoc | false {
  const container = version.container;
  if (!container) return false;
  return {
    anchor: containerAnchor(version.name),
    title: CONTAINER_TITLE[container.kind],
    sentence: containerSentence(model, container),
    fdt:
      container.kind === 'fdt'
        ? { picture: fdtPicture(container.root), properties: versionNodes(version).flatMap((node) => [...compatibleDoc(node), ...node.properties.map((p) => propertyDoc(node, p))]) }
        : false,
  };
}

function compatibleDoc(node: NodeModel): PropertyDoc[] {
  if (!node.compatible) return [];
  return [
    {
      node: node.path,
      name: 'compatible',
      macro: node.compatible.macro,
      value: `string "${node.compatible.value}"`,
      doc: `${node.doc} Its compatible string says which form of everything below it the kernel wrote.`,
    },
  ];
}

function propertyDoc(node: NodeModel, property: PropertyModel): PropertyDoc {
  const value =
    property.kind === 'string'
      ? 'string'
      : property.kind === 'u64'
        ? 'u64, CPU byte order'
        : `u64 physical address, CPU byte order: ${targetSentence(property.pointer!.target, property.pointer!.nullable)}`;
  return { node: node.path, name: property.name, ...(property.macro ? { macro: property.macro } : {}), value, doc: property.doc };
}

// -----------------------------------------------------------------------------------------------
// Structs

function structDoc(struct: StructModel, version: VersionModel, links: ReadonlyMap<string, readonly string[]>, pageSize: number): StructDoc {
  const features = featuresGuarding(version, struct.name);
  const guard = features ? undefined : version.guards.find((g) => g.macro === struct.guard);
  const fields = withPadding(struct, struct.fields.map((f) => fieldDoc(f, links.get(`${struct.name}.${f.name}`))));
  return {
    keyword: struct.kind,
    name: struct.name,
    anchor: structAnchor(version.name, struct.name),
    size: struct.size,
    sizeText: struct.sizeC === String(struct.size) ? `${struct.size} bytes` : `${struct.sizeC || 'page-size dependent'} bytes, ${struct.size} with ${pageSize / 1024} KiB pages`,
    packed: struct.packed,
    summary: struct.summary,
    description: struct.description,
    guard: guard ? { macro: guard.macro, value: guard.value } : false,
    featureGuard: features ? structGuardText(struct, features) : false,
    fields,
    diagram: structDiagram(struct, fields, version),
  };
}

/** The C type of a member as docs show it; a struct or union declared in place with its members. */
export function typeText(field: FieldModel): string {
  const type = field.type;
  if (type.kind !== 'inline') return cTypeText(type);
  return `${type.aggregate} { ${type.fields.map((f) => memberDeclaration(f, '').join(' ')).join(' ')} }`;
}

/** A field; `chainEntries` is set when the field links the blocks of chains of those entries. */
function fieldDoc(field: FieldModel, chainEntries?: readonly string[]): FieldDoc {
  const chain = chainEntries !== undefined;
  const pointsAt = chain
    ? `the next block of the same chain (of ${chainEntries.map((e) => `struct ${e}`).join(' or ')} entries). 0 ends the chain.`
    : field.type.kind === 'pointer'
      ? targetSentence(field.type.target, field.type.nullable)
      : undefined;
  const bits = field.bits;
  const bitOffset = field.offset * 8 + (bits?.shift ?? 0);
  const bitSize = bits?.width ?? field.size * 8;
  const anonymous = field.anonymous === true;
  return {
    name: field.name,
    label: anonymous && field.type.kind === 'inline' ? `(anonymous ${field.type.aggregate})` : field.name,
    anonymous,
    offset: field.offset,
    sizeText: bits ? `${bits.width} bits` : String(field.size),
    bitOffset,
    bitSize,
    type: typeText(field),
    role: chain ? 'pointer' : roleOf(field.type),
    doc: bits ? `Bits ${bitOffset}-${bitOffset + bitSize - 1} of the struct. ${field.doc}` : field.doc,
    ...(pointsAt ? { pointsAt } : {}),
  };
}

/** Holes gcc leaves in a naturally aligned struct (and bits no bit-field uses), shown as padding so every bit is accounted for. */
function withPadding(struct: StructModel, fields: readonly FieldDoc[]): FieldDoc[] {
  if (struct.kind === 'union') return [...fields];
  const out: FieldDoc[] = [];
  let end = 0;
  const pad = (upTo: number): void => {
    if (upTo <= end) return;
    const bytes = (upTo - end) / 8;
    out.push({
      name: '',
      label: '',
      anonymous: false,
      offset: Math.floor(end / 8),
      sizeText: Number.isInteger(bytes) ? String(bytes) : `${upTo - end} bits`,
      bitOffset: end,
      bitSize: upTo - end,
      type: 'padding',
      role: 'padding',
      doc: 'Padding inserted by the compiler.',
    });
  };
  for (const field of fields) {
    pad(field.bitOffset);
    out.push(field);
    end = Math.max(end, field.bitOffset + field.bitSize);
  }
  pad(struct.size * 8);
  return out;
}

// -----------------------------------------------------------------------------------------------
// Constants

function constantDoc(constant: ConstantModel): ConstantDoc {
  return {
    name: constant.params ? `${constant.name}(${constant.params.join(', ')})` : constant.name,
    c: constant.c,
    include: constant.include ?? '',
    doc: [constant.doc ?? '', constant.config ? `Defined only with ${constant.config}.` : ''].filter(Boolean).join(' '),
  };
}
