/**
 * A decoded image as an indented tree, for people: written as the values come (TreeWriter, a
 * ValueSink), so that a state of any size prints in the memory of one line.
 */
import { hex } from './errors.ts';
import type { BlockInfo, DecodedImage } from './state.ts';
import { emitState, type SinkKey, type ValueSink } from './stream.ts';

const INDENT = '  ';
/** Blocks listed one by one up to this many; beyond, a summary. */
const BLOCKS_SHOWN = 64;

export function formatTree(image: DecodedImage): string {
  let text = '';
  const write = (piece: string) => void (text += piece);
  emitState(image.state, new TreeWriter(write), image.preserved);
  const blocks = image.blocks;
  write(formatBlocks(blocks.length, blocks.reduce((sum, b) => sum + b.size, 0), (i) => blocks[i]!));
  return text;
}

/** The list of blocks read that follows the tree: `count` blocks of `bytes` in all, the first few by address. */
export function formatBlocks(count: number, bytes: number, block: (index: number) => BlockInfo): string {
  const lines = ['', `memory read: ${count} blocks, ${bytes} bytes`];
  for (let i = 0; i < Math.min(count, BLOCKS_SHOWN); i++) {
    const b = block(i);
    lines.push(`${INDENT}${hex(b.pa)}  ${String(b.size).padStart(6)} bytes  ${b.what}  (${b.place})`);
  }
  if (count > BLOCKS_SHOWN) lines.push(`${INDENT}... and ${count - BLOCKS_SHOWN} more`);
  return lines.join('\n') + '\n';
}

/**
 * What an open container is in the state: the state itself, a node, a node's properties or children,
 * or a value (struct or array) with its label line at `depth`.
 */
interface Frame {
  role: 'state' | 'node' | 'properties' | 'children' | 'object' | 'array';
  readonly depth: number;
  readonly label: string;
  /** A node's: whether its line is out (with its compatible string, or before its properties when it has none). */
  shown?: boolean;
}

/**
 * The tree: `version X`, then each node as `path (compatible "X")` with its properties and subnodes
 * indented beneath, a struct as `label:` and its fields, an array as `label: N entries` and its
 * `[i]` elements, a null pointer as `label: none`, integers above 9 with their hex.
 */
export class TreeWriter implements ValueSink {
  readonly lengths = true;
  private readonly frames: Frame[] = [];

  constructor(private readonly write: (text: string) => void) {}

  open(key: SinkKey, kind: 'object' | 'array', length?: number): void {
    const parent = this.frames[this.frames.length - 1];
    if (!parent) return this.push('state', 0, '');
    switch (parent.role) {
      case 'state': {
        // A client's or a handler's state sits beneath the member that holds it.
        const depth = this.frames.length === 1 ? 0 : parent.depth + 1;
        if (key === 'root') return this.push('node', depth, '/');
        // The struct a raw KHO entry holds, what a handler's address leads to, the warnings.
        this.line(depth, kind === 'object' || length === undefined ? `${String(key)}:` : `${String(key)}: ${length} ${length === 1 ? 'entry' : 'entries'}`);
        return this.push(kind, depth, String(key));
      }
      case 'node':
        if (!parent.shown) this.line(parent.depth, parent.label);
        parent.shown = true;
        return this.push(key === 'children' ? 'children' : 'properties', parent.depth + 1, '');
      case 'children':
        return this.push('node', parent.depth, String(key));
      default: {
        parent.shown = true;
        const { depth, label } = this.member(parent, key);
        this.line(depth, kind === 'object' || length === undefined ? `${label}:` : `${label}: ${length} ${length === 1 ? 'entry' : 'entries'}`);
        this.push(kind, depth, label);
      }
    }
  }

  close(): void {
    this.frames.pop();
  }

  value(key: SinkKey, value: string | number | bigint | null): void {
    const parent = this.frames[this.frames.length - 1]!;
    if (parent.role === 'object' && key === 'version' && !parent.shown) {
      // An object that opens with its version is a state of its own: a client's, a handler's.
      parent.role = 'state';
      return this.line(parent.depth + 1, `version ${String(value)}`);
    }
    if (parent.role === 'state') return key === 'version' ? this.line(this.frames.length === 1 ? 0 : parent.depth + 1, `version ${String(value)}`) : this.line(0, `${String(key)}: ${formatScalar(value)}`);
    parent.shown = true;
    if (parent.role === 'node') {
      parent.shown = true;
      return this.line(parent.depth, `${parent.label} (compatible "${String(value)}")`);
    }
    const { depth, label } = this.member(parent, key);
    this.line(depth, `${label}: ${formatScalar(value)}`);
  }

  end(): void {}

  private push(role: Frame['role'], depth: number, label: string): void {
    this.frames.push({ role, depth, label });
  }

  /** Where a member of `parent` goes, and its label. */
  private member(parent: Frame, key: SinkKey): { depth: number; label: string } {
    const depth = parent.role === 'properties' ? parent.depth : parent.depth + 1;
    return { depth, label: typeof key === 'number' ? `[${key}]` : String(key) };
  }

  private line(depth: number, text: string): void {
    this.write(`${INDENT.repeat(depth)}${text}\n`);
  }
}

function formatScalar(value: string | number | bigint | null): string {
  if (value === null) return 'none';
  if (typeof value === 'bigint') return `${value}${value > 9n ? ` (${hex(value)})` : ''}`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
