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
  /** Per slot: the words before the one holding the NUL, then that word masked to the bytes through the NUL. */
  private readonly words: Int32Array;
  /** Per slot: bytes of the last word through the NUL, where that word would reach past the field (compared one by one). */
  private readonly tails: Uint8Array;
  /** Per slot: words compared whole; -1 for a slot with nothing in it. */
  private readonly whole = new Int32Array(SelectorMemo.SLOTS).fill(-1);
  /** Per slot: the last word's bytes through the NUL, as a mask over a little-endian read; 0 where they are compared one by one. */
  private readonly masks = new Int32Array(SelectorMemo.SLOTS);
  private readonly tailLengths = new Uint8Array(SelectorMemo.SLOTS);
  /** Per slot: what the string named (undefined for nothing). */
  readonly named: (T | undefined)[] = new Array<T | undefined>(SelectorMemo.SLOTS).fill(undefined);
  private next = 0;

  constructor(private readonly fieldLength: number) {
    this.stride = Math.ceil(fieldLength / 4);
    this.words = new Int32Array(SelectorMemo.SLOTS * this.stride);
    this.tails = new Uint8Array(SelectorMemo.SLOTS * 4);
  }

  /** The slot holding the string at `bytes[at..]` (`view` is dataView(bytes)), or -1. */
  find(view: DataView, bytes: Uint8Array, at: number): number {
    for (let slot = 0; slot < SelectorMemo.SLOTS; slot++) if (this.matches(slot, view, bytes, at)) return slot;
    return -1;
  }

  private matches(slot: number, view: DataView, bytes: Uint8Array, at: number): boolean {
    const whole = this.whole[slot]!;
    if (whole < 0) return false;
    const words = this.words;
    const first = slot * this.stride;
    for (let k = 0; k < whole; k++) if (view.getInt32(at + 4 * k, true) !== words[first + k]) return false;
    const last = at + 4 * whole;
    const mask = this.masks[slot]!;
    if (mask !== 0) return (view.getInt32(last, true) & mask) === words[first + whole];
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
  }
}
