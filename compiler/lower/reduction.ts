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

type ReduceNode = Extract<Node, { op: 'reduce_sum' | 'reduce_mean' | 'reduce_max' | 'reduce_min' | 'reduce_prod' | 'argmax' | 'argmin' }>;

/** The accumulator's identity for a combining op in type t. */
function identity(op: 'add' | 'mul' | 'max' | 'min', t: ScalarType, dtypeMin: number, dtypeMax: number): Expr {
  if (op === 'add') return constant(t, 0);
  if (op === 'mul') return constant(t, 1);
  const float = t === 'f32' || t === 'f64' || t === 'f16';
  if (op === 'max') return constant(t, float ? -Infinity : dtypeMin);
  return constant(t, float ? Infinity : dtypeMax);
}

export function lowerReduction(g: GroupLowering): LoweredKernel {
  const anchor = g.group.anchor as ReduceNode;
  const x = anchor.src[0]!;
  const isArg = anchor.op === 'argmax' || anchor.op === 'argmin';
  const axes = isArg ? [(anchor.attrs as { axis: number }).axis] : [...(anchor.attrs as { axes: readonly number[] }).axes];
  const keepdims = anchor.attrs.keepdims;
  const rank = x.shape.length;
  const reduced = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  const keptAxes = x.shape.map((_, d) => d).filter((d) => !reduced.includes(d));
  const keptShape = keptAxes.map((d) => x.shape[d]!);
  const reducedShape = reduced.map((d) => x.shape[d]!);
  const K: Dim = product(reducedShape);
  const O: Dim = product(keptShape);

  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const xt = computeType(x);
  const floatX = DTYPES[x.dtype].isFloat;
  // Floats accumulate in f32 (f16/bf16 too); integers in their own compute type.
  const accT: ScalarType = floatX ? (xt === 'f64' ? 'f64' : 'f32') : xt;
  const perItem = rowsPerItem(K);
  const gridDim = blocks(O, perItem);
  const lastAxisOnly = reduced.length === 1 && reduced[0] === rank - 1;

  kb.loop('item', i32(0), dimExpr(gridDim, kb, uniforms), 'grid.x', (item) => {
    const outputAt = (o: Expr): void => {
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
      const kExtent = dimExpr(K, kb, uniforms);
      let result: Expr;
      if (isArg) result = argLoop(kb, anchor, kExtent, accT, (k) => xAt(k, 1));
      else result = reduceLoop(kb, anchor, kExtent, accT, floatX && accT === 'f32' && xt === 'f32' && lastAxisOnly && g.target.vectorLanes >= 4, xAt);
      const outT = computeType(anchor);
      const value = cast(result, outT);
      const anchorIndex = keepdims ? multi(x.shape.map((_, d) => (reduced.includes(d) ? i32(0) : kept[keptAxes.indexOf(d)]!))) : multi(kept);
      const ctx = fusedContext(g, kb, uniforms, 1, undefined, { node: anchor, value: () => value });
      kb.emit(store(out, o, cast(emitValue(ctx, g.group.root, anchorIndex), computeType(g.group.root))));
    };
    if (perItem === 1) outputAt(item);
    else {
      const first = kb.let('out_start', mul(item, i32(perItem)));
      kb.loop('o', first, min(dimExpr(O, kb, uniforms), add(first, i32(perItem))), 'serial', outputAt);
    }
  });
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid: [gridDim] };
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
  const isMax = anchor.op === 'argmax';
  const info = DTYPES[anchor.src[0]!.dtype];
  const best = kb.let('best', identity(isMax ? 'max' : 'min', accT, info.min, info.max));
  const bestIndex = kb.let('best_index', i32(0));
  const selectLast = Boolean((anchor.attrs as { selectLast?: boolean }).selectLast);
  const float = DTYPES[anchor.src[0]!.dtype].isFloat;
  kb.loop('k', i32(0), K, 'serial', (k) => {
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
  });
  return cast(bestIndex, computeType(anchor));
}
