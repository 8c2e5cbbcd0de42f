/**
 * Loading a schema module: the project's own by default, or any file exporting an AbiSchema. Every
 * way a module can fail to load (missing, a directory, a syntax error, an exception while it runs,
 * no AbiSchema exported) is an InputError that names the file, and the line where there is one.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AbiSchema } from '../../schema/lang.ts';
import { buildModel, type Model } from '../model/index.ts';
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

/** One line: the error's first line and, when its stack passes through a file of the user's, where. */
function loadFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const first = error.message.split('\n')[0]!.trim();
  const frame = /\((file:\/\/[^)]+?):(\d+):\d+\)|at (file:\/\/\S+?):(\d+):\d+/.exec(error.stack ?? '');
  if (!frame) return `${error.name}: ${first}`;
  const url = frame[1] ?? frame[3]!;
  const line = frame[2] ?? frame[4]!;
  return `${error.name} at ${displayPath(fileURLToPath(url))}:${line}: ${first}`;
}

export async function loadSchema(path: string = DEFAULT_SCHEMA): Promise<AbiSchema> {
  const what = `the schema ${displayPath(path)}`;
  const module = await importModule(path, what);
  const schema = (module['default'] ?? module['schema']) as AbiSchema | undefined;
  if (!isSchema(schema)) throw new InputError(`${what} must export an AbiSchema as its default export or as "schema"`);
  return schema;
}

export function isSchema(value: unknown): value is AbiSchema {
  return typeof value === 'object' && value !== null && Array.isArray((value as AbiSchema).versions);
}

/** Load and build; a SchemaError (a mistake in the schema) propagates to the CLI, which exits 2. */
export async function loadModel(path?: string): Promise<Model> {
  return buildModel(await loadSchema(path));
}
