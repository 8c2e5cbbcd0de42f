/** Where the project's own files are, and how messages show a path. */
import { relative, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
export const DEFAULT_SCHEMA = resolve(PROJECT_ROOT, 'schema/index.ts');
export const DEFAULT_OUT = resolve(PROJECT_ROOT, 'out');
export const DEFAULT_LOCK = resolve(PROJECT_ROOT, 'schema/abi.lock.json');

/** A path as messages show it: relative to where luo-abi runs (`.` for that folder itself), or absolute when outside it. */
export function displayPath(path: string): string {
  const absolute = resolve(path);
  const shown = relative(process.cwd(), absolute);
  return shown === '' ? '.' : shown.startsWith('..') ? absolute : shown;
}
