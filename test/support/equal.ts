/**
 * expect(actual).toEqual(expected) and toStrictEqual for large values, or for values compared many thousand
 * times over (a property's runs) (decoded handovers of 100,000 entries): Node's
 * strict deep equality first, which implies both (it compares prototypes, every own key, undefined
 * ones too, and holes) and takes a fraction of their time; vitest's own comparison, with its diff,
 * only when that finds a difference.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';

export function expectEqual(actual: unknown, expected: unknown, message?: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  expect(actual, message).toEqual(expected);
}

export function expectStrictEqual(actual: unknown, expected: unknown, message?: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  expect(actual, message).toStrictEqual(expected);
}
