// Scans, selection and contraction: cumsum (running sums along an axis), topk (the k extreme
// elements along an axis, one node per result) and einsum (NumPy's general contraction). Each
// is kept whole because later stages lower it as one loop nest: a scan, a partial sort, a
// contraction that may become a matmul.

import { constValue, dimEquals, isConst, printShape, type Dim } from '../dim.js';
import { parseEinsum } from '../einsum.js';
import { fail, normalizeAxis, type TensorType } from '../types.js';
import type { OpTable } from './op-info.js';
import { cumsum } from '../../interpret/kernels/cumsum.js';
import { einsum } from '../../interpret/kernels/einsum.js';
import { topk } from '../../interpret/kernels/topk.js';

function checkAxisAttr(op: string, x: TensorType, axis: number): void {
  if (x.shape.length === 0) fail('badRank', op, 'at least 1', 0);
  if (normalizeAxis(axis, x.shape.length) !== axis) fail('badAttribute', `${op} axis must be normalised (non-negative), got ${axis}`);
}

function checkNumeric(op: string, x: TensorType): void {
  if (x.dtype === 'bool') fail('dtypeMismatch', `${op} needs a numeric tensor, got bool`);
}

/** The output shape of an einsum: every label's size, checked across its axes. */
function einsumShape(equation: string, src: readonly TensorType[]): Dim[] {
  const plan = parseEinsum(equation, src.map((t) => t.shape.length));
  if (typeof plan === 'string') fail('badAttribute', plan);
  const size = new Map<string, Dim>();
  plan.operands.forEach((labels, k) => {
    const own = new Map<string, Dim>();
    labels.forEach((l, a) => {
      const d = src[k]!.shape[a]!;
      // Within one operand a repeated label is a diagonal: its axes must be equal.
      const mine = own.get(l);
      if (mine !== undefined && !dimEquals(mine, d)) fail('shapeMismatch', `einsum label '${l}' of operand ${k} ${printShape(src[k]!.shape)} names axes of sizes ${mine.key} and ${d.key}`);
      own.set(l, d);
      // Across operands, sizes broadcast: equal, or 1.
      const cur = size.get(l);
      if (cur === undefined || isConst(cur, 1)) size.set(l, d);
      else if (!isConst(d, 1) && !dimEquals(cur, d)) fail('shapeMismatch', `einsum label '${l.startsWith('.') ? '...' : l}' has sizes ${cur.key} and ${d.key} in '${equation}'`);
    });
  });
  return plan.output.map((l) => size.get(l)!);
}

export const SCAN_SELECT_OPS = {
  cumsum: {
    category: 'reduction',
    arity: [1, 1],
    infer([x], attrs) {
      checkNumeric('cumsum', x!);
      checkAxisAttr('cumsum', x!, attrs.axis);
      return x!;
    },
    evaluate: ([x], attrs) => cumsum(x!, attrs.axis, attrs.exclusive, attrs.reverse),
  },
  topk: {
    category: 'reduction',
    arity: [1, 1],
    infer([x], attrs) {
      checkNumeric('topk', x!);
      checkAxisAttr('topk', x!, attrs.axis);
      if (attrs.output !== 'values' && attrs.output !== 'indices') fail('badAttribute', `topk output must be "values" or "indices", got "${String(attrs.output)}"`);
      const k = constValue(attrs.k), size = constValue(x!.shape[attrs.axis]!);
      if (k !== undefined && (k < 0 || (size !== undefined && k > size))) {
        fail('badAttribute', `topk k = ${k} is out of range for axis ${attrs.axis} of ${printShape(x!.shape)}`);
      }
      const shape = x!.shape.map((d, i) => (i === attrs.axis ? attrs.k : d));
      return { dtype: attrs.output === 'values' ? x!.dtype : 'i64', shape };
    },
    evaluate([x], attrs, ctx) {
      const r = topk(x!, attrs.axis, ctx.dim(attrs.k), attrs.largest);
      return attrs.output === 'values' ? r.values : r.indices;
    },
  },
  einsum: {
    category: 'matmul',
    arity: [1, Infinity],
    infer(src, attrs) {
      const first = src[0]!;
      checkNumeric('einsum', first);
      for (const t of src) {
        if (t.dtype !== first.dtype) fail('dtypeMismatch', `einsum needs operands of one dtype, got ${first.dtype} and ${t.dtype}`);
      }
      return { dtype: first.dtype, shape: einsumShape(attrs.equation, src) };
    },
    evaluate: (src, attrs, ctx) => einsum(attrs.equation, src, ctx.dtype),
  },
} satisfies Partial<OpTable>;
