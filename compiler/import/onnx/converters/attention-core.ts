// Scaled dot-product attention for the attention converters (ONNX Attention, com.microsoft
// MultiHeadAttention and GroupQueryAttention), on [batch, heads, seq, head_size] tensors.
//
// When the IR `attention` op has the wanted semantics (no softcap, no intermediate output
// asked for) it is used whole, so later stages see one attention; otherwise the attention is
// written out as matmul, softcap, bias, softmax and matmul. Both agree on masks: positions
// that are not allowed get -inf, and a query row with no allowed key gives 0 (the IR op does
// this itself; the decomposition zeroes rows whose biased scores are all -inf).

import { constDim, constValue, dimEquals, divDim, modDim, mulDim, subDim, type Dim } from '../../../ir/dim.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/node.js';
import { isPoison } from '../../../ir/builder.js';
import type { ConvertContext } from '../context.js';

/** What a query may see, broadcastable to the scores [B, Hq, Sq, Skv]. */
export interface AttentionMask {
  /** bool: true attends. */
  readonly allowed?: Node | undefined;
  /** Added to the scores (after the softcap); of the compute dtype of q. */
  readonly bias?: Node | undefined;
  /** Causal with the IR op's alignment: key j is visible to query i when j <= i + Skv - Sq. */
  readonly causalLowerRight?: boolean;
}

/** Which intermediate scores to return beside the output. */
export type ScoresOutput = 'matmul' | 'softcapped' | 'biased' | 'probabilities';

export interface AttentionOptions {
  /** Multiplies q·kᵀ; undefined means 1/sqrt(head_size of q). */
  readonly scale?: number | undefined;
  /** softcap · tanh(scores / softcap) before the bias when > 0. */
  readonly softcap?: number;
  readonly scores?: ScoresOutput | undefined;
  /** The dtype the softmax runs in (ONNX softmax_precision); undefined: the compute dtype. */
  readonly softmaxDtype?: DType | undefined;
}

export interface AttentionResult {
  /** [B, Hq, Sq, Dv] in q's dtype. */
  readonly y: Node;
  /** [B, Hq, Sq, Skv] in q's dtype, when asked for. */
  readonly scores?: Node | undefined;
}

/** A 0/1 attribute. */
export function flag(ctx: ConvertContext, name: string, fallback = 0): boolean {
  const v = ctx.attrs.int(name, fallback);
  if (v !== 0 && v !== 1) ctx.fail('onnxBadAttribute', `attribute '${name}' must be 0 or 1, got ${v}`);
  return v === 1;
}

/** A required positive int attribute (a head count). */
export function positive(ctx: ConvertContext, name: string): number {
  const v = ctx.attrs.required(name, ctx.attrs.int(name));
  if (v <= 0) ctx.fail('onnxBadAttribute', `attribute '${name}' must be positive, got ${v}`);
  return v;
}

/** dims[i] of a node's shape. */
function dim(n: Node, i: number): Dim {
  return n.shape[i < 0 ? n.shape.length + i : i]!;
}

/** `a / b` for dims, failing at the node when `b` does not divide `a`. */
export function exactDiv(ctx: ConvertContext, a: Dim, b: Dim, what: string): Dim {
  const rem = constValue(modDim(a, b));
  if (rem !== undefined && rem !== 0) ctx.fail('onnxBadInput', `${what}: ${a.key} is not a multiple of ${b.key}`);
  return divDim(a, b);
}

/** [B, S, H·D] → [B, H, S, D]. */
export function splitHeads(ctx: ConvertContext, x: Node, heads: number, what: string): Node {
  if (x.shape.length !== 3) ctx.fail('onnxBadInput', `${what} must have rank 3 ([batch, sequence, hidden]), got rank ${x.shape.length}`);
  const [b, s, hidden] = x.shape as [Dim, Dim, Dim];
  const size = exactDiv(ctx, hidden, constDim(heads), `${what} hidden size over ${heads} heads`);
  const split = ctx.op('reshape', [x], { shape: [b, s, constDim(heads), size] });
  return ctx.op('transpose', [split], { perm: [0, 2, 1, 3] });
}

/** [B, H, S, D] → [B, S, H·D]. */
export function mergeHeads(ctx: ConvertContext, x: Node): Node {
  if (isPoison(x)) return x;
  const [b, h, s, d] = x.shape as [Dim, Dim, Dim, Dim];
  const moved = ctx.op('transpose', [x], { perm: [0, 2, 1, 3] });
  return ctx.op('reshape', [moved], { shape: [b, s, mulDim(h, d)] });
}

/** 0, 1, ..., count-1 as i64, reshaped to `shape` (count in the one non-1 position). */
export function positions(ctx: ConvertContext, count: Dim, shape: readonly Dim[]): Node {
  return ctx.op('reshape', [ctx.op('iota', [], { count, dtype: 'i64' })], { shape });
}

/**
 * Causal visibility as bool [Sq, Skv] (or [B, 1, Sq, Skv] with a per-batch offset): key j is
 * visible to query i when j <= i + offset. `offset` is a dim, or an i64 [B] node.
 */
export function causalAllowed(ctx: ConvertContext, sq: Dim, skv: Dim, offset: Dim | Node): Node {
  const one = constDim(1);
  if ('terms' in offset) {
    const i = positions(ctx, sq, [sq, one]);
    const j = positions(ctx, skv, [one, skv]);
    const limit = constValue(offset) === 0 ? i : ctx.op('add', [i, ctx.dimValues([offset], true)], {});
    return ctx.op('le', [j, limit], {});
  }
  requireVector(ctx, offset, 'per-batch causal offsets');
  const batch = dim(offset, 0);
  const i = positions(ctx, sq, [one, one, sq, one]);
  const j = positions(ctx, skv, [one, one, one, skv]);
  const perBatch = ctx.op('reshape', [offset], { shape: [batch, one, one, one] });
  return ctx.op('le', [j, ctx.op('add', [i, perBatch], {})], {});
}

/** Keys j < lengths[b] as bool [B, 1, 1, Skv]; `lengths` is an i64 [B] node. */
export function keysBelow(ctx: ConvertContext, lengths: Node, skv: Dim): Node {
  requireVector(ctx, lengths, 'key lengths');
  const one = constDim(1);
  const j = positions(ctx, skv, [one, one, one, skv]);
  const limit = ctx.op('reshape', [lengths], { shape: [dim(lengths, 0), one, one, one] });
  return ctx.op('lt', [j, limit], {});
}

/** Both of two optional bool masks. */
export function allowBoth(ctx: ConvertContext, a: Node | undefined, b: Node | undefined): Node | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return ctx.op('and', [a, b], {});
}

/** 0 where allowed, -inf elsewhere, in `dtype`. */
export function allowedToBias(ctx: ConvertContext, allowed: Node, dtype: DType): Node {
  return ctx.op('where', [allowed, ctx.scalar(0, dtype), ctx.scalar(-Infinity, dtype)], {});
}

/** The mask's allowed positions and bias as one additive float bias (undefined when neither). */
function combinedBias(ctx: ConvertContext, mask: AttentionMask, dtype: DType): Node | undefined {
  const bias = mask.bias && mask.bias.dtype !== dtype ? ctx.op('cast', [mask.bias], { to: dtype }) : mask.bias;
  if (mask.allowed === undefined) return bias;
  const blocked = allowedToBias(ctx, mask.allowed, dtype);
  return bias === undefined ? blocked : ctx.op('add', [bias, blocked], {});
}

/** [B, Hkv, S, D] with each kv head repeated `group` times: [B, Hkv·group, S, D]. */
function repeatHeads(ctx: ConvertContext, x: Node, hq: Dim): Node {
  const [b, hkv, s, d] = x.shape as [Dim, Dim, Dim, Dim];
  if (dimEquals(hkv, hq)) return x;
  const group = exactDiv(ctx, hq, hkv, 'query heads over key/value heads');
  const spread = ctx.op('unsqueeze', [x], { axes: [2] });
  const expanded = ctx.op('expand', [spread], { shape: [b, hkv, group, s, d] });
  return ctx.op('reshape', [expanded], { shape: [b, hq, s, d] });
}

/** The compute dtype of the decomposition: q's, or f32 for floats narrower than f32. */
function computeDtype(dtype: DType): DType {
  return dtype === 'f64' || dtype === 'f32' ? dtype : 'f32';
}

/**
 * softmax(q·kᵀ·scale, softcapped, + mask) · v with grouped kv heads.
 * q [B, Hq, Sq, Dk], k [B, Hkv, Skv, Dk], v [B, Hkv, Skv, Dv].
 */
export function scaledDotProductAttention(
  ctx: ConvertContext, q: Node, k: Node, v: Node, mask: AttentionMask, opts: AttentionOptions,
): AttentionResult {
  if ([q, k, v].some(isPoison)) return { y: ctx.b.poison() };
  for (const [name, t] of [['query', q], ['key', k], ['value', v]] as const) {
    if (t.shape.length !== 4) ctx.fail('onnxBadInput', `attention ${name} must have rank 4 here, got rank ${t.shape.length}`);
    if (!DTYPES[t.dtype].isFloat) ctx.fail('onnxBadInput', `attention ${name} must be a floating-point tensor, got ${t.dtype}`);
  }
  const softcap = opts.softcap ?? 0;
  const direct = softcap <= 0 && opts.scores === undefined;
  if (direct) {
    // The IR op computes in f64 and rounds once, at least as precise as any softmax_precision.
    const bias = mask.bias && mask.bias.dtype !== q.dtype ? ctx.op('cast', [mask.bias], { to: q.dtype }) : mask.bias;
    const m = bias === undefined ? mask.allowed : mask.allowed === undefined ? bias : ctx.op('add', [bias, allowedToBias(ctx, mask.allowed, q.dtype)], {});
    const y = ctx.op('attention', m ? [q, k, v, m] : [q, k, v], { causal: mask.causalLowerRight ?? false, scale: opts.scale, hasMask: m !== undefined });
    return { y };
  }
  return decomposed(ctx, q, k, v, mask, { ...opts, softcap });
}

function decomposed(ctx: ConvertContext, q: Node, k: Node, v: Node, mask: AttentionMask, opts: AttentionOptions & { softcap: number }): AttentionResult {
  const dtype = q.dtype;
  const cd = computeDtype(dtype);
  const to = (x: Node, t: DType): Node => (x.dtype === t ? x : ctx.op('cast', [x], { to: t }));
  const hq = dim(q, 1), sq = dim(q, 2), skv = dim(k, 2);
  // The scale multiplies both q and k by its square root, as the ONNX reference does.
  const scale = opts.scale ?? 1 / Math.sqrt(requireConst(ctx, dim(q, 3), 'the head size'));
  const root = ctx.scalar(Math.sqrt(scale), cd);
  const qs = ctx.op('mul', [to(q, cd), root], {});
  const ks = ctx.op('mul', [repeatHeads(ctx, to(k, cd), hq), root], {});
  const matmul = ctx.op('matmul', [qs, ctx.op('transpose', [ks], { perm: [0, 1, 3, 2] })], {});
  let scores = matmul;
  if (opts.softcap > 0) {
    const cap = ctx.scalar(opts.softcap, cd);
    scores = ctx.op('mul', [ctx.op('tanh', [ctx.op('div', [scores, cap], {})], {}), cap], {});
  }
  const allowed = mask.causalLowerRight ? allowBoth(ctx, mask.allowed, causalAllowed(ctx, sq, skv, subDim(skv, sq))) : mask.allowed;
  const bias = combinedBias(ctx, { allowed, bias: mask.bias }, cd);
  const biased = bias === undefined ? scores : ctx.op('add', [scores, bias], {});
  const sd = opts.softmaxDtype ?? cd;
  const logits = to(biased, sd);
  let probs = ctx.op('softmax', [logits], { axis: 3 });
  if (bias !== undefined) {
    // A row with no visible key: softmax of all -inf is NaN; it gives 0 instead.
    const rowMax = ctx.op('reduce_max', [logits], { axes: [3], keepdims: true });
    const empty = ctx.op('eq', [rowMax, ctx.scalar(-Infinity, sd)], {});
    probs = ctx.op('where', [empty, ctx.scalar(0, sd), probs], {});
  }
  const y = to(ctx.op('matmul', [to(probs, cd), repeatHeads(ctx, to(v, cd), hq)], {}), dtype);
  const picked = { matmul, softcapped: scores, biased, probabilities: probs, none: undefined }[opts.scores ?? 'none'];
  return { y, scores: picked && to(picked, dtype) };
}

/** Whether any of the nodes is poison (an error already reported at this node). */
export function anyPoison(...nodes: readonly (Node | undefined)[]): boolean {
  return nodes.some((n) => n !== undefined && isPoison(n));
}

/** Poison for every output of the node (after an error reported while converting it). */
export function poisoned(ctx: ConvertContext): Node[] {
  return ctx.node.outputs.map(() => ctx.b.poison());
}

function requireVector(ctx: ConvertContext, x: Node, what: string): void {
  if (x.shape.length !== 1) ctx.fail('onnxBadInput', `${ctx.node.opType} ${what} must have rank 1 ([batch]), got rank ${x.shape.length}`);
}

export function requireConst(ctx: ConvertContext, d: Dim, what: string): number {
  const v = constValue(d);
  if (v === undefined) ctx.fail('onnxUnsupportedFeature', `${what} must be a known number here, got ${d.key}`);
  return v;
}

/** Concatenates a cache and new keys or values along the sequence axis (2). */
export function appendToCache(ctx: ConvertContext, past: Node | undefined, current: Node): Node {
  if (past === undefined) return current;
  if (past.shape.length !== 4) ctx.fail('onnxBadInput', `a past key/value cache must have rank 4, got rank ${past.shape.length}`);
  if (constValue(dim(past, 2)) === 0) return current;
  return ctx.op('concat', [past, current], { axis: 2 });
}

