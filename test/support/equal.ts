/**
 * expect(actual).toEqual(expected) for large values (decoded handovers of 100,000 entries): Node's
 * strict deep equality first, which implies toEqual and takes a fraction of its time; vitest's own
 * comparison, with its diff, only when that finds a difference.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';

export function expectEqual(actual: unknown, expected: unknown, message?: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  expect(actual, message).toEqual(expected);
}
