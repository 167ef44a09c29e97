import { describe, expect, it } from 'vitest';
import { topk } from '../../../../compiler/interpret/kernels/topk.js';
import { tensor, toNumbers } from '../../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../../helpers/random.js';

describe('topk', () => {
  const m = tensor('f32', [3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8]);

  it('picks the k largest and smallest along the last axis', () => {
    const r = topk(m, 1, 3, true);
    expect(r.values.shape).toEqual([3, 3]);
    expect(toNumbers(r.values)).toEqual([3, 2, 1, 7, 6, 5, 11, 10, 9]);
    expect(r.indices.dtype).toBe('i64');
    expect(toNumbers(r.indices)).toEqual([3, 2, 1, 3, 2, 1, 0, 1, 2]);
    const s = topk(m, 1, 2, false);
    expect(toNumbers(s.values)).toEqual([0, 1, 4, 5, 8, 9]);
    expect(toNumbers(s.indices)).toEqual([0, 1, 0, 1, 3, 2]);
  });

  it('works along the first axis', () => {
    const r = topk(m, 0, 1, true);
    expect(r.values.shape).toEqual([1, 4]);
    expect(toNumbers(r.values)).toEqual([11, 10, 9, 8]);
    expect(toNumbers(r.indices)).toEqual([2, 2, 2, 2]);
  });

  it('puts the lower index first among equal values', () => {
    const x = tensor('f32', [5], [1, 3, 3, 2, 3]);
    expect(toNumbers(topk(x, 0, 4, true).indices)).toEqual([1, 2, 4, 3]);
    expect(toNumbers(topk(tensor('i32', [4], [2, 1, 1, 3]), 0, 3, false).indices)).toEqual([1, 2, 0]);
    expect(toNumbers(topk(tensor('f32', [3], [0, -0, 0]), 0, 3, true).indices)).toEqual([0, 1, 2]);
  });

  it('orders NaN above every number', () => {
    const x = tensor('f32', [4], [1, NaN, 3, NaN]);
    expect(toNumbers(topk(x, 0, 3, true).values)).toEqual([NaN, NaN, 3]);
    expect(toNumbers(topk(x, 0, 3, true).indices)).toEqual([1, 3, 2]);
    expect(toNumbers(topk(x, 0, 3, false).indices)).toEqual([0, 2, 1]);
  });

  it('compares and moves i64 exactly', () => {
    const x = tensor('i64', [3], [2n ** 60n + 1n, 2n ** 60n, 2n ** 60n + 2n]);
    const r = topk(x, 0, 3, true);
    expect([...(r.values.data as BigInt64Array)]).toEqual([2n ** 60n + 2n, 2n ** 60n + 1n, 2n ** 60n]);
    expect(toNumbers(r.indices)).toEqual([2, 0, 1]);
  });

  it('gives k = 0 and k = n, and refuses k > n', () => {
    expect(topk(m, 1, 0, true).values.shape).toEqual([3, 0]);
    expect(toNumbers(topk(tensor('f32', [1], [5]), 0, 1, false).values)).toEqual([5]);
    expect(() => topk(m, 1, 5, true)).toThrow(/out of range/);
  });

  it('sorts whole lanes of [7, 129] and agrees with a plain sort', () => {
    const x = randomTensor('f32', [7, 129], 3);
    const v = toNumbers(x);
    const all = topk(x, 1, 129, true);
    const five = topk(x, 1, 5, false);
    for (let r = 0; r < 7; r++) {
      const lane = v.slice(r * 129, r * 129 + 129);
      const idx = toNumbers(all.indices).slice(r * 129, r * 129 + 129);
      expect(new Set(idx).size).toBe(129);
      expect(idx.map((i) => lane[i]!)).toEqual(toNumbers(all.values).slice(r * 129, r * 129 + 129));
      expect(toNumbers(all.values).slice(r * 129, r * 129 + 129)).toEqual([...lane].sort((a, b) => b - a));
      expect(toNumbers(five.values).slice(r * 5, r * 5 + 5)).toEqual([...lane].sort((a, b) => a - b).slice(0, 5));
    }
  });
});
