import { EXIT } from '../../core/exit-codes.ts';
import { UsageError, systemReason } from '../../core/errors.ts';
import { loadModel } from '../../core/schema.ts';
import { FdtError } from '../../fdt/index.ts';
import { findVersion } from '../../model/index.ts';
import { DEFAULT_PAGE_SIZE, ImageError, encodeImage } from '../../image/index.ts';
import { exampleState } from '../../image/example.ts';
import { ChunkedText, readChunks, standardOutput, writeOutputs } from '../../image/io.ts';
import { JsonWriter, readStateJson } from '../../image/json.ts';
import { luoCodecs } from '../../image/luo-codecs.ts';
import { emitState } from '../../image/stream.ts';
import { parseCommandLine, type Command } from '../command.ts';
import { addressOption, byteCountOption, pageSizeOption } from '../options.ts';

export const encodeCommand: Command = {
  name: 'encode',
  summary: 'build a LUO handover image (FDT and memory) from a state in JSON',
  help: `Usage: luo-abi encode STATE.json --fdt-out FILE --mem-out FILE --mem-base ADDR [options]
       luo-abi encode --example VERSION

Lay out the state (as \`luo-abi decode\` prints it) the way the kernel does: every block on a page
boundary, 16 pages per session block, 2 per file block, an FLB block as many pages as it needs, a
chain starting a new block when one is full. Write the LUO FDT and one memory image to be loaded at
--mem-base. Both outputs are written or neither.

The state: { "version": VERSION, "root": NODE }, a node { "compatible"?, "properties": {...},
"children": {...} }, a pointer null, a struct, or an array of structs. An integer is a decimal
string ("42", as decode writes 64-bit ones), a 0x string, or a JSON number up to 2^53; counts kept
beside a pointer may be left out. \`--example VERSION\` prints a complete one to start from. The JSON
is read as a stream: "version" must come before "root".

Arguments:
  STATE.json        the state ("-" for stdin)

Options:
  --fdt-out FILE    where to write the FDT blob ("-" for stdout)
  --mem-out FILE    where to write the memory image ("-" for stdout)
  --mem-base ADDR   physical address of the memory image's first byte (decimal or 0x..., page aligned)
  --big-endian      write for a big-endian kernel (default little-endian)
  --page-size N     PAGE_SIZE of the kernel that will read it: a power of two, 4096 to 1 GiB
                    (default ${DEFAULT_PAGE_SIZE}); LUO_FDT_SIZE follows it
  --fdt-size N      refuse an FDT larger than N bytes (default LUO_FDT_SIZE)
  --packed          put blocks back to back instead of on page boundaries (large synthetic images)
  --example VERSION print an example state for VERSION and exit
  -h, --help        show this help

Exit codes: 0 written, 1 the state cannot be encoded (the message says where), 2 usage error or an
output that cannot be written (nothing is written), 70 internal error.`,
  async run(args) {
    const { values, positionals } = parseCommandLine(
      args,
      {
        'fdt-out': { type: 'string' },
        'mem-out': { type: 'string' },
        'mem-base': { type: 'string' },
        'big-endian': { type: 'boolean' },
        'page-size': { type: 'string' },
        'fdt-size': { type: 'string' },
        packed: { type: 'boolean' },
        example: { type: 'string' },
      },
      true,
    );
    if (values.example !== undefined) {
      if (args.length !== 2) throw new UsageError('--example VERSION takes no other argument');
      return printExample(values.example);
    }
    if (positionals.length !== 1) throw new UsageError(`expected one STATE.json, got ${positionals.length}`);
    const fdtOut = values['fdt-out'];
    const memOut = values['mem-out'];
    if (!fdtOut || !memOut || values['mem-base'] === undefined) {
      throw new UsageError('--fdt-out FILE, --mem-out FILE and --mem-base ADDR are required');
    }
    if (fdtOut === '-' && memOut === '-') throw new UsageError('only one output can be stdout ("-")');
    const base = addressOption('--mem-base', values['mem-base']);
    const pageSize = pageSizeOption(values['page-size']);
    const maxFdtSize = values['fdt-size'] === undefined ? undefined : byteCountOption('--fdt-size', values['fdt-size']);
    const model = await loadModel();
    try {
      const state = await readStateJson(model.versions, readChunks(positionals[0]!));
      const version = findVersion(model, state.version);
      const image = encodeImage(version, luoCodecs[version.name]!, state, {
        base,
        pageSize,
        littleEndian: !values['big-endian'],
        packing: values.packed ? 'packed' : 'pages',
        ...(maxFdtSize === undefined ? {} : { maxFdtSize }),
      });
      writeOutputs([
        { path: fdtOut, name: '--fdt-out', bytes: image.fdt },
        { path: memOut, name: '--mem-out', bytes: image.memory },
      ]);
      const report = fdtOut === '-' || memOut === '-' ? process.stderr : process.stdout;
      report.write(`${state.version}: FDT ${image.fdt.length} bytes, memory ${image.memory.length} bytes at 0x${base.toString(16)}\n`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ImageError || error instanceof FdtError) {
        process.stderr.write(`luo-abi encode: cannot encode: ${error.message}\n`);
        return EXIT.findings;
      }
      if (isUnreadable(error)) throw new UsageError(`cannot read ${positionals[0] === '-' ? 'stdin' : positionals[0]}: ${systemReason(error)}`);
      if (error instanceof RangeError && /allocation failed|Invalid typed array length|Array buffer/.test(error.message)) {
        process.stderr.write(`luo-abi encode: cannot encode: the memory image is too large to build here (${error.message}); --packed puts blocks back to back, or give a smaller --page-size\n`);
        return EXIT.findings;
      }
      throw error;
    }
  },
};

/** A file that cannot be opened or read (reported by the stream, as a system error). */
function isUnreadable(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).syscall !== undefined;
}

async function printExample(name: string): Promise<number> {
  const model = await loadModel();
  const version = model.versions.find((v) => v.name === name);
  if (!version) throw new UsageError(`--example: "${name}" is not a version; known: ${model.versions.map((v) => v.name).join(', ')}`);
  const text = new ChunkedText((chunk) => standardOutput.write(chunk));
  emitState(exampleState(version), new JsonWriter(text.write));
  text.flush();
  return EXIT.ok;
}
