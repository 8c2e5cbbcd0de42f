/**
 * Loading a schema module: the project's own by default, or any file exporting an AbiSchema. Every
 * way a module can fail to load (missing, a directory, a syntax error, an exception while it runs,
 * no AbiSchema exported) is an InputError that names the file, and the line where there is one.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AbiSchema } from '../../schema/lang.ts';
import { buildModel, DEFAULT_PAGE_SHIFT, type Model, type PageShift } from '../model/index.ts';
import { InputError } from './errors.ts';
import { DEFAULT_SCHEMA, displayPath } from './paths.ts';

/** The module's exports; `what` names it in messages ("the schema FILE"). */
export async function importModule(path: string, what: string): Promise<Record<string, unknown>> {
  const file = resolve(path);
  if (!existsSync(file)) throw new InputError(`${what} does not exist`);
  if (statSync(file).isDirectory()) {
    const index = join(file, 'index.ts');
    throw new InputError(`${what} is a directory; give the module file${existsSync(index) ? ` (${displayPath(index)}?)` : ''}`);
  }
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(`${what} cannot be loaded: ${loadFailure(error)}`, { cause: error });
  }
}

/**
 * One line: where (the file and line, from a syntax error or from the stack of an exception the
 * module threw) and what, in the words of the error.
 */
function loadFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // A compiler's syntax error names the file, line and column somewhere in its text: esbuild's (tsx)
  // "x.ts:3:1: ERROR: Expected ...", oxc's (vitest) "[PARSE_ERROR] Expected ... [ x.ts:3:1 ]".
  const text = error.message.replace(/\x1b\[[0-9;]*m/g, '');
  const what = /ERROR: (.*)$/m.exec(text)?.[1] ?? /\[[A-Z_]*ERROR\] (.*)$/m.exec(text)?.[1];
  const place = /([^\s[\]]+\.[cm]?tsx?):(\d+):(\d+)/.exec(text);
  if (what && place) return `syntax error at ${displayPath(place[1]!)}:${place[2]}:${place[3]}: ${what.trim()}`;
  const first = error.message.split('\n')[0]!.trim();
  if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_REQUIRE')) {
    return `${first} (a schema is an ES module: name it .mts, or put it beside a package.json that says "type": "module")`;
  }
  // The first frame in a file of the user's: not Node's, not a dependency's, not luo-abi's own.
  const frames = [...(error.stack ?? '').matchAll(/\(?(?:file:\/\/)?(\/[^():\s]+):(\d+):\d+\)?$/gm)];
  const own = frames.find((f) => !f[1]!.includes('/node_modules/') && !f[1]!.startsWith(GENERATOR));
  return own ? `${error.name} at ${displayPath(own[1]!)}:${own[2]}: ${first}` : `${error.name}: ${first}`;
}

const GENERATOR = resolve(import.meta.dirname, '..');

export async function loadSchema(path: string = DEFAULT_SCHEMA): Promise<AbiSchema> {
  const what = `the schema ${displayPath(path)}`;
  const module = await importModule(path, what);
  const schema = (module['default'] ?? module['schema']) as AbiSchema | undefined;
  if (!isSchema(schema)) {
    throw new InputError(`${what} must export a family (family({...})) or a header (header({...})) as its default export or as "schema"`);
  }
  return schema;
}

export function isSchema(value: unknown): value is AbiSchema {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'family' || kind === 'header';
}

/** Load and build, laid out for a page size; a SchemaError (a mistake in the schema) propagates to the CLI, which exits 2. */
export async function loadModel(path?: string, pageShift?: PageShift): Promise<Model> {
  return modelOf(await loadSchema(path), pageShift);
}

/**
 * Models already built, by schema and page shift. A schema module imported again is the same
 * object, and schema objects are frozen, so the model built from one is the same every time: a
 * process that runs several commands (a test, a tool calling the library) builds it once.
 */
const built = new WeakMap<AbiSchema, Map<PageShift, Model>>();

export function modelOf(schema: AbiSchema, pageShift: PageShift = DEFAULT_PAGE_SHIFT): Model {
  let byShift = built.get(schema);
  if (!byShift) built.set(schema, (byShift = new Map()));
  let model = byShift.get(pageShift);
  // Frozen, because it is shared: a caller that changed it would change it for every later one.
  if (!model) byShift.set(pageShift, (model = deepFreeze(buildModel(schema, { pageShift }))));
  return model;
}

function deepFreeze<T>(value: T, seen = new Set<object>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
  if (value instanceof Map) for (const [k, v] of value) (deepFreeze(k, seen), deepFreeze(v, seen));
  if (value instanceof Set) for (const v of value) deepFreeze(v, seen);
  return Object.freeze(value);
}
