// Pooling (max, avg, and MaxPool's indices) over 1 to 3 spatial axes to Kernel IR: one output
// element per loop iteration, the window walked tap by tap with taps outside the input skipped.
//
// Semantics: compiler/interpret/kernels/pool.ts. max skips NaN taps and keeps the first of
// equal maxima (a window with no input tap gives NaN); avg sums in f64 and divides by the taps
// inside the input, or with countIncludePad by those inside the padded input; max_index is the
// flat index of the maximum in x, the spatial axes row-major or (storageOrder 1) column-major.

import { constDim, mulDim, type Dim } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import { add, and, cast, constant, div, eq, ge, gt, i32, KernelBuilder, lt, mul, or, select, sub } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { bufferRecord, emitElementLoops } from './elementwise.js';
import { computeType, emitValue } from './fused-expr.js';
import { fusedContext, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { storeConverted } from './strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { multi, unravel } from './view.js';

export function lowerPool(g: GroupLowering, node: Extract<Node, { op: 'pool' }>): LoweredKernel {
  const x = node.src[0]!;
  const { kind, kernel, strides, pads, dilations, countIncludePad, storageOrder } = node.attrs;
  const spatial = kernel.length;
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const t = computeType(x);
  const isFloat = t === 'f32' || t === 'f64' || t === 'f16';
  const inSpatial = x.shape.slice(2);
  // Element strides of the index output over the spatial axes.
  const indexStrides: Dim[] = inSpatial.map((_, a) => {
    const axes = storageOrder === 1 ? inSpatial.slice(0, a) : inSpatial.slice(a + 1);
    return axes.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
  });
  const inPlane = inSpatial.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));

  const grid = emitElementLoops(kb, uniforms, node.shape, true, false, (_index, outFlat) => {
    const [n, c, ...o] = unravel(node.shape, outFlat, kb, uniforms).map((e) => (e.kind === 'binary' ? kb.let('i', e) : e));
    const ctx = fusedContext(g, kb, uniforms, 1);
    const origin = o.map((od, a) => kb.let(`origin${a}`, sub(mul(od!, i32(strides[a]!)), i32(pads[a]!))));
    const sum = kind === 'avg' ? kb.let('sum', constant('f64', 0)) : undefined;
    const count = kb.let('count', i32(0));
    const paddedCount = kind === 'avg' && countIncludePad ? kb.let('padded_count', i32(0)) : undefined;
    const best = kind !== 'avg' ? kb.let('best', constant(t, 0)) : undefined;
    const bestAt = kind === 'max_index' ? kb.let('best_at', i32(0)) : undefined;

    const taps = (a: number, pos: readonly Expr[], inside: Expr | undefined, inPadded: Expr | undefined): void => {
      if (a === spatial) {
        const tap = (): void => {
          const v = kb.let('v', emitValue(ctx, x, multi([n!, c!, ...pos])));
          if (sum) kb.set(sum, add(sum, cast(v, 'f64')));
          else {
            // The first non-NaN tap, then only strictly larger ones.
            const first = and(eq(count, i32(0)), eq(v, v));
            kb.when(or(first, and(gt(count, i32(0)), gt(v, best!))), () => {
              kb.set(best!, v);
              if (bestAt) kb.set(bestAt, pos.reduce((acc, p, k) => add(acc, mul(p, dim(indexStrides[k]!))), i32(0)));
              if (kind !== 'avg') kb.set(count, add(count, i32(1)));
            });
          }
          if (sum) kb.set(count, add(count, i32(1)));
        };
        if (paddedCount) kb.when(inPadded!, () => kb.set(paddedCount, add(paddedCount, i32(1))));
        if (inside) kb.when(inside, tap);
        else tap();
        return;
      }
      kb.loop(`k${a}`, i32(0), i32(kernel[a]!), 'serial', (k) => {
        const p = kb.let(`p${a}`, add(origin[a]!, mul(k, i32(dilations[a]!))));
        const size = dim(inSpatial[a]!);
        const within = and(ge(p, i32(0)), lt(p, size));
        const withinPadded = and(ge(p, i32(-pads[a]!)), lt(p, add(size, i32(pads[spatial + a]!))));
        taps(a + 1, [...pos, p], inside ? and(inside, within) : within, inPadded ? and(inPadded, withinPadded) : withinPadded);
      });
    };
    taps(0, [], undefined, undefined);

    let value: Expr;
    if (sum) {
      value = div(sum, cast(paddedCount ?? count, 'f64'));
    } else if (bestAt) {
      const plane = add(mul(n!, dim(x.shape[1]!)), c!);
      value = select(gt(count, i32(0)), cast(add(mul(plane, dim(inPlane)), bestAt), 'i64'), constant('i64', -1));
    } else {
      value = select(gt(count, i32(0)), best!, isFloat ? constant(t, NaN) : constant(t, 0));
    }
    kb.emit(storeConverted(out, outFlat, value));
  });
  const k = kb.finish();
  return { kernel: k, buffers: bufferRecord(k), uniforms: uniformRecord(uniforms), grid };
}
