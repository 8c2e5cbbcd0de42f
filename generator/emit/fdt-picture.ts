/** The LUO FDT drawn in dtc's source syntax, one line each: the same picture in luo.h and the docs. */
import { targetStructs, type NodeModel, type PropertyModel } from '../model/index.ts';

export function fdtPicture(node: NodeModel, indent = ''): string[] {
  const inner = `${indent}    `;
  const lines = [
    `${indent}${node.path === '/' ? '/' : node.name} {`,
    `${inner}compatible = "${node.compatible.value}";`,
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
    case 'pointer':
      return `<PA of struct ${targetStructs(property.pointer!.target)[0]}>`;
  }
}
