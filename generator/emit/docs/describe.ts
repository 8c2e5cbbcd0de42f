/** Words and type names the docs use for the model's types and pointers, in every format. */
import type { TargetModel, TypeInfo, VersionModel } from '../../model/index.ts';
import { allNodes, targetStructs } from '../../model/index.ts';

/** How a field is coloured and described: what kind of value it holds. */
export type FieldRole = 'pointer' | 'number' | 'chars' | 'struct' | 'array' | 'padding';

/** The struct found at the address itself. */
export function entryPoint(target: TargetModel): string {
  return targetStructs(target)[0]!;
}


export function roleOf(type: TypeInfo): FieldRole {
  switch (type.kind) {
    case 'scalar':
      return 'number';
    case 'pointer':
      return 'pointer';
    case 'chars':
      return 'chars';
    case 'aggregate':
      return 'struct';
    case 'array':
    case 'flexible':
      return 'array';
  }
}

/** What a physical address points at, in words. */
export function targetText(target: TargetModel, nullable: boolean): string {
  const none = nullable ? ' 0 means none.' : ' Never 0.';
  switch (target.shape) {
    case 'struct':
      return `one struct ${target.struct}.${none}`;
    case 'header-array':
      return `struct ${target.header} followed in the same block (${blockText(target)}) by ${target.count} entries of struct ${target.entry}.${none}`;
    case 'array':
      return `an array of ${target.count} struct ${target.entry} (${blockText(target)}).${none}`;
    case 'chain':
      return `the first block of a chain (${blockText(target)} each): struct ${target.header} followed by its ${target.count} entries of struct ${target.entry}, linked by ${target.next} (0 ends the chain)${target.total ? `; ${target.total} holds the total over the chain` : ''}.${none}`;
  }
}

function blockText(target: Extract<TargetModel, { block: unknown }>): string {
  const block = target.block;
  if (block.kind === 'header-field') return `its size in pages in ${block.field}`;
  return `${block.pages} ${block.pages === 1 ? 'page' : 'pages'}`;
}


/**
 * The u64 fields that link the blocks of a chain (`header.next`), keyed `struct.field`, with the
 * structs of the entries of every chain they link (one header may serve several chains). Plain
 * numbers in the struct, but physical addresses all the same, so the docs colour and explain them as
 * such.
 */
export function chainLinks(version: VersionModel): Map<string, string[]> {
  const links = new Map<string, string[]>();
  const visit = (target: TargetModel): void => {
    if (target.shape !== 'chain') return;
    const key = `${target.header}.${target.next}`;
    const entries = links.get(key) ?? [];
    if (!entries.includes(target.entry)) entries.push(target.entry);
    links.set(key, entries);
  };
  for (const node of allNodes(version.fdt.root)) for (const p of node.properties) if (p.pointer) visit(p.pointer.target);
  for (const struct of version.structs) for (const f of struct.fields) if (f.type.kind === 'pointer') visit(f.type.target);
  return links;
}
