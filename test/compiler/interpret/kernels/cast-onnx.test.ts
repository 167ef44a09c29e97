// The ONNX backend node tests for Cast are the judges of `cast` and of the rounding code in
// float-formats.ts: each test's input, cast with the model's `to`, `saturate` and `round_mode`,
// must give the expected output exactly, value for value (NaN equals NaN, -0 differs from +0)
// and byte for byte once encoded.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { dtypeFromOnnx } from '../../../../compiler/ir/dtype.js';
import { cast, type CastOptions } from '../../../../compiler/interpret/kernels/elementwise.js';
import { toNumbers } from '../../../../compiler/interpret/tensor.js';
import { encodeLittleEndian } from '../../../../compiler/io/raw-data.js';
import { readTensorProto } from '../../../../compiler/io/tensor-proto.js';
import { ONNX_NODE_TESTS } from '../../io/helpers.js';

const { onnx } = onnxProto;

interface CastCase {
  readonly to: number;
  readonly opts: CastOptions;
}

/** `to`, `saturate` and `round_mode` of the model's one Cast node. */
function castAttributes(test: string): CastCase {
  const model = onnx.ModelProto.decode(readFileSync(path.join(ONNX_NODE_TESTS, test, 'model.onnx')));
  const node = model.graph!.node![0]!;
  expect(node.opType).toBe('Cast');
  let to = 0;
  let saturate: boolean | undefined;
  let roundMode: CastOptions['roundMode'];
  for (const a of node.attribute ?? []) {
    if (a.name === 'to') to = Number(String(a.i));
    else if (a.name === 'saturate') saturate = Number(String(a.i)) !== 0;
    else if (a.name === 'round_mode') roundMode = new TextDecoder().decode(a.s ?? new Uint8Array()) as CastOptions['roundMode'];
    else throw new Error(`${test}: unexpected attribute ${a.name}`);
  }
  return { to, opts: { saturate, roundMode } };
}

const read = (test: string, file: string) => {
  const p = path.join(ONNX_NODE_TESTS, test, 'test_data_set_0', file);
  return { tensor: readTensorProto(readFileSync(p), p), raw: onnx.TensorProto.decode(readFileSync(p)).rawData };
};

const sameValue = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

const TESTS = readdirSync(ONNX_NODE_TESTS).filter((name) => name.startsWith('test_cast_')).sort();

describe('cast against the ONNX backend node tests', () => {
  it('finds every Cast test of the subset', () => {
    expect(TESTS.length).toBe(42);
  });

  for (const test of TESTS) {
    it(test, () => {
      const { to, opts } = castAttributes(test);
      const dtype = dtypeFromOnnx(to);
      expect(dtype, `to = ${to}`).toBeDefined();
      const x = read(test, 'input_0.pb').tensor;
      const { tensor: expected, raw } = read(test, 'output_0.pb');
      const y = cast(x, dtype!, opts);
      expect(y.dtype).toBe(expected.dtype);
      expect(y.shape).toEqual(expected.shape);
      const got = toNumbers(y);
      const want = toNumbers(expected);
      const wrong = got.flatMap((v, i) => (sameValue(v, want[i]!) ? [] : [`[${i}] ${String(x.data[i])} -> ${v}, expected ${want[i]}`]));
      expect(wrong).toEqual([]);
      expect([...encodeLittleEndian(y)]).toEqual([...raw]);
    });
  }
});
