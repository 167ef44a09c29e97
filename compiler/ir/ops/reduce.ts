// Reductions over listed axes, and argmax/argmin over one axis.

import { constDim, type Dim } from '../dim.js';
import type { ReduceOp } from '../node.js';
import { fail, normalizeAxis, type TensorType } from '../types.js';
import type { OpInfo, OpTable } from './op-info.js';
import { argReduce, reduce } from '../../interpret/kernels/reduce.js';

export function reducedShape(shape: readonly Dim[], axes: readonly number[], keepdims: boolean): Dim[] {
  const set = new Set(axes);
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepdims) out.push(constDim(1));
  });
  return out;
}

function checkAxes(op: string, x: TensorType, axes: readonly number[]): void {
  const seen = new Set<number>();
  for (const a of axes) {
    if (normalizeAxis(a, x.shape.length) !== a) fail('badAttribute', `${op} axes must be normalised (non-negative), got ${a}`);
    if (seen.has(a)) fail('badAttribute', `${op} lists axis ${a} twice`);
    seen.add(a);
  }
}

function reduceOp(op: ReduceOp): OpInfo<ReduceOp> {
  return {
    category: 'reduction',
    arity: [1, 1],
    infer([x], attrs) {
      checkAxes(op, x!, attrs.axes);
      if (x!.dtype === 'bool') fail('dtypeMismatch', `${op} needs a numeric tensor, got bool`);
      return { dtype: x!.dtype, shape: reducedShape(x!.shape, attrs.axes, attrs.keepdims) };
    },
    evaluate: ([x], attrs) => reduce(op, x!, attrs.axes, attrs.keepdims),
  };
}

function argOp(op: 'argmax' | 'argmin'): OpInfo<'argmax' | 'argmin'> {
  return {
    category: 'reduction',
    arity: [1, 1],
    infer([x], attrs) {
      checkAxes(op, x!, [attrs.axis]);
      return { dtype: 'i64', shape: reducedShape(x!.shape, [attrs.axis], attrs.keepdims) };
    },
    evaluate: ([x], attrs) => argReduce(op, x!, attrs.axis, attrs.keepdims, attrs.selectLast ?? false),
  };
}

export const REDUCE_OPS = {
  reduce_sum: reduceOp('reduce_sum'),
  reduce_mean: reduceOp('reduce_mean'),
  reduce_max: reduceOp('reduce_max'),
  reduce_min: reduceOp('reduce_min'),
  reduce_prod: reduceOp('reduce_prod'),
  argmax: argOp('argmax'),
  argmin: argOp('argmin'),
} satisfies Partial<OpTable>;
