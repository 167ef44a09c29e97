// ONNX Runtime's attention contrib ops (domain com.microsoft), as its CPU kernels compute them:
// MultiHeadAttention, GroupQueryAttention and RotaryEmbedding. MultiHeadAttention's KV cache uses
// the separate-buffer layout (present = past followed by the new keys and values);
// GroupQueryAttention's puts each batch entry's new tokens after its own valid past (see
// cacheLayout). What depends on run-time buffer sharing (past_sequence_length), beam search
// (cache_indirection), quantized KV caches, packed (ragged) batches, head sinks and Q/K norms is
// refused with onnxUnsupportedFeature, naming the input or attribute.

import { addDim, constDim, constValue, dimEquals, maxDim, mulDim, subDim, type Dim } from '../../../ir/dim.js';
import { DTYPES } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/node.js';
import type { ConvertContext } from '../context.js';
import {
  anyPoison, appendToCache, exactDiv, flag, keysBelow, mergeHeads, poisoned, positions, positive, requireConst,
  scaledDotProductAttention, splitHeads,
  type AttentionMask,
} from './attention-core.js';
import { cacheAt, checkRotaryDim, rotate } from './rotary.js';

/** Refuses inputs this importer does not implement, by position and name. */
function refuseInputs(ctx: ConvertContext, names: Readonly<Record<number, string>>): void {
  for (const [i, name] of Object.entries(names)) {
    if (ctx.optionalInput(Number(i)) !== undefined) ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} input '${name}' is not supported`);
  }
}

function refuseOutput(ctx: ConvertContext, index: number, name: string): void {
  if ((ctx.node.outputs[index] ?? '') !== '') ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} output '${name}' is not supported`);
}

function sliceAxis(ctx: ConvertContext, x: Node, axis: number, start: Dim, count: Dim): Node {
  return ctx.op('slice', [x], { axes: [axis], starts: [start], steps: [1], counts: [count] });
}

function toI64(ctx: ConvertContext, x: Node): Node {
  if (!DTYPES[x.dtype].isInt) ctx.fail('onnxBadInput', `${ctx.node.opType} needs integer lengths or positions, got ${x.dtype}`);
  return x.dtype === 'i64' ? x : ctx.op('cast', [x], { to: 'i64' });
}

// ---- RotaryEmbedding (com.microsoft) ----

/** cos/sin rows for i64 position ids [B, S], or for positions start + 0..S-1 when ids is [1]. */
function rowsAt(ctx: ConvertContext, cache: Node, ids: Node, sequence: Dim): Node {
  if (ids.shape.length === 2) return cacheAt(ctx, cache, ids);
  if (ids.shape.length !== 1 || constValue(ids.shape[0]!) !== 1) ctx.fail('onnxBadInput', `position_ids must have shape [1] or [batch, sequence], got rank ${ids.shape.length}`);
  const start = ctx.op('reshape', [toI64(ctx, ids)], { shape: [constDim(1), constDim(1)] });
  const absolute = ctx.op('add', [start, positions(ctx, sequence, [constDim(1), sequence])], {});
  return cacheAt(ctx, cache, absolute); // [1, S, half]
}

function RotaryEmbedding(ctx: ConvertContext): Node[] {
  const x = ctx.input(0), ids = ctx.input(1), cos = ctx.input(2), sin = ctx.input(3);
  if (flag(ctx, 'is_packed_batching')) ctx.fail('onnxUnsupportedFeature', 'RotaryEmbedding with is_packed_batching=1 is not supported');
  const scale = ctx.attrs.float('scale', 1);
  if (scale !== 1) ctx.fail('onnxUnsupportedFeature', `RotaryEmbedding scale ${scale} is not supported (only 1)`);
  if (cos.shape.length !== 2) ctx.fail('onnxBadInput', `cos_cache must have rank 2, got rank ${cos.shape.length}`);
  const rotaryDim = ctx.attrs.int('rotary_embedding_dim', 0) || 2 * requireConst(ctx, cos.shape[1]!, 'the cos_cache width');
  let x4: Node, headAxis: number, sequence: Dim;
  if (x.shape.length === 4) {
    x4 = x; // [B, N, S, H]
    headAxis = 1;
    sequence = x.shape[2]!;
  } else if (x.shape.length === 3) {
    const [b, s, hidden] = x.shape as [Dim, Dim, Dim];
    const numHeads = ctx.attrs.int('num_heads', 0);
    const headSize = numHeads > 0 ? exactDiv(ctx, hidden, constDim(numHeads), 'hidden size over num_heads') : constDim(rotaryDim);
    x4 = ctx.op('reshape', [x], { shape: [b, s, exactDiv(ctx, hidden, headSize, 'hidden size over the head size'), headSize] });
    headAxis = 2;
    sequence = s;
  } else {
    return ctx.fail('onnxBadInput', `RotaryEmbedding input must have rank 3 or 4, got rank ${x.shape.length}`);
  }
  if (anyPoison(x4)) return poisoned(ctx);
  checkRotaryDim(ctx, rotaryDim, x4.shape[3]!);
  const at = (cache: Node): Node => ctx.op('unsqueeze', [rowsAt(ctx, cache, ids, sequence)], { axes: [headAxis] });
  const y = rotate(ctx, x4, at(cos), at(sin), rotaryDim, flag(ctx, 'interleaved'));
  return [x.shape.length === 4 ? y : ctx.op('reshape', [y], { shape: x.shape })];
}

// ---- MultiHeadAttention ----

/** Adds the slice [start, start+count) of a 1-D bias to x's last axis. */
function addBiasPart(ctx: ConvertContext, x: Node, bias: Node | undefined, start: Dim, count: Dim): Node {
  if (bias === undefined) return x;
  return ctx.op('add', [x, sliceAxis(ctx, bias, 0, start, count)], {});
}

/** [B, S, N, parts, H] → part `p` as [B, S, N·H]. */
function packedPart(ctx: ConvertContext, packed: Node, part: number): Node {
  const [b, s, n, , h] = packed.shape as [Dim, Dim, Dim, Dim, Dim];
  const one = sliceAxis(ctx, packed, 3, constDim(part), constDim(1));
  return ctx.op('reshape', [one], { shape: [b, s, mulDim(n, h)] });
}


/** ONNX Runtime's key_padding_mask as an additive bias (mask_filter_value where padded). */
function keyPaddingBias(ctx: ConvertContext, mask: Node, batch: Dim, total: Dim, filter: Node): Node {
  const zero = ctx.scalar(0, filter.dtype);
  const one = constDim(1);
  if (mask.shape.length === 1) {
    if (constValue(mask.shape[0]!) !== undefined && constValue(batch) !== undefined && constValue(mask.shape[0]!) !== constValue(batch)) {
      ctx.fail('onnxUnsupportedFeature', `key_padding_mask of shape [${mask.shape[0]!.key}] (start/end positions) is not supported; only [batch] lengths`);
    }
    return ctx.op('where', [keysBelow(ctx, toI64(ctx, mask), total), zero, filter], {});
  }
  const last = mask.shape[mask.shape.length - 1]!;
  if (constValue(subDim(last, total)) !== 0) ctx.fail('onnxUnsupportedFeature', `key_padding_mask covers ${last.key} keys, the attention has ${total.key}`);
  const padded = ctx.op('eq', [mask, ctx.scalar(0, mask.dtype)], {});
  const bias = ctx.op('where', [padded, filter, zero], {});
  if (mask.shape.length === 2) return ctx.op('reshape', [bias], { shape: [mask.shape[0]!, one, one, last] });
  if (mask.shape.length === 3) return ctx.op('unsqueeze', [bias], { axes: [1] });
  return ctx.fail('onnxBadInput', `key_padding_mask must have rank 1, 2 or 3, got rank ${mask.shape.length}`);
}

function MultiHeadAttention(ctx: ConvertContext): (Node | undefined)[] {
  refuseInputs(ctx, { 8: 'past_sequence_length', 9: 'cache_indirection' });
  refuseOutput(ctx, 3, 'qk');
  const numHeads = positive(ctx, 'num_heads');
  let query = ctx.input(0);
  let key = ctx.optionalInput(1), value = ctx.optionalInput(2);
  const bias = ctx.optionalInput(3);
  if (query.shape.length === 5) {
    if (key !== undefined || value !== undefined) ctx.fail('onnxBadInput', 'MultiHeadAttention with packed QKV takes no key or value');
    [query, key, value] = [packedPart(ctx, query, 0), packedPart(ctx, query, 1), packedPart(ctx, query, 2)];
  } else if (key !== undefined && key.shape.length === 5) {
    if (value !== undefined) ctx.fail('onnxBadInput', 'MultiHeadAttention with packed KV takes no value');
    [key, value] = [packedPart(ctx, key, 0), packedPart(ctx, key, 1)];
  }
  if (key === undefined || value === undefined) return ctx.fail('onnxBadInput', 'MultiHeadAttention needs key and value (or packed QKV)');
  if (query.shape.length !== 3) ctx.fail('onnxBadInput', `MultiHeadAttention query must have rank 3 or 5, got rank ${query.shape.length}`);
  const hidden = query.shape[2]!;
  const q = splitHeads(ctx, addBiasPart(ctx, query, bias, constDim(0), hidden), numHeads, 'query');
  let k: Node, v: Node;
  const pastKey = ctx.optionalInput(6), pastValue = ctx.optionalInput(7);
  if ((pastKey === undefined) !== (pastValue === undefined)) ctx.fail('onnxBadInput', 'MultiHeadAttention needs past_key and past_value together');
  if (key.shape.length === 4) {
    // key and value are already [B, N, L, H] (a cross-attention cache): no bias, no past.
    if (value.shape.length !== 4) ctx.fail('onnxBadInput', 'MultiHeadAttention value must have rank 4 when key has');
    if (bias !== undefined) ctx.fail('onnxUnsupportedFeature', 'MultiHeadAttention bias with rank-4 key and value is not supported');
    if (pastKey !== undefined) ctx.fail('onnxBadInput', 'MultiHeadAttention takes no past_key with rank-4 key and value');
    [k, v] = [key, value];
  } else {
    const kHidden = key.shape[2]!;
    k = splitHeads(ctx, addBiasPart(ctx, key, bias, hidden, kHidden), numHeads, 'key');
    v = splitHeads(ctx, addBiasPart(ctx, value, bias, mulDim(hidden, 2), value.shape[2]!), numHeads, 'value');
    k = appendToCache(ctx, pastKey, k);
    v = appendToCache(ctx, pastValue, v);
  }
  if (anyPoison(q, k, v)) return poisoned(ctx);
  const batch = q.shape[0]!, sq = q.shape[2]!, total = k.shape[2]!;
  const filter = ctx.scalar(ctx.attrs.float('mask_filter_value', -10000), q.dtype);
  let additive: Node | undefined;
  const add = (b: Node): void => void (additive = additive === undefined ? b : ctx.op('add', [additive, b], {}));
  const padding = ctx.optionalInput(4);
  if (padding !== undefined) add(keyPaddingBias(ctx, padding, batch, total, filter));
  if (flag(ctx, 'unidirectional')) {
    // key j is visible to query i when j <= i + past (ONNX Runtime adds mask_filter_value elsewhere)
    const i = positions(ctx, sq, [sq, constDim(1)]);
    const j = positions(ctx, total, [constDim(1), total]);
    const past = ctx.dimValues([subDim(total, sq)], true);
    const visible = ctx.op('le', [j, ctx.op('add', [i, past], {})], {});
    add(ctx.op('where', [visible, ctx.scalar(0, q.dtype), filter], {}));
  }
  const attentionBias = ctx.optionalInput(5);
  if (attentionBias !== undefined) add(attentionBias);
  const { y } = scaledDotProductAttention(ctx, q, k, v, { bias: additive }, { scale: ctx.attrs.float('scale') });
  return [mergeHeads(ctx, y), k, v];
}

// ---- GroupQueryAttention ----

function GroupQueryAttention(ctx: ConvertContext): (Node | undefined)[] {
  refuseInputs(ctx, { 11: 'head_sink', 12: 'k_scale', 13: 'v_scale', 14: 'q_norm_weight', 15: 'k_norm_weight' });
  for (const name of ['sliding_window_cache', 'smooth_softmax']) if (flag(ctx, name)) ctx.fail('onnxUnsupportedFeature', `GroupQueryAttention ${name}=1 is not supported`);
  for (const name of ['k_quant_type', 'v_quant_type']) {
    const q = ctx.attrs.string(name, 'NONE');
    if (q !== 'NONE') ctx.fail('onnxUnsupportedFeature', `GroupQueryAttention ${name}='${q}' (a quantized KV cache) is not supported`);
  }
  const qkOutput = ctx.attrs.int('qk_output', 0);
  if (qkOutput === 1) ctx.fail('onnxUnsupportedFeature', 'GroupQueryAttention qk_output=1 (scores before softmax) is not supported');
  if (qkOutput !== 0 && qkOutput !== 2) ctx.fail('onnxBadAttribute', `GroupQueryAttention qk_output must be 0, 1 or 2, got ${qkOutput}`);
  if (qkOutput === 0) refuseOutput(ctx, 3, 'output_qk');

  const numHeads = positive(ctx, 'num_heads'), kvHeads = positive(ctx, 'kv_num_heads');
  let query = ctx.input(0);
  let key = ctx.optionalInput(1), value = ctx.optionalInput(2);
  if (query.shape.length !== 3) ctx.fail('onnxBadInput', `GroupQueryAttention query must have rank 3, got rank ${query.shape.length}`);
  if (key === undefined) {
    // packed QKV: [B, S, (N + 2·Nkv)·H]
    const width = query.shape[2]!;
    const headSize = exactDiv(ctx, width, constDim(numHeads + 2 * kvHeads), 'packed QKV width over the heads');
    const qw = mulDim(headSize, numHeads), kw = mulDim(headSize, kvHeads);
    key = sliceAxis(ctx, query, 2, qw, kw);
    value = sliceAxis(ctx, query, 2, mulDim(headSize, numHeads + kvHeads), kw);
    query = sliceAxis(ctx, query, 2, constDim(0), qw);
  }
  if (value === undefined) return ctx.fail('onnxBadInput', 'GroupQueryAttention needs value with key');
  let q = splitHeads(ctx, query, numHeads, 'query');
  let k = splitHeads(ctx, key, kvHeads, 'key');
  const v = splitHeads(ctx, value, kvHeads, 'value');
  if (anyPoison(q, k, v)) return poisoned(ctx);
  const batch = q.shape[0]!, sq = q.shape[2]!;

  const pastKey = ctx.optionalInput(3), pastValue = ctx.optionalInput(4);
  if ((pastKey === undefined) !== (pastValue === undefined)) ctx.fail('onnxBadInput', 'GroupQueryAttention needs past_key and past_value together');
  for (const past of [pastKey, pastValue]) {
    if (past !== undefined && past.shape.length !== 4) ctx.fail('onnxBadInput', `a past key/value cache must have rank 4, got rank ${past.shape.length}`);
  }
  const pastLength = pastKey === undefined ? constDim(0) : pastKey.shape[2]!;
  const seqlens = toI64(ctx, ctx.input(5));
  const layout = cacheLayout(ctx, pastLength, seqlens, sq);

  if (flag(ctx, 'do_rotary')) {
    const cos = ctx.input(7), sin = ctx.input(8);
    const ids = ctx.optionalInput(9) ?? newPositions(ctx, layout.pastStart, batch, sq);
    const at = (cache: Node): Node => ctx.op('unsqueeze', [cacheAt(ctx, cache, toI64(ctx, ids))], { axes: [1] });
    const rotaryDim = 2 * requireConst(ctx, cos.shape[1]!, 'the cos_cache width');
    const interleaved = flag(ctx, 'rotary_interleaved');
    q = rotate(ctx, q, at(cos), at(sin), rotaryDim, interleaved);
    k = rotate(ctx, k, at(cos), at(sin), rotaryDim, interleaved);
  }
  const presentKey = presentCache(ctx, pastKey, k, layout);
  const presentValue = presentCache(ctx, pastValue, v, layout);
  if (anyPoison(q, presentKey, presentValue)) return poisoned(ctx);
  const mask = gqaMask(ctx, layout, seqlens, sq);
  const attentionBias = ctx.optionalInput(10);
  const { y, scores } = scaledDotProductAttention(ctx, q, presentKey, presentValue, { ...mask, bias: attentionBias }, {
    scale: ctx.attrs.float('scale'),
    softcap: ctx.attrs.float('softcap', 0),
    scores: qkOutput === 2 ? 'probabilities' : undefined,
  });
  return [mergeHeads(ctx, y), presentKey, presentValue, scores];
}

/**
 * Where GroupQueryAttention puts each batch entry's tokens in the present cache, as ONNX
 * Runtime's CPU kernel does (group_query_attention_helper.h, gqa_attention_base.h):
 *  - the present cache is max(total_sequence_length, past length) long; when
 *    total_sequence_length is not known at import it is taken to be past + new (the separate-
 *    buffer layout, where the past holds exactly the tokens seen so far);
 *  - a *first prompt* (the new length equals total_sequence_length, or there is no past) puts
 *    the new tokens at 0..S-1 and ignores the past;
 *  - otherwise entry b's first new token sits at pastStart[b] = seqlens_k[b] + 1 - S, after
 *    the first pastStart[b] positions of its past; positions after its new tokens are zero.
 * `pastStart` is undefined for a prompt (every entry starts at 0).
 */
interface CacheLayout {
  readonly length: Dim;
  readonly pastStart: Node | undefined;
}

function cacheLayout(ctx: ConvertContext, pastLength: Dim, seqlens: Node, sq: Dim): CacheLayout {
  if (constValue(pastLength) === 0) return { length: sq, pastStart: undefined };
  const total = ctx.dims(6)?.[0];
  const length = total === undefined ? addDim(pastLength, sq) : maxDim(total, pastLength);
  const decodeStart = ctx.op('sub', [ctx.op('add', [seqlens, ctx.scalar(1, 'i64')], {}), ctx.dimValues([sq], true)], {});
  const gap = total === undefined ? undefined : constValue(subDim(total, sq));
  if (gap === 0) return { length, pastStart: undefined };
  if (gap !== undefined) return { length, pastStart: decodeStart };
  // Whether this is a first prompt is known only when total_sequence_length is.
  const totalValue = ctx.op('reshape', [toI64(ctx, ctx.input(6))], { shape: [] });
  const isPrompt = ctx.op('eq', [totalValue, ctx.dimValues([sq], true)], {});
  return { length, pastStart: ctx.op('where', [isPrompt, ctx.scalar(0, 'i64'), decodeStart], {}) };
}

/** `x` [B, H, S, D] followed by zeros up to `length` positions on axis 2. */
function padPositions(ctx: ConvertContext, x: Node, length: Dim): Node {
  const [b, h, s, d] = x.shape as [Dim, Dim, Dim, Dim];
  if (dimEquals(s, length)) return x;
  const zeros = ctx.op('expand', [ctx.scalar(0, x.dtype)], { shape: [b, h, subDim(length, s), d] });
  return ctx.op('concat', [x, zeros], { axis: 2 });
}

/**
 * The present cache [B, H, length, D] of one of key/value: per entry, its past below
 * pastStart[b], the new tokens at pastStart[b] + 0..S-1, zeros elsewhere.
 */
function presentCache(ctx: ConvertContext, past: Node | undefined, current: Node, layout: CacheLayout): Node {
  if (layout.pastStart === undefined) return padPositions(ctx, current, layout.length);
  const [b, h, s, d] = current.shape as [Dim, Dim, Dim, Dim];
  const one = constDim(1), length = layout.length;
  const j = positions(ctx, length, [one, length]); // [1, L]
  const start = ctx.op('reshape', [layout.pastStart], { shape: [b, one] }); // [B, 1]
  const offset = ctx.op('sub', [j, start], {}); // [B, L]: position within the new tokens
  let placed: Node;
  if (constValue(s) === 1) {
    placed = current; // broadcasts over the positions
  } else {
    // Row b·S + clamp(offset, 0, S-1) of the new tokens flattened to [B·S, H, D].
    const flat = ctx.op('reshape', [ctx.op('transpose', [current], { perm: [0, 2, 1, 3] })], { shape: [mulDim(b, s), h, d] });
    const clamped = ctx.op('max', [ctx.op('min', [offset, ctx.dimValues([subDim(s, 1)], true)], {}), ctx.scalar(0, 'i64')], {});
    const base = ctx.op('mul', [positions(ctx, b, [b, one]), ctx.dimValues([s], true)], {});
    const rows = ctx.op('gather', [flat, ctx.op('add', [base, clamped], {})], { axis: 0 }); // [B, L, H, D]
    placed = ctx.op('transpose', [rows], { perm: [0, 2, 1, 3] });
  }
  const toHeads = (m: Node): Node => ctx.op('reshape', [m], { shape: [b, one, length, one] });
  const isNew = toHeads(ctx.op('and', [ctx.op('ge', [offset, ctx.scalar(0, 'i64')], {}), ctx.op('lt', [offset, ctx.dimValues([s], true)], {})], {}));
  const zero = ctx.scalar(0, current.dtype);
  const old = past === undefined ? zero : ctx.op('where', [toHeads(ctx.op('lt', [offset, ctx.scalar(0, 'i64')], {})), padPositions(ctx, past, length), zero], {});
  return ctx.op('where', [isNew, placed, old], {});
}

/** Absolute positions of the new tokens, [B, S]: pastStart[b] + s (s for a prompt). */
function newPositions(ctx: ConvertContext, pastStart: Node | undefined, batch: Dim, sq: Dim): Node {
  const s = positions(ctx, sq, [constDim(1), sq]);
  if (pastStart === undefined) return ctx.op('expand', [s], { shape: [batch, sq] });
  return ctx.op('add', [ctx.op('reshape', [pastStart], { shape: [batch, constDim(1)] }), s], {});
}

/**
 * Which positions of the present cache each query sees. Query i of entry b is at position
 * pastStart[b] + i (i for a prompt); the entry's keys end at seqlens_k[b] + 1. Causal: key
 * position <= query position; local_window_size W: the last W positions up to the query's
 * (key position > query position - W), as ONNX Runtime 1.30 computes it.
 */
function gqaMask(ctx: ConvertContext, layout: CacheLayout, seqlens: Node, sq: Dim): AttentionMask {
  const causal = flag(ctx, 'causal', 1);
  const window = ctx.attrs.int('local_window_size', -1);
  if (window > 0 && !causal) ctx.fail('onnxBadAttribute', 'GroupQueryAttention local_window_size needs causal=1');
  const one = constDim(1), keys = layout.length;
  const ends = ctx.op('add', [seqlens, ctx.scalar(1, 'i64')], {});
  const lengths = keysBelow(ctx, ends, keys); // keys past an entry's length are padding
  if (layout.pastStart === undefined && window <= 0 && dimEquals(keys, sq)) {
    return causal ? { allowed: lengths, causalLowerRight: true } : { allowed: lengths };
  }
  const j = positions(ctx, keys, [one, one, one, keys]);
  const i = positions(ctx, sq, [one, one, sq, one]);
  const queryPos = layout.pastStart === undefined
    ? i
    : ctx.op('add', [ctx.op('reshape', [layout.pastStart], { shape: [layout.pastStart.shape[0]!, one, one, one] }), i], {});
  let allowed = lengths;
  if (causal) allowed = ctx.op('and', [allowed, ctx.op('le', [j, queryPos], {})], {});
  if (window > 0) allowed = ctx.op('and', [allowed, ctx.op('ge', [j, ctx.op('sub', [queryPos, ctx.scalar(window - 1, 'i64')], {})], {})], {});
  return { allowed };
}

export const ATTENTION_CONTRIB_CONVERTERS = {
  'com.microsoft:RotaryEmbedding': RotaryEmbedding,
  'com.microsoft:MultiHeadAttention': MultiHeadAttention,
  'com.microsoft:GroupQueryAttention': GroupQueryAttention,
};

