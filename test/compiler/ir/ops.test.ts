// Every op in the registry, run through the builder and the interpreter on random inputs:
// inference and reference semantics must agree (the interpreter checks each result's type),
// and the wiring from attributes to kernels is checked against values computed here.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim, type Dim } from '../../../compiler/ir/dim.js';
import type { DType } from '../../../compiler/ir/dtype.js';
import type { Node, OpKind } from '../../../compiler/ir/node.js';
import { OP_INFO } from '../../../compiler/ir/ops/index.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';
import { erf } from '../../../compiler/interpret/kernels/elementwise.js';

interface Case {
  readonly build: (b: GraphBuilder, input: (dtype: DType, shape: number[]) => Node) => Node;
  /** Expected output from the input tensors, computed independently here. */
  readonly expect?: (inputs: Tensor[]) => number[];
}

const dims = (shape: number[]): Dim[] => shape.map((d) => constDim(d));

const unaryCase = (op: OpKind, f: (x: number) => number, dtype: DType = 'f32'): Case => ({
  build: (b, input) => b.op(op, [input(dtype, [7])], {} as never),
  expect: ([x]) => toNumbers(x!).map(f),
});
const binaryCase = (op: OpKind, f: (a: number, b: number) => number, dtype: DType = 'f32'): Case => ({
  build: (b, input) => b.op(op, [input(dtype, [3, 1]), input(dtype, [4])], {} as never),
  expect: ([a, c]) => {
    const av = toNumbers(a!), cv = toNumbers(c!);
    const out: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) out.push(f(av[i]!, cv[j]!));
    return out;
  },
});
const f32 = Math.fround;

const CASES: Partial<Record<OpKind, Case>> = {
  neg: unaryCase('neg', (x) => -x),
  abs: unaryCase('abs', Math.abs),
  sign: unaryCase('sign', Math.sign),
  relu: unaryCase('relu', (x) => Math.max(0, x)),
  exp: unaryCase('exp', (x) => f32(Math.exp(x))),
  log: { build: (b, input) => b.op('log', [b.op('abs', [input('f32', [7])], {})], {}), expect: ([x]) => toNumbers(x!).map((v) => f32(Math.log(Math.abs(v)))) },
  sqrt: { build: (b, input) => b.op('sqrt', [b.op('abs', [input('f32', [7])], {})], {}), expect: ([x]) => toNumbers(x!).map((v) => f32(Math.sqrt(Math.abs(v)))) },
  rsqrt: { build: (b, input) => b.op('rsqrt', [b.op('abs', [input('f32', [7])], {})], {}), expect: ([x]) => toNumbers(x!).map((v) => f32(1 / Math.sqrt(Math.abs(v)))) },
  tanh: unaryCase('tanh', (x) => f32(Math.tanh(x))),
  sigmoid: unaryCase('sigmoid', (x) => f32(1 / (1 + Math.exp(-x)))),
  erf: unaryCase('erf', (x) => f32(erf(x))),
  silu: unaryCase('silu', (x) => f32(x / (1 + Math.exp(-x)))),
  sin: unaryCase('sin', (x) => f32(Math.sin(x))),
  cos: unaryCase('cos', (x) => f32(Math.cos(x))),
  floor: unaryCase('floor', Math.floor),
  ceil: unaryCase('ceil', Math.ceil),
  round: { build: (b, input) => b.op('round', [b.op('mul', [input('f32', [7]), b.scalar(10, 'f32')], {})], {}), expect: ([x]) => toNumbers(x!).map((v) => { const y = f32(v * 10); const r = Math.round(y); return Math.abs(y % 1) === 0.5 ? 2 * Math.round(y / 2) : r; }) },
  reciprocal: unaryCase('reciprocal', (x) => f32(1 / x)),
  not: unaryCase('not', (x) => (x ? 0 : 1), 'bool'),
  add: binaryCase('add', (a, b) => f32(a + b)),
  sub: binaryCase('sub', (a, b) => f32(a - b)),
  mul: binaryCase('mul', (a, b) => f32(a * b)),
  div: binaryCase('div', (a, b) => f32(a / b)),
  pow: { build: (b, input) => b.op('pow', [b.op('abs', [input('f32', [5])], {}), input('f32', [5])], {}), expect: ([a, c]) => toNumbers(a!).map((v, i) => f32(Math.abs(v) ** toNumbers(c!)[i]!)) },
  max: binaryCase('max', Math.max),
  min: binaryCase('min', Math.min),
  mod: binaryCase('mod', (a, b) => a - Math.trunc(a / b) * b, 'i32'),
  eq: binaryCase('eq', (a, b) => Number(a === b), 'i32'),
  ne: binaryCase('ne', (a, b) => Number(a !== b), 'i32'),
  lt: binaryCase('lt', (a, b) => Number(a < b)),
  le: binaryCase('le', (a, b) => Number(a <= b)),
  gt: binaryCase('gt', (a, b) => Number(a > b)),
  ge: binaryCase('ge', (a, b) => Number(a >= b)),
  and: binaryCase('and', (a, b) => Number(a && b), 'bool'),
  or: binaryCase('or', (a, b) => Number(a || b), 'bool'),
  xor: binaryCase('xor', (a, b) => Number(Boolean(a) !== Boolean(b)), 'bool'),
  gelu: {
    build: (b, input) => {
      const x = input('f32', [7]);
      return b.op('sub', [b.op('gelu', [x], { approximate: 'none' }), b.op('gelu', [x], { approximate: 'tanh' })], {});
    },
    expect: ([x]) =>
      toNumbers(x!).map((v) => {
        const exact = f32(0.5 * v * (1 + erf(v / Math.SQRT2)));
        const approx = f32(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
        return f32(exact - approx);
      }),
  },
  where: {
    build: (b, input) => b.op('where', [input('bool', [2, 1]), input('f32', [3]), input('f32', [2, 3])], {}),
    expect: ([c, a, e]) => toNumbers(e!).map((v, i) => (toNumbers(c!)[Math.floor(i / 3)] ? toNumbers(a!)[i % 3]! : v)),
  },
  cast: { build: (b, input) => b.op('cast', [input('f32', [7])], { to: 'i32' }), expect: ([x]) => toNumbers(x!).map((v) => Math.trunc(v)) },
  matmul: {
    build: (b, input) => b.op('matmul', [input('f32', [2, 3]), input('f32', [3, 2])], {}),
    expect: ([a, c]) => {
      const av = toNumbers(a!), cv = toNumbers(c!);
      const out: number[] = [];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) out.push(f32(av[i * 3]! * cv[j]! + av[i * 3 + 1]! * cv[2 + j]! + av[i * 3 + 2]! * cv[4 + j]!));
      return out;
    },
  },
  reduce_sum: { build: (b, input) => b.op('reduce_sum', [input('f32', [2, 3])], { axes: [1], keepdims: false }), expect: ([x]) => [0, 1].map((r) => f32(toNumbers(x!).slice(r * 3, r * 3 + 3).reduce((s, v) => s + v, 0))) },
  reduce_mean: { build: (b, input) => b.op('reduce_mean', [input('f32', [2, 3])], { axes: [0], keepdims: true }), expect: ([x]) => [0, 1, 2].map((c) => f32((toNumbers(x!)[c]! + toNumbers(x!)[3 + c]!) / 2)) },
  reduce_max: { build: (b, input) => b.op('reduce_max', [input('f32', [2, 3])], { axes: [0, 1], keepdims: false }), expect: ([x]) => [Math.max(...toNumbers(x!))] },
  reduce_min: { build: (b, input) => b.op('reduce_min', [input('f32', [2, 3])], { axes: [1], keepdims: true }), expect: ([x]) => [0, 1].map((r) => Math.min(...toNumbers(x!).slice(r * 3, r * 3 + 3))) },
  reduce_prod: { build: (b, input) => b.op('reduce_prod', [input('i32', [4])], { axes: [0], keepdims: false }), expect: ([x]) => [toNumbers(x!).reduce((s, v) => s * v, 1)] },
  argmax: { build: (b, input) => b.op('argmax', [input('f32', [2, 3])], { axis: 1, keepdims: false }), expect: ([x]) => [0, 1].map((r) => { const row = toNumbers(x!).slice(r * 3, r * 3 + 3); return row.indexOf(Math.max(...row)); }) },
  argmin: { build: (b, input) => b.op('argmin', [input('f32', [6])], { axis: 0, keepdims: true }), expect: ([x]) => [toNumbers(x!).indexOf(Math.min(...toNumbers(x!)))] },
  softmax: { build: (b, input) => b.op('softmax', [input('f32', [5])], { axis: 0 }), expect: ([x]) => { const e = toNumbers(x!).map(Math.exp); const s = e.reduce((a, v) => a + v, 0); return e.map((v) => f32(v / s)); } },
  log_softmax: { build: (b, input) => b.op('log_softmax', [input('f32', [5])], { axis: 0 }), expect: ([x]) => { const v = toNumbers(x!); const s = Math.log(v.reduce((a, u) => a + Math.exp(u), 0)); return v.map((u) => f32(u - s)); } },
  layer_norm: {
    build: (b, input) => b.op('layer_norm', [input('f32', [4]), input('f32', [4]), input('f32', [4])], { axis: 0, eps: 1e-5, hasScale: true, hasBias: true }),
    expect: ([x, g, bias]) => {
      const v = toNumbers(x!);
      const mean = v.reduce((a, u) => a + u, 0) / 4;
      const variance = v.reduce((a, u) => a + (u - mean) ** 2, 0) / 4;
      return v.map((u, i) => f32(((u - mean) / Math.sqrt(variance + 1e-5)) * toNumbers(g!)[i]! + toNumbers(bias!)[i]!));
    },
  },
  rms_norm: {
    build: (b, input) => b.op('rms_norm', [input('f32', [4]), input('f32', [4])], { axis: 0, eps: 1e-6, hasScale: true }),
    expect: ([x, g]) => {
      const v = toNumbers(x!);
      const rms = Math.sqrt(v.reduce((a, u) => a + u * u, 0) / 4 + 1e-6);
      return v.map((u, i) => f32((u / rms) * toNumbers(g!)[i]!));
    },
  },
  reshape: { build: (b, input) => b.op('reshape', [input('f32', [2, 3])], { shape: dims([3, 2]) }), expect: ([x]) => toNumbers(x!) },
  squeeze: { build: (b, input) => b.op('squeeze', [input('f32', [1, 3])], { axes: [0] }), expect: ([x]) => toNumbers(x!) },
  unsqueeze: { build: (b, input) => b.op('unsqueeze', [input('f32', [3])], { axes: [0, 2] }), expect: ([x]) => toNumbers(x!) },
  transpose: { build: (b, input) => b.op('transpose', [input('f32', [2, 3])], { perm: [1, 0] }), expect: ([x]) => { const v = toNumbers(x!); return [v[0]!, v[3]!, v[1]!, v[4]!, v[2]!, v[5]!]; } },
  slice: { build: (b, input) => b.op('slice', [input('f32', [7])], { axes: [0], starts: dims([5]), steps: [-2], counts: dims([3]) }), expect: ([x]) => { const v = toNumbers(x!); return [v[5]!, v[3]!, v[1]!]; } },
  concat: { build: (b, input) => b.op('concat', [input('f32', [2]), input('f32', [3])], { axis: 0 }), expect: ([a, c]) => [...toNumbers(a!), ...toNumbers(c!)] },
  gather: {
    build: (b, input) => b.op('gather', [input('f32', [4, 2]), b.constant(tensor('i64', [3], [3, -4, 1]))], { axis: 0 }),
    expect: ([x]) => { const v = toNumbers(x!); return [v[6]!, v[7]!, v[0]!, v[1]!, v[2]!, v[3]!]; },
  },
  expand: { build: (b, input) => b.op('expand', [input('f32', [1, 2])], { shape: dims([3, 2]) }), expect: ([x]) => { const v = toNumbers(x!); return [...v, ...v, ...v]; } },
  // ---- ONNX importer families add their op cases below, each under its own marker ----
  // [elementwise-family cases]
  // [reduce-family cases]
  cumsum: {
    build: (b, input) => b.op('cumsum', [input('f32', [2, 3])], { axis: 1, exclusive: true, reverse: true }),
    expect: ([x]) => { const v = toNumbers(x!); return [0, 1].flatMap((r) => [0, 1, 2].map((c) => f32(v.slice(r * 3 + c + 1, r * 3 + 3).reduce((s, u) => s + u, 0)))); },
  },
  topk: {
    build: (b, input) => b.op('topk', [input('f32', [2, 5])], { axis: 1, k: constDim(2), largest: false, sorted: true, output: 'indices' }),
    expect: ([x]) => { const v = toNumbers(x!); return [0, 1].flatMap((r) => [0, 1, 2, 3, 4].sort((i, j) => v[r * 5 + i]! - v[r * 5 + j]!).slice(0, 2)); },
  },
  einsum: {
    build: (b, input) => b.op('einsum', [input('f32', [2, 3]), input('f32', [4, 3])], { equation: 'ij,kj->ik' }),
    expect: ([a, c]) => { const av = toNumbers(a!), cv = toNumbers(c!); return [0, 1].flatMap((i) => [0, 1, 2, 3].map((k) => f32([0, 1, 2].reduce((s, j) => s + av[i * 3 + j]! * cv[k * 3 + j]!, 0)))); },
  },
  // [conv-family cases]
  conv: {
    build: (b, input) => b.op('conv', [input('f32', [1, 1, 4]), input('f32', [1, 1, 2]), input('f32', [1])], { strides: [1], pads: [1, 0], dilations: [1], group: 1, hasBias: true }),
    expect: ([x, w, bias]) => { const v = toNumbers(x!), k = toNumbers(w!); return [0, 1, 2, 3].map((o) => f32(toNumbers(bias!)[0]! + k[0]! * (v[o - 1] ?? 0) + k[1]! * v[o]!)); },
  },
  conv_transpose: {
    build: (b, input) => b.op('conv_transpose', [input('f32', [1, 1, 3]), input('f32', [1, 2, 2])], { strides: [2], pads: [0, 1], dilations: [1], group: 1, outputPadding: [0], hasBias: false }),
    expect: ([x, w]) => {
      const out = new Array<number>(10).fill(0);
      for (let m = 0; m < 2; m++) for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) if (2 * i + k < 5) out[m * 5 + 2 * i + k]! += toNumbers(x!)[i]! * toNumbers(w!)[m * 2 + k]!;
      return out.map(f32);
    },
  },
  pool: {
    build: (b, input) => b.op('pool', [input('f32', [1, 2, 5])], { kind: 'avg', kernel: [3], strides: [2], pads: [1, 1], dilations: [1], ceilMode: false, countIncludePad: false, storageOrder: 0 }),
    expect: ([x]) => [0, 1].flatMap((c) => [0, 1, 2].map((o) => { const taps = [2 * o - 1, 2 * o, 2 * o + 1].filter((i) => i >= 0 && i < 5).map((i) => toNumbers(x!)[c * 5 + i]!); return f32(taps.reduce((s, v) => s + v, 0) / taps.length); })),
  },
  pad: {
    build: (b, input) => b.op('pad', [input('f32', [2, 3]), input('f32', [])], { mode: 'constant', pads: dims([1, 0, -1, 2]), hasValue: true }),
    expect: ([x, fill]) => { const v = toNumbers(x!), f = toNumbers(fill!)[0]!; return [f, f, f, f, f, v[0]!, v[1]!, v[2]!, f, f]; },
  },
  resize: {
    build: (b, input) => b.op('resize', [input('f32', [1, 4])], {
      mode: 'linear', sizes: dims([1, 2]), scales: [1, 0.5], coordinateTransformation: 'half_pixel', nearestMode: 'round_prefer_floor',
      cubicCoeffA: -0.75, excludeOutside: false, extrapolationValue: 0, antialias: false, roi: [0, 0, 1, 1],
    }),
    expect: ([x]) => { const v = toNumbers(x!); return [f32((v[0]! + v[1]!) / 2), f32((v[2]! + v[3]!) / 2)]; },
  },
  // [attention-family cases]
  // [quant-rnn-family cases]
  quantize: {
    // per-axis along axis 1: clamp(round_half_even(f32(x / s)) + zp, 0, 255)
    build: (b, input) => b.op('quantize', [input('f32', [2, 3]), b.constant(tensor('f32', [3], [0.01, 0.02, 0.5])), input('u8', [3])], { axis: 1, blockSize: 0, to: 'u8', saturate: true, hasZeroPoint: true, precision: 'f32' }),
    expect: ([x, z]) => toNumbers(x!).map((v, i) => {
      const q = f32(v / [0.01, 0.02, 0.5].map(f32)[i % 3]!);
      const fl = Math.floor(q);
      const r = q - fl > 0.5 || (q - fl === 0.5 && fl % 2 !== 0) ? fl + 1 : fl;
      return Math.min(255, Math.max(0, r + toNumbers(z!)[i % 3]!));
    }),
  },
  dequantize: {
    build: (b, input) => b.op('dequantize', [input('u8', [2, 3]), b.constant(tensor('f32', [], [0.25])), input('u8', [])], { axis: 0, blockSize: 0, to: 'f32', hasZeroPoint: true }),
    expect: ([x, z]) => toNumbers(x!).map((v) => (v - toNumbers(z!)[0]!) * 0.25),
  },
  rnn: {
    // a one-unit tanh RNN over two steps: h1 = tanh(x0·w), h2 = tanh(x1·w + h1·r)
    build: (b, input) => b.op('rnn', [input('f32', [2, 1, 1]), input('f32', [1, 1, 1]), input('f32', [1, 1, 1])], {
      cell: 'rnn', hiddenSize: 1, direction: 'forward', activations: ['Tanh'], activationAlpha: [0], activationBeta: [0],
      clip: undefined, linearBeforeReset: false, inputForget: false, layout: 0, inputs: [], output: 'Y',
    }),
    expect: ([x, w, r]) => {
      const [x0, x1] = toNumbers(x!), [wv] = toNumbers(w!), [rv] = toNumbers(r!);
      const h1 = f32(Math.tanh(x0! * wv!));
      return [h1, f32(Math.tanh(x1! * wv! + h1 * rv!))];
    },
  },
  dim_values: {
    build: (b, input) => b.op('mul', [b.op('dim_values', [], { values: [input('f32', [3, 4]).shape[1]!, constDim(7)], scalar: false }), b.constant(tensor('i64', [2], [2, 3]))], {}),
    expect: () => [8, 21],
  },
  iota: { build: (b) => b.op('iota', [], { count: constDim(5), dtype: 'f32' }), expect: () => [0, 1, 2, 3, 4] },
  kv_attention: {
    // A first token into an empty cache attends over itself only: every query head gets its v row.
    build: (b, input) => b.op('kv_attention', [input('f32', [2, 1, 3]), input('f32', [1, 1, 3]), input('f32', [1, 1, 3])], { sink: 1, window: 4, scale: undefined, state: 'kv' }),
    expect: ([, , v]) => [...toNumbers(v!), ...toNumbers(v!)],
  },
  attention: {
    build: (b, input) => b.op('attention', [input('f32', [2, 1, 2]), input('f32', [1, 2, 2]), input('f32', [1, 2, 2])], { causal: false, scale: 0.5, hasMask: false }),
    expect: ([q, k, v]) => {
      const qv = toNumbers(q!), kv = toNumbers(k!), vv = toNumbers(v!);
      const out: number[] = [];
      for (let h = 0; h < 2; h++) {
        const s = [0, 1].map((j) => 0.5 * (qv[h * 2]! * kv[j * 2]! + qv[h * 2 + 1]! * kv[j * 2 + 1]!));
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e[0]! + e[1]!;
        for (let d = 0; d < 2; d++) out.push(f32((e[0]! * vv[d]! + e[1]! * vv[2 + d]!) / z));
      }
      return out;
    },
  },
};

describe('the op registry', () => {
  const kinds = Object.keys(OP_INFO) as OpKind[];
  it('has reference semantics for every non-source op, and a case here for each', () => {
    const computing = kinds.filter((k) => OP_INFO[k].category !== 'source');
    expect(computing.filter((k) => !OP_INFO[k].evaluate)).toEqual([]);
    expect(computing.filter((k) => !CASES[k])).toEqual([]);
  });

  for (const [op, c] of Object.entries(CASES) as [OpKind, Case][]) {
    it(`${op}: inference and reference semantics agree`, () => {
      const b = new GraphBuilder(op);
      const given = new Map<string, Tensor>();
      const input = (dtype: DType, shape: number[]): Node => {
        const name = `x${given.size}`;
        given.set(name, randomTensor(dtype, shape, 100 + given.size));
        return b.input(name, dtype, dims(shape));
      };
      b.output('y', c.build(b, input));
      const { graph, diagnostics } = b.finish();
      expect(diagnostics).toEqual([]);
      const y = interpret(graph!, given).outputs.get('y')!;
      if (c.expect) {
        const expected = c.expect([...given.values()]);
        const actual = toNumbers(y);
        expect(actual.length).toBe(expected.length);
        actual.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected[i]!))));
      }
    });
  }
});
