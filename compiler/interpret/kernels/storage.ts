// Moving elements between host tensors and plain f64 working arrays. Every kernel reads its
// inputs as numbers (`readNumbers`), computes in f64 and rounds once on store (`fromNumbers`);
// layout kernels instead move stored elements untouched (`takeElements`, `copyElements`), so
// i64 and u64 values survive exactly. Kernels that want i64/u64 exact read them as BigInts
// (`readBigInts`) and store through `fromBigInts`.

import type { DType } from '../../ir/dtype.js';
import {
  allocData, isBigIntData, sizeOf, storeConversion, toBigInt, type BigIntData, type NumberData, type StoreOptions, type Tensor,
  type TensorData,
} from '../tensor.js';

export { toBigInt } from '../tensor.js';

/**
 * The elements of `t` as numbers. No copy except for i64 and u64, which go through Number
 * (exact below 2^53). bool reads as 0/1.
 */
export function readNumbers(t: Tensor): ArrayLike<number> {
  const d = t.data;
  if (!isBigIntData(d)) return d;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  return out;
}

/** The elements of `t` as a fresh Float64Array (for hot loops that want one element type). */
export function readFloat64(t: Tensor): Float64Array {
  const d = t.data;
  const out = new Float64Array(d.length);
  if (isBigIntData(d)) for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  else out.set(d);
  return out;
}

/** The elements of an integer or bool tensor as exact BigInts (floats truncate; NaN and ±inf give 0). */
export function readBigInts(t: Tensor): ArrayLike<bigint> {
  const d = t.data;
  if (isBigIntData(d)) return d;
  const out = new Array<bigint>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = toBigInt(d[i]!);
  return out;
}

/**
 * A tensor of `dtype` holding `values` converted as a C-like store would (see `tensor.ts`):
 *   f64 exact · f32 rounds to nearest · f16, bf16, fp8, f4e2m1 round to nearest even straight
 *   from the f64 (fp8 saturating unless `opts.saturate` is false) · i32/i16/i8/u32/u16/u8
 *   truncate toward zero and wrap modulo 2^bits (typed-array store; NaN and ±Inf give 0) ·
 *   i4/u4/i2/u2 round half to even, then wrap · i64/u64 truncate, NaN and ±Inf give 0, wrap
 *   modulo 2^64 · bool is `v != 0` (so NaN is true).
 */
export function fromNumbers(dtype: DType, shape: readonly number[], values: ArrayLike<number>, opts?: StoreOptions): Tensor {
  const n = sizeOf(shape);
  if (values.length !== n) throw new Error(`fromNumbers: ${values.length} values for shape [${shape.join(', ')}]`);
  const data = allocData(dtype, n);
  if (isBigIntData(data)) {
    for (let i = 0; i < n; i++) data[i] = toBigInt(values[i]!);
  } else {
    const convert = storeConversion(dtype, opts);
    if (convert) for (let i = 0; i < n; i++) data[i] = convert(values[i]!);
    else for (let i = 0; i < n; i++) data[i] = values[i]!;
  }
  return { dtype, shape: [...shape], data };
}

/**
 * A tensor of `dtype` holding exact integers `values`: i64/u64 wrap modulo 2^64; narrower
 * integers wrap modulo their width; bool is `v != 0`; floats round the integer once to
 * nearest (through an f64 rounded to odd, so there is no double rounding).
 */
export function fromBigInts(dtype: DType, shape: readonly number[], values: ArrayLike<bigint>): Tensor {
  const n = sizeOf(shape);
  if (values.length !== n) throw new Error(`fromBigInts: ${values.length} values for shape [${shape.join(', ')}]`);
  const data = allocData(dtype, n);
  if (isBigIntData(data)) {
    for (let i = 0; i < n; i++) data[i] = values[i]!;
  } else if (dtype === 'bool') {
    for (let i = 0; i < n; i++) data[i] = values[i] !== 0n ? 1 : 0;
  } else if (dtype === 'f64') {
    for (let i = 0; i < n; i++) data[i] = Number(values[i]!);
  } else {
    const convert = storeConversion(dtype);
    const isInt = !(data instanceof Float32Array);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      // Integers keep their low 32 bits (the store wraps further); floats need one rounding.
      const x = isInt ? Number(BigInt.asIntN(32, v)) : bigToNumberRoundedToOdd(v);
      data[i] = convert ? convert(x) : x;
    }
  }
  return { dtype, shape: [...shape], data };
}

const F64 = new Float64Array(1);
const F64_BITS = new BigUint64Array(F64.buffer);

/**
 * `v` as an f64 rounded to odd: exact when it fits, else the neighbour whose last mantissa bit
 * is 1. Rounding that once more to a format with at most 51 significant bits gives the
 * correctly rounded result (round-to-odd needs two spare bits).
 */
function bigToNumberRoundedToOdd(v: bigint): number {
  const x = Number(v); // round to nearest
  if (!Number.isFinite(x) || BigInt(x) === v) return x;
  F64[0] = x;
  if ((F64_BITS[0]! & 1n) === 0n) F64_BITS[0] = F64_BITS[0]! + ((BigInt(x) < v) === (x > 0) ? 1n : -1n); // away from or toward zero
  return F64[0]!;
}

/** A fresh array of `src`'s element type holding `src[offsets[i]]` at `i`. */
export function takeElements(src: TensorData, offsets: Int32Array): TensorData {
  const n = offsets.length;
  if (isBigIntData(src)) {
    const out = sameKind(src, n) as BigIntData;
    for (let i = 0; i < n; i++) out[i] = src[offsets[i]!]!;
    return out;
  }
  const out = sameKind(src, n) as NumberData;
  for (let i = 0; i < n; i++) out[i] = src[offsets[i]!]!;
  return out;
}

/** Copies `len` elements `src[srcOff..]` into `dst[dstOff..]`; both arrays are of one kind. */
export function copyElements(dst: TensorData, dstOff: number, src: TensorData, srcOff: number, len: number): void {
  if (dst.constructor !== src.constructor) throw new Error(`copyElements: mixed ${src.constructor.name} and ${dst.constructor.name} storage`);
  (dst as Float32Array).set((src as Float32Array).subarray(srcOff, srcOff + len), dstOff);
}

/** A zeroed array of `src`'s type and length `n`. */
export function sameKind(src: TensorData, n: number): TensorData {
  return new (src.constructor as new (n: number) => TensorData)(n);
}
