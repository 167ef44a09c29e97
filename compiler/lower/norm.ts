// softmax, log_softmax, layer_norm and rms_norm as one kernel each, one row per work item (or
// several short rows): passes over the row compute its statistics (max and sum of exp; mean
// and variance; mean of squares), then a last pass writes the normalised values through the
// fused epilogue. The prologue (ops feeding only the norm) is recomputed in every pass rather
// than stored. When the row is the contiguous innermost axis of f32 values, every pass runs an
// f32x4 loop with a scalar tail. A plain softmax on the CPU (one work item owns its row) stores
// e^(x−max) in its output during the sum pass and scales it in place, so exp runs once per
// element instead of twice and the prologue is not recomputed.

import { constValue, type Dim } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import {
  add, binary, cast, div, f32, i32, load, min, mul, reduceLanes, rem, splat, store, sub, unary, KernelBuilder,
} from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { LoweringError } from './errors.js';
import { computeType, emitValue, NotVectorizable } from './fused-expr.js';
import { bufferRecord } from './elementwise.js';
import { blocks, fusedContext, product, rowsPerItem, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { broadcastIndex, multi, unravel } from './view.js';

type NormNode = Extract<Node, { op: 'softmax' | 'log_softmax' | 'layer_norm' | 'rms_norm' }>;

/** A pass over the row: k runs over the row's elements; lanes 4 means elements k..k+3. */
export type ElementFn = (k: Expr, lanes: 1 | 4, vectorVar: string | undefined) => Expr;

/** The shape of a norm's work: rows (of rowLength elements, inner-strided for softmax over a middle axis). */
export interface NormPlan {
  readonly anchor: NormNode;
  readonly outerShape: readonly Dim[];
  readonly rowShape: readonly Dim[];
  readonly innerShape: readonly Dim[];
  readonly rowLength: Dim;
  readonly innerCount: Dim;
  readonly rows: Dim;
  readonly contiguous: boolean;
  /** Whether passes may run f32x4 loops along the row. */
  readonly canVector: boolean;
}

/** How a schedule walks one row: its reductions, and its element-wise last pass. */
export interface NormRowLoops {
  /** Σ or max of f over the row's L elements, as a value the code after it can use. */
  accumulate(L: Expr, op: 'add' | 'max', init: number, f: ElementFn): Expr;
  /** Runs body over the row's L elements. */
  forEach(L: Expr, body: (k: Expr, lanes: 1 | 4, vectorVar: string | undefined) => void): void;
  /** Whether one pass may store into the row's output and a later pass read it back (the same work item owns every element). */
  readonly readBack?: boolean;
}

export function planNorm(g: GroupLowering): NormPlan {
  const anchor = g.group.anchor as NormNode;
  if (!['softmax', 'log_softmax', 'layer_norm', 'rms_norm'].includes(anchor.op)) throw new LoweringError(anchor.op);
  const x = anchor.src[0]!;
  const shape = x.shape;
  const rank = shape.length;
  const axis = anchor.attrs.axis;
  const isSoftmax = anchor.op === 'softmax' || anchor.op === 'log_softmax';
  // softmax runs along one axis (rows may be strided by the dims after it); the norms over axis..rank-1.
  const outerShape = shape.slice(0, axis);
  const rowShape = isSoftmax ? [shape[axis]!] : shape.slice(axis);
  const innerShape = isSoftmax ? shape.slice(axis + 1) : [];
  const rowLength: Dim = product(rowShape);
  const innerCount: Dim = product(innerShape);
  const rows: Dim = product([...outerShape, ...innerShape]);
  const contiguous = constValue(innerCount) === 1;
  const canVector = contiguous && rowShape.length === 1 && computeType(x) === 'f32' && g.out.dtype === 'f32' &&
    g.target.vectorLanes >= 4;
  return { anchor, outerShape, rowShape, innerShape, rowLength, innerCount, rows, contiguous, canVector };
}

export function lowerNorm(g: GroupLowering): LoweredKernel {
  const plan = planNorm(g);
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const perItem = rowsPerItem(plan.rowLength);
  const gridDim = blocks(plan.rows, perItem);
  const loops: NormRowLoops = {
    accumulate: (L, op, init, f) => accumulateRow(kb, L, plan.canVector, op, init, f),
    forEach: (L, body) => rowLoop(kb, L, plan.canVector, body),
    readBack: true,
  };
  kb.loop('item', i32(0), dimExpr(gridDim, kb, uniforms), 'grid.x', (item) => {
    const row = (r: Expr): void => emitNormRow(g, kb, uniforms, plan, r, loops);
    if (perItem === 1) row(item);
    else {
      const first = kb.let('row_start', mul(item, i32(perItem)));
      kb.loop('r', first, min(dimExpr(plan.rows, kb, uniforms), add(first, i32(perItem))), 'serial', row);
    }
  });
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid: [gridDim] };
}

/**
 * One row of a norm: its statistics through `loops.accumulate`, then the normalised values,
 * through the fused epilogue, stored by `loops.forEach`. Shared by the CPU and GPU schedules.
 */
export function emitNormRow(g: GroupLowering, kb: KernelBuilder, uniforms: UniformDims, plan: NormPlan, r: Expr, loops: NormRowLoops): void {
  const { anchor, outerShape, rowShape, innerShape, rowLength, innerCount, contiguous } = plan;
  const x = anchor.src[0]!;
  const shape = x.shape;
  const axis = anchor.attrs.axis;
  // softmax's exps kept in the output between passes (see the file header)
  const keepExps = anchor.op === 'softmax' && loops.readBack === true && g.group.root === anchor && contiguous &&
    g.out.dtype === 'f32' && computeType(anchor) === 'f32';
  const out = kb.buffer(g.out.value, g.out.dtype, keepExps ? 'read_write' : 'write');
  const rootT = computeType(g.group.root);
  const L = dimExpr(rowLength, kb, uniforms);
  const I = dimExpr(innerCount, kb, uniforms);
  const o = contiguous ? r : kb.let('outer', div(r, I));
  const inner = contiguous ? i32(0) : kb.let('inner', rem(r, I));
  const outerIdx = unravel(outerShape, o, kb, uniforms).map((e) => (e.kind === 'binary' ? kb.let('i', e) : e));
  const innerIdx = unravel(innerShape, inner, kb, uniforms).map((e) => (e.kind === 'binary' ? kb.let('i', e) : e));
  const rowBase = kb.let('row_base', mul(o, mul(L, I)));
  const xIndex = (k: Expr): Expr[] => [...outerIdx, ...(rowShape.length === 1 ? [k] : unravel(rowShape, k, kb, uniforms)), ...innerIdx];
  const outFlat = (k: Expr): Expr => add(rowBase, contiguous ? k : add(mul(k, I), inner));
  const xAt: ElementFn = (k, lanes, vectorVar) => {
    const ctx = fusedContext(g, kb, uniforms, lanes, vectorVar);
    const v = emitValue(ctx, x, multi(xIndex(k)));
    return lanes === 1 ? cast(v, 'f32') : v;
  };
  /** The scale or bias operand at element k, broadcast over the normalised dims. */
  const affine = (p: Node, k: Expr, lanes: 1 | 4, vectorVar: string | undefined): Expr => {
    const ctx = fusedContext(g, kb, uniforms, lanes, vectorVar);
    const normalized = shape.slice(axis);
    const idx = xIndex(k).slice(axis);
    const v = emitValue(ctx, p, broadcastIndex(multi(idx), p.shape, normalized, kb, uniforms));
    return lanes === 1 ? cast(v, 'f32') : v;
  };
  const lanesOf = (s: Expr, lanes: 1 | 4): Expr => (lanes === 1 ? s : splat(s, 4));
  const accumulate = (op: 'add' | 'max', init: number, f: ElementFn): Expr => loops.accumulate(L, op, init, f);

  let value: ElementFn;
  switch (anchor.op) {
    case 'softmax':
    case 'log_softmax': {
      const m = kb.let('row_max', accumulate('max', -Infinity, xAt));
      if (keepExps) {
        const s = kb.let('row_sum', accumulate('add', 0, (k, lanes, v) => {
          const e = kb.let('e', unary('exp', sub(xAt(k, lanes, v), lanesOf(m, lanes))));
          kb.emit(store(out, outFlat(k), e));
          return e;
        }));
        const inv = kb.let('inv_sum', div(f32(1), s));
        value = (k, lanes) => mul(lanes === 1 ? load(out, outFlat(k)) : load(out, outFlat(k), lanes), lanesOf(inv, lanes));
        break;
      }
      const s = kb.let('row_sum', accumulate('add', 0, (k, lanes, v) => unary('exp', sub(xAt(k, lanes, v), lanesOf(m, lanes)))));
      if (anchor.op === 'softmax') {
        const inv = kb.let('inv_sum', div(f32(1), s));
        value = (k, lanes, v) => mul(unary('exp', sub(xAt(k, lanes, v), lanesOf(m, lanes))), lanesOf(inv, lanes));
      } else {
        const shift = kb.let('shift', add(m, unary('log', s)));
        value = (k, lanes, v) => sub(xAt(k, lanes, v), lanesOf(shift, lanes));
      }
      break;
    }
    case 'layer_norm': {
      const n = cast(L, 'f32');
      const mean = kb.let('mean', div(accumulate('add', 0, xAt), n));
      const variance = accumulate('add', 0, (k, lanes, v) => {
        const d = sub(xAt(k, lanes, v), lanesOf(mean, lanes));
        return mul(d, d);
      });
      const rstd = kb.let('rstd', div(f32(1), unary('sqrt', add(div(variance, n), f32(anchor.attrs.eps)))));
      const scale = anchor.attrs.hasScale ? anchor.src[1] : undefined;
      const bias = anchor.attrs.hasBias ? anchor.src[anchor.src.length - 1] : undefined;
      value = (k, lanes, v) => {
        let y = mul(sub(xAt(k, lanes, v), lanesOf(mean, lanes)), lanesOf(rstd, lanes));
        if (scale) y = mul(y, affine(scale, k, lanes, v));
        if (bias) y = add(y, affine(bias, k, lanes, v));
        return y;
      };
      break;
    }
    case 'rms_norm': {
      const n = cast(L, 'f32');
      const squares = accumulate('add', 0, (k, lanes, v) => {
        const e = xAt(k, lanes, v);
        return mul(e, e);
      });
      const rinv = kb.let('rinv', div(f32(1), unary('sqrt', add(div(squares, n), f32(anchor.attrs.eps)))));
      const scale = anchor.attrs.hasScale ? anchor.src[1] : undefined;
      value = (k, lanes, v) => {
        const y = mul(xAt(k, lanes, v), lanesOf(rinv, lanes));
        return scale ? mul(y, affine(scale, k, lanes, v)) : y;
      };
      break;
    }
  }
  const anchorT = computeType(anchor);
  const write = (k: Expr, lanes: 1 | 4, vectorVar: string | undefined): void => {
    const y = value(k, lanes, vectorVar);
    const anchorValue = lanes === 1 ? cast(y, anchorT) : y;
    const ctx = fusedContext(g, kb, uniforms, lanes, vectorVar, { node: anchor, value: () => anchorValue });
    const result = emitValue(ctx, g.group.root, multi(xIndex(k)));
    kb.emit(store(out, outFlat(k), lanes === 1 ? cast(result, rootT) : result));
  };
  loops.forEach(L, write);
}

/** Σ or max of f over the row: an f32x4 loop when it vectorises, then the scalar tail. */
function accumulateRow(kb: KernelBuilder, L: Expr, tryVector: boolean, op: 'add' | 'max', init: number, f: ElementFn): Expr {
  const acc = kb.let('acc', f32(init));
  let tailStart: Expr = i32(0);
  if (tryVector) {
    const vecEnd = sub(L, rem(L, i32(4)));
    try {
      const vacc = kb.let('vacc', splat(f32(init), 4));
      kb.loop('k', i32(0), vecEnd, 'vectorized', (k) => kb.set(vacc, binary(op, vacc, f(k, 4, name(k)))), 4);
      kb.set(acc, reduceLanes(op, vacc));
      tailStart = vecEnd;
    } catch (e) {
      if (!(e instanceof NotVectorizable)) throw e;
    }
  }
  kb.loop('k', tailStart, L, 'serial', (k) => kb.set(acc, binary(op, acc, f(k, 1, undefined))));
  return acc;
}

function rowLoop(kb: KernelBuilder, L: Expr, tryVector: boolean, body: (k: Expr, lanes: 1 | 4, vectorVar: string | undefined) => void): void {
  let tailStart: Expr = i32(0);
  if (tryVector) {
    const vecEnd = sub(L, rem(L, i32(4)));
    try {
      kb.loop('k', i32(0), vecEnd, 'vectorized', (k) => body(k, 4, name(k)), 4);
      tailStart = vecEnd;
    } catch (e) {
      if (!(e instanceof NotVectorizable)) throw e;
    }
  }
  kb.loop('k', tailStart, L, 'serial', (k) => body(k, 1, undefined));
}

function name(e: Expr): string {
  if (e.kind !== 'var') throw new Error('loop variable expected');
  return e.name;
}
