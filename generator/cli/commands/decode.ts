import { EXIT } from '../../core/exit-codes.ts';
import { UsageError } from '../../core/errors.ts';
import { loadModel } from '../../core/schema.ts';
import { FdtError } from '../../fdt/index.ts';
import { DEFAULT_PAGE_SIZE, ImageError, PhysicalMemory } from '../../image/index.ts';
import { ChunkedText, standardOutput } from '../../image/io.ts';
import { JsonWriter } from '../../image/json.ts';
import { luoCodecs } from '../../image/luo-codecs.ts';
import { streamImage } from '../../image/stream.ts';
import { TreeWriter, formatBlocks } from '../../image/view.ts';
import { parseCommandLine, type Command } from '../command.ts';
import { addressOption, pageSizeOption, readInputOption } from '../options.ts';

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode a LUO handover image (FDT and memory) into its state, as JSON or a tree',
  help: `Usage: luo-abi decode --fdt FILE [--mem FILE --mem-base ADDR]... [options]

Read the LUO FDT and the physical memory it points into, pick the ABI version from the compatible
strings, follow every physical address the schema declares and print the whole state. The image is
checked whole before anything is printed; then the state is printed as it is read, so that memory
stays bounded by the image, not by the text.

Options:
  --fdt FILE        the LUO FDT blob ("-" for stdin)
  --mem FILE        a raw memory dump ("-" for stdin); repeat for several regions
  --mem-base ADDR   physical address of the first byte of the preceding --mem (decimal or 0x...)
  --format FORMAT   json (default; 64-bit integers as decimal strings) or tree (for people)
  --big-endian      the image was written by a big-endian kernel (default little-endian)
  --page-size N     PAGE_SIZE of the kernel that wrote it: a power of two, 4096 to 1 GiB (default ${DEFAULT_PAGE_SIZE})
  -h, --help        show this help

Exit codes: 0 decoded, 1 bad image (the message says where; nothing is printed on stdout), 2 usage error,
70 internal error.`,
  async run(args) {
    const { values } = parseCommandLine(args, {
      fdt: { type: 'string' },
      mem: { type: 'string', multiple: true },
      'mem-base': { type: 'string', multiple: true },
      format: { type: 'string' },
      'big-endian': { type: 'boolean' },
      'page-size': { type: 'string' },
    });
    if (!values.fdt) throw new UsageError('--fdt FILE is required');
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'tree') throw new UsageError(`--format must be json or tree, not "${format}"`);
    const mems = values.mem ?? [];
    const bases = values['mem-base'] ?? [];
    if (mems.length !== bases.length) {
      throw new UsageError(`give one --mem-base for each --mem (${mems.length} --mem, ${bases.length} --mem-base)`);
    }
    if ([values.fdt, ...mems].filter((f) => f === '-').length > 1) throw new UsageError('only one input can be stdin ("-")');
    const pageSize = pageSizeOption(values['page-size']);
    const regions = [];
    for (const [i, path] of mems.entries()) regions.push({ base: addressOption('--mem-base', bases[i]!), bytes: await readInputOption('--mem', path) });
    const fdt = await readInputOption('--fdt', values.fdt);
    const model = await loadModel();
    const text = new ChunkedText((chunk) => standardOutput.write(chunk));
    try {
      const memory = new PhysicalMemory(regions);
      const sink = format === 'json' ? new JsonWriter(text.write) : new TreeWriter(text.write);
      const summary = streamImage(model.versions, luoCodecs, fdt, memory, sink, { littleEndian: !values['big-endian'], pageSize });
      if (format === 'tree') text.write(formatBlocks(summary.blocks, summary.bytes, (i) => summary.block(i)));
      text.flush();
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
