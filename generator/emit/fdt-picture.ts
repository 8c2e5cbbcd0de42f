/** An FDT container drawn in dtc's source syntax, one line each: the same picture in the C header and the docs. */
import { targetStructs, type NodeModel, type PropertyModel } from '../model/index.ts';

export function fdtPicture(node: NodeModel, indent = ''): string[] {
  const inner = `${indent}    `;
  const lines = [
    `${indent}${node.path === '/' ? '/' : node.anyName !== undefined ? `<${node.anyName}>` : node.name} {`,
    ...(node.compatible ? [`${inner}compatible = "${node.compatible.value}";`] : []),
    ...node.properties.map((p) => `${inner}${p.name} = ${pictureValue(p)};`),
  ];
  for (const child of node.children) lines.push('', ...fdtPicture(child, inner));
  lines.push(`${indent}};`);
  return lines;
}

function pictureValue(property: PropertyModel): string {
  switch (property.kind) {
    case 'string':
      return '"..."';
    case 'u64':
      return '<u64>';
    case 'pointer': {
      // A struct, or what a selector string chooses (no struct of this header).
      const first = targetStructs(property.pointer!.target)[0];
      return first ? `<PA of struct ${first}>` : '<PA>';
    }
  }
}
