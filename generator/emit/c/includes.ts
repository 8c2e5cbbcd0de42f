/**
 * What a generated header includes: the kernel's types, the headers of the family it uses, the
 * headers outside the family its constants come from, and the kernel header of every helper its
 * C text names (ALIGN, PAGE_SIZE, BIT, ...): include what you use, as the kernel asks.
 */
import { KERNEL_FUNCTIONS, KERNEL_NAMES } from '../../model/expr.ts';
import { findHeader, spellingMacros, type Model, type VersionModel } from '../../model/index.ts';
import { includePath } from '../files.ts';
import { cIdentifiers } from '../text.ts';

/** Where the kernel defines a helper a member's spelling uses, when no header of the family does. */
const SPELLING_INCLUDES: ReadonlyMap<string, string> = new Map([['DECLARE_BITMAP', '<linux/types.h>']]);

/** The kernel header that defines a name, if the kernel does. */
function kernelInclude(name: string): string | undefined {
  return KERNEL_NAMES.get(name) ?? KERNEL_FUNCTIONS.get(name)?.include ?? SPELLING_INCLUDES.get(name);
}

/**
 * @param texts the C text the header prints (#define bodies, array lengths, sizes in static_asserts)
 * @param asserts whether it prints a static_assert
 */
export function headerIncludes(model: Model, version: VersionModel, texts: readonly string[], asserts: boolean): string[] {
  const includes = new Set<string>(['<linux/types.h>']);
  if (asserts) includes.add('<linux/build_bug.h>');
  for (const used of version.uses) includes.add(`<${includePath(findHeader(model, used.header))}>`);
  for (const include of version.includes) includes.add(include);
  const spelled = version.structs.flatMap((s) => s.fields.flatMap((f) => spellingMacros(f.type)));
  for (const name of [...texts.flatMap(cIdentifiers), ...spelled]) {
    const include = kernelInclude(name);
    if (include) includes.add(include);
  }
  return [...includes].sort(byIncludeOrder);
}

/** <linux/...> first, then <asm/...>, then the rest (uapi), each alphabetically. */
function byIncludeOrder(a: string, b: string): number {
  const rank = (include: string): number => (include.startsWith('<linux/') ? 0 : include.startsWith('<asm/') ? 1 : 2);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
