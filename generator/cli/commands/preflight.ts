import { writeFileSync } from 'node:fs';
import { PAGE_SHIFTS } from '../../check/header/prelude.ts';
import { DEFAULT_ARCH } from '../../check/header/tree.ts';
import { FORMATS, type Format } from '../../check/format.ts';
import { OutputError, UsageError, systemReason } from '../../core/errors.ts';
import { displayPath } from '../../core/paths.ts';
import { EXIT } from '../../core/exit-codes.ts';
import { formatMatrix, formatPreflight, MATRIX_FORMATS, preflightMatrix, preflightPair, preflightState, type MatrixFormat, type PreflightOptions } from '../../preflight/index.ts';
import { asksForJson, parseCommandLine, type Command } from '../command.ts';
import { memoryOption, memoryOptions, readInputOption } from '../options.ts';

export const preflightCommand: Command = {
  name: 'preflight',
  summary: 'before a kexec: will kernel B accept what kernel A hands over (feature bits and strings)',
  help: `Usage: luo-abi preflight --from A --to B [--format text|json|github] [options]
       luo-abi preflight --from-state KHO.dtb --mem FILE [--mem-base ADDR]... --to B [options]
       luo-abi preflight --matrix K1 K2 [K3 ...] [--format text|json|html] [--out FILE] [options]

For every KHO client and LUO subsystem kernel A hands over (the LUO core, each file handler): what A
hands over (a compatible string, or the feature bits its payload requires and uses), whether B accepts
it, and why not: the string differs; the bits B lacks, by name; the layouts, field by field. B accepts
a feature-negotiated payload when it supports every bit the payload requires (bits the payload uses
without requiring them, B may ignore; they are listed). A refusal says what would be lost.

A kernel (A, B, K1 ...) is one of:
  a kernel image        an ELF file with a .liveupdate_features section; with DWARF, pahole reads
                        the layouts of its structs
  a kernel tree         a directory with include/: each header the schema describes is compiled as
                        the kernel would (as check --header does) for its masks, strings and layouts
  a git revision        of the kernel tree at --repo (default: the current directory), read as a tree

--from-state answers for an actual handover instead of kernel A: KHO's root FDT and the memory it
points into (--mem, as decode takes them) are walked as decode --kho walks them, and each KHO client
and file handler is judged by its payload: the bits its feature header really requires and uses,
or the string that selected its version (several payloads of one handler: their masks together).
KHO's root string is judged against a tree or a revision (an image cannot tell it; a note says so).
A handover that cannot be read is exit 2, the message naming the place.

--matrix prints which kernel can live-update to which: every ordered pair.

Options:
  --repo DIR             the kernel tree (a git repository) revisions are of (default: .)
  --format FORMAT        text (default), json, or github (annotations); with --matrix: text, json, html
  --out FILE             write the output to FILE instead of stdout
  --arch ARCH            trees: the architecture whose arch/ARCH/include gives <asm/...> (default ${DEFAULT_ARCH})
  --page-shift N         trees, and the kernel that wrote a --from-state handover: its PAGE_SHIFT,
                         ${PAGE_SHIFTS.join(', ')} (default 12)
  --mem FILE             --from-state: physical memory, a raw dump (with --mem-base after it) or an
                         ELF core file; repeat for several
  --mem-base ADDR        --from-state: physical address of the first byte of the --mem before it
  --big-endian           --from-state: the handover was written by a big-endian kernel
  --schema FILE          schema module (default: the project's schema/index.ts)
  -h, --help             show this help

With --format json a run that fails before it can report (exit 2 or 70) prints instead
{ "format": 1, "ok": false, "error": { "kind", "exitCode", "message" } } on stdout, the message on stderr.

Exit codes: 0 every subsystem accepted (every pair, with --matrix), 1 something would be refused (or
cannot be told), 2 usage or input error (a kernel that cannot be read: the message names the offset),
70 internal error.`,
  jsonErrors: asksForJson,
  async run(args) {
    const { values, positionals, tokens } = parseCommandLine(
      args,
      {
        from: { type: 'string' },
        'from-state': { type: 'string' },
        mem: { type: 'string', multiple: true },
        'mem-base': { type: 'string', multiple: true },
        'big-endian': { type: 'boolean' },
        to: { type: 'string' },
        matrix: { type: 'boolean' },
        repo: { type: 'string' },
        format: { type: 'string', default: 'text' },
        out: { type: 'string' },
        arch: { type: 'string' },
        'page-shift': { type: 'string' },
        schema: { type: 'string' },
      },
      true,
    );
    const pageShift = values['page-shift'] === undefined ? undefined : PAGE_SHIFTS.find((n) => String(n) === values['page-shift']);
    if (values['page-shift'] !== undefined && pageShift === undefined) throw new UsageError(`--page-shift must be one of ${PAGE_SHIFTS.join(', ')}`);
    const options: PreflightOptions = {
      ...(values.repo ? { repo: values.repo } : {}),
      ...(values.arch ? { arch: values.arch } : {}),
      ...(pageShift ? { pageShift } : {}),
      ...(values.schema ? { schemaPath: values.schema } : {}),
    };
    const emit = (text: string) => {
      if (!values.out) return void process.stdout.write(text);
      try {
        writeFileSync(values.out, text);
      } catch (error) {
        throw new OutputError(`cannot write --out ${values.out}: ${systemReason(error)}`);
      }
    };
    const mems = memoryOptions(tokens);
    const fromState = values['from-state'];
    if (fromState === undefined && (mems.length > 0 || values['big-endian'])) throw new UsageError('--mem, --mem-base and --big-endian describe a handover: give it with --from-state KHO.dtb');
    if (values.matrix) {
      if (values.from || values.to || fromState) throw new UsageError('--matrix compares every pair of the kernels it is given; --from, --from-state and --to do not apply');
      if (positionals.length < 2) throw new UsageError(`--matrix needs at least two kernels, got ${positionals.length}`);
      const format = values.format as MatrixFormat;
      if (!MATRIX_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${MATRIX_FORMATS.join(', ')} with --matrix`);
      const matrix = await preflightMatrix(positionals, options);
      emit(formatMatrix(matrix, format));
      return matrix.pairs.every((p) => p.ok) ? EXIT.ok : EXIT.findings;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; name the kernels with --from and --to (or --matrix K1 K2 ...)`);
    if (values.from && fromState) throw new UsageError('give the kernel handing over (--from) or a handover it wrote (--from-state), not both');
    if ((!values.from && !fromState) || !values.to) throw new UsageError('give the kernel handing over (--from) or a handover it wrote (--from-state), and the kernel receiving (--to)');
    const format = values.format as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (fromState !== undefined && mems.length === 0) throw new UsageError('--from-state needs the memory the handover points into: --mem FILE [--mem-base ADDR]');
    if ([fromState, ...mems.map((m) => m.path)].filter((f) => f === '-').length > 1) throw new UsageError('only one input can be stdin ("-")');
    const report = fromState === undefined ? await preflightPair(values.from!, values.to, options) : await stateReport(fromState);
    emit(formatPreflight(report, format));
    return report.ok ? EXIT.ok : EXIT.findings;

    async function stateReport(path: string) {
      const kho = await readInputOption('--from-state', path);
      const memory = await memoryOption(mems);
      try {
        return await preflightState({ name: path === '-' ? 'stdin' : displayPath(path), kho, memory }, values.to!, { ...options, littleEndian: !values['big-endian'] });
      } finally {
        memory.close();
      }
    }
  },
};
