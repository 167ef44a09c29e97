// Tolerance comparisons for numeric tests.

import { expect } from 'vitest';
import { toNumbers, type Tensor } from '../../compiler/interpret/tensor.js';

/**
 * Expects equal shapes (when both are tensors) and every element within
 * `atol + rtol·|expected|`. NaN matches NaN, and infinities must match exactly.
 */
export function expectClose(actual: Tensor | readonly number[], expected: Tensor | readonly number[], atol = 1e-6, rtol = 0): void {
  if (!Array.isArray(actual) && !Array.isArray(expected)) {
    expect((actual as Tensor).shape).toEqual((expected as Tensor).shape);
  }
  const a = Array.isArray(actual) ? actual : toNumbers(actual as Tensor);
  const e = Array.isArray(expected) ? expected : toNumbers(expected as Tensor);
  expect(a.length).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y) || !Number.isFinite(y)) {
      if (!Object.is(x, y) && !(x === y)) expect.fail(`element ${i}: got ${x}, expected ${y}`);
      continue;
    }
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) expect.fail(`element ${i}: got ${x}, expected ${y} (atol ${atol}, rtol ${rtol})`);
  }
}

/** ‖actual − expected‖₂ / ‖expected‖₂ (the absolute norm when expected is all zeros). */
export function relativeL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i]! - expected[i]!) ** 2;
    den += expected[i]! ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
