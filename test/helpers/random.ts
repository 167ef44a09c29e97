// Seeded random data for tests: the same seed gives the same numbers on every machine.

import { DTYPES, type DType } from '../../compiler/ir/dtype.js';
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
 * A tensor of seeded random values: floats uniform in [-1, 1) (rounded to the dtype), signed
 * integers in [-100, 100) and unsigned ones in [0, 200) (both clamped to the dtype's range),
 * bool 0/1 with even odds. Every dtype gets real values: a NaN input would make a comparison
 * that treats NaN as equal pass vacuously.
 */
export function randomTensor(dtype: DType, shape: readonly number[], seed: number): Tensor {
  const next = seededRandom(seed);
  const info = DTYPES[dtype];
  const values = new Array<number>(sizeOf(shape));
  for (let i = 0; i < values.length; i++) {
    const r = next();
    if (dtype === 'bool') values[i] = r < 0 ? 0 : 1;
    else if (info.isFloat) values[i] = dtype === 'f8e8m0' ? 2 ** Math.round(r * 8) : r;
    else {
      const v = info.isSigned ? Math.floor(r * 100) : Math.floor((r + 1) * 100);
      values[i] = Math.min(info.max, Math.max(info.min, v));
    }
  }
  return tensor(dtype, shape, values);
}
