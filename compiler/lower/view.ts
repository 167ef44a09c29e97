// Views: reshape, transpose, squeeze, unsqueeze, expand and slice cost no kernel. A consumer
// reads through them by mapping its index back to the materialised value underneath:
//
// - `Index` is where a fused expression reads a node: a multi-index (one i32 Expr per dim) or
//   a flat row-major element index. Flat indices pass through reshape/squeeze/unsqueeze and
//   same-shape elementwise ops untouched, so a chain of them costs no division at all.
// - `viewSourceIndex` maps an index of a view node to an index of its source.
// - `stridedView` describes a view chain as offset + Σ index_d · stride_d over a materialised
//   value, when it is one (always for transpose, slice, expand, squeeze, unsqueeze; for a
//   reshape when the dims it merges or splits are contiguous). Contractions take operands so.

import { addDim, constDim, constValue, divDim, dimEquals, isConst, mulDim, type Dim } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import { add, i32, max, min, mul, rem, div, type KernelBuilder } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { dimExpr, type UniformDims } from './uniforms.js';

export type Index =
  | { readonly kind: 'multi'; readonly idx: readonly Expr[] }
  | { readonly kind: 'flat'; readonly flat: Expr };

export const VIEW_OPS: ReadonlySet<string> = new Set(['reshape', 'transpose', 'squeeze', 'unsqueeze', 'expand', 'slice']);

export function isView(node: Node): boolean {
  return VIEW_OPS.has(node.op);
}

export function multi(idx: readonly Expr[]): Index {
  return { kind: 'multi', idx };
}

export function flat(e: Expr): Index {
  return { kind: 'flat', flat: e };
}

/** Row-major strides of a contiguous shape, in elements. */
export function contiguousStrides(shape: readonly Dim[]): Dim[] {
  const strides: Dim[] = new Array<Dim>(shape.length);
  let s = constDim(1);
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s = mulDim(s, shape[d]!);
  }
  return strides;
}

export function numElementsOf(shape: readonly Dim[]): Dim {
  return shape.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
}

/** Flat row-major index of `idx` in `shape` (Horner form: one multiply-add per dim). */
export function ravel(shape: readonly Dim[], idx: readonly Expr[], kb: KernelBuilder, uniforms: UniformDims): Expr {
  let flatIndex: Expr = i32(0);
  shape.forEach((d, k) => {
    flatIndex = add(mul(flatIndex, dimExpr(d, kb, uniforms)), idx[k]!);
  });
  return flatIndex;
}

/** The multi-index of flat element `f` of `shape` (size-1 dims give 0 without arithmetic). */
export function unravel(shape: readonly Dim[], f: Expr, kb: KernelBuilder, uniforms: UniformDims): Expr[] {
  const strides = contiguousStrides(shape);
  return shape.map((d, k) => {
    if (isConst(d, 1)) return i32(0);
    const q = div(f, dimExpr(strides[k]!, kb, uniforms));
    // The outermost non-unit dim needs no modulo: f < numel.
    const outer = shape.slice(0, k).every((e) => isConst(e, 1));
    return outer ? q : rem(q, dimExpr(d, kb, uniforms));
  });
}

export function toFlat(index: Index, shape: readonly Dim[], kb: KernelBuilder, uniforms: UniformDims): Expr {
  return index.kind === 'flat' ? index.flat : ravel(shape, index.idx, kb, uniforms);
}

export function toMulti(index: Index, shape: readonly Dim[], kb: KernelBuilder, uniforms: UniformDims): Expr[] {
  return index.kind === 'multi' ? [...index.idx] : unravel(shape, index.flat, kb, uniforms);
}

/**
 * The index into an operand of shape `from` broadcast (NumPy, right-aligned) to `to`.
 * Equal shapes keep the index as it is (flat stays flat).
 */
export function broadcastIndex(index: Index, from: readonly Dim[], to: readonly Dim[], kb: KernelBuilder, uniforms: UniformDims): Index {
  if (from.length === to.length && from.every((d, k) => dimEquals(d, to[k]!))) return index;
  if (from.every((d) => isConst(d, 1))) return multi(from.map(() => i32(0)));
  const idx = toMulti(index, to, kb, uniforms);
  const lead = to.length - from.length;
  return multi(from.map((d, k) => (isConst(d, 1) && !isConst(to[k + lead]!, 1) ? i32(0) : idx[k + lead]!)));
}

/** The index into `node.src[0]` that view `node` reads for `index`. */
export function viewSourceIndex(node: Node, index: Index, kb: KernelBuilder, uniforms: UniformDims): Index {
  const src = node.src[0]!;
  switch (node.op) {
    case 'reshape':
      return flat(toFlat(index, node.shape, kb, uniforms));
    case 'squeeze': {
      if (index.kind === 'flat') return index;
      const idx = [...index.idx];
      const out: Expr[] = [];
      let next = 0;
      for (let d = 0; d < src.shape.length; d++) out.push(node.attrs.axes.includes(d) ? i32(0) : idx[next++]!);
      return multi(out);
    }
    case 'unsqueeze': {
      if (index.kind === 'flat') return index;
      return multi(index.idx.filter((_, d) => !node.attrs.axes.includes(d)));
    }
    case 'transpose': {
      const idx = toMulti(index, node.shape, kb, uniforms);
      const out = new Array<Expr>(src.shape.length);
      node.attrs.perm.forEach((p, d) => (out[p] = idx[d]!));
      return multi(out);
    }
    case 'slice': {
      const idx = toMulti(index, node.shape, kb, uniforms);
      const { axes, starts, steps } = node.attrs;
      return multi(idx.map((e, d) => {
        const k = axes.indexOf(d);
        if (k < 0) return e;
        return add(mul(e, i32(steps[k]!)), dimExpr(starts[k]!, kb, uniforms));
      }));
    }
    case 'expand':
      return broadcastIndex(index, src.shape, node.shape, kb, uniforms);
    default:
      throw new Error(`viewSourceIndex: ${node.op} is not a view`);
  }
}

/** Clamps an i32 index into [0, extent - 1]: reads driven by data (gather) never leave the buffer. */
export function clampIndex(e: Expr, extent: Expr): Expr {
  return min(max(e, i32(0)), add(extent, i32(-1)));
}

// ---- strided views ----

export interface Strided {
  /** The materialised node the view reads. */
  readonly base: Node;
  readonly offset: Dim;
  /** Per dim of the viewed node, in elements of the base. */
  readonly strides: readonly Dim[];
}

/**
 * `node` as offset + Σ index_d · strides[d] over a materialised node, or undefined when the
 * chain holds something else (an elementwise op, a reshape of a non-contiguous layout).
 */
export function stridedView(node: Node, isMaterialised: (n: Node) => boolean): Strided | undefined {
  if (isMaterialised(node)) return { base: node, offset: constDim(0), strides: contiguousStrides(node.shape) };
  if (!isView(node)) return undefined;
  const inner = stridedView(node.src[0]!, isMaterialised);
  if (!inner) return undefined;
  const src = node.src[0]!;
  const s = inner.strides;
  switch (node.op) {
    case 'transpose':
      return { ...inner, strides: node.attrs.perm.map((p) => s[p]!) };
    case 'slice': {
      const strides = [...s];
      let offset = inner.offset;
      node.attrs.axes.forEach((axis, k) => {
        strides[axis] = mulDim(s[axis]!, node.attrs.steps[k]!);
        offset = addDim(offset, mulDim(node.attrs.starts[k]!, s[axis]!));
      });
      return { ...inner, offset, strides };
    }
    case 'expand': {
      const lead = node.shape.length - src.shape.length;
      return {
        ...inner,
        strides: node.shape.map((d, k) => {
          if (k < lead) return constDim(0);
          return isConst(src.shape[k - lead]!, 1) ? constDim(0) : s[k - lead]!;
        }),
      };
    }
    case 'squeeze':
      return { ...inner, strides: s.filter((_, d) => !node.attrs.axes.includes(d)) };
    case 'unsqueeze': {
      const strides: Dim[] = [];
      let next = 0;
      for (let d = 0; d < node.shape.length; d++) strides.push(node.attrs.axes.includes(d) ? constDim(0) : s[next++]!);
      return { ...inner, strides };
    }
    case 'reshape': {
      const strides = reshapeStrides(src.shape, s, node.shape);
      return strides && { ...inner, strides };
    }
    default:
      return undefined;
  }
}

/** Whether `a` divides `b` as dims (b / a has no fractional coefficient and no divided symbol). */
function divides(a: Dim, b: Dim): boolean {
  const ca = constValue(a), cb = constValue(b);
  if (ca !== undefined && cb !== undefined) return ca !== 0 && cb % ca === 0;
  const q = divDim(b, a);
  return q.terms.every((t) => t.den === 1 && [...t.factors.values()].every((e) => e > 0)) &&
    [...q.atoms.values()].every((atom) => atom.kind === 'sym');
}

/**
 * Strides for reshaping a strided layout: dims are matched in groups of equal products; each
 * source group must be contiguous within itself (stride_i = stride_{i+1} · size_{i+1}).
 */
function reshapeStrides(from: readonly Dim[], fromStrides: readonly Dim[], to: readonly Dim[]): Dim[] | undefined {
  const src = from.map((d, k) => ({ d, s: fromStrides[k]! })).filter((x) => !isConst(x.d, 1));
  const outKeep = to.map((d, k) => ({ d, k })).filter((x) => !isConst(x.d, 1));
  const out: Dim[] = to.map(() => constDim(0));
  let i = 0;
  let j = 0;
  while (i < outKeep.length || j < src.length) {
    if (i >= outKeep.length || j >= src.length) return undefined;
    // Grow one group on each side until the products agree.
    const gi = [i++];
    const gj = [j++];
    let po = outKeep[gi[0]!]!.d;
    let ps = src[gj[0]!]!.d;
    while (!dimEquals(po, ps)) {
      if (divides(po, ps) && i < outKeep.length) {
        po = mulDim(po, outKeep[i]!.d);
        gi.push(i++);
      } else if (divides(ps, po) && j < src.length) {
        ps = mulDim(ps, src[j]!.d);
        gj.push(j++);
      } else return undefined;
    }
    for (let t = 0; t + 1 < gj.length; t++) {
      const a = src[gj[t]!]!, b = src[gj[t + 1]!]!;
      if (!dimEquals(a.s, mulDim(b.s, b.d))) return undefined;
    }
    let stride = src[gj[gj.length - 1]!]!.s;
    for (let t = gi.length - 1; t >= 0; t--) {
      const o = outKeep[gi[t]!]!;
      out[o.k] = stride;
      stride = mulDim(stride, o.d);
    }
  }
  return out;
}
