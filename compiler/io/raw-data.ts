// Shared by the tensor file readers (.npy, TensorProto, safetensors): little-endian packed
// element bytes <-> host tensor storage, shape checks that refuse hostile sizes before any
// allocation, and the one way a reader reports a bad file (a `badFile` diagnostic).
//
// A "wire type" is an element type as stored in a file. It is one of our dtypes, or a float
// type we only read and widen or narrow to f32 on the way in (f64, bf16).

import { DiagnosticError, diag } from '../diagnostics/diagnostic.js';
import { DTYPES, type DType } from '../ir/dtype.js';
import { fromHalfBits, toHalfBits, type Tensor, type TensorData } from '../interpret/tensor.js';

export type WireType = DType | 'f64' | 'bf16';

/** Bytes per element of each wire type. */
export const WIRE_BYTES: Readonly<Record<WireType, number>> = {
  f32: 4, f16: 2, i32: 4, i64: 8, i8: 1, u8: 1, bool: 1, f64: 8, bf16: 2,
};

/** The dtype a wire type is held in once read. */
export function wireDType(w: WireType): DType {
  return w === 'f64' || w === 'bf16' ? 'f32' : w;
}

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
export function checkedSize(shape: readonly unknown[], wire: WireType, path: string, maxBytes: number, what: string = path): number {
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      failFile(path, `shape [${shape.map(String).join(', ')}] has a dimension that is not a non-negative integer`);
    }
  }
  let size = 1;
  for (const d of shape as number[]) size *= d; // a float product: huge shapes stay huge, never wrap
  const perElement = Math.max(WIRE_BYTES[wire], DTYPES[wireDType(wire)].bytes);
  const bytes = size * perElement;
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

/**
 * Decodes `count` packed little-endian elements of `wire` type. The caller has checked that
 * `bytes.length === count * WIRE_BYTES[wire]`. Bool bytes other than 0 read as true.
 */
export function decodeLittleEndian(wire: WireType, bytes: Uint8Array, count: number): TensorData {
  if (bytes.length !== count * WIRE_BYTES[wire]) {
    throw new Error(`decodeLittleEndian: ${bytes.length} bytes for ${count} ${wire} elements`);
  }
  const buf = hostOrderCopy(bytes, WIRE_BYTES[wire]);
  switch (wire) {
    case 'f32': return new Float32Array(buf);
    case 'f16': return halfBitsToStorage(new Uint16Array(buf));
    case 'bf16': {
      const u16 = new Uint16Array(buf);
      const u32 = new Uint32Array(count);
      for (let i = 0; i < count; i++) u32[i] = u16[i]! << 16;
      return new Float32Array(u32.buffer);
    }
    case 'f64': return Float32Array.from(new Float64Array(buf)); // rounds to nearest f32
    case 'i32': return new Int32Array(buf);
    case 'i64': return new BigInt64Array(buf);
    case 'i8': return new Int8Array(buf);
    case 'u8': return new Uint8Array(buf);
    case 'bool': {
      const u8 = new Uint8Array(buf);
      for (let i = 0; i < count; i++) u8[i] = u8[i] ? 1 : 0;
      return u8;
    }
  }
}

// ---- storage -> bytes --------------------------------------------------------------------------

/** The tensor's elements packed little-endian in its dtype's file layout (f16 as half bits). */
export function encodeLittleEndian(t: Tensor): Uint8Array {
  const d = t.data;
  if (t.dtype === 'f16') {
    const bits = new Uint16Array(d.length);
    for (let i = 0; i < bits.length; i++) bits[i] = toHalfBits(Number(d[i]));
    return leBytes(bits, 2);
  }
  if (t.dtype === 'bool') {
    const out = new Uint8Array(d.length);
    for (let i = 0; i < out.length; i++) out[i] = d[i] ? 1 : 0;
    return out;
  }
  return leBytes(d, DTYPES[t.dtype].bytes);
}

function leBytes(d: TensorData | Uint16Array, itemBytes: number): Uint8Array {
  const out = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  if (!HOST_LITTLE_ENDIAN && itemBytes > 1) swapBytesInPlace(out, itemBytes);
  return out;
}
