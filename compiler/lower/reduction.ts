// A reduction group (reduce_*, argmax, argmin with their fused prologue and epilogue) as one
// kernel: a work item computes a block of output elements; each output element loops over
// its reduced elements, reading the prologue expression directly (no intermediate buffer),
// then applies the epilogue and stores. A single reduced innermost axis of f32 values runs
// with an f32x4 accumulator and a scalar tail.

import type { Dim } from '../ir/dim.js';
import { DTYPES } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import {
  add, and, binary, cast, constant, div, gt, ge, i32, lt, le, min, mul, ne, or, reduceLanes, rem, splat, store, sub, unary,
  KernelBuilder,
} from '../kernel/builder.js';
import { type Expr, type ScalarType } from '../kernel/ir.js';
import { LoweringError } from './errors.js';
import { computeType, emitValue, NotVectorizable } from './fused-expr.js';
import { blocks, fusedContext, product, rowsPerItem, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { bufferRecord } from './elementwise.js';
import { multi, unravel } from './view.js';

export type ReduceNode = Extract<Node, { op: 'reduce_sum' | 'reduce_mean' | 'reduce_max' | 'reduce_min' | 'reduce_prod' | 'argmax' | 'argmin' }>;

/** The accumulator's identity for a combining op in type t. */
export function identity(op: 'add' | 'mul' | 'max' | 'min', t: ScalarType, dtypeMin: number, dtypeMax: number): Expr {
  if (op === 'add') return constant(t, 0);
  if (op === 'mul') return constant(t, 1);
  const float = t === 'f32' || t === 'f64' || t === 'f16';
  if (op === 'max') return constant(t, float ? -Infinity : dtypeMin);
  return constant(t, float ? Infinity : dtypeMax);
}

/** The shape of a reduction's work: O output elements, each reducing K elements of x. */
export interface ReductionPlan {
  readonly anchor: ReduceNode;
  readonly isArg: boolean;
  /** Reduced axes of x, ascending. */
  readonly reduced: readonly number[];
  readonly keptAxes: readonly number[];
  readonly keptShape: readonly Dim[];
  readonly reducedShape: readonly Dim[];
  readonly K: Dim;
  readonly O: Dim;
  /** The accumulator's type: f32 for floats (f16/bf16 too), f64 for f64, integers their own. */
  readonly accT: ScalarType;
  /** Whether the reduction may run an f32x4 loop (one reduced innermost axis of f32). */
  readonly canVector: boolean;
}

export function planReduction(g: GroupLowering): ReductionPlan {
  const anchor = g.group.anchor as ReduceNode;
  const x = anchor.src[0]!;
  const isArg = anchor.op === 'argmax' || anchor.op === 'argmin';
  const axes = isArg ? [(anchor.attrs as { axis: number }).axis] : [...(anchor.attrs as { axes: readonly number[] }).axes];
  const rank = x.shape.length;
  const reduced = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  const keptAxes = x.shape.map((_, d) => d).filter((d) => !reduced.includes(d));
  const keptShape = keptAxes.map((d) => x.shape[d]!);
  const reducedShape = reduced.map((d) => x.shape[d]!);
  const xt = computeType(x);
  const floatX = DTYPES[x.dtype].isFloat;
  const accT: ScalarType = floatX ? (xt === 'f64' ? 'f64' : 'f32') : xt;
  const lastAxisOnly = reduced.length === 1 && reduced[0] === rank - 1;
  const canVector = floatX && accT === 'f32' && xt === 'f32' && lastAxisOnly && g.target.vectorLanes >= 4;
  return { anchor, isArg, reduced, keptAxes, keptShape, reducedShape, K: product(reducedShape), O: product(keptShape), accT, canVector };
}

/** How a schedule reduces the K elements of one output: xAt(k) is element k (cast to accT when lanes is 1). */
export type ReduceElements = (K: Expr, xAt: (k: Expr, lanes: 1 | 4, vectorVar?: string) => Expr) => Expr;

export function lowerReduction(g: GroupLowering): LoweredKernel {
  const plan = planReduction(g);
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const perItem = rowsPerItem(plan.K);
  const gridDim = blocks(plan.O, perItem);
  const reduce: ReduceElements = (K, xAt) => plan.isArg
    ? argLoop(kb, plan.anchor, K, plan.accT, (k) => xAt(k, 1))
    : reduceLoop(kb, plan.anchor, K, plan.accT, plan.canVector, xAt);
  kb.loop('item', i32(0), dimExpr(gridDim, kb, uniforms), 'grid.x', (item) => {
    const outputAt = (o: Expr): void => emitReductionOutput(g, kb, uniforms, plan, o, reduce);
    if (perItem === 1) outputAt(item);
    else {
      const first = kb.let('out_start', mul(item, i32(perItem)));
      kb.loop('o', first, min(dimExpr(plan.O, kb, uniforms), add(first, i32(perItem))), 'serial', outputAt);
    }
  });
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid: [gridDim] };
}

/**
 * Output element `o`: its reduced value through `reduce`, then the fused epilogue and the
 * store (only where `valid` holds, when given). Shared by the CPU and GPU schedules.
 */
export function emitReductionOutput(
  g: GroupLowering, kb: KernelBuilder, uniforms: UniformDims, plan: ReductionPlan, o: Expr, reduce: ReduceElements, valid?: Expr,
): void {
  const { anchor, reduced, keptAxes, keptShape, reducedShape, accT } = plan;
  const x = anchor.src[0]!;
  const rank = x.shape.length;
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const kept = unravel(keptShape, o, kb, uniforms).map((e) => (e.kind === 'binary' ? kb.let('i', e) : e));
  const xIndex = (k: Expr[]): Expr[] => {
    const idx = new Array<Expr>(rank);
    keptAxes.forEach((d, n) => (idx[d] = kept[n]!));
    reduced.forEach((d, n) => (idx[d] = k[n]!));
    return idx;
  };
  const xAt = (k: Expr, lanes: 1 | 4, vectorVar?: string): Expr => {
    const ctx = fusedContext(g, kb, uniforms, lanes, vectorVar);
    const v = emitValue(ctx, x, multi(xIndex(reduced.length === 1 ? [k] : unravel(reducedShape, k, kb, uniforms))));
    return lanes === 1 ? cast(v, accT) : v;
  };
  const result = reduce(dimExpr(plan.K, kb, uniforms), xAt);
  const value = cast(result, computeType(anchor));
  const anchorIndex = anchor.attrs.keepdims
    ? multi(x.shape.map((_, d) => (reduced.includes(d) ? i32(0) : kept[keptAxes.indexOf(d)]!)))
    : multi(kept);
  const write = (): void => {
    const ctx = fusedContext(g, kb, uniforms, 1, undefined, { node: anchor, value: () => value });
    kb.emit(store(out, o, cast(emitValue(ctx, g.group.root, anchorIndex), computeType(g.group.root))));
  };
  if (valid) kb.when(valid, write);
  else write();
}

function reduceLoop(
  kb: KernelBuilder, anchor: ReduceNode, K: Expr, accT: ScalarType, tryVector: boolean,
  xAt: (k: Expr, lanes: 1 | 4, vectorVar?: string) => Expr,
): Expr {
  const op = anchor.op === 'reduce_sum' || anchor.op === 'reduce_mean' ? 'add'
    : anchor.op === 'reduce_prod' ? 'mul' : anchor.op === 'reduce_max' ? 'max' : anchor.op === 'reduce_min' ? 'min' : undefined;
  if (!op) throw new LoweringError(anchor.op);
  const info = DTYPES[anchor.src[0]!.dtype];
  const init = identity(op, accT, info.min, info.max);
  const acc = kb.let('acc', init);
  let scalarStart: Expr = i32(0);
  if (tryVector && op !== 'mul') {
    const vecEnd = sub(K, rem(K, i32(4)));
    try {
      const vacc = kb.let('vacc', splat(init, 4));
      kb.loop('k', i32(0), vecEnd, 'vectorized', (k) => {
        kb.set(vacc, binary(op, vacc, xAt(k, 4, k.kind === 'var' ? k.name : undefined)));
      }, 4);
      kb.set(acc, reduceLanes(op, vacc));
      scalarStart = vecEnd;
    } catch (e) {
      if (!(e instanceof NotVectorizable)) throw e;
    }
  }
  kb.loop('k', scalarStart, K, 'serial', (k) => kb.set(acc, binary(op, acc, xAt(k, 1))));
  if (anchor.op === 'reduce_mean') return div(acc, cast(K, accT));
  return acc;
}

/** argmax/argmin: the first (or with selectLast the last) extreme element; NaN beats every number. */
function argLoop(kb: KernelBuilder, anchor: ReduceNode, K: Expr, accT: ScalarType, xAt: (k: Expr) => Expr): Expr {
  return cast(argScan(kb, anchor, K, accT, xAt).bestIndex, computeType(anchor));
}

/** The extreme value and its index (i32) over k = start, start + step, ... < K, in the order argLoop defines. */
export function argScan(
  kb: KernelBuilder, anchor: ReduceNode, K: Expr, accT: ScalarType, xAt: (k: Expr) => Expr,
  range: { readonly start: Expr; readonly step: number } = { start: i32(0), step: 1 },
): { best: Expr; bestIndex: Expr } {
  const isMax = anchor.op === 'argmax';
  const info = DTYPES[anchor.src[0]!.dtype];
  const best = kb.let('best', identity(isMax ? 'max' : 'min', accT, info.min, info.max));
  // The first element the loop visits is the answer when nothing beats the identity.
  const bestIndex = kb.let('best_index', range.start);
  const selectLast = Boolean((anchor.attrs as { selectLast?: boolean }).selectLast);
  const float = DTYPES[anchor.src[0]!.dtype].isFloat;
  kb.loop('k', range.start, K, 'serial', (k) => {
    const v = kb.let('v', xAt(k));
    const beats = selectLast ? (isMax ? ge(v, best) : le(v, best)) : (isMax ? gt(v, best) : lt(v, best));
    let update: Expr;
    if (float) {
      const vNaN = ne(v, v);
      const bestNaN = ne(best, best);
      update = selectLast ? or(vNaN, and(unary('not', bestNaN), beats)) : and(unary('not', bestNaN), or(vNaN, beats));
    } else update = beats;
    kb.when(update, () => {
      kb.set(best, v);
      kb.set(bestIndex, k);
    });
  }, range.step);
  return { best, bestIndex };
}
