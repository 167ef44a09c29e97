// Ops that fuse with nothing, one kernel each (their operands' elementwise prologues still fuse
// in through emitValue): cumsum (a serial scan per lane along its axis; lanes spread over work
// items) here, and pool, quantize/dequantize, topk, resize, conv_transpose, einsum and the
// recurrent layers in files of their own. Any other op here has no lowering yet and says so.

import type { Node } from '../ir/node.js';
import { add, cast, constant, div, i32, min, mul, rem, store, sub, KernelBuilder } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { bufferRecord } from './elementwise.js';
import { LoweringError } from './errors.js';
import { computeType, emitValue } from './fused-expr.js';
import { blocks, fusedContext, product, rowsPerItem, sources, type GroupLowering } from './group-context.js';
import { lowerConvTranspose } from './conv-transpose.js';
import { lowerEinsum } from './einsum.js';
import { lowerPool } from './pool.js';
import { lowerQuantize } from './quantize.js';
import { lowerResize } from './resize.js';
import { lowerTopk } from './topk.js';
import { lowerRnn } from './recurrent.js';
import type { LoweredKernel } from './specs.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { multi, unravel } from './view.js';

export function lowerGeneric(g: GroupLowering): LoweredKernel {
  const anchor = g.group.anchor!;
  switch (anchor.op) {
    case 'cumsum':
      return lowerCumsum(g, anchor);
    case 'pool':
      return lowerPool(g, anchor);
    case 'quantize': case 'dequantize':
      return lowerQuantize(g, anchor);
    case 'topk':
      return lowerTopk(g, anchor);
    case 'resize':
      return lowerResize(g, anchor);
    case 'conv_transpose':
      return lowerConvTranspose(g, anchor);
    case 'einsum':
      return lowerEinsum(g, anchor);
    case 'rnn':
      return lowerRnn(g, anchor);
    default:
      throw new LoweringError(anchor.op);
  }
}

function lowerCumsum(g: GroupLowering, node: Extract<Node, { op: 'cumsum' }>): LoweredKernel {
  const x = node.src[0]!;
  const { axis, exclusive, reverse } = node.attrs;
  const shape = x.shape;
  const outerShape = shape.slice(0, axis);
  const innerShape = shape.slice(axis + 1);
  const length = shape[axis]!;
  const lanes = product([...outerShape, ...innerShape]);
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const t = computeType(node);
  const perItem = rowsPerItem(length);
  const gridDim = blocks(lanes, perItem);
  kb.loop('item', i32(0), dimExpr(gridDim, kb, uniforms), 'grid.x', (item) => {
    const lane = (r: Expr): void => {
      const I = dimExpr(product(innerShape), kb, uniforms);
      const L = dimExpr(length, kb, uniforms);
      const o = kb.let('outer', div(r, I));
      const inner = kb.let('inner', rem(r, I));
      const outerIdx = unravel(outerShape, o, kb, uniforms);
      const innerIdx = unravel(innerShape, inner, kb, uniforms);
      const acc = kb.let('acc', constant(t, 0));
      kb.loop('s', i32(0), L, 'serial', (s) => {
        const p = reverse ? sub(sub(L, i32(1)), s) : s;
        const ctx = fusedContext(g, kb, uniforms, 1);
        const v = cast(emitValue(ctx, x, multi([...outerIdx, p, ...innerIdx])), t);
        const at = add(mul(add(mul(o, L), p), I), inner);
        if (exclusive) {
          kb.emit(store(out, at, acc));
          kb.set(acc, add(acc, v));
        } else {
          kb.set(acc, add(acc, v));
          kb.emit(store(out, at, acc));
        }
      });
    };
    if (perItem === 1) lane(item);
    else {
      const first = kb.let('lane_start', mul(item, i32(perItem)));
      kb.loop('r', first, min(dimExpr(lanes, kb, uniforms), add(first, i32(perItem))), 'serial', lane);
    }
  });
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid: [gridDim] };
}
