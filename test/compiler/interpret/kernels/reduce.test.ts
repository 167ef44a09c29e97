import { describe, expect, it } from 'vitest';
import { expand } from '../../../../compiler/interpret/kernels/layout.js';
import { argReduce, argmax, argmin, reduce } from '../../../../compiler/interpret/kernels/reduce.js';
import { tensor, toNumbers } from '../../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../../helpers/random.js';

const m23 = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);

describe('reduce', () => {
  it('reduces by hand', () => {
    expect(toNumbers(reduce('reduce_sum', m23, [0], false))).toEqual([5, 7, 9]);
    expect(toNumbers(reduce('reduce_sum', m23, [1], false))).toEqual([6, 15]);
    expect(toNumbers(reduce('reduce_sum', m23, [0, 1], false))).toEqual([21]);
    expect(toNumbers(reduce('reduce_mean', m23, [1], false))).toEqual([2, 5]);
    expect(toNumbers(reduce('reduce_max', m23, [0], false))).toEqual([4, 5, 6]);
    expect(toNumbers(reduce('reduce_min', m23, [1], false))).toEqual([1, 4]);
    expect(toNumbers(reduce('reduce_prod', m23, [1], false))).toEqual([6, 120]);
  });

  it('shapes the result by keepdims', () => {
    expect(reduce('reduce_sum', m23, [1], true).shape).toEqual([2, 1]);
    expect(reduce('reduce_sum', m23, [1], false).shape).toEqual([2]);
    expect(reduce('reduce_sum', m23, [0, 1], true).shape).toEqual([1, 1]);
    expect(reduce('reduce_sum', m23, [0, 1], false).shape).toEqual([]);
  });

  it('treats empty axes as a copy', () => {
    const y = reduce('reduce_sum', m23, [], false);
    expect(y.shape).toEqual([2, 3]);
    expect(toNumbers(y)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.data).not.toBe(m23.data);
  });

  it('matches a naive sum over non-adjacent axes of [7, 1, 129, 3]', () => {
    const x = randomTensor('f32', [7, 1, 129, 3], 1);
    const y = reduce('reduce_sum', x, [0, 2], false);
    expect(y.shape).toEqual([1, 3]);
    const v = toNumbers(x);
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let i = 0; i < 7; i++) for (let k = 0; k < 129; k++) s += v[(i * 129 + k) * 3 + c]!;
      expect(y.data[c]).toBe(Math.fround(s));
    }
  });

  it('sums 1000 elements in f64 and rounds once', () => {
    const x = randomTensor('f32', [1000], 2);
    let s = 0;
    for (const v of toNumbers(x)) s += v;
    expect(toNumbers(reduce('reduce_sum', x, [0], false))).toEqual([Math.fround(s)]);
    expect(toNumbers(reduce('reduce_mean', x, [0], false))).toEqual([Math.fround(s / 1000)]);
  });

  it('gives count times the value when summing an expanded axis', () => {
    const x = randomTensor('f32', [7, 1, 3], 3);
    const y = reduce('reduce_sum', expand(x, [7, 5, 3]), [1], true);
    expect(toNumbers(y)).toEqual(toNumbers(x).map((v) => Math.fround(5 * v)));
  });

  it('wraps integer sums and products', () => {
    expect(toNumbers(reduce('reduce_sum', tensor('i32', [2], [2147483647, 1]), [0], false))).toEqual([-2147483648]);
    expect(toNumbers(reduce('reduce_prod', tensor('i32', [3], [65536, 65536, 3]), [0], false))).toEqual([0]);
    expect(toNumbers(reduce('reduce_prod', tensor('i32', [2], [46341, 46341]), [0], false))).toEqual([-2147479015]);
    expect(toNumbers(reduce('reduce_mean', tensor('i32', [2], [1, 2]), [0], false))).toEqual([1]);
  });

  it('propagates NaN through max and min', () => {
    const x = tensor('f32', [2, 3], [1, NaN, 3, 4, 5, 6]);
    expect(toNumbers(reduce('reduce_max', x, [1], false))).toEqual([NaN, 6]);
    expect(toNumbers(reduce('reduce_min', x, [1], false))).toEqual([NaN, 4]);
  });

  it('handles empty axes of size 0', () => {
    const x = tensor('f32', [2, 0]);
    expect(toNumbers(reduce('reduce_sum', x, [1], false))).toEqual([0, 0]);
    expect(toNumbers(reduce('reduce_prod', x, [1], false))).toEqual([1, 1]);
    expect(() => reduce('reduce_max', x, [1], false)).toThrow(/over an empty axis has no value/);
  });

  it('rejects bad axes', () => {
    expect(() => reduce('reduce_sum', m23, [2], false)).toThrow(/out of range/);
    expect(() => reduce('reduce_sum', m23, [1, 1], false)).toThrow(/twice/);
  });
});

describe('argmax / argmin', () => {
  const x = tensor('f32', [2, 3], [1, 3, 3, 5, 0, 5]);

  it('returns the first extreme index as i64', () => {
    const y = argmax(x, 1, false);
    expect(y.dtype).toBe('i64');
    expect([...(y.data as BigInt64Array)]).toEqual([1n, 0n]);
    expect(toNumbers(argmin(x, 1, false))).toEqual([0, 1]);
    expect(toNumbers(argmax(x, 0, false))).toEqual([1, 0, 1]);
    expect(argReduce('argmin', x, 0, true).shape).toEqual([1, 3]);
  });

  it('picks the first NaN', () => {
    const n = tensor('f32', [4], [1, NaN, 7, NaN]);
    expect(toNumbers(argmax(n, 0, false))).toEqual([1]);
    expect(toNumbers(argmin(n, 0, false))).toEqual([1]);
  });

  it('agrees with reduce_max on random data', () => {
    const r = randomTensor('f32', [7, 129], 4);
    const idx = toNumbers(argmax(r, 1, false));
    const max = toNumbers(reduce('reduce_max', r, [1], false));
    idx.forEach((j, i) => expect(r.data[i * 129 + j]).toBe(max[i]));
  });
});

describe('reduce on the wider dtypes', () => {
  const big = (t: { data: unknown }): bigint[] => [...(t.data as BigInt64Array | BigUint64Array)];

  it('reduces i64 and u64 exactly, beyond 2^53, wrapping modulo 2^64', () => {
    const u = tensor('u64', [2, 2], [2n ** 64n - 1n, 2n ** 64n - 2n, 2n ** 53n + 1n, 2n]);
    expect(big(reduce('reduce_max', u, [1], false))).toEqual([2n ** 64n - 1n, 2n ** 53n + 1n]);
    expect(big(reduce('reduce_min', u, [1], false))).toEqual([2n ** 64n - 2n, 2n]);
    expect(big(reduce('reduce_sum', u, [1], false))).toEqual([2n ** 64n - 3n, 2n ** 53n + 3n]);
    expect(big(reduce('reduce_prod', u, [0], false))).toEqual([2n ** 64n - 2n ** 53n - 1n, 2n ** 64n - 4n]);
    expect(big(reduce('reduce_mean', tensor('i64', [3], [2n ** 60n, 2n ** 60n, -1n]), [0], false))).toEqual([(2n ** 61n - 1n) / 3n]);
    expect(toNumbers(argmax(u, 1, false))).toEqual([0, 0]);
    expect(toNumbers(argmin(tensor('u64', [3], [2n ** 64n - 1n, 2n ** 64n - 3n, 2n ** 64n - 2n]), 0, false))).toEqual([1]);
    expect(() => reduce('reduce_max', tensor('u64', [0, 2]), [0], false)).toThrow();
    expect(big(reduce('reduce_sum', tensor('i64', [0, 2]), [0], false))).toEqual([0n, 0n]);
  });

  it('wraps u32, i16 and sub-byte products and sums on store', () => {
    expect(toNumbers(reduce('reduce_prod', tensor('u32', [2], [65536, 65537]), [0], false))).toEqual([65536]);
    expect(toNumbers(reduce('reduce_sum', tensor('i16', [2], [32767, 2]), [0], false))).toEqual([-32767]);
    expect(toNumbers(reduce('reduce_sum', tensor('i4', [3], [7, 7, 7]), [0], false))).toEqual([5]);
  });

  it('sums f64 in f64 and keeps it', () => {
    const s = reduce('reduce_sum', tensor('f64', [3], [0.1, 0.2, 0.3]), [0], false);
    expect(s.data).toBeInstanceOf(Float64Array);
    expect(toNumbers(s)).toEqual([0.1 + 0.2 + 0.3]);
  });
});
