/**
 * Writing a flattened device tree blob laid out as libfdt's sequential writer lays it out (fdt_create
 * .. fdt_finish): header, memory reservation map at offset 48, structure block, strings block, with
 * totalsize trimmed to the end of the strings. Property names are deduplicated; as in libfdt, a name
 * seen for the first time goes in front of the strings already there, and a name that is the tail of
 * one already there reuses it.
 */
import { FdtError } from './errors.ts';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_LAST_COMPATIBLE_VERSION,
  FDT_MAGIC,
  FDT_PROP,
  FDT_RESERVE_ENTRY_SIZE,
  FDT_TAG_SIZE,
  FDT_VERSION,
  HEADER,
  alignUp,
} from './format.ts';
import type { FdtNodeData, FdtTree } from './tree.ts';

export interface FdtWriteOptions {
  /** Refuse a blob larger than this many bytes (the buffer the kernel allocates for it). */
  readonly maxSize?: number;
  /** Named in the size error, e.g. `LUO_FDT_SIZE`. */
  readonly maxSizeName?: string;
}

const encoder = new TextEncoder();

export function writeFdt(tree: FdtTree, options: FdtWriteOptions = {}): Uint8Array {
  const strings = new StringTable();
  for (const node of depthFirst(tree.root)) {
    for (const property of node.properties) strings.add(nameBytes(property.name, `property "${property.name}"`));
  }
  const structure = new ByteSink();
  writeStructure(tree.root, structure, strings);
  structure.u32(FDT_END);

  const rsvmapStart = alignUp(FDT_HEADER_SIZE, FDT_RESERVE_ENTRY_SIZE);
  const structStart = rsvmapStart + (tree.reservations.length + 1) * FDT_RESERVE_ENTRY_SIZE;
  const stringsStart = structStart + structure.length;
  const stringBytes = strings.bytes();
  const totalsize = stringsStart + stringBytes.length;
  if (options.maxSize !== undefined && totalsize > options.maxSize) {
    const limit = options.maxSizeName ? `${options.maxSizeName} (${options.maxSize})` : `${options.maxSize}`;
    throw new FdtError('size', `the blob needs ${totalsize} bytes, more than ${limit}`);
  }

  const blob = new Uint8Array(totalsize);
  const view = new DataView(blob.buffer);
  const header: Record<keyof typeof HEADER, number> = {
    magic: FDT_MAGIC,
    totalsize,
    off_dt_struct: structStart,
    off_dt_strings: stringsStart,
    off_mem_rsvmap: rsvmapStart,
    version: FDT_VERSION,
    last_comp_version: FDT_LAST_COMPATIBLE_VERSION,
    boot_cpuid_phys: tree.bootCpuid,
    size_dt_strings: stringBytes.length,
    size_dt_struct: structure.length,
  };
  for (const [name, offset] of Object.entries(HEADER)) view.setUint32(offset, header[name as keyof typeof HEADER], false);
  tree.reservations.forEach((r, i) => {
    view.setBigUint64(rsvmapStart + i * FDT_RESERVE_ENTRY_SIZE, r.address, false);
    view.setBigUint64(rsvmapStart + i * FDT_RESERVE_ENTRY_SIZE + 8, r.size, false);
  });
  blob.set(structure.bytes(), structStart);
  blob.set(stringBytes, stringsStart);
  return blob;
}

/** Depth first with an explicit stack, so a deep tree cannot overflow the call stack. */
function writeStructure(root: FdtNodeData, out: ByteSink, strings: StringTable): void {
  const pending: (FdtNodeData | 'end')[] = [root];
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (item === 'end') {
      out.u32(FDT_END_NODE);
      continue;
    }
    out.u32(FDT_BEGIN_NODE);
    out.cString(nameBytes(item.name, `node "${item.name}"`));
    for (const property of item.properties) {
      out.u32(FDT_PROP);
      out.u32(property.value.length);
      out.u32(strings.offsetOf(encoder.encode(property.name)));
      out.raw(property.value);
    }
    pending.push('end');
    for (let i = item.children.length - 1; i >= 0; i--) pending.push(item.children[i]!);
  }
}

/** Every node, in blob order. */
function* depthFirst(root: FdtNodeData): Generator<FdtNodeData> {
  const pending = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    yield node;
    for (let i = node.children.length - 1; i >= 0; i--) pending.push(node.children[i]!);
  }
}

function nameBytes(name: string, what: string): Uint8Array {
  const bytes = encoder.encode(name);
  if (bytes.includes(0)) throw new FdtError(what, 'a name cannot contain NUL');
  return bytes;
}

/** A growing byte buffer that keeps every item 4-byte aligned, as the structure block requires. */
class ByteSink {
  private buffer = new Uint8Array(256);
  length = 0;

  u32(value: number): void {
    this.reserve(4);
    new DataView(this.buffer.buffer).setUint32(this.length, value, false);
    this.length += 4;
  }

  cString(bytes: Uint8Array): void {
    this.raw(bytes, 1);
  }

  /** Bytes, `extraZeros` NULs, then zero padding to the next tag boundary. */
  raw(bytes: Uint8Array, extraZeros = 0): void {
    const padded = alignUp(bytes.length + extraZeros, FDT_TAG_SIZE);
    this.reserve(padded);
    this.buffer.set(bytes, this.length);
    this.buffer.fill(0, this.length + bytes.length, this.length + padded);
    this.length += padded;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/**
 * The strings block. Built back to front as libfdt does, so offsets are first known as distances from
 * the end (which do not change when a name is put in front) and resolved once every name is in.
 */
class StringTable {
  /** The block so far, one char per byte, so that indexOf finds byte offsets. */
  private table = '';
  private readonly fromEnd = new Map<string, number>();

  add(name: Uint8Array): void {
    const key = latin1(name) + '\0';
    if (this.fromEnd.has(key)) return;
    const found = this.table.indexOf(key);
    if (found < 0) this.table = key + this.table;
    this.fromEnd.set(key, found < 0 ? this.table.length : this.table.length - found);
  }

  offsetOf(name: Uint8Array): number {
    return this.table.length - this.fromEnd.get(latin1(name) + '\0')!;
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.from(this.table, 'latin1'));
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
