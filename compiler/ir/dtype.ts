// Element types of the Graph IR. One table holds every fact about a dtype, so adding a
// dtype is one row here plus the places the compiler tells you about (exhaustive switches).
//
// Reduced-precision floats (bf16, the fp8 family, f4e2m1) follow ONNX's definitions
// (onnx/docs/docsgen/source/technical/float8.md, float4.md): `fn` has no infinities, `uz` has
// no negative zero and one NaN (0x80), f8e8m0 is an unsigned power of two 2^(bits-127) with no
// zero and NaN 0xff. Sub-byte types (i4, u4, i2, u2, f4e2m1) are packed in files (two 4-bit or
// four 2-bit values per byte, first element in the lowest bits) and unpacked on the host.

export type DType =
  | 'f64' | 'f32' | 'f16' | 'bf16'
  | 'f8e4m3fn' | 'f8e4m3fnuz' | 'f8e5m2' | 'f8e5m2fnuz' | 'f8e8m0' | 'f4e2m1'
  | 'i64' | 'i32' | 'i16' | 'i8' | 'i4' | 'i2'
  | 'u64' | 'u32' | 'u16' | 'u8' | 'u4' | 'u2'
  | 'bool';

export interface DTypeInfo {
  /** Bits per element in files and device buffers (sub-byte types are packed). */
  readonly bits: number;
  readonly isFloat: boolean;
  readonly isInt: boolean;
  readonly isSigned: boolean;
  /** NumPy `.npy` descr string (little-endian); undefined where numpy has no such dtype. */
  readonly npy: string | undefined;
  /** safetensors dtype name; undefined where safetensors has none. */
  readonly safetensors: string | undefined;
  /** ONNX TensorProto.DataType number. */
  readonly onnx: number;
  /**
   * Smallest and largest finite value (for floats, ∓ the largest finite magnitude; f8e8m0 is
   * unsigned, 2^-127..2^127). i64 and u64 give the safe-integer range that JS numbers hold exactly.
   */
  readonly min: number;
  readonly max: number;
}

const F64_MAX = Number.MAX_VALUE;
const F32_MAX = 3.4028234663852886e38;
const BF16_MAX = 3.3895313892515355e38; // (2 - 2^-7) · 2^127

function float(bits: number, onnx: number, max: number, npy?: string, safetensors?: string): DTypeInfo {
  return { bits, isFloat: true, isInt: false, isSigned: true, npy, safetensors, onnx, min: -max, max };
}

function int(bits: number, signed: boolean, onnx: number, npy?: string, safetensors?: string): DTypeInfo {
  const min = !signed ? 0 : bits >= 64 ? Number.MIN_SAFE_INTEGER : -(2 ** (bits - 1));
  const max = bits >= 64 ? Number.MAX_SAFE_INTEGER : signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return { bits, isFloat: false, isInt: true, isSigned: signed, npy, safetensors, onnx, min, max };
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  // the first seven, in this order, are the original ones (ALL_DTYPES lists them first)
  f32: float(32, 1, F32_MAX, '<f4', 'F32'),
  f16: float(16, 10, 65504, '<f2', 'F16'),
  i32: int(32, true, 6, '<i4', 'I32'),
  i64: int(64, true, 7, '<i8', 'I64'),
  i8: int(8, true, 3, '|i1', 'I8'),
  u8: int(8, false, 2, '|u1', 'U8'),
  bool: { bits: 8, isFloat: false, isInt: false, isSigned: false, npy: '|b1', safetensors: 'BOOL', onnx: 9, min: 0, max: 1 },
  f64: float(64, 11, F64_MAX, '<f8', 'F64'),
  bf16: float(16, 16, BF16_MAX, undefined, 'BF16'),
  f8e4m3fn: float(8, 17, 448, undefined, 'F8_E4M3'),
  f8e4m3fnuz: float(8, 18, 240),
  f8e5m2: float(8, 19, 57344, undefined, 'F8_E5M2'),
  f8e5m2fnuz: float(8, 20, 57344),
  f8e8m0: { ...float(8, 24, 2 ** 127, undefined, 'F8_E8M0'), isSigned: false, min: 2 ** -127 },
  f4e2m1: float(4, 23, 6),
  i16: int(16, true, 5, '<i2', 'I16'),
  u16: int(16, false, 4, '<u2', 'U16'),
  u32: int(32, false, 12, '<u4', 'U32'),
  u64: int(64, false, 13, '<u8', 'U64'),
  i4: int(4, true, 22),
  u4: int(4, false, 21),
  i2: int(2, true, 26),
  u2: int(2, false, 25),
};

export const ALL_DTYPES = Object.keys(DTYPES) as DType[];

export function isDType(name: string): name is DType {
  return Object.prototype.hasOwnProperty.call(DTYPES, name);
}

const BY_ONNX: ReadonlyMap<number, DType> = new Map(ALL_DTYPES.map((d) => [DTYPES[d].onnx, d]));

/** Our dtype for an ONNX TensorProto.DataType number; undefined for string, complex and unknown numbers. */
export function dtypeFromOnnx(n: number): DType | undefined {
  return BY_ONNX.get(n);
}

/** Bytes that `count` elements of `dtype` take packed in a file (sub-byte types round up). */
export function packedBytes(dtype: DType, count: number): number {
  return Math.ceil((count * DTYPES[dtype].bits) / 8);
}
