/**
 * The last few strings a selector field held (a file's handler name), each kept as 32-bit words
 * through its NUL, with what it named. The strings of a handover repeat: millions of files name a
 * handful of handlers, a session's files often taking turns between two or three. A field equal to
 * a remembered one, through its NUL, names the same handler and passes the same checks (a NUL within
 * the field, UTF-8), so a few word compares stand in for comparing it with every handler's name and
 * scanning it. The words are a copy: what the bytes hold later does not matter.
 */
export class SelectorMemo<T> {
  /** Strings remembered; a new one takes the place of the one remembered longest ago. */
  static readonly SLOTS = 4;
  private readonly stride: number;
  /** Per slot: the words before the one holding the NUL, then that word masked to the bytes through the NUL (read by findSource's text). */
  readonly words: Int32Array;
  /** Per slot: bytes of the last word through the NUL, where that word would reach past the field (compared one by one). */
  private readonly tails: Uint8Array;
  /** Per slot: words compared whole; -1 for a slot with nothing in it. */
  private readonly whole = new Int32Array(SelectorMemo.SLOTS).fill(-1);
  /** Per slot: the last word's bytes through the NUL, as a mask over a little-endian read; 0 where they are compared one by one (or nothing is remembered). */
  private readonly masks = new Int32Array(SelectorMemo.SLOTS);
  private readonly tailLengths = new Uint8Array(SelectorMemo.SLOTS);
  /** Per slot: what the string named (undefined for nothing). */
  readonly named: (T | undefined)[] = new Array<T | undefined>(SelectorMemo.SLOTS).fill(undefined);
  /**
   * The slot found or remembered last, the one findSource's text compares first: its index, where its
   * words start, how many are compared whole and its last word's mask (0: compared byte by byte, or
   * nothing remembered). Plain numbers, read by the text with no index into the slots' arrays.
   */
  hot = 0;
  hotFirst = 0;
  hotWhole = -1;
  hotMask = 0;
  private next = 0;

  constructor(private readonly fieldLength: number) {
    this.stride = Math.ceil(fieldLength / 4);
    this.words = new Int32Array(SelectorMemo.SLOTS * this.stride);
    this.tails = new Uint8Array(SelectorMemo.SLOTS * 4);
  }

  /** The slot holding the string at `bytes[at..]` (`view` is dataView(bytes)), or -1: the hot slot first, as findSource's text does. */
  declare find: (view: DataView, bytes: Uint8Array, at: number) => number;

  /** The slot holding the string at `bytes[at..]`, looked for in every slot (the hot one too); the one found becomes the hot one. */
  findAny(view: DataView, bytes: Uint8Array, at: number): number {
    for (let slot = 0; slot < SelectorMemo.SLOTS; slot++) {
      if (this.matches(slot, view, bytes, at)) {
        this.heat(slot);
        return slot;
      }
    }
    return -1;
  }

  private matches(slot: number, view: DataView, bytes: Uint8Array, at: number): boolean {
    const whole = this.whole[slot]!;
    if (whole < 0) return false;
    if (this.masks[slot] !== 0) return matchesWords(this.words, slot * this.stride, whole, this.masks[slot]!, view, at);
    const last = at + 4 * whole;
    for (let k = 0; k < whole; k++) if (view.getInt32(at + 4 * k, true) !== this.words[slot * this.stride + k]) return false;
    for (let j = 0; j < this.tailLengths[slot]!; j++) if (bytes[last + j] !== this.tails[slot * 4 + j]) return false;
    return true;
  }

  /** Remembers the string at `bytes[at..]`, which has been checked (its NUL is `length` bytes in), and what it named. */
  remember(view: DataView, bytes: Uint8Array, at: number, length: number, named: T | undefined): void {
    const slot = this.next;
    this.next = (slot + 1) % SelectorMemo.SLOTS;
    const first = slot * this.stride;
    const whole = length >> 2;
    for (let k = 0; k < whole; k++) this.words[first + k] = view.getInt32(at + 4 * k, true);
    const through = (length & 3) + 1;
    if (4 * whole + 4 <= this.fieldLength) {
      this.masks[slot] = (0xffff_ffff >>> (32 - 8 * through)) | 0;
      this.words[first + whole] = view.getInt32(at + 4 * whole, true) & this.masks[slot]!;
    } else {
      this.masks[slot] = 0;
      this.tailLengths[slot] = through;
      for (let j = 0; j < through; j++) this.tails[slot * 4 + j] = bytes[at + 4 * whole + j]!;
    }
    this.whole[slot] = whole;
    this.named[slot] = named;
    this.heat(slot);
  }

  private heat(slot: number): void {
    this.hot = slot;
    this.hotFirst = slot * this.stride;
    this.hotWhole = this.whole[slot]!;
    this.hotMask = this.masks[slot]!;
  }
}

/**
 * Statements setting `equal` (declared by the caller, false) to whether the string at `at` (in
 * DataView `view`) is the one kept in `words` from `first`: `whole` words, then the last one through
 * the NUL, masked with `mask` (not 0).
 */
function wordsEqualSource(words: string, first: string, whole: string, mask: string, view: string, at: string, equal: string): string {
  return [
    '{',
    // Named so as not to shadow the names of the loops it is written into (a chain's block index is `k`).
    'let word = 0;',
    `while (word < ${whole} && ${view}.getInt32(${at} + 4 * word, true) === ${words}[${first} + word]) word++;`,
    `${equal} = word === ${whole} && (${view}.getInt32(${at} + 4 * word, true) & ${mask}) === ${words}[${first} + word];`,
    '}',
  ].join('\n');
}

/**
 * The text of `memo.find`, for a loop that compares many strings with a memo (the walk's compiled
 * loops write it in, so that a string equal to the last one costs a few word compares there and no
 * call): statements declaring `slot`, the slot holding the string at `at` (`view` is
 * dataView(`bytes`)), or -1. The hot slot is compared first, where its last word is compared masked;
 * anything else is findAny's.
 */
export function findSource(memo: string, view: string, bytes: string, at: string, slot: string): string {
  const mask = `${slot}Mask`;
  const equal = `${slot}Equal`;
  return [
    `const ${mask} = ${memo}.hotMask;`,
    `let ${equal} = false;`,
    `if (${mask} !== 0) ${wordsEqualSource(`${memo}.words`, `${memo}.hotFirst`, `${memo}.hotWhole`, mask, view, at, equal)}`,
    `const ${slot} = ${equal} ? ${memo}.hot : ${memo}.findAny(${view}, ${bytes}, ${at});`,
  ].join('\n');
}

// eslint-disable-next-line @typescript-eslint/no-implied-eval -- made from the same text the walk's loops have written in
const matchesWords = new Function('words', 'first', 'whole', 'mask', 'view', 'at', `let equal = false;\n${wordsEqualSource('words', 'first', 'whole', 'mask', 'view', 'at', 'equal')}\nreturn equal;`) as (
  words: Int32Array,
  first: number,
  whole: number,
  mask: number,
  view: DataView,
  at: number,
) => boolean;

// eslint-disable-next-line @typescript-eslint/no-implied-eval -- made from the same text the walk's loops have written in
SelectorMemo.prototype.find = new Function('view', 'bytes', 'at', `${findSource('this', 'view', 'bytes', 'at', 'slot')}\nreturn slot;`) as SelectorMemo<unknown>['find'];
