/**
 * Which ABI version a LUO FDT is: the one whose every node is present with its compatible string.
 * Two versions may share the root string (luo-v1-session-v1 and luo-v1 both say "luo-v1"); their
 * subnodes' strings tell them apart.
 */
import { allNodes, type VersionModel } from '../model/index.ts';
import { findChild, type FdtNodeData } from '../fdt/index.ts';
import { ImageError } from './errors.ts';
import { compatibles } from './fdt-values.ts';

/** The FDT node at a model node's path, if present. */
export function nodeAt(root: FdtNodeData, path: string): FdtNodeData | undefined {
  let node: FdtNodeData | undefined = root;
  for (const name of path.split('/').filter(Boolean)) node = node && findChild(node, name);
  return node;
}

/** Why a version does not match, or undefined when it does. */
function mismatch(version: VersionModel, root: FdtNodeData): { path: string; found: string[]; wanted: string } | undefined {
  for (const model of allNodes(version.fdt.root)) {
    const node = nodeAt(root, model.path);
    const found = node ? compatibles(node, model.path) : [];
    if (!found.includes(model.compatible.value)) return { path: model.path, found, wanted: model.compatible.value };
  }
  return undefined;
}

const quoted = (strings: readonly string[]) => (strings.length === 0 ? 'none' : strings.map((s) => `"${s}"`).join(', '));

export function pickVersion(versions: readonly VersionModel[], root: FdtNodeData): VersionModel {
  const rootStrings = compatibles(root, '/');
  const candidates = versions.filter((v) => rootStrings.includes(v.fdt.root.compatible.value));
  if (candidates.length === 0) {
    const known = versions.map((v) => `"${v.fdt.root.compatible.value}" (${v.name})`).join(', ');
    throw new ImageError('/compatible', `${quoted(rootStrings)} names no known version; known: ${known}`);
  }
  const reasons: string[] = [];
  for (const version of candidates) {
    const why = mismatch(version, root);
    if (!why) return version;
    reasons.push(`${version.name} wants "${why.wanted}" at ${why.path}, found ${quoted(why.found)}`);
  }
  throw new ImageError('/', `the root says ${quoted(rootStrings)} but no version with that root matches the subnodes: ${reasons.join('; ')}`);
}

