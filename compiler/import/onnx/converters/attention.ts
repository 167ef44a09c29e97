// Attention and transformer ops: ONNX Attention (opsets 23, 24) and RotaryEmbedding (23), and
// the com.microsoft contrib ops that exporters and ONNX Runtime's optimizer emit
// (MultiHeadAttention, GroupQueryAttention, RotaryEmbedding, the fused norms and gelus,
// MatMulNBits; see attention-contrib.ts and transformer-contrib.ts).
//
// Attention follows the ONNX reference (onnx/reference/ops/op_attention.py): 3-D inputs are
// split into heads; past keys/values are concatenated before the new ones; a mask shorter
// than the total key length is padded (false / -inf); is_causal is aligned to the end of the
// past (offset = past length), or per batch to nonpad_kv_seqlen - q_len when only
// nonpad_kv_seqlen is given, else to the top-left corner; nonpad_kv_seqlen hides keys past
// each batch's length; softcap comes before the mask; a query row with no visible key is 0.

import { constDim, constValue, dimEquals, subDim, type Dim } from '../../../ir/dim.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/node.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import { dtypeFromOnnx } from '../initializers.js';
import {
  allowBoth, anyPoison, appendToCache, causalAllowed, exactDiv, flag, keysBelow, mergeHeads, poisoned, positive,
  scaledDotProductAttention, splitHeads,
  type ScoresOutput,
} from './attention-core.js';
import { ATTENTION_CONTRIB_CONVERTERS } from './attention-contrib.js';
import { cacheAt, checkRotaryDim, rotate } from './rotary.js';
import { TRANSFORMER_CONTRIB_CONVERTERS } from './transformer-contrib.js';

// ---- helpers ----

/** The last axis of a mask padded to `length` with `false` (bool) or -inf (float), as the reference does. */
function padKeys(ctx: ConvertContext, mask: Node, length: Dim): Node {
  const rank = mask.shape.length;
  if (rank === 0) ctx.fail('onnxBadInput', 'attn_mask must have at least one axis (the keys)');
  const last = mask.shape[rank - 1]!;
  if (dimEquals(last, length)) return mask;
  const missing = subDim(length, last);
  const known = constValue(missing);
  if (known !== undefined && known < 0) ctx.fail('onnxBadInput', `attn_mask has ${last.key} key positions, more than the ${length.key} keys`);
  if (known === 0) return mask;
  const fill = ctx.scalar(mask.dtype === 'bool' ? 0 : -Infinity, mask.dtype);
  const pad = ctx.op('expand', [fill], { shape: [...mask.shape.slice(0, -1), missing] });
  return ctx.op('concat', [mask, pad], { axis: rank - 1 });
}

const QK_OUTPUT: readonly ScoresOutput[] = ['matmul', 'softcapped', 'biased', 'probabilities'];

function softmaxDtype(ctx: ConvertContext): DType | undefined {
  const n = ctx.attrs.int('softmax_precision');
  if (n === undefined) return undefined;
  const d = dtypeFromOnnx(n);
  if (!d || !DTYPES[d].isFloat) ctx.fail('onnxUnsupportedFeature', `softmax_precision ${n} is not a floating-point type sluice supports`);
  return d;
}

// ---- converters ----

function Attention(ctx: ConvertContext): (Node | undefined)[] {
  let q = ctx.input(0), k = ctx.input(1), v = ctx.input(2);
  const rank = q.shape.length;
  if ((rank !== 3 && rank !== 4) || k.shape.length !== rank || v.shape.length !== rank) {
    ctx.fail('onnxBadInput', `Attention needs Q, K and V all of rank 3 or all of rank 4, got ranks ${rank}, ${k.shape.length}, ${v.shape.length}`);
  }
  if (rank === 3) {
    q = splitHeads(ctx, q, positive(ctx, 'q_num_heads'), 'Q');
    const kvHeads = positive(ctx, 'kv_num_heads');
    k = splitHeads(ctx, k, kvHeads, 'K');
    v = splitHeads(ctx, v, kvHeads, 'V');
  }
  const pastKey = ctx.optionalInput(4), pastValue = ctx.optionalInput(5);
  if ((pastKey === undefined) !== (pastValue === undefined)) ctx.fail('onnxBadInput', 'Attention needs past_key and past_value together');
  const nonpad = ctx.opset >= 24 ? ctx.optionalInput(6) : undefined;
  const presentKey = appendToCache(ctx, pastKey, k);
  const presentValue = appendToCache(ctx, pastValue, v);
  if (anyPoison(q, presentKey, presentValue)) return poisoned(ctx);
  const sq = q.shape[2]!, skv = presentKey.shape[2]!;

  let allowed: Node | undefined, bias: Node | undefined;
  const given = ctx.optionalInput(3);
  if (given !== undefined) {
    const mask = padKeys(ctx, given, skv);
    if (mask.dtype === 'bool') allowed = mask;
    else if (DTYPES[mask.dtype].isFloat) bias = mask;
    else ctx.fail('onnxBadInput', `attn_mask must be bool or floating-point, got ${mask.dtype}`);
  }
  let causalLowerRight = false;
  if (flag(ctx, 'is_causal')) {
    if (pastKey === undefined && nonpad !== undefined) {
      // per batch: key j is visible to query i when j <= i + nonpad[b] - q_len
      const offsets = ctx.op('sub', [toI64(ctx, nonpad), ctx.dimValues([sq], true)], {});
      allowed = allowBoth(ctx, allowed, causalAllowed(ctx, sq, skv, offsets));
    } else {
      const offset = pastKey ? pastKey.shape[2]! : constDim(0);
      if (dimEquals(offset, subDim(skv, sq))) causalLowerRight = true;
      else allowed = allowBoth(ctx, allowed, causalAllowed(ctx, sq, skv, offset));
    }
  }
  if (nonpad !== undefined) allowed = allowBoth(ctx, allowed, keysBelow(ctx, toI64(ctx, nonpad), skv));

  const mode = ctx.attrs.int('qk_matmul_output_mode', 0);
  if (!Number.isInteger(mode) || mode < 0 || mode > 3) ctx.fail('onnxBadAttribute', `qk_matmul_output_mode must be 0, 1, 2 or 3, got ${mode}`);
  const wantScores = (ctx.node.outputs[3] ?? '') !== '';
  const { y, scores } = scaledDotProductAttention(ctx, q, presentKey, presentValue, { allowed, bias, causalLowerRight }, {
    scale: ctx.attrs.float('scale'),
    softcap: ctx.attrs.float('softcap', 0),
    scores: wantScores ? QK_OUTPUT[mode] : undefined,
    softmaxDtype: softmaxDtype(ctx),
  });
  return [rank === 3 ? mergeHeads(ctx, y) : y, presentKey, presentValue, scores];
}

function toI64(ctx: ConvertContext, x: Node): Node {
  if (x.dtype === 'i64') return x;
  if (!DTYPES[x.dtype].isInt) ctx.fail('onnxBadInput', `${ctx.node.opType} needs integer lengths, got ${x.dtype}`);
  return ctx.op('cast', [x], { to: 'i64' });
}

function RotaryEmbedding(ctx: ConvertContext): Node[] {
  const x = ctx.input(0), cosCache = ctx.input(1), sinCache = ctx.input(2);
  const positionIds = ctx.optionalInput(3);
  const rank = x.shape.length;
  // [B, H, S, D] as it is, or [B, S, hidden] viewed as [B, S, H, D]; cos/sin get a 1 for H.
  let x4: Node, headAxis: number;
  if (rank === 4) {
    x4 = x;
    headAxis = 1;
  } else if (rank === 3) {
    const [b, s, hidden] = x.shape as [Dim, Dim, Dim];
    const h = positive(ctx, 'num_heads');
    x4 = ctx.op('reshape', [x], { shape: [b, s, constDim(h), exactDiv(ctx, hidden, constDim(h), 'RotaryEmbedding hidden size over num_heads')] });
    headAxis = 2;
  } else {
    return ctx.fail('onnxBadInput', `RotaryEmbedding input must have rank 3 or 4, got rank ${rank}`);
  }
  const headSize = constValue(x4.shape[3]!);
  const given = ctx.attrs.int('rotary_embedding_dim', 0);
  if (given === 0 && headSize === undefined) ctx.fail('onnxUnsupportedFeature', 'RotaryEmbedding over a symbolic head size needs rotary_embedding_dim');
  if (anyPoison(x4)) return poisoned(ctx);
  const rotaryDim = given === 0 ? headSize! : given;
  checkRotaryDim(ctx, rotaryDim, x4.shape[3]!);
  const pick = (cache: Node): Node => {
    const perPosition = positionIds === undefined ? cache : cacheAt(ctx, cache, positionIds);
    if (perPosition.shape.length !== 3) ctx.fail('onnxBadInput', `RotaryEmbedding cos/sin per position must have rank 3 ([batch, sequence, rotary_dim/2]), got rank ${perPosition.shape.length}`);
    return ctx.op('unsqueeze', [perPosition], { axes: [headAxis] });
  };
  const y = rotate(ctx, x4, pick(cosCache), pick(sinCache), rotaryDim, flag(ctx, 'interleaved'));
  return [rank === 4 ? y : ctx.op('reshape', [y], { shape: x.shape })];
}

export const ATTENTION_CONVERTERS: ConverterTable = {
  Attention: { convert: Attention, minOpset: 23 },
  RotaryEmbedding: { convert: RotaryEmbedding, minOpset: 23 },
  ...ATTENTION_CONTRIB_CONVERTERS,
  ...TRANSFORMER_CONTRIB_CONVERTERS,
};
