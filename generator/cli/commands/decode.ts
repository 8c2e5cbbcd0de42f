import { FdtError } from '../../fdt/index.ts';
import { DEFAULT_PAGE_SIZE, ImageError, PhysicalMemory, decodeImage, formatTree, stateToJson } from '../../image/index.ts';
import { parseAddress, readInput } from '../../image/io.ts';
import { EXIT, UsageError, parseCommandLine, type Command } from '../command.ts';
import { loadModel } from '../schema-loader.ts';

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode a LUO handover image (FDT and memory) into its state, as JSON or a tree',
  help: `Usage: luo-abi decode --fdt FILE [--mem FILE --mem-base ADDR]... [options]

Read the LUO FDT and the physical memory it points into, pick the ABI version from the compatible
strings, follow every physical address the schema declares and print the whole state.

Options:
  --fdt FILE        the LUO FDT blob ("-" for stdin)
  --mem FILE        a raw memory dump ("-" for stdin); repeat for several regions
  --mem-base ADDR   physical address of the first byte of the preceding --mem (decimal or 0x...)
  --format FORMAT   json (default; 64-bit integers as decimal strings) or tree (for people)
  --big-endian      the image was written by a big-endian kernel (default little-endian)
  --page-size N     PAGE_SIZE of the kernel that wrote it (default ${DEFAULT_PAGE_SIZE})
  -h, --help        show this help

Exit codes: 0 decoded, 1 bad image (the message says where), 2 usage error.`,
  async run(args) {
    const { values } = parseCommandLine('decode', args, {
      fdt: { type: 'string' },
      mem: { type: 'string', multiple: true },
      'mem-base': { type: 'string', multiple: true },
      format: { type: 'string' },
      'big-endian': { type: 'boolean' },
      'page-size': { type: 'string' },
    });
    if (!values.fdt) throw new UsageError('decode: --fdt FILE is required');
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'tree') throw new UsageError(`decode: --format must be json or tree, not "${format}"`);
    const mems = values.mem ?? [];
    const bases = values['mem-base'] ?? [];
    if (mems.length !== bases.length) {
      throw new UsageError(`decode: give one --mem-base for each --mem (${mems.length} --mem, ${bases.length} --mem-base)`);
    }
    if ([values.fdt, ...mems].filter((f) => f === '-').length > 1) throw new UsageError('decode: only one input can be stdin ("-")');
    const pageSize = parsePageSize(values['page-size']);
    const regions = [];
    for (const [i, path] of mems.entries()) regions.push({ base: addressOption(bases[i]!), bytes: await readFile(path) });
    const fdt = await readFile(values.fdt);
    const model = await loadModel();
    try {
      const memory = new PhysicalMemory(regions);
      const image = decodeImage(model.versions, fdt, memory, { littleEndian: !values['big-endian'], pageSize });
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

export function parsePageSize(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PAGE_SIZE;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 256 || (value & (value - 1)) !== 0) {
    throw new UsageError(`--page-size must be a power of two of at least 256, not "${text}"`);
  }
  return value;
}

export async function readFile(path: string): Promise<Uint8Array> {
  try {
    return await readInput(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path === '-' ? 'stdin' : path}: ${(error as Error).message}`);
  }
}
