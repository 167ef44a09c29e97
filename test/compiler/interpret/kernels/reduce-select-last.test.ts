// argmax/argmin with select_last_index (ONNX ArgMax/ArgMin since opset 12).

import { describe, expect, it } from 'vitest';
import { argReduce } from '../../../../compiler/interpret/kernels/reduce.js';
import { tensor, toNumbers } from '../../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../../helpers/random.js';

describe('argReduce with selectLast', () => {
  const x = tensor('f32', [2, 4], [1, 3, 3, 0, 5, 0, 5, 0]);

  it('returns the last extreme index', () => {
    expect(toNumbers(argReduce('argmax', x, 1, false, true))).toEqual([2, 2]);
    expect(toNumbers(argReduce('argmax', x, 1, false, false))).toEqual([1, 0]);
    expect(toNumbers(argReduce('argmin', x, 1, false, true))).toEqual([3, 3]);
    expect(toNumbers(argReduce('argmin', x, 0, true, true))).toEqual([0, 1, 0, 1]);
    expect(argReduce('argmin', x, 0, true, true).shape).toEqual([1, 4]);
  });

  it('picks the last NaN', () => {
    const n = tensor('f32', [4], [NaN, 1, NaN, 7]);
    expect(toNumbers(argReduce('argmax', n, 0, false, true))).toEqual([2]);
    expect(toNumbers(argReduce('argmin', n, 0, false, true))).toEqual([2]);
  });

  it('equals the first index when every value is distinct, on [7, 129]', () => {
    const r = randomTensor('f32', [7, 129], 11);
    expect(toNumbers(argReduce('argmax', r, 1, false, true))).toEqual(toNumbers(argReduce('argmax', r, 1, false)));
    expect(toNumbers(argReduce('argmin', r, 0, false, true))).toEqual(toNumbers(argReduce('argmin', r, 0, false)));
  });

  it('handles a lane of one element and equal-valued integer lanes', () => {
    expect(toNumbers(argReduce('argmax', tensor('i32', [3, 1], [4, 5, 6]), 1, false, true))).toEqual([0, 0, 0]);
    expect(toNumbers(argReduce('argmax', tensor('i64', [5], [2, 2, 2, 2, 2]), 0, false, true))).toEqual([4]);
  });
});
