/**
 * The codec modules compiled into an npm package: each module's JavaScript and `.d.ts`, made from its
 * TypeScript one file at a time by oxc (a type stripper and an isolated-declarations emitter, native
 * and fast: milliseconds for the whole package, where loading a type checker takes seconds), laid
 * out in the project's style, plus the package.json that maps each module to a subpath.
 */
import { transformSync } from 'oxc-transform';

/** One module of the package: its path without an extension, the TypeScript, and what heads each output. */
export interface ModuleSource {
  readonly path: string;
  readonly typescript: string;
  /** Comment lines put first in the `.js` and the `.d.ts` (the compiler keeps no comment before an import). */
  readonly header: string;
}

export interface CompiledModule {
  readonly js: string;
  readonly dts: string;
}

/** Compiles one module; a source oxc refuses is a bug of the emitter, said with oxc's words. */
export function compileModule(module: ModuleSource): CompiledModule {
  const filename = `${module.path}.ts`;
  const result = transformSync(filename, module.typescript, { lang: 'ts', sourceType: 'module', typescript: { declaration: {} } });
  if (result.errors.length > 0 || result.declaration === undefined) {
    const reasons = result.errors.map((e) => e.codeframe ?? e.message).join('\n');
    throw new Error(`the TypeScript emitted for ${filename} does not compile:\n${reasons || 'no declaration was emitted'}`);
  }
  return {
    js: module.header + tidy(filename, result.code, 'js'),
    dts: module.header + tidy(filename, result.declaration, 'dts'),
  };
}

/** Columns past which an import or export of many names gets one name a line. */
const WIDTH = 110;
const LONG_IMPORT = /^((?:import|export) (?:type )?)\{ (.*) \} (from ".*";)$/;

/** What the compiler makes of `code` again, whitespace and all, to compare two layouts of one program. */
function reprint(filename: string, code: string, kind: 'js' | 'dts'): string {
  const result =
    kind === 'js'
      ? transformSync(filename, code, { lang: 'js', sourceType: 'module' }).code
      : transformSync(filename, code, { lang: 'dts', sourceType: 'module', typescript: { declaration: {} } }).declaration;
  return result ?? '';
}

/**
 * The compiler's printed code in the layout of the project's own: two spaces a level rather than a
 * tab, the stars of a JSDoc comment under its first, a blank line before a top-level comment and after
 * a top-level block, an import of many names one name a line. Only
 * whitespace between tokens changes, which the compiler, printing both again, must confirm: a
 * template literal over several lines would be changed by re-indenting, and is refused.
 */
export function tidy(filename: string, code: string, kind: 'js' | 'dts'): string {
  const lines: string[] = [];
  let inComment = false;
  let previous = '';
  for (const line of code.replace(/\n+$/, '').split('\n')) {
    const depth = /^\t*/.exec(line)![0].length;
    const text = line.slice(depth);
    const continuesComment = inComment && text.startsWith('*');
    // Before a top-level comment, and after a top-level block; consecutive statements stay together.
    const startsComment = depth === 0 && !inComment && (text.startsWith('/*') || text.startsWith('//'));
    const afterBlock = depth === 0 && /^}/.test(previous) && !/^[}\])]/.test(text);
    if (lines.length > 0 && (startsComment || afterBlock) && previous !== '' && !/^\/[*/]/.test(previous)) lines.push('');
    const names = depth === 0 && !inComment && text.length > WIDTH ? LONG_IMPORT.exec(text) : null;
    if (names) lines.push(`${names[1]}{`, ...names[2]!.split(', ').map((name) => `  ${name},`), `} ${names[3]}`);
    else lines.push('  '.repeat(depth) + (continuesComment ? ' ' : '') + text);
    if (text.startsWith('/*') && !text.includes('*/')) inComment = true;
    else if (inComment && text.includes('*/')) inComment = false;
    if (depth === 0) previous = text;
  }
  const tidied = lines.join('\n') + '\n';
  if (reprint(filename, tidied, kind) !== reprint(filename, code, kind)) {
    throw new Error(`laying out ${filename} would change more than whitespace (a template literal over several lines?)`);
  }
  return tidied;
}

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly license: string;
  /** Module paths without an extension, relative to the package root: `index`, `luo/luo-v5`. */
  readonly modules: readonly string[];
}

/** package.json: an ES module package whose every module is a subpath with its types beside it. */
export function packageJson(info: PackageInfo): string {
  const entry = (path: string) => ({ types: `./${path}.d.ts`, default: `./${path}.js` });
  const subpaths = [...info.modules.filter((path) => path === 'index'), ...info.modules.filter((path) => path !== 'index')];
  const exports = Object.fromEntries(subpaths.map((path) => [path === 'index' ? '.' : `./${path}`, entry(path)]));
  const json = {
    name: info.name,
    version: info.version,
    description: info.description,
    license: info.license,
    type: 'module',
    sideEffects: false,
    main: './index.js',
    types: './index.d.ts',
    exports: { ...exports, './package.json': './package.json' },
  };
  return JSON.stringify(json, null, 2) + '\n';
}
