// Reductions over a set of axes, and argmax/argmin over one axis.
//
// `axes` are normalized (non-negative, distinct). Empty `axes` reduces over no axis: the
// result is a copy of the input (keepdims changes nothing); a caller that means "all axes"
// passes them all. Sums and products accumulate in f64 in row-major input order and round
// once on store. Integer sums are exact below 2^53 and wrap on store; integer products
// (32 bits and narrower) multiply through Math.imul, so they wrap exactly; i64 and u64 reduce
// on exact BigInts (sums and products wrap modulo 2^64 on store, u64 compares as unsigned).
// mean of an integer tensor truncates on store (toward zero). max/min propagate NaN. Reducing
// an empty axis gives 0 for sum, 1 for prod, NaN for mean (0 once stored in an integer), and
// throws for max/min (no identity).

import { unreachable } from '../../diagnostics/diagnostic.js';
import { DTYPES } from '../../ir/dtype.js';
import type { ReduceOp } from '../../ir/node.js';
import { isBigIntData, sizeOf, type Tensor } from '../tensor.js';
import { checkAxis, contiguousStrides, stridedOffsets } from './broadcast.js';
import { fromBigInts, fromNumbers, readNumbers } from './storage.js';
// Data-dependent user errors (found only at run time) are ShapeErrors, so the interpreter
// reports them as diagnostics at the op's source span.
import { fail } from '../../ir/types.js';

export function reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
  const rank = x.shape.length;
  const reduced = new Array<boolean>(rank).fill(false);
  for (const a of axes) {
    checkAxis(a, rank, op);
    if (reduced[a]) throw new Error(`${op}: axis ${a} listed twice`);
    reduced[a] = true;
  }
  if (axes.length === 0) return { dtype: x.dtype, shape: [...x.shape], data: x.data.slice() };

  // Output element of each input element: output strides with 0 on the reduced axes.
  const keptShape = x.shape.map((d, i) => (reduced[i] ? 1 : d));
  const strides = contiguousStrides(keptShape).map((s, i) => (reduced[i] ? 0 : s));
  const target = stridedOffsets(x.shape, strides);
  const outSize = sizeOf(keptShape);
  const count = sizeOf(x.shape.filter((_, i) => reduced[i]));
  const shape = keepdims ? keptShape : x.shape.filter((_, i) => !reduced[i]);
  if (isBigIntData(x.data)) return fromBigInts(x.dtype, shape, reduceBigInts(op, x.data, target, outSize, count));
  const src = readNumbers(x);
  const n = src.length;
  const acc = new Float64Array(outSize);

  switch (op) {
    case 'reduce_sum':
    case 'reduce_mean':
      for (let i = 0; i < n; i++) acc[target[i]!]! += src[i]!;
      if (op === 'reduce_mean') for (let o = 0; o < outSize; o++) acc[o] = acc[o]! / count;
      break;
    case 'reduce_prod': {
      acc.fill(1);
      const wrapping = !DTYPES[x.dtype].isFloat;
      if (wrapping) for (let i = 0; i < n; i++) acc[target[i]!] = Math.imul(acc[target[i]!]!, src[i]!);
      else for (let i = 0; i < n; i++) acc[target[i]!]! *= src[i]!;
      break;
    }
    case 'reduce_max':
    case 'reduce_min': {
      if (count === 0 && outSize > 0) fail('emptyReduction', op);
      const isMax = op === 'reduce_max';
      acc.fill(isMax ? -Infinity : Infinity);
      for (let i = 0; i < n; i++) {
        const o = target[i]!;
        const v = src[i]!;
        const cur = acc[o]!;
        if (v !== v || (isMax ? v > cur : v < cur)) acc[o] = v; // once NaN, nothing compares past it
      }
      break;
    }
    default:
      unreachable(op, 'reduce op');
  }
  return fromNumbers(x.dtype, shape, acc);
}

/** `reduce` on i64/u64 elements, exactly: `target[i]` is the output slot of element `i`. */
function reduceBigInts(op: ReduceOp, src: ArrayLike<bigint>, target: Int32Array, outSize: number, count: number): bigint[] {
  const n = src.length;
  switch (op) {
    case 'reduce_sum':
    case 'reduce_mean': {
      const acc = new Array<bigint>(outSize).fill(0n);
      for (let i = 0; i < n; i++) acc[target[i]!]! += src[i]!;
      if (op === 'reduce_mean') for (let o = 0; o < outSize; o++) acc[o] = count === 0 ? 0n : acc[o]! / BigInt(count);
      return acc;
    }
    case 'reduce_prod': {
      const acc = new Array<bigint>(outSize).fill(1n);
      for (let i = 0; i < n; i++) acc[target[i]!] = BigInt.asIntN(64, acc[target[i]!]! * src[i]!);
      return acc;
    }
    case 'reduce_max':
    case 'reduce_min': {
      if (count === 0 && outSize > 0) fail('emptyReduction', op);
      const isMax = op === 'reduce_max';
      const acc = new Array<bigint | undefined>(outSize).fill(undefined);
      for (let i = 0; i < n; i++) {
        const o = target[i]!;
        const v = src[i]!;
        const cur = acc[o];
        if (cur === undefined || (isMax ? v > cur : v < cur)) acc[o] = v;
      }
      return acc as bigint[];
    }
    default:
      return unreachable(op, 'reduce op');
  }
}

/**
 * Index of the largest (argmax) or smallest (argmin) element along `axis`, as i64; the first
 * occurrence wins, and a NaN counts as beyond every number (the first NaN wins), like NumPy.
 * With `selectLast` the last occurrence (and the last NaN) wins instead: the lane is scanned
 * from its end, as ONNX's select_last_index (NumPy argmax of the flipped lane) does.
 * i64 and u64 inputs compare exactly. An empty axis throws.
 */
export function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number, keepdims: boolean, selectLast = false): Tensor {
  const rank = x.shape.length;
  checkAxis(axis, rank, op);
  const len = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  if (len === 0 && outer * inner > 0) fail('emptyReduction', op);
  // i64/u64 compare as exact BigInts, everything else as numbers.
  const src: ArrayLike<number | bigint> = isBigIntData(x.data) ? x.data : readNumbers(x);
  const isMax = op === 'argmax';
  const out = new BigInt64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      const first = selectLast ? len - 1 : 0;
      let best = src[base + first * inner]!;
      let bestIndex = first;
      for (let s = 1; s < len && best === best; s++) {
        const i = selectLast ? len - 1 - s : s;
        const v = src[base + i * inner]!;
        if (v !== v || (isMax ? v > best : v < best)) {
          best = v;
          bestIndex = i;
        }
      }
      out[o * inner + j] = BigInt(bestIndex);
    }
  }
  const shape = keepdims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  return { dtype: 'i64', shape, data: out };
}

/** argmax over one axis; see `argReduce`. */
export function argmax(x: Tensor, axis: number, keepdims: boolean): Tensor {
  return argReduce('argmax', x, axis, keepdims);
}

/** argmin over one axis; see `argReduce`. */
export function argmin(x: Tensor, axis: number, keepdims: boolean): Tensor {
  return argReduce('argmin', x, axis, keepdims);
}
