// Scaled dot-product attention as one op, with grouped K/V heads. Its reference semantics are
// the plain decomposed formula; targets compute it in streaming form (online softmax).

import { constValue, dimEquals, modDim, printShape } from '../dim.js';
import { DTYPES } from '../dtype.js';
import { broadcastsTo, fail } from '../types.js';
import type { OpTable } from './op-info.js';
import { attention } from '../../interpret/kernels/attention.js';
import { emptyKvCache, kvAttentionStep, type KvCacheState } from '../../interpret/kernels/kv-attention.js';

export const ATTENTION_OPS = {
  attention: {
    category: 'attention',
    arity: [3, 4],
    infer(src, attrs) {
      const [q, k, v] = src as [typeof src[0], typeof src[0], typeof src[0]];
      const mask = attrs.hasMask ? src[3] : undefined;
      if (src.length !== 3 + Number(attrs.hasMask)) fail('badAttribute', 'attention operands do not match hasMask');
      if (!DTYPES[q.dtype].isFloat) fail('dtypeMismatch', `attention needs floating-point q, k, v, got ${q.dtype}`);
      if (k.dtype !== q.dtype || v.dtype !== q.dtype) fail('dtypeMismatch', `attention needs q, k, v of one dtype, got ${q.dtype}, ${k.dtype}, ${v.dtype}`);
      const rank = q.shape.length;
      if (rank < 3 || k.shape.length !== rank || v.shape.length !== rank) {
        fail('shapeMismatch', `attention needs q, k, v of one rank ≥ 3 ([..., heads, seq, head_dim]), got ${printShape(q.shape)}, ${printShape(k.shape)}, ${printShape(v.shape)}`);
      }
      const batch = q.shape.slice(0, -3);
      for (const [name, t] of [['k', k], ['v', v]] as const) {
        if (!t.shape.slice(0, -3).every((d, i) => dimEquals(d, batch[i]!))) {
          fail('shapeMismatch', `attention ${name} batch dims ${printShape(t.shape.slice(0, -3))} differ from q's ${printShape(batch)}`);
        }
      }
      const [hq, sq, dk] = q.shape.slice(-3);
      const [hkv, skv, dk2] = k.shape.slice(-3);
      const [hv, sv, dv] = v.shape.slice(-3);
      if (!dimEquals(dk!, dk2!)) fail('shapeMismatch', `attention q and k head dims differ: ${printShape(q.shape)} and ${printShape(k.shape)}`);
      if (!dimEquals(hkv!, hv!) || !dimEquals(skv!, sv!)) fail('shapeMismatch', `attention k and v differ in heads or length: ${printShape(k.shape)} and ${printShape(v.shape)}`);
      const rem = constValue(modDim(hq!, hkv!));
      if (rem !== undefined && rem !== 0) fail('divisibility', `attention query heads (${hq!.key}) must be a multiple of key/value heads (${hkv!.key})`);
      const scoreShape = [...batch, hq!, sq!, skv!];
      if (mask) {
        if (mask.dtype !== 'bool' && mask.dtype !== q.dtype) fail('dtypeMismatch', `attention mask must be bool or ${q.dtype}, got ${mask.dtype}`);
        if (!broadcastsTo(mask.shape, scoreShape)) fail('shapeMismatch', `attention mask ${printShape(mask.shape)} does not broadcast to the scores ${printShape(scoreShape)}`);
      }
      if (attrs.scale !== undefined && !Number.isFinite(attrs.scale)) fail('badAttribute', `attention scale must be a finite number`);
      return { dtype: q.dtype, shape: [...batch, hq!, sq!, dv!] };
    },
    evaluate(src, attrs) {
      const [q, k] = src;
      const hq = q!.shape[q!.shape.length - 3]!;
      const hkv = k!.shape[k!.shape.length - 3]!;
      if (hkv === 0 || hq % hkv !== 0) fail('divisibility', `attention query heads (${hq}) must be a multiple of key/value heads (${hkv})`);
      return attention(src[0]!, src[1]!, src[2]!, { causal: attrs.causal, scale: attrs.scale, mask: attrs.hasMask ? src[3] : undefined });
    },
  },
  kv_attention: {
    category: 'attention',
    arity: [3, 3],
    stateful: true,
    infer(src, attrs) {
      const [q, k, v] = src as [typeof src[0], typeof src[0], typeof src[0]];
      if (q.dtype !== 'f32' || k.dtype !== 'f32' || v.dtype !== 'f32') fail('dtypeMismatch', `kv_attention needs f32 q, k, v, got ${q.dtype}, ${k.dtype}, ${v.dtype}`);
      if (q.shape.length !== 3 || k.shape.length !== 3 || v.shape.length !== 3) {
        fail('shapeMismatch', `kv_attention needs q, k, v of rank 3 ([heads, new tokens, head_dim]), got ${printShape(q.shape)}, ${printShape(k.shape)}, ${printShape(v.shape)}`);
      }
      const [hq, sq, dk] = q.shape as [typeof q.shape[0], typeof q.shape[0], typeof q.shape[0]];
      const [hkv, skv, dk2] = k.shape as [typeof q.shape[0], typeof q.shape[0], typeof q.shape[0]];
      const [hv, sv, dv] = v.shape as [typeof q.shape[0], typeof q.shape[0], typeof q.shape[0]];
      if (!dimEquals(dk, dk2)) fail('shapeMismatch', `kv_attention q and k head dims differ: ${printShape(q.shape)} and ${printShape(k.shape)}`);
      if (!dimEquals(hkv, hv) || !dimEquals(skv, sv) || !dimEquals(sq, skv)) {
        fail('shapeMismatch', `kv_attention needs one new k and v row per query row: ${printShape(q.shape)}, ${printShape(k.shape)}, ${printShape(v.shape)}`);
      }
      const rem = constValue(modDim(hq, hkv));
      if (rem !== undefined && rem !== 0) fail('divisibility', `kv_attention query heads (${hq.key}) must be a multiple of key/value heads (${hkv.key})`);
      if (!Number.isInteger(attrs.sink) || attrs.sink < 0) fail('badAttribute', `kv_attention sink must be an integer ≥ 0, got ${attrs.sink}`);
      if (!Number.isInteger(attrs.window) || attrs.window < 1) fail('badAttribute', `kv_attention window must be an integer ≥ 1, got ${attrs.window}`);
      if (attrs.scale !== undefined && !Number.isFinite(attrs.scale)) fail('badAttribute', `kv_attention scale must be a finite number`);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(attrs.state)) fail('badAttribute', `kv_attention state name '${attrs.state}' is not an identifier`);
      return { dtype: q.dtype, shape: [hq, sq, dv] };
    },
    evaluate(src, attrs, ctx) {
      const [q, k, v] = src as [typeof src[0], typeof src[0], typeof src[0]];
      const [hq] = q!.shape, [hkv, , d] = k!.shape, dv = v!.shape[2]!;
      if (!hkv || hq! % hkv !== 0) fail('divisibility', `kv_attention query heads (${hq}) must be a multiple of key/value heads (${hkv})`);
      const policy = { sink: attrs.sink, window: attrs.window };
      // A kept state of other head counts or dims (the dims moved) starts over, as the runtime does.
      const kept = ctx.state?.get() as KvCacheState | undefined;
      const fits = kept !== undefined && kept.k.shape[0] === hkv && kept.k.shape[1] === policy.sink + policy.window
        && kept.k.shape[2] === d && kept.v.shape[2] === dv;
      const step = kvAttentionStep(fits ? kept : emptyKvCache(hkv!, d!, policy, dv), q!, k!, v!, policy, attrs.scale);
      ctx.state?.set(step.state);
      return step.output;
    },
  },
} satisfies Partial<OpTable>;
