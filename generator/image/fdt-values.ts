/** Reading and writing the three kinds of LUO FDT property value: string, raw u64, and compatible. */
import { rawU64Value, stringValue, type FdtNodeData, type FdtPropertyData } from '../fdt/index.ts';
import { ImageError } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function nodePath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The strings of a string-list property such as `compatible`: each NUL-terminated. */
export function stringList(property: FdtPropertyData, where: string): string[] {
  const { value } = property;
  if (value.length === 0 || value[value.length - 1] !== 0) {
    throw new ImageError(where, 'is not a NUL-terminated string');
  }
  try {
    return utf8.decode(value.subarray(0, value.length - 1)).split('\0');
  } catch {
    throw new ImageError(where, 'is not valid UTF-8');
  }
}

/** A string property: exactly one NUL-terminated string. */
export function readString(property: FdtPropertyData, where: string): string {
  const strings = stringList(property, where);
  if (strings.length !== 1) throw new ImageError(where, `holds ${strings.length} strings; one was expected`);
  return strings[0]!;
}

/** A u64 property as the kernel reads it: exactly 8 bytes in the CPU's byte order. */
export function readRawU64(property: FdtPropertyData, littleEndian: boolean, where: string): bigint {
  const { value } = property;
  if (value.length !== 8) throw new ImageError(where, `is ${value.length} bytes; a u64 property is exactly 8`);
  return new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, littleEndian);
}

export function requireProperty(node: FdtNodeData, name: string, where: string): FdtPropertyData {
  const matching = node.properties.filter((p) => p.name === name);
  if (matching.length === 0) throw new ImageError(where, 'is missing');
  if (matching.length > 1) throw new ImageError(where, `appears ${matching.length} times`);
  return matching[0]!;
}

/** The node's compatible strings; a node without one has none. */
export function compatibles(node: FdtNodeData, path: string): string[] {
  const property = node.properties.find((p) => p.name === 'compatible');
  return property ? stringList(property, `${nodePath(path, 'compatible')}`) : [];
}

export { rawU64Value, stringValue };
