/** A device tree in memory: what the FDT reader returns and the writer takes. */

export interface FdtReservation {
  readonly address: bigint;
  readonly size: bigint;
}

export interface FdtPropertyData {
  readonly name: string;
  /** As read, a view into the blob (no copy): keep the blob unchanged while the tree is in use. */
  readonly value: Uint8Array;
}

export interface FdtNodeData {
  /** '' for the root node. */
  readonly name: string;
  /** In blob order. */
  readonly properties: readonly FdtPropertyData[];
  /** In blob order. */
  readonly children: readonly FdtNodeData[];
}

export interface FdtTree {
  readonly reservations: readonly FdtReservation[];
  readonly bootCpuid: number;
  readonly root: FdtNodeData;
}

const encoder = new TextEncoder();

/** A string property's value: the bytes and a terminating NUL. */
export function stringValue(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const value = new Uint8Array(bytes.length + 1);
  value.set(bytes);
  return value;
}

/** A u64 as the kernel writes it with fdt_property(..., &value, sizeof(u64)): raw bytes in CPU order. */
export function rawU64Value(value: bigint, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, littleEndian);
  return bytes;
}

export function findProperty(node: FdtNodeData, name: string): FdtPropertyData | undefined {
  return node.properties.find((p) => p.name === name);
}

export function findChild(node: FdtNodeData, name: string): FdtNodeData | undefined {
  return node.children.find((c) => c.name === name);
}
