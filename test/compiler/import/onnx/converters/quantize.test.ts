// The quantization converters: QuantizeLinear and DequantizeLinear (per-tensor, per-axis,
// blocked, output_dtype, saturate, precision, across opsets), MatMulInteger, QLinearMatMul and
// DynamicQuantizeLinear, each imported from a one-node model, run on the interpreter and
// checked against values computed here from the ONNX definitions.

import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../../../compiler/import/onnx/index.js';
import { DTYPES, type DType } from '../../../../../compiler/ir/dtype.js';
import { interpret } from '../../../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../../helpers/close.js';
import { encodeModel, type NodeSpec } from '../../../../helpers/onnx-model.js';
import { randomTensor } from '../../../../helpers/random.js';

const f32 = Math.fround;

interface OneNode {
  readonly op: string;
  /** Node inputs in order; '' leaves an optional input out. */
  readonly inputs: readonly (readonly [string, Tensor] | '')[];
  readonly attrs?: NodeSpec['attrs'];
  readonly opset?: number;
  readonly outputs?: readonly string[];
  /** Inputs that are initializers (constants) rather than graph inputs. */
  readonly constants?: readonly string[];
}

function load(c: OneNode) {
  const given = c.inputs.filter((i): i is readonly [string, Tensor] => i !== '');
  const isConstant = (name: string): boolean => (c.constants ?? []).includes(name);
  const outputs = c.outputs ?? ['y'];
  const bytes = encodeModel({
    opset: c.opset ?? 25,
    nodes: [{ op: c.op, name: 'n', inputs: c.inputs.map((i) => (i === '' ? '' : i[0])), outputs, attrs: c.attrs }],
    inputs: given.filter(([n]) => !isConstant(n)).map(([name, t]) => ({ name, elemType: DTYPES[t.dtype].onnx, shape: t.shape })),
    initializers: Object.fromEntries(given.filter(([n]) => isConstant(n))),
    outputs: outputs.map((name) => ({ name, elemType: 0 })),
  });
  return { imported: importOnnx(bytes, 'm.onnx'), feeds: new Map(given.filter(([n]) => !isConstant(n)).map(([n, t]) => [n, t])) };
}

/** Imports and runs the node; returns its outputs by name. */
function run(c: OneNode): Map<string, Tensor> {
  const { imported, feeds } = load(c);
  expect(imported.diagnostics.map((d) => d.message)).toEqual([]);
  return interpret(imported.graph!, feeds).outputs;
}

const y = (c: OneNode): Tensor => run(c).get('y')!;

function refusal(c: OneNode): { code: number; message: string } {
  const { imported } = load(c);
  expect(imported.graph).toBeUndefined();
  const d = imported.diagnostics.find((x) => x.severity === 'error')!;
  return { code: d.code, message: d.message };
}

const t = (dtype: DType, shape: number[], values: number[]): Tensor => tensor(dtype, shape, values);
const scalar = (v: number, dtype: DType = 'f32'): Tensor => t(dtype, [], [v]);

/** Round half to even, written out. */
function rint(v: number): number {
  const f = Math.floor(v);
  return v - f > 0.5 || (v - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

describe('QuantizeLinear', () => {
  const x = t('f32', [4], [-1.5, 0, 2.5, 300]);

  it('per-tensor with a zero point, and uint8 without one (opset 10)', () => {
    expect(toNumbers(y({ op: 'QuantizeLinear', opset: 10, inputs: [['x', x], ['s', scalar(1)], ['z', scalar(3, 'u8')]] }))).toEqual([1, 3, 5, 255]);
    const plain = y({ op: 'QuantizeLinear', opset: 10, inputs: [['x', x], ['s', scalar(1)]] });
    expect(plain.dtype).toBe('u8');
    expect(toNumbers(plain)).toEqual([0, 0, 2, 255]);
  });

  it('reads a [1] zero point with a scalar scale as per-tensor (opset 19, int8)', () => {
    const q = y({ op: 'QuantizeLinear', opset: 19, inputs: [['x', x], ['s', scalar(0.5)], ['z', t('i8', [1], [-10])]] });
    expect(q.dtype).toBe('i8');
    expect(toNumbers(q)).toEqual([-13, -10, -5, 127]);
  });

  it('per-axis on a negative axis (opset 13), on random data of an awkward shape', () => {
    const xr = randomTensor('f32', [7, 1, 129], 3);
    const s = t('f32', [129], Array.from({ length: 129 }, (_, i) => 0.01 + i / 1000));
    const z = t('u8', [129], Array.from({ length: 129 }, (_, i) => i));
    const q = y({ op: 'QuantizeLinear', opset: 13, attrs: { axis: -1 }, inputs: [['x', xr], ['s', s], ['z', z]], constants: ['s'] });
    const sv = toNumbers(s);
    expect(toNumbers(q)).toEqual(toNumbers(xr).map((v, i) => Math.min(255, Math.max(0, rint(f32(v / sv[i % 129]!)) + (i % 129)))));
  });

  it('blocked with output_dtype int4 and no zero point (opset 21)', () => {
    // x [2, 3], axis 1, blocks of 2: {0, 1} and {2}
    const xb = t('f32', [2, 3], [1, -3, 9, 4, 5, -20]);
    const s = t('f32', [2, 2], [1, 2, 0.5, 4]);
    const q = y({ op: 'QuantizeLinear', opset: 21, attrs: { axis: 1, block_size: 2, output_dtype: 22 }, inputs: [['x', xb], ['s', s]] });
    expect(q.dtype).toBe('i4');
    // 1/1, -3/1, 9/2 = 4.5 → 4; 4/0.5 = 8 → 7 (saturated), 5/0.5 = 10 → 7, -20/4 = -5
    expect(toNumbers(q)).toEqual([1, -3, 4, 7, 7, -5]);
  });

  it('divides in the precision attribute\'s type (opset 23) and overflows fp8 without saturate (opset 19)', () => {
    const x1 = t('f32', [1], [2.5004]);
    expect(toNumbers(y({ op: 'QuantizeLinear', opset: 23, attrs: { precision: 10 }, inputs: [['x', x1], ['s', scalar(1)]] }))).toEqual([2]);
    expect(toNumbers(y({ op: 'QuantizeLinear', opset: 23, inputs: [['x', x1], ['s', scalar(1)]] }))).toEqual([3]);
    // f16 scale: the quotient is rounded to f16 by default
    expect(toNumbers(y({ op: 'QuantizeLinear', opset: 23, inputs: [['x', x1], ['s', scalar(1, 'f16')]] }))).toEqual([2]);
    const z8 = t('f8e4m3fn', [1], [0]);
    const sat = y({ op: 'QuantizeLinear', opset: 19, inputs: [['x', t('f32', [2], [1000, 0.3])], ['s', scalar(1)], ['z', z8]] });
    expect(toNumbers(sat)).toEqual([448, 0.3125]);
    const raw = y({ op: 'QuantizeLinear', opset: 19, attrs: { saturate: 0 }, inputs: [['x', t('f32', [2], [1000, 0.3])], ['s', scalar(1)], ['z', z8]] });
    expect(Number.isNaN(toNumbers(raw)[0])).toBe(true);
  });

  it('refuses bad models at the node', () => {
    const perAxis = { op: 'QuantizeLinear', inputs: [['x', t('f32', [2, 3], [1, 2, 3, 4, 5, 6])], ['s', t('f32', [3], [1, 1, 1])]] } as const;
    expect(refusal({ ...perAxis, opset: 10 }).code).toBe(3015); // opset 10 is per-tensor only
    const mismatch = refusal({ op: 'QuantizeLinear', opset: 21, attrs: { output_dtype: 3 }, inputs: [['x', x], ['s', scalar(1)], ['z', scalar(0, 'u8')]] });
    expect(mismatch.code).toBe(3004);
    expect(mismatch.message).toContain('output_dtype');
    const wrongAxis = refusal({ ...perAxis, opset: 13, attrs: { axis: 0 } });
    expect(wrongAxis.message).toContain('per-axis scale');
    expect(refusal({ ...perAxis, opset: 13, attrs: { axis: 2 } }).code).toBe(3004);
  });
});

describe('DequantizeLinear', () => {
  it('per-axis with zero points, and int32 without (opset 13)', () => {
    const x = t('u8', [2, 2], [0, 10, 200, 255]);
    const d = y({ op: 'DequantizeLinear', opset: 13, attrs: { axis: 0 }, inputs: [['x', x], ['s', t('f32', [2], [0.5, 2])], ['z', t('u8', [2], [10, 128])]] });
    expect(toNumbers(d)).toEqual([-5, 0, 144, 254]);
    expect(toNumbers(y({ op: 'DequantizeLinear', opset: 10, inputs: [['x', t('i32', [2], [-7, 1 << 20])], ['s', scalar(0.5)]] }))).toEqual([-3.5, 524288]);
  });

  it('blocked, and output_dtype f16 (opset 23)', () => {
    const x = t('i8', [1, 5], [1, 2, 3, 4, 5]);
    const d = y({ op: 'DequantizeLinear', opset: 23, attrs: { axis: 1, block_size: 3, output_dtype: 10 }, inputs: [['x', x], ['s', t('f32', [1, 2], [0.1, 10])], ['z', t('i8', [1, 2], [1, 0])]] });
    expect(d.dtype).toBe('f16');
    // (x - z) · s computed exactly and rounded once to f16
    expect(toNumbers(d)).toEqual([0, tensorF16(f32(0.1)), tensorF16(2 * f32(0.1)), 40, 50]);
  });

  it('is the inverse of QuantizeLinear up to half a scale, on random data', () => {
    const x = randomTensor('f32', [7, 129], 8);
    const s = t('f32', [7], [0.01, 0.02, 0.03, 0.05, 0.07, 0.11, 0.13]);
    const z = t('i16', [7], [-3, 0, 5, 100, -100, 7, 1]);
    const q = y({ op: 'QuantizeLinear', opset: 21, attrs: { axis: 0 }, inputs: [['x', x], ['s', s], ['z', z]] });
    const back = y({ op: 'DequantizeLinear', opset: 21, attrs: { axis: 0 }, inputs: [['q', q], ['s', s], ['z', z]] });
    const sv = toNumbers(s);
    toNumbers(x).forEach((v, i) => expect(Math.abs(toNumbers(back)[i]! - v)).toBeLessThanOrEqual(sv[Math.floor(i / 129)]! / 2 + 1e-6));
  });
});

/** f16 rounding of a value (through a one-element tensor). */
function tensorF16(v: number): number {
  return toNumbers(tensor('f16', [1], [v]))[0]!;
}

/** Σ_k (a[i,k] - za[i]) · (b[k,j] - zb[j]) for 2-D operands. */
function intMatmul(a: Tensor, b: Tensor, za: (i: number) => number, zb: (j: number) => number): number[] {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const A = toNumbers(a), B = toNumbers(b);
  const out: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (A[i * k + p]! - za(i)) * (B[p * n + j]! - zb(j));
    out.push(s);
  }
  return out;
}

describe('MatMulInteger', () => {
  it('subtracts per-row (A) and per-column (B) zero points', () => {
    const a = t('u8', [2, 3], [1, 2, 3, 250, 0, 7]);
    const b = t('u8', [3, 2], [9, 8, 7, 6, 5, 255]);
    const r = y({ op: 'MatMulInteger', opset: 10, inputs: [['a', a], ['b', b], ['za', t('u8', [2], [1, 2])], ['zb', t('u8', [2], [3, 4])]] });
    expect(r.dtype).toBe('i32');
    expect(toNumbers(r)).toEqual(intMatmul(a, b, (i) => [1, 2][i]!, (j) => [3, 4][j]!));
  });

  it('takes int8 operands with scalar zero points or none, on awkward sizes', () => {
    const a = randomTensor('i8', [7, 129], 1), b = randomTensor('i8', [129, 1], 2);
    expect(toNumbers(y({ op: 'MatMulInteger', opset: 10, inputs: [['a', a], ['b', b], ['za', scalar(-5, 'i8')], ['zb', scalar(3, 'i8')]] }))).toEqual(intMatmul(a, b, () => -5, () => 3));
    expect(toNumbers(y({ op: 'MatMulInteger', opset: 10, inputs: [['a', a], ['b', b]] }))).toEqual(intMatmul(a, b, () => 0, () => 0));
  });

  it('refuses a zero point of another type', () => {
    const a = t('u8', [1, 1], [1]);
    expect(refusal({ op: 'MatMulInteger', opset: 10, inputs: [['a', a], ['b', a], ['za', scalar(0, 'i8')]] }).code).toBe(3015);
  });
});

describe('QLinearMatMul', () => {
  const q = (inputs: OneNode['inputs'], opset = 21): Tensor => y({ op: 'QLinearMatMul', opset, inputs });

  it('requantizes with round half to even and saturation (by hand)', () => {
    // C = 5 · [1, 3, 100] = [5, 15, 500]; D = C · (0.5 · 1 / 1) = [2.5, 7.5, 250] → [2, 8, 127]
    const out = q([['a', t('i8', [1, 1], [5])], ['as', scalar(0.5)], ['az', scalar(0, 'i8')], ['b', t('i8', [1, 3], [1, 3, 100])], ['bs', scalar(1)], ['bz', scalar(0, 'i8')], ['ys', scalar(1)], ['yz', scalar(0, 'i8')]]);
    expect(out.dtype).toBe('i8');
    expect(toNumbers(out)).toEqual([2, 8, 127]);
  });

  it('subtracts zero points and adds the output zero point (uint8, opset 10)', () => {
    // A = [2, 4] - 0, B = [1, 3] - 1 = [0, 2]; C = 8; scale 0.5 · 0.25 / 0.125 = 1; + 5 → 13
    const out = q([['a', t('u8', [1, 2], [2, 4])], ['as', scalar(0.5)], ['az', scalar(0, 'u8')], ['b', t('u8', [2, 1], [1, 3])], ['bs', scalar(0.25)], ['bz', scalar(1, 'u8')], ['ys', scalar(0.125)], ['yz', scalar(5, 'u8')]], 10);
    expect(toNumbers(out)).toEqual([13]);
  });

  it('applies a per-row a_scale and a per-column b_scale', () => {
    // A [[2], [2]] @ B [[3, 1]] = [[6, 2], [6, 2]]; scales rows [1, 2] × columns [1, 0.5]
    const out = q([['a', t('u8', [2, 1], [2, 2])], ['as', t('f32', [2], [1, 2])], ['az', scalar(0, 'u8')], ['b', t('u8', [1, 2], [3, 1])], ['bs', t('f32', [2], [1, 0.5])], ['bz', scalar(0, 'u8')], ['ys', scalar(1)], ['yz', scalar(0, 'u8')]]);
    expect(toNumbers(out)).toEqual([6, 1, 12, 2]);
  });

  it('matches the reference formula on random 3-D int8 data with float16 scales', () => {
    const a = randomTensor('i8', [2, 7, 3], 4), b = randomTensor('i8', [2, 3, 129], 5);
    const [as, bs, ys] = [0.0123, 0.0456, 0.789].map((v) => tensorF16(v));
    const out = q([['a', a], ['as', scalar(as!, 'f16')], ['az', scalar(3, 'i8')], ['b', b], ['bs', scalar(bs!, 'f16')], ['bz', scalar(-2, 'i8')], ['ys', scalar(ys!, 'f16')], ['yz', scalar(-1, 'i8')]]);
    const scale = tensorF16(tensorF16(as! * bs!) / ys!);
    const want: number[] = [];
    for (let batch = 0; batch < 2; batch++) {
      const slice = (x: Tensor, n: number, shape: number[]) => t('i8', shape, toNumbers(x).slice(batch * n, (batch + 1) * n));
      for (const c of intMatmul(slice(a, 21, [7, 3]), slice(b, 387, [3, 129]), () => 3, () => -2)) want.push(Math.min(127, Math.max(-128, rint(c * scale - 1))));
    }
    expect(toNumbers(out)).toEqual(want);
  });
});

describe('DynamicQuantizeLinear', () => {
  it('computes scale, zero point and y as its function body does', () => {
    const x = t('f32', [6], [0, 2, -3, -2.5, 1.34, 0.5]);
    const outs = run({ op: 'DynamicQuantizeLinear', opset: 11, inputs: [['x', x]], outputs: ['y', 'scale', 'zp'] });
    const scale = f32(5 / 255);
    const zp = rint(Math.min(255, Math.max(0, f32(0 - f32(-3 / scale)))));
    expectClose(outs.get('scale')!, [scale], 0);
    expect(toNumbers(outs.get('zp')!)).toEqual([zp]);
    expect(zp).toBe(153);
    expect(toNumbers(outs.get('y')!)).toEqual(toNumbers(x).map((v) => Math.min(255, Math.max(0, rint(f32(v / scale)) + zp))));
    // the ONNX example's values
    expect(toNumbers(outs.get('y')!)).toEqual([153, 255, 0, 26, 221, 179]);
  });

  it('includes 0 in the range of an all-positive input', () => {
    const outs = run({ op: 'DynamicQuantizeLinear', opset: 11, inputs: [['x', t('f32', [3], [1, 2, 4])]], outputs: ['y', 'scale', 'zp'] });
    expect(toNumbers(outs.get('zp')!)).toEqual([0]);
    expect(toNumbers(outs.get('y')!)).toEqual([64, 127, 255]); // 2 / f32(4 / 255) = 127.4999…
  });
});
