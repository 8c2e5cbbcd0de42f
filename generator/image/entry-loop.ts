/**
 * The loops a visiting walk spends its time in, compiled (with `new Function`, as the codecs are):
 * - the entries of one block, each handed to the visitor and its pointers followed, one loop per
 *   struct, so that each has call sites of its own: its view's `shift` and its steps are then one
 *   target each, which the JIT inlines, where one loop for every struct would see them all. The
 *   pointers are unrolled: a handler string is compared with its memo here, and anything else is a
 *   call of the walker's method for its kind;
 * - the blocks of a chain followed out of an entry, one loop per chain shape (its header's fields,
 *   the total beside its pointer, the byte order as constants) and entries, the entries' loop written
 *   into it, and the loop of a chain those entries lead to written into that (NESTED_CHAINS).
 * Written in, not called, and the fields read as text, not through helpers: V8 inlines calls into a
 * function only up to a budget of their bytecode, and the calls of the entries' loop, of a session's
 * files' chain and of the readers used it up, so that the small calls left (a view's shift, the
 * visitor, the memo) stayed calls (`--trace-turbo-inlining`). The views bench's walk of 1M sessions
 * went from 3.4x to 2.8x the time to read the image's bytes once.
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
import { findSource, type SelectorMemo } from './selector-memo.ts';
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
  /**
   * For a `follow` step, the chain it leads to where the loop is to be written in (its shape and
   * entries), not called: by step, undefined for the others.
   */
  readonly chains?: readonly (ChainKind | undefined)[];
}

/** A chain's loop as it is compiled: the chain's shape and its entries. */
export interface ChainKind {
  readonly shape: ChainShape;
  readonly entries: EntriesKind;
}

/**
 * How many chains deep a loop writes the loops of the chains its entries lead to into itself. One:
 * the family's chains nest no deeper (a session's files, within the sessions' chain), and the
 * text, and the JIT's work on it, would grow with each level.
 */
export const NESTED_CHAINS = 1;

/** How deep `entries` has chains written into its loop. */
export function chainDepth(entries: EntriesKind): number {
  return Math.max(0, ...(entries.chains ?? []).map((chain) => (chain ? 1 + chainDepth(chain.entries) : 0)));
}

function entriesKey(entries: EntriesKind): string {
  const kinds = entries.kinds.map((kind, k) => {
    const chain = entries.chains?.[k];
    return chain ? `${kind}(${chainKey(chain)})` : kind;
  });
  return `${entries.transientViews ? 'moving' : 'own'}:${entries.littleEndian ? 'le' : 'be'}:${kinds.join(',')}`;
}

function chainKey({ shape, entries }: ChainKind): string {
  const field = (f: UnsignedAt | undefined) => (f ? `${f.offset}/${f.size}` : '-');
  return [shape.header.name, shape.header.size, field(shape.count), field(shape.next), field(shape.total), entries.struct.name, entries.struct.size, entriesKey(entries)].join(':');
}

/**
 * The text of a loop over entries, for a function whose scope has `walker`, `visitor` and `plan`:
 * `constants`, read from the plan once per call, and `loop`, over `n` entries at `bytes[at..]` (`dv`
 * is dataView(bytes)), numbered from `first`, of the block found at `site`. Where a selected
 * address's string is not its memo's, or an error is thrown, the site handed on is `coldSite` (an
 * expression).
 */
function entriesSource({ struct, kinds, transientViews, littleEndian, chains }: EntriesKind, coldSite = 'site'): { constants: string[]; loop: string[] } {
  const index = 'first + i';
  // A selected address's string is compared with its memo here; the walker is called only for another
  // string. A chain followed by a compiled loop (planned with the entries' plan, its loop on the step)
  // is followed from here: the address read (a number, not 0, below 2^53; one past it reads -1, and
  // is the walker's to refuse), and the chain's loop called, or written in.
  const calls = kinds.map((kind, k) => {
    if (kind === 'value') return `walker.valueStep(step${k}, plan, bytes, at, site, ${index});`;
    const follow = `walker.followStep(step${k}, bytes, dv, at, site, ${index});`;
    if (kind === 'follow') {
      const read = [`const chain${k} = step${k}.chain;`, readUnsignedSource({ offset: 0, size: 8 }, littleEndian, 'minus-one', `address${k}`, 'dv', `at + step${k}.at`), `const pa${k} = chain${k} === undefined ? -1 : address${k};`];
      const chain = chains?.[k];
      if (!chain) return [...read, `if (pa${k} > 0) chain${k}.loop(walker, visitor, step${k}, pa${k}, bytes, at + step${k}.base, site, ${index});`, `else ${follow}`].join('\n');
      // The chain's loop written in: its arguments bound in a block, then under the names its text
      // reads in a block within, where its own names shadow this loop's.
      return [
        ...read,
        `if (pa${k} > 0) {`,
        `const outerStep = step${k}, outerFirst = pa${k}, outerAt = at + step${k}.base, outerIndex = ${index}, outerFieldId = fieldId${k};`,
        '{',
        'const step = outerStep, firstBlock = outerFirst, ownerBytes = bytes, ownerView = dv, ownerAt = outerAt, ownerSite = site, ownerIndex = outerIndex;',
        'const anchor = siteAnchor, anchorId = siteAnchorId, fieldId = outerFieldId;',
        ...chainSource(chain.shape, chain.entries),
        '}',
        '}',
        `else ${follow}`,
      ].join('\n');
    }
    return [
      `let slot${k} = -1;`,
      `if (!notes) {\n${findSource(`memo${k}`, 'dv', 'bytes', `at + name${k}`, `found${k}`)}\nslot${k} = found${k};\n}`,
      `if (slot${k} < 0) walker.selectedStep(step${k}, bytes, dv, at, ${coldSite}, ${index});`,
      `else if (memo${k}.named[slot${k}] !== undefined) walker.namedStep(step${k}, slot${k}, bytes, at, ${coldSite}, ${index});`,
    ].join('\n');
  });
  const selected = kinds.flatMap((kind, k) => (kind === 'selected' ? [`const memo${k} = step${k}.memo;`, `const name${k} = step${k}.base + step${k}.step.selector.offset;`] : []));
  // What the chains written in take of the block table: their field's id once per call, and the
  // place of the block their entries are in (the anchor of the blocks they read) once per block.
  const nested = chains?.some((chain) => chain !== undefined) ?? false;
  const fieldIds = (chains ?? []).flatMap((chain, k) => (chain ? [`const fieldId${k} = walker.context.table.fieldId(step${k}.step.path);`] : []));
  return {
    constants: [
      ...readerConstants('entry', 'plan.reader'),
      ...kinds.map((_, k) => `const step${k} = plan.visitSteps[${k}];`),
      ...selected,
      ...fieldIds,
      'const notes = walker.takesNotes;',
    ],
    loop: [
      ...(nested ? ['const siteAnchor = walker.blockPlace(site);', 'const siteAnchorId = walker.context.table.anchorId(siteAnchor);'] : []),
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
export function chainLoop(chain: ChainKind): ChainLoop {
  return compiledOnce(compiledChainLoops, chain.shape.header, chainKey(chain), () => compileChain(chain));
}

/**
 * One function for the chain's blocks and their entries (the entries' loop written into it, not
 * called): a chain block of a handful of entries is visited in one call, and the JIT's inlining
 * budget, which a call of the entries' loop and its callees used up, goes to the small calls left.
 */
function compileChain(chain: ChainKind): ChainLoop {
  const body = [
    "'use strict';",
    `return function chain_${chain.shape.header.name}_${chain.entries.struct.name}(walker, visitor, step, firstBlock, ownerBytes, ownerAt, ownerSite, ownerIndex) {`,
    // Read only for the total beside the pointer.
    ...(chain.shape.total ? ['const ownerView = dataView(ownerBytes);'] : []),
    'const anchor = walker.blockPlace(ownerSite);',
    'const anchorId = walker.context.table.anchorId(anchor);',
    'const fieldId = walker.context.table.fieldId(step.step.path);',
    ...chainSource(chain.shape, chain.entries),
    '};',
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled per chain shape, as the entry loops are
  return new Function('dataView', 'Site', 'LoopCheck', body)(dataView, Site, LoopCheck) as ChainLoop;
}

/**
 * The text of a chain's loop, for a function (or a block within a loop over entries) whose scope has
 * `walker`, `visitor` and the loop's arguments: `step`, `firstBlock`, and its pointer's struct at
 * `ownerBytes[ownerAt..]` (`ownerView` is dataView(ownerBytes), where the chain has a total beside
 * its pointer), entry `ownerIndex` of the block found at `ownerSite`; and that block's place
 * `anchor`, with its and the pointer's ids in the block table (`anchorId`, `fieldId`). A chain its
 * entries lead to may be written into it in turn.
 */
function chainSource(shape: ChainShape, entries: EntriesKind): string[] {
  const headerSize = shape.header.size;
  const entrySize = entries.struct.size;
  const littleEndian = entries.littleEndian;
  // Anything but the visitor is handed a Site made for it, not the block's: the block's then goes
  // nowhere else, and where the visitor's call is inlined and keeps it not, the JIT need make none.
  // Fewer young objects: a tenth fewer scavenges, and the views bench's walk (its runs each after a
  // forced collection) 5% faster; no change measured once warm.
  const coldSite = 'new Site(anchor, ownerIndex, path, k)';
  const source = entriesSource(entries, coldSite);
  return [
    'const chain = step.chain;',
    'const plan = chain.plan;',
    'const capacity = chain.capacity;',
    'const memory = walker.memory;',
    'const context = walker.context;',
    'const path = step.step.path;',
    'const table = context.table;',
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
    // The count read where the header is in memory, and -1 where it is not (as for a count past 2^53).
    'let n = -1;',
    'if (dv !== undefined) {',
    readUnsignedSource(shape.count, littleEndian, 'minus-one', 'count', 'dv', 'top'),
    'n = count;',
    '}',
    `if (n < 0 || n > capacity || top + ${headerSize} + n * ${entrySize} > bytes.length) {`,
    `const read = walker.chainBlock(step, pa, ${coldSite});`,
    'total += Number(read.count);',
    'pa = read.next;',
    'region = memory.last;',
    'continue;',
    '}',
    readUnsignedSource(shape.next, littleEndian, 'bigint', 'next', 'dv', 'top'),
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
      ? [readUnsignedSource(shape.total, littleEndian, 'minus-one', 'ownerTotal', 'ownerView', 'ownerAt'), 'if (ownerTotal !== total) walker.chainTotalError(total, step, ownerBytes, ownerAt, new Site(anchor, ownerIndex, path, -1));']
      : []),
  ];
}

