// Host tensors: the values the reference interpreter computes with and the runtime exchanges.
//
// Storage per dtype (chosen so every value is held exactly, one element per array slot):
//   f64 Float64Array · f32 Float32Array
//   f16, bf16, f8e4m3fn, f8e4m3fnuz, f8e5m2, f8e5m2fnuz, f8e8m0, f4e2m1: Float32Array holding
//     values already rounded to the format (every value of these formats is an f32)
//   i64 BigInt64Array · u64 BigUint64Array · i32 Int32Array · u32 Uint32Array
//   i16 Int16Array · u16 Uint16Array · i8 Int8Array · u8 Uint8Array
//   i4, i2 Int8Array and u4, u2 Uint8Array, unpacked (packing happens only in files)
//   bool Uint8Array (0/1)
// The reduced floats keep f32 storage so arithmetic needs no bit twiddling; `float-formats.ts`
// converts to and from bit patterns at file boundaries (.npy, TensorProto, safetensors).
//
// A store of a number into a tensor (`setNumber`, `tensor()`, the kernels' `fromNumbers`)
// converts the way a C-like store does: floats round to nearest even (reduced floats with the
// rules of `float-formats.ts`, saturating by default); integers truncate toward zero and wrap
// modulo 2^bits, NaN and ±inf giving 0, except the sub-byte integers i4, u4, i2, u2, which
// round half to even first and then wrap (ONNX Cast to INT4/UINT4/INT2/UINT2,
// onnx/docs/docsgen/source/technical/int4.md and int2.md); bool is `v != 0` (NaN is true).

import { packedBytes, type DType } from '../ir/dtype.js';
import { isReducedFloat, roundHalfEven, roundToFloat, roundToHalf, type RoundOptions } from './float-formats.js';

export {
  bitsToValueTable, floatFromBits, floatToBits, fromBf16Bits, fromHalfBits, isReducedFloat, maxFinite, roundHalfEven,
  roundToBf16, roundToF4E2M1, roundToF8E4M3FN, roundToF8E4M3FNUZ, roundToF8E5M2, roundToF8E5M2FNUZ, roundToF8E8M0,
  roundToFloat, roundToHalf, toBf16Bits, toHalfBits, type E8M0RoundMode, type ReducedFloat, type RoundOptions,
} from './float-formats.js';

export type BigIntData = BigInt64Array | BigUint64Array;
export type NumberData = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;
export type TensorData = NumberData | BigIntData;

/** How a store converts out-of-range values (see `float-formats.ts`); ONNX Cast's attributes. */
export type StoreOptions = RoundOptions;

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

/** i64 and u64 are held as BigInts. */
export function isBigIntData(d: TensorData): d is BigIntData {
  return d instanceof BigInt64Array || d instanceof BigUint64Array;
}

export function allocData(dtype: DType, size: number): TensorData {
  switch (dtype) {
    case 'f64': return new Float64Array(size);
    case 'f32': case 'f16': case 'bf16':
    case 'f8e4m3fn': case 'f8e4m3fnuz': case 'f8e5m2': case 'f8e5m2fnuz': case 'f8e8m0': case 'f4e2m1':
      return new Float32Array(size);
    case 'i64': return new BigInt64Array(size);
    case 'u64': return new BigUint64Array(size);
    case 'i32': return new Int32Array(size);
    case 'u32': return new Uint32Array(size);
    case 'i16': return new Int16Array(size);
    case 'u16': return new Uint16Array(size);
    case 'i8': case 'i4': case 'i2': return new Int8Array(size);
    case 'u8': case 'u4': case 'u2': case 'bool': return new Uint8Array(size);
  }
}

/** Bytes per element of host storage (not of files: sub-byte types take a byte each here). */
export function hostBytes(dtype: DType): number {
  return allocData(dtype, 0).BYTES_PER_ELEMENT;
}

/** Sub-byte integer store: round half to even, then wrap to `bits` (two's complement if signed). */
function subByteInt(bits: number, signed: boolean): (v: number) => number {
  const modulus = 2 ** bits;
  const half = modulus / 2;
  return (v) => {
    if (!Number.isFinite(v)) return 0;
    let w = roundHalfEven(v) % modulus; // exact for every double
    if (w < 0) w += modulus;
    return signed && w >= half ? w - modulus : w + 0; // + 0 turns -0 into 0
  };
}

const STORE_I4 = subByteInt(4, true);
const STORE_U4 = subByteInt(4, false);
const STORE_I2 = subByteInt(2, true);
const STORE_U2 = subByteInt(2, false);
const STORE_BOOL = (v: number): number => (v !== 0 ? 1 : 0);

/**
 * The conversion a store of a number into `dtype` storage needs beyond the typed array's own
 * (f64, f32 and the 8- to 32-bit integers need none: the typed-array store rounds or wraps
 * exactly as documented above). Not for i64/u64, which store BigInts (`toBigInt`).
 */
export function storeConversion(dtype: DType, opts: StoreOptions = {}): ((v: number) => number) | undefined {
  if (dtype === 'f16') return roundToHalf;
  if (isReducedFloat(dtype)) return (v) => roundToFloat(dtype, v, opts);
  switch (dtype) {
    case 'i4': return STORE_I4;
    case 'u4': return STORE_U4;
    case 'i2': return STORE_I2;
    case 'u2': return STORE_U2;
    case 'bool': return STORE_BOOL;
    default: return undefined;
  }
}

/** Truncating conversion to a BigInt; NaN and ±Inf give 0 (callers store into i64/u64, which wrap). */
export function toBigInt(v: number): bigint {
  return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
}

/**
 * A tensor of `dtype` and `shape` from `data` (any array of numbers or BigInts, or none for
 * zeros), each element converted as a store to `dtype` (see the header). BigInts go into
 * i64/u64 exactly (wrapping modulo 2^64) and through Number otherwise.
 */
export function tensor(dtype: DType, shape: readonly number[], data?: TensorData | ArrayLike<number> | ArrayLike<bigint>): Tensor {
  const size = sizeOf(shape);
  const out = allocData(dtype, size);
  if (data !== undefined) {
    if (data.length !== size) throw new Error(`tensor data has ${data.length} elements, shape [${shape.join(', ')}] needs ${size}`);
    const src = data as ArrayLike<number | bigint>;
    if (isBigIntData(out)) {
      for (let i = 0; i < size; i++) {
        const v = src[i]!;
        out[i] = typeof v === 'bigint' ? v : toBigInt(v);
      }
    } else {
      const convert = storeConversion(dtype);
      for (let i = 0; i < size; i++) {
        const v = Number(src[i]!);
        out[i] = convert ? convert(v) : v;
      }
    }
  }
  return { dtype, shape: [...shape], data: out };
}

/** Element `i` as a JS number (i64 and u64 through Number, exact below 2^53). */
export function getNumber(t: Tensor, i: number): number {
  return Number(t.data[i]!);
}

/** Writes a JS number into element `i`, converting as a store to `t.dtype` would. */
export function setNumber(t: Tensor, i: number, v: number, opts?: StoreOptions): void {
  const d = t.data;
  if (isBigIntData(d)) {
    d[i] = toBigInt(v);
    return;
  }
  const convert = storeConversion(t.dtype, opts);
  d[i] = convert ? convert(v) : v;
}

/** The whole tensor as plain numbers (for tests and printing). */
export function toNumbers(t: Tensor): number[] {
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = getNumber(t, i);
  return out;
}

/** Bytes the tensor takes in files and device buffers (`DTYPES[dtype].bits` each, packed, rounded up). */
export function storageBytes(t: Tensor): number {
  return packedBytes(t.dtype, t.data.length);
}

export function roundToHalfInPlace(a: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = roundToHalf(a[i]!);
}
