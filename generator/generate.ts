/** model -> every generated file, in a stable order. */
import { emitters } from './emit/index.ts';
import type { GeneratedFile } from './emit/files.ts';
import type { Model } from './model/index.ts';

export async function generateFiles(model: Model): Promise<GeneratedFile[]> {
  const files = (await Promise.all(emitters.map((emit) => emit(model)))).flat();
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two emitters write ${f.path}`);
    seen.add(f.path);
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
