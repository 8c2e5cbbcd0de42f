import { EXIT } from '../../core/exit-codes.ts';
import { UsageError } from '../../core/errors.ts';
import { loadModel } from '../../core/schema.ts';
import { FdtError } from '../../fdt/index.ts';
import { DEFAULT_PAGE_SIZE, ImageError } from '../../image/index.ts';
import { ChunkedText, standardOutput } from '../../image/io.ts';
import { JsonWriter } from '../../image/json.ts';
import { allVersions, type Model, type VersionModel } from '../../model/index.ts';
import { streamImage } from '../../image/stream.ts';
import { TreeWriter, formatBlocks } from '../../image/view.ts';
import { parseCommandLine, type Command } from '../command.ts';
import { addressOption, memoryOption, memoryOptions, pageShiftOf, pageSizeOption, readInputOption } from '../options.ts';

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode a handover (KHO\'s root FDT, a client\'s FDT or a raw KHO entry, and memory) into its state, as JSON or a tree',
  help: `Usage: luo-abi decode (--kho FILE | --fdt FILE | --at ADDR) [--header NAME] [--mem FILE [--mem-base ADDR]]... [options]

Read KHO's root FDT (or one client's FDT, or the raw struct a KHO entry holds) and the physical
memory it points into, pick each version from its compatible string, follow every physical address
the schema declares and print the whole state: from KHO's root, the preserved-memory map and every
client the schema knows (LUO, memblock, ...), down to each preserved file's handler state; a client
or a handler the schema does not know is shown by its name and address. The image is checked whole
before anything is printed; then the state is printed as it is read, so that memory stays bounded
by the image, not by the text.

Where the state has a preserved-memory map, every block the walk read (the map's own pages aside)
is checked against it: one outside it is memory the next kernel would not get back, listed under
"warnings" with the path that led to it.

Options:
  --kho FILE        KHO's root FDT: the whole handover ("-" for stdin)
  --fdt FILE        a client's FDT blob, e.g. LUO's up to luo-v4 ("-" for stdin)
  --at ADDR         the physical address of the raw struct a KHO entry holds (luo_ser from luo-v5
                    on), its version read from its compatible field
  --header NAME     read the state the image starts with (the FDT's, or the entry's at --at) as a
                    version of header NAME only (luo, kexec_handover, ...): a string of another
                    header's is an error rather than decoded; what it leads to may be of any header
  --schema FILE     schema module to read (default: the project's schema/index.ts)
  --mem FILE        physical memory ("-" for stdin); repeat for several, raw dumps and ELF cores mixed.
                    With --mem-base after it: a raw dump. Without: an ELF core file (QEMU's
                    dump-guest-memory, kdump's /proc/vmcore), each PT_LOAD at its p_paddr; what a
                    PT_LOAD describes past its bytes in the file (p_memsz > p_filesz) is not present
  --mem-base ADDR   physical address of the first byte of the --mem before it (decimal or 0x...);
                    the file is then raw, even if it starts with "\\x7fELF"
  --format FORMAT   json (default; 64-bit integers as decimal strings) or tree (for people)
  --big-endian      the image was written by a big-endian kernel (default little-endian)
  --page-size N     PAGE_SIZE of the kernel that wrote it: 4096, 16384 or 65536 (default ${DEFAULT_PAGE_SIZE})
  -h, --help        show this help

Exit codes: 0 decoded, 1 bad image (the message says where; nothing is printed on stdout) or blocks
outside the preserved memory (the state is printed with its warnings), 2 usage error, 70 internal error.`,
  async run(args) {
    const { values, tokens } = parseCommandLine(args, {
      kho: { type: 'string' },
      fdt: { type: 'string' },
      at: { type: 'string' },
      header: { type: 'string' },
      schema: { type: 'string' },
      mem: { type: 'string', multiple: true },
      'mem-base': { type: 'string', multiple: true },
      format: { type: 'string' },
      'big-endian': { type: 'boolean' },
      'page-size': { type: 'string' },
    });
    if ([values.kho, values.fdt, values.at].filter((v) => v !== undefined).length !== 1) throw new UsageError('give one of --kho FILE, --fdt FILE or --at ADDR');
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'tree') throw new UsageError(`--format must be json or tree, not "${format}"`);
    const mems = memoryOptions(tokens);
    if ([values.kho, values.fdt, ...mems.map((m) => m.path)].filter((f) => f === '-').length > 1) throw new UsageError('only one input can be stdin ("-")');
    const pageSize = pageSizeOption(values['page-size']);
    const at = values.at === undefined ? undefined : addressOption('--at', values.at);
    // Layouts depend on the page size: the model is laid out for the kernel that wrote the image.
    const model = await loadModel(values.schema, pageShiftOf(pageSize));
    if (values.header !== undefined) checkHeader(model, values.header, values.kho !== undefined ? '--kho' : values.fdt !== undefined ? '--fdt' : '--at');
    const memory = await memoryOption(mems);
    const image =
      values.kho !== undefined ? { kho: await readInputOption('--kho', values.kho) } : values.fdt !== undefined ? await readInputOption('--fdt', values.fdt) : { entryAt: at! };
    const text = new ChunkedText((chunk) => standardOutput.write(chunk));
    try {
      const sink = format === 'json' ? new JsonWriter(text.write) : new TreeWriter(text.write);
      const summary = streamImage(allVersions(model), image, memory, sink, { littleEndian: !values['big-endian'], pageSize, ...(values.header === undefined ? {} : { header: values.header }) });
      if (format === 'tree') text.write(formatBlocks(summary.blocks, summary.bytes, (i) => summary.block(i)));
      text.flush();
      const outside = summary.preserved?.total ?? 0;
      if (outside > 0) {
        process.stderr.write(`luo-abi decode: ${outside} block${outside === 1 ? '' : 's'} read outside the preserved memory: the next kernel would not get ${outside === 1 ? 'it' : 'them'} back (see "warnings")\n`);
        return EXIT.findings;
      }
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ImageError || error instanceof FdtError) {
        process.stderr.write(`luo-abi decode: bad image: ${error.message}\n`);
        return EXIT.findings;
      }
      throw error;
    } finally {
      memory.close();
    }
  },
};

type Source = '--kho' | '--fdt' | '--at';

/** The options a version's state is read from, as the top of a decode: none for one only reached from another state. */
function sourcesOf(version: VersionModel): Source[] {
  const container = version.container;
  if (container?.kind === 'fdt') return container.khoEntry ? ['--fdt'] : ['--kho', '--fdt'];
  if (container?.kind === 'kho-entry') return ['--at'];
  return [];
}

/** A usage error unless header `name` is in the schema and has a version `source` can read. */
function checkHeader(model: Model, name: string, source: Source): void {
  const header = model.headers.find((h) => h.name === name);
  if (!header) throw new UsageError(`--header: the schema has no header "${name}"; its headers: ${model.headers.map((h) => h.name).join(', ')}`);
  const sources = new Set(header.versions.flatMap(sourcesOf));
  if (sources.has(source)) return;
  if (sources.size === 0) {
    throw new UsageError(`--header ${name}: no version of header ${name} keeps a state decode can start from (each is reached from another header's state); decode the state that leads to it, without --header`);
  }
  throw new UsageError(`--header ${name}: no version of header ${name} is read with ${source}; its versions are read with ${[...sources].join(' or ')}`);
}
