// Nearest-mode resize taps in integer arithmetic, for targets that compute f64 in f32 (WGSL).
// The interpreter finds a nearest tap from an f64 source coordinate; in f32 (and with WGSL's
// inexact division) a coordinate that is exactly an integer or a half can land on the other
// side (align_corners' 21/7 comes out 2.9999998 and floor picks the wrong pixel). Where the
// axis's sizes are constants and the transform is a ratio of integers, the coordinate is
// xo = (A·j + B) / Q exactly, and floor(xo), "xo is an integer" and "frac(xo) ≤ ½" are integer
// tests on the quotient and remainder. The formula is checked at compile time against the
// interpreter's own taps (axisWeights) for every output index; where it differs anywhere (the
// f64 arithmetic rounds at a knife edge) or could overflow i32, the caller keeps the f64 path.

import { constValue } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import { axisWeights, type ResizeParams } from '../interpret/kernels/resize.js';
import { add, and, constant, div, eq, i32, le, lt, max, min, mul, select, sub, unary, type KernelBuilder } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';

type ResizeNode = Extract<Node, { op: 'resize' }>;

/** xo = (a·j + b) / q for output index j, q > 0. */
interface RationalCoordinate {
  readonly a: number;
  readonly b: number;
  readonly q: number;
}

export interface NearestTaps {
  readonly index: readonly Expr[];
  readonly weight: readonly Expr[];
}

const I32_SAFE = 2 ** 30;

/** `s` as num/den (den > 0) when a small fraction is exactly that f64 (`preferred` first). */
function fractionOf(s: number, preferred: [number, number]): [number, number] | undefined {
  if (preferred[1] > 0 && preferred[0] / preferred[1] === s) return preferred;
  // Continued fraction convergents of s.
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let x = s;
  for (let step = 0; step < 32; step++) {
    const a = Math.floor(x);
    [h0, h1] = [h1, a * h1 + h0];
    [k0, k1] = [k1, a * k1 + k0];
    if (k1 > 1 << 16) return undefined;
    if (h1 / k1 === s) return [h1, k1];
    if (x === a) return undefined;
    x = 1 / (x - a);
  }
  return undefined;
}

function rationalCoordinate(p: ResizeParams, axis: number, input: number, output: number): RationalCoordinate | undefined {
  const s = p.scales[axis]!;
  if (!(s > 0)) return undefined;
  const f = fractionOf(s, [output, input]);
  if (!f) return undefined;
  const [sn, sd] = f;
  const outputWidth = s * input;
  switch (p.coordinateTransformation) {
    case 'align_corners':
      return outputWidth === 1 ? { a: 0, b: 0, q: 1 } : { a: (input - 1) * sd, b: 0, q: sn * input - sd };
    case 'asymmetric':
      return { a: sd, b: 0, q: sn };
    case 'half_pixel':
      return { a: 2 * sd, b: sd - sn, q: 2 * sn };
    case 'pytorch_half_pixel':
      return outputWidth === 1 ? { a: 0, b: -1, q: 2 } : { a: 2 * sd, b: sd - sn, q: 2 * sn };
    case 'tf_half_pixel_for_nn':
      return { a: 2 * sd, b: sd, q: 2 * sn };
    case 'half_pixel_symmetric':
      return { a: 2 * sd, b: sn * input - output * sd + sd - sn, q: 2 * sn };
    case 'tf_crop_and_resize':
      return undefined;
  }
}

/** Whether the nearest tap goes first: frac(xo) = r/q, not an integer (r ≠ 0), per nearest mode. */
function takesFirst(mode: ResizeParams['nearestMode'], r: number, q: number): boolean {
  if (r === 0) return false;
  switch (mode) {
    case 'round_prefer_floor': return 2 * r <= q;
    case 'round_prefer_ceil': return 2 * r < q;
    case 'floor': return true;
    case 'ceil': return false;
  }
}

/** The two taps and 0/1 weights of output index j, as the interpreter lays them out (axisWeights). */
function tapsAt(c: RationalCoordinate, mode: ResizeParams['nearestMode'], input: number, j: number): { index: number[]; weight: number[] } {
  const p = c.a * j + c.b;
  const fl = Math.floor(p / c.q);
  const r = p - fl * c.q;
  const first = r === 0 ? fl : fl + 1;
  const start = Math.min(Math.max(first, 0), input) - 1;
  const index = [start, start + 1].map((i) => Math.min(Math.max(i, 0), input - 1));
  const takeFirst = takesFirst(mode, r, c.q);
  return { index, weight: takeFirst ? [1, 0] : [0, 1] };
}

/** The exact coordinate of axis `axis`, when the integer formula reproduces the interpreter everywhere. */
function verifiedCoordinate(node: ResizeNode, axis: number): { c: RationalCoordinate; input: number } | undefined {
  const p = node.attrs as ResizeParams;
  if (p.mode !== 'nearest' || p.excludeOutside) return undefined;
  const input = constValue(node.src[0]!.shape[axis]!), output = constValue(node.shape[axis]!);
  if (input === undefined || output === undefined || input < 1 || output < 1) return undefined;
  const c = rationalCoordinate(p, axis, input, output);
  if (!c || c.q <= 0) return undefined;
  const largest = Math.max(Math.abs(c.b), Math.abs(c.a * (output - 1) + c.b)) + 2 * c.q;
  if (!Number.isSafeInteger(largest) || largest >= I32_SAFE) return undefined;
  const want = axisWeights(input, output, axis, p);
  if (want.taps !== 2) return undefined;
  for (let j = 0; j < output; j++) {
    const got = tapsAt(c, p.nearestMode, input, j);
    for (let t = 0; t < 2; t++) {
      if (got.index[t] !== want.index[2 * j + t] || got.weight[t] !== want.weight[2 * j + t]) return undefined;
    }
  }
  return { c, input };
}

/**
 * The nearest taps of output index `j` on axis `axis` in integer arithmetic (weights f64 0/1),
 * or undefined where the f64 coordinate path must stay.
 */
export function exactNearestTaps(kb: KernelBuilder, node: ResizeNode, axis: number, j: Expr): NearestTaps | undefined {
  const found = verifiedCoordinate(node, axis);
  if (!found) return undefined;
  const { c, input } = found;
  const q = i32(c.q);
  const p = kb.let(`xn${axis}_`, add(mul(i32(c.a), j), i32(c.b)));
  // Floor division: truncation, then one step down where the remainder is negative.
  const t = kb.let(`xq${axis}_`, div(p, q));
  const r0 = kb.let(`xr${axis}_`, sub(p, mul(t, q)));
  const negative = lt(r0, i32(0));
  const fl = kb.let(`xf${axis}_`, select(negative, sub(t, i32(1)), t));
  const r = kb.let(`xr${axis}_`, select(negative, add(r0, q), r0));
  const exact = eq(r, i32(0));
  const first = select(exact, fl, add(fl, i32(1)));
  const start = kb.let(`start${axis}_`, sub(min(max(first, i32(0)), i32(input)), i32(1)));
  const last = i32(input - 1);
  const index = [start, add(start, i32(1))].map((i) => kb.let(`tap${axis}_`, min(max(i, i32(0)), last)));
  const mode = (node.attrs as ResizeParams).nearestMode;
  const twiceR = mul(r, i32(2));
  const ratioTest =
    mode === 'round_prefer_floor' ? le(twiceR, q)
    : mode === 'round_prefer_ceil' ? lt(twiceR, q)
    : constant('bool', mode === 'floor');
  const takeFirst = kb.let(`nearest${axis}_`, and(unary('not', exact), ratioTest));
  const one = constant('f64', 1), zero = constant('f64', 0);
  return { index, weight: [select(takeFirst, one, zero), select(takeFirst, zero, one)] };
}
