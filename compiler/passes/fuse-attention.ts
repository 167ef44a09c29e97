// fuse-attention: decomposed scaled dot-product attention becomes one `attention` op, which
// every target lowers to a streaming kernel with no Sq×Skv buffer.
//
//   matmul(softmax(mask(scale(matmul(Q, Kᵀ))), axis -1), V) -> attention(Q, K, V, mask?)
//
// The softmax may run in a wider float between two casts. scale: Mul/Div by scalar constants on the scores, on Q or on K (absent: scale 1). mask
// layers (outermost next to the softmax; a scale may not sit outside a mask): Add of a float
// mask, Where(keep, scores, -inf or ≤ -1e4), Where(drop, -inf, scores); a mask proved to be
// the causal triangle aligned to the last query row (causal-mask.ts) becomes `causal: true`
// (kept as an operand too when sliced from a buffer at run-time sizes, for its range condition).
// K/V heads repeated for grouped-query attention (attention-patterns.ts) are read un-repeated.
//
// Pre: a verified graph (after simplify). Post: the same outputs up to rounding, except that
// a query row with every key masked gives 0 (the decomposed form gives NaN for -inf, or the
// mean of V for a finite large negative value). Left alone: softmax on another axis, a
// non-scalar scale, masks that do not broadcast to the scores, and chains whose scores or
// probabilities have another user (they must exist anyway, so fusing saves nothing).

import type { GraphBuilder } from '../ir/builder.js';
import { constDim, dimEquals, dimSymbols, isConst, mulDim, type Dim } from '../ir/dim.js';
import { DTYPES } from '../ir/dtype.js';
import { topoOrder, type Graph } from '../ir/graph.js';
import type { Node, NodeOf } from '../ir/node.js';
import { broadcastsTo, sameShape } from '../ir/types.js';
import { rebuildGraph, rule, ruleSet, type RuleSet } from '../rewrite/rewrite.js';
import {
  HEAD_REPEATS, KEY_LAYOUTS, MASK_SPELLINGS, SCALE_SPELLINGS, peelScale, swapLastTwo,
  type MaskOperand, type PatternContext, type RepeatedHeads,
} from './attention-patterns.js';
import { weightSymbols } from './specialize-dims.js';
import { causalMaskKind } from './causal-mask.js';

interface Scores {
  /** matmul(Q, Kᵀ) */
  readonly qk: NodeOf<'matmul'>;
  readonly factor: number;
  readonly masks: readonly MaskOperand[];
}

/** Walks from the softmax's operand down to Q @ Kᵀ through single-use scale and mask layers. */
function peelScores(x: Node, ctx: PatternContext, factor = 1, masks: readonly MaskOperand[] = [], sawScale = false): Scores | undefined {
  if (!ctx.usedOnce(x)) return undefined;
  if (x.op === 'matmul') return { qk: x, factor, masks };
  for (const spell of SCALE_SPELLINGS) {
    const s = spell(x);
    if (s) return peelScores(s.inner, ctx, factor * s.factor, masks, true);
  }
  // (scores + mask) · c would scale the mask too; such chains are left alone.
  if (sawScale) return undefined;
  for (const spell of MASK_SPELLINGS) {
    for (const layer of spell(x, ctx)) {
      const found = peelScores(layer.inner, ctx, factor, [...masks, layer.mask], false);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The scores under softmax(x) on the last axis, or under cast(softmax(cast(x))) (a softmax run
 * in a wider float, as f16 exports write it; the fused op computes wider still).
 */
function softmaxOperand(probs: Node, ctx: PatternContext): Node | undefined {
  const p = probs.op === 'cast' && ctx.usedOnce(probs) ? probs.src[0]! : probs;
  if (p.op !== 'softmax' || p.attrs.axis !== p.shape.length - 1 || !ctx.usedOnce(p)) return undefined;
  const x = p.src[0]!;
  const widened = x.op === 'cast' && ctx.usedOnce(x) && DTYPES[x.src[0]!.dtype].isFloat && DTYPES[x.dtype].bits > DTYPES[x.src[0]!.dtype].bits;
  return widened ? x.src[0]! : x;
}

function unrepeat(kv: Node, b: GraphBuilder): RepeatedHeads | undefined {
  for (const spell of HEAD_REPEATS) {
    const r = spell(kv, b);
    if (r) return r;
  }
  return undefined;
}

/** [..., a·c, S, D] with heads ordered (a, c) -> heads ordered (c, a). */
function permuteHeads(x: Node, a: Dim, c: Dim, b: GraphBuilder): Node {
  const rank = x.shape.length;
  const batch = x.shape.slice(0, rank - 3);
  const tail = x.shape.slice(rank - 2);
  const split = b.op('reshape', [x], { shape: [...batch, a, c, ...tail] });
  const perm = Array.from({ length: rank + 1 }, (_, i) => i);
  perm[rank - 3] = rank - 2;
  perm[rank - 2] = rank - 3;
  const moved = b.op('transpose', [split], { perm });
  return b.op('reshape', [moved], { shape: [...batch, mulDim(a, c), ...tail] });
}

/** Whether a mask varies over the heads axis of the scores (third from the end, right-aligned). */
function variesOverHeads(mask: Node): boolean {
  const axis = mask.shape.length - 3;
  return axis >= 0 && !isConst(mask.shape[axis]!, 1);
}

function maskNode(m: MaskOperand): Node {
  return m.kind === 'additive' ? m.value : m.attend;
}

/** The masks that are not the causal triangle, merged into one operand. */
function mergeMasks(masks: readonly MaskOperand[], dtype: Node['dtype'], b: GraphBuilder): Node | undefined {
  const attend = masks.flatMap((m) => {
    if (m.kind !== 'bool') return [];
    if (!m.negated) return [m.attend];
    return [m.attend.op === 'not' ? m.attend.src[0]! : b.op('not', [m.attend], {})];
  });
  const added = masks.flatMap((m) => (m.kind === 'additive' ? [m.value] : []));
  const keep = attend.length ? attend.reduce((x, y) => b.op('and', [x, y], {})) : undefined;
  const bias = added.length ? added.reduce((x, y) => b.op('add', [x, y], {})) : undefined;
  if (keep && bias) return b.op('where', [keep, bias, b.scalar(-Infinity, dtype)], {});
  return keep ?? bias;
}

// matmul(softmax(mask(scale(matmul(Q, Kᵀ)))), V) -> attention(Q, K, V, mask?)
function fuseDecomposed(m: NodeOf<'matmul'>, b: GraphBuilder, ctx: FuseContext): Node | undefined {
  const [probs, vIn] = m.src as [Node, Node];
  const logits = softmaxOperand(probs, ctx);
  const scores = logits && peelScores(logits, ctx);
  if (!scores) return undefined;
  const { qk } = scores;
  const rank = qk.shape.length;
  if (rank < 2 || vIn.shape.length !== rank || !DTYPES[m.dtype].isFloat) return undefined;

  const q0 = peelScale(qk.src[0]!);
  const kt = peelScale(qk.src[1]!);
  if (q0.inner.shape.length !== rank || kt.inner.shape.length !== rank) return undefined;
  const keyed = KEY_LAYOUTS.map((layout) => layout(kt.inner, b)).find((k) => k !== undefined)!;
  const k0 = peelScale(keyed);
  const scale = scores.factor * q0.factor * kt.factor * k0.factor;
  if (!Number.isFinite(scale)) return undefined;

  // A single head ([S, D] operands) gets a heads axis of 1.
  const lift = (x: Node): Node => (rank === 2 ? b.op('unsqueeze', [x], { axes: [0] }) : x);
  const q = lift(q0.inner);
  let k = lift(k0.inner);
  let v = lift(vIn);
  const scoreShape = qk.shape;
  const r = q.shape.length;
  const dtype = q.dtype;
  if (k.dtype !== dtype || v.dtype !== dtype || m.dtype !== dtype) return undefined;

  // Q does not broadcast; K and V share Q's batch dims and have its heads or one head.
  const batch = q.shape.slice(0, r - 3);
  const hq = q.shape[r - 3]!;
  const [sq, dk] = q.shape.slice(r - 2) as [Dim, Dim];
  const [skv, dv] = v.shape.slice(r - 2) as [Dim, Dim];
  if (!sameShape(q.shape.slice(0, r - 2), rank === 2 ? [constDim(1)] : qk.shape.slice(0, rank - 2))) return undefined;
  const fits = (x: Node, d: Dim): boolean =>
    sameShape(x.shape.slice(0, r - 3), batch) && (dimEquals(x.shape[r - 3]!, hq) || isConst(x.shape[r - 3]!, 1)) &&
    dimEquals(x.shape[r - 2]!, skv) && dimEquals(x.shape[r - 1]!, d);
  if (!fits(k, dk) || !fits(v, dv) || !dimEquals(qk.shape[rank - 1]!, skv) || !dimEquals(qk.shape[rank - 2]!, sq)) return undefined;
  // The streaming kernels need head dims known when compiling; one that only an input binds
  // stays symbolic in the package, where the decomposed form still lowers.
  if ([...dimSymbols(dk), ...dimSymbols(dv)].some((sym) => ctx.runtimeOnly.has(sym))) return undefined;

  // Masks: the causal triangle becomes the flag; the rest must broadcast to the scores.
  let causal = false;
  const kept: MaskOperand[] = [];
  for (const mask of scores.masks) {
    const node = maskNode(mask);
    if (!broadcastsTo(node.shape, scoreShape)) return undefined;
    if (mask.kind === 'additive' && node.dtype !== dtype) return undefined;
    const kind = causalMaskKind(node, mask.kind === 'bool' && mask.negated, scoreShape, ctx);
    if (kind !== undefined) causal = true;
    // A triangle sliced from a buffer at run-time sizes stays too: the slice's range condition
    // refuses sizes the buffer cannot take, as the decomposed graph does (the flag alone would
    // run them); the kernel still skips the tiles the flag masks.
    if (kind !== 'exact') kept.push(mask);
  }

  // Repeated K/V heads: read the un-repeated tensors when K and V repeat the same way.
  const rk = rank === 2 ? undefined : unrepeat(k, b);
  const rv = rank === 2 ? undefined : unrepeat(v, b);
  let tiled: RepeatedHeads | undefined;
  if (rk && rv && dimEquals(rk.hkv, rv.hkv) && dimEquals(rk.n, rv.n)) {
    const trivial = isConst(rk.hkv, 1) || isConst(rk.n, 1);
    const needsPermute = !trivial && (rk.order === 'tiled' || rv.order === 'tiled');
    const sameOrder = trivial || rk.order === rv.order;
    if (sameOrder && !(needsPermute && kept.some((mk) => variesOverHeads(maskNode(mk))))) {
      k = rk.base;
      v = rv.base;
      if (needsPermute) tiled = rk;
    }
  }
  if (!dimEquals(k.shape[r - 3]!, v.shape[r - 3]!)) {
    // One of them has a single (broadcast) head: give it Q's heads.
    const widen = (x: Node): Node => (isConst(x.shape[r - 3]!, 1) ? b.op('expand', [x], { shape: [...batch, hq, ...x.shape.slice(r - 2)] }) : x);
    k = widen(k);
    v = widen(v);
  }

  const mask = mergeMasks(kept, dtype, b);
  const qIn = tiled ? permuteHeads(q, tiled.n, tiled.hkv, b) : q;
  let out = b.op('attention', mask ? [qIn, k, v, mask] : [qIn, k, v], { causal, scale, hasMask: mask !== undefined });
  if (tiled) out = permuteHeads(out, tiled.hkv, tiled.n, b);
  if (rank === 2) out = b.op('squeeze', [out], { axes: [0] });
  return sameShape(out.shape, m.shape) && out.dtype === m.dtype ? out : undefined;
}

export interface FuseContext extends PatternContext {
  /** Symbols only input shapes bind (no weight does): compile leaves them symbolic. */
  readonly runtimeOnly: ReadonlySet<string>;
}

/** Symbols that input shapes use and weight shapes do not. */
function runtimeOnlySymbols(graph: Graph): Set<string> {
  const fixed = weightSymbols(graph);
  const out = new Set<string>();
  for (const i of graph.inputs) for (const d of i.shape) for (const s of dimSymbols(d)) if (!fixed.has(s)) out.add(s);
  return out;
}

/** The pass's rules for one graph: they need its users, weights and symbols. */
export function fuseAttentionRules(ctx: FuseContext): RuleSet {
  return ruleSet(rule('matmul', function decomposedAttention(n, b) {
    return fuseDecomposed(n, b, ctx);
  }));
}

/** Users per node (a graph output counts as one). */
function countUsers(graph: Graph): Map<Node, number> {
  const users = new Map<Node, number>();
  for (const n of topoOrder(graph)) for (const s of n.src) users.set(s, (users.get(s) ?? 0) + 1);
  for (const o of graph.outputs) users.set(o.node, (users.get(o.node) ?? 0) + 1);
  return users;
}

export function fuseAttention(graph: Graph): Graph {
  const users = countUsers(graph);
  const original = new Map<Node, Node>(); // rebuilt node -> the node of `graph` it copies
  const ctx: FuseContext = {
    runtimeOnly: runtimeOnlySymbols(graph),
    usedOnce: (n) => {
      const o = original.get(n);
      return o !== undefined && users.get(o) === 1;
    },
    weightOf: (p) => (p.op === 'param' ? graph.weights.get(p.attrs.name) : undefined),
  };
  const rules = fuseAttentionRules(ctx);
  return rebuildGraph(graph, (copy, b, old) => {
    original.set(copy, old);
    for (const r of rules.get(copy.op) ?? []) {
      const fused = r.apply(copy, b);
      if (fused !== undefined && fused !== copy) return fused;
    }
    return copy;
  });
}
