/**
 * gcc's complaints about a header, turned into messages that name the file and line, and say what to
 * do. A message never ends in a gcc command line: the user did not write one.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.ts';
import { preludeHeaders } from './prelude.ts';

/** The header cannot be read as the kernel would read it: bad input, exit 2. */
export class HeaderError extends InputError {
  override readonly name: string = 'HeaderError';
}

export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly severity: 'error' | 'fatal error' | 'warning' | 'note';
  readonly message: string;
  /** The chain of includes that led to `file`, outermost last: `{ file, line }` of each #include. */
  readonly includedFrom: readonly { readonly file: string; readonly line: number }[];
}

/** gcc's stderr with -fdiagnostics-plain-output (one line a diagnostic, no source excerpts). */
export function parseDiagnostics(stderr: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  let chain: { file: string; line: number }[] = [];
  for (const text of stderr.split('\n')) {
    const included = /^(?:In file included from|\s+from) (.+):(\d+)[,:]$/.exec(text);
    if (included) {
      chain.push({ file: included[1]!, line: Number(included[2]) });
      continue;
    }
    const diagnostic = /^(.+?):(\d+)(?::\d+)?: (fatal error|error|warning|note): (.*)$/.exec(text);
    if (diagnostic) {
      const severity = diagnostic[3] as Diagnostic['severity'];
      found.push({ file: diagnostic[1]!, line: Number(diagnostic[2]), severity, message: diagnostic[4]!, includedFrom: chain });
      chain = [];
    }
  }
  return found;
}

/** How the compilation was set up, for advice. */
export interface CompileContext {
  /** The header as messages name it. */
  readonly header: string;
  /** `the kernel tree at linux`, or that there is none. */
  readonly treeName: string;
  readonly hasTree: boolean;
  /** Tree directories searched, relative to the tree. */
  readonly searched: readonly string[];
  readonly arch: string;
  /** A file gcc names (and a line in it), as messages show it. */
  show(path: string, line?: number): string;
}

const MISSING = /^(.+): No such file or directory$/;

/** The error for a compilation that failed: each error at its file and line, with what to do. */
export function compileError(stderr: string, context: CompileContext, commandLine: string): HeaderError {
  const debugText = `command line: ${commandLine}`;
  const errors = parseDiagnostics(stderr).filter((d) => d.severity === 'error' || d.severity === 'fatal error');
  if (errors.length === 0) return new HeaderError(`${context.header}: gcc could not compile it and said:\n${stderr.trim()}`, { debugText });
  const lines = errors.map((d) => (MISSING.test(d.message) ? missingInclude(d, context) : otherError(d, context)));
  const advice = errors.some((d) => !MISSING.test(d.message))
    ? [
        'To do: fix the lines named. A name the kernel defines in a header this one does not include must be included; ' +
          `luo-abi's prelude stands in only for ${preludeHeaders().join(', ')} and the compiler attributes (__packed, __aligned).`,
      ]
    : [];
  return new HeaderError([`${context.header} does not compile as the kernel would see it:`, ...lines, ...advice].join('\n'), { debugText });
}

function at(file: string, line: number, context: CompileContext): string {
  return context.show(file, line);
}

function chainText(d: Diagnostic, context: CompileContext): string {
  const real = d.includedFrom.filter((f) => f.file !== '<stdin>');
  return real.length > 0 ? ` (included from ${real.map((f) => at(f.file, f.line, context)).join(', from ')})` : '';
}

function otherError(d: Diagnostic, context: CompileContext): string {
  return `  ${at(d.file, d.line, context)}: ${d.message.replace(/[‘’]/g, "'")}${chainText(d, context)}`;
}

function missingInclude(d: Diagnostic, context: CompileContext): string {
  const name = MISSING.exec(d.message)![1]!;
  const spelled = includeAsWritten(d.file, d.line) ?? `<${name}>`;
  const looked = context.hasTree
    ? `looked in luo-abi's prelude and in ${context.treeName}: ${context.searched.map((s) => `${s}/`).join(', ')}${name.startsWith('asm/') ? ', asm-generic' : ''}`
    : `looked in luo-abi's prelude only: the header sits in no kernel tree (no include/ directory above it)`;
  const todo = !context.hasTree
    ? 'check the header where it lives in a kernel tree (include/linux/kho/abi/ of a kernel source tree), so that its includes resolve'
    : name.startsWith('asm/')
      ? `an architecture header: give the architecture that has it with --arch (now ${context.arch}), or add it to arch/${context.arch}/include`
      : name.startsWith('generated/')
        ? 'generated headers exist only in a configured build (make defconfig prepare); include the header the generated one comes from, or drop the include'
        : 'add the header to the tree or correct the #include; if the kernel generates it only in a configured build, the prelude must stand in for it (report it to luo-abi)';
  return `  ${at(d.file, d.line, context)}: #include ${spelled} not found${chainText(d, context)}; ${looked}.\n    To do: ${todo}.`;
}

/** The `<...>` or `"..."` of the #include on that line, as the file spells it. */
function includeAsWritten(file: string, line: number): string | undefined {
  try {
    const text = readFileSync(file, 'utf8').split('\n')[line - 1] ?? '';
    return /#\s*include\s*([<"][^>"]+[>"])/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}
