// Rotary position embeddings (RoPE): ONNX RotaryEmbedding (opset 23) and com.microsoft
// RotaryEmbedding, and the rotation GroupQueryAttention applies with do_rotary. The first
// `rotary_dim` channels of each head are rotated pairwise by cos/sin of the position; the rest
// pass through. Pairs are (i, i + rotary_dim/2) ("half" layout) or (2i, 2i+1) (interleaved):
//   real = cos·x1 − sin·x2,  imag = sin·x1 + cos·x2.

import { constDim, constValue, subDim, type Dim } from '../../../ir/dim.js';
import type { Node } from '../../../ir/node.js';
import type { ConvertContext } from '../context.js';

function sliceLast(ctx: ConvertContext, x: Node, start: number, count: Dim, step = 1): Node {
  const axis = x.shape.length - 1;
  return ctx.op('slice', [x], { axes: [axis], starts: [constDim(start)], steps: [step], counts: [count] });
}

/**
 * Rotates the first `rotaryDim` channels of x's last axis. cos and sin hold rotaryDim/2 values
 * per position and broadcast against x's other axes (already shaped for that).
 */
export function rotate(ctx: ConvertContext, x: Node, cos: Node, sin: Node, rotaryDim: number, interleaved: boolean): Node {
  const rank = x.shape.length;
  const size = x.shape[rank - 1]!;
  const width = constValue(size);
  checkRotaryDim(ctx, rotaryDim, size);
  const half = constDim(rotaryDim / 2);
  const cosHalf = constValue(cos.shape[cos.shape.length - 1]!);
  if (cosHalf !== undefined && cosHalf !== rotaryDim / 2) {
    ctx.fail('onnxBadInput', `the cos/sin caches hold ${cosHalf} values per position, the rotation needs ${rotaryDim / 2}`);
  }
  const toX = (t: Node): Node => (t.dtype === x.dtype ? t : ctx.op('cast', [t], { to: x.dtype }));
  const c = toX(cos), s = toX(sin);
  const partial = width === undefined || rotaryDim < width;
  const rotated = partial ? sliceLast(ctx, x, 0, constDim(rotaryDim)) : x;
  const x1 = interleaved ? sliceLast(ctx, rotated, 0, half, 2) : sliceLast(ctx, rotated, 0, half);
  const x2 = interleaved ? sliceLast(ctx, rotated, 1, half, 2) : sliceLast(ctx, rotated, rotaryDim / 2, half);
  const mul = (a: Node, b: Node): Node => ctx.op('mul', [a, b], {});
  const real = ctx.op('sub', [mul(c, x1), mul(s, x2)], {});
  const imag = ctx.op('add', [mul(s, x1), mul(c, x2)], {});
  let out: Node;
  if (interleaved) {
    // [..., half] pairs → [..., half, 2] → [..., rotaryDim]
    const pairs = ctx.op('concat', [ctx.op('unsqueeze', [real], { axes: [rank] }), ctx.op('unsqueeze', [imag], { axes: [rank] })], { axis: rank });
    out = ctx.op('reshape', [pairs], { shape: [...real.shape.slice(0, -1), constDim(rotaryDim)] });
  } else {
    out = ctx.op('concat', [real, imag], { axis: rank - 1 });
  }
  if (!partial) return out;
  const rest = ctx.op('slice', [x], { axes: [rank - 1], starts: [constDim(rotaryDim)], steps: [1], counts: [subDim(size, rotaryDim)] });
  return ctx.op('concat', [out, rest], { axis: rank - 1 });
}

/** The rotated width must be even, positive and at most the head size. */
export function checkRotaryDim(ctx: ConvertContext, rotaryDim: number, headSize: Dim): void {
  const width = constValue(headSize);
  if (rotaryDim % 2 !== 0 || rotaryDim <= 0) ctx.fail('onnxBadAttribute', `the rotary embedding dim must be a positive even number, got ${rotaryDim}`);
  if (width !== undefined && rotaryDim > width) ctx.fail('onnxBadAttribute', `the rotary embedding dim ${rotaryDim} exceeds the head size ${width}`);
}

/** Rows of a [positions, rotaryDim/2] cache picked by i64 position ids ([B, S] → [B, S, half]). */
export function cacheAt(ctx: ConvertContext, cache: Node, positionIds: Node): Node {
  if (cache.shape.length !== 2) ctx.fail('onnxBadInput', `a cos/sin cache indexed by position ids must have rank 2, got rank ${cache.shape.length}`);
  const ids = positionIds.dtype === 'i64' || positionIds.dtype === 'i32' ? positionIds : ctx.op('cast', [positionIds], { to: 'i64' });
  return ctx.op('gather', [cache, ids], { axis: 0 });
}
