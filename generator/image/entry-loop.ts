/**
 * The loops a visiting walk spends its time in, compiled (with `new Function`, as the codecs are):
 * - the entries of one block, each handed to the visitor and its pointers followed, one loop per
 *   struct, so that each has call sites of its own: its view's `shift` and its steps are then one
 *   target each, which the JIT inlines, where one loop for every struct would see them all. The
 *   pointers are unrolled: a handler string is compared with its memo here, and anything else is a
 *   call of the walker's method for its kind;
 * - the blocks of a chain followed out of an entry, one loop per chain shape (its header's fields,
 *   the total beside its pointer, the byte order as constants) and entries, the entries' loop written
 *   into it: the JIT's inlining budget then goes to the small calls left, which a call of the
 *   entries' loop used up.
 * What the walker checks is the walker's; the loops only repeat it per entry and per block, and hand
 * a block that is not plainly well-formed to the walker's general reading, which says what is wrong.
 */
import { dataView } from '../codec/runtime.ts';
import { readUnsignedSource, type UnsignedAt } from './address.ts';
import { appendRowSource } from './blocks.ts';
import type { StructModel } from '../model/index.ts';
import type { StructCodec } from './codecs.ts';
import { Site, type Place } from './errors.ts';
import { LoopCheck } from './loop-check.ts';
import type { SelectorMemo } from './selector-memo.ts';
import type { ImageVisitor } from './walk.ts';

/** How the walker follows a pointer out of an entry. */
export type StepKind = 'selected' | 'follow' | 'value';

/** What a chain's loop is compiled for. */
export interface ChainShape {
  readonly header: StructModel;
  /** The header's count of entries and link to the next block. */
  readonly count: UnsignedAt;
  readonly next: UnsignedAt;
  /** The count beside the pointer, in the struct that holds it; undefined where the chain has none. */
  readonly total: UnsignedAt | undefined;
}

/** What a chain's loop reads of the step it follows: the chain's plan, and the block capacity (-1: the header gives the block's size). */
export interface ChainStep<Step extends LoopStep> {
  readonly step: { readonly path: string };
  readonly chain?: { readonly plan: LoopPlan<Step> & { readonly shape: number; readonly header?: { readonly reader: LoopPlan<Step>['reader'] } }; readonly capacity: number };
}

/** What a chain's loop calls back: the memory's last bytes, the walk's counts and block table, and the general reading. */
export interface ChainWalker<Step extends LoopStep & ChainStep<Step>> extends LoopWalker<Step> {
  readonly memory: { readonly last: { readonly base: number; readonly bytes: Uint8Array } | undefined };
  readonly context: {
    structs: number;
    /** A BlockTable: its rows are appended by appendRowSource's text. */
    readonly table: { anchorId(anchor: Place): number; fieldId(field: string | undefined): number };
  };
  /** The place of the block found at `site`, made once for all its entries. */
  blockPlace(site: Site): Place;
  /** Block `here` of the chain at `pa`, read by the walker's general code (it throws for a bad one). */
  chainBlock(step: Step, pa: number | bigint, here: Site): { readonly count: number | bigint; readonly next: number | bigint | undefined };
  /** The error of a chain that `loops` back to block `earlier`. */
  chainLoops(here: Site, pa: number | bigint, earlier: number): Error;
  /** Throws the error of a chain of `count` entries whose total beside its pointer says otherwise. */
  chainTotalError(count: number, step: Step, bytes: Uint8Array, ownerAt: number, site: Site): void;
}

/**
 * The blocks of a chain from `first`, followed out of entry `index` of the block found at `site`;
 * its pointer's struct is at `bytes[ownerAt..]`.
 */
export type ChainLoop = <Step extends LoopStep & ChainStep<Step>>(walker: ChainWalker<Step>, visitor: ImageVisitor, step: Step, first: number, bytes: Uint8Array, ownerAt: number, site: Site, index: number) => void;

/** What a loop reads of a step: for a selected address, where its string is from the entry's start, and the memo of the last few. */
export interface LoopStep {
  /** Where the pointer is, and where the struct holding it starts, from the entry's start. */
  readonly at: number;
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

/** Loops already compiled, by the struct model they are for and a key of what else they were compiled for. */
function compiledOnce<T>(cache: WeakMap<StructModel, Map<string, T>>, struct: StructModel, key: string, compile: () => T): T {
  let loops = cache.get(struct);
  if (!loops) cache.set(struct, (loops = new Map()));
  let loop = loops.get(key);
  if (!loop) loops.set(key, (loop = compile()));
  return loop;
}

const compiledEntryLoops = new WeakMap<StructModel, Map<string, EntryLoop>>();

/**
 * The loop of `struct`'s entries whose pointers are of `kinds`, with transient views or views of
 * their own, in a byte order; compiled once per struct model.
 */
export function entryLoop(entries: EntriesKind): EntryLoop {
  return compiledOnce(compiledEntryLoops, entries.struct, entriesKey(entries), () => compile(entries));
}

/** What an entry loop is compiled for (and a chain's loop, for its entries): the entries' struct, its pointers' kinds, and how views are made. */
export interface EntriesKind {
  readonly struct: StructModel;
  readonly kinds: readonly StepKind[];
  readonly transientViews: boolean;
  readonly littleEndian: boolean;
}

function entriesKey(entries: EntriesKind): string {
  return `${entries.transientViews ? 'moving' : 'own'}:${entries.littleEndian ? 'le' : 'be'}:${entries.kinds.join(',')}`;
}

/**
 * The text of a loop over entries, for a function whose scope has `walker`, `visitor` and `plan`:
 * `constants`, read from the plan once per call, and `loop`, over `n` entries at `bytes[at..]` (`dv`
 * is dataView(bytes)), numbered from `first`, of the block found at `site`; `helpers` are the
 * functions it calls, declared beside the function. Where a selected address's string is not its
 * memo's, or an error is thrown, the site handed on is `coldSite` (an expression).
 */
function entriesSource({ struct, kinds, transientViews, littleEndian }: EntriesKind, coldSite = 'site'): { helpers: string[]; constants: string[]; loop: string[] } {
  const index = 'first + i';
  // A selected address's string is compared with its memo here; the walker is called only for another
  // string. A chain followed by a compiled loop (planned with the entries' plan, its loop on the step)
  // is followed from here: the address read (a number, not 0, below 2^53) and the chain's loop called.
  const calls = kinds.map((kind, k) => {
    if (kind === 'value') return `walker.valueStep(step${k}, plan, bytes, at, site, ${index});`;
    const follow = `walker.followStep(step${k}, bytes, dv, at, site, ${index});`;
    if (kind === 'follow') {
      return [
        `const chain${k} = step${k}.chain;`,
        `const pa${k} = chain${k} === undefined ? -1 : readAddress(dv, at + step${k}.at);`,
        `if (pa${k} > 0) chain${k}.loop(walker, visitor, step${k}, pa${k}, bytes, at + step${k}.base, site, ${index});`,
        `else ${follow}`,
      ].join('\n');
    }
    return [
      `const slot${k} = notes ? -1 : memo${k}.find(dv, bytes, at + name${k});`,
      `if (slot${k} < 0) walker.selectedStep(step${k}, bytes, dv, at, ${coldSite}, ${index});`,
      `else if (memo${k}.named[slot${k}] !== undefined) walker.namedStep(step${k}, slot${k}, bytes, at, ${coldSite}, ${index});`,
    ].join('\n');
  });
  const selected = kinds.flatMap((kind, k) => (kind === 'selected' ? [`const memo${k} = step${k}.memo;`, `const name${k} = step${k}.base + step${k}.step.selector.offset;`] : []));
  return {
    // A pointer's address; one past 2^53 reads -1, and is the walker's to follow (and refuse).
    helpers: kinds.includes('follow') ? [`function readAddress(view, at) {\n${readUnsignedSource({ offset: 0, size: 8 }, littleEndian, 'minus-one')}\n}`] : [],
    constants: [
      ...readerConstants('entry', 'plan.reader'),
      ...kinds.map((_, k) => `const step${k} = plan.visitSteps[${k}];`),
      ...selected,
      'const notes = walker.takesNotes;',
    ],
    loop: [
      'let i = 0;',
      'try {',
      `for (; i < n; i++, at += ${struct.size}) {`,
      ...viewAt('entry', 'view', 'bytes', 'dv', 'at', transientViews),
      `visitor.struct(${JSON.stringify(struct.name)}, view, site, ${index});`,
      ...calls,
      '}',
      '} catch (error) {',
      `throw walker.codecErrorAt(error, ${coldSite}, ${index});`,
      '}',
    ],
  };
}

/** The constants a struct's views are made with: `<prefix>Reader`, its codec and the codec's shift. */
function readerConstants(prefix: string, reader: string): string[] {
  return [`const ${prefix}Reader = ${reader};`, `const ${prefix}Codec = ${prefix}Reader.codec;`, `const ${prefix}Shift = ${prefix}Codec.shift;`];
}

/**
 * `view`, the struct `<prefix>Reader` reads at `bytes[at..]` (checked to be there): the reader's
 * moving view shifted there (made at the first), or a view of its own.
 */
function viewAt(prefix: string, view: string, bytes: string, dv: string, at: string, transientViews: boolean): string[] {
  return transientViews
    ? [
        `let ${view} = ${prefix}Reader.moving;`,
        `if (${view} === undefined) ${view} = ${prefix}Reader.moving = ${prefix}Codec.view(${bytes}, ${at}, walker.codecOptions);`,
        `else ${prefix}Shift(${view}, ${bytes}, ${dv}, ${at});`,
      ]
    : [`const ${view} = ${prefix}Codec.view(${bytes}, ${at}, walker.codecOptions);`];
}

function compile(entries: EntriesKind): EntryLoop {
  const source = entriesSource(entries);
  const body = [
    "'use strict';",
    ...source.helpers,
    `return function visit_${entries.struct.name}(walker, visitor, plan, bytes, at, n, first, site) {`,
    ...source.constants,
    'const dv = dataView(bytes);',
    ...source.loop,
    '};',
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled per struct, as the codecs are
  return new Function('dataView', body)(dataView) as EntryLoop;
}

const compiledChainLoops = new WeakMap<StructModel, Map<string, ChainLoop>>();

/** The loop of a chain of `shape` whose entries are `entries`, compiled once per header struct model, shape and entries. */
export function chainLoop(shape: ChainShape, entries: EntriesKind): ChainLoop {
  const field = (f: UnsignedAt | undefined) => (f ? `${f.offset}/${f.size}` : '-');
  const key = [field(shape.count), field(shape.next), field(shape.total), entries.struct.name, entries.struct.size, entriesKey(entries)].join(':');
  return compiledOnce(compiledChainLoops, shape.header, key, () => compileChain(shape, entries));
}

/**
 * One function for the chain's blocks and their entries (the entries' loop written into it, not
 * called): a chain block of a handful of entries is visited in one call, and the JIT's inlining
 * budget, which a call of the entries' loop and its callees used up, goes to the small calls left.
 */
function compileChain(shape: ChainShape, entries: EntriesKind): ChainLoop {
  const headerSize = shape.header.size;
  const entrySize = entries.struct.size;
  const littleEndian = entries.littleEndian;
  // Anything but the visitor is handed a Site made for it, not the block's: the block's then goes
  // nowhere else, and where the visitor's call is inlined and keeps it not, the JIT need make none.
  // Fewer young objects: a tenth fewer scavenges, and the views bench's walk (its runs each after a
  // forced collection) 5% faster; no change measured once warm.
  const coldSite = 'new Site(anchor, ownerIndex, path, k)';
  const source = entriesSource(entries, coldSite);
  const body = [
    "'use strict';",
    `function readCount(view, at) {\n${readUnsignedSource(shape.count, littleEndian, 'minus-one')}\n}`,
    `function readNext(view, at) {\n${readUnsignedSource(shape.next, littleEndian, 'bigint')}\n}`,
    ...(shape.total ? [`function readTotal(view, at) {\n${readUnsignedSource(shape.total, littleEndian, 'minus-one')}\n}`] : []),
    ...source.helpers,
    `return function chain_${shape.header.name}_${entries.struct.name}(walker, visitor, step, firstBlock, ownerBytes, ownerAt, ownerSite, ownerIndex) {`,
    'const chain = step.chain;',
    'const plan = chain.plan;',
    'const capacity = chain.capacity;',
    'const memory = walker.memory;',
    'const context = walker.context;',
    'const path = step.step.path;',
    'const anchor = walker.blockPlace(ownerSite);',
    // The block table's numbers for where the blocks are found, made once for all of them.
    'const table = context.table;',
    'const anchorId = table.anchorId(anchor);',
    'const fieldId = table.fieldId(path);',
    ...readerConstants('header', 'plan.header.reader'),
    ...source.constants,
    // The bytes the last read was in: each block is looked for there, and a block found elsewhere
    // (or anything the entries followed) may have changed them.
    'let region = memory.last;',
    'let total = 0;',
    'let loop;',
    'for (let k = 0, pa = firstBlock; pa !== 0; k++) {',
    // Whether the chain comes back to a block, checked from its second block (a session's files are one).
    'if (k === 1) loop = new LoopCheck(firstBlock);',
    'if (loop !== undefined) {',
    'const earlier = loop.again(pa, k);',
    `if (earlier >= 0) throw walker.chainLoops(${coldSite}, pa, earlier);`,
    '}',
    `const offset = typeof pa === 'number' && capacity >= 0 && region !== undefined ? pa - region.base : -1;`,
    // An offset kept below 2^31 with its whole block is a 32-bit integer: the entries' offsets
    // computed from it are then integer adds, where a double's would be converted and checked at
    // every read (a third of the loop's time).
    `const top = offset >= 0 && offset <= ${0x7fffffff} - ${headerSize} - capacity * ${entrySize} ? offset | 0 : -1;`,
    'const bytes = top < 0 ? undefined : region.bytes;',
    `const dv = bytes === undefined || top + ${headerSize} > bytes.length ? undefined : dataView(bytes);`,
    'const n = dv === undefined ? -1 : readCount(dv, top);',
    `if (n < 0 || n > capacity || top + ${headerSize} + n * ${entrySize} > bytes.length) {`,
    `const read = walker.chainBlock(step, pa, ${coldSite});`,
    'total += Number(read.count);',
    'pa = read.next;',
    'region = memory.last;',
    'continue;',
    '}',
    'const next = readNext(dv, top);',
    'const here = new Site(anchor, ownerIndex, path, k);',
    'context.structs += 1 + n;',
    ...viewAt('header', 'header', 'bytes', 'dv', 'top', entries.transientViews),
    'try {',
    `visitor.struct(${JSON.stringify(shape.header.name)}, header, here, -1);`,
    '} catch (error) {',
    `throw walker.codecErrorAt(error, ${coldSite}, -1);`,
    '}',
    `const blockSize = ${headerSize} + n * ${entrySize};`,
    appendRowSource('table', { address: 'pa', size: 'blockSize', entries: 'n', shape: 'plan.shape', anchor: 'anchorId', entry: 'ownerIndex', field: 'fieldId', block: 'k' }),
    '{',
    `let at = top + ${headerSize};`,
    'const first = 0;',
    'const site = here;',
    ...source.loop,
    '}',
    'region = memory.last;',
    'total += n;',
    'pa = next;',
    '}',
    // The total read here, the Site made only for the error.
    ...(shape.total
      ? ['if (readTotal(dataView(ownerBytes), ownerAt) !== total) walker.chainTotalError(total, step, ownerBytes, ownerAt, new Site(anchor, ownerIndex, path, -1));']
      : []),
    '};',
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled per chain shape, as the entry loops are
  return new Function('dataView', 'Site', 'LoopCheck', body)(dataView, Site, LoopCheck) as ChainLoop;
}
