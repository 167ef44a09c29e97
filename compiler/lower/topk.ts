// TopK (one result: values or indices) to Kernel IR, by rank: a work item takes one lane along
// the axis; each element's rank is the number of elements that sort before it, and an element
// of rank < k is written at that rank. The order is total (ties go to the lower index), so
// every output slot is written once, with no scratch array; the cost is len² compares per
// lane, which suits the short axes TopK sees in models (a sort is the next step for long ones).
//
// Semantics: compiler/interpret/kernels/topk.ts — largest (or smallest) first, ties by lower
// index, NaN above every number. Values move untouched; u64 compares unsigned.

import type { Node } from '../ir/node.js';
import {
  add, and, cast, constant, div, eq, gt, i32, KernelBuilder, lt, mul, ne, or, rem, select, store, binary, unary,
} from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { bufferRecord } from './elementwise.js';
import { computeType, emitValue } from './fused-expr.js';
import { fusedContext, product, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { multi, unravel } from './view.js';

export function lowerTopk(g: GroupLowering, node: Extract<Node, { op: 'topk' }>): LoweredKernel {
  const x = node.src[0]!;
  const { axis, largest, output } = node.attrs;
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const t = computeType(x);
  const isFloat = t === 'f32' || t === 'f64' || t === 'f16';
  const outerShape = x.shape.slice(0, axis), innerShape = x.shape.slice(axis + 1);
  const lanes = product([...outerShape, ...innerShape]);

  /** a > b with NaN above every number; u64 as unsigned (flipping the sign bit keeps the order). */
  const greater = (a: Expr, b: Expr): Expr => {
    if (x.dtype === 'u64') {
      const flip = constant('i64', -(2 ** 63));
      return gt(binary('xor', a, flip), binary('xor', b, flip));
    }
    if (!isFloat) return gt(a, b);
    return select(ne(a, a), eq(b, b), and(eq(b, b), gt(a, b)));
  };

  kb.loop('lane', i32(0), dimExpr(lanes, kb, uniforms), 'grid.x', (lane) => {
    const I = dimExpr(product(innerShape), kb, uniforms);
    const L = dimExpr(x.shape[axis]!, kb, uniforms);
    const K = dimExpr(node.attrs.k, kb, uniforms);
    const o = kb.let('outer', div(lane, I));
    const inner = kb.let('inner', rem(lane, I));
    const outerIdx = unravel(outerShape, o, kb, uniforms);
    const innerIdx = unravel(innerShape, inner, kb, uniforms);
    const at = (p: Expr): Expr[] => [...outerIdx, p, ...innerIdx];
    kb.loop('i', i32(0), L, 'serial', (i) => {
      const ctx = fusedContext(g, kb, uniforms, 1);
      const v = kb.let('v', emitValue(ctx, x, multi(at(i))));
      const rank = kb.let('rank', i32(0));
      kb.loop('m', i32(0), L, 'serial', (m) => {
        const inner = fusedContext(g, kb, uniforms, 1);
        const w = kb.let('w', emitValue(inner, x, multi(at(m))));
        const better = largest ? greater(w, v) : greater(v, w);
        const worse = largest ? greater(v, w) : greater(w, v);
        const before = or(better, and(unary('not', worse), lt(m, i)));
        kb.set(rank, add(rank, cast(before, 'i32')));
      });
      kb.when(lt(rank, K), () => {
        const slot = add(mul(add(mul(o, K), rank), I), inner);
        kb.emit(store(out, slot, output === 'values' ? v : cast(i, 'i64')));
      });
    });
  });
  const k = kb.finish();
  return { kernel: k, buffers: bufferRecord(k), uniforms: uniformRecord(uniforms), grid: [lanes] };
}
