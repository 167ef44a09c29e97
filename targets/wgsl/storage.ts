// How each storage dtype lives in a WebGPU buffer (the ABI between targets/wgsl and
// runtime/webgpu, which repeats this table since it may not import the compiler).
//
// WGSL has no 8/16-bit integers, no 64-bit types and, without `shader-f16`, no f16; storage
// buffers are arrays of 4-byte words (2-byte f16 with the feature). So every element takes
// one word of its GPU type, and the runtime converts on upload and read-back:
//   f32, bf16, f64 → f32   (bf16 stores round to bf16 in the shader; f64 is computed in f32)
//   f16            → f16 in the f16 variant, else f32 (stores round to f16 in the shader)
//   i8 … i32       → i32   (stores wrap to the dtype's width in the shader)
//   i64, u64       → i32   (narrowed: the runtime refuses values outside i32's range)
//   u32            → u32
//   bool           → u32   (0 or 1)

import type { DType } from '../../compiler/ir/dtype.js';
import type { ScalarType } from '../../compiler/kernel/ir.js';

export type GpuElement = 'f32' | 'f16' | 'i32' | 'u32';

/** The WGSL element type of a buffer of `dtype`. */
export function gpuElementOf(dtype: DType, f16: boolean): GpuElement {
  switch (dtype) {
    case 'f32': case 'bf16': case 'f64': return 'f32';
    case 'f16': return f16 ? 'f16' : 'f32';
    case 'i8': case 'u8': case 'i16': case 'u16': case 'i32': case 'i64': case 'u64': return 'i32';
    case 'u32': case 'bool': return 'u32';
    default: throw new Error(`WGSL: dtype ${dtype} cannot be a kernel buffer`);
  }
}

/** The WGSL type a Kernel IR scalar type computes in (no f64 or i64 in WGSL). */
export function wgslScalarOf(t: ScalarType, f16: boolean): 'f32' | 'f16' | 'i32' | 'u32' | 'bool' {
  switch (t) {
    case 'f64': case 'f32': return 'f32';
    case 'f16': return f16 ? 'f16' : 'f32';
    case 'i64': case 'i32': return 'i32';
    case 'u32': return 'u32';
    case 'bool': return 'bool';
  }
}
