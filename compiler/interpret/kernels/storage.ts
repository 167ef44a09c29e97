// Moving elements between host tensors and plain f64 working arrays. Every kernel reads its
// inputs as numbers (`readNumbers`), computes in f64 and rounds once on store (`fromNumbers`);
// layout kernels instead move stored elements untouched (`takeElements`, `copyElements`), so
// i64 values survive exactly.

import type { DType } from '../../ir/dtype.js';
import { allocData, roundToHalf, sizeOf, type Tensor, type TensorData } from '../tensor.js';

/**
 * The elements of `t` as numbers. No copy except for i64, which goes through Number (exact
 * below 2^53). bool reads as 0/1.
 */
export function readNumbers(t: Tensor): ArrayLike<number> {
  const d = t.data;
  if (!(d instanceof BigInt64Array)) return d;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  return out;
}

/** The elements of `t` as a fresh Float64Array (for hot loops that want one element type). */
export function readFloat64(t: Tensor): Float64Array {
  const d = t.data;
  const out = new Float64Array(d.length);
  if (d instanceof BigInt64Array) for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  else out.set(d);
  return out;
}

/**
 * A tensor of `dtype` holding `values` converted as a C-like store would:
 *   f32 rounds to nearest · f16 rounds to nearest half (through f32; f64→f32→f16 double
 *   rounding is innocuous since 24 >= 2·11 + 2) · i32/i8/u8 truncate toward zero and wrap
 *   modulo 2^bits (typed-array store; NaN and ±Inf give 0) · i64 truncates, NaN and ±Inf give
 *   0, wraps modulo 2^64 · bool is `v != 0` (so NaN is true).
 */
export function fromNumbers(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
  const n = sizeOf(shape);
  if (values.length !== n) throw new Error(`fromNumbers: ${values.length} values for shape [${shape.join(', ')}]`);
  const data = allocData(dtype, n);
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) data[i] = toBigInt(values[i]!);
  } else if (dtype === 'bool') {
    for (let i = 0; i < n; i++) data[i] = values[i] !== 0 ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) data[i] = values[i]!;
    if (dtype === 'f16') {
      const f = data as Float32Array;
      for (let i = 0; i < n; i++) f[i] = roundToHalf(f[i]!);
    }
  }
  return { dtype, shape: [...shape], data };
}

/** Truncating conversion to a BigInt; NaN and ±Inf give 0 (callers store into i64, which wraps). */
export function toBigInt(v: number): bigint {
  return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
}

/** A fresh array of `src`'s element type holding `src[offsets[i]]` at `i`. */
export function takeElements(src: TensorData, offsets: Int32Array): TensorData {
  const n = offsets.length;
  if (src instanceof BigInt64Array) {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = src[offsets[i]!]!;
    return out;
  }
  const out = sameKind(src, n);
  for (let i = 0; i < n; i++) out[i] = src[offsets[i]!]!;
  return out;
}

/** Copies `len` elements `src[srcOff..]` into `dst[dstOff..]`; both arrays are of one kind. */
export function copyElements(dst: TensorData, dstOff: number, src: TensorData, srcOff: number, len: number): void {
  if ((dst instanceof BigInt64Array) !== (src instanceof BigInt64Array)) throw new Error('copyElements: mixed i64 and non-i64 storage');
  (dst as Float32Array).set((src as Float32Array).subarray(srcOff, srcOff + len), dstOff);
}

function sameKind(src: Exclude<TensorData, BigInt64Array>, n: number): Exclude<TensorData, BigInt64Array> {
  if (src instanceof Float32Array) return new Float32Array(n);
  if (src instanceof Int32Array) return new Int32Array(n);
  if (src instanceof Int8Array) return new Int8Array(n);
  return new Uint8Array(n);
}
