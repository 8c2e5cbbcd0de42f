/**
 * Which ABI version a LUO FDT is: the one whose every node is present with its compatible string.
 * Two versions may share the root string (luo-v1-session-v1 and luo-v1 both say "luo-v1"); their
 * subnodes' strings tell them apart.
 */
import { allNodes, findStruct, type FdtContainerModel, type NodeModel, type StructModel, type VersionModel } from '../model/index.ts';
import type { PhysicalMemory } from './memory.ts';
import { hex } from './errors.ts';
import { findChild, type FdtNodeData } from '../fdt/index.ts';
import { ImageError } from './errors.ts';
import { compatibles, nodePath } from './fdt-values.ts';

/** The FDT node at a model node's path, if present. */
export function nodeAt(root: FdtNodeData, path: string): FdtNodeData | undefined {
  let node: FdtNodeData | undefined = root;
  for (const name of path.split('/').filter(Boolean)) node = node && findChild(node, name);
  return node;
}

/**
 * The children of `data` the model describes, in the order a state lists them: the nodes it names
 * (each must be there), then every other child where it allows children named at run time (a KHO
 * client's), in the FDT's order, each with the model of such a child at its own path.
 */
export function nodeChildren(model: NodeModel, data: FdtNodeData): { name: string; model: NodeModel; data: FdtNodeData }[] {
  const children = [];
  for (const child of model.children) {
    if (child.anyName !== undefined) continue;
    const childData = nodeAt(data, child.name);
    if (!childData) throw new ImageError(child.path, 'node is missing');
    children.push({ name: child.name, model: child, data: childData });
  }
  const anyChild = model.children.find((c) => c.anyName !== undefined);
  if (anyChild) {
    const named = new Set(model.children.map((c) => c.name));
    for (const childData of data.children) {
      if (!named.has(childData.name)) children.push({ name: childData.name, model: { ...anyChild, path: nodePath(model.path, childData.name) }, data: childData });
    }
  }
  return children;
}

/** The version's FDT, for readers of FDT images: an ImageError for a version whose state is no FDT. */
export function fdtOf(version: VersionModel): FdtContainerModel {
  if (version.container?.kind !== 'fdt') throw new ImageError('/', `${version.name} keeps its state in ${version.container ? `a ${version.container.kind} container` : 'no container'}, not in an FDT`);
  return version.container;
}

/** `lacks property /path/name` for the first property of `model` the node does not have. */
function lacking(model: NodeModel, data: FdtNodeData, path: string): string | undefined {
  const missing = model.properties.find((p) => !data.properties.some((q) => q.name === p.name));
  return missing && `lacks property ${nodePath(path, missing.name)}`;
}

/** Why a version's strings do not match the FDT's, or undefined when they do. */
function stringMismatch(version: VersionModel, root: FdtNodeData): string | undefined {
  for (const model of allNodes(fdtOf(version).root)) {
    // Nodes with a string of their own and a fixed name must be there, with that string; children
    // named at run time may be any number, none included.
    if (!model.compatible || model.path.includes('<')) continue;
    const node = nodeAt(root, model.path);
    const found = node ? compatibles(node, model.path) : [];
    if (!found.includes(model.compatible.value)) return `wants "${model.compatible.value}" at ${model.path}, found ${quoted(found)}`;
  }
  return undefined;
}

/** A property of the version's nodes the FDT lacks, or undefined when it has them all. */
function missingProperty(version: VersionModel, root: FdtNodeData): string | undefined {
  for (const model of allNodes(fdtOf(version).root)) {
    const node = model.path.includes('<') ? undefined : nodeAt(root, model.path);
    if (!node) continue;
    const own = lacking(model, node, model.path);
    if (own) return own;
    const anyChild = model.children.find((c) => c.anyName !== undefined);
    const named = new Set(model.children.map((c) => c.name));
    for (const child of anyChild ? node.children : []) {
      const why = named.has(child.name) ? undefined : lacking(anyChild!, child, nodePath(model.path, child.name));
      if (why) return why;
    }
  }
  return undefined;
}

const quoted = (strings: readonly string[]) => (strings.length === 0 ? 'none' : strings.map((s) => `"${s}"`).join(', '));

export function pickVersion(allVersions: readonly VersionModel[], root: FdtNodeData): VersionModel {
  const versions = allVersions.filter((v) => v.container?.kind === 'fdt');
  const rootStrings = compatibles(root, '/');
  const rootString = (v: VersionModel) => fdtOf(v).root.compatible!.value;
  const candidates = versions.filter((v) => rootStrings.includes(rootString(v)));
  if (candidates.length === 0) {
    const known = versions.map((v) => `"${rootString(v)}" (${v.name})`).join(', ');
    throw new ImageError('/compatible', `${quoted(rootStrings)} names no known version; known: ${known}`);
  }
  const reasons: string[] = [];
  const matching: VersionModel[] = [];
  for (const version of candidates) {
    const why = stringMismatch(version, root);
    if (!why) matching.push(version);
    else reasons.push(`${version.name} ${why}`);
  }
  if (matching.length === 0) {
    throw new ImageError('/', `the root says ${quoted(rootStrings)} but no version with that root matches the subnodes: ${reasons.join('; ')}`);
  }
  // Forms that share the root string differ in their subnodes (the one that names the most is the
  // image's), or, sharing every string, in their properties (kho-v2 before and after blob-size). A
  // property missing from the only form left is the walk's to report, where it is.
  const guardedNodes = (v: VersionModel) => allNodes(fdtOf(v).root).filter((n) => n.compatible).length;
  const complete = matching.filter((v) => !missingProperty(v, root));
  const pool = complete.length > 0 ? complete : matching;
  return pool.reduce((a, v) => (guardedNodes(v) >= guardedNodes(a) ? v : a));
}

/**
 * Which version a raw KHO entry at `pa` is: the one whose compatible string its struct holds, read
 * (as the kernel reads it) up to the first NUL of the field the version's container names. Where no
 * string matches, a version whose struct opens with a feature header instead, if its masks read as
 * one (a kernel requires and uses only bits it supports); forms that share the header (handlers
 * found by string or by name) are told apart by nothing in it, and the newest is taken.
 */
export function pickEntryVersion(allVersions: readonly VersionModel[], memory: PhysicalMemory, pa: bigint, littleEndian: boolean): VersionModel {
  const found: string[] = [];
  const featured: VersionModel[] = [];
  for (const version of allVersions) {
    const container = version.container;
    if (container?.kind !== 'kho-entry') continue;
    if (!container.field || !container.compatible) {
      if (version.features) featured.push(version);
      continue;
    }
    const field = findStruct(version, container.struct).fields.find((f) => f.name === container.field)!;
    const length = field.type.kind === 'chars' ? field.type.length : field.size;
    let text: string;
    try {
      const slice = memory.slice(pa + BigInt(field.offset), length, `the compatible string at ${hex(pa)}`);
      const bytes = slice.bytes.subarray(slice.offset, slice.offset + length);
      const end = bytes.indexOf(0);
      text = new TextDecoder('utf-8', { fatal: false }).decode(end < 0 ? bytes : bytes.subarray(0, end));
    } catch {
      continue;
    }
    if (text === container.compatible.value) return version;
    found.push(`"${text}" where ${version.name} has "${container.compatible.value}"`);
  }
  const newest = featured[featured.length - 1];
  const masks = newest ? featureMasksAt(newest, memory, pa, littleEndian) : undefined;
  const stray = masks ? (masks.required | masks.active) & ~masks.supported : 0n;
  if (newest && masks && stray === 0n) return newest;
  const feature = newest && masks ? [`nor a feature header of ${newest.name} (bits ${hex(stray)} are required or active but not supported)`] : [];
  if (found.length === 0 && feature.length === 0) throw new ImageError(hex(pa), 'no version of the schema keeps its state as a raw KHO entry that fits the memory given there');
  throw new ImageError(hex(pa), `the entry's compatible string names no known version: ${[...found, ...feature].join('; ')}`);
}

/** The masks of the feature header a version's state opens with, read at `pa`; undefined when memory lacks them. */
export function featureMasksAt(version: VersionModel, memory: PhysicalMemory, pa: bigint, littleEndian: boolean): { supported: bigint; required: bigint; active: bigint } | undefined {
  const features = version.features!;
  const carrier = findStruct(version, features.carrier.struct).fields.find((f) => f.name === features.carrier.field)!;
  const header = findStruct(version, features.headerStruct.name);
  const read = (name: string): bigint | undefined => {
    const field = header.fields.find((f) => f.name === name)!;
    try {
      const slice = memory.slice(pa + BigInt(carrier.offset + field.offset), field.size, `the feature header at ${hex(pa)}`);
      const view = new DataView(slice.bytes.buffer, slice.bytes.byteOffset + slice.offset, field.size);
      return field.size === 8 ? view.getBigUint64(0, littleEndian) : BigInt(field.size === 4 ? view.getUint32(0, littleEndian) : field.size === 2 ? view.getUint16(0, littleEndian) : view.getUint8(0));
    } catch {
      return undefined;
    }
  };
  const [supported, required, active] = [read(features.headerStruct.supported), read(features.headerStruct.required), read(features.headerStruct.active)];
  return supported === undefined || required === undefined || active === undefined ? undefined : { supported, required, active };
}

/** The name of the KHO entry a version's state travels under, if it travels under one. */
export function khoEntryName(version: VersionModel): string | undefined {
  const container = version.container;
  if (container?.kind === 'fdt' || container?.kind === 'kho-entry') return container.khoEntry ? String(container.khoEntry.value) : undefined;
  return undefined;
}

/**
 * The version whose state `struct.field` leads to when the selector beside it holds `selector`: a
 * version reached from that field with that string. Versions that share a string (two layouts kept
 * under one) are told apart by nothing in the image; the newest, last in the family's order, is taken.
 */
export function handlerFor(family: readonly VersionModel[], struct: Pick<StructModel, 'name' | 'header'>, field: string, selector: string): VersionModel | undefined {
  let found: VersionModel | undefined;
  for (const version of family) {
    const container = version.container;
    if (container?.kind !== 'reached-from') continue;
    if (container.from.struct === struct.name && container.from.header === struct.header && container.field === field && container.compatible.value === selector) found = version;
  }
  return found;
}
