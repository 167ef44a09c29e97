import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { addDim, constDim, divDim, mulDim } from '../../../compiler/ir/dim.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';

function codes(fn: () => unknown): number[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics.map((d) => d.code);
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

describe('interpret', () => {
  it('evaluates a small graph to hand-computed values', () => {
    const b = new GraphBuilder('G');
    const N = b.declareDim('N');
    const x = b.input('x', 'f32', [N]);
    const w = b.param('w', 'f32', [N]);
    // y = sum((x * w) + 1) ; z = softmax([x0, x1, x2])
    b.output('y', b.op('reduce_sum', [b.op('add', [b.op('mul', [x, w], {}), b.scalar(1, 'f32')], {})], { axes: [0], keepdims: false }));
    b.output('z', b.op('softmax', [x], { axis: 0 }));
    const g = b.finish().graph!;
    const out = interpret(g, new Map([['x', tensor('f32', [3], [1, 2, 3])]]), new Map([['w', tensor('f32', [3], [0.5, -1, 2])]]));
    expect(toNumbers(out.outputs.get('y')!)).toEqual([0.5 - 2 + 6 + 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    toNumbers(out.outputs.get('z')!).forEach((v, i) => expect(v).toBeCloseTo(e[i]! / s, 6));
    expect(out.dims.get('N')).toBe(3);
  });

  it('binds dims from inputs (linear forms too), --dim values and defaults', () => {
    const b = new GraphBuilder('G');
    const S = b.declareDim('S');
    const T = b.declareDim('T');
    const D = b.declareDim('D', 6);
    const x = b.input('x', 'f32', [mulDim(2, S), addDim(T, 1)]);
    const w = b.param('w', 'f32', [addDim(T, 1), D]);
    b.output('y', b.op('matmul', [x, w], {}));
    const g = b.finish().graph!;
    const xs = randomTensor('f32', [14, 5], 1);
    const out = interpret(g, new Map([['x', xs]]), new Map([['w', randomTensor('f32', [5, 6], 2)]]));
    expect(Object.fromEntries(out.dims)).toEqual({ S: 7, T: 4, D: 6 });
    expect(out.outputs.get('y')!.shape).toEqual([14, 6]);
    const out2 = interpret(g, new Map([['x', xs]]), new Map([['w', randomTensor('f32', [5, 3], 2)]]), { dims: new Map([['D', 3]]) });
    expect(out2.outputs.get('y')!.shape).toEqual([14, 3]);
  });

  it('reports bad inputs, weights and dims as diagnostics naming them', () => {
    const b = new GraphBuilder('G');
    const S = b.declareDim('S');
    const D = b.declareDim('D', 4);
    const x = b.input('x', 'f32', [S, D]);
    const w = b.param('w', 'f32', [D, divDim(D, 2)]);
    b.output('y', b.op('matmul', [x, w], {}));
    const g = b.finish().graph!;
    const w42 = randomTensor('f32', [4, 2], 3);
    expect(codes(() => interpret(g, new Map([['x', randomTensor('f32', [3, 5], 1)]]), new Map([['w', w42]]), { dims: new Map([['D', 4]]) }))).toEqual([5004]);
    expect(codes(() => interpret(g, new Map([['x', randomTensor('i32', [3, 4], 1)]]), new Map([['w', w42]])))).toEqual([5003]);
    expect(codes(() => interpret(g, new Map([['x', randomTensor('f32', [3, 4], 1)]]), new Map()))).toEqual([5008]);
    expect(codes(() => interpret(g, new Map([['x', randomTensor('f32', [3, 4], 1)]]), new Map([['w', randomTensor('f32', [4, 3], 1)]])))).toEqual([5009]);
    expect(codes(() => interpret(g, new Map([['q', randomTensor('f32', [3, 4], 1)]]), new Map([['w', w42]])))).toEqual([5005, 5011, 5001]);
    expect(codes(() => interpret(g, new Map([['x', randomTensor('f32', [3, 5], 1)]]), new Map([['w', randomTensor('f32', [5, 2], 1)]]), { dims: new Map([['D', 5]])}))).toEqual([5007]);
    expect(codes(() => interpret(g, new Map([['x', randomTensor('f32', [3, 4], 1)]]), new Map([['w', w42]]), { dims: new Map([['Q', 5]]) }))).toEqual([5010]);
  });

  it('reports grouped heads that do not divide at run time', () => {
    const b = new GraphBuilder('G');
    const H = b.declareDim('H');
    const K = b.declareDim('K');
    const q = b.input('q', 'f32', [H, constDim(4), constDim(8)]);
    const k = b.input('k', 'f32', [K, constDim(4), constDim(8)]);
    b.output('y', b.op('attention', [q, k, k], { causal: false, scale: undefined, hasMask: false }));
    const g = b.finish().graph!;
    const run = (h: number, kv: number): Tensor =>
      interpret(g, new Map([['q', randomTensor('f32', [h, 4, 8], 1)], ['k', randomTensor('f32', [kv, 4, 8], 2)]])).outputs.get('y')!;
    expect(run(6, 3).shape).toEqual([6, 4, 8]);
    expect(codes(() => run(6, 4))).toEqual([2008]);
  });
});
