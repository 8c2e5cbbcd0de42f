/** Loading a schema module: the project's own by default, or any file exporting an AbiSchema. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AbiSchema } from '../../schema/lang.ts';
import { buildModel, type Model, type PageShift } from '../model/index.ts';
import { UsageError } from './command.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
export const DEFAULT_SCHEMA = resolve(PROJECT_ROOT, 'schema/index.ts');
export const DEFAULT_OUT = resolve(PROJECT_ROOT, 'out');
export const DEFAULT_LOCK = resolve(PROJECT_ROOT, 'schema/abi.lock.json');

export async function loadSchema(path: string = DEFAULT_SCHEMA): Promise<AbiSchema> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`schema file ${path} does not exist`);
  const module = (await import(pathToFileURL(file).href)) as { default?: AbiSchema; schema?: AbiSchema };
  const schema = module.default ?? module.schema;
  if (!schema || (schema.kind !== 'family' && schema.kind !== 'header')) {
    throw new UsageError(`${path} must export a family (family({...})) or a header (header({...})) as its default export or as "schema"`);
  }
  return schema;
}

/** Load and build, laid out for a page size; a SchemaError propagates to main, which exits 2. */
export async function loadModel(path?: string, pageShift?: PageShift): Promise<Model> {
  return buildModel(await loadSchema(path), pageShift ? { pageShift } : {});
}
