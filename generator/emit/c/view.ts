/**
 * The C header's view model: every line of a generated header that depends on the schema, computed
 * from the model. The Handlebars template (templates/c/header.h.hbs) only arranges these pieces.
 */
import {
  findHeader,
  memberDeclaration,
  spellingMacros,
  versionNodes,
  type FieldModel,
  type Model,
  type PropertyModel,
  type StructModel,
  type VersionModel,
} from '../../model/index.ts';
import { fdtPicture } from '../fdt-picture.ts';
import { containerSentence, guardSentence, structGuardSentence } from '../prose.ts';
import { wrap, wrapHanging } from '../text.ts';
import { defineLines, placeDefinitions, structTexts, type Definition } from './definitions.ts';
import { headerIncludes } from './includes.ts';

const COLUMNS = 80;

/** The line every generated header carries, saying how to make it again (generate --kernel-tree says the same). */
export const REGENERATE_LINE = ' * Generated from the luo-abi schema: edit the schema, then run `luo-abi generate`.';

export interface CHeaderView {
  readonly spdx: string;
  /** The copyright comment's lines, each already prefixed. */
  readonly banner: readonly string[];
  readonly includeGuard: string;
  readonly includes: readonly string[];
  /** The DOC block's comment lines, each already prefixed (` * ...` or ` *`). */
  readonly docBlock: readonly string[];
  /** What follows the includes, in order: groups of #defines, enums and structs. */
  readonly sections: readonly CSectionView[];
}

/** One of the three; the others are false (the template's strict mode wants every key present). */
export interface CSectionView {
  readonly defines: readonly string[] | false;
  readonly enumeration: CEnumView | false;
  readonly struct: CStructView | false;
}

export interface CEnumView {
  /** The comment's opening (`/**` for kernel-doc, `/*` otherwise) and lines; no comment if empty. */
  readonly opener: string;
  readonly comment: readonly string[];
  readonly name: string;
  readonly members: readonly string[];
}

export interface CStructView {
  readonly opener: string;
  readonly comment: readonly string[];
  readonly keyword: 'struct' | 'union';
  readonly name: string;
  /** Member lines without the leading tab (an inline union spans several). */
  readonly members: readonly string[];
  readonly attributes: string;
  /** sizeof as C text, or '' when no one text holds at every page size (no static_assert then). */
  readonly sizeC: string;
}

export function cHeaderView(model: Model, version: VersionModel): CHeaderView {
  const header = findHeader(model, version.header);
  const slots = placeDefinitions(version);
  const sections: CSectionView[] = [];
  slots.forEach((definitions, slot) => {
    sections.push(...definitionSections(definitions));
    const struct = version.structs[slot];
    if (struct) sections.push({ defines: false, enumeration: false, struct: structView(struct) });
  });
  const printed = slots.flat().flatMap((d) => (d.kind === 'constant' ? [d.constant.c] : d.members.map((m) => m.c)));
  const sizes = version.structs.map((s) => s.sizeC).filter(Boolean);
  return {
    spdx: header.spdx,
    banner: [...header.copyright.map((line) => (line ? ` * ${line}` : ' *')), ...(header.copyright.length > 0 ? [' *'] : []), REGENERATE_LINE],
    includeGuard: header.includeGuard,
    includes: headerIncludes(model, version, [...printed, ...version.structs.flatMap(structTexts), ...sizes], sizes.length > 0),
    docBlock: docBlock(model, version),
    sections,
  };
}

// -----------------------------------------------------------------------------------------------
// #defines and enums

/** Consecutive plain #defines form one aligned group; CONFIG-guarded ones an #ifdef block each. */
function definitionSections(definitions: readonly Definition[]): CSectionView[] {
  const sections: CSectionView[] = [];
  let group: Definition[] = [];
  const flush = (): void => {
    if (group.length === 0) return;
    const constants = group.flatMap((d) => (d.kind === 'constant' ? [d.constant] : []));
    const config = constants[0]!.config;
    const lines = defineLines(constants);
    sections.push({ defines: config ? [`#ifdef ${config}`, ...lines, '#endif'] : lines, enumeration: false, struct: false });
    group = [];
  };
  for (const d of definitions) {
    if (d.kind === 'enum') {
      flush();
      sections.push({ defines: false, enumeration: enumView(d), struct: false });
      continue;
    }
    const previous = group[0];
    if (previous?.kind === 'constant' && previous.constant.config !== d.constant.config) flush();
    group.push(d);
  }
  flush();
  return sections;
}

function enumView(definition: Extract<Definition, { kind: 'enum' }>): CEnumView {
  const { enumeration, members } = definition;
  // kernel-doc wants every member described; with one undescribed, the doc is a plain comment.
  const kernelDoc = enumeration.doc !== undefined && members.every((m) => m.doc);
  const comment = kernelDoc
    ? [` * enum ${enumeration.name} - ${enumeration.doc}`, ...members.flatMap((m) => commentParagraph(`@${m.name}: ${m.doc}`, ' * ', ' *     '))]
    : enumeration.doc
      ? commentParagraph(enumeration.doc)
      : [];
  return {
    opener: kernelDoc ? '/**' : '/*',
    comment,
    name: enumeration.name,
    members: members.map((m) => `${m.name} = ${m.c},`),
  };
}

// -----------------------------------------------------------------------------------------------
// The DOC block: prose from the schema, then where the state lives, then what guards what

function commentParagraph(text: string, first = ' * ', rest = ' * '): string[] {
  return wrapHanging(text, first, rest, COLUMNS);
}

function docBlock(model: Model, version: VersionModel): string[] {
  const lines: string[] = [` * DOC: ${version.doc.title}`];
  const paragraph = (text: string): void => {
    lines.push(' *', ...commentParagraph(text));
  };
  version.doc.paragraphs.forEach(paragraph);
  const container = containerSentence(model, version.container);
  if (container) paragraph(container);
  if (version.container?.kind === 'fdt') {
    lines.push(' *', ' * The FDT has this layout::', ' *');
    lines.push(...fdtPicture(version.container.root, '   ').map((line) => (line ? ` *${line}` : ' *')));
    for (const node of versionNodes(version)) {
      paragraph(`${node.path === '/' ? 'Root node (/)' : `Node ${node.path} (${node.nameMacro})`}: ${node.doc}`);
      lines.push(' *', ...commentParagraph(`compatible: "${node.compatible.value}", the value of ${node.compatible.macro}.`, ' * - ', ' *   '));
      for (const property of node.properties) {
        lines.push(...commentParagraph(`${property.name} (${property.macro}): ${propertyKind(property)}. ${property.doc}`, ' * - ', ' *   '));
      }
    }
  }
  if (version.guards.length > 0) {
    lines.push(' *', ' * Compatibility:');
    for (const guard of version.guards) paragraph(guardSentence(model, version, guard));
  }
  return lines;
}

function propertyKind(property: PropertyModel): string {
  switch (property.kind) {
    case 'string':
      return 'string';
    case 'u64':
      return 'u64 in CPU byte order';
    case 'pointer':
      return 'u64 physical address in CPU byte order';
  }
}

// -----------------------------------------------------------------------------------------------
// Structs

function structView(struct: StructModel): CStructView {
  return {
    // kernel-doc cannot read DECLARE_KHOSER_PTR members: such a struct's comment is a plain one.
    opener: struct.fields.some((f) => spellingMacros(f.type).includes('DECLARE_KHOSER_PTR')) ? '/*' : '/**',
    comment: structComment(struct),
    keyword: struct.kind,
    name: struct.name,
    members: struct.fields.flatMap(memberLines),
    attributes: struct.packed ? ' __packed' : '',
    sizeC: struct.sizeC,
  };
}

/** A member's lines; an anonymous union or struct says what it is for in a comment above it. */
function memberLines(field: FieldModel): string[] {
  const declaration = memberDeclaration(field, '\t');
  if (!field.anonymous) return declaration;
  // Inside the struct, one tab in: room for the text between "/* " and " */".
  const words = wrap(field.doc, COLUMNS - 8 - 6);
  const comment = words.length === 1 ? [`/* ${words[0]} */`] : ['/*', ...words.map((line) => ` * ${line}`), ' */'];
  return [...comment, ...declaration];
}

/** kernel-doc's member lines: an anonymous member's members by their own names, a named inline one's as `@outer.inner`. */
function memberDocs(fields: readonly FieldModel[], prefix = ''): string[] {
  return fields.flatMap((field) => {
    const inline = field.type.kind === 'inline' ? field.type.fields : [];
    if (field.anonymous) return memberDocs(inline, prefix);
    const name = `${prefix}${field.name}`;
    return [...commentParagraph(`@${name}: ${field.doc}`, ' * ', ' *     '), ...memberDocs(inline, `${name}.`)];
  });
}

function structComment(struct: StructModel): string[] {
  // kernel-doc wants the purpose on the name line: it is never wrapped (validation keeps it short).
  const lines = [` * ${struct.kind} ${struct.name} - ${struct.summary}`, ...memberDocs(struct.fields)];
  for (const paragraph of struct.description) lines.push(' *', ...commentParagraph(paragraph));
  lines.push(' *', ...commentParagraph(structGuardSentence(struct)));
  return lines;
}
