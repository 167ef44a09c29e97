// Running sums along one axis (ONNX CumSum). Each lane accumulates in f64 in lane order and
// every output rounds once on store, so a float output is the correctly rounded prefix sum of
// the stored inputs (NumPy instead rounds every partial sum to the input's type). i64 and u64
// accumulate as exact BigInts and wrap modulo 2^64 on store; narrower integers are exact below
// 2^53 and wrap on store. `exclusive` leaves each element out of its own sum (the first output
// of a lane is 0); `reverse` runs the lane from its end.

import { allocData, isBigIntData, sizeOf, type Tensor } from '../tensor.js';
import { checkAxis } from './broadcast.js';
import { fromNumbers, readNumbers } from './storage.js';

export function cumsum(x: Tensor, axis: number, exclusive: boolean, reverse: boolean): Tensor {
  checkAxis(axis, x.shape.length, 'cumsum');
  const len = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  // The flat position of step `s` of lane (o, j): lanes are walked backwards when reversed.
  const at = (o: number, j: number, s: number): number => (o * len + (reverse ? len - 1 - s : s)) * inner + j;

  if (isBigIntData(x.data)) {
    const src = x.data;
    const out = allocData(x.dtype, src.length) as typeof src; // BigInt64Array/BigUint64Array stores wrap modulo 2^64
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        let acc = 0n;
        for (let s = 0; s < len; s++) {
          const p = at(o, j, s);
          if (exclusive) {
            out[p] = acc;
            acc += src[p]!;
          } else {
            acc += src[p]!;
            out[p] = acc;
          }
        }
      }
    }
    return { dtype: x.dtype, shape: [...x.shape], data: out };
  }

  const src = readNumbers(x);
  const out = new Float64Array(src.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let acc = 0;
      for (let s = 0; s < len; s++) {
        const p = at(o, j, s);
        if (exclusive) {
          out[p] = acc;
          acc += src[p]!;
        } else {
          acc += src[p]!;
          out[p] = acc;
        }
      }
    }
  }
  return fromNumbers(x.dtype, x.shape, out);
}
