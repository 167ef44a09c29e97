import { describe, expect, it } from 'vitest';
import { cumsum } from '../../../../compiler/interpret/kernels/cumsum.js';
import { reduce } from '../../../../compiler/interpret/kernels/reduce.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

/** x with `axis` reversed (a plain copy, for identities). */
function flip(x: Tensor, axis: number): Tensor {
  const len = x.shape[axis]!;
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const v = toNumbers(x);
  const out = v.map((_, p) => {
    const i = Math.floor(p / inner) % len;
    return v[p + (len - 1 - 2 * i) * inner]!;
  });
  return tensor(x.dtype, x.shape, out);
}

describe('cumsum', () => {
  const x = tensor('f32', [5], [1, 2, 3, 4, 5]);

  it('computes the four variants by hand', () => {
    expect(toNumbers(cumsum(x, 0, false, false))).toEqual([1, 3, 6, 10, 15]);
    expect(toNumbers(cumsum(x, 0, true, false))).toEqual([0, 1, 3, 6, 10]);
    expect(toNumbers(cumsum(x, 0, false, true))).toEqual([15, 14, 12, 9, 5]);
    expect(toNumbers(cumsum(x, 0, true, true))).toEqual([14, 12, 9, 5, 0]);
  });

  it('runs along either axis of a matrix', () => {
    const m = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(toNumbers(cumsum(m, 0, false, false))).toEqual([1, 2, 3, 5, 7, 9]);
    expect(toNumbers(cumsum(m, 1, false, false))).toEqual([1, 3, 6, 4, 9, 15]);
    expect(cumsum(m, 1, false, false).shape).toEqual([2, 3]);
  });

  it('wraps i32 and keeps i64 exact past 2^53', () => {
    expect(toNumbers(cumsum(tensor('i32', [2], [2147483647, 1]), 0, false, false))).toEqual([2147483647, -2147483648]);
    const big = cumsum(tensor('i64', [3], [2n ** 53n, 1n, 1n]), 0, false, false);
    expect(big.dtype).toBe('i64');
    expect([...(big.data as BigInt64Array)]).toEqual([2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 2n]);
    expect([...(cumsum(tensor('i64', [2], [2n ** 62n, 2n ** 62n]), 0, false, false).data as BigInt64Array)]).toEqual([2n ** 62n, -(2n ** 63n)]);
  });

  it('handles lanes of one and of zero elements', () => {
    const one = randomTensor('f32', [7, 1], 1);
    expect(toNumbers(cumsum(one, 1, false, false))).toEqual(toNumbers(one));
    expect(toNumbers(cumsum(one, 1, true, true))).toEqual(new Array(7).fill(0));
    expect(cumsum(tensor('f32', [3, 0]), 1, false, false).shape).toEqual([3, 0]);
  });

  it('satisfies the scan identities on [7, 129, 3]', () => {
    const r = randomTensor('f32', [7, 129, 3], 2);
    const inclusive = cumsum(r, 1, false, false);
    // The last element of each lane is the lane's sum.
    const sums = toNumbers(reduce('reduce_sum', r, [1], false));
    const last = toNumbers(inclusive).filter((_, p) => Math.floor(p / 3) % 129 === 128);
    expectClose(last, sums, 0);
    // Exclusive is inclusive minus the element itself; reverse is the flipped scan of the flip.
    const rv = toNumbers(r);
    expectClose(toNumbers(cumsum(r, 1, true, false)), toNumbers(inclusive).map((v, p) => v - rv[p]!), 1e-5);
    expectClose(cumsum(r, 1, false, true), flip(cumsum(flip(r, 1), 1, false, false), 1), 0);
  });
});
