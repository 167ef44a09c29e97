// Linear quantization and dequantization (ONNX QuantizeLinear, DequantizeLinear) to Kernel IR:
// one element per loop iteration, reading its scale (and zero point) at the index the
// granularity gives — per tensor, per axis, or blocked along an axis.
//
// Semantics: compiler/interpret/kernels/quantize.ts. Both compute in f64 as the interpreter
// does: quantize divides, rounds to `precision`, rounds half to even (NaN counts as 0), adds
// the zero point and clamps to the target's range; dequantize subtracts, multiplies and rounds
// once to the output dtype. Sub-byte and fp8 targets or sources have no kernel buffer
// (computeTypeOf) and are refused with their dtype named.

import { DTYPES } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import { cast, constant, div, eq, i32, KernelBuilder, max, min, mul, select, sub, unary, add } from '../kernel/builder.js';
import { computeTypeOf, type Expr } from '../kernel/ir.js';
import { bufferRecord, emitElementLoops } from './elementwise.js';
import { LoweringError } from './errors.js';
import { computeType, emitValue } from './fused-expr.js';
import { fusedContext, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { storeConverted } from './strided-index.js';
import { uniformRecord, type UniformDims } from './uniforms.js';
import { multi, unravel } from './view.js';

type QuantNode = Extract<Node, { op: 'quantize' | 'dequantize' }>;

/** The index of x's element `idx` in the scale (and zero point): by the scale's rank and the block size. */
function scaleIndex(node: QuantNode, idx: readonly Expr[]): Expr[] {
  const scale = node.src[1]!;
  const { axis, blockSize } = node.attrs;
  if (scale.shape.length === 0) return [];
  if (blockSize === 0) return [idx[axis]!];
  return idx.map((e, a) => (a === axis ? div(e, i32(blockSize)) : e));
}

export function lowerQuantize(g: GroupLowering, node: QuantNode): LoweredKernel {
  const [x, scale, zeroPoint] = node.src as [Node, Node, Node | undefined];
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const t = computeType(node);
  if (!computeTypeOf(x.dtype)) {
    throw new LoweringError(node.op, ` (its input is ${x.dtype}; sub-byte and fp8 dtypes cannot live in a kernel buffer)`);
  }
  const precision = node.op === 'quantize' ? node.attrs.precision : undefined;
  if (precision !== undefined && precision !== 'f32' && precision !== 'f16' && precision !== 'f64') {
    throw new LoweringError(node.op, ` (precision ${precision})`);
  }
  const info = DTYPES[node.dtype];

  const grid = emitElementLoops(kb, uniforms, node.shape, true, false, (_index, outFlat) => {
    const ctx = fusedContext(g, kb, uniforms, 1);
    const idx = unravel(node.shape, outFlat, kb, uniforms).map((e) => (e.kind === 'binary' ? kb.let('i', e) : e));
    const at = multi(scaleIndex(node, idx));
    const f64 = (e: Expr): Expr => cast(e, 'f64');
    const xv = f64(emitValue(ctx, x, multi(idx)));
    const s = f64(emitValue(ctx, scale, at));
    const zp = zeroPoint && node.attrs.hasZeroPoint ? f64(emitValue(ctx, zeroPoint, at)) : undefined;
    let value: Expr;
    if (node.op === 'dequantize') {
      value = mul(zp ? sub(xv, zp) : xv, s);
    } else {
      const q = kb.let('q', f64(cast(div(xv, s), precision === 'f64' ? 'f64' : precision!)));
      if (info.isInt) {
        const rounded = select(eq(q, q), unary('round', q), constant('f64', 0));
        const shifted = zp ? add(rounded, zp) : rounded;
        value = min(max(shifted, constant('f64', info.min)), constant('f64', info.max));
      } else {
        value = zp ? add(q, zp) : q;
      }
    }
    kb.emit(storeConverted(out, outFlat, cast(value, t)));
  });
  const k = kb.finish();
  return { kernel: k, buffers: bufferRecord(k), uniforms: uniformRecord(uniforms), grid };
}
