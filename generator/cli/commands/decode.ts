import { FdtError } from '../../fdt/index.ts';
import { DEFAULT_PAGE_SIZE, ImageError, PhysicalMemory, decodeEntry, decodeImage, formatTree, stateToJson } from '../../image/index.ts';
import { allVersions, PAGE_SHIFTS, type PageShift } from '../../model/index.ts';
import { parseAddress, readInput } from '../../image/io.ts';
import { luoCodecs } from '../../image/luo-codecs.ts';
import { EXIT, UsageError, parseCommandLine, type Command } from '../command.ts';
import { loadModel } from '../schema-loader.ts';

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode a handover image (an FDT or a raw KHO entry, and memory) into its state, as JSON or a tree',
  help: `Usage: luo-abi decode (--fdt FILE | --at ADDR) [--mem FILE --mem-base ADDR]... [options]

Read a client's FDT (or the raw struct a KHO entry holds) and the physical memory it points into,
pick the ABI version from the compatible strings, follow every physical address the schema declares
and print the whole state.

Options:
  --fdt FILE        the client's FDT blob, e.g. LUO's up to luo-v4 ("-" for stdin)
  --at ADDR         instead of --fdt: the physical address of the raw struct a KHO entry holds
                    (luo_ser from luo-v5 on), its version read from its compatible field
  --schema FILE     schema module to read (default: the project's schema/index.ts)
  --mem FILE        a raw memory dump ("-" for stdin); repeat for several regions
  --mem-base ADDR   physical address of the first byte of the preceding --mem (decimal or 0x...)
  --format FORMAT   json (default; 64-bit integers as decimal strings) or tree (for people)
  --big-endian      the image was written by a big-endian kernel (default little-endian)
  --page-size N     PAGE_SIZE of the kernel that wrote it: 4096, 16384 or 65536 (default ${DEFAULT_PAGE_SIZE})
  -h, --help        show this help

Exit codes: 0 decoded, 1 bad image (the message says where), 2 usage error.`,
  async run(args) {
    const { values } = parseCommandLine('decode', args, {
      fdt: { type: 'string' },
      at: { type: 'string' },
      schema: { type: 'string' },
      mem: { type: 'string', multiple: true },
      'mem-base': { type: 'string', multiple: true },
      format: { type: 'string' },
      'big-endian': { type: 'boolean' },
      'page-size': { type: 'string' },
    });
    if (!values.fdt === !values.at) throw new UsageError('decode: give either --fdt FILE or --at ADDR');
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'tree') throw new UsageError(`decode: --format must be json or tree, not "${format}"`);
    const mems = values.mem ?? [];
    const bases = values['mem-base'] ?? [];
    if (mems.length !== bases.length) {
      throw new UsageError(`decode: give one --mem-base for each --mem (${mems.length} --mem, ${bases.length} --mem-base)`);
    }
    if ([values.fdt, ...mems].filter((f) => f === '-').length > 1) throw new UsageError('decode: only one input can be stdin ("-")');
    const pageSize = parsePageSize(values['page-size']);
    const at = values.at === undefined ? undefined : addressOption(values.at);
    const regions = [];
    for (const [i, path] of mems.entries()) regions.push({ base: addressOption(bases[i]!), bytes: await readFile(path) });
    const fdt = values.fdt === undefined ? undefined : await readFile(values.fdt);
    // Layouts depend on the page size: the model is laid out for the kernel that wrote the image.
    const model = await loadModel(values.schema, pageShiftOf(pageSize));
    try {
      const memory = new PhysicalMemory(regions);
      const options = { littleEndian: !values['big-endian'], pageSize };
      const versions = allVersions(model);
      const image = fdt ? decodeImage(versions, luoCodecs, fdt, memory, options) : decodeEntry(versions, luoCodecs, at!, memory, options);
      process.stdout.write(format === 'json' ? stateToJson(image.state) + '\n' : formatTree(image));
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ImageError || error instanceof FdtError) {
        process.stderr.write(`luo-abi decode: bad image: ${error.message}\n`);
        return EXIT.findings;
      }
      throw error;
    }
  },
};

export function addressOption(text: string): bigint {
  const value = parseAddress(text);
  if (value === undefined) throw new UsageError(`"${text}" is not a physical address (decimal or 0x hexadecimal, below 2^64)`);
  return value;
}

/** A page size the kernel supports for KHO: 4, 16 or 64 KiB. */
export function parsePageSize(text: string | undefined): number {
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

export async function readFile(path: string): Promise<Uint8Array> {
  try {
    return await readInput(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path === '-' ? 'stdin' : path}: ${(error as Error).message}`);
  }
}
