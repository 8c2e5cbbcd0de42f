import { FdtError } from '../../fdt/index.ts';
import { findVersion } from '../../model/index.ts';
import { DEFAULT_PAGE_SIZE, ImageError, encodeImage, stateFromJson } from '../../image/index.ts';
import { writeOutput } from '../../image/io.ts';
import { EXIT, UsageError, parseCommandLine, type Command } from '../command.ts';
import { loadModel } from '../schema-loader.ts';
import { addressOption, parsePageSize, readFile } from './decode.ts';

export const encodeCommand: Command = {
  name: 'encode',
  summary: 'build a LUO handover image (FDT and memory) from a state in JSON',
  help: `Usage: luo-abi encode STATE.json --fdt-out FILE --mem-out FILE --mem-base ADDR [options]

Lay out the state (as \`luo-abi decode\` prints it; count fields beside a pointer may be left out) the
way the kernel does: every block on a page boundary, 16 pages per session block, 2 per file block,
an FLB block as many pages as it needs, a chain starting a new block when one is full. Write the
LUO FDT and one memory image to be loaded at --mem-base.

Arguments:
  STATE.json        the state ("-" for stdin)

Options:
  --fdt-out FILE    where to write the FDT blob ("-" for stdout)
  --mem-out FILE    where to write the memory image ("-" for stdout)
  --mem-base ADDR   physical address of the memory image's first byte (decimal or 0x..., page aligned)
  --big-endian      write for a big-endian kernel (default little-endian)
  --page-size N     PAGE_SIZE of the kernel that will read it (default ${DEFAULT_PAGE_SIZE}); LUO_FDT_SIZE follows it
  --fdt-size N      refuse an FDT larger than N bytes (default LUO_FDT_SIZE)
  --packed          put blocks back to back instead of on page boundaries (large synthetic images)
  -h, --help        show this help

Exit codes: 0 written, 1 the state cannot be encoded (the message says where), 2 usage error.`,
  async run(args) {
    const { values, positionals } = parseCommandLine(
      'encode',
      args,
      {
        'fdt-out': { type: 'string' },
        'mem-out': { type: 'string' },
        'mem-base': { type: 'string' },
        'big-endian': { type: 'boolean' },
        'page-size': { type: 'string' },
        'fdt-size': { type: 'string' },
        packed: { type: 'boolean' },
      },
      true,
    );
    if (positionals.length !== 1) throw new UsageError(`encode: expected one STATE.json, got ${positionals.length}`);
    const fdtOut = values['fdt-out'];
    const memOut = values['mem-out'];
    if (!fdtOut || !memOut || values['mem-base'] === undefined) {
      throw new UsageError('encode: --fdt-out FILE, --mem-out FILE and --mem-base ADDR are required');
    }
    if (fdtOut === '-' && memOut === '-') throw new UsageError('encode: only one output can be stdout ("-")');
    const base = addressOption(values['mem-base']);
    const pageSize = parsePageSize(values['page-size']);
    const maxFdtSize = values['fdt-size'] === undefined ? undefined : sizeOption(values['fdt-size']);
    const text = new TextDecoder().decode(await readFile(positionals[0]!));
    const model = await loadModel();
    try {
      const state = stateFromJson(model.versions, parseJson(text));
      const version = findVersion(model, state.version);
      const image = encodeImage(version, state, {
        base,
        pageSize,
        littleEndian: !values['big-endian'],
        packing: values.packed ? 'packed' : 'pages',
        ...(maxFdtSize === undefined ? {} : { maxFdtSize }),
      });
      writeOutput(fdtOut, image.fdt);
      writeOutput(memOut, image.memory);
      const report = fdtOut === '-' || memOut === '-' ? process.stderr : process.stdout;
      report.write(`${state.version}: FDT ${image.fdt.length} bytes, memory ${image.memory.length} bytes at 0x${base.toString(16)}\n`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ImageError || error instanceof FdtError) {
        process.stderr.write(`luo-abi encode: cannot encode: ${error.message}\n`);
        return EXIT.findings;
      }
      throw error;
    }
  },
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ImageError('state', `is not JSON: ${(error as Error).message}`);
  }
}

function sizeOption(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`encode: --fdt-size must be a number of bytes, not "${text}"`);
  return Number(text);
}
