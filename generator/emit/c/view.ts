/**
 * The C header's view model: every line of luo.h that depends on the schema, computed from the model.
 * The Handlebars template (templates/c/luo.h.hbs) only arranges these pieces.
 */
import { allNodes, type FieldModel, type Model, type PropertyModel, type StructModel, type VersionModel } from '../../model/index.ts';
import { fdtPicture } from '../fdt-picture.ts';
import { displayWidth, wrapHanging } from '../text.ts';
import { declarator } from './declarator.ts';

const COLUMNS = 80;

/** Headers every generated header includes, for u64 and static_assert. */
const BASE_INCLUDES = ['<linux/build_bug.h>', '<linux/types.h>'];

export interface CHeaderView {
  readonly spdx: string;
  readonly banner: readonly string[];
  readonly includeGuard: string;
  readonly includes: readonly string[];
  /** The DOC block's comment lines, each already prefixed (` * ...` or ` *`). */
  readonly docBlock: readonly string[];
  readonly defines: readonly string[];
  readonly structs: readonly CStructView[];
}

export interface CStructView {
  readonly comment: readonly string[];
  readonly keyword: 'struct' | 'union';
  readonly name: string;
  readonly members: readonly string[];
  readonly attributes: string;
  readonly size: number;
}

export function cHeaderView(model: Model, version: VersionModel): CHeaderView {
  return {
    spdx: model.header.spdx,
    banner: model.header.copyright,
    includeGuard: model.header.includeGuard,
    includes: [...BASE_INCLUDES, ...version.includes],
    docBlock: docBlock(version),
    defines: defines(version),
    structs: version.structs.map((s) => structView(s)),
  };
}

// -----------------------------------------------------------------------------------------------
// #defines, aligned on one tab stop

function defines(version: VersionModel): string[] {
  const own = version.constants.filter((c) => !c.include);
  const heads = own.map((c) => `#define ${c.name}`);
  const column = (Math.floor(Math.max(...heads.map((h) => displayWidth(h))) / 8) + 1) * 8;
  return own.map((c, i) => {
    const head = heads[i]!;
    const tabs = Math.ceil((column - displayWidth(head)) / 8);
    return `${head}${'\t'.repeat(Math.max(1, tabs))}${c.c}`;
  });
}

// -----------------------------------------------------------------------------------------------
// The DOC block: prose from the schema, the FDT picture and property list from the model

function commentParagraph(text: string, first = ' * ', rest = ' * '): string[] {
  return wrapHanging(text, first, rest, COLUMNS);
}

function docBlock(version: VersionModel): string[] {
  const lines: string[] = [` * DOC: ${version.doc.title}`];
  const blank = (): void => void lines.push(' *');
  for (const paragraph of version.doc.paragraphs) {
    blank();
    lines.push(...commentParagraph(paragraph));
  }
  blank();
  lines.push(' * The FDT has this layout::');
  blank();
  lines.push(...fdtPicture(version.fdt.root, '   ').map((line) => (line ? ` *${line}` : ' *')));
  for (const node of allNodes(version.fdt.root)) {
    blank();
    lines.push(...commentParagraph(`${node.path === '/' ? 'Root node (/)' : `Node ${node.path} (${node.nameMacro})`}: ${node.doc}`));
    blank();
    lines.push(...commentParagraph(`compatible: "${node.compatible.value}", the value of ${node.compatible.macro}.`, ' * - ', ' *   '));
    for (const property of node.properties) {
      lines.push(...commentParagraph(`${property.name} (${property.macro}): ${propertyKind(property)}. ${property.doc}`, ' * - ', ' *   '));
    }
  }
  blank();
  lines.push(' * Compatibility:');
  for (const guard of version.guards) {
    blank();
    const guarded = [`the properties of ${guard.node === '/' ? 'the root node' : `the node ${guard.node}`}`, ...guard.structs.map((s) => `struct ${s}`)];
    const outer = guard.outer.length > 0 ? ` A new value of ${listText(guard.outer)} covers them too, as the next kernel checks that string first.` : '';
    lines.push(
      ...commentParagraph(
        `${guard.macro} ("${guard.value}") guards ${listText(guarded)}. Any change to what it guards, to a layout or to what an address points at, must come with a new value of ${guard.macro}.${outer}`,
      ),
    );
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

function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

// -----------------------------------------------------------------------------------------------
// Structs

function structView(struct: StructModel): CStructView {
  return {
    comment: structComment(struct),
    keyword: struct.kind,
    name: struct.name,
    members: struct.fields.map(memberDeclaration),
    attributes: struct.packed ? ' __packed' : '',
    size: struct.size,
  };
}

function structComment(struct: StructModel): string[] {
  // kernel-doc wants the purpose on the name line: it is never wrapped (validation keeps it short).
  const lines = [` * ${struct.kind} ${struct.name} - ${struct.summary}`];
  for (const field of struct.fields) lines.push(...commentParagraph(`@${field.name}: ${field.doc}`, ' * ', ' *     '));
  for (const paragraph of struct.description) {
    lines.push(' *');
    lines.push(...commentParagraph(paragraph));
  }
  lines.push(' *');
  lines.push(...commentParagraph(`If this structure is modified, ${struct.guard} must be updated.`));
  return lines;
}

function memberDeclaration(field: FieldModel): string {
  const { base, suffix } = declarator(field.type);
  return `${base} ${field.name}${suffix};`;
}
