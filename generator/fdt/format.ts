/**
 * The numbers of the Flattened Device Tree format (devicetree specification, chapter 5). All header
 * fields and tokens are big-endian u32.
 */

export const FDT_MAGIC = 0xd00dfeed;

/** The version we write, and the oldest version a reader of ours must understand to read it. */
export const FDT_VERSION = 17;
export const FDT_LAST_COMPATIBLE_VERSION = 16;

/** Ten u32 fields: magic .. size_dt_struct. */
export const FDT_HEADER_SIZE = 40;
/** One memory reservation entry: u64 address, u64 size. */
export const FDT_RESERVE_ENTRY_SIZE = 16;

export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;

/** Structure block tokens and node names are padded to this. */
export const FDT_TAG_SIZE = 4;

/** Header field offsets, in the order they appear. */
export const HEADER = {
  magic: 0,
  totalsize: 4,
  off_dt_struct: 8,
  off_dt_strings: 12,
  off_mem_rsvmap: 16,
  version: 20,
  last_comp_version: 24,
  boot_cpuid_phys: 28,
  size_dt_strings: 32,
  size_dt_struct: 36,
} as const;

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
