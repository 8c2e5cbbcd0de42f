/** A decoded image as an indented tree, for people. */
import { hex } from './errors.ts';
import type { BlockInfo, DecodedImage, NodeState } from './state.ts';

const INDENT = '  ';
/** Blocks listed one by one up to this many; beyond, a summary. */
const BLOCKS_SHOWN = 64;

export function formatTree(image: DecodedImage): string {
  const lines: string[] = [`version ${image.state.version}`];
  if ('entry' in image.state) formatValue('entry', image.state.entry, 0, lines);
  else formatNode('/', image.state.root, 0, lines);
  lines.push('', ...formatBlocks(image.blocks));
  return lines.join('\n') + '\n';
}

function formatNode(path: string, node: NodeState, depth: number, lines: string[]): void {
  const pad = INDENT.repeat(depth);
  lines.push(`${pad}${path} (compatible "${node.compatible}")`);
  for (const [name, value] of Object.entries(node.properties)) formatValue(name, value, depth + 1, lines);
  for (const [name, child] of Object.entries(node.children)) formatNode(name, child, depth + 1, lines);
}

function formatValue(label: string, value: unknown, depth: number, lines: string[]): void {
  const pad = INDENT.repeat(depth);
  if (value === null) {
    lines.push(`${pad}${label}: none`);
  } else if (Array.isArray(value)) {
    lines.push(`${pad}${label}: ${value.length} ${value.length === 1 ? 'entry' : 'entries'}`);
    value.forEach((element, i) => formatValue(`[${i}]`, element, depth + 1, lines));
  } else if (typeof value === 'object') {
    lines.push(`${pad}${label}:`);
    for (const [name, field] of Object.entries(value as Record<string, unknown>)) formatValue(name, field, depth + 1, lines);
  } else if (typeof value === 'bigint') {
    lines.push(`${pad}${label}: ${value}${value > 9n ? ` (${hex(value)})` : ''}`);
  } else {
    lines.push(`${pad}${label}: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
}

function formatBlocks(blocks: readonly BlockInfo[]): string[] {
  const bytes = blocks.reduce((sum, b) => sum + b.size, 0);
  const lines = [`memory read: ${blocks.length} blocks, ${bytes} bytes`];
  for (const block of blocks.slice(0, BLOCKS_SHOWN)) {
    lines.push(`${INDENT}${hex(block.pa)}  ${String(block.size).padStart(6)} bytes  ${block.what}  (${block.place})`);
  }
  if (blocks.length > BLOCKS_SHOWN) lines.push(`${INDENT}... and ${blocks.length - BLOCKS_SHOWN} more`);
  return lines;
}
