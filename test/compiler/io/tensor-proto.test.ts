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
    expectDiagnostic(() => nodeTest('test_cast_DOUBLE_to_FLOAT', 'input_0.pb'), 5006, 'data type 11 (double) is not supported');
    expectDiagnostic(() => nodeTest('test_equal_string_broadcast', 'input_0.pb'), 5006, 'data type 8 (string) is not supported');
    expectDiagnostic(() => nodeTest('test_cast_FLOAT8E4M3FN_to_FLOAT', 'input_0.pb'), 5006, 'data type 17 (float8e4m3fn) is not supported');
    expectDiagnostic(() => nodeTest('test_add_uint16', 'input_0.pb'), 5006, 'data type 4 (uint16) is not supported');
  });

  it('refuses an OptionalProto (test_identity_opt) with a diagnostic', () => {
    // protobuf has no type tags: its fields decode as nonsense dims, refused as a huge tensor.
    expect(() => nodeTest('test_identity_opt', 'input_0.pb')).toThrow(DiagnosticError);
  });
});

describe('every tensor file in the ONNX backend node tests', () => {
  interface IndexEntry { name: string; inputs: IndexTensor[]; outputs: IndexTensor[] }
  interface IndexTensor { dtype?: string; shape?: number[]; file: string }
  const OURS: Record<string, string> = { float32: 'f32', float16: 'f16', int32: 'i32', int64: 'i64', int8: 'i8', uint8: 'u8', bool: 'bool' };

  it('reads with the dtype and shape index.json lists, or refuses with a diagnostic', () => {
    const index = JSON.parse(readFileSync(path.join(ONNX_NODE_TESTS, 'index.json'), 'utf8')) as { tests: IndexEntry[] };
    let read = 0;
    let refused = 0;
    for (const test of index.tests) {
      for (const io of [...test.inputs, ...test.outputs]) {
        const p = path.join(ONNX_NODE_TESTS, test.name, io.file);
        const ours = io.dtype === undefined ? undefined : OURS[io.dtype];
        if (ours === undefined) {
          expect(() => readTensorProto(readFileSync(p), p), p).toThrow(DiagnosticError);
          refused++;
        } else {
          const t = readTensorProto(readFileSync(p), p);
          expect([t.dtype, t.shape], p).toEqual([ours, io.shape]);
          read++;
        }
      }
    }
    expect(read).toBeGreaterThan(2000);
    expect(refused).toBeGreaterThan(200);
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

  it('refuses negative dimensions, unknown types and external data', () => {
    expectDiagnostic(() => readTensorProto(encode({ dims: [-1], dataType: 1 }), 'n.pb'), 5006, 'dimension -1 is not a valid size');
    expectDiagnostic(() => readTensorProto(encode({ dims: [1], dataType: 99 }), 'u.pb'), 5006, 'data type 99 (unknown) is not supported');
    expectDiagnostic(() => readTensorProto(encode({ dims: [1], dataType: 0 }), 'u.pb'), 5006, 'data type 0 (undefined) is not supported');
    expectDiagnostic(() => readTensorProto(encode({ dims: [1], dataType: 1, dataLocation: 1 }), 'x.pb'), 5006, /external file/);
  });
});
