// Resize (nearest, linear, cubic; every coordinate transform) to Kernel IR: one output element
// per loop iteration. Per resized axis the element finds its source coordinate, its taps
// (2 or 4 input indices, clamped to the edge) and their weights; the value is the nested sum
// over the axes' taps, outermost axis outermost, in f64.
//
// Semantics: compiler/interpret/kernels/resize.ts (after the ONNX reference). The arithmetic
// is the interpreter's, operation for operation and in f64, so results agree to the bit: the
// interpreter interpolates the innermost axis first and combines outwards, which is this
// nested sum; an identity axis is read straight through; a tf_crop_and_resize coordinate out
// of the roi gives the extrapolation value; the result saturates to the output dtype.
// Antialiased resizing (a footprint wider than the taps) is refused for now. On webgpu, where
// f64 computes in f32, nearest taps come from integer arithmetic where the sizes are constant
// and the transform a ratio of integers (resize-nearest-exact.ts); the CPU path is unchanged.

import { DTYPES } from '../ir/dtype.js';
import { dimEquals } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import {
  add, and, cast, constant, div, eq, ge, gt, i32, KernelBuilder, le, lt, max, min, mul, or, select, sub, unary,
} from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { bufferRecord, emitElementLoops } from './elementwise.js';
import { LoweringError } from './errors.js';
import { computeType, emitValue } from './fused-expr.js';
import { fusedContext, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { storeConverted } from './strided-index.js';
import { exactNearestTaps } from './resize-nearest-exact.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { multi, unravel } from './view.js';

type ResizeNode = Extract<Node, { op: 'resize' }>;

const f64 = (v: number): Expr => constant('f64', v);

/** One resized axis of one output element: tap indices, weights, and whether it extrapolates. */
interface AxisTaps {
  readonly index: readonly Expr[];
  readonly weight: readonly Expr[];
  readonly outside?: Expr;
}

export function lowerResize(g: GroupLowering, node: ResizeNode): LoweredKernel {
  const x = node.src[0]!;
  const p = node.attrs;
  if (p.antialias && p.mode !== 'nearest') throw new LoweringError('resize', ' (antialias)');
  const rank = x.shape.length;
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const t = computeType(node);

  // Axes whose size, scale and transform leave them as they are (the interpreter skips them).
  const identity = x.shape.map((d, a) => {
    if (!dimEquals(d, node.shape[a]!) || p.scales[a] !== 1) return false;
    if (p.coordinateTransformation === 'tf_half_pixel_for_nn') return false;
    if (p.coordinateTransformation === 'tf_crop_and_resize') return p.roi[a] === 0 && p.roi[rank + a] === 1;
    return true;
  });

  // WGSL computes f64 in f32: nearest taps come from integer arithmetic there where they can.
  const integerNearest = g.target.name === 'webgpu';
  const grid = emitElementLoops(kb, uniforms, node.shape, true, false, (_index, outFlat) => {
    const ctx = fusedContext(g, kb, uniforms, 1);
    const idx = unravel(node.shape, outFlat, kb, uniforms).map((e) => (e.kind === 'binary' ? kb.let('i', e) : e));
    const axes: (AxisTaps | undefined)[] = idx.map((j, a) => (identity[a] ? undefined : axisTaps(kb, uniforms, node, a, j, integerNearest)));
    // The nested sum: axis a sums its taps of the value over the axes after it.
    const valueFrom = (a: number, at: readonly Expr[]): Expr => {
      if (a === rank) return cast(emitValue(ctx, x, multi(at)), 'f64');
      const taps = axes[a];
      if (!taps) return valueFrom(a + 1, [...at, idx[a]!]);
      let acc = f64(0);
      taps.index.forEach((i, k) => {
        acc = kb.let('acc', add(acc, mul(taps.weight[k]!, valueFrom(a + 1, [...at, i]))));
      });
      return taps.outside ? select(taps.outside, f64(p.extrapolationValue), acc) : acc;
    };
    let value = kb.let('v', valueFrom(0, []));
    const info = DTYPES[node.dtype];
    if (node.dtype !== 'bool' && node.dtype !== 'f64') {
      // The reference's saturate_cast: integers round half to even, all clamp to the range (NaN stays).
      const rounded = info.isInt ? unary('round', value) : value;
      const clamped = min(max(rounded, f64(info.min)), f64(info.max));
      value = select(eq(value, value), clamped, value);
    }
    kb.emit(storeConverted(out, outFlat, cast(value, t)));
  });
  const k = kb.finish();
  return { kernel: k, buffers: bufferRecord(k), uniforms: uniformRecord(uniforms), grid };
}

/** The source coordinate of output index `j` on axis `a`, as sourceCoordinate (interpret/kernels/resize.ts) computes it. */
function sourceCoordinate(node: ResizeNode, a: number, j: Expr, input: Expr, output: Expr): { xo: Expr; outside?: Expr } {
  const p = node.attrs;
  const rank = node.shape.length;
  const scale = f64(p.scales[a]!);
  const outputWidth = mul(scale, input);
  const isOne = eq(outputWidth, f64(1));
  const half = add(j, f64(0.5));
  switch (p.coordinateTransformation) {
    case 'align_corners':
      return { xo: select(isOne, f64(0), div(mul(j, sub(input, f64(1))), sub(outputWidth, f64(1)))) };
    case 'asymmetric':
      return { xo: div(j, scale) };
    case 'tf_crop_and_resize': {
      const roiStart = p.roi[a] ?? 0, roiEnd = p.roi[rank + a] ?? 1;
      const span = f64(roiEnd - roiStart);
      const last = sub(input, f64(1));
      const xo = add(
        select(isOne, div(mul(span, last), f64(2)), div(mul(mul(j, span), last), sub(outputWidth, f64(1)))),
        mul(f64(roiStart), last),
      );
      return { xo, outside: or(lt(xo, f64(0)), gt(xo, last)) };
    }
    case 'pytorch_half_pixel':
      return { xo: select(isOne, f64(-0.5), sub(div(half, scale), f64(0.5))) };
    case 'half_pixel':
      return { xo: sub(div(half, scale), f64(0.5)) };
    case 'half_pixel_symmetric': {
      const adjustment = div(output, outputWidth);
      const offset = mul(div(input, f64(2)), sub(f64(1), adjustment));
      return { xo: sub(add(offset, div(half, scale)), f64(0.5)) };
    }
    case 'tf_half_pixel_for_nn':
      return { xo: div(half, scale) };
  }
}

/** Weights for ratio in (0, 1], as the interpreter's nearest/linear/cubic coefficients. */
function coefficients(node: ResizeNode, ratio: Expr): Expr[] {
  const p = node.attrs;
  const one = f64(1), zero = f64(0);
  switch (p.mode) {
    case 'nearest': {
      const exact = eq(ratio, one);
      const takeFirst =
        p.nearestMode === 'round_prefer_floor' ? le(ratio, f64(0.5))
        : p.nearestMode === 'round_prefer_ceil' ? lt(ratio, f64(0.5))
        : p.nearestMode === 'floor' ? constant('bool', true) : constant('bool', false);
      const first = and(unary('not', exact), takeFirst);
      return [select(first, one, zero), select(first, zero, one)];
    }
    case 'linear':
      return [sub(one, ratio), ratio];
    case 'cubic': {
      const A = f64(p.cubicCoeffA);
      const r = ratio, q = sub(one, ratio);
      const r1 = add(r, one), q1 = add(q, one);
      const c = (v: number): Expr => f64(v * p.cubicCoeffA);
      const A2 = f64(p.cubicCoeffA + 2), A3 = f64(p.cubicCoeffA + 3);
      return [
        sub(mul(add(mul(sub(mul(A, r1), c(5)), r1), c(8)), r1), c(4)),
        add(mul(mul(sub(mul(A2, r), A3), r), r), one),
        add(mul(mul(sub(mul(A2, q), A3), q), q), one),
        sub(mul(add(mul(sub(mul(A, q1), c(5)), q1), c(8)), q1), c(4)),
      ];
    }
  }
}

function axisTaps(kb: KernelBuilder, uniforms: UniformDims, node: ResizeNode, a: number, j: Expr, integerNearest: boolean): AxisTaps {
  const exact = integerNearest ? exactNearestTaps(kb, node, a, j) : undefined;
  if (exact) return exact;
  const x = node.src[0]!;
  const inputI = dimExpr(x.shape[a]!, kb, uniforms);
  const input = cast(inputI, 'f64');
  const output = cast(dimExpr(node.shape[a]!, kb, uniforms), 'f64');
  const coord = sourceCoordinate(node, a, cast(j, 'f64'), input, output);
  const xo = kb.let(`xo${a}`, coord.xo);
  const floor = kb.let(`floor${a}`, unary('floor', xo));
  const ratio = kb.let(`ratio${a}`, select(eq(xo, floor), f64(1), sub(xo, floor)));
  const weights = coefficients(node, ratio).map((w) => kb.let(`w${a}_`, w));
  const n = weights.length, half = n / 2;
  // The n pixels nearest xo, found from xo + n/2 as the reference does (see the interpreter).
  const xp = kb.let(`xp${a}`, add(xo, f64(half)));
  const xpFloor = unary('floor', xp);
  const first = select(eq(xpFloor, xp), sub(xp, f64(half)), add(sub(xpFloor, f64(half)), f64(1)));
  const start = kb.let(`start${a}`, sub(cast(min(max(first, f64(0)), input), 'i32'), i32(half)));
  const index: Expr[] = [];
  const weight: Expr[] = [...weights];
  const last = sub(inputI, i32(1));
  for (let k = 0; k < n; k++) {
    const i = add(start, i32(k));
    if (node.attrs.excludeOutside) weight[k] = select(and(ge(i, i32(0)), lt(i, inputI)), weight[k]!, f64(0));
    index.push(kb.let(`tap${a}_`, min(max(i, i32(0)), last)));
  }
  if (node.attrs.excludeOutside) {
    let kept = f64(0);
    for (const w of weight) kept = add(kept, w);
    const total = kb.let(`kept${a}`, kept);
    for (let k = 0; k < n; k++) weight[k] = kb.let(`w${a}_`, div(weight[k]!, total));
  }
  return { index, weight, ...(coord.outside ? { outside: kb.let(`outside${a}`, coord.outside) } : {}) };
}
