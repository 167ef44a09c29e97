// Tensor data in and out of GPU buffers. Every element is one word of its GPU type (the table
// in targets/wgsl/storage.ts, repeated here since the runtime may not import the compiler):
// f32/bf16/f64 → f32; f16 → f16 with shader-f16, else f32; i8…i32, i64, u64 → i32 (64-bit
// values outside i32's range are refused); u32 → u32; bool → u32 0/1.

import type { ManifestDType } from '../manifest.js';
import { InputError } from '../wasm/bind-inputs.js';
import { bf16BitsToF32, f16BitsToF32, f32ToF16Bits, type TensorData } from '../wasm/tensor-data.js';

export type GpuElement = 'f32' | 'f16' | 'i32' | 'u32';

export function gpuElementOf(dtype: ManifestDType, f16: boolean): GpuElement {
  switch (dtype) {
    case 'f32': case 'bf16': case 'f64': return 'f32';
    case 'f16': return f16 ? 'f16' : 'f32';
    case 'u32': case 'bool': return 'u32';
    default: return 'i32';
  }
}

export function gpuElementBytes(dtype: ManifestDType, f16: boolean): number {
  return gpuElementOf(dtype, f16) === 'f16' ? 2 : 4;
}

/** `data` (an input's or a weight's elements, as bindInputs accepts them) as GPU words. */
export function toGpuWords(data: TensorData, dtype: ManifestDType, f16: boolean, label: string): ArrayBufferView {
  const n = data.length;
  switch (gpuElementOf(dtype, f16)) {
    case 'f16': {
      if (data instanceof Uint16Array) return data;
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = f32ToF16Bits(Number(data[i]));
      return out;
    }
    case 'f32': {
      if (data instanceof Float32Array) return data;
      const out = new Float32Array(n);
      const decode = dtype === 'bf16' ? bf16BitsToF32 : dtype === 'f16' ? f16BitsToF32 : Number;
      // f16/bf16 given as Uint16Array are raw bits; f64 narrows to f32.
      for (let i = 0; i < n; i++) out[i] = data instanceof Uint16Array ? decode(data[i]!) : Number(data[i]);
      return out;
    }
    case 'u32': {
      if (dtype === 'bool') return Uint32Array.from(data as Uint8Array, (x) => (x ? 1 : 0));
      return data instanceof Uint32Array ? data : Uint32Array.from(data as ArrayLike<number>);
    }
    case 'i32': {
      if (data instanceof Int32Array) return data;
      if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const v = data[i]!;
          if (v < -2147483648n || v > 2147483647n) {
            throw new InputError(`${label}: element ${i} is ${v}, outside the range of i32; the WebGPU target computes ${dtype} in 32 bits (WGSL has no 64-bit integers)`);
          }
          out[i] = Number(v);
        }
        return out;
      }
      return Int32Array.from(data as ArrayLike<number>);
    }
  }
}

/** Elements of a weight of `dtype`, decoded from its bytes in weights.bin. */
export function decodeWeight(bytes: Uint8Array, dtype: ManifestDType): TensorData {
  const copy = bytes.slice().buffer;
  switch (dtype) {
    case 'f64': return new Float64Array(copy);
    case 'f32': return new Float32Array(copy);
    case 'f16': case 'bf16': case 'u16': return new Uint16Array(copy);
    case 'i64': return new BigInt64Array(copy);
    case 'u64': return new BigUint64Array(copy);
    case 'i32': return new Int32Array(copy);
    case 'u32': return new Uint32Array(copy);
    case 'i16': return new Int16Array(copy);
    case 'i8': return new Int8Array(copy);
    case 'u8': case 'bool': return new Uint8Array(copy);
  }
}

/** GPU words read back → the array type users get for `dtype` (as the WASM runtime gives it). */
export function fromGpuWords(words: ArrayBuffer, dtype: ManifestDType, f16: boolean, count: number): TensorData {
  const el = gpuElementOf(dtype, f16);
  if (el === 'f16') {
    const bits = new Uint16Array(words, 0, count);
    return Float32Array.from(bits, f16BitsToF32);
  }
  if (el === 'f32') {
    const f = new Float32Array(words, 0, count);
    return dtype === 'f64' ? Float64Array.from(f) : f.slice();
  }
  if (el === 'u32') {
    const u = new Uint32Array(words, 0, count);
    return dtype === 'bool' ? Uint8Array.from(u, (x) => (x ? 1 : 0)) : u.slice();
  }
  const i = new Int32Array(words, 0, count);
  switch (dtype) {
    case 'i64': return BigInt64Array.from(i, (x) => BigInt(x));
    case 'u64': return BigUint64Array.from(i, (x) => BigInt.asUintN(64, BigInt(x)));
    case 'i16': return Int16Array.from(i);
    case 'u16': return Uint16Array.from(i);
    case 'i8': return Int8Array.from(i);
    case 'u8': return Uint8Array.from(i);
    default: return i.slice();
  }
}
