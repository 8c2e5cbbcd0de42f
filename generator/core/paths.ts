/** Where the project's own files are, and how messages show a path. */
import { relative, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
export const DEFAULT_SCHEMA = resolve(PROJECT_ROOT, 'schema/index.ts');
export const DEFAULT_OUT = resolve(PROJECT_ROOT, 'out');
export const DEFAULT_LOCK = resolve(PROJECT_ROOT, 'schema/abi.lock.json');

/** A path as messages show it: relative to where luo-abi runs, `.` for that folder itself. */
export function displayPath(path: string): string {
  return relative(process.cwd(), resolve(path)) || '.';
}
