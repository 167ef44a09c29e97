import { describe, expect, it } from 'vitest';
import { compareTensors, toleranceFor } from '../../../compiler/driver/compare.js';
import { tensor } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';

describe('compareTensors', () => {
  it('measures max abs and relative L2 error', () => {
    const c = compareTensors('y', tensor('f32', [2], [3, 4.5]), tensor('f32', [2], [3, 4]));
    expect(c.maxAbsError).toBe(0.5);
    expect(c.relL2Error).toBeCloseTo(0.5 / 5, 12);
    expect(c.ok).toBe(false);
  });

  it('passes f32 within 1e-4 relative L2 and fails beyond', () => {
    const e = randomTensor('f32', [1000], 7);
    const near = tensor('f32', [1000], Array.from(e.data as Float32Array, (v) => v * (1 + 5e-5)));
    const far = tensor('f32', [1000], Array.from(e.data as Float32Array, (v) => v * (1 + 5e-4)));
    expect(compareTensors('y', near, e).ok).toBe(true);
    expect(compareTensors('y', far, e).ok).toBe(false);
  });

  it('treats NaN as equal to NaN only, and integers exactly', () => {
    expect(compareTensors('y', tensor('f32', [2], [NaN, 1]), tensor('f32', [2], [NaN, 1])).ok).toBe(true);
    expect(compareTensors('y', tensor('f32', [2], [0, 1]), tensor('f32', [2], [NaN, 1])).ok).toBe(false);
    expect(compareTensors('y', tensor('i32', [2], [1, 2]), tensor('i32', [2], [1, 3])).ok).toBe(false);
    expect(toleranceFor('f16')).toBe(1e-2);
  });

  it('reports dtype and shape mismatches', () => {
    const c = compareTensors('y', tensor('f32', [2, 1], [1, 2]), tensor('f32', [2], [1, 2]));
    expect(c.ok).toBe(false);
    expect(c.mismatch).toBe('got f32[2, 1], expected f32[2]');
  });
});

describe('tolerances of the wider dtypes', () => {
  it('f64 1e-4, bf16 1e-2, the 8- and 4-bit floats 1e-1, every integer exactly', () => {
    expect(['f64', 'f32', 'f16', 'bf16', 'f8e4m3fn', 'f8e4m3fnuz', 'f8e5m2', 'f8e5m2fnuz', 'f8e8m0', 'f4e2m1'].map((d) => toleranceFor(d as never)))
      .toEqual([1e-4, 1e-4, 1e-2, 1e-2, 1e-1, 1e-1, 1e-1, 1e-1, 1e-1, 1e-1]);
    expect(['i64', 'i32', 'i16', 'i8', 'i4', 'i2', 'u64', 'u32', 'u16', 'u8', 'u4', 'u2', 'bool'].every((d) => toleranceFor(d as never) === 0)).toBe(true);
  });

  it('compares u64 and i64 exactly beyond 2^53', () => {
    const a = tensor('u64', [2], [2n ** 64n - 1n, 1n]);
    const b = tensor('u64', [2], [2n ** 64n - 2n, 1n]);
    const c = compareTensors('y', a, b);
    expect(c.ok).toBe(false);
    expect(c.maxAbsError).toBe(1);
    expect(compareTensors('y', a, tensor('u64', [2], [2n ** 64n - 1n, 1n])).ok).toBe(true);
  });

  it('accepts a one-step fp8 flip in a large tensor, not a wrong tensor', () => {
    const e = tensor('f8e4m3fn', [100], Array.from({ length: 100 }, (_, i) => (i % 7) + 1));
    const flipped = tensor('f8e4m3fn', [100], Array.from(e.data as Float32Array, (v, i) => (i === 3 ? v * 1.125 : v)));
    expect(compareTensors('y', flipped, e).ok).toBe(true);
    expect(compareTensors('y', tensor('f8e4m3fn', [100], Array.from(e.data as Float32Array, (v) => v * 2)), e).ok).toBe(false);
  });
});
