/** Option values the image commands share, each checked with a message that names the option. */
import { UsageError, systemReason } from '../core/errors.ts';
import { parseAddress, readInput } from '../image/io.ts';
import { DEFAULT_PAGE_SIZE } from '../image/index.ts';
import { PAGE_SHIFTS, type PageShift } from '../model/index.ts';

export function addressOption(name: string, text: string): bigint {
  const value = parseAddress(text);
  if (value === undefined) throw new UsageError(`${name} "${text}" is not a physical address (decimal or 0x hexadecimal, below 2^64)`);
  return value;
}

/** A page size KHO runs on (4, 16 or 64 KiB): the model is laid out for each. */
export function pageSizeOption(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PAGE_SIZE;
  const sizes = PAGE_SHIFTS.map((shift) => 2 ** shift);
  if (!/^\d+$/.test(text) || !sizes.includes(Number(text))) {
    throw new UsageError(`--page-size must be one of ${sizes.join(', ')} (the page sizes KHO runs on), not "${text}"`);
  }
  return Number(text);
}

export function pageShiftOf(pageSize: number): PageShift {
  return Math.log2(pageSize) as PageShift;
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
