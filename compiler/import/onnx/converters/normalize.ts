// Normalisation layers at inference: LayerNormalization, RMSNormalization, BatchNormalization,
// InstanceNormalization, GroupNormalization; and Dropout, which is the identity at inference.
//
// Layer and RMS norm map onto the IR's whole `layer_norm` / `rms_norm` ops (so later stages
// can fuse them); the others compose those ops with per-channel affine terms. `stash_type`
// sets the precision of the normalising stage: the input is cast to it, normalised, and cast
// back, and only then scaled and shifted in the input's type, as the ONNX function bodies do.
// Training-mode semantics (batch statistics, random masks) are not supported.

import { constDim, constValue, divDim, type Dim } from '../../../ir/dim.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/node.js';
import { broadcastsTo } from '../../../ir/types.js';
import { getNumber } from '../../../interpret/tensor.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import { castTo, wanted } from './reduce.js';
import { axisOf, dtypeAttr } from './shape.js';

// ---- helpers ----

/** The floating-point type of the normalising stage (attribute stash_type, default f32). */
function stashType(ctx: ConvertContext): DType {
  const d = dtypeAttr(ctx, ctx.attrs.int('stash_type', 1));
  if (!DTYPES[d].isFloat) ctx.fail('onnxBadAttribute', `stash_type must be a floating-point type, got ${d}`);
  return d;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** A per-channel parameter [C] laid out against axis 1 of a rank-`rank` tensor: [C, 1, ..., 1]. */
function perChannel(ctx: ConvertContext, p: Node, rank: number): Node {
  return rank > 2 && p.shape.length === 1 ? ctx.op('unsqueeze', [p], { axes: range(1, rank - 1) }) : p;
}

function affine(ctx: ConvertContext, y: Node, scale: Node | undefined, bias: Node | undefined): Node {
  if (scale) y = ctx.op('mul', [y, scale], {});
  if (bias) y = ctx.op('add', [y, bias], {});
  return y;
}

/**
 * `x` normalised over axes `axis..` by `layer_norm` (centred) or `rms_norm`, in `stash`, then
 * scaled and shifted. When the stash type is x's own and the parameters broadcast against the
 * normalised axes, they go into the one IR op.
 */
function normalized(
  ctx: ConvertContext, centre: boolean, x: Node, axis: number, eps: number, stash: DType, scale: Node | undefined, bias: Node | undefined,
): Node {
  const trailing = x.shape.slice(axis);
  const fits = (p: Node | undefined): boolean => p === undefined || broadcastsTo(p.shape, trailing);
  if (stash === x.dtype && fits(scale) && fits(bias)) {
    const params = [scale, bias].filter((p): p is Node => p !== undefined);
    if (centre) return ctx.op('layer_norm', [x, ...params], { axis, eps, hasScale: scale !== undefined, hasBias: bias !== undefined });
    if (!bias) return ctx.op('rms_norm', [x, ...params], { axis, eps, hasScale: scale !== undefined });
  }
  const xs = castTo(ctx, x, stash);
  const n = centre ? ctx.op('layer_norm', [xs], { axis, eps, hasScale: false, hasBias: false }) : ctx.op('rms_norm', [xs], { axis, eps, hasScale: false });
  return affine(ctx, castTo(ctx, n, x.dtype), scale, bias);
}

// ---- converters ----

/**
 * Y = (X - mean) / sqrt(var + epsilon) · Scale + B over axes axis..; the optional outputs Mean
 * and InvStdDev (type stash_type, reduced axes kept as 1) are composed from reductions.
 */
function LayerNormalization(ctx: ConvertContext): (Node | undefined)[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const axis = axisOf(ctx, ctx.attrs.int('axis', -1), rank);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const stash = stashType(ctx);
  const y = normalized(ctx, true, x, axis, eps, stash, ctx.optionalInput(1), ctx.optionalInput(2));
  if (!wanted(ctx, 1) && !wanted(ctx, 2)) return [y];
  const xs = castTo(ctx, x, stash);
  const axes = range(axis, rank);
  const mean = ctx.op('reduce_mean', [xs], { axes, keepdims: true });
  const d = ctx.op('sub', [xs, mean], {});
  const variance = ctx.op('reduce_mean', [ctx.op('mul', [d, d], {})], { axes, keepdims: true });
  const invStdDev = ctx.op('reciprocal', [ctx.op('sqrt', [ctx.op('add', [variance, ctx.scalar(eps, stash)], {})], {})], {});
  return [y, wanted(ctx, 1) ? mean : undefined, wanted(ctx, 2) ? invStdDev : undefined];
}

/** Y = X / sqrt(mean(X², axes axis..) + epsilon) · scale. */
function RMSNormalization(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const axis = axisOf(ctx, ctx.attrs.int('axis', -1), x.shape.length);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  return [normalized(ctx, false, x, axis, eps, stashType(ctx), ctx.optionalInput(1), undefined)];
}

/**
 * Inference mode: Y = scale · (X - mean) / sqrt(var + epsilon) + B with per-channel (axis 1)
 * statistics. Before opset 9, spatial=0 gives statistics per element of [C, D1, ...]. The
 * training-only outputs (running and saved statistics) are not produced.
 */
function BatchNormalization(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  if (rank < 2) ctx.fail('onnxBadInput', `BatchNormalization needs an input of rank 2 or more (N, C, ...), got rank ${rank}`);
  if (ctx.opset < 7 && ctx.attrs.int('is_test', 0) === 0) {
    ctx.fail('onnxUnsupportedFeature', 'BatchNormalization in training mode (is_test=0) is not supported; only inference is');
  }
  if (ctx.opset >= 14 && ctx.attrs.int('training_mode', 0) !== 0) {
    ctx.fail('onnxUnsupportedFeature', 'BatchNormalization with training_mode=1 is not supported; only inference is');
  }
  const spatial = ctx.opset >= 9 || ctx.attrs.int('spatial', 1) !== 0;
  const eps = ctx.attrs.float('epsilon', 1e-5);
  // Since opset 15 the parameters may have other float types: compute in the widest (NumPy's
  // promotion), then store in x's type.
  const given = [1, 2, 3, 4].map((i) => ctx.input(i));
  const work = given.reduce<DType>((w, p) => (DTYPES[p.dtype].isFloat && DTYPES[p.dtype].bits > DTYPES[w].bits ? p.dtype : w), x.dtype);
  const param = (p: Node): Node => {
    if (!spatial && p.shape.length !== rank - 1) ctx.fail('onnxBadInput', `BatchNormalization with spatial=0 needs statistics of rank ${rank - 1} ([C, D1, ...]), got rank ${p.shape.length}`);
    return spatial ? perChannel(ctx, castTo(ctx, p, work), rank) : castTo(ctx, p, work);
  };
  const [scale, bias, mean, variance] = given.map(param) as [Node, Node, Node, Node];
  const xw = castTo(ctx, x, work);
  const centred = ctx.op('mul', [scale, ctx.op('sub', [xw, mean], {})], {});
  const std = ctx.op('sqrt', [ctx.op('add', [variance, ctx.scalar(eps, work)], {})], {});
  return [castTo(ctx, ctx.op('add', [ctx.op('div', [centred, std], {}), bias], {}), x.dtype)];
}

/** y = scale · (x - mean) / sqrt(var + epsilon) + B, statistics per instance and channel (axes 2..). */
function InstanceNormalization(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  if (rank < 3) ctx.fail('onnxBadInput', `InstanceNormalization needs an input of rank 3 or more (N, C, D1, ...), got rank ${rank}`);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const n = ctx.op('layer_norm', [x], { axis: 2, eps, hasScale: false, hasBias: false });
  return [affine(ctx, n, perChannel(ctx, ctx.input(1), rank), perChannel(ctx, ctx.input(2), rank))];
}

/**
 * Statistics per instance and group of C / num_groups channels: x is viewed as
 * [N, G, C/G, D1, ...] and normalised over axes 2.. (in stash_type from opset 21). Scale and
 * bias are per group ([G]) in opset 18 and per channel ([C]) since 21.
 */
function GroupNormalization(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  if (rank < 2) ctx.fail('onnxBadInput', `GroupNormalization needs an input of rank 2 or more (N, C, ...), got rank ${rank}`);
  const groups = ctx.attrs.required('num_groups', ctx.attrs.int('num_groups'));
  const [n, c] = x.shape as [Dim, Dim];
  const cv = constValue(c);
  if (groups < 1 || (cv !== undefined && cv % groups !== 0)) ctx.fail('onnxBadAttribute', `GroupNormalization num_groups ${groups} does not divide the ${c.key} channels`);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const perGroupParams = ctx.opset < 21;
  const stash = perGroupParams ? x.dtype : stashType(ctx);
  const grouped = ctx.op('reshape', [castTo(ctx, x, stash)], { shape: [n, constDim(groups), divDim(c, groups), ...x.shape.slice(2)] });
  let y = ctx.op('layer_norm', [grouped], { axis: 2, eps, hasScale: false, hasBias: false });
  if (perGroupParams) {
    const perGroup = (p: Node): Node => (p.shape.length === 1 ? ctx.op('unsqueeze', [p], { axes: range(1, rank) }) : p);
    y = affine(ctx, y, perGroup(ctx.input(1)), perGroup(ctx.input(2)));
    return [ctx.op('reshape', [y], { shape: x.shape })];
  }
  y = castTo(ctx, ctx.op('reshape', [y], { shape: x.shape }), x.dtype);
  return [affine(ctx, y, perChannel(ctx, ctx.input(1), rank), perChannel(ctx, ctx.input(2), rank))];
}

/**
 * Inference: the output is the input and the mask is all true (all ones before opset 10,
 * where the mask has the input's type). Training mode (is_test=0 before opset 7, a true
 * training_mode input since 12) is not supported.
 */
function Dropout(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  if (ctx.opset < 7 && ctx.attrs.int('is_test', 0) === 0) {
    ctx.fail('onnxUnsupportedFeature', 'Dropout in training mode (is_test=0) is not supported; only inference is');
  }
  if (ctx.opset >= 12 && ctx.optionalInput(2) !== undefined) {
    const mode = ctx.requireConstant(2, 'Dropout training_mode');
    if (mode.data.length !== 1) ctx.fail('onnxBadInput', `Dropout training_mode must hold one value, got ${mode.data.length}`);
    if (getNumber(mode, 0) !== 0) ctx.fail('onnxUnsupportedFeature', 'Dropout with training_mode true is not supported; only inference is');
  }
  if (!wanted(ctx, 1)) return [x];
  const one = ctx.scalar(1, ctx.opset >= 10 ? 'bool' : x.dtype);
  return [x, x.shape.length === 0 ? one : ctx.op('expand', [one], { shape: x.shape })];
}

export const NORMALIZE_CONVERTERS: ConverterTable = {
  LayerNormalization: { convert: LayerNormalization, minOpset: 17 },
  RMSNormalization: { convert: RMSNormalization, minOpset: 23 },
  BatchNormalization,
  InstanceNormalization,
  GroupNormalization: { convert: GroupNormalization, minOpset: 18 },
  Dropout,
};
