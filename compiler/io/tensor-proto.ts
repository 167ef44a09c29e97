// ONNX TensorProto files (the .pb tensors of the ONNX backend test suite), decoded with the
// protobufjs code of the `onnx-proto` package.
//
// Data types read: float(1) uint8(2) int8(3) int32(6) int64(7) bool(9) float16(10). The payload
// comes from `raw_data` (packed little-endian) when present, otherwise from the typed field:
// `float_data` for float; `int32_data` for int32, int8, uint8, bool and float16 bit patterns;
// `int64_data` for int64. Anything else (other types, external data, a size mismatch) is a
// badFile diagnostic. Writing always uses `raw_data`.

import onnxProto from 'onnx-proto';
import type { DType } from '../ir/dtype.js';
import { allocData, type Tensor, type TensorData } from '../interpret/tensor.js';
import {
  DEFAULT_MAX_TENSOR_BYTES, WIRE_BYTES, checkedSize, decodeLittleEndian, encodeLittleEndian, failFile,
  formatShape, halfBitsToStorage, type ReadOptions,
} from './raw-data.js';

const { onnx } = onnxProto;

/** TensorProto.DataType numbers of the types we read, and back. */
const FROM_ONNX: Readonly<Record<number, DType>> = { 1: 'f32', 2: 'u8', 3: 'i8', 6: 'i32', 7: 'i64', 9: 'bool', 10: 'f16' };
const TO_ONNX: Readonly<Record<DType, number>> = { f32: 1, u8: 2, i8: 3, i32: 6, i64: 7, bool: 9, f16: 10 };

/** ONNX's names for every DataType number, for messages (onnx-proto stops at 16). */
const ONNX_TYPE_NAMES = [
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

export function readTensorProto(bytes: Uint8Array, path: string, opts: ReadOptions = {}): Tensor {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  let proto: InstanceType<typeof onnx.TensorProto>;
  try {
    proto = onnx.TensorProto.decode(bytes);
  } catch (e) {
    failFile(path, `not a valid ONNX TensorProto (${e instanceof Error ? e.message : String(e)})`);
  }
  const typeNumber = proto.dataType;
  const dtype = FROM_ONNX[typeNumber];
  if (dtype === undefined) {
    const name = ONNX_TYPE_NAMES[typeNumber] ?? 'unknown';
    failFile(path, `data type ${typeNumber} (${name}) is not supported`);
  }
  if (proto.dataLocation === EXTERNAL_DATA_LOCATION) {
    failFile(path, 'the tensor keeps its data in an external file, which is not supported');
  }
  const shape = proto.dims.map((d) => {
    const n = Number(int64ToBigInt(d as Int64));
    if (!Number.isSafeInteger(n) || n < 0) failFile(path, `dimension ${d.toString()} is not a valid size`);
    return n;
  });
  const size = checkedSize(shape, dtype, path, maxBytes);
  const data = proto.rawData.length > 0 ? fromRawData(proto.rawData, dtype, size, shape, path) : fromTypedField(proto, dtype, size, shape, path);
  return { dtype, shape, data };
}

function fromRawData(raw: Uint8Array, dtype: DType, size: number, shape: readonly number[], path: string): TensorData {
  const expected = size * WIRE_BYTES[dtype];
  if (raw.length !== expected) {
    failFile(path, `raw_data is ${raw.length} bytes, but shape ${formatShape(shape)} of ${dtype} needs ${expected} bytes`);
  }
  return decodeLittleEndian(dtype, raw, size);
}

function fromTypedField(proto: InstanceType<typeof onnx.TensorProto>, dtype: DType, size: number, shape: readonly number[], path: string): TensorData {
  const [field, values] = typedField(proto, dtype);
  if (values.length !== size) {
    failFile(path, `${field} holds ${values.length} values, but shape ${formatShape(shape)} needs ${size}`);
  }
  switch (dtype) {
    case 'f16': return halfBitsToStorage(values as number[]);
    case 'i64': {
      const out = new BigInt64Array(size);
      for (let i = 0; i < size; i++) out[i] = BigInt.asIntN(64, int64ToBigInt(values[i] as Int64));
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = values[i] ? 1 : 0;
      return out;
    }
    case 'f32': case 'i32': case 'i8': case 'u8': {
      const out = allocData(dtype, size) as Float32Array | Int32Array | Int8Array | Uint8Array;
      for (let i = 0; i < size; i++) out[i] = values[i] as number; // int8/uint8 wrap like a C cast
      return out;
    }
  }
}

function typedField(proto: InstanceType<typeof onnx.TensorProto>, dtype: DType): [string, readonly (number | Int64)[]] {
  switch (dtype) {
    case 'f32': return ['float_data', proto.floatData];
    case 'i64': return ['int64_data', proto.int64Data as Int64[]];
    case 'f16': case 'i32': case 'i8': case 'u8': case 'bool': return ['int32_data', proto.int32Data];
  }
}

/** A TensorProto holding `t` in `raw_data`. */
export function encodeTensorProto(t: Tensor, name: string): Uint8Array {
  return onnx.TensorProto.encode({
    name,
    dims: [...t.shape],
    dataType: TO_ONNX[t.dtype],
    rawData: encodeLittleEndian(t),
  }).finish();
}
