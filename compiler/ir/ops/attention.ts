// Scaled dot-product attention as one op, with grouped K/V heads. Its reference semantics are
// the plain decomposed formula; targets compute it in streaming form (online softmax).

import { constValue, dimEquals, modDim, printShape } from '../dim.js';
import { DTYPES } from '../dtype.js';
import { broadcastsTo, fail } from '../types.js';
import type { OpTable } from './op-info.js';
import { attention } from '../../interpret/kernels/attention.js';

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
} satisfies Partial<OpTable>;
