/**
 * Kaitai Struct as a peer: a .ksy in bench/ (written in YAML's JSON form, so JSON.parse reads it
 * without a YAML library) compiled to JavaScript at bench time with kaitai-struct-compiler's JS API
 * and loaded as a CommonJS module; nothing generated is kept.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export type KaitaiStreamClass = new (buffer: ArrayBuffer, byteOffset?: number) => unknown;

/** The .ksy as parsed, for a bench to check its limits against the layout before compiling. */
export function readKsy<T>(file: string): T {
  return JSON.parse(readFileSync(join(import.meta.dirname, file), 'utf8')) as T;
}

/** The class Kaitai generates for `ksy` (named by its meta id, in UpperCamelCase), and the runtime's stream. */
export async function compileKsy<T>(ksy: unknown, className: string): Promise<{ type: T; KaitaiStream: KaitaiStreamClass }> {
  const compiler = require('kaitai-struct-compiler') as {
    compile(lang: string, ksy: unknown, importer: null, debug: boolean): Promise<Record<string, string>>;
  };
  const files = await compiler.compile('javascript', ksy, null, false);
  const source = files[`${className}.js`];
  if (source === undefined) throw new Error(`kaitai-struct-compiler gave ${Object.keys(files).join(', ')}, not ${className}.js`);
  const exports: Record<string, unknown> = {};
  new Function('exports', 'require', source)(exports, require);
  return { type: exports[className] as T, KaitaiStream: require('kaitai-struct/KaitaiStream') as KaitaiStreamClass };
}
