import { readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { ALL_DTYPES } from '../../../compiler/ir/dtype.js';
import { toNumbers } from '../../../compiler/interpret/tensor.js';
import { encodeTensorProto, readTensorProto } from '../../../compiler/io/tensor-proto.js';
import { ONNX_NODE_TESTS, SHAPES, expectDiagnostic, expectQuickDiagnostic, expectSameTensor, sample } from './helpers.js';

const { onnx } = onnxProto;

/** Reads `<test>/test_data_set_0/<file>` from the shared ONNX backend node tests. */
function nodeTest(test: string, file: string) {
  const p = path.join(ONNX_NODE_TESTS, test, 'test_data_set_0', file);
  return readTensorProto(readFileSync(p), p);
}

const encode = (props: Parameters<typeof onnx.TensorProto.encode>[0]): Uint8Array => onnx.TensorProto.encode(props).finish();

describe('TensorProto round trips (raw_data)', () => {
  for (const dtype of ALL_DTYPES) {
    for (const shape of SHAPES) {
      it(`${dtype} [${shape.join(', ')}]`, () => {
        const t = sample(dtype, shape);
        const bytes = encodeTensorProto(t, 'x');
        expectSameTensor(readTensorProto(bytes, 'mem.pb'), t);
        expect(onnx.TensorProto.decode(bytes).name).toBe('x');
      });
    }
  }
});

// Expected values were read from the files with numpy (np.frombuffer over raw_data).
describe('TensorProto files from the ONNX backend node tests', () => {
  it('test_add: float32, and output == input_0 + input_1', () => {
    const x = nodeTest('test_add', 'input_0.pb');
    const y = nodeTest('test_add', 'input_1.pb');
    const sum = nodeTest('test_add', 'output_0.pb');
    expect(x.dtype).toBe('f32');
    expect(x.shape).toEqual([3, 4, 5]);
    expect(toNumbers(x).slice(0, 3)).toEqual([1.764052391052246, 0.40015721321105957, 0.978738009929657]);
    expect(toNumbers(x)[59]).toBe(-0.3627411723136902);
    expect(toNumbers(sum)).toEqual(toNumbers(x).map((v, i) => Math.fround(v + (y.data[i] as number))));
  });

  it('uint8 and int8', () => {
    const u = nodeTest('test_add_uint8', 'input_0.pb');
    expect(u.dtype).toBe('u8');
    expect(u.shape).toEqual([3, 4, 5]);
    expect(toNumbers(u).slice(0, 6)).toEqual([23, 21, 13, 9, 1, 9]);
    const i = nodeTest('test_add_int8', 'input_1.pb');
    expect(i.dtype).toBe('i8');
    expect(toNumbers(i).slice(0, 6)).toEqual([22, 16, 17, 3, 21, 3]);
    const a = nodeTest('test_add_int8', 'input_0.pb');
    const s = nodeTest('test_add_int8', 'output_0.pb');
    expect(toNumbers(s)).toEqual(toNumbers(a).map((v, k) => ((v + toNumbers(i)[k]! + 128) & 0xff) - 128));
  });

  it('float16, and its cast to float32 holds the same values', () => {
    const h = nodeTest('test_cast_FLOAT16_to_FLOAT', 'input_0.pb');
    expect(h.dtype).toBe('f16');
    expect(h.shape).toEqual([3, 4]);
    expect(toNumbers(h)).toEqual([
      0.47900390625, 0.480224609375, 0.499755859375, 0.8193359375, 0.47021484375, 0.81640625,
      0.2108154296875, 0.72314453125, NaN, Infinity, Infinity, -Infinity,
    ]);
    const f = nodeTest('test_cast_FLOAT16_to_FLOAT', 'output_0.pb');
    expect(f.dtype).toBe('f32');
    expect(toNumbers(f)).toEqual(toNumbers(h));
  });

  it('int64, including negative values', () => {
    const g = nodeTest('test_gather_negative_indices', 'input_1.pb');
    expect(g.dtype).toBe('i64');
    expect(g.shape).toEqual([3]);
    expect([...g.data]).toEqual([0n, -9n, -10n]);
    const a = nodeTest('test_argmax_keepdims_example', 'output_0.pb');
    expect(a.shape).toEqual([2, 1]);
    expect([...a.data]).toEqual([0n, 1n]);
  });

  it('int32, including a scalar', () => {
    const x = nodeTest('test_cumsum_1d_int32_exclusive', 'input_0.pb');
    expect(x.dtype).toBe('i32');
    expect(toNumbers(x)).toEqual([1, 2, 3, 4, 5]);
    const axis = nodeTest('test_cumsum_1d', 'input_1.pb');
    expect(axis.dtype).toBe('i32');
    expect(axis.shape).toEqual([]);
    expect(toNumbers(axis)).toEqual([0]);
  });

  it('bool', () => {
    const m = nodeTest('test_attention_23_boolmask_fullymasked_row_nan_robustness', 'input_3.pb');
    expect(m.dtype).toBe('bool');
    expect(m.shape).toEqual([2, 2]);
    expect(toNumbers(m)).toEqual([0, 0, 1, 1]);
    const z = toNumbers(nodeTest('test_equal_bcast', 'output_0.pb'));
    expect(z.length).toBe(60);
    expect(z.flatMap((v, i) => (v ? [i] : []))).toEqual([32]);
  });

  it('empty tensors', () => {
    const a = nodeTest('test_tril_zero', 'input_0.pb');
    expect(a.dtype).toBe('i64');
    expect(a.shape).toEqual([3, 0, 5]);
    expect(a.data.length).toBe(0);
    const b = nodeTest('test_reduce_sum_empty_set', 'input_0.pb');
    expect(b.shape).toEqual([2, 0, 4]);
  });

  it('names the data types it does not support', () => {
    expectDiagnostic(() => nodeTest('test_equal_string_broadcast', 'input_0.pb'), 5006, 'data type 8 (string) is not supported');
    expectDiagnostic(() => readTensorProto(encode({ dims: [1], dataType: 14, floatData: [1, 2] }), 'c.pb'), 5006, 'data type 14 (complex64) is not supported');
    expectDiagnostic(() => readTensorProto(encode({ dims: [1], dataType: 15 }), 'c.pb'), 5006, 'data type 15 (complex128) is not supported');
  });

  it('double stays f64, exactly', () => {
    const d = nodeTest('test_cast_DOUBLE_to_FLOAT', 'input_0.pb');
    expect(d.dtype).toBe('f64');
    expect(d.data).toBeInstanceOf(Float64Array);
    expect(toNumbers(d)[0]).toBe(0.47892546653747559);
    expect(Math.fround(toNumbers(d)[0]!)).toBe(toNumbers(nodeTest('test_cast_DOUBLE_to_FLOAT', 'output_0.pb'))[0]);
  });

  it('bfloat16, the fp8 types and float4e2m1 hold their values', () => {
    const b = nodeTest('test_cast_BFLOAT16_to_FLOAT', 'input_0.pb');
    expect(b.dtype).toBe('bf16');
    expect(toNumbers(b)).toEqual(toNumbers(nodeTest('test_cast_BFLOAT16_to_FLOAT', 'output_0.pb')));
    const f8 = nodeTest('test_cast_FLOAT8E4M3FN_to_FLOAT', 'input_0.pb');
    expect(f8.dtype).toBe('f8e4m3fn');
    expect(f8.shape).toEqual([3, 5]);
    expect(toNumbers(f8)).toEqual([0.46875, 0.46875, 0.5, 0.8125, 0.46875, 0.75, 448, 0, NaN, 448, 448, -448, -0, 0, -448]);
    const f4 = nodeTest('test_cast_FLOAT4E2M1_to_FLOAT16', 'input_0.pb');
    expect(f4.dtype).toBe('f4e2m1');
    expect(toNumbers(f4)).toEqual([0.5, 0, 1, -4, -6, 6, 6, 0, -0, 6, 6, -6, -4, 0, -0]);
  });

  it('int4, uint4, int2 and uint2 unpack from the low bits first', () => {
    const i4 = nodeTest('test_cast_INT4_to_INT8', 'input_0.pb');
    expect(i4.dtype).toBe('i4');
    expect(i4.shape).toEqual([5, 5]);
    expect(toNumbers(i4)).toEqual(toNumbers(nodeTest('test_cast_INT4_to_INT8', 'output_0.pb')));
    expect(toNumbers(nodeTest('test_cast_UINT4_to_FLOAT16', 'input_0.pb')).slice(0, 10)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 0]);
    expect(toNumbers(nodeTest('test_cast_INT2_to_FLOAT', 'input_0.pb'))).toEqual([1, -2, -1, 0, 1, -2, -1]);
    expect(toNumbers(nodeTest('test_cast_UINT2_to_FLOAT16', 'input_0.pb'))).toEqual([1, 2, 3, 0, 1, 2, 3]);
  });

  it('int16, uint16, uint32 and uint64', () => {
    expect(nodeTest('test_add_uint16', 'input_0.pb').dtype).toBe('u16');
    const u64 = nodeTest('test_add_uint64', 'input_0.pb');
    expect(u64.dtype).toBe('u64');
    expect(u64.data).toBeInstanceOf(BigUint64Array);
  });

  it('refuses an OptionalProto (test_identity_opt) with a diagnostic', () => {
    // protobuf has no type tags: its fields decode as nonsense dims, refused as a huge tensor.
    expect(() => nodeTest('test_identity_opt', 'input_0.pb')).toThrow(DiagnosticError);
  });
});

describe('every tensor file in the ONNX backend node tests', () => {
  interface IndexEntry { name: string; inputs: IndexTensor[]; outputs: IndexTensor[] }
  interface IndexTensor { kind: string; dtype?: string; shape?: number[]; file: string }
  const OURS: Record<string, string> = {
    float64: 'f64', float32: 'f32', float16: 'f16', bfloat16: 'bf16', float8e4m3fn: 'f8e4m3fn', float8e4m3fnuz: 'f8e4m3fnuz',
    float8e5m2: 'f8e5m2', float8e5m2fnuz: 'f8e5m2fnuz', float8e8m0: 'f8e8m0', float4e2m1: 'f4e2m1',
    int64: 'i64', int32: 'i32', int16: 'i16', int8: 'i8', int4: 'i4', int2: 'i2',
    uint64: 'u64', uint32: 'u32', uint16: 'u16', uint8: 'u8', uint4: 'u4', uint2: 'u2', bool: 'bool',
  };

  it('reads with the dtype and shape index.json lists; only string tensors and the OptionalProto are refused', () => {
    const index = JSON.parse(readFileSync(path.join(ONNX_NODE_TESTS, 'index.json'), 'utf8')) as { tests: IndexEntry[] };
    let read = 0;
    const refused: string[] = [];
    for (const test of index.tests) {
      for (const io of [...test.inputs, ...test.outputs]) {
        const p = path.join(ONNX_NODE_TESTS, test.name, io.file);
        if (io.kind !== 'tensor' || io.dtype === 'string') {
          expect(() => readTensorProto(readFileSync(p), p), p).toThrow(DiagnosticError);
          refused.push(`${test.name}/${io.file}`);
        } else {
          const t = readTensorProto(readFileSync(p), p);
          expect([t.dtype, t.shape], p).toEqual([OURS[io.dtype!], io.shape]);
          expect(t.data.length, p).toBe(io.shape!.reduce((a, b) => a * b, 1));
          read++;
        }
      }
    }
    expect(read).toBe(2679);
    expect(refused).toEqual([
      'test_equal_string_broadcast/test_data_set_0/input_0.pb',
      'test_equal_string_broadcast/test_data_set_0/input_1.pb',
      'test_identity_opt/test_data_set_0/input_0.pb',
      'test_identity_opt/test_data_set_0/output_0.pb',
    ]);
  });
});

describe('TensorProto typed fields', () => {
  it('float_data', () => {
    const t = readTensorProto(encode({ dims: [2], dataType: 1, floatData: [1.5, -2] }), 'f.pb');
    expect(t.dtype).toBe('f32');
    expect(toNumbers(t)).toEqual([1.5, -2]);
  });

  it('int32_data for int32, int8, uint8, bool and float16 bit patterns', () => {
    expect(toNumbers(readTensorProto(encode({ dims: [3], dataType: 6, int32Data: [-(2 ** 31), 7, 2 ** 31 - 1] }), 'a.pb')))
      .toEqual([-(2 ** 31), 7, 2 ** 31 - 1]);
    expect(toNumbers(readTensorProto(encode({ dims: [3], dataType: 3, int32Data: [-128, 0, 127] }), 'b.pb'))).toEqual([-128, 0, 127]);
    expect(toNumbers(readTensorProto(encode({ dims: [3], dataType: 2, int32Data: [0, 128, 255] }), 'c.pb'))).toEqual([0, 128, 255]);
    const b = readTensorProto(encode({ dims: [1, 3], dataType: 9, int32Data: [0, 1, 2] }), 'd.pb');
    expect(b.dtype).toBe('bool');
    expect(b.shape).toEqual([1, 3]);
    expect(toNumbers(b)).toEqual([0, 1, 1]);
    const h = readTensorProto(encode({ dims: [4], dataType: 10, int32Data: [0x3c00, 0xc000, 0x7c00, 0x0001] }), 'e.pb');
    expect(h.dtype).toBe('f16');
    expect(toNumbers(h)).toEqual([1, -2, Infinity, 2 ** -24]);
  });

  it('int64_data beyond 2^53 and negative', () => {
    const t = readTensorProto(encode({ dims: [3], dataType: 7, int64Data: ['9007199254740993', '-4611686018427387904', 5] as never }), 'i.pb');
    expect([...t.data]).toEqual([2n ** 53n + 1n, -(2n ** 62n), 5n]);
  });

  it('double_data for double', () => {
    const t = readTensorProto(encode({ dims: [2], dataType: 11, doubleData: [0.1, -1e300] }), 'd.pb');
    expect(t.dtype).toBe('f64');
    expect(toNumbers(t)).toEqual([0.1, -1e300]);
  });

  it('int32_data for int16, uint16, bfloat16 and fp8 bit patterns, one element each', () => {
    expect(toNumbers(readTensorProto(encode({ dims: [3], dataType: 5, int32Data: [-32768, 32767, 0xffff] }), 'a.pb'))).toEqual([-32768, 32767, -1]);
    expect(toNumbers(readTensorProto(encode({ dims: [2], dataType: 4, int32Data: [65535, 7] }), 'b.pb'))).toEqual([65535, 7]);
    const bf = readTensorProto(encode({ dims: [2], dataType: 16, int32Data: [0x3f80, 0xc040] }), 'c.pb');
    expect([bf.dtype, ...toNumbers(bf)]).toEqual(['bf16', 1, -3]);
    const f8 = readTensorProto(encode({ dims: [3], dataType: 17, int32Data: [0x38, 0xb8, 0x7e] }), 'e.pb');
    expect([f8.dtype, ...toNumbers(f8)]).toEqual(['f8e4m3fn', 1, -1, 448]);
    const e8 = readTensorProto(encode({ dims: [2], dataType: 24, int32Data: [0x7f, 0x80] }), 'f.pb');
    expect([e8.dtype, ...toNumbers(e8)]).toEqual(['f8e8m0', 1, 2]);
  });

  it('int32_data for 4- and 2-bit types holds one packed byte per entry', () => {
    const i4 = readTensorProto(encode({ dims: [3], dataType: 22, int32Data: [0xf1, 0x07] }), 'i4.pb');
    expect([i4.dtype, ...toNumbers(i4)]).toEqual(['i4', 1, -1, 7]);
    const u2 = readTensorProto(encode({ dims: [5], dataType: 25, int32Data: [0x93, 0x01] }), 'u2.pb');
    expect([u2.dtype, ...toNumbers(u2)]).toEqual(['u2', 3, 0, 1, 2, 1]);
    const f4 = readTensorProto(encode({ dims: [2], dataType: 23, int32Data: [0x1f] }), 'f4.pb');
    expect([f4.dtype, ...toNumbers(f4)]).toEqual(['f4e2m1', -6, 0.5]);
    expectDiagnostic(() => readTensorProto(encode({ dims: [3], dataType: 22, int32Data: [1, 2, 3] }), 'i4.pb'), 5006,
      'int32_data holds 3 values, but shape [3] needs 2 (packed bytes of 3 elements)');
  });

  it('uint64_data for uint32 and uint64, beyond 2^53', () => {
    const u32 = readTensorProto(encode({ dims: [2], dataType: 12, uint64Data: [4294967295, 7] }), 'u32.pb');
    expect([u32.dtype, ...toNumbers(u32)]).toEqual(['u32', 4294967295, 7]);
    const u64 = readTensorProto(encode({ dims: [2], dataType: 13, uint64Data: ['18446744073709551615', '9007199254740993'] as never }), 'u64.pb');
    expect(u64.dtype).toBe('u64');
    expect([...u64.data]).toEqual([2n ** 64n - 1n, 2n ** 53n + 1n]);
  });

  it('raw_data of packed types must have the packed size', () => {
    expectDiagnostic(() => readTensorProto(encode({ dims: [5], dataType: 26, rawData: new Uint8Array(1) }), 'r.pb'), 5006,
      'raw_data is 1 bytes, but shape [5] of i2 needs 2 bytes');
  });

  it('a tensor with no data and a zero dimension', () => {
    const t = readTensorProto(encode({ dims: [0, 4], dataType: 1 }), 'z.pb');
    expect(t.shape).toEqual([0, 4]);
    expect(t.data.length).toBe(0);
  });
});

describe('hostile TensorProto files', () => {
  it('refuses bytes that are not a protobuf', () => {
    expectDiagnostic(() => readTensorProto(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 'g.pb'), 5006, /not a valid ONNX TensorProto/);
    expectDiagnostic(() => readTensorProto(new Uint8Array([0x0a, 0x05, 0x01]), 'g.pb'), 5006, /not a valid ONNX TensorProto/);
  });

  it('refuses data that does not match the shape', () => {
    expectDiagnostic(() => readTensorProto(encode({ dims: [3], dataType: 1, rawData: new Uint8Array(11) }), 'r.pb'), 5006,
      'raw_data is 11 bytes, but shape [3] of f32 needs 12 bytes');
    expectDiagnostic(() => readTensorProto(encode({ dims: [3], dataType: 1, floatData: [1, 2] }), 'r.pb'), 5006,
      'float_data holds 2 values, but shape [3] needs 3');
    expectDiagnostic(() => readTensorProto(encode({ dims: [2], dataType: 7 }), 'r.pb'), 5006, 'int64_data holds 0 values');
  });

  it('refuses a shape of [1e12, 1e12] without allocating', () => {
    const huge = encode({ dims: [1e12, 1e12], dataType: 1, floatData: [1] });
    expectQuickDiagnostic(() => readTensorProto(huge, 'huge.pb'), 5013, /'huge.pb' would need/);
  });

  it('says when a file is an OptionalProto or SequenceProto rather than a TensorProto', () => {
    // test_identity_opt stores an optional(sequence(tensor(float))) in its .pb files.
    const p = path.join(ONNX_NODE_TESTS, 'test_identity_opt', 'test_data_set_0', 'input_0.pb');
    expectQuickDiagnostic(() => readTensorProto(readFileSync(p), p), 5006,
      "is an ONNX OptionalProto or SequenceProto (value 'opt_in' of elem_type SEQUENCE), not a TensorProto; optional and sequence values are not supported");
    // A SequenceProto of two tensors: name, elem_type TENSOR (1), tensor_values (field 3) twice.
    const field = (number: number, bytes: Uint8Array): number[] => [(number << 3) | 2, bytes.length, ...bytes];
    const seq = Uint8Array.from([
      ...field(1, new TextEncoder().encode('seq')), 0x10, 1,
      ...field(3, encodeTensorProto(sample('f32', [3]), 'a')), ...field(3, encodeTensorProto(sample('f32', [2]), 'b')),
    ]);
    expectDiagnostic(() => readTensorProto(seq, 's.pb'), 5006, "cannot read 's.pb': it is an ONNX SequenceProto (value 'seq' of elem_type TENSOR), not a TensorProto");
    // A TensorProto that merely lacks its data is still reported as one.
    expectDiagnostic(() => readTensorProto(encode({ dims: [100], dataType: 1 }), 'e.pb'), 5006, 'float_data holds 0 values, but shape [100] needs 100');
  });

  it('refuses negative dimensions, unknown types and external data', () => {
    expectDiagnostic(() => readTensorProto(encode({ dims: [-1], dataType: 1 }), 'n.pb'), 5006, 'dimension -1 is not a valid size');
    expectDiagnostic(() => readTensorProto(encode({ dims: [1], dataType: 99 }), 'u.pb'), 5006, 'data type 99 (unknown) is not supported');
    expectDiagnostic(() => readTensorProto(encode({ dims: [1], dataType: 0 }), 'u.pb'), 5006, 'data type 0 (undefined) is not supported');
    expectDiagnostic(() => readTensorProto(encode({ dims: [1], dataType: 1, dataLocation: 1 }), 'x.pb'), 5006, /external file/);
  });
});
