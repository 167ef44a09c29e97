import { describe, expect, it } from 'vitest';
import { copyElements, fromNumbers, readFloat64, readNumbers, takeElements } from '../../../../compiler/interpret/kernels/storage.js';
import { toNumbers } from '../../../../compiler/interpret/tensor.js';

describe('storage', () => {
  it('stores numbers with C-like conversions per dtype', () => {
    const v = [1.7, -1.7, NaN, 300, 0.1];
    expect(toNumbers(fromNumbers('i32', [5], v))).toEqual([1, -1, 0, 300, 0]);
    expect(toNumbers(fromNumbers('u8', [5], v))).toEqual([1, 255, 0, 44, 0]);
    expect(toNumbers(fromNumbers('bool', [5], v))).toEqual([1, 1, 1, 1, 1]);
    expect(toNumbers(fromNumbers('f16', [5], v))).toEqual([1.7001953125, -1.7001953125, NaN, 300, 0.0999755859375]);
    expect([...(fromNumbers('i64', [5], v).data as BigInt64Array)]).toEqual([1n, -1n, 0n, 300n, 0n]);
    expect(() => fromNumbers('f32', [2], [1])).toThrow();
  });

  it('reads i64 through Number and copies elements of one kind', () => {
    const big = { dtype: 'i64' as const, shape: [2], data: BigInt64Array.from([5n, -2n]) };
    expect([...(readNumbers(big) as Float64Array)]).toEqual([5, -2]);
    expect([...readFloat64(big)]).toEqual([5, -2]);
    expect([...(takeElements(big.data, Int32Array.from([1, 1, 0])) as BigInt64Array)]).toEqual([-2n, -2n, 5n]);
    const dst = new BigInt64Array(3);
    copyElements(dst, 1, big.data, 0, 2);
    expect([...dst]).toEqual([0n, 5n, -2n]);
    expect(() => copyElements(new Float32Array(2), 0, big.data, 0, 2)).toThrow(/mixed/);
  });
});
