import { EXIT } from '../../core/exit-codes.ts';
import { UsageError, systemReason } from '../../core/errors.ts';
import { loadModel } from '../../core/schema.ts';
import { FdtError } from '../../fdt/index.ts';
import { allVersions, findVersion } from '../../model/index.ts';
import { DEFAULT_PAGE_SIZE, ImageError, encodeImage } from '../../image/index.ts';
import { exampleState } from '../../image/example.ts';
import { ChunkedText, readChunks, standardOutput, writeOutputs } from '../../image/io.ts';
import { JsonWriter, readStateJson } from '../../image/json.ts';
import { emitState } from '../../image/stream.ts';
import { parseCommandLine, type Command } from '../command.ts';
import { addressOption, byteCountOption, pageShiftOf, pageSizeOption } from '../options.ts';

export const encodeCommand: Command = {
  name: 'encode',
  summary: 'build a handover image (an FDT or a raw KHO entry, and memory) from a state in JSON',
  help: `Usage: luo-abi encode STATE.json [--fdt-out FILE] --mem-out FILE --mem-base ADDR [options]
       luo-abi encode --example VERSION [--schema FILE]

Lay out the state (as \`luo-abi decode\` prints it) the way the kernel does: every block on a page
boundary and as large as the schema says its blocks are (a chain starts a new block when one is
full). Write the FDT (for a version kept in one) and one memory image to be loaded at --mem-base;
for a version kept as a raw KHO entry the entry's address is printed instead. All outputs are
written or none.

A whole handover (a state of KHO's root FDT) is laid out with each client's state, each handler's
state and each preserved area in the memory image; everything written is marked preserved in the
preserved-memory map, which is built last (its own pages are not preserved, as in the kernel), with
the ranges the state lists besides.

The state: { "version": VERSION, "root": NODE } (or "entry": STRUCT for a raw KHO entry), a node
{ "compatible"?, "properties": {...}, "children": {...} }, a pointer null, a struct, or an array of
structs. An integer is a decimal string ("42", as decode writes 64-bit ones), a 0x string, or a JSON
number up to 2^53; counts kept beside a pointer may be left out. \`--example VERSION\` prints a
complete one to start from. The JSON is read as a stream: "version" must come first.

Arguments:
  STATE.json        the state ("-" for stdin)

Options:
  --fdt-out FILE    where to write the FDT blob ("-" for stdout); for a version kept in an FDT
  --mem-out FILE    where to write the memory image ("-" for stdout)
  --mem-base ADDR   physical address of the memory image's first byte (decimal or 0x..., page aligned)
  --big-endian      write for a big-endian kernel (default little-endian)
  --page-size N     PAGE_SIZE of the kernel that will read it: 4096, 16384 or 65536
                    (default ${DEFAULT_PAGE_SIZE}); the layouts and the FDT's size limit follow it
  --fdt-size N      refuse an FDT larger than N bytes (default: the schema's limit)
  --schema FILE     schema module to read (default: the project's schema/index.ts)
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
        schema: { type: 'string' },
        packed: { type: 'boolean' },
        example: { type: 'string' },
      },
      true,
    );
    if (values.example !== undefined) {
      const others = Object.keys(values).filter((name) => name !== 'example' && name !== 'schema');
      if (others.length > 0 || positionals.length > 0) throw new UsageError('--example VERSION takes no other argument but --schema');
      return printExample(values.example, values.schema);
    }
    if (positionals.length !== 1) throw new UsageError(`expected one STATE.json, got ${positionals.length}`);
    const fdtOut = values['fdt-out'];
    const memOut = values['mem-out'];
    if (!memOut || values['mem-base'] === undefined) throw new UsageError('--mem-out FILE and --mem-base ADDR are required');
    if (fdtOut === '-' && memOut === '-') throw new UsageError('only one output can be stdout ("-")');
    const base = addressOption('--mem-base', values['mem-base']);
    const pageSize = pageSizeOption(values['page-size']);
    const maxFdtSize = values['fdt-size'] === undefined ? undefined : byteCountOption('--fdt-size', values['fdt-size']);
    // Layouts depend on the page size: the model is laid out for the kernel that will read the image.
    const model = await loadModel(values.schema, pageShiftOf(pageSize));
    try {
      const state = await readStateJson(allVersions(model), readChunks(positionals[0]!));
      const version = findVersion(model, state.version);
      const raw = version.container?.kind === 'kho-entry';
      if (raw && fdtOut) throw new UsageError(`--fdt-out does not apply: ${version.name} keeps its state as a raw KHO entry (its address is printed)`);
      if (!raw && !fdtOut) throw new UsageError(`--fdt-out FILE is required: ${version.name} keeps its state in an FDT`);
      const image = encodeImage(version, state, {
        base,
        family: allVersions(model),
        pageSize,
        littleEndian: !values['big-endian'],
        packing: values.packed ? 'packed' : 'pages',
        ...(maxFdtSize === undefined ? {} : { maxFdtSize }),
      });
      writeOutputs([
        ...(image.fdt ? [{ path: fdtOut!, name: '--fdt-out', bytes: image.fdt }] : []),
        { path: memOut, name: '--mem-out', bytes: image.memory },
      ]);
      const report = fdtOut === '-' || memOut === '-' ? process.stderr : process.stdout;
      const root = image.fdt ? `FDT ${image.fdt.length} bytes` : `raw KHO entry at 0x${image.entryPa!.toString(16)}`;
      report.write(`${state.version}: ${root}, memory ${image.memory.length} bytes at 0x${base.toString(16)}\n`);
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

async function printExample(name: string, schema: string | undefined): Promise<number> {
  const versions = allVersions(await loadModel(schema));
  const version = versions.find((v) => v.name === name);
  const withState = versions.filter((v) => v.container && v.container.kind !== 'reached-from');
  if (!version) throw new UsageError(`--example: "${name}" is not a version; known: ${versions.map((v) => v.name).join(', ')}`);
  if (!version.container) {
    throw new UsageError(`--example: ${name} hands over no state of its own (its header gives definitions other headers use); versions with state: ${withState.map((v) => v.name).join(', ')}`);
  }
  if (version.container.kind === 'reached-from') {
    const { from, field } = version.container;
    throw new UsageError(`--example: ${name} is a file handler's state, which travels inside another version's (at ${from.struct}.${field}); ask for the example of a version that holds it: ${withState.map((v) => v.name).join(', ')}`);
  }
  const text = new ChunkedText((chunk) => standardOutput.write(chunk));
  emitState(exampleState(version), new JsonWriter(text.write));
  text.flush();
  return EXIT.ok;
}
