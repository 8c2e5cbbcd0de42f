/**
 * The loop a visiting walk spends its time in: the entries of one block, each handed to the visitor
 * and its pointers followed. It is compiled per struct (with `new Function`, as the codecs are), so
 * that each struct's loop has call sites of its own: its view's `shift` and its steps are then one
 * target each, which the JIT inlines, where one loop for every struct would see them all. The
 * pointers are unrolled: a handler string is compared with its memo here, and anything else is a
 * call of the walker's method for its kind. What the walker checks is the walker's; the loop only
 * repeats it per entry.
 */
import { dataView } from '../codec/runtime.ts';
import type { StructModel } from '../model/index.ts';
import type { StructCodec } from './codecs.ts';
import type { Site } from './errors.ts';
import type { SelectorMemo } from './selector-memo.ts';
import type { ImageVisitor } from './walk.ts';

/** How the walker follows a pointer out of an entry. */
export type StepKind = 'selected' | 'follow' | 'value';

/** What a loop reads of a step: for a selected address, where its string is from the entry's start, and the memo of the last few. */
export interface LoopStep {
  readonly base: number;
  readonly step: { readonly selector?: { readonly offset: number } };
  readonly memo?: SelectorMemo<unknown>;
}

/** What a loop reads of its plan: the struct's reader and the steps, in the order of the kinds it was compiled for. */
export interface LoopPlan<Step extends LoopStep> {
  readonly reader: { readonly codec: StructCodec; moving?: Record<string, unknown> };
  readonly visitSteps: readonly Step[] | undefined;
}

/** What the loop calls back for each pointer of an entry at `bytes[entryAt..]` (`view` is dataView(bytes)): entry `index` of the block found at `site`. */
export interface LoopWalker<Step extends LoopStep> {
  readonly codecOptions: { readonly littleEndian: boolean };
  /** Whether every selector string must be read (a visitor taking notes): no memo then. */
  readonly takesNotes: boolean;
  /** A selected address whose string is not its memo's (or, taking notes, any): found, checked and remembered. */
  selectedStep(step: Step, bytes: Uint8Array, view: DataView, entryAt: number, site: Site, index: number): void;
  /** A selected address whose string is in its memo's `slot`, which named a handler. */
  namedStep(step: Step, slot: number, bytes: Uint8Array, entryAt: number, site: Site, index: number): void;
  followStep(step: Step, bytes: Uint8Array, view: DataView, entryAt: number, site: Site, index: number): void;
  valueStep(step: Step, plan: LoopPlan<Step>, bytes: Uint8Array, entryAt: number, site: Site, index: number): void;
  /** A CodecError (a bad field the visitor read) as entry `index`'s ImageError; anything else as it is. */
  codecErrorAt(error: unknown, site: Site, index: number): unknown;
}

/**
 * `n` entries at `bytes[at..]`, numbered from `first`, whose bytes the caller has checked are in
 * `bytes` (the views are shifted, not moved: no check per entry).
 */
export type EntryLoop = <Step extends LoopStep>(walker: LoopWalker<Step>, visitor: ImageVisitor, plan: LoopPlan<Step>, bytes: Uint8Array, at: number, n: number, first: number, site: Site) => void;

const compiled = new WeakMap<StructModel, Map<string, EntryLoop>>();

/** The loop of `struct`'s entries whose pointers are of `kinds`, with transient views or views of their own; compiled once per struct model. */
export function entryLoop(struct: StructModel, kinds: readonly StepKind[], transientViews: boolean): EntryLoop {
  let loops = compiled.get(struct);
  if (!loops) compiled.set(struct, (loops = new Map()));
  const key = `${transientViews ? 'moving' : 'own'}:${kinds.join(',')}`;
  let loop = loops.get(key);
  if (!loop) loops.set(key, (loop = compile(struct, kinds, transientViews)));
  return loop;
}

function compile(struct: StructModel, kinds: readonly StepKind[], transientViews: boolean): EntryLoop {
  const index = 'first + i';
  // A selected address's string is compared with its memo here; the walker is called only for another string.
  const calls = kinds.map((kind, k) => {
    if (kind === 'value') return `walker.valueStep(step${k}, plan, bytes, at, site, ${index});`;
    if (kind === 'follow') return `walker.followStep(step${k}, bytes, dv, at, site, ${index});`;
    return [
      `const slot${k} = notes ? -1 : memo${k}.find(dv, bytes, at + name${k});`,
      `if (slot${k} < 0) walker.selectedStep(step${k}, bytes, dv, at, site, ${index});`,
      `else if (memo${k}.named[slot${k}] !== undefined) walker.namedStep(step${k}, slot${k}, bytes, at, site, ${index});`,
    ].join('\n');
  });
  const selected = kinds.flatMap((kind, k) => (kind === 'selected' ? [`const memo${k} = step${k}.memo;`, `const name${k} = step${k}.base + step${k}.step.selector.offset;`] : []));
  const view = transientViews
    ? [
        'let view = reader.moving;',
        'if (view === undefined) view = reader.moving = codec.view(bytes, at, walker.codecOptions);',
        'else shift(view, bytes, dv, at);',
      ]
    : ['const view = codec.view(bytes, at, walker.codecOptions);'];
  const body = [
    "'use strict';",
    `return function visit_${struct.name}(walker, visitor, plan, bytes, at, n, first, site) {`,
    'const reader = plan.reader;',
    'const codec = reader.codec;',
    'const shift = codec.shift;',
    ...kinds.map((_, k) => `const step${k} = plan.visitSteps[${k}];`),
    ...selected,
    'const notes = walker.takesNotes;',
    'const dv = dataView(bytes);',
    'let i = 0;',
    'try {',
    `for (; i < n; i++, at += ${struct.size}) {`,
    ...view,
    `visitor.struct(${JSON.stringify(struct.name)}, view, site, ${index});`,
    ...calls,
    '}',
    '} catch (error) {',
    `throw walker.codecErrorAt(error, site, ${index});`,
    '}',
    '};',
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled per struct, as the codecs are
  return new Function('dataView', body)(dataView) as EntryLoop;
}
