/**
 * Whether a walk along links (a chain's blocks, a list's chunks) has come back to an address it has
 * been at, with nothing kept per step (Brent's cycle detection): the address at step 2^m - 1 is kept,
 * and each later one compared with it. A walk that loops is told so by the time it has gone twice
 * round its loop past where the loop starts; one back to its first address (the usual loop), at
 * once. A Map of every address seen stops at 2^24 of them (V8's limit, a RangeError, exit 70), which
 * a chain of 16-byte blocks reaches in 256 MiB.
 */
import type { Address } from './address.ts';

export class LoopCheck {
  private readonly first: Address;
  private saved: Address;
  private savedIndex = 0;
  private power = 1;
  private steps = 0;

  /** A walk whose step 0 is at `first`. */
  constructor(first: Address) {
    this.first = first;
    this.saved = first;
  }

  /** The index of an earlier step also at `pa` (the walk loops), or -1; `pa` is step `index`'s, steps given in order from 1. */
  again(pa: Address, index: number): number {
    if (pa === this.first) return 0;
    if (pa === this.saved) return this.savedIndex;
    if (++this.steps === this.power) {
      this.saved = pa;
      this.savedIndex = index;
      this.power *= 2;
      this.steps = 0;
    }
    return -1;
  }
}
