/**
 * What the walker and the builder both need to know of a version's structs: sizes, which fields hold
 * pointers (directly or inside nested structs), and how big a block is.
 */
import type { BlockModel, FieldModel, StructModel, TargetModel, VersionModel } from '../model/index.ts';
import type { CodecTable, StructCodec } from './codecs.ts';

export const DEFAULT_PAGE_SIZE = 4096;

export class VersionLayout {
  private readonly structs = new Map<string, StructModel>();
  private readonly sites = new Map<string, readonly FieldModel[]>();

  constructor(
    readonly version: VersionModel,
    readonly codecs: CodecTable,
    readonly pageSize: number,
  ) {
    for (const struct of [...version.visibleStructs, ...(version.localStructs ?? [])]) this.structs.set(struct.name, struct);
  }

  struct(name: string): StructModel {
    const found = this.structs.get(name);
    if (!found) throw new Error(`${this.version.name}: the model names struct ${name} but does not define it`);
    return found;
  }

  codec(name: string): StructCodec {
    const codec = this.codecs[name];
    if (!codec) throw new Error(`${this.version.name}: no codec for struct ${name}`);
    return codec;
  }

  /** Fields of `struct` that are pointers or lead to pointers, in declaration order. */
  pointerFields(struct: string): readonly FieldModel[] {
    let found = this.sites.get(struct);
    if (!found) {
      found = this.struct(struct).fields.filter((f) => this.leadsToPointer(f.type));
      this.sites.set(struct, found);
    }
    return found;
  }

  hasPointers(struct: string): boolean {
    return this.pointerFields(struct).length > 0;
  }

  /**
   * Bytes in one block: a fixed page count, or a header field counting pages. A number: a hostile
   * page count past 2^53 bytes comes out inexact but still far more than any memory holds, which is
   * what the reads it would allow are then checked against.
   */
  blockBytes(block: BlockModel, header: Readonly<Record<string, unknown>>): number {
    if (block.kind === 'pages') return block.pages * this.pageSize;
    return Number(toBigint(header[block.field])) * this.pageSize;
  }

  /** Bytes before the first entry of a block. */
  headerSize(target: Exclude<TargetModel, { shape: 'selected' }>): number {
    return target.shape === 'header-array' || target.shape === 'chain' ? this.struct(target.header).size : 0;
  }

  private leadsToPointer(type: FieldModel['type']): boolean {
    switch (type.kind) {
      case 'pointer':
        return true;
      case 'aggregate':
        return this.hasPointers(type.name);
      case 'array':
      case 'flexible':
        return this.leadsToPointer(type.element);
      default:
        return false;
    }
  }
}

export function toBigint(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as number);
}
