// The elementwise, comparison, logic, activation and matmul converters: each ONNX op is
// imported from a one-node model, run on the interpreter, and checked against values computed
// here from the ONNX definitions (hand-computed cases, and identities on seeded random data of
// awkward sizes). Shape values must stay dims, and bad attributes and inputs must be refused
// with a diagnostic at the node.

import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../../../compiler/diagnostics/diagnostic.js';
import { importOnnx } from '../../../../../compiler/import/onnx/index.js';
import { onnx, type AttributeProto } from '../../../../../compiler/import/onnx/proto.js';
import { DTYPES, type DType } from '../../../../../compiler/ir/dtype.js';
import type { Graph } from '../../../../../compiler/ir/graph.js';
import { erf } from '../../../../../compiler/interpret/kernels/elementwise.js';
import { interpret } from '../../../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../../helpers/close.js';
import { modelProto, type ModelSpec, type NodeSpec } from '../../../../helpers/onnx-model.js';
import { randomTensor } from '../../../../helpers/random.js';

const f32 = Math.fround;

interface OneNode {
  readonly op: string;
  /** Graph inputs in node order; '' leaves an optional input out. */
  readonly inputs: readonly (readonly [string, Tensor] | '')[];
  readonly attrs?: NodeSpec['attrs'];
  /** Attributes that must be FLOAT even when their value is a whole number. */
  readonly floats?: Readonly<Record<string, number>>;
  readonly opset?: number;
  /** Graph inputs with symbolic dims: name → dim names (the data binds them). */
  readonly symbolic?: Readonly<Record<string, readonly (string | number)[]>>;
  /** Inputs that become initializers (constants) instead of graph inputs. */
  readonly constants?: readonly string[];
}

function spec(c: OneNode, nodes?: readonly NodeSpec[]): ModelSpec {
  const given = c.inputs.filter((i): i is readonly [string, Tensor] => i !== '');
  const isConstant = (name: string): boolean => (c.constants ?? []).includes(name);
  return {
    opset: c.opset ?? 21,
    nodes: nodes ?? [{ op: c.op, name: 'n', inputs: c.inputs.map((i) => (i === '' ? '' : i[0])), outputs: ['y'], attrs: c.attrs }],
    inputs: given.filter(([n]) => !isConstant(n)).map(([name, t]) => ({ name, elemType: DTYPES[t.dtype].onnx, shape: c.symbolic?.[name] ?? t.shape })),
    initializers: Object.fromEntries(given.filter(([n]) => isConstant(n))),
    outputs: [{ name: 'y', elemType: 0 }],
  };
}

function encode(s: ModelSpec, floats: Readonly<Record<string, number>> = {}): Uint8Array {
  const proto = modelProto(s);
  const T = onnx.AttributeProto.AttributeType;
  for (const node of proto.graph!.node!) {
    for (const [name, f] of Object.entries(floats)) node.attribute = [...(node.attribute ?? []).filter((a: AttributeProto) => a.name !== name), { name, type: T.FLOAT, f }];
  }
  return onnx.ModelProto.encode(proto).finish();
}

function importOne(c: OneNode, nodes?: readonly NodeSpec[]): { graph: Graph | undefined; diagnostics: Diagnostic[] } {
  return importOnnx(encode(spec(c, nodes), c.floats), 'm.onnx');
}

/** Imports and runs the model; returns output y. */
function run(c: OneNode, nodes?: readonly NodeSpec[]): Tensor {
  const { graph, diagnostics } = importOne(c, nodes);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  const feeds = new Map(c.inputs.filter((i): i is readonly [string, Tensor] => i !== '' && !(c.constants ?? []).includes(i[0])).map(([n, t]) => [n, t]));
  return interpret(graph!, feeds).outputs.get('y')!;
}

/** The first error's code and message when importing. */
function refusal(c: OneNode): { code: number; message: string } {
  const { graph, diagnostics } = importOne(c);
  expect(graph).toBeUndefined();
  const d = diagnostics.find((x) => x.severity === 'error')!;
  return { code: d.code, message: d.message };
}

const t = (dtype: DType, shape: number[], values: number[]): Tensor => tensor(dtype, shape, values);
const v = (values: number[], dtype: DType = 'f32'): Tensor => t(dtype, [values.length], values);

describe('unary ops', () => {
  const cases: [string, (x: number) => number][] = [
    ['Abs', Math.abs], ['Neg', (x) => -x], ['Exp', Math.exp], ['Tanh', Math.tanh], ['Erf', erf],
    ['Sigmoid', (x) => 1 / (1 + Math.exp(-x))], ['Relu', (x) => Math.max(0, x)], ['Sign', Math.sign],
    ['Floor', Math.floor], ['Ceil', Math.ceil], ['Sin', Math.sin], ['Cos', Math.cos], ['Reciprocal', (x) => 1 / x],
  ];
  for (const [op, f] of cases) {
    it(`${op} on [7, 129]`, () => {
      const x = randomTensor('f32', [7, 129], 11);
      const y = run({ op, inputs: [['x', x]] });
      expect(y.shape).toEqual([7, 129]);
      expectClose(y, toNumbers(x).map((a) => f32(f(a))), 1e-7, 1e-6);
    });
  }

  it('Log and Sqrt of positive values, Round half to even, Not', () => {
    expectClose(run({ op: 'Log', inputs: [['x', v([1, Math.E, 0.5])]] }), [0, 1, f32(Math.log(0.5))], 1e-7);
    expect(toNumbers(run({ op: 'Sqrt', inputs: [['x', v([4, 0.25, 2])]] }))).toEqual([2, 0.5, f32(Math.SQRT2)]);
    expect(toNumbers(run({ op: 'Round', inputs: [['x', v([0.5, 1.5, 2.5, -0.5, -2.5, 2.4])]] }))).toEqual([0, 2, 2, -0, -2, 2]);
    expect(toNumbers(run({ op: 'Not', inputs: [['x', v([1, 0, 1], 'bool')]] }))).toEqual([0, 1, 0]);
  });

  it('Abs, Neg and Relu on integers', () => {
    expect(toNumbers(run({ op: 'Abs', inputs: [['x', v([-3, 0, 7], 'i32')]] }))).toEqual([3, 0, 7]);
    expect(toNumbers(run({ op: 'Neg', inputs: [['x', v([-3, 0, 7], 'i64')]] }))).toEqual([3, 0, -7]);
    expect(toNumbers(run({ op: 'Relu', inputs: [['x', v([-3, 0, 7], 'i8')]] }))).toEqual([0, 0, 7]);
  });
});

describe('binary arithmetic', () => {
  it('Add, Sub, Mul and Div broadcast like NumPy', () => {
    const a = randomTensor('f32', [7, 1, 3], 1), b = randomTensor('f32', [129, 1], 2);
    const av = toNumbers(a), bv = toNumbers(b);
    const ops: [string, (x: number, y: number) => number][] = [['Add', (x, y) => x + y], ['Sub', (x, y) => x - y], ['Mul', (x, y) => x * y], ['Div', (x, y) => x / y]];
    for (const [op, f] of ops) {
      const y = run({ op, inputs: [['a', a], ['b', b]] });
      expect(y.shape).toEqual([7, 129, 3]);
      const expected: number[] = [];
      for (let i = 0; i < 7; i++) for (let j = 0; j < 129; j++) for (let k = 0; k < 3; k++) expected.push(f32(f(av[i * 3 + k]!, bv[j]!)));
      expect(toNumbers(y)).toEqual(expected);
    }
  });

  it('integer Div truncates toward zero, and integer Add wraps', () => {
    expect(toNumbers(run({ op: 'Div', inputs: [['a', v([-3, 3, -3, 3, 7], 'i32')], ['b', v([2, 2, -2, -2, 7], 'i32')]] }))).toEqual([-1, 1, 1, -1, 1]);
    expect(toNumbers(run({ op: 'Add', inputs: [['a', v([127, -128], 'i8')], ['b', v([1, -1], 'i8')]] }))).toEqual([-128, 127]);
  });

  it('before opset 7, broadcast=1 with axis places the second operand at that axis', () => {
    const a = randomTensor('f32', [2, 3, 4], 3), b = v([10, 20, 30]);
    const y = run({ op: 'Add', opset: 6, inputs: [['a', a], ['b', b]], attrs: { broadcast: 1, axis: 1 } });
    const av = toNumbers(a);
    expect(toNumbers(y)).toEqual(av.map((x, i) => f32(x + [10, 20, 30][Math.floor(i / 4) % 3]!)));
    const r = refusal({ op: 'Mul', opset: 6, inputs: [['a', a], ['b', b]] });
    expect(r.code).toBe(3015);
    expect(r.message).toContain('broadcast=1');
  });
});

describe('Mod', () => {
  const a = [-7, 7, -7, 7, 6, -6, 0, 5];
  const b = [3, 3, -3, -3, 3, -3, 4, 0];

  it('fmod=0 on integers is Python\'s remainder (sign of the divisor)', () => {
    for (const dtype of ['i32', 'i64', 'i8'] as const) {
      const y = run({ op: 'Mod', inputs: [['a', v(a, dtype)], ['b', v(b, dtype)]] });
      expect(toNumbers(y)).toEqual([2, 1, -1, -2, 0, 0, 0, 0]);
    }
  });

  it('fmod=1 is C\'s fmod (sign of the dividend), on integers and floats', () => {
    expect(toNumbers(run({ op: 'Mod', attrs: { fmod: 1 }, inputs: [['a', v(a, 'i32')], ['b', v(b, 'i32')]] }))).toEqual([-1, 1, -1, 1, 0, 0, 0, 0]);
    const y = run({ op: 'Mod', attrs: { fmod: 1 }, inputs: [['a', v([-7.5, 7.5, 5.25])], ['b', v([2, -2, 0.5])]] });
    expect(toNumbers(y)).toEqual([-1.5, 1.5, 0.25]);
  });

  it('on random integers of awkward sizes: a = b·q + r with |r| < |b| and r of b\'s sign', () => {
    for (const n of [1, 7, 129]) {
      const x = randomTensor('i32', [n], 20 + n);
      const d = tensor('i32', [n], toNumbers(randomTensor('i32', [n], 40 + n)).map((k) => (k === 0 ? 1 : k)));
      const r = toNumbers(run({ op: 'Mod', inputs: [['a', x], ['b', d]] }));
      const xv = toNumbers(x), dv = toNumbers(d);
      r.forEach((ri, i) => {
        expect(Math.abs(ri)).toBeLessThan(Math.abs(dv[i]!));
        expect(ri === 0 || Math.sign(ri) === Math.sign(dv[i]!)).toBe(true);
        expect(Number.isInteger((xv[i]! - ri) / dv[i]!)).toBe(true);
      });
    }
  });

  it('refuses fmod=0 on floats and an fmod other than 0 or 1', () => {
    expect(refusal({ op: 'Mod', inputs: [['a', v([1])], ['b', v([2])]] }).code).toBe(3004);
    expect(refusal({ op: 'Mod', attrs: { fmod: 2 }, inputs: [['a', v([1], 'i32')], ['b', v([2], 'i32')]] }).message).toContain('fmod must be 0 or 1');
  });
});

describe('Pow', () => {
  it('on floats, with a scalar exponent', () => {
    const y = run({ op: 'Pow', inputs: [['x', v([2, 3, 0.5, -2])], ['e', t('f32', [], [2])]] });
    expect(toNumbers(y)).toEqual([4, 9, 0.25, 4]);
  });

  it('the result has the base\'s dtype whatever the exponent\'s', () => {
    const y1 = run({ op: 'Pow', inputs: [['x', v([2, 3, -1.5])], ['e', v([3, -1, 2], 'i64')]] });
    expect(y1.dtype).toBe('f32');
    expect(toNumbers(y1)).toEqual([8, f32(1 / 3), 2.25]);
    // An integer base with a fractional exponent computes in floats, then truncates.
    const y2 = run({ op: 'Pow', inputs: [['x', v([4, 2, 3, 10], 'i32')], ['e', v([0.5, 3, 1.5, 2])]] });
    expect(y2.dtype).toBe('i32');
    expect(toNumbers(y2)).toEqual([2, 8, Math.trunc(3 ** 1.5), 100]);
    // A narrow integer base with a wide exponent wraps like the base's dtype.
    const y3 = run({ op: 'Pow', inputs: [['x', v([2, 3, -2], 'i8')], ['e', v([7, 5, 3], 'i64')]] });
    expect(y3.dtype).toBe('i8');
    expect(toNumbers(y3)).toEqual([-128, (3 ** 5) - 256, -8]);
  });

  it('a constant exponent whose values fit the base\'s dtype is cast to it (no wide detour)', () => {
    const c: OneNode = { op: 'Pow', inputs: [['x', v([2, 3, 5], 'i32')], ['e', v([2, 3, 0])]], constants: ['e'] };
    const { graph } = importOne(c);
    const ops = new Set<string>();
    const visit = (n: Graph['outputs'][number]['node']): void => { ops.add(`${n.op}:${n.dtype}`); n.src.forEach(visit); };
    visit(graph!.outputs[0]!.node);
    expect([...ops].some((o) => o.endsWith(':f64'))).toBe(false);
    expect(toNumbers(run(c))).toEqual([4, 27, 1]);
  });
});

describe('variadic Max, Min, Sum, Mean', () => {
  const a = randomTensor('f32', [7, 1], 5), b = randomTensor('f32', [129], 6), c = randomTensor('f32', [1, 129], 7);
  const folds: [string, (xs: number[]) => number][] = [
    ['Max', (xs) => Math.max(...xs)], ['Min', (xs) => Math.min(...xs)],
    ['Sum', (xs) => f32(f32(xs[0]! + xs[1]!) + xs[2]!)], ['Mean', (xs) => f32(f32(f32(xs[0]! + xs[1]!) + xs[2]!) / 3)],
  ];
  for (const [op, f] of folds) {
    it(`${op} of three broadcast inputs`, () => {
      const y = run({ op, inputs: [['a', a], ['b', b], ['c', c]] });
      expect(y.shape).toEqual([7, 129]);
      const av = toNumbers(a), bv = toNumbers(b), cv = toNumbers(c);
      const expected: number[] = [];
      for (let i = 0; i < 7; i++) for (let j = 0; j < 129; j++) expected.push(f([av[i]!, bv[j]!, cv[j]!]));
      expect(toNumbers(y)).toEqual(expected);
    });
  }

  it('one input is returned as is; Max and Min propagate NaN and work on integers', () => {
    for (const op of ['Max', 'Min', 'Sum', 'Mean']) expect(toNumbers(run({ op, inputs: [['a', v([1, -2, 3])]] }))).toEqual([1, -2, 3]);
    expect(toNumbers(run({ op: 'Max', inputs: [['a', v([1, NaN])], ['b', v([NaN, 2])]] }))).toEqual([NaN, NaN]);
    expect(toNumbers(run({ op: 'Min', inputs: [['a', v([5, -9], 'i64')], ['b', v([3, 4], 'i64')]] }))).toEqual([3, -9]);
  });
});

describe('comparisons, logic and Where', () => {
  const a = v([1, 2, 3, NaN]), b = v([2, 2, 2, 2]);
  it('compares elementwise (NaN compares false)', () => {
    const cmp = (op: string): number[] => toNumbers(run({ op, inputs: [['a', a], ['b', b]] }));
    expect(cmp('Equal')).toEqual([0, 1, 0, 0]);
    expect(cmp('Greater')).toEqual([0, 0, 1, 0]);
    expect(cmp('GreaterOrEqual')).toEqual([0, 1, 1, 0]);
    expect(cmp('Less')).toEqual([1, 0, 0, 0]);
    expect(cmp('LessOrEqual')).toEqual([1, 1, 0, 0]);
    expect(run({ op: 'Less', inputs: [['a', a], ['b', b]] }).dtype).toBe('bool');
  });

  it('And, Or, Xor on bools, with broadcasting; Equal on bools', () => {
    const p = t('bool', [2, 1], [1, 0]), q = v([1, 0], 'bool');
    expect(toNumbers(run({ op: 'And', inputs: [['p', p], ['q', q]] }))).toEqual([1, 0, 0, 0]);
    expect(toNumbers(run({ op: 'Or', inputs: [['p', p], ['q', q]] }))).toEqual([1, 1, 1, 0]);
    expect(toNumbers(run({ op: 'Xor', inputs: [['p', p], ['q', q]] }))).toEqual([0, 1, 1, 0]);
    expect(toNumbers(run({ op: 'Equal', inputs: [['p', p], ['q', q]] }))).toEqual([1, 0, 0, 1]);
  });

  it('Where picks with three-way broadcasting', () => {
    const y = run({ op: 'Where', inputs: [['c', t('bool', [2, 1], [1, 0])], ['x', v([1, 2, 3], 'i64')], ['z', t('i64', [], [-1])]] });
    expect(y.shape).toEqual([2, 3]);
    expect(toNumbers(y)).toEqual([1, 2, 3, -1, -1, -1]);
  });
});

describe('Clip', () => {
  const x = v([-3, -1, 0, 1, 3, NaN]);
  const s = (n: number, dtype: DType = 'f32'): Tensor => t(dtype, [], [n]);
  it('clamps to the bounds given as inputs; either may be left out', () => {
    expect(toNumbers(run({ op: 'Clip', inputs: [['x', x], ['lo', s(-1)], ['hi', s(2)]] }))).toEqual([-1, -1, 0, 1, 2, NaN]);
    expect(toNumbers(run({ op: 'Clip', inputs: [['x', x], '', ['hi', s(0.5)]] }))).toEqual([-3, -1, 0, 0.5, 0.5, NaN]);
    expect(toNumbers(run({ op: 'Clip', inputs: [['x', x], ['lo', s(0.5)]] }))).toEqual([0.5, 0.5, 0.5, 1, 3, NaN]);
    expect(toNumbers(run({ op: 'Clip', inputs: [['x', x]] }))).toEqual([-3, -1, 0, 1, 3, NaN]);
  });

  it('gives max everywhere when min > max, and works on integers', () => {
    expect(toNumbers(run({ op: 'Clip', inputs: [['x', x], ['lo', s(2)], ['hi', s(1)]] }))).toEqual([1, 1, 1, 1, 1, NaN]);
    expect(toNumbers(run({ op: 'Clip', inputs: [['x', v([-100, 5, 100], 'i8')], ['lo', s(-10, 'i8')], ['hi', s(10, 'i8')]] }))).toEqual([-10, 5, 10]);
  });

  it('reads a one-element bound as a scalar, and refuses a longer one', () => {
    const y = run({ op: 'Clip', inputs: [['x', t('f32', [], [5])], ['lo', v([0])], ['hi', v([1])]] });
    expect(y.shape).toEqual([]);
    expect(toNumbers(y)).toEqual([1]);
    expect(refusal({ op: 'Clip', inputs: [['x', x], ['lo', v([0, 1])]] }).code).toBe(3015);
  });

  it('before opset 11 the bounds are attributes defaulting to ∓ the largest f32', () => {
    const inf = v([-Infinity, -2, 2, Infinity]);
    expect(toNumbers(run({ op: 'Clip', opset: 6, inputs: [['x', inf]], attrs: { min: -1.5 } }))).toEqual([-1.5, -1.5, 2, 3.4028234663852886e38]);
    expect(toNumbers(run({ op: 'Clip', opset: 6, inputs: [['x', inf]] }))).toEqual([-3.4028234663852886e38, -2, 2, 3.4028234663852886e38]);
  });
});

describe('activations', () => {
  const x = randomTensor('f32', [129], 9);
  const xs = toNumbers(x).map((a) => a * 4);
  const wide = tensor('f32', [129], xs);
  const check = (op: string, f: (a: number) => number, extra: Partial<OneNode> = {}): void => {
    expectClose(run({ op, inputs: [['x', wide]], ...extra }), xs.map((a) => f32(f(a))), 1e-6, 1e-5);
  };

  it('LeakyRelu, Elu, Selu, Celu, ThresholdedRelu with defaults and given attributes', () => {
    check('LeakyRelu', (a) => (a < 0 ? 0.01 * a : a));
    check('LeakyRelu', (a) => (a < 0 ? 0.25 * a : a), { attrs: { alpha: 0.25 } });
    check('Elu', (a) => (a < 0 ? Math.exp(a) - 1 : a));
    check('Elu', (a) => (a < 0 ? 0.5 * (Math.exp(a) - 1) : a), { attrs: { alpha: 0.5 } });
    const alpha = 1.67326319217681884765625, gamma = 1.05070102214813232421875;
    check('Selu', (a) => gamma * (a > 0 ? a : alpha * Math.exp(a) - alpha));
    check('Celu', (a) => Math.max(0, a) + Math.min(0, Math.exp(a) - 1));
    check('Celu', (a) => Math.max(0, a) + Math.min(0, 1.5 * (Math.exp(a / 1.5) - 1)), { attrs: { alpha: 1.5 } });
    check('ThresholdedRelu', (a) => (a > 1 ? a : 0));
    check('ThresholdedRelu', (a) => (a > 0.5 ? a : 0), { attrs: { alpha: 0.5 } });
  });

  it('HardSigmoid, HardSwish, Softsign, Softplus', () => {
    check('HardSigmoid', (a) => Math.max(0, Math.min(1, 0.2 * a + 0.5)));
    check('HardSigmoid', (a) => Math.max(0, Math.min(1, 0.25 * a + 0.25)), { attrs: { alpha: 0.25, beta: 0.25 } });
    check('HardSwish', (a) => a * Math.max(0, Math.min(1, a / 6 + 0.5)));
    check('Softsign', (a) => a / (1 + Math.abs(a)));
    check('Softplus', (a) => Math.log(Math.exp(a) + 1));
  });

  it('Softplus does not overflow: softplus(x) - softplus(-x) = x', () => {
    const big = v([-200, -100, 100, 200, 1e30]);
    expect(toNumbers(run({ op: 'Softplus', inputs: [['x', big]] }))).toEqual([0, 0, 100, 200, f32(1e30)]);
    const p = toNumbers(run({ op: 'Softplus', inputs: [['x', x]] }));
    const n = toNumbers(run({ op: 'Softplus', inputs: [['x', tensor('f32', [129], toNumbers(x).map((a) => -a))]] }));
    expectClose(p.map((a, i) => a - n[i]!), toNumbers(x), 1e-6);
  });

  it('PRelu with a slope broadcast per channel', () => {
    const data = randomTensor('f32', [2, 3, 7], 10), slope = t('f32', [3, 1], [0.1, 0.2, 0.3]);
    const y = run({ op: 'PRelu', inputs: [['x', data], ['s', slope]] });
    expect(toNumbers(y)).toEqual(toNumbers(data).map((a, i) => (a < 0 ? f32(a * [0.1, 0.2, 0.3].map(f32)[Math.floor(i / 7) % 3]!) : a)));
    expect(refusal({ op: 'PRelu', inputs: [['x', v([1, 2])], ['s', t('f32', [2, 2], [1, 1, 1, 1])]] }).code).toBe(3015);
  });

  it('Gelu exact and tanh-approximated', () => {
    check('Gelu', (a) => 0.5 * a * (1 + erf(a / Math.SQRT2)));
    check('Gelu', (a) => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3))), { attrs: { approximate: 'tanh' } });
    expect(refusal({ op: 'Gelu', inputs: [['x', x]], attrs: { approximate: 'sigmoid' } }).code).toBe(3016);
    // Gelu arrived in opset 20: an older model naming it uses an op sluice does not know.
    expect(refusal({ op: 'Gelu', opset: 18, inputs: [['x', x]] }).code).toBe(3002);
  });

  it('refuses integer inputs where the definition has float parameters', () => {
    const r = refusal({ op: 'LeakyRelu', inputs: [['x', v([1, -1], 'i32')]] });
    expect(r.code).toBe(3015);
    expect(r.message).toBe('LeakyRelu needs a floating-point input, got i32');
  });
});

describe('MatMul and Gemm', () => {
  /** Plain row-major product of [m, k] and [k, n]. */
  function product(a: number[], b: number[], m: number, k: number, n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      out.push(s);
    }
    return out;
  }
  const transpose = (a: number[], r: number, c: number): number[] => Array.from({ length: r * c }, (_, i) => a[(i % r) * c + Math.floor(i / r)]!);

  it('MatMul of rank-1 and batched operands', () => {
    expect(toNumbers(run({ op: 'MatMul', inputs: [['a', v([1, 2, 3])], ['b', v([4, 5, 6])]] }))).toEqual([32]);
    const a = randomTensor('f32', [2, 1, 7, 3], 12), b = randomTensor('f32', [5, 3, 1], 13);
    const y = run({ op: 'MatMul', inputs: [['a', a], ['b', b]] });
    expect(y.shape).toEqual([2, 5, 7, 1]);
    const av = toNumbers(a), bv = toNumbers(b);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 5; j++) expected.push(...product(av.slice(i * 21, i * 21 + 21), bv.slice(j * 3, j * 3 + 3), 7, 3, 1).map(f32));
    expectClose(y, expected, 1e-6);
  });

  it('Gemm with transposes, alpha, beta and a broadcast C', () => {
    const [m, k, n] = [7, 3, 129];
    const a = randomTensor('f32', [k, m], 14), b = randomTensor('f32', [n, k], 15), c = randomTensor('f32', [n], 16);
    const y = run({ op: 'Gemm', inputs: [['a', a], ['b', b], ['c', c]], attrs: { transA: 1, transB: 1, alpha: 0.5, beta: 0.25 } });
    expect(y.shape).toEqual([m, n]);
    const ab = product(transpose(toNumbers(a), k, m), transpose(toNumbers(b), n, k), m, k, n);
    expectClose(y, ab.map((s, i) => 0.5 * f32(s) + 0.25 * toNumbers(c)[i % n]!), 1e-6, 1e-6);
  });

  it('Gemm without C, and with beta = 0 (C is not read: its NaN does not leak)', () => {
    const a = t('f32', [1, 2], [1, 2]), b = t('f32', [2, 2], [3, 4, 5, 6]);
    expect(toNumbers(run({ op: 'Gemm', inputs: [['a', a], ['b', b]] }))).toEqual([13, 16]);
    expect(toNumbers(run({ op: 'Gemm', inputs: [['a', a], ['b', b], ['c', v([NaN, 1])]], floats: { beta: 0 } }))).toEqual([13, 16]);
    expect(toNumbers(run({ op: 'Gemm', inputs: [['a', a], ['b', b], ['c', t('f32', [], [1])]], floats: { alpha: 2 } }))).toEqual([27, 33]);
  });

  it('integer Gemm with a fractional alpha scales before truncating', () => {
    const a = t('i32', [1, 2], [1, 2]), b = t('i32', [2, 1], [3, 4]);
    expect(toNumbers(run({ op: 'Gemm', inputs: [['a', a], ['b', b], ['c', t('i32', [1, 1], [1])]], attrs: { alpha: 0.5, beta: 2.5 } }))).toEqual([Math.trunc(11 * 0.5 + 2.5)]);
  });

  it('refuses a C that does not broadcast to [M, N] and operands of rank other than 2', () => {
    expect(refusal({ op: 'Gemm', inputs: [['a', t('f32', [2, 2], [1, 2, 3, 4])], ['b', t('f32', [2, 3], [1, 2, 3, 4, 5, 6])], ['c', v([1, 2])]] }).code).toBe(3015);
    expect(refusal({ op: 'Gemm', inputs: [['a', v([1, 2])], ['b', t('f32', [2, 1], [1, 2])]] }).code).toBe(3015);
  });
});

describe('shape values stay dims', () => {
  const shapeOf = (extra: NodeSpec[]): NodeSpec[] => [
    { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'], attrs: { axis: 0 } },
    ...extra,
  ];

  it('Mul and Div on a symbolic dim fold into a Reshape target', () => {
    const x = randomTensor('f32', [6, 4], 17);
    const c: OneNode = { op: 'Reshape', inputs: [['x', x], ['i0', t('i64', [1], [0])], ['two', t('i64', [1], [2])], ['four', t('i64', [1], [4])]], symbolic: { x: ['N', 4] }, constants: ['i0', 'two', 'four'] };
    const nodes = shapeOf([
      { op: 'Mul', inputs: ['n', 'two'], outputs: ['n2'] },
      { op: 'Div', inputs: ['four', 'two'], outputs: ['half'] },
      { op: 'Concat', inputs: ['n2', 'half'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
    ]);
    const { graph } = importOne(c, nodes);
    const y = graph!.outputs[0]!.node;
    expect(y.op).toBe('reshape');
    expect(y.shape.map((d) => d.key)).toEqual(['2*N', '2']);
    const out = run(c, nodes);
    expect(out.shape).toEqual([12, 2]);
    expect(toNumbers(out)).toEqual(toNumbers(x));
  });

  it('Equal on dims folds to a constant', () => {
    const x = randomTensor('f32', [3, 4], 18);
    const c: OneNode = { op: 'Equal', inputs: [['x', x], ['i0', t('i64', [1], [0])]], symbolic: { x: ['N', 4] }, constants: ['i0'] };
    const eq = importOne(c, shapeOf([{ op: 'Equal', inputs: ['n', 'n'], outputs: ['y'] }]));
    const y = eq.graph!.outputs[0]!.node;
    expect(y.op).toBe('constant');
    expect(y.dtype).toBe('bool');
  });

  it('arithmetic on i32 shape values keeps the i32 dtype', () => {
    const c: OneNode = { op: 'Sub', inputs: [['a', v([7, 9], 'i32')], ['b', v([2, 4], 'i32')]], constants: ['a', 'b'] };
    const y = run(c);
    expect(y.dtype).toBe('i32');
    expect(toNumbers(y)).toEqual([5, 5]);
  });
});
