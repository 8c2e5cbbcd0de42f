import { checkHeader } from '../../check/header/check-header.ts';
import { PAGE_SHIFTS } from '../../check/header/prelude.ts';
import { DEFAULT_ARCH } from '../../check/header/tree.ts';
import { counts, formatReport, FORMATS, type CheckReport, type Format } from '../../check/format.ts';
import { checkSchema } from '../../check/run.ts';
import { rules } from '../../check/rules/index.ts';
import { UsageError } from '../../core/errors.ts';
import { EXIT } from '../../core/exit-codes.ts';
import { asksForJson, parseCommandLine, type Command } from '../command.ts';

export const checkCommand: Command = {
  name: 'check',
  summary: 'ABI-drift guard: fail when a layout changes without a compatible-string bump',
  help: `Usage: luo-abi check [--schema FILE] [--lock FILE | --against GIT_REF] [--out DIR] [--format text|json|github]
       luo-abi check --header PATH [--against GIT_REF] [--arch ARCH] [--page-shift N] [--schema FILE] [--format ...]

Compare the canonical layout under every compatible string (structs, fields, offsets, sizes, array
lengths and their constants, packing, nested structs, what each physical address points at, FDT nodes
and properties) with the layout recorded for that string. Documentation changes never matter.

Modes:
  (default)              the schema against the lock file, schema/abi.lock.json; also fails when out/
                         is stale (unless --schema is given; --out DIR compares another directory)
  --against GIT_REF      the schema against the schema at another revision (read with git archive;
                         the work tree is not touched)
  --header PATH          a real C header (one of a kernel tree's include/linux/kho/abi/), compiled as the
                         kernel would (includes from its kernel tree, a small prelude for what needs a
                         configured build) and read with pahole, against the schema version with its
                         compatible strings
  --header PATH --against GIT_REF
                         the header against the same header, in its tree, at another revision

Options:
  --schema FILE          schema module (default: the project's schema/index.ts)
  --lock FILE            lock file (default: schema/abi.lock.json)
  --out DIR              generated files to compare with the schema
  --format FORMAT        text (default), json or github (workflow annotations)
  --arch ARCH            --header: the architecture whose arch/ARCH/include gives <asm/...> (default ${DEFAULT_ARCH})
  --page-shift N         --header: PAGE_SHIFT of the kernel, ${PAGE_SHIFTS.join(', ')} (default 12)
  -h, --help             show this help

Rules:
${rules.map((r) => `  ${r.id} ${r.name.padEnd(34)} ${r.severity.padEnd(7)} ${r.description}`).join('\n')}

--header mode sees C layouts and macros only: a change to what a physical address points at (like
luo-v3 -> luo-v4) leaves every struct as it was, so only the schema modes can demand that bump.

With --format json a run that fails before it can report (exit 2 or 70) prints instead
{ "format": 1, "ok": false, "error": { "kind", "exitCode", "message" } } on stdout, the message on stderr.

Exit codes: 0 clean or warnings only, 1 breaking change without a bump, 2 usage or input error (schema,
lock file, revision, header), 70 internal error.`,
  jsonErrors: asksForJson,
  async run(args) {
    const { values } = parseCommandLine(args, {
      schema: { type: 'string' },
      lock: { type: 'string' },
      against: { type: 'string' },
      header: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string', default: 'text' },
      arch: { type: 'string' },
      'page-shift': { type: 'string' },
    });
    const format = values.format as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    if (values.lock && values.against) throw new UsageError('--lock and --against are two baselines; give one');
    if (values.header && (values.lock || values.out)) throw new UsageError('--header compares a header; --lock and --out do not apply');
    if (!values.header && (values.arch || values['page-shift'])) throw new UsageError('--arch and --page-shift say how to compile a header; give --header');
    const pageShift = values['page-shift'] === undefined ? undefined : PAGE_SHIFTS.find((n) => String(n) === values['page-shift']);
    if (values['page-shift'] !== undefined && pageShift === undefined) throw new UsageError(`--page-shift must be one of ${PAGE_SHIFTS.join(', ')}`);
    const report: CheckReport = values.header
      ? await checkHeader({
          headerPath: values.header,
          ...(values.against ? { against: values.against } : {}),
          ...(values.schema ? { schemaPath: values.schema } : {}),
          compile: { ...(values.arch ? { arch: values.arch } : {}), ...(pageShift ? { pageShift } : {}) },
        })
      : await checkSchema({
          ...(values.schema ? { schemaPath: values.schema } : {}),
          ...(values.lock ? { lockPath: values.lock } : {}),
          ...(values.against ? { against: values.against } : {}),
          ...(values.out ? { outDir: values.out } : {}),
        });
    const text = formatReport(report, format);
    const { errors } = counts(report.findings);
    (format === 'text' && errors > 0 ? process.stderr : process.stdout).write(text);
    return errors > 0 ? EXIT.findings : EXIT.ok;
  },
};
