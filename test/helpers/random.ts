// Seeded random data for tests: the same seed gives the same numbers on every machine.

import type { DType } from '../../compiler/ir/dtype.js';
import { tensor, sizeOf, type Tensor } from '../../compiler/interpret/tensor.js';

/** A mulberry32 generator giving floats uniform in [-1, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/**
 * A tensor of seeded random values: floats uniform in [-1, 1) (rounded to the dtype),
 * signed integers in [-100, 100), u8 in [0, 200), bool 0/1 with even odds.
 */
export function randomTensor(dtype: DType, shape: readonly number[], seed: number): Tensor {
  const next = seededRandom(seed);
  const values = new Array<number>(sizeOf(shape));
  for (let i = 0; i < values.length; i++) {
    const r = next();
    switch (dtype) {
      case 'f32': case 'f16': values[i] = r; break;
      case 'i32': case 'i64': case 'i8': values[i] = Math.floor(r * 100); break;
      case 'u8': values[i] = Math.floor((r + 1) * 100); break;
      case 'bool': values[i] = r < 0 ? 0 : 1; break;
    }
  }
  return tensor(dtype, shape, values);
}
