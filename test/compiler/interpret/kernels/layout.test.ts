import { describe, expect, it } from 'vitest';
import {
  concat, expand, gather, reshape, slice, sliceRange, squeeze, transpose, unsqueeze,
} from '../../../../compiler/interpret/kernels/layout.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../../helpers/random.js';

const arange = (n: number, shape = [n]): Tensor => tensor('f32', shape, Array.from({ length: n }, (_, i) => i));

describe('reshape, squeeze, unsqueeze', () => {
  it('views the same data under a new shape', () => {
    const x = arange(6, [2, 3]);
    const y = reshape(x, [3, 1, 2]);
    expect(y.shape).toEqual([3, 1, 2]);
    expect(y.data).toBe(x.data);
    expect(() => reshape(x, [4, 2])).toThrow(/cannot view/);
  });

  it('squeezes and unsqueezes size-1 axes', () => {
    const x = arange(6, [1, 2, 1, 3]);
    expect(squeeze(x).shape).toEqual([2, 3]);
    expect(squeeze(x, [2]).shape).toEqual([1, 2, 3]);
    expect(() => squeeze(x, [1])).toThrow(/is not 1/);
    expect(unsqueeze(arange(6, [2, 3]), [0, 3]).shape).toEqual([1, 2, 3, 1]);
    expect(unsqueeze(arange(6, [2, 3]), [1]).shape).toEqual([2, 1, 3]);
  });
});

describe('transpose', () => {
  it('transposes a matrix by hand', () => {
    const y = transpose(tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]), [1, 0]);
    expect(y.shape).toEqual([3, 2]);
    expect(toNumbers(y)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('is undone by the inverse permutation', () => {
    const x = randomTensor('f32', [2, 7, 1, 3, 5], 1);
    const perm = [2, 4, 0, 3, 1];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    const y = transpose(x, perm);
    expect(y.shape).toEqual([1, 5, 2, 3, 7]);
    const back = transpose(y, inverse);
    expect(back.shape).toEqual(x.shape);
    expect(toNumbers(back)).toEqual(toNumbers(x));
  });

  it('moves i64 exactly and rejects non-permutations', () => {
    const x: Tensor = { dtype: 'i64', shape: [2, 1], data: BigInt64Array.from([2n ** 62n + 1n, -3n]) };
    expect([...(transpose(x, [1, 0]).data as BigInt64Array)]).toEqual([2n ** 62n + 1n, -3n]);
    expect(() => transpose(x, [0, 0])).toThrow(/permutation/);
  });
});

describe('slice', () => {
  it('takes strided ranges by hand, negative steps included', () => {
    const x = arange(10);
    expect(toNumbers(slice(x, [0], [1], [3], [3]))).toEqual([1, 4, 7]);
    expect(toNumbers(slice(x, [0], [8], [-3], [3]))).toEqual([8, 5, 2]);
    expect(toNumbers(slice(x, [0], [0], [1], [0]))).toEqual([]);
    const m = arange(12, [3, 4]);
    const y = slice(m, [1, 0], [3, 1], [-2, 1], [2, 2]); // rows 1, 2; columns 3, 1
    expect(y.shape).toEqual([2, 2]);
    expect(toNumbers(y)).toEqual([7, 5, 11, 9]);
    expect(() => slice(x, [0], [8], [1], [3])).toThrow(/leave axis/);
  });

  it('converts ONNX start/end/step with sliceRange', () => {
    expect(sliceRange(10, -3, 1000, 1)).toEqual({ start: 7, count: 3 });
    expect(sliceRange(10, -1, -1000, -1)).toEqual({ start: 9, count: 10 });
    expect(sliceRange(10, 5, 2, 1)).toEqual({ start: 0, count: 0 });
    expect(sliceRange(10, 0, 10, 3)).toEqual({ start: 0, count: 4 });
    expect(sliceRange(10, 100, 0, -4)).toEqual({ start: 9, count: 3 });
    expect(sliceRange(0, 0, -1, -1)).toEqual({ start: 0, count: 0 });
  });

  it('gives back the parts after a concat', () => {
    for (const axis of [0, 1, 2]) {
      const sizes = [1, 7, 129];
      const parts = sizes.map((s, i) => {
        const shape = [3, 2, 5];
        shape[axis] = s;
        return randomTensor('f32', shape, 10 + i);
      });
      const joined = concat(parts, axis);
      expect(joined.shape[axis]).toBe(137);
      let at = 0;
      parts.forEach((p, i) => {
        const back = slice(joined, [axis], [at], [1], [sizes[i]!]);
        expect(back.shape).toEqual(p.shape);
        expect(toNumbers(back)).toEqual(toNumbers(p));
        at += sizes[i]!;
      });
    }
  });
});

describe('concat', () => {
  it('joins by hand and checks shapes', () => {
    const y = concat([tensor('f32', [2, 1], [1, 2]), tensor('f32', [2, 2], [3, 4, 5, 6])], 1);
    expect(y.shape).toEqual([2, 3]);
    expect(toNumbers(y)).toEqual([1, 3, 4, 2, 5, 6]);
    expect(() => concat([tensor('f32', [2, 1]), tensor('f32', [3, 1])], 1)).toThrow(/does not join/);
    expect(() => concat([tensor('f32', [2]), tensor('i32', [2])], 0)).toThrow(/does not join/);
  });
});

describe('gather', () => {
  it('picks rows by hand with negative and multi-dim indices', () => {
    const x = arange(6, [3, 2]);
    const y = gather(x, tensor('i32', [2, 2], [2, 0, -1, 1]), 0);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(toNumbers(y)).toEqual([4, 5, 0, 1, 4, 5, 2, 3]);
    const cols = gather(x, tensor('i64', [], [1]), 1);
    expect(cols.shape).toEqual([3]);
    expect(toNumbers(cols)).toEqual([1, 3, 5]);
    expect(() => gather(x, tensor('i32', [1], [3]), 0)).toThrow(/out of range/);
    expect(() => gather(x, tensor('i32', [1], [-4]), 0)).toThrow(/out of range/);
  });

  it('is the identity with arange indices', () => {
    const x = randomTensor('f32', [7, 129, 3], 20);
    for (const axis of [0, 1, 2]) {
      const n = x.shape[axis]!;
      const idx = tensor('i64', [n], Array.from({ length: n }, (_, i) => i));
      const y = gather(x, idx, axis);
      expect(y.shape).toEqual(x.shape);
      expect(toNumbers(y)).toEqual(toNumbers(x));
    }
  });

  it('moves i64 data exactly', () => {
    const x: Tensor = { dtype: 'i64', shape: [2], data: BigInt64Array.from([2n ** 62n + 1n, 7n]) };
    expect([...(gather(x, tensor('i32', [3], [1, 0, 0]), 0).data as BigInt64Array)]).toEqual([7n, 2n ** 62n + 1n, 2n ** 62n + 1n]);
  });
});

describe('expand', () => {
  it('broadcasts to a shape by hand', () => {
    const y = expand(tensor('f32', [2, 1], [1, 2]), [2, 2, 3]);
    expect(y.shape).toEqual([2, 2, 3]);
    expect(toNumbers(y)).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    expect(() => expand(tensor('f32', [2, 3]), [2, 1])).toThrow(/broadcast/);
  });
});

describe('layout moves every dtype exactly', () => {
  it('u64, f64 and sub-byte types through transpose, concat, gather and expand', () => {
    const u = tensor('u64', [2, 2], [2n ** 64n - 1n, 1n, 2n, 2n ** 63n]);
    expect([...transpose(u, [1, 0]).data]).toEqual([2n ** 64n - 1n, 2n, 1n, 2n ** 63n]);
    expect([...concat([u, u], 0).data].slice(4)).toEqual([2n ** 64n - 1n, 1n, 2n, 2n ** 63n]);
    const f = tensor('f64', [3], [0.1, 0.2, 0.3]);
    expect(toNumbers(gather(f, tensor('i64', [2], [2, 0]), 0))).toEqual([0.3, 0.1]);
    expect(toNumbers(expand(tensor('i4', [1], [-8]), [3]))).toEqual([-8, -8, -8]);
    expect(concat([tensor('f8e5m2', [1], [1]), tensor('f8e5m2', [1], [2])], 0).dtype).toBe('f8e5m2');
  });
});
