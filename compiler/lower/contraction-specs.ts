// Building the specs the contraction lowerings (matmul.ts, attention.ts) take from a group:
// operands as strided views of materialised values (batch dims aligned to the output, stride
// 0 where they broadcast, rank-1 matmul operands promoted), and the group's elementwise
// epilogue as a callback the contraction calls per stored element.

import { constDim, isConst, type Dim } from '../ir/dim.js';
import type { DType } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import { cast, div, f32, store, unary, mul, KernelBuilder } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { emitElementLoops, bufferRecord } from './elementwise.js';
import { LoweringError } from './errors.js';
import { computeType, emitValue, NotVectorizable } from './fused-expr.js';
import { fusedContext, sources, type GroupLowering, type ValueRef } from './group-context.js';
import type { AttentionSpec, ConvSpec, Epilogue, EpilogueIndex, ExtraInput, LoweredKernel, MatmulSpec, StridedOperand } from './specs.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { contiguousStrides, multi, stridedView, unravel, type Strided } from './view.js';

/** Adds a temporary value to the program. */
export type NewTemp = (name: string, type: { dtype: DType; shape: readonly Dim[] }) => ValueRef;

function strided(g: GroupLowering, node: Node, isMat: (n: Node) => boolean): Strided {
  const s = stridedView(node, isMat);
  if (!s) throw new Error(`lowering: operand %${node.id} of ${g.name} is not a strided view`);
  return s;
}

function operand(g: GroupLowering, s: Strided, strides: readonly Dim[]): StridedOperand {
  const v = g.valueOf(s.base);
  return { value: v.value, dtype: v.dtype, offset: s.offset, strides };
}

/** Strides of an operand's batch dims aligned to the output batch (stride 0 where it broadcasts). */
function batchStrides(shape: readonly Dim[], strides: readonly Dim[], batch: readonly Dim[]): Dim[] {
  const lead = batch.length - shape.length;
  return batch.map((d, k) => {
    if (k < lead) return constDim(0);
    const own = shape[k - lead]!;
    return isConst(own, 1) && !isConst(d, 1) ? constDim(0) : strides[k - lead]!;
  });
}

/** Materialised values the epilogue reads: everything the root reaches without passing the anchor. */
function epilogueInputs(g: GroupLowering): ExtraInput[] {
  const members = new Set(g.group.nodes);
  const seen = new Set<Node>();
  const found: ExtraInput[] = [];
  const visit = (n: Node): void => {
    if (seen.has(n) || n === g.group.anchor) return;
    seen.add(n);
    if (!members.has(n)) {
      if (g.group.inputs.includes(n)) found.push(g.valueOf(n));
      return;
    }
    n.src.forEach(visit);
  };
  visit(g.group.root);
  return found;
}

/** The epilogue as the contraction lowerings call it: the fused ops after the anchor. */
function epilogueOf(
  g: GroupLowering,
  anchorIndex: (i: EpilogueIndex, kb: KernelBuilder, uniforms: UniformDims) => Expr[],
): Epilogue | undefined {
  const anchor = g.group.anchor!;
  if (g.group.root === anchor) return undefined;
  return (kb, acc, index, uniforms, vector) => {
    if (vector) {
      // Four columns at once: f32 all the way (fused-expr's vector mode), or not at all.
      if (computeType(anchor) !== 'f32' || computeType(g.group.root) !== 'f32') throw new NotVectorizable('epilogue dtype');
      const ctx = fusedContext(g, kb, uniforms, 4, vector.vectorVar, { node: anchor, value: () => acc });
      return emitValue(ctx, g.group.root, multi(anchorIndex(index, kb, uniforms)));
    }
    const value = cast(acc, computeType(anchor));
    const ctx = fusedContext(g, kb, uniforms, 1, undefined, { node: anchor, value: () => value });
    return cast(emitValue(ctx, g.group.root, multi(anchorIndex(index, kb, uniforms))), computeType(g.group.root));
  };
}

export function matmulSpec(g: GroupLowering, isMat: (n: Node) => boolean): MatmulSpec {
  const mm = g.group.anchor!;
  const [a, b] = mm.src as [Node, Node];
  const sa = strided(g, a, isMat);
  const sb = strided(g, b, isMat);
  // Rank-1 operands are promoted ([K] → [1, K] for a, [K, 1] for b) with a stride-0 unit dim.
  const aShape = a.shape.length === 1 ? [constDim(1), a.shape[0]!] : a.shape;
  const aStrides = a.shape.length === 1 ? [constDim(0), sa.strides[0]!] : sa.strides;
  const bShape = b.shape.length === 1 ? [b.shape[0]!, constDim(1)] : b.shape;
  const bStrides = b.shape.length === 1 ? [sb.strides[0]!, constDim(0)] : sb.strides;
  const m = aShape[aShape.length - 2]!;
  const k = aShape[aShape.length - 1]!;
  const n = bShape[bShape.length - 1]!;
  const batch = mm.shape.slice(0, mm.shape.length - (a.shape.length > 1 ? 1 : 0) - (b.shape.length > 1 ? 1 : 0));
  const aOp = operand(g, sa, [...batchStrides(aShape.slice(0, -2), aStrides.slice(0, -2), batch), ...aStrides.slice(-2)]);
  const bOp = operand(g, sb, [...batchStrides(bShape.slice(0, -2), bStrides.slice(0, -2), batch), ...bStrides.slice(-2)]);
  const epilogue = epilogueOf(g, (i) => [...i.batch, ...(a.shape.length > 1 ? [i.row] : []), ...(b.shape.length > 1 ? [i.col] : [])]);
  return {
    name: g.name, sources: g.group.nodes.map((x) => `%${x.id} ${x.op}`), batch, m, n, k, a: aOp, b: bOp, out: g.out,
    ...(epilogue ? { epilogue } : {}), extraInputs: epilogue ? epilogueInputs(g) : [],
  };
}

export function attentionSpec(g: GroupLowering, isMat: (n: Node) => boolean, newTemp: NewTemp): { spec: AttentionSpec; before: LoweredKernel[] } {
  const at = g.group.anchor as Extract<Node, { op: 'attention' }>;
  const [q, k, v] = at.src as [Node, Node, Node];
  const rank = q.shape.length;
  const batch = q.shape.slice(0, -3);
  const [hq, sq, dk] = q.shape.slice(-3) as [Dim, Dim, Dim];
  const [hkv, skv] = k.shape.slice(-3) as [Dim, Dim, Dim];
  const dv = v.shape[rank - 1]!;
  const op = (x: Node): StridedOperand => {
    const s = strided(g, x, isMat);
    return operand(g, s, s.strides);
  };
  let mask: StridedOperand | undefined;
  if (at.attrs.hasMask) {
    const mNode = at.src[3]!;
    const s = strided(g, mNode, isMat);
    mask = operand(g, s, batchStrides(mNode.shape, s.strides, [...batch, hq, sq, skv]));
  }
  const before: LoweredKernel[] = [];
  let qOperand: StridedOperand;
  let scale: number;
  const dkValue = isConst(dk) ? Number(dk.key) : undefined;
  if (at.attrs.scale !== undefined || dkValue !== undefined) {
    scale = at.attrs.scale ?? 1 / Math.sqrt(dkValue!);
    qOperand = op(q);
  } else {
    // 1/sqrt(Dk) with Dk symbolic is known only at run time: scale q into a temporary first.
    const scaled = newTemp(`t${q.id}_scaled`, q);
    before.push(scaleCopy(g, q, scaled, dk));
    qOperand = { value: scaled.value, dtype: scaled.dtype, offset: constDim(0), strides: contiguousStrides(q.shape) };
    scale = 1;
  }
  return {
    spec: {
      name: g.name, sources: g.group.nodes.map((x) => `%${x.id} ${x.op}`), batch, hq, hkv, sq, skv, dk, dv,
      q: qOperand, k: op(k), v: op(v), ...(mask ? { mask } : {}), causal: at.attrs.causal, scale, out: g.out,
    },
    before,
  };
}

/** out = x / sqrt(d), contiguous, d a symbolic dim read from a uniform. */
function scaleCopy(g: GroupLowering, x: Node, out: ValueRef, d: Dim): LoweredKernel {
  if (computeType(x) !== 'f32') throw new LoweringError('attention', ` (a symbolic head dim with ${x.dtype} needs an explicit scale)`);
  const kb = new KernelBuilder(`${g.name}_scale_q`, sources(g.group));
  const uniforms: UniformDims = new Map();
  const buffer = kb.buffer(out.value, out.dtype, 'write');
  const grid = emitElementLoops(kb, uniforms, x.shape, false, false, (index, outFlat) => {
    const ctx = fusedContext(g, kb, uniforms, 1);
    // Inside the grid nest (nothing may precede it); the target hoists it.
    const factor = div(f32(1), unary('sqrt', cast(dimExpr(d, kb, uniforms), 'f32')));
    kb.emit(store(buffer, outFlat, mul(emitValue(ctx, x, index), factor)));
  });
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid };
}

export function convSpec(g: GroupLowering, isMat: (n: Node) => boolean): ConvSpec {
  const conv = g.group.anchor as Extract<Node, { op: 'conv' }>;
  const [x, w] = conv.src as [Node, Node];
  const op = (n: Node): StridedOperand => {
    const s = strided(g, n, isMat);
    return operand(g, s, s.strides);
  };
  const outSpatial = conv.shape.slice(2);
  const epilogue = epilogueOf(g, (i, kb, uniforms) => [...i.batch, i.row, ...(i.spatial ?? unravel(outSpatial, i.col, kb, uniforms))]);
  return {
    name: g.name, sources: g.group.nodes.map((n) => `%${n.id} ${n.op}`),
    x: op(x), xShape: x.shape, w: op(w), wShape: w.shape, ...(conv.attrs.hasBias ? { bias: op(conv.src[2]!) } : {}),
    attrs: conv.attrs, out: g.out, outShape: conv.shape,
    ...(epilogue ? { epilogue } : {}), extraInputs: epilogue ? epilogueInputs(g) : [],
  };
}
