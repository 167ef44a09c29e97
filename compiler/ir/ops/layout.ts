// Shape and layout ops. Later passes turn most of them into index arithmetic; the
// interpreter copies.

import { addDim, constDim, dimEquals, isConst, printShape, type Dim } from '../dim.js';
import { broadcastShapes, fail, numElements, type TensorType } from '../types.js';
import type { OpTable } from './op-info.js';
import { concat, expand, gather, reshape, slice, transpose } from '../../interpret/kernels/layout.js';

function checkAxesIn(op: string, axes: readonly number[], rank: number): void {
  const seen = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < 0 || a >= rank) fail('badAxis', a, rank);
    if (seen.has(a)) fail('badAttribute', `${op} lists axis ${a} twice`);
    seen.add(a);
  }
}

function squeezedShape(x: TensorType, axes: readonly number[]): Dim[] {
  checkAxesIn('squeeze', axes, x.shape.length);
  for (const a of axes) {
    if (!isConst(x.shape[a]!, 1)) fail('shapeMismatch', `squeeze axis ${a} has size ${x.shape[a]!.key}, not 1`);
  }
  return x.shape.filter((_, i) => !axes.includes(i));
}

function unsqueezedShape(x: TensorType, axes: readonly number[]): Dim[] {
  const rank = x.shape.length + axes.length;
  checkAxesIn('unsqueeze', axes, rank);
  const out: Dim[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? constDim(1) : x.shape[next++]!);
  return out;
}

export const LAYOUT_OPS = {
  reshape: {
    category: 'layout',
    arity: [1, 1],
    infer([x], attrs) {
      const from = numElements(x!.shape);
      const to = numElements(attrs.shape);
      if (!dimEquals(from, to)) fail('badReshape', printShape(x!.shape), from.key, printShape(attrs.shape), to.key);
      return { dtype: x!.dtype, shape: attrs.shape };
    },
    evaluate: ([x], _attrs, ctx) => reshape(x!, ctx.shape),
  },
  squeeze: {
    category: 'layout',
    arity: [1, 1],
    infer([x], attrs) {
      return { dtype: x!.dtype, shape: squeezedShape(x!, attrs.axes) };
    },
    evaluate: ([x], _attrs, ctx) => reshape(x!, ctx.shape),
  },
  unsqueeze: {
    category: 'layout',
    arity: [1, 1],
    infer([x], attrs) {
      return { dtype: x!.dtype, shape: unsqueezedShape(x!, attrs.axes) };
    },
    evaluate: ([x], _attrs, ctx) => reshape(x!, ctx.shape),
  },
  transpose: {
    category: 'layout',
    arity: [1, 1],
    infer([x], attrs) {
      const rank = x!.shape.length;
      if (attrs.perm.length !== rank) fail('badAttribute', `transpose perm [${attrs.perm.join(', ')}] has ${attrs.perm.length} axes, the tensor has rank ${rank}`);
      checkAxesIn('transpose', attrs.perm, rank);
      return { dtype: x!.dtype, shape: attrs.perm.map((p) => x!.shape[p]!) };
    },
    evaluate: ([x], attrs) => transpose(x!, attrs.perm),
  },
  slice: {
    category: 'layout',
    arity: [1, 1],
    infer([x], attrs) {
      const rank = x!.shape.length;
      checkAxesIn('slice', attrs.axes, rank);
      if (attrs.starts.length !== attrs.axes.length || attrs.steps.length !== attrs.axes.length || attrs.counts.length !== attrs.axes.length) {
        fail('badAttribute', 'slice needs one start, step and count per axis');
      }
      if (attrs.steps.some((s) => !Number.isInteger(s) || s === 0)) fail('badAttribute', 'slice steps must be non-zero integers');
      const shape = [...x!.shape];
      attrs.axes.forEach((a, i) => (shape[a] = attrs.counts[i]!));
      return { dtype: x!.dtype, shape };
    },
    evaluate: ([x], attrs, ctx) =>
      slice(x!, attrs.axes, attrs.starts.map((d) => ctx.dim(d)), attrs.steps, attrs.counts.map((d) => ctx.dim(d))),
  },
  concat: {
    category: 'layout',
    arity: [1, Infinity],
    infer(src, attrs) {
      const first = src[0]!;
      const rank = first.shape.length;
      if (!Number.isInteger(attrs.axis) || attrs.axis < 0 || attrs.axis >= rank) fail('badAxis', attrs.axis, rank);
      let total = constDim(0);
      for (const t of src) {
        if (t.dtype !== first.dtype) fail('dtypeMismatch', `concat needs operands of one dtype, got ${first.dtype} and ${t.dtype}`);
        if (t.shape.length !== rank) fail('shapeMismatch', `concat needs operands of one rank, got ${printShape(first.shape)} and ${printShape(t.shape)}`);
        t.shape.forEach((d, i) => {
          if (i !== attrs.axis && !dimEquals(d, first.shape[i]!)) {
            fail('shapeMismatch', `concat operands differ off the concatenation axis ${attrs.axis}: ${printShape(first.shape)} and ${printShape(t.shape)}`);
          }
        });
        total = addDim(total, t.shape[attrs.axis]!);
      }
      const shape = [...first.shape];
      shape[attrs.axis] = total;
      return { dtype: first.dtype, shape };
    },
    evaluate: (src, attrs) => concat(src, attrs.axis),
  },
  gather: {
    category: 'layout',
    arity: [2, 2],
    infer([x, idx], attrs) {
      const rank = x!.shape.length;
      if (!Number.isInteger(attrs.axis) || attrs.axis < 0 || attrs.axis >= rank) fail('badAxis', attrs.axis, rank);
      if (idx!.dtype !== 'i32' && idx!.dtype !== 'i64') fail('dtypeMismatch', `gather indices must be i32 or i64, got ${idx!.dtype}`);
      return { dtype: x!.dtype, shape: [...x!.shape.slice(0, attrs.axis), ...idx!.shape, ...x!.shape.slice(attrs.axis + 1)] };
    },
    evaluate: ([x, idx], attrs) => gather(x!, idx!, attrs.axis),
  },
  expand: {
    category: 'layout',
    arity: [1, 1],
    infer([x], attrs) {
      return { dtype: x!.dtype, shape: broadcastShapes(x!.shape, attrs.shape) };
    },
    evaluate: ([x], _attrs, ctx) => expand(x!, ctx.shape),
  },
} satisfies Partial<OpTable>;
