// Shared by the tensor file readers (.npy, TensorProto, safetensors): little-endian packed
// element bytes <-> host tensor storage, shape checks that refuse hostile sizes before any
// allocation, and the one way a reader reports a bad file (a `badFile` diagnostic).
//
// File layout per dtype (`DTYPES[dtype].bits` per element, little-endian):
//   f64 f32 i64 u64 i32 u32 i16 u16 i8 u8   the plain IEEE / two's complement bytes
//   f16 bf16                                16-bit patterns
//   f8e4m3fn f8e4m3fnuz f8e5m2 f8e5m2fnuz f8e8m0   one byte each, the format's bit pattern
//   i4 u4 f4e2m1                            two per byte, the first in the low nibble
//   i2 u2                                   four per byte, the first in the lowest two bits
//   bool                                    one byte; any nonzero byte reads as true
// A packed tensor whose count does not fill the last byte pads it with zero bits (written) or
// ignores the padding (read).

import { DiagnosticError, diag } from '../diagnostics/diagnostic.js';
import { DTYPES, packedBytes, type DType } from '../ir/dtype.js';
import {
  bitsToValueTable, floatToBits, fromHalfBits, hostBytes, isBigIntData, toBf16Bits, toHalfBits, type Tensor,
  type TensorData,
} from '../interpret/tensor.js';

/** Refuse any single tensor whose declared size is over this many bytes (4 GiB). */
export const DEFAULT_MAX_TENSOR_BYTES = 4 * 1024 ** 3;

export interface ReadOptions {
  /** Largest tensor (in host storage bytes) a reader will allocate; default 4 GiB. */
  readonly maxBytes?: number;
}

/** Reports a malformed or unreadable file and abandons the read. */
export function failFile(path: string, reason: string): never {
  throw new DiagnosticError([diag('badFile', undefined, path, reason)]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * The element count of `shape`, after checking every dimension is a non-negative safe integer
 * and that the tensor fits in `maxBytes` of host storage. Nothing is allocated before this.
 * `what` names the tensor in the hugeTensor diagnostic (the path, or `path: name`).
 */
export function checkedSize(shape: readonly unknown[], dtype: DType, path: string, maxBytes: number, what: string = path): number {
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      failFile(path, `shape [${shape.map(String).join(', ')}] has a dimension that is not a non-negative integer`);
    }
  }
  let size = 1;
  for (const d of shape as number[]) size *= d; // a float product: huge shapes stay huge, never wrap
  const bytes = size * hostBytes(dtype); // host storage is never smaller than the file's
  if (bytes > maxBytes) {
    throw new DiagnosticError([diag('hugeTensor', undefined, what, bytes.toLocaleString('en-US'), maxBytes.toLocaleString('en-US'))]);
  }
  return size;
}

// ---- bytes -> storage --------------------------------------------------------------------------

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytesInPlace(u8: Uint8Array, itemBytes: number): void {
  for (let i = 0; i < u8.length; i += itemBytes) u8.subarray(i, i + itemBytes).reverse();
}

/** A fresh, aligned copy of `bytes` in host byte order, for typed-array views. */
function hostOrderCopy(bytes: Uint8Array, itemBytes: number): ArrayBuffer {
  const buf = new ArrayBuffer(bytes.length);
  const u8 = new Uint8Array(buf);
  u8.set(bytes);
  if (!HOST_LITTLE_ENDIAN && itemBytes > 1) swapBytesInPlace(u8, itemBytes);
  return buf;
}

let halfTable: Float32Array | undefined;

/** Every binary16 bit pattern as a float (256 KiB, built on first use). */
function halfToFloatTable(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalfBits(h);
  }
  return halfTable;
}

/** Half bit patterns (one per element) to f16 storage. */
export function halfBitsToStorage(bits: ArrayLike<number>): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < out.length; i++) out[i] = table[bits[i]! & 0xffff]!;
  return out;
}

/** bfloat16 bit patterns (one per element) to bf16 storage: the top half of an f32, exactly. */
export function bf16BitsToStorage(bits: ArrayLike<number>): Float32Array {
  const u32 = new Uint32Array(bits.length);
  for (let i = 0; i < u32.length; i++) u32[i] = (bits[i]! & 0xffff) << 16;
  return new Float32Array(u32.buffer);
}

/**
 * Bit patterns of a dtype (one per element, in the low bits of each number) to host storage:
 * float patterns become their values, integer patterns are sign-extended or masked to the
 * dtype's width (16- and 32-bit ones by the typed-array store), bool patterns other than 0
 * become 1; f32 and f64 take the numbers as values. i64/u64 patterns do not fit in numbers.
 */
export function bitsToStorage(dtype: DType, bits: ArrayLike<number>): TensorData {
  const n = bits.length;
  switch (dtype) {
    case 'f16': return halfBitsToStorage(bits);
    case 'bf16': return bf16BitsToStorage(bits);
    case 'f8e4m3fn': case 'f8e4m3fnuz': case 'f8e5m2': case 'f8e5m2fnuz': case 'f8e8m0': case 'f4e2m1': {
      const table = bitsToValueTable(dtype);
      const mask = table.length - 1;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[bits[i]! & mask]!;
      return out;
    }
    case 'i8': case 'i4': case 'i2': {
      const shift = 32 - DTYPES[dtype].bits;
      const out = new Int8Array(n);
      for (let i = 0; i < n; i++) out[i] = (bits[i]! << shift) >> shift;
      return out;
    }
    case 'u8': case 'u4': case 'u2': {
      const mask = (1 << DTYPES[dtype].bits) - 1;
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bits[i]! & mask;
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bits[i] ? 1 : 0;
      return out;
    }
    case 'i16': return Int16Array.from(bits);
    case 'u16': return Uint16Array.from(bits);
    case 'i32': return Int32Array.from(bits);
    case 'u32': return Uint32Array.from(bits);
    case 'f32': return Float32Array.from(bits);
    case 'f64': return Float64Array.from(bits);
    case 'i64': case 'u64':
      throw new Error(`bitsToStorage: ${dtype} patterns do not fit in numbers`);
  }
}

/** `count` packed `bitsPer`-bit fields of `bytes`, lowest bits first (the padding is ignored). */
export function unpackBits(bytes: Uint8Array, count: number, bitsPer: 2 | 4): Uint8Array {
  const perByte = 8 / bitsPer;
  const mask = (1 << bitsPer) - 1;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[Math.floor(i / perByte)]! >>> ((i % perByte) * bitsPer)) & mask;
  return out;
}

/** `fields` (the low `bitsPer` bits of each) packed lowest bits first; the last byte's padding is 0. */
export function packBits(fields: ArrayLike<number>, bitsPer: 2 | 4): Uint8Array {
  const perByte = 8 / bitsPer;
  const mask = (1 << bitsPer) - 1;
  const out = new Uint8Array(Math.ceil(fields.length / perByte));
  for (let i = 0; i < fields.length; i++) out[Math.floor(i / perByte)]! |= (fields[i]! & mask) << ((i % perByte) * bitsPer);
  return out;
}

/**
 * Decodes `count` packed little-endian elements of `dtype` (see the header for the layouts).
 * The caller has checked that `bytes.length === packedBytes(dtype, count)`.
 */
export function decodeLittleEndian(dtype: DType, bytes: Uint8Array, count: number): TensorData {
  if (bytes.length !== packedBytes(dtype, count)) {
    throw new Error(`decodeLittleEndian: ${bytes.length} bytes for ${count} ${dtype} elements`);
  }
  const bits = DTYPES[dtype].bits;
  if (bits < 8) return bitsToStorage(dtype, unpackBits(bytes, count, bits as 2 | 4));
  const buf = hostOrderCopy(bytes, bits / 8);
  switch (dtype) {
    case 'f64': return new Float64Array(buf);
    case 'f32': return new Float32Array(buf);
    case 'f16': return halfBitsToStorage(new Uint16Array(buf));
    case 'bf16': return bf16BitsToStorage(new Uint16Array(buf));
    case 'i64': return new BigInt64Array(buf);
    case 'u64': return new BigUint64Array(buf);
    case 'i32': return new Int32Array(buf);
    case 'u32': return new Uint32Array(buf);
    case 'i16': return new Int16Array(buf);
    case 'u16': return new Uint16Array(buf);
    case 'i8': return new Int8Array(buf);
    case 'u8': return new Uint8Array(buf);
    default: return bitsToStorage(dtype, new Uint8Array(buf)); // fp8 patterns, bool bytes
  }
}

// ---- storage -> bytes --------------------------------------------------------------------------

const AS_STORED = { saturate: false } as const;

/**
 * The bit pattern of every element (one per number) for dtypes whose storage holds values
 * rather than patterns: the reduced floats, the sub-byte integers (two's complement in the low
 * bits) and bool. Undefined for the others, whose storage bytes are the file bytes.
 */
export function storageToBits(t: Tensor): Uint8Array | Uint16Array | undefined {
  const d = t.data;
  if (isBigIntData(d)) return undefined;
  const n = d.length;
  switch (t.dtype) {
    case 'f16': case 'bf16': {
      const out = new Uint16Array(n);
      const toBits = t.dtype === 'f16' ? toHalfBits : toBf16Bits;
      for (let i = 0; i < n; i++) out[i] = toBits(d[i]!);
      return out;
    }
    case 'f8e4m3fn': case 'f8e4m3fnuz': case 'f8e5m2': case 'f8e5m2fnuz': case 'f8e8m0': case 'f4e2m1': {
      // Values are already in the format: encode them as they are (no saturation, so an f8e5m2 inf stays inf).
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = floatToBits(t.dtype, d[i]!, AS_STORED);
      return out;
    }
    case 'i4': case 'u4': case 'i2': case 'u2': {
      const mask = (1 << DTYPES[t.dtype].bits) - 1;
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = d[i]! & mask;
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = d[i] ? 1 : 0;
      return out;
    }
    default:
      return undefined;
  }
}

/** The tensor's elements packed little-endian in its dtype's file layout (see the header). */
export function encodeLittleEndian(t: Tensor): Uint8Array {
  const bits = DTYPES[t.dtype].bits;
  const patterns = storageToBits(t);
  if (bits < 8) return packBits(patterns!, bits as 2 | 4);
  if (patterns !== undefined) return leBytes(patterns, bits / 8);
  return leBytes(t.data, bits / 8);
}

function leBytes(d: TensorData | Uint16Array, itemBytes: number): Uint8Array {
  const out = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  if (!HOST_LITTLE_ENDIAN && itemBytes > 1) swapBytesInPlace(out, itemBytes);
  return out;
}
