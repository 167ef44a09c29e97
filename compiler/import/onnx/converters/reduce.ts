// Reductions (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare), ArgMax/ArgMin, Softmax/LogSoftmax, and
// the scan, selection and contraction ops (CumSum, TopK, Einsum, Trilu).
//
// The Reduce* ops that are not IR reductions are compositions that follow the ONNX reference
// term by term (L2 = sqrt(sum(x·x)), LogSumExp shifted by the finite max). A reduction over an
// axis of constant size 0 gives what the spec says (sum 0, prod 1, max -inf or the type's
// minimum, min +inf or its maximum, log-sum and log-sum-exp -inf); over a symbolic axis that
// turns out empty, max and min report an error at run time. Sums, products, maxima and minima
// of shape values stay dims.

import { addDim, constDim, constValue, maxDim, minDim, mulDim, type Dim } from '../../../ir/dim.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { Node, ReduceOp } from '../../../ir/node.js';
import { reducedShape } from '../../../ir/ops/reduce.js';
import { numElements } from '../../../ir/types.js';
import { tensor } from '../../../interpret/tensor.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import { axesOf, axisOf } from './shape.js';

// ---- helpers ----

export function castTo(ctx: ConvertContext, x: Node, to: DType): Node {
  return x.dtype === to ? x : ctx.op('cast', [x], { to });
}

/** Whether the node's output `i` is used (has a name). */
export function wanted(ctx: ConvertContext, i: number): boolean {
  return (ctx.node.outputs[i] ?? '') !== '';
}

/** `value` everywhere in `shape`, as `dtype`. */
function filled(ctx: ConvertContext, value: number | bigint, dtype: DType, shape: readonly Dim[]): Node {
  const scalar = ctx.constantTensor(tensor(dtype, [], [value] as ArrayLike<number>));
  return shape.length === 0 ? scalar : ctx.op('expand', [scalar], { shape });
}

/** The least (or greatest) value of `dtype`: ∓inf for floats, the range's end for integers. */
function extreme(dtype: DType, greatest: boolean): number | bigint {
  const info = DTYPES[dtype];
  if (info.isFloat) return greatest ? Infinity : -Infinity;
  if (dtype === 'i64') return greatest ? 2n ** 63n - 1n : -(2n ** 63n);
  if (dtype === 'u64') return greatest ? 2n ** 64n - 1n : 0n;
  return greatest ? info.max : info.min;
}

// ---- Reduce* ----

type ReduceKind = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'l1' | 'l2' | 'logsum' | 'logsumexp' | 'sumsquare';

/**
 * The normalised, sorted axes a Reduce* node reduces; undefined when it reduces nothing
 * (no axes and noop_with_empty_axes). Axes come from the attribute before `sinceOpset` and
 * from input 1 since; none given (or an empty list) means every axis.
 */
function reduceAxes(ctx: ConvertContext, x: Node, sinceOpset: number): number[] | undefined {
  const rank = x.shape.length;
  const given = axesOf(ctx, 1, sinceOpset);
  if (given === undefined || given.length === 0) {
    if (ctx.attrs.int('noop_with_empty_axes', 0) !== 0) return undefined;
    return Array.from({ length: rank }, (_, i) => i);
  }
  const axes = given.map((a) => axisOf(ctx, a, rank));
  if (new Set(axes).size !== axes.length) ctx.fail('onnxBadAttribute', `${ctx.node.opType} lists an axis twice: [${given.join(', ')}]`);
  return axes.sort((a, b) => a - b);
}

/** The reduction of a 1-D shape value to one dim, when `x` is one and the kind folds. */
function dimReduction(ctx: ConvertContext, kind: ReduceKind, axes: readonly number[], keepdims: boolean): Node | undefined {
  const dims = ctx.dims(0);
  if (dims === undefined || dims.length === 0 || ctx.input(0).shape.length !== 1 || axes.length !== 1) return undefined;
  const fold = { sum: addDim, prod: mulDim, max: maxDim, min: minDim } as const;
  if (!(kind in fold)) return undefined;
  const f = fold[kind as keyof typeof fold];
  return ctx.dimValues([dims.slice(1).reduce<Dim>((acc, d) => f(acc, d), dims[0]!)], !keepdims);
}

function reduceOp(ctx: ConvertContext, op: ReduceOp, x: Node, axes: readonly number[], keepdims: boolean): Node {
  return ctx.op(op, [x], { axes, keepdims });
}

/** A floating-point function of an integer result goes through f64 and back (NumPy's promotion, then astype). */
function floatOf(ctx: ConvertContext, f: 'sqrt' | 'log', x: Node): Node {
  if (DTYPES[x.dtype].isFloat) return ctx.op(f, [x], {});
  return castTo(ctx, ctx.op(f, [castTo(ctx, x, 'f64')], {}), x.dtype);
}

/** ReduceMax/ReduceMin; bool (opset 20) reduces as u8. */
function extremeReduction(ctx: ConvertContext, isMax: boolean, x: Node, axes: readonly number[], keepdims: boolean): Node {
  const op = isMax ? 'reduce_max' : 'reduce_min';
  if (x.dtype !== 'bool') return reduceOp(ctx, op, x, axes, keepdims);
  return castTo(ctx, reduceOp(ctx, op, castTo(ctx, x, 'u8'), axes, keepdims), 'bool');
}

/**
 * log(sum(exp(x))) as the reference computes it: shifted by the max where that is finite
 * (x - m cannot overflow, and an all -inf lane gives -inf, not NaN), in f32 for narrower floats.
 */
function logSumExp(ctx: ConvertContext, x: Node, axes: readonly number[], keepdims: boolean): Node {
  const info = DTYPES[x.dtype];
  if (!info.isFloat) ctx.fail('onnxUnsupportedDtype', `${x.dtype} for ReduceLogSumExp (it is defined for floating-point inputs)`);
  const work = castTo(ctx, x, info.bits < 32 ? 'f32' : x.dtype);
  const max = reduceOp(ctx, 'reduce_max', work, axes, true);
  const zero = ctx.scalar(0, work.dtype);
  const finite = ctx.op('eq', [ctx.op('sub', [max, max], {}), zero], {}); // inf - inf and NaN - NaN are NaN
  const shift = ctx.op('where', [finite, max, zero], {});
  const sum = reduceOp(ctx, 'reduce_sum', ctx.op('exp', [ctx.op('sub', [work, shift], {})], {}), axes, true);
  let out = ctx.op('add', [ctx.op('log', [sum], {}), shift], {});
  if (!keepdims && axes.length > 0) out = ctx.op('squeeze', [out], { axes });
  return castTo(ctx, out, x.dtype);
}

/** The value of a reduction over an empty set, per the spec; undefined when it follows from the composition. */
function emptyValue(kind: ReduceKind, dtype: DType): number | bigint | undefined {
  switch (kind) {
    case 'max': return dtype === 'bool' ? 0 : extreme(dtype, false);
    case 'min': return dtype === 'bool' ? 1 : extreme(dtype, true);
    case 'logsumexp': return -Infinity;
    default: return undefined; // sum 0, prod 1, l1/l2/sumsquare 0, logsum log(0) = -inf, mean NaN
  }
}

function reduction(kind: ReduceKind, axesInputSince: number) {
  return (ctx: ConvertContext): Node[] => {
    const x = ctx.input(0);
    const keepdims = ctx.attrs.int('keepdims', 1) !== 0;
    const axes = reduceAxes(ctx, x, axesInputSince);
    if (axes === undefined) return [x];
    const folded = dimReduction(ctx, kind, axes, keepdims);
    if (folded) return [folded];
    const empty = emptyValue(kind, x.dtype);
    if (empty !== undefined && axes.some((a) => constValue(x.shape[a]!) === 0)) {
      return [filled(ctx, empty, x.dtype, reducedShape(x.shape, axes, keepdims))];
    }
    switch (kind) {
      case 'sum': return [reduceOp(ctx, 'reduce_sum', x, axes, keepdims)];
      case 'mean': return [reduceOp(ctx, 'reduce_mean', x, axes, keepdims)];
      case 'prod': return [reduceOp(ctx, 'reduce_prod', x, axes, keepdims)];
      case 'max': return [extremeReduction(ctx, true, x, axes, keepdims)];
      case 'min': return [extremeReduction(ctx, false, x, axes, keepdims)];
      case 'l1': return [reduceOp(ctx, 'reduce_sum', ctx.op('abs', [x], {}), axes, keepdims)];
      case 'sumsquare': return [reduceOp(ctx, 'reduce_sum', ctx.op('mul', [x, x], {}), axes, keepdims)];
      case 'l2': return [floatOf(ctx, 'sqrt', reduceOp(ctx, 'reduce_sum', ctx.op('mul', [x, x], {}), axes, keepdims))];
      case 'logsum': return [floatOf(ctx, 'log', reduceOp(ctx, 'reduce_sum', x, axes, keepdims))];
      case 'logsumexp': return [logSumExp(ctx, x, axes, keepdims)];
    }
  };
}

// ---- ArgMax, ArgMin ----

function argReduction(op: 'argmax' | 'argmin') {
  return (ctx: ConvertContext): Node[] => {
    const x = ctx.input(0);
    const axis = axisOf(ctx, ctx.attrs.int('axis', 0), x.shape.length);
    const keepdims = ctx.attrs.int('keepdims', 1) !== 0;
    const selectLast = ctx.attrs.int('select_last_index', 0) !== 0;
    return [ctx.op(op, [x], selectLast ? { axis, keepdims, selectLast } : { axis, keepdims })];
  };
}

// ---- Softmax, LogSoftmax ----

/**
 * Since opset 13 along one axis (default -1). Before, the input is coerced to 2-D at `axis`
 * (default 1): [d0·…·d(axis-1), d(axis)·…·d(n-1)], normalised along the second dim, and
 * reshaped back; for the last axis that is the same as normalising along it.
 */
function softmaxLike(op: 'softmax' | 'log_softmax') {
  return (ctx: ConvertContext): Node[] => {
    const x = ctx.input(0);
    const rank = x.shape.length;
    if (ctx.opset >= 13) return [ctx.op(op, [x], { axis: axisOf(ctx, ctx.attrs.int('axis', -1), rank) })];
    const axis = axisOf(ctx, ctx.attrs.int('axis', 1), rank);
    if (axis === rank - 1) return [ctx.op(op, [x], { axis })];
    const matrix = ctx.op('reshape', [x], { shape: [numElements(x.shape.slice(0, axis)), numElements(x.shape.slice(axis))] });
    return [ctx.op('reshape', [ctx.op(op, [matrix], { axis: 1 })], { shape: x.shape })];
  };
}

// ---- CumSum, TopK, Einsum, Trilu ----

/** One integer from input `i` (a scalar or a one-element tensor). */
function oneInt(ctx: ConvertContext, i: number, what: string): number {
  const values = ctx.ints(i, what);
  if (values.length !== 1) ctx.fail('onnxBadInput', `${what} must hold one value, got ${values.length}`);
  return values[0]!;
}

function CumSum(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const axis = axisOf(ctx, oneInt(ctx, 1, 'the CumSum axis'), x.shape.length);
  const exclusive = ctx.attrs.int('exclusive', 0) !== 0;
  const reverse = ctx.attrs.int('reverse', 0) !== 0;
  return [ctx.op('cumsum', [x], { axis, exclusive, reverse })];
}

/** k is an attribute before opset 10 and a one-element input since; it may be a symbolic dim. */
function topkCount(ctx: ConvertContext): Dim {
  if (ctx.opset < 10) return constDim(ctx.attrs.required('k', ctx.attrs.int('k')));
  const k = ctx.requireDims(1, 'TopK k');
  if (k.length !== 1) ctx.fail('onnxBadInput', `TopK k must hold one value, got ${k.length}`);
  return k[0]!;
}

function TopK(ctx: ConvertContext): (Node | undefined)[] {
  const x = ctx.input(0);
  const axis = axisOf(ctx, ctx.attrs.int('axis', -1), x.shape.length);
  const k = topkCount(ctx);
  const kv = constValue(k);
  if (kv !== undefined && kv < 0) ctx.fail('onnxBadInput', `TopK k must not be negative, got ${kv}`);
  const largest = ctx.opset < 11 || ctx.attrs.int('largest', 1) !== 0;
  const sorted = ctx.opset < 11 || ctx.attrs.int('sorted', 1) !== 0;
  const result = (output: 'values' | 'indices'): Node => ctx.op('topk', [x], { axis, k, largest, sorted, output });
  return [wanted(ctx, 0) ? result('values') : undefined, wanted(ctx, 1) ? result('indices') : undefined];
}

function Einsum(ctx: ConvertContext): Node[] {
  const equation = ctx.attrs.required('equation', ctx.attrs.string('equation')).replace(/\s+/g, '');
  if (ctx.inputCount === 0) ctx.fail('onnxBadInput', 'Einsum needs at least one input');
  return [ctx.op('einsum', Array.from({ length: ctx.inputCount }, (_, i) => ctx.input(i)), { equation })];
}

/**
 * Keeps the elements on and above (upper) or on and below (lower) the k-th diagonal of the
 * last two axes, zeroing the rest: where(j - i >= k, x, 0), or j - i <= k, with i, j from iota.
 */
function Trilu(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  if (rank < 2) ctx.fail('onnxBadInput', `Trilu needs an input of rank 2 or more, got rank ${rank}`);
  const upper = ctx.attrs.int('upper', 1) !== 0;
  const k = ctx.optionalInput(1) === undefined ? 0 : oneInt(ctx, 1, 'the Trilu k');
  const rows = ctx.op('unsqueeze', [ctx.op('iota', [], { count: x.shape[rank - 2]!, dtype: 'i64' })], { axes: [1] });
  const cols = ctx.op('iota', [], { count: x.shape[rank - 1]!, dtype: 'i64' });
  const diagonal = ctx.op('sub', [cols, rows], {});
  const keep = ctx.op(upper ? 'ge' : 'le', [diagonal, ctx.scalar(k, 'i64')], {});
  return [ctx.op('where', [keep, x, ctx.scalar(0, x.dtype)], {})];
}

export const REDUCE_CONVERTERS: ConverterTable = {
  ReduceSum: reduction('sum', 13),
  ReduceMean: reduction('mean', 18),
  ReduceMax: reduction('max', 18),
  ReduceMin: reduction('min', 18),
  ReduceProd: reduction('prod', 18),
  ReduceL1: reduction('l1', 18),
  ReduceL2: reduction('l2', 18),
  ReduceLogSum: reduction('logsum', 18),
  ReduceLogSumExp: reduction('logsumexp', 18),
  ReduceSumSquare: reduction('sumsquare', 18),
  ArgMax: argReduction('argmax'),
  ArgMin: argReduction('argmin'),
  Softmax: softmaxLike('softmax'),
  LogSoftmax: softmaxLike('log_softmax'),
  CumSum: { convert: CumSum, minOpset: 11 },
  TopK,
  Einsum: { convert: Einsum, minOpset: 12 },
  Trilu: { convert: Trilu, minOpset: 14 },
};
