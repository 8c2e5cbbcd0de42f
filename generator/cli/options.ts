/** Option values the image commands share, each checked with a message that names the option. */
import { UsageError, systemReason } from '../core/errors.ts';
import { parseAddress, readInput } from '../image/io.ts';
import { DEFAULT_PAGE_SIZE } from '../image/index.ts';

export function addressOption(name: string, text: string): bigint {
  const value = parseAddress(text);
  if (value === undefined) throw new UsageError(`${name} "${text}" is not a physical address (decimal or 0x hexadecimal, below 2^64)`);
  return value;
}

/** Every PAGE_SIZE Linux has had (4 KiB to 256 KiB), with room to spare; larger would be no kernel's. */
export const PAGE_SIZES = { min: 4096, max: 1 << 30 } as const;

export function pageSizeOption(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PAGE_SIZE;
  const value = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  // A power of two tested on the number, not with 32-bit `&`, which 2^32 + 256 would pass.
  if (!(value >= PAGE_SIZES.min && value <= PAGE_SIZES.max && Number.isInteger(Math.log2(value)))) {
    throw new UsageError(`--page-size must be a power of two from ${PAGE_SIZES.min} to ${PAGE_SIZES.max} (1 GiB), not "${text}"`);
  }
  return value;
}

export function byteCountOption(name: string, text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`${name} must be a number of bytes, not "${text}"`);
  return Number(text);
}

/** A whole input file, or stdin for `-`. */
export async function readInputOption(name: string, path: string): Promise<Uint8Array> {
  try {
    return await readInput(path);
  } catch (error) {
    throw new UsageError(`${name}: cannot read ${path === '-' ? 'stdin' : path}: ${systemReason(error)}`);
  }
}
