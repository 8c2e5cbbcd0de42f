/**
 * The last string a selector field held (a file's handler name), kept as 32-bit words through its
 * NUL, with what it named. The strings of a handover repeat: millions of files name a handful of
 * handlers. A field equal to the last one, through its NUL, names the same handler and passes the
 * same checks (a NUL within the field, UTF-8), so two or three word compares stand in for comparing
 * it with every handler's name and scanning it. The words are a copy: what the bytes hold later
 * does not matter.
 */
export class SelectorMemo<T> {
  /** The words before the one holding the NUL, then that word masked to the bytes through the NUL. */
  private readonly words: Int32Array;
  /** Bytes of the last word, through the NUL, where it would reach past the field: compared one by one. */
  private readonly tail = new Uint8Array(4);
  /** Words compared whole; -1 while nothing is remembered. */
  private whole = -1;
  /** The last word's bytes through the NUL, as a mask over a little-endian read; 0 where they are compared one by one. */
  private mask = 0;
  private tailLength = 0;
  /** What the remembered string named (undefined for nothing). */
  named: T | undefined;

  constructor(private readonly fieldLength: number) {
    this.words = new Int32Array(Math.ceil(fieldLength / 4));
  }

  /** Whether the string at `bytes[at..]` (`view` is dataView(bytes)) is the remembered one. */
  matches(view: DataView, bytes: Uint8Array, at: number): boolean {
    const whole = this.whole;
    if (whole < 0) return false;
    const words = this.words;
    for (let k = 0; k < whole; k++) if (view.getInt32(at + 4 * k, true) !== words[k]) return false;
    const last = at + 4 * whole;
    if (this.mask !== 0) return (view.getInt32(last, true) & this.mask) === words[whole];
    for (let j = 0; j < this.tailLength; j++) if (bytes[last + j] !== this.tail[j]) return false;
    return true;
  }

  /** Remembers the string at `bytes[at..]`, which has been checked (its NUL is `length` bytes in), and what it named. */
  remember(view: DataView, bytes: Uint8Array, at: number, length: number, named: T | undefined): void {
    const whole = length >> 2;
    for (let k = 0; k < whole; k++) this.words[k] = view.getInt32(at + 4 * k, true);
    const through = (length & 3) + 1;
    if (4 * whole + 4 <= this.fieldLength) {
      this.mask = (0xffff_ffff >>> (32 - 8 * through)) | 0;
      this.words[whole] = view.getInt32(at + 4 * whole, true) & this.mask;
    } else {
      this.mask = 0;
      this.tailLength = through;
      for (let j = 0; j < through; j++) this.tail[j] = bytes[at + 4 * whole + j]!;
    }
    this.whole = whole;
    this.named = named;
  }
}
