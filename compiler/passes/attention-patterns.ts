// The spellings of decomposed attention that fuse-attention recognises, as data: each table
// lists named recognisers for one part (a scale, a mask layer, the key's layout, repeated K/V
// heads). Adding a spelling is adding an entry; the pass tries the entries in order.

import { constDim, dimEquals, isConst, mulDim, type Dim } from '../ir/dim.js';
import { DTYPES } from '../ir/dtype.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { Node } from '../ir/node.js';
import { broadcastsTo, sameShape } from '../ir/types.js';
import { getNumber } from '../interpret/tensor.js';
import { isMaskedValue, splatOf, type MaskContext } from './causal-mask.js';

export interface PatternContext extends MaskContext {
  /** Whether a node had exactly one user before the pass (a graph output counts as a user). */
  readonly usedOnce: (n: Node) => boolean;
}

// ---- scale: a scalar constant factor on the scores, on Q or on K ----

export interface Scaled {
  readonly inner: Node;
  readonly factor: number;
}

/** The value of constant `c` when it is a scalar (every dim 1) that leaves `x`'s type as `n`'s. */
function scalarFactor(n: Node, x: Node, c: Node): number | undefined {
  if (c.op !== 'constant' || !c.shape.every((d) => isConst(d, 1)) || !sameShape(n.shape, x.shape) || n.dtype !== x.dtype) return undefined;
  const v = getNumber(c.attrs.value, 0);
  return Number.isFinite(v) ? v : undefined;
}

// mul(x, c) or mul(c, x), c a scalar constant -> x · c
function mulByScalar(n: Node): Scaled | undefined {
  if (n.op !== 'mul' || !DTYPES[n.dtype].isFloat) return undefined;
  const [a, b] = n.src as [Node, Node];
  const right = scalarFactor(n, a, b);
  if (right !== undefined) return { inner: a, factor: right };
  const left = scalarFactor(n, b, a);
  return left !== undefined ? { inner: b, factor: left } : undefined;
}

// div(x, c), c a nonzero scalar constant -> x · (1/c)
function divByScalar(n: Node): Scaled | undefined {
  if (n.op !== 'div' || !DTYPES[n.dtype].isFloat) return undefined;
  const c = scalarFactor(n, n.src[0]!, n.src[1]!);
  return c !== undefined && c !== 0 ? { inner: n.src[0]!, factor: 1 / c } : undefined;
}

export const SCALE_SPELLINGS: readonly ((n: Node) => Scaled | undefined)[] = [mulByScalar, divByScalar];

/** Strips scalar factors off `n` (they multiply the attention scale). */
export function peelScale(n: Node): Scaled {
  let inner = n;
  let factor = 1;
  for (;;) {
    const s = SCALE_SPELLINGS.map((spell) => spell(inner)).find((r) => r !== undefined);
    if (!s) return { inner, factor };
    inner = s.inner;
    factor *= s.factor;
  }
}

// ---- mask layers between the scaled scores and the softmax ----

/** A float mask added to the scores, or a bool mask attending where true (false when `negated`). */
export type MaskOperand =
  | { readonly kind: 'additive'; readonly value: Node }
  | { readonly kind: 'bool'; readonly attend: Node; readonly negated: boolean };

export interface MaskLayer {
  readonly inner: Node;
  readonly mask: MaskOperand;
}

/** Masks must broadcast to the scores without widening them. */
function fitsScores(n: Node, inner: Node, mask: Node): boolean {
  return sameShape(inner.shape, n.shape) && inner.dtype === n.dtype && broadcastsTo(mask.shape, n.shape);
}

// add(scores, m) or add(m, scores), m float -> additive mask m
function additiveMask(n: Node): MaskLayer[] {
  if (n.op !== 'add' || !DTYPES[n.dtype].isFloat) return [];
  const [a, b] = n.src as [Node, Node];
  const layers: MaskLayer[] = [];
  if (fitsScores(n, a, b)) layers.push({ inner: a, mask: { kind: 'additive', value: b } });
  if (fitsScores(n, b, a)) layers.push({ inner: b, mask: { kind: 'additive', value: a } });
  return layers;
}

// where(keep, scores, -inf or a large negative) -> bool mask keep;
// where(drop, -inf or a large negative, scores) -> bool mask not(drop)
function whereMask(n: Node, ctx: PatternContext): MaskLayer[] {
  if (n.op !== 'where' || !DTYPES[n.dtype].isFloat) return [];
  const [cond, a, b] = n.src as [Node, Node, Node];
  if (cond.dtype !== 'bool') return [];
  if (isMaskedValue(splatOf(b, ctx)) && fitsScores(n, a, cond)) return [{ inner: a, mask: { kind: 'bool', attend: cond, negated: false } }];
  if (isMaskedValue(splatOf(a, ctx)) && fitsScores(n, b, cond)) return [{ inner: b, mask: { kind: 'bool', attend: cond, negated: true } }];
  return [];
}

export const MASK_SPELLINGS: readonly ((n: Node, ctx: PatternContext) => MaskLayer[])[] = [additiveMask, whereMask];

// ---- the key operand of Q @ Kᵀ ----

export function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

// transpose(k, swap last two) -> k
function transposedKey(kt: Node): Node | undefined {
  if (kt.op !== 'transpose') return undefined;
  const swap = swapLastTwo(kt.shape.length);
  return kt.attrs.perm.every((p, i) => p === swap[i]) ? kt.src[0] : undefined;
}

// kt laid out [..., Dk, Skv] by anything else -> transpose(kt) (composed with kt's own transpose)
function keyLaidOutTransposed(kt: Node, b: GraphBuilder): Node {
  const swap = swapLastTwo(kt.shape.length);
  if (kt.op === 'transpose') return b.op('transpose', [kt.src[0]!], { perm: swap.map((p) => kt.attrs.perm[p]!) });
  return b.op('transpose', [kt], { perm: swap });
}

export const KEY_LAYOUTS: readonly ((kt: Node, b: GraphBuilder) => Node | undefined)[] = [transposedKey, keyLaidOutTransposed];

// ---- K/V heads repeated for grouped-query attention ----

/**
 * K or V with its heads repeated: `base` holds hkv heads; the repeated tensor has hkv·n heads,
 * head h reading base head floor(h / n) ('grouped': repeat_interleave, Llama's repeat_kv) or
 * h mod hkv ('tiled': Tile, torch's repeat, concat of copies).
 */
export interface RepeatedHeads {
  readonly base: Node;
  readonly hkv: Dim;
  readonly n: Dim;
  readonly order: 'grouped' | 'tiled';
}

/** `x` reshaped to `shape`, reusing the node before a reshape/unsqueeze when it already has it. */
function reshapeTo(x: Node, shape: readonly Dim[], b: GraphBuilder): Node {
  if (sameShape(x.shape, shape)) return x;
  if ((x.op === 'reshape' || x.op === 'unsqueeze') && sameShape(x.src[0]!.shape, shape)) return x.src[0]!;
  return b.op('reshape', [x], { shape });
}

// reshape(expand(x)) merging a repeated axis into the heads axis -> x with hkv heads
function expandReshape(r: Node, b: GraphBuilder): RepeatedHeads | undefined {
  if (r.op !== 'reshape' || r.src[0]!.op !== 'expand') return undefined;
  const e = r.src[0]!;
  const x = e.src[0]!;
  const rank = r.shape.length;
  const heads = r.shape[rank - 3]!;
  if (rank < 3 || isConst(heads, 1)) return undefined;
  const pad = e.shape.length - x.shape.length;
  const xs = e.shape.map((_, a) => (a < pad ? constDim(1) : x.shape[a - pad]!));
  // Size-1 axes carry nothing; compare what is left on both sides of the heads axis.
  const eKept = e.shape.map((d, a) => [d, xs[a]!] as const).filter(([d]) => !isConst(d, 1));
  const before = r.shape.slice(0, rank - 3).filter((d) => !isConst(d, 1));
  const after = r.shape.slice(rank - 2).filter((d) => !isConst(d, 1));
  const middle = eKept.slice(before.length, eKept.length - after.length);
  const same = (pairs: readonly (readonly [Dim, Dim])[], dims: readonly Dim[]): boolean =>
    pairs.length === dims.length && pairs.every(([d, xd], i) => dimEquals(d, dims[i]!) && dimEquals(xd, d));
  if (!same(eKept.slice(0, before.length), before) || !same(eKept.slice(eKept.length - after.length), after)) return undefined;
  let found: Omit<RepeatedHeads, 'base'> | undefined;
  if (middle.length === 1 && isConst(middle[0]![1], 1)) found = { hkv: constDim(1), n: middle[0]![0], order: 'grouped' };
  if (middle.length === 2) {
    const [[m0, x0], [m1, x1]] = middle as [readonly [Dim, Dim], readonly [Dim, Dim]];
    if (isConst(x0, 1) && isConst(x1, 1)) found = { hkv: constDim(1), n: heads, order: 'grouped' };
    else if (dimEquals(x0, m0) && isConst(x1, 1)) found = { hkv: m0, n: m1, order: 'grouped' };
    else if (isConst(x0, 1) && dimEquals(x1, m1)) found = { hkv: m1, n: m0, order: 'tiled' };
  }
  if (!found || !dimEquals(mulDim(found.hkv, found.n), heads)) return undefined;
  const shape = [...r.shape.slice(0, rank - 3), found.hkv, ...r.shape.slice(rank - 2)];
  return { ...found, base: reshapeTo(x, shape, b) };
}

// concat(k, k, ..., k) on the heads axis -> k, tiled
function concatRepeat(c: Node): RepeatedHeads | undefined {
  if (c.op !== 'concat' || c.src.length < 2) return undefined;
  const rank = c.shape.length;
  const first = c.src[0]!;
  if (rank < 3 || c.attrs.axis !== rank - 3 || !c.src.every((s) => s === first)) return undefined;
  return { base: first, hkv: first.shape[rank - 3]!, n: constDim(c.src.length), order: 'tiled' };
}

// expand(k) from one head to many (multi-query attention) -> k
function broadcastHeads(e: Node, b: GraphBuilder): RepeatedHeads | undefined {
  if (e.op !== 'expand') return undefined;
  const rank = e.shape.length;
  const x = e.src[0]!;
  const pad = rank - x.shape.length;
  if (rank < 3 || pad < 0) return undefined;
  const xs = e.shape.map((_, a) => (a < pad ? constDim(1) : x.shape[a - pad]!));
  const onlyHeads = e.shape.every((d, a) => (a === rank - 3 ? isConst(xs[a]!, 1) && !isConst(d, 1) : dimEquals(d, xs[a]!)));
  if (!onlyHeads) return undefined;
  return { base: reshapeTo(x, xs, b), hkv: constDim(1), n: e.shape[rank - 3]!, order: 'grouped' };
}

export const HEAD_REPEATS: readonly ((kv: Node, b: GraphBuilder) => RepeatedHeads | undefined)[] = [expandReshape, concatRepeat, broadcastHeads];
