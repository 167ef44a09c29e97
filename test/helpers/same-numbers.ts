// Comparing outputs that may hold NaN and infinities: those must sit at the same elements
// (a reduction's NaN propagates), and the finite rest must be close in relative L2.

import { expect } from 'vitest';

/** NaN and ±Infinity exactly where `expected` has them; the finite elements within relative L2 `tolerance`. */
export function expectSameNumbers(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (!(Object.is(a, e) || a === e || (Number.isNaN(a) && Number.isNaN(e)))) expect.fail(`${what}: element ${i} is ${a}, expected ${e}`);
      continue;
    }
    num += (a - e) ** 2;
    den += e ** 2;
  }
  const err = den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
  if (!(err <= tolerance)) expect.fail(`${what}: relative L2 error ${err} over the finite elements (tolerance ${tolerance})`);
}
