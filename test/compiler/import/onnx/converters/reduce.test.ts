// The reduction, arg-reduction, softmax, scan, selection and contraction converters: each ONNX
// op is imported from a one-node model, run on the interpreter, and checked against values
// computed here from the ONNX definitions (by hand, and naively on seeded random data of
// awkward sizes), for each opset form of its attributes and inputs. Bad attributes and inputs
// are refused with a diagnostic at the node.

import { describe, expect, it } from 'vitest';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import type { DType } from '../../../../../compiler/ir/dtype.js';
import { expectClose } from '../../../../helpers/close.js';
import { importOneNode, refusal, runOneNode, runY, type OneNode } from '../../../../helpers/onnx-one-node.js';
import { randomTensor } from '../../../../helpers/random.js';

const f32 = Math.fround;
const t = (dtype: DType, shape: number[], values: ArrayLike<number> | ArrayLike<bigint>): Tensor => tensor(dtype, shape, values as ArrayLike<number>);
const axesInput = (axes: number[]): readonly [string, Tensor] => ['axes', t('i64', [axes.length], axes)];

/** For each output element (row-major, reduced axes kept as 1), the values reduced into it. */
function groups(x: Tensor, axes: readonly number[]): number[][] {
  const shape = x.shape;
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = Array.from({ length: kept.reduce((a, b) => a * b, 1) }, () => [] as number[]);
  toNumbers(x).forEach((v, p) => {
    let rem = p, flat = 0, scale = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const i = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
      flat += (axes.includes(d) ? 0 : i) * scale;
      scale *= kept[d]!;
    }
    out[flat]!.push(v);
  });
  return out;
}

const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);

describe('Reduce*', () => {
  const x = randomTensor('f32', [7, 1, 129], 1);
  const positive = tensor('f32', [7, 1, 129], toNumbers(x).map((v) => v + 1.5));
  const nearOne = tensor('f32', [7, 1, 129], toNumbers(x).map((v) => 1 + v / 8));
  const kinds: [string, (v: number[]) => number, Tensor][] = [
    ['ReduceSum', sum, x],
    ['ReduceMean', (v) => sum(v) / v.length, x],
    ['ReduceMax', (v) => Math.max(...v), x],
    ['ReduceMin', (v) => Math.min(...v), x],
    ['ReduceProd', (v) => v.reduce((a, b) => a * b, 1), nearOne],
    ['ReduceL1', (v) => sum(v.map(Math.abs)), x],
    ['ReduceL2', (v) => Math.sqrt(sum(v.map((u) => u * u))), x],
    ['ReduceLogSum', (v) => Math.log(sum(v)), positive],
    ['ReduceLogSumExp', (v) => Math.log(sum(v.map(Math.exp))), x],
    ['ReduceSumSquare', (v) => sum(v.map((u) => u * u)), x],
  ];
  for (const [op, f, input] of kinds) {
    it(`${op} on [7, 1, 129] over axes given as an input (opset 18) and as an attribute (opset 13)`, () => {
      const y = runY({ op, opset: 18, inputs: [['x', input], axesInput([0, -1])], constants: ['axes'] });
      expect(y.shape).toEqual([1, 1, 1]);
      expectClose(y, groups(input, [0, 2]).map(f), 1e-6, 1e-5);
      const z = op === 'ReduceSum'
        ? runY({ op, opset: 13, inputs: [['x', input], axesInput([2])], constants: ['axes'], attrs: { keepdims: 0 } })
        : runY({ op, opset: 13, inputs: [['x', input]], attrs: { axes: [2], keepdims: 0 } });
      expect(z.shape).toEqual([7, 1]);
      expectClose(z, groups(input, [2]).map(f), 1e-6, 1e-5);
    });
  }

  it('reduces every axis when none are given, and nothing with noop_with_empty_axes', () => {
    const m = t('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(toNumbers(runY({ op: 'ReduceSum', opset: 13, inputs: [['x', m]] }))).toEqual([21]);
    expect(runY({ op: 'ReduceSum', opset: 13, inputs: [['x', m]] }).shape).toEqual([1, 1]);
    expect(runY({ op: 'ReduceMax', opset: 18, inputs: [['x', m], axesInput([])], constants: ['axes'], attrs: { keepdims: 0 } }).shape).toEqual([]);
    const same = runY({ op: 'ReduceSum', opset: 13, inputs: [['x', m], axesInput([])], constants: ['axes'], attrs: { noop_with_empty_axes: 1 } });
    expect(same.shape).toEqual([2, 3]);
    expect(toNumbers(same)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toNumbers(runY({ op: 'ReduceMean', opset: 11, inputs: [['x', m]], attrs: { axes: [1] } }))).toEqual([2, 5]);
  });

  it('gives the spec values over an empty axis', () => {
    const e = t('f32', [2, 0, 3], []);
    const over = (op: string, x: Tensor = e): number[] => toNumbers(runY({ op, opset: 18, inputs: [['x', x], axesInput([1])], constants: ['axes'] }));
    expect(over('ReduceSum')).toEqual(new Array(6).fill(0));
    expect(over('ReduceProd')).toEqual(new Array(6).fill(1));
    expect(over('ReduceL2')).toEqual(new Array(6).fill(0));
    expect(over('ReduceMax')).toEqual(new Array(6).fill(-Infinity));
    expect(over('ReduceMin')).toEqual(new Array(6).fill(Infinity));
    expect(over('ReduceLogSum')).toEqual(new Array(6).fill(-Infinity));
    expect(over('ReduceLogSumExp')).toEqual(new Array(6).fill(-Infinity));
    expect(over('ReduceMax', t('i32', [2, 0, 3], []))).toEqual(new Array(6).fill(-2147483648));
    expect(over('ReduceMin', t('u8', [2, 0, 3], []))).toEqual(new Array(6).fill(255));
    const i64 = runY({ op: 'ReduceMax', opset: 18, inputs: [['x', t('i64', [0], [])], axesInput([0])], constants: ['axes'], attrs: { keepdims: 0 } });
    expect([...(i64.data as BigInt64Array)]).toEqual([-(2n ** 63n)]);
    expect(runY({ op: 'ReduceSum', opset: 13, inputs: [['x', e], axesInput([2])], constants: ['axes'] }).shape).toEqual([2, 0, 1]);
  });

  it('ReduceMax and ReduceMin on bool (opset 20)', () => {
    const b = t('bool', [4, 2], [1, 1, 0, 1, 0, 0, 1, 0]);
    const max = runY({ op: 'ReduceMax', opset: 20, inputs: [['x', b], axesInput([1])], constants: ['axes'] });
    expect(max.dtype).toBe('bool');
    expect(toNumbers(max)).toEqual([1, 1, 0, 1]);
    expect(toNumbers(runY({ op: 'ReduceMin', opset: 20, inputs: [['x', b], axesInput([1])], constants: ['axes'] }))).toEqual([1, 0, 0, 0]);
  });

  it('ReduceLogSumExp stays finite for large inputs and gives -inf for a lane of -inf', () => {
    const big = t('f32', [2, 2], [1000, 1000, -Infinity, -Infinity]);
    const y = runY({ op: 'ReduceLogSumExp', opset: 18, inputs: [['x', big], axesInput([1])], constants: ['axes'], attrs: { keepdims: 0 } });
    expect(toNumbers(y)).toEqual([f32(1000 + Math.log(2)), -Infinity]);
    const half = runY({ op: 'ReduceLogSumExp', opset: 18, inputs: [['x', t('f16', [3], [10, 11, 12])]] });
    expect(half.dtype).toBe('f16');
    expectClose(half, [12 + Math.log(1 + Math.exp(-1) + Math.exp(-2))], 0, 1e-3);
  });

  it('integer L2 and L1 follow NumPy (the square root truncates back to the integer type)', () => {
    expect(toNumbers(runY({ op: 'ReduceL2', opset: 18, inputs: [['x', t('i32', [2, 2], [3, 4, 1, 1])], axesInput([1])], constants: ['axes'], attrs: { keepdims: 0 } }))).toEqual([5, 1]);
    expect(toNumbers(runY({ op: 'ReduceL1', opset: 18, inputs: [['x', t('i64', [3], [-3, 4, -5])]] }))).toEqual([12]);
    expect(toNumbers(runY({ op: 'ReduceMean', opset: 18, inputs: [['x', t('i32', [2], [1, 2])]] }))).toEqual([1]);
  });

  it('keeps the product of a symbolic shape a dim', () => {
    const x = randomTensor('f32', [5, 3], 2);
    const c: OneNode = {
      op: 'ReduceProd', opset: 18, inputs: [['x', x]], symbolic: { x: ['N', 3] },
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'ReduceProd', inputs: ['s'], outputs: ['y'], attrs: { keepdims: 0 } }],
    };
    const { graph } = importOneNode(c);
    const out = graph!.outputs[0]!.node;
    expect(out.op).toBe('dim_values');
    expect(out.shape).toEqual([]);
    expect(toNumbers(runY(c))).toEqual([15]);
  });

  it('refuses bad axes, axes it cannot know, and integer log-sum-exp', () => {
    const x = randomTensor('f32', [2, 3], 3);
    expect(refusal({ op: 'ReduceSum', opset: 13, inputs: [['x', x], axesInput([1, -1])], constants: ['axes'] }).code).toBe(3004);
    expect(refusal({ op: 'ReduceMean', opset: 13, inputs: [['x', x]], attrs: { axes: [2] } }).code).toBe(3004);
    const dynamic = refusal({ op: 'ReduceMax', opset: 18, inputs: [['x', x], axesInput([1])] });
    expect(dynamic.code).toBe(3014);
    expect(dynamic.message).toContain('the axes');
    expect(refusal({ op: 'ReduceLogSumExp', opset: 18, inputs: [['x', t('i32', [2], [1, 2])]] }).code).toBe(3011);
  });
});

describe('ArgMax, ArgMin', () => {
  const x = t('f32', [2, 3], [2, 7, 7, 5, 1, 1]);

  it('reduce one axis with keepdims and select_last_index', () => {
    const y = runY({ op: 'ArgMax', opset: 13, inputs: [['x', x]], attrs: { axis: 1 } });
    expect(y.dtype).toBe('i64');
    expect(y.shape).toEqual([2, 1]);
    expect(toNumbers(y)).toEqual([1, 0]);
    expect(toNumbers(runY({ op: 'ArgMax', opset: 13, inputs: [['x', x]], attrs: { axis: -1, keepdims: 0, select_last_index: 1 } }))).toEqual([2, 0]);
    expect(toNumbers(runY({ op: 'ArgMin', opset: 13, inputs: [['x', x]], attrs: { axis: 1, keepdims: 0, select_last_index: 1 } }))).toEqual([0, 2]);
    expect(toNumbers(runY({ op: 'ArgMin', opset: 11, inputs: [['x', x]] }))).toEqual([0, 1, 1]);
  });

  it('agrees with a naive argmax on [7, 129]', () => {
    const r = randomTensor('f32', [7, 129], 4);
    const want = groups(r, [1]).map((lane) => lane.indexOf(Math.max(...lane)));
    expect(toNumbers(runY({ op: 'ArgMax', opset: 13, inputs: [['x', r]], attrs: { axis: 1, keepdims: 0 } }))).toEqual(want);
  });
});

describe('Softmax, LogSoftmax', () => {
  const x = randomTensor('f32', [2, 3, 4], 5);
  const softmaxOf = (lane: number[]): number[] => {
    const m = Math.max(...lane);
    const e = lane.map((v) => Math.exp(v - m));
    return e.map((v) => v / sum(e));
  };
  /** Softmax over lanes of `len` consecutive elements, or along axis 1 of [2, 3, 4]. */
  const consecutive = (len: number, log = false): number[] =>
    groups(tensor('f32', [24 / len, len], toNumbers(x)), [1]).flatMap((lane) => softmaxOf(lane).map((v) => (log ? Math.log(v) : v)));

  it('opset 13: along one axis (default -1)', () => {
    expectClose(runY({ op: 'Softmax', opset: 13, inputs: [['x', x]] }), consecutive(4), 1e-7, 1e-6);
    const y = runY({ op: 'Softmax', opset: 13, inputs: [['x', x]], attrs: { axis: 1 } });
    const v = toNumbers(y);
    for (let b = 0; b < 2; b++) for (let k = 0; k < 4; k++) expectClose([[0, 1, 2].reduce((s, j) => s + v[b * 12 + j * 4 + k]!, 0)], [1], 1e-6);
    expectClose(runY({ op: 'LogSoftmax', opset: 13, inputs: [['x', x]] }), consecutive(4, true), 1e-6, 1e-6);
  });

  it('before opset 13: coerced to 2-D at axis (default 1)', () => {
    expectClose(runY({ op: 'Softmax', opset: 11, inputs: [['x', x]] }), consecutive(12), 1e-7, 1e-6);
    expectClose(runY({ op: 'LogSoftmax', opset: 11, inputs: [['x', x]], attrs: { axis: 0 } }), consecutive(24, true), 1e-6, 1e-6);
    expectClose(runY({ op: 'Softmax', opset: 1, inputs: [['x', x]], attrs: { axis: 2 } }), consecutive(4), 1e-7, 1e-6);
    expect(runY({ op: 'Softmax', opset: 11, inputs: [['x', x]] }).shape).toEqual([2, 3, 4]);
  });
});

describe('CumSum', () => {
  const m = t('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
  const axis = (a: number, dtype: DType = 'i32'): readonly [string, Tensor] => ['axis', t(dtype, [], [a])];

  it('runs along the constant axis with exclusive and reverse', () => {
    expect(toNumbers(runY({ op: 'CumSum', opset: 14, inputs: [['x', m], axis(1)], constants: ['axis'] }))).toEqual([1, 3, 6, 4, 9, 15]);
    expect(toNumbers(runY({ op: 'CumSum', opset: 11, inputs: [['x', m], axis(0, 'i64')], constants: ['axis'] }))).toEqual([1, 2, 3, 5, 7, 9]);
    expect(toNumbers(runY({ op: 'CumSum', opset: 14, inputs: [['x', m], axis(-1)], constants: ['axis'], attrs: { exclusive: 1, reverse: 1 } }))).toEqual([5, 3, 0, 11, 6, 0]);
    expect(toNumbers(runY({ op: 'CumSum', opset: 14, inputs: [['x', t('i32', [4], [1, 2, 3, 4])], ['axis', t('i64', [1], [0])]], constants: ['axis'], attrs: { exclusive: 1 } }))).toEqual([0, 1, 3, 6]);
  });

  it('needs the axis at import time', () => {
    expect(refusal({ op: 'CumSum', opset: 14, inputs: [['x', m], axis(1)] }).code).toBe(3014);
    expect(refusal({ op: 'CumSum', opset: 14, inputs: [['x', m], axis(2)], constants: ['axis'] }).code).toBe(3004);
  });
});

describe('TopK', () => {
  const x = t('f32', [3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8]);
  const k = (n: number): readonly [string, Tensor] => ['k', t('i64', [1], [n])];

  it('gives values and indices, largest or smallest, for each opset form', () => {
    const out = runOneNode({ op: 'TopK', opset: 11, inputs: [['x', x], k(3)], constants: ['k'], outputs: ['v', 'i'] });
    expect(toNumbers(out.get('v')!)).toEqual([3, 2, 1, 7, 6, 5, 11, 10, 9]);
    expect(out.get('i')!.dtype).toBe('i64');
    expect(toNumbers(out.get('i')!)).toEqual([3, 2, 1, 3, 2, 1, 0, 1, 2]);
    const small = runOneNode({ op: 'TopK', opset: 11, inputs: [['x', x], k(2)], constants: ['k'], outputs: ['v', 'i'], attrs: { largest: 0, axis: 0 } });
    expect(toNumbers(small.get('v')!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(toNumbers(runOneNode({ op: 'TopK', opset: 1, inputs: [['x', x]], outputs: ['v', 'i'], attrs: { k: 1 } }).get('i')!)).toEqual([3, 3, 0]);
    expect(toNumbers(runOneNode({ op: 'TopK', opset: 10, inputs: [['x', x], k(1)], constants: ['k'], outputs: ['', 'i'] }).get('i')!)).toEqual([3, 3, 0]);
  });

  it('keeps the lower index first among ties', () => {
    const ties = t('i64', [6], [5, 7, 5, 7, 5, 1]);
    const out = runOneNode({ op: 'TopK', opset: 11, inputs: [['x', ties], k(4)], constants: ['k'], outputs: ['v', 'i'] });
    expect(toNumbers(out.get('v')!)).toEqual([7, 7, 5, 5]);
    expect(toNumbers(out.get('i')!)).toEqual([1, 3, 0, 2]);
  });

  it('takes k from a symbolic dim (the whole lane)', () => {
    const r = randomTensor('f32', [3, 129], 6);
    const c: OneNode = {
      op: 'TopK', inputs: [['x', r]], symbolic: { x: [3, 'M'] }, outputs: ['v', 'i'],
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'], attrs: { start: 1 } }, { op: 'TopK', inputs: ['x', 's'], outputs: ['v', 'i'] }],
    };
    const out = runOneNode(c);
    expect(out.get('v')!.shape).toEqual([3, 129]);
    expect(toNumbers(out.get('v')!).slice(0, 129)).toEqual(toNumbers(r).slice(0, 129).sort((a, b) => b - a));
  });

  it('refuses k larger than the axis, and a k it cannot know', () => {
    expect(refusal({ op: 'TopK', opset: 11, inputs: [['x', x], k(5)], constants: ['k'], outputs: ['v', 'i'] }).code).toBe(2009);
    expect(refusal({ op: 'TopK', opset: 11, inputs: [['x', x], k(2)], outputs: ['v', 'i'] }).code).toBe(3014);
    expect(refusal({ op: 'TopK', opset: 11, inputs: [['x', x], k(-1)], constants: ['k'], outputs: ['v', 'i'] }).code).toBe(3015);
  });
});

describe('Einsum', () => {
  it('contracts by the equation, with whitespace, ellipses and diagonals', () => {
    const a = randomTensor('f32', [7, 3], 7), b = randomTensor('f32', [3, 129], 8);
    const y = runY({ op: 'Einsum', opset: 12, inputs: [['a', a], ['b', b]], attrs: { equation: 'ij, jk -> ik' } });
    expect(y.shape).toEqual([7, 129]);
    const av = toNumbers(a), bv = toNumbers(b);
    const want: number[] = [];
    for (let i = 0; i < 7; i++) for (let k = 0; k < 129; k++) want.push([0, 1, 2].reduce((s, j) => s + av[i * 3 + j]! * bv[j * 129 + k]!, 0));
    expectClose(y, want, 1e-6, 1e-6);
    const batch = t('f32', [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(toNumbers(runY({ op: 'Einsum', opset: 12, inputs: [['x', batch]], attrs: { equation: '...ii ->...i' } }))).toEqual([1, 4, 5, 8]);
    expect(toNumbers(runY({ op: 'Einsum', opset: 12, inputs: [['x', t('f32', [], [3])]], attrs: { equation: '->' } }))).toEqual([3]);
  });

  it('refuses an equation that does not fit its operands', () => {
    const a = randomTensor('f32', [2, 3], 9);
    const r = refusal({ op: 'Einsum', opset: 12, inputs: [['a', a], ['b', a]], attrs: { equation: 'ij,jk->ik' } });
    expect(r.code).toBe(2001);
    expect(r.message).toContain("label 'j'");
    expect(refusal({ op: 'Einsum', opset: 12, inputs: [['a', a]], attrs: { equation: 'ij,jk' } }).code).toBe(2009);
  });
});

describe('Trilu', () => {
  const m = t('i64', [3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const kIn = (k: number): readonly [string, Tensor] => ['k', t('i64', [], [k])];

  it('keeps the upper or lower triangle from the k-th diagonal', () => {
    expect(toNumbers(runY({ op: 'Trilu', opset: 14, inputs: [['x', m]] }))).toEqual([1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12]);
    expect(toNumbers(runY({ op: 'Trilu', opset: 14, inputs: [['x', m]], attrs: { upper: 0 } }))).toEqual([1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0]);
    expect(toNumbers(runY({ op: 'Trilu', opset: 14, inputs: [['x', m], kIn(1)], constants: ['k'] }))).toEqual([0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12]);
    expect(toNumbers(runY({ op: 'Trilu', opset: 14, inputs: [['x', m], kIn(-1)], constants: ['k'], attrs: { upper: 0 } }))).toEqual([0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    expect(toNumbers(runY({ op: 'Trilu', opset: 14, inputs: [['x', m], kIn(-7)], constants: ['k'] }))).toEqual(toNumbers(m));
    expect(toNumbers(runY({ op: 'Trilu', opset: 14, inputs: [['x', m], kIn(9)], constants: ['k'] }))).toEqual(new Array(12).fill(0));
  });

  it('applies to every matrix of a batch with symbolic dims, and to bool', () => {
    const r = randomTensor('f32', [2, 7, 129], 10);
    const y = runY({ op: 'Trilu', opset: 14, inputs: [['x', r], kIn(3)], constants: ['k'], symbolic: { x: ['B', 'N', 'M'] } });
    expect(toNumbers(y)).toEqual(toNumbers(r).map((v, p) => ((p % 129) - (Math.floor(p / 129) % 7) >= 3 ? v : 0)));
    expect(toNumbers(runY({ op: 'Trilu', opset: 14, inputs: [['x', t('bool', [2, 2], [1, 1, 1, 1])]], attrs: { upper: 0 } }))).toEqual([1, 0, 1, 1]);
    expect(refusal({ op: 'Trilu', opset: 14, inputs: [['x', t('f32', [3], [1, 2, 3])]] }).code).toBe(3015);
  });
});
