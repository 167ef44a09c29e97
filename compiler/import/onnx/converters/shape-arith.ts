// Arithmetic on shape values. PyTorch exports compute shapes at run time (Shape → Gather →
// Mul → Unsqueeze → Concat → Reshape); when the operands are known dims, the result is a dim
// again, so the chain folds into dim arithmetic and the Reshape gets a symbolic target shape.
// Dims are never negative, so integer division and modulo on them need no sign cases.

import { addDim, constValue, dimEquals, floorDivDim, maxDim, minDim, modDim, mulDim, subDim, type Dim } from '../../../ir/dim.js';
import type { Node } from '../../../ir/node.js';
import type { ConvertContext } from '../context.js';

export type DimBinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'max' | 'min';

const DIM_OPS: Readonly<Record<DimBinaryOp, (a: Dim, b: Dim) => Dim>> = {
  add: addDim,
  sub: subDim,
  mul: mulDim,
  div: floorDivDim,
  mod: modDim,
  max: maxDim,
  min: minDim,
};

/** Whether input `i` is a scalar (rank 0) value. */
function isScalar(ctx: ConvertContext, i: number): boolean {
  return ctx.input(i).shape.length === 0;
}

/** Elementwise pairs of two dim lists with NumPy broadcasting of a one-element side. */
function zipBroadcast<T>(a: readonly Dim[], b: readonly Dim[], f: (x: Dim, y: Dim) => T): T[] | undefined {
  if (a.length === b.length) return a.map((x, i) => f(x, b[i]!));
  if (a.length === 1) return b.map((y) => f(a[0]!, y));
  if (b.length === 1) return a.map((x) => f(x, b[0]!));
  return undefined;
}

/**
 * `op` on inputs 0 and 1 as dims, when both are known integer shape values and at least one is
 * symbolic (all-constant operands are folded by the importer anyway). Undefined otherwise.
 */
export function dimArithmetic(ctx: ConvertContext, op: DimBinaryOp): Node | undefined {
  const a = ctx.dims(0), b = ctx.dims(1);
  if (a === undefined || b === undefined) return undefined;
  const out = zipBroadcast(a, b, DIM_OPS[op]);
  if (out === undefined) return undefined;
  // A dim value is an integer; a negative result (S - 5 for small S) cannot be checked here.
  return ctx.dimValues(out, isScalar(ctx, 0) && isScalar(ctx, 1));
}

/** Compares two dims: true/false when decidable, undefined when it depends on the bound values. */
export function dimsEqual(a: Dim, b: Dim): boolean | undefined {
  if (dimEquals(a, b)) return true;
  const ca = constValue(a), cb = constValue(b);
  if (ca !== undefined && cb !== undefined) return ca === cb;
  // A symbolic dim is never negative: it differs from every negative constant (the -1 of
  // Reshape and Expand shape patterns).
  if ((ca !== undefined && ca < 0) || (cb !== undefined && cb < 0)) return false;
  return undefined;
}

/** Equal on shape values, when every pair is decidable: a bool constant. */
export function dimEquality(ctx: ConvertContext): Node | undefined {
  const a = ctx.dims(0), b = ctx.dims(1);
  if (a === undefined || b === undefined) return undefined;
  const out = zipBroadcast(a, b, dimsEqual);
  if (out === undefined || out.some((v) => v === undefined)) return undefined;
  const shape = isScalar(ctx, 0) && isScalar(ctx, 1) ? [] : [out.length];
  return ctx.constantTensor({ dtype: 'bool', shape, data: Uint8Array.from(out as boolean[], Number) });
}

/** Where(cond, a, b) on shape values with a known condition: picks dims. */
export function dimSelect(ctx: ConvertContext): Node | undefined {
  const cond = ctx.constant(0);
  const a = ctx.dims(1), b = ctx.dims(2);
  if (cond === undefined || a === undefined || b === undefined || cond.shape.length > 1) return undefined;
  const n = Math.max(cond.data.length, a.length, b.length);
  const pick = (list: readonly Dim[], i: number): Dim | undefined => (list.length === 1 ? list[0] : list[i]);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const c = cond.data.length === 1 ? cond.data[0] : cond.data[i];
    const d = c ? pick(a, i) : pick(b, i);
    if (d === undefined) return undefined;
    out.push(d);
  }
  return ctx.dimValues(out, [0, 1, 2].every((i) => isScalar(ctx, i)));
}

