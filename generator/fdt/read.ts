/**
 * Reading a flattened device tree blob. Hostile bytes are expected: every offset and length is checked
 * against the blob before it is used, nesting is walked with an explicit stack, and nothing is
 * allocated beyond what the blob itself holds, so a bad blob ends in an FdtError that says where.
 */
import { FdtError } from './errors.ts';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_LAST_COMPATIBLE_VERSION,
  FDT_MAGIC,
  FDT_NOP,
  FDT_PROP,
  FDT_RESERVE_ENTRY_SIZE,
  FDT_TAG_SIZE,
  FDT_VERSION,
  HEADER,
  alignUp,
} from './format.ts';
import type { FdtNodeData, FdtPropertyData, FdtReservation, FdtTree } from './tree.ts';

/** A version 16 header lacks size_dt_struct. */
const FDT_V16_HEADER_SIZE = 36;

interface Header {
  readonly totalsize: number;
  readonly structStart: number;
  readonly structEnd: number;
  readonly stringsStart: number;
  readonly stringsEnd: number;
  readonly rsvmapStart: number;
  readonly bootCpuid: number;
}

interface OpenNode {
  readonly name: string;
  readonly properties: FdtPropertyData[];
  readonly children: FdtNodeData[];
}

const utf8 = new TextDecoder('utf-8');

/**
 * The devicetree specification allows 31 characters; we accept far more, but not unboundedly: many
 * properties pointing into one huge string would otherwise cost time quadratic in the blob's size.
 */
export const MAX_PROPERTY_NAME_BYTES = 1024;

export function readFdt(blob: Uint8Array): FdtTree {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const header = readHeader(blob, view);
  return {
    reservations: readReservations(view, header),
    bootCpuid: header.bootCpuid,
    root: new StructureReader(blob, view, header).read(),
  };
}

function readHeader(blob: Uint8Array, view: DataView): Header {
  if (blob.length < HEADER.version + 4) {
    throw new FdtError('header', `blob is ${blob.length} bytes, too short for an FDT header`, 0);
  }
  const field = (offset: number) => view.getUint32(offset, false);
  const magic = field(HEADER.magic);
  if (magic !== FDT_MAGIC) {
    throw new FdtError('header', `magic is 0x${magic.toString(16).padStart(8, '0')}, not 0x${FDT_MAGIC.toString(16)}`, HEADER.magic);
  }
  const version = field(HEADER.version);
  if (version < FDT_LAST_COMPATIBLE_VERSION) {
    throw new FdtError('header', `version ${version} is older than ${FDT_LAST_COMPATIBLE_VERSION}, the oldest this reader understands`, HEADER.version);
  }
  const headerSize = version >= FDT_VERSION ? FDT_HEADER_SIZE : FDT_V16_HEADER_SIZE;
  if (blob.length < headerSize) {
    throw new FdtError('header', `blob is ${blob.length} bytes, too short for a version ${version} header of ${headerSize}`, 0);
  }
  const lastCompatible = field(HEADER.last_comp_version);
  if (lastCompatible > FDT_VERSION) {
    throw new FdtError('header', `last compatible version ${lastCompatible} is newer than ${FDT_VERSION}, the newest this reader understands`, HEADER.last_comp_version);
  }
  const totalsize = field(HEADER.totalsize);
  if (totalsize < headerSize || totalsize > blob.length) {
    throw new FdtError('header', `totalsize ${totalsize} is outside ${headerSize}..${blob.length} (the blob's length)`, HEADER.totalsize);
  }
  const structStart = field(HEADER.off_dt_struct);
  const structSize = version >= FDT_VERSION ? field(HEADER.size_dt_struct) : totalsize - Math.min(structStart, totalsize);
  const stringsStart = field(HEADER.off_dt_strings);
  const stringsSize = field(HEADER.size_dt_strings);
  const rsvmapStart = field(HEADER.off_mem_rsvmap);
  checkBlock('structure block', structStart, structSize, headerSize, totalsize, FDT_TAG_SIZE, HEADER.off_dt_struct);
  checkBlock('strings block', stringsStart, stringsSize, headerSize, totalsize, 1, HEADER.off_dt_strings);
  checkBlock('memory reservation map', rsvmapStart, 0, headerSize, totalsize, 8, HEADER.off_mem_rsvmap);
  return {
    totalsize,
    structStart,
    structEnd: structStart + structSize,
    stringsStart,
    stringsEnd: stringsStart + stringsSize,
    rsvmapStart,
    bootCpuid: field(HEADER.boot_cpuid_phys),
  };
}

function checkBlock(what: string, start: number, size: number, headerSize: number, totalsize: number, alignment: number, at: number): void {
  if (start < headerSize || start + size > totalsize) {
    throw new FdtError('header', `${what} at ${start}, ${size} bytes, is not inside the blob (${headerSize}..${totalsize})`, at);
  }
  if (start % alignment !== 0) {
    throw new FdtError('header', `${what} offset ${start} is not a multiple of ${alignment}`, at);
  }
}

function readReservations(view: DataView, header: Header): FdtReservation[] {
  const reservations: FdtReservation[] = [];
  for (let offset = header.rsvmapStart; ; offset += FDT_RESERVE_ENTRY_SIZE) {
    if (offset + FDT_RESERVE_ENTRY_SIZE > header.totalsize) {
      throw new FdtError('memory reservation map', 'runs past the end of the blob without its terminating entry', offset);
    }
    const address = view.getBigUint64(offset, false);
    const size = view.getBigUint64(offset + 8, false);
    if (address === 0n && size === 0n) return reservations;
    reservations.push({ address, size });
  }
}

class StructureReader {
  private readonly names = new Map<number, string>();
  /** Offsets of the NULs in the strings block, found once so that no name lookup rescans it. */
  private nulOffsets: Int32Array | undefined;

  constructor(
    private readonly blob: Uint8Array,
    private readonly view: DataView,
    private readonly header: Header,
  ) {}

  read(): FdtNodeData {
    const { structEnd } = this.header;
    const open: OpenNode[] = [];
    let root: FdtNodeData | undefined;
    let offset = this.header.structStart;
    while (true) {
      const token = this.u32(offset, 'token');
      const at = offset;
      offset += FDT_TAG_SIZE;
      switch (token) {
        case FDT_NOP:
          break;
        case FDT_BEGIN_NODE: {
          if (root) throw new FdtError('structure block', 'a second top-level node follows the root', at);
          const name = this.cString(offset, structEnd, 'node name');
          offset = alignUp(offset + name.bytes + 1, FDT_TAG_SIZE);
          open.push({ name: name.text, properties: [], children: [] });
          break;
        }
        case FDT_END_NODE: {
          const done = open.pop();
          if (!done) throw new FdtError('structure block', 'FDT_END_NODE without a node to end', at);
          const parent = open.at(-1);
          if (parent) parent.children.push(done);
          else root = done;
          break;
        }
        case FDT_PROP: {
          const node = open.at(-1);
          if (!node) throw new FdtError('structure block', 'FDT_PROP outside any node', at);
          const length = this.u32(offset, 'property length');
          const nameOffset = this.u32(offset + 4, 'property name offset');
          const valueStart = offset + 8;
          if (length > structEnd - valueStart) {
            throw new FdtError('structure block', `property value of ${length} bytes runs past the structure block`, offset);
          }
          const name = this.propertyName(nameOffset, offset + 4);
          node.properties.push({ name, value: this.blob.subarray(valueStart, valueStart + length) });
          offset = alignUp(valueStart + length, FDT_TAG_SIZE);
          break;
        }
        case FDT_END:
          if (open.length > 0) throw new FdtError('structure block', `FDT_END inside node "${open.at(-1)!.name}"`, at);
          if (!root) throw new FdtError('structure block', 'FDT_END before any node', at);
          return root;
        default:
          throw new FdtError('structure block', `unknown token 0x${token.toString(16)}`, at);
      }
    }
  }

  private u32(offset: number, what: string): number {
    if (offset + 4 > this.header.structEnd) {
      throw new FdtError('structure block', `${what} runs past the end of the structure block (missing FDT_END?)`, offset);
    }
    return this.view.getUint32(offset, false);
  }

  /** A NUL-terminated string that must end before `end`. */
  private cString(start: number, end: number, what: string): { text: string; bytes: number } {
    const nul = this.blob.subarray(start, end).indexOf(0);
    if (nul < 0) throw new FdtError('structure block', `${what} has no terminating NUL`, start);
    return { text: utf8.decode(this.blob.subarray(start, start + nul)), bytes: nul };
  }

  private propertyName(nameOffset: number, at: number): string {
    const cached = this.names.get(nameOffset);
    if (cached !== undefined) return cached;
    const { stringsStart, stringsEnd } = this.header;
    if (nameOffset >= stringsEnd - stringsStart) {
      throw new FdtError('structure block', `property name offset ${nameOffset} is outside the strings block (${stringsEnd - stringsStart} bytes)`, at);
    }
    const end = this.nulAtOrAfter(nameOffset);
    if (end === undefined) throw new FdtError('strings block', `the name at offset ${nameOffset} has no terminating NUL`, stringsStart + nameOffset);
    if (end - nameOffset > MAX_PROPERTY_NAME_BYTES) {
      throw new FdtError('strings block', `the name at offset ${nameOffset} is longer than ${MAX_PROPERTY_NAME_BYTES} bytes`, stringsStart + nameOffset);
    }
    const name = utf8.decode(this.blob.subarray(stringsStart + nameOffset, stringsStart + end));
    this.names.set(nameOffset, name);
    return name;
  }

  private nulAtOrAfter(offset: number): number | undefined {
    const nuls = (this.nulOffsets ??= this.findNuls());
    let low = 0;
    let high = nuls.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (nuls[middle]! < offset) low = middle + 1;
      else high = middle;
    }
    return low < nuls.length ? nuls[low] : undefined;
  }

  private findNuls(): Int32Array {
    const strings = this.blob.subarray(this.header.stringsStart, this.header.stringsEnd);
    const found: number[] = [];
    for (let at = strings.indexOf(0); at >= 0; at = strings.indexOf(0, at + 1)) found.push(at);
    return Int32Array.from(found);
  }
}
