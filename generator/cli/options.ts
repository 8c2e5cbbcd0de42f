/** Option values the image commands share, each checked with a message that names the option. */
import { UsageError, systemReason } from '../core/errors.ts';
import { hasElfMagic } from '../elf/read.ts';
import { openInput, parseAddress, readInput, type InputBytes } from '../image/io.ts';
import { DEFAULT_PAGE_SIZE } from '../image/index.ts';
import { memoryFrom, type PhysicalMemory } from '../image/memory.ts';
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

/** A `--mem FILE` and the `--mem-base ADDR` given after it, if any. */
export interface MemoryOption {
  readonly path: string;
  readonly base: bigint | undefined;
}

/**
 * `--mem` and `--mem-base` in the order given: each --mem-base is the base address of the --mem
 * before it (a raw dump); a --mem without one is an ELF core file.
 */
export function memoryOptions(tokens: readonly { kind: string; name?: string; value?: string | undefined }[]): MemoryOption[] {
  const options: { path: string; base: bigint | undefined; baseText?: string }[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name === 'mem') options.push({ path: token.value!, base: undefined });
    if (token.name !== 'mem-base') continue;
    const last = options[options.length - 1];
    if (!last) throw new UsageError(`--mem-base ${token.value} comes before any --mem: give it after the raw dump it is the base address of`);
    if (last.baseText !== undefined) throw new UsageError(`--mem ${last.path} is given two --mem-base (${last.baseText} and ${token.value}); give one`);
    last.base = addressOption('--mem-base', token.value!);
    last.baseText = token.value!;
  }
  return options.map(({ path, base }) => ({ path, base }));
}

/** The physical memory the --mem options give, raw dumps and ELF core files. */
export async function memoryOption(options: readonly MemoryOption[]): Promise<PhysicalMemory> {
  const inputs = [];
  for (const { path, base } of options) {
    let bytes: InputBytes;
    try {
      bytes = await openInput(path);
    } catch (error) {
      throw new UsageError(`--mem: cannot read ${path === '-' ? 'stdin' : path}: ${systemReason(error)}`);
    }
    const magic = base === undefined ? bytes.read(0, Math.min(4, bytes.length)) : undefined;
    bytes.close();
    if (magic && !hasElfMagic(magic)) {
      const start = [...magic].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new UsageError(
        `--mem ${path} has no --mem-base, so it must be an ELF core file, but it ${start ? `begins ${start}, not 7f 45 4c 46 ("\\x7fELF")` : 'is empty'}: give --mem-base ADDR after a raw dump`,
      );
    }
    inputs.push({ name: path === '-' ? 'stdin' : path, bytes, base });
  }
  return memoryFrom(inputs);
}
