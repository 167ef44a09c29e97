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
