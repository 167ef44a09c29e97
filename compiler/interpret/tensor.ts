// Host tensors: the values the reference interpreter computes with and the runtime exchanges.
//
// Storage per dtype (chosen so every value is held exactly):
//   f32 Float32Array · f16 Float32Array holding values already rounded to half precision
//   i32 Int32Array · i64 BigInt64Array · i8 Int8Array · u8 Uint8Array · bool Uint8Array (0/1)
// f16 keeps f32 storage so arithmetic needs no bit twiddling; `fromHalfBits`/`toHalfBits`
// convert at file boundaries (.npy, safetensors, weights.bin).

import { DTYPES, type DType } from '../ir/dtype.js';

export type TensorData = Float32Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocData(dtype: DType, size: number): TensorData {
  switch (dtype) {
    case 'f32': case 'f16': return new Float32Array(size);
    case 'i32': return new Int32Array(size);
    case 'i64': return new BigInt64Array(size);
    case 'i8': return new Int8Array(size);
    case 'u8': case 'bool': return new Uint8Array(size);
  }
}

export function tensor(dtype: DType, shape: readonly number[], data?: TensorData | ArrayLike<number>): Tensor {
  const size = sizeOf(shape);
  const out = allocData(dtype, size);
  if (data !== undefined) {
    if (data.length !== size) throw new Error(`tensor data has ${data.length} elements, shape [${shape.join(', ')}] needs ${size}`);
    if (out instanceof BigInt64Array) {
      for (let i = 0; i < size; i++) out[i] = BigInt(Math.trunc(Number((data as ArrayLike<number | bigint>)[i])));
    } else {
      for (let i = 0; i < size; i++) out[i] = Number((data as ArrayLike<number | bigint>)[i]);
      if (dtype === 'f16') roundToHalfInPlace(out as Float32Array);
      if (dtype === 'bool') for (let i = 0; i < size; i++) out[i] = out[i] ? 1 : 0;
    }
  }
  return { dtype, shape: [...shape], data: out };
}

/** Element `i` as a JS number (i64 through Number, exact below 2^53). */
export function getNumber(t: Tensor, i: number): number {
  const d = t.data;
  return d instanceof BigInt64Array ? Number(d[i]) : d[i]!;
}

/** Writes a JS number into element `i`, converting as a store to `t.dtype` would. */
export function setNumber(t: Tensor, i: number, v: number): void {
  const d = t.data;
  if (d instanceof BigInt64Array) d[i] = BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
  else if (t.dtype === 'f16') d[i] = roundToHalf(v);
  else if (t.dtype === 'bool') d[i] = v ? 1 : 0;
  else d[i] = v;
}

/** The whole tensor as plain numbers (for tests and printing). */
export function toNumbers(t: Tensor): number[] {
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = getNumber(t, i);
  return out;
}

export function storageBytes(t: Tensor): number {
  return t.data.length * DTYPES[t.dtype].bytes;
}

// ---- half precision ----------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bit pattern of `v` (round to nearest even, overflow to infinity). */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000;
    const shift = 14 - e;
    const halfMant = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const rounded = rem > halfway || (rem === halfway && (halfMant & 1)) ? halfMant + 1 : halfMant;
    return sign | rounded;
  }
  const halfMant = mant >>> 13;
  const rem = mant & 0x1fff;
  let out = sign | (e << 10) | halfMant;
  if (rem > 0x1000 || (rem === 0x1000 && (halfMant & 1))) out += 1; // carries into exponent correctly
  return out;
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function roundToHalf(v: number): number {
  return fromHalfBits(toHalfBits(v));
}

export function roundToHalfInPlace(a: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = roundToHalf(a[i]!);
}
