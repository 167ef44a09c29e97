// ONNX TensorProto files (the .pb tensors of the ONNX backend test suite), decoded with the
// protobufjs code of the `onnx-proto` package.
//
// Data types read: every dtype of ours (`DTYPES[dtype].onnx`); string, complex and unknown
// numbers are refused. The payload comes from `raw_data` (packed little-endian, see
// raw-data.ts; sub-byte types two or four per byte) when present, otherwise from the typed
// field onnx.proto names for the type:
//   float_data   f32
//   double_data  f64
//   int32_data   i32 i16 i8 u16 u8 bool, f16/bf16/fp8 bit patterns (one element each), and
//                i4/u4/f4e2m1 (two elements) and i2/u2 (four elements) packed into one byte each
//   int64_data   i64
//   uint64_data  u32 u64
// Anything else (external data, a size mismatch) is a badFile diagnostic. Writing always uses
// `raw_data`.

import onnxProto from 'onnx-proto';
import { DTYPES, dtypeFromOnnx, packedBytes, type DType } from '../ir/dtype.js';
import { DiagnosticError } from '../diagnostics/diagnostic.js';
import type { Tensor, TensorData } from '../interpret/tensor.js';
import { describeNonTensorProto } from './onnx-data-proto.js';
import {
  DEFAULT_MAX_TENSOR_BYTES, bitsToStorage, checkedSize, decodeLittleEndian, encodeLittleEndian, failFile, formatShape,
  type ReadOptions,
} from './raw-data.js';

const { onnx } = onnxProto;

/** ONNX's names for every DataType number, for messages (onnx-proto stops at 16). */
export const ONNX_TYPE_NAMES: readonly string[] = [
  'undefined', 'float', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16',
  'double', 'uint32', 'uint64', 'complex64', 'complex128', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz',
  'float8e5m2', 'float8e5m2fnuz', 'uint4', 'int4', 'float4e2m1', 'float8e8m0', 'uint2', 'int2',
];

const EXTERNAL_DATA_LOCATION = 1;

/** protobufjs yields 64-bit integers as `Long` objects (when the long package is present) or numbers. */
type Int64 = number | { toString(): string };

function int64ToBigInt(v: Int64): bigint {
  return typeof v === 'number' ? BigInt(Math.trunc(v)) : BigInt(v.toString());
}

/**
 * A TensorProto file as a host tensor. A file that does not read as one but holds an ONNX
 * OptionalProto or SequenceProto (the backend tests store those as .pb files too) says so.
 */
export function readTensorProto(bytes: Uint8Array, path: string, opts: ReadOptions = {}): Tensor {
  try {
    let proto: InstanceType<typeof onnx.TensorProto>;
    try {
      proto = onnx.TensorProto.decode(bytes);
    } catch (e) {
      failFile(path, `not a valid ONNX TensorProto (${e instanceof Error ? e.message : String(e)})`);
    }
    return tensorFromProto(proto, path, opts);
  } catch (e) {
    const other = e instanceof DiagnosticError ? describeNonTensorProto(bytes) : undefined;
    if (other === undefined) throw e;
    failFile(path, `it is ${other}, not a TensorProto; optional and sequence values are not supported`);
  }
}

/**
 * A TensorProto message already decoded (an ONNX initializer or Constant) as a host tensor,
 * with the same checks as a file: size limits before allocation, data length against shape.
 */
export function tensorFromProto(proto: onnxProto.onnx.ITensorProto, path: string, opts: ReadOptions = {}): Tensor {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  const typeNumber = proto.dataType ?? 0;
  const dtype = dtypeFromOnnx(typeNumber);
  if (dtype === undefined) {
    const name = ONNX_TYPE_NAMES[typeNumber] ?? 'unknown';
    failFile(path, `data type ${typeNumber} (${name}) is not supported`);
  }
  if (proto.dataLocation === EXTERNAL_DATA_LOCATION) {
    failFile(path, 'the tensor keeps its data in an external file, which is not supported');
  }
  const shape = (proto.dims ?? []).map((d) => {
    const n = Number(int64ToBigInt(d as Int64));
    if (!Number.isSafeInteger(n) || n < 0) failFile(path, `dimension ${d.toString()} is not a valid size`);
    return n;
  });
  const size = checkedSize(shape, dtype, path, maxBytes);
  const raw = proto.rawData ?? new Uint8Array();
  const data = raw.length > 0 ? fromRawData(raw, dtype, size, shape, path) : fromTypedField(onnx.TensorProto.fromObject(proto), dtype, size, shape, path);
  return { dtype, shape, data };
}

function fromRawData(raw: Uint8Array, dtype: DType, size: number, shape: readonly number[], path: string): TensorData {
  const expected = packedBytes(dtype, size);
  if (raw.length !== expected) {
    failFile(path, `raw_data is ${raw.length} bytes, but shape ${formatShape(shape)} of ${dtype} needs ${expected} bytes`);
  }
  return decodeLittleEndian(dtype, raw, size);
}

function fromTypedField(proto: InstanceType<typeof onnx.TensorProto>, dtype: DType, size: number, shape: readonly number[], path: string): TensorData {
  const [field, values] = typedField(proto, dtype);
  const bits = DTYPES[dtype].bits;
  // int32_data holds one packed byte per entry for the sub-byte types.
  const entries = bits < 8 ? packedBytes(dtype, size) : size;
  if (values.length !== entries) {
    const what = bits < 8 ? `${entries} (packed bytes of ${size} elements)` : String(entries);
    failFile(path, `${field} holds ${values.length} values, but shape ${formatShape(shape)} needs ${what}`);
  }
  switch (dtype) {
    case 'i64': case 'u64': {
      const out = dtype === 'i64' ? new BigInt64Array(size) : new BigUint64Array(size);
      for (let i = 0; i < size; i++) out[i] = int64ToBigInt(values[i] as Int64); // the store wraps modulo 2^64
      return out;
    }
    case 'u32': {
      const out = new Uint32Array(size);
      for (let i = 0; i < size; i++) out[i] = Number(BigInt.asUintN(32, int64ToBigInt(values[i] as Int64)));
      return out;
    }
    case 'i4': case 'u4': case 'f4e2m1': case 'i2': case 'u2':
      return decodeLittleEndian(dtype, Uint8Array.from(values as number[]), size); // entries wrap to bytes
    default:
      return bitsToStorage(dtype, values as number[]);
  }
}

function typedField(proto: InstanceType<typeof onnx.TensorProto>, dtype: DType): [string, readonly (number | Int64)[]] {
  switch (dtype) {
    case 'f32': return ['float_data', proto.floatData];
    case 'f64': return ['double_data', proto.doubleData];
    case 'i64': return ['int64_data', proto.int64Data as Int64[]];
    case 'u32': case 'u64': return ['uint64_data', proto.uint64Data as Int64[]];
    case 'i32': case 'i16': case 'i8': case 'i4': case 'i2':
    case 'u16': case 'u8': case 'u4': case 'u2': case 'bool':
    case 'f16': case 'bf16': case 'f8e4m3fn': case 'f8e4m3fnuz': case 'f8e5m2': case 'f8e5m2fnuz': case 'f8e8m0': case 'f4e2m1':
      return ['int32_data', proto.int32Data];
  }
}

/** A TensorProto holding `t` in `raw_data`. */
export function encodeTensorProto(t: Tensor, name: string): Uint8Array {
  return onnx.TensorProto.encode({
    name,
    dims: [...t.shape],
    dataType: DTYPES[t.dtype].onnx,
    rawData: encodeLittleEndian(t),
  }).finish();
}
