// Typed arrays in and out of the module's memory: which JavaScript array holds each storage
// dtype, and the f16/bf16 conversions (those dtypes are raw 16-bit patterns in memory; users
// may give and get them as Float32Array).

import type { ManifestDType } from '../manifest.js';

export type TensorData =
  | Float32Array | Float64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

type TypedArrayClass = { readonly name: string; new (buffer: ArrayBuffer): TensorData };

/** The array class that holds each dtype's elements as users see them (outputs use these). */
const OUTPUT_ARRAY: Record<ManifestDType, TypedArrayClass> = {
  f64: Float64Array, f32: Float32Array, f16: Float32Array, bf16: Float32Array,
  i64: BigInt64Array, i32: Int32Array, i16: Int16Array, i8: Int8Array,
  u64: BigUint64Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array,
  bool: Uint8Array,
};

/** Array classes accepted for an input of each dtype (f16/bf16: raw bits or float values). */
const INPUT_ARRAYS: Record<ManifestDType, readonly TypedArrayClass[]> = {
  f64: [Float64Array], f32: [Float32Array], f16: [Float32Array, Uint16Array], bf16: [Float32Array, Uint16Array],
  i64: [BigInt64Array], i32: [Int32Array], i16: [Int16Array], i8: [Int8Array],
  u64: [BigUint64Array], u32: [Uint32Array], u16: [Uint16Array], u8: [Uint8Array],
  bool: [Uint8Array],
};

export function isTensorData(x: unknown): x is TensorData {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/** The names of the arrays an input of `dtype` may be given as, for messages. */
export function acceptedArrays(dtype: ManifestDType): string {
  return INPUT_ARRAYS[dtype].map((c) => c.name).join(' or ');
}

export function acceptsArray(dtype: ManifestDType, data: TensorData): boolean {
  return INPUT_ARRAYS[dtype].some((c) => data.constructor === c);
}

/** Copies `data` (already checked with acceptsArray) into memory at byte `offset`. */
export function writeTensor(memory: Uint8Array, offset: number, dtype: ManifestDType, data: TensorData): void {
  let bytes: ArrayBufferView = data;
  if ((dtype === 'f16' || dtype === 'bf16') && data instanceof Float32Array) {
    bytes = dtype === 'f16' ? floatsToF16(data) : floatsToBf16(data);
  } else if (dtype === 'bool') {
    // The module reads bool as one byte holding exactly 0 or 1.
    const src = data as Uint8Array;
    memory.set(src, offset);
    for (let i = 0; i < src.length; i++) if (memory[offset + i]! > 1) memory[offset + i] = 1;
    return;
  }
  memory.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset);
}

/** A copy of `count` elements of `dtype` at byte `offset`, as OUTPUT_ARRAY[dtype]. */
export function readTensor(memory: Uint8Array, offset: number, dtype: ManifestDType, count: number, elementBytes: number): TensorData {
  const copy = memory.slice(offset, offset + count * elementBytes).buffer;
  if (dtype === 'f16') return f16ToFloats(new Uint16Array(copy));
  if (dtype === 'bf16') return bf16ToFloats(new Uint16Array(copy));
  return new OUTPUT_ARRAY[dtype](copy);
}

// ---- 16-bit floats ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 → IEEE binary16 bits, round to nearest even; NaN stays NaN, overflow becomes ±Inf. */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) r++; // may carry into the exponent: correct
  return sign | r;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** f32 → bfloat16 bits (the upper half of the f32), round to nearest even; NaN stays quiet NaN. */
export function f32ToBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

function floatsToF16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = f32ToF16Bits(data[i]!);
  return out;
}

function floatsToBf16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = f32ToBf16Bits(data[i]!);
  return out;
}

function f16ToFloats(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16BitsToF32(bits[i]!);
  return out;
}

function bf16ToFloats(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bf16BitsToF32(bits[i]!);
  return out;
}
