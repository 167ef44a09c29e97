// Element types of the Graph IR. One table holds every fact about a dtype, so adding a
// dtype is one row here plus the places the compiler tells you about (exhaustive switches).

export type DType = 'f32' | 'f16' | 'i32' | 'i64' | 'i8' | 'u8' | 'bool';

export interface DTypeInfo {
  /** Bytes per element in storage (weights.bin, .npy, device buffers). */
  readonly bytes: number;
  readonly isFloat: boolean;
  readonly isInt: boolean;
  readonly isSigned: boolean;
  /** NumPy `.npy` descr string (little-endian). */
  readonly npy: string;
  /** safetensors dtype name. */
  readonly safetensors: string;
  /** Smallest and largest representable value (for integer wrap checks and casts). */
  readonly min: number;
  readonly max: number;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  f32: { bytes: 4, isFloat: true, isInt: false, isSigned: true, npy: '<f4', safetensors: 'F32', min: -3.4028234663852886e38, max: 3.4028234663852886e38 },
  f16: { bytes: 2, isFloat: true, isInt: false, isSigned: true, npy: '<f2', safetensors: 'F16', min: -65504, max: 65504 },
  i32: { bytes: 4, isFloat: false, isInt: true, isSigned: true, npy: '<i4', safetensors: 'I32', min: -2147483648, max: 2147483647 },
  i64: { bytes: 8, isFloat: false, isInt: true, isSigned: true, npy: '<i8', safetensors: 'I64', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  i8: { bytes: 1, isFloat: false, isInt: true, isSigned: true, npy: '|i1', safetensors: 'I8', min: -128, max: 127 },
  u8: { bytes: 1, isFloat: false, isInt: true, isSigned: false, npy: '|u1', safetensors: 'U8', min: 0, max: 255 },
  bool: { bytes: 1, isFloat: false, isInt: false, isSigned: false, npy: '|b1', safetensors: 'BOOL', min: 0, max: 1 },
};

export const ALL_DTYPES = Object.keys(DTYPES) as DType[];

export function isDType(name: string): name is DType {
  return Object.prototype.hasOwnProperty.call(DTYPES, name);
}
