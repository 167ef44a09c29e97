// Resize (opsets 10, 11, 13, 18, 19) and the deprecated Upsample (opsets 7 and 9), to the
// `resize` IR op with every choice resolved: output sizes and per-axis scales for all axes.
//
// Scales or sizes must be known at import time. With sizes, an axis's scale is size/in (in f64,
// as the ONNX reference computes it), so its input size must be known too unless the size is
// unchanged; keep_aspect_ratio_policy picks one scale for the listed axes and rounds the sizes
// half up. With scales, the size is floor(in·scale), a dim even for a symbolic input size
// (an f32 scale is an exact binary fraction p/2^q, so floor(in·p / 2^q)).
// Resize-10 and Upsample have no coordinate or rounding attributes: they resize like
// ONNX Runtime does for them, asymmetric coordinates, nearest rounding down when upsampling and
// up when downsampling (a node that does both is refused).

import { constDim, constValue, dimEquals, floorDivDim, mulDim, type Dim } from '../../../ir/dim.js';
import type { Node, OpAttrs } from '../../../ir/node.js';
import { getNumber } from '../../../interpret/tensor.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import { axisOf } from './shape.js';

type ResizeAttrs = OpAttrs['resize'];

const MODES = ['nearest', 'linear', 'cubic'] as const;
const TRANSFORMS = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize', 'tf_half_pixel_for_nn'] as const;
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
const POLICIES = ['stretch', 'not_larger', 'not_smaller'] as const;

function oneOf<T extends string>(ctx: ConvertContext, name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} ${name} '${value}' (sluice supports ${allowed.join(', ')})`);
  return value as T;
}

/** floor(in · scale) as a dim: exact, since a float scale is p / 2^q. */
function scaledSize(ctx: ConvertContext, input: Dim, scale: number): Dim {
  const v = constValue(input);
  if (v !== undefined) return constDim(Math.floor(v * scale));
  let den = 1;
  while (!Number.isInteger(scale * den) && den < 2 ** 30) den *= 2;
  if (!Number.isInteger(scale * den)) ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} scale ${scale} on an axis of symbolic size ${input.key}`);
  return floorDivDim(mulDim(input, scale * den), den);
}

/** The float values of input `i` when given and non-empty. */
function floatsInput(ctx: ConvertContext, i: number, what: string): number[] | undefined {
  if (ctx.optionalInput(i) === undefined) return undefined;
  const t = ctx.requireConstant(i, what);
  if (t.data.length === 0) return undefined;
  return Array.from({ length: t.data.length }, (_, k) => getNumber(t, k));
}

interface Target {
  readonly sizes: Dim[];
  readonly scales: number[];
}

/** Sizes and scales for all axes from the listed axes' scales. */
function fromScales(ctx: ConvertContext, x: Node, axes: readonly number[], given: readonly number[]): Target {
  if (given.some((s) => !(s > 0) || !Number.isFinite(s))) ctx.fail('onnxBadInput', `${ctx.node.opType} scales must be positive, got [${given.join(', ')}]`);
  const scales = x.shape.map(() => 1);
  axes.forEach((a, i) => (scales[a] = given[i]!));
  return { scales, sizes: x.shape.map((d, a) => (scales[a] === 1 ? d : scaledSize(ctx, d, scales[a]!))) };
}

/** Sizes and scales for all axes from the listed axes' sizes, with the aspect-ratio policy. */
function fromSizes(ctx: ConvertContext, x: Node, axes: readonly number[], given: readonly Dim[], policy: (typeof POLICIES)[number]): Target {
  const sizes = [...x.shape];
  axes.forEach((a, i) => (sizes[a] = given[i]!));
  const ratio = (a: number): number => {
    const size = constValue(sizes[a]!), input = constValue(x.shape[a]!);
    if (size !== undefined && size < 0) ctx.fail('onnxBadInput', `${ctx.node.opType} sizes must be non-negative, got ${size}`);
    if (dimEquals(sizes[a]!, x.shape[a]!)) return 1;
    if (size === undefined || input === undefined) ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} from ${x.shape[a]!.key} to ${sizes[a]!.key} on axis ${a} (both sizes must be known)`);
    if (input === 0) ctx.fail('onnxBadInput', `${ctx.node.opType} cannot resize axis ${a} of size 0 to size ${size}`);
    return size / input;
  };
  if (policy === 'stretch') return { sizes, scales: x.shape.map((_, a) => ratio(a)) };
  const inputs = axes.map((a) => {
    const v = constValue(x.shape[a]!);
    if (v === undefined) ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} keep_aspect_ratio_policy '${policy}' on axis ${a} of symbolic size ${x.shape[a]!.key}`);
    return v;
  });
  const ratios = axes.map(ratio);
  const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  const scales = x.shape.map((_, a) => (axes.includes(a) ? scale : 1));
  // round half up, as the reference's int(x + 0.5)
  const sizesOut = [...x.shape];
  axes.forEach((a, i) => (sizesOut[a] = constDim(Math.floor(scale * inputs[i]! + 0.5))));
  return { scales, sizes: sizesOut };
}

/** The roi for all axes (starts, then ends); [0..., 1...] unless tf_crop_and_resize. */
function roiOf(ctx: ConvertContext, x: Node, axes: readonly number[], transform: ResizeAttrs['coordinateTransformation']): number[] {
  const rank = x.shape.length;
  const roi = [...new Array<number>(rank).fill(0), ...new Array<number>(rank).fill(1)];
  if (transform !== 'tf_crop_and_resize') return roi;
  const given = floatsInput(ctx, 1, 'the Resize roi');
  if (given === undefined) ctx.fail('onnxBadInput', 'Resize with tf_crop_and_resize needs the roi input');
  if (given.length !== 2 * axes.length) ctx.fail('onnxBadInput', `Resize roi has ${given.length} values for ${axes.length} axes (starts, then ends)`);
  axes.forEach((a, i) => {
    roi[a] = given[i]!;
    roi[rank + a] = given[axes.length + i]!;
  });
  return roi;
}

/** Resize-10 and Upsample: asymmetric; nearest floors when upsampling and ceils when downsampling. */
function legacyResize(ctx: ConvertContext, x: Node, scales: readonly number[]): Node {
  const mode = oneOf(ctx, 'mode', ctx.attrs.string('mode', 'nearest'), ['nearest', 'linear', 'bilinear']);
  const target = fromScales(ctx, x, x.shape.map((_, a) => a), scales);
  const up = target.scales.every((s) => s >= 1), down = target.scales.every((s) => s <= 1);
  if (mode === 'nearest' && !up && !down) ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} nearest that both upsamples and downsamples (scales [${scales.join(', ')}])`);
  return ctx.op('resize', [x], {
    mode: mode === 'nearest' ? 'nearest' : 'linear',
    ...target,
    coordinateTransformation: 'asymmetric',
    nearestMode: up ? 'floor' : 'ceil',
    cubicCoeffA: -0.75,
    excludeOutside: false,
    extrapolationValue: 0,
    antialias: false,
    roi: roiOf(ctx, x, [], 'asymmetric'),
  });
}

function Resize(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  if (ctx.opset < 11) {
    const scales = floatsInput(ctx, 1, 'the Resize scales');
    if (scales === undefined || scales.length !== rank) ctx.fail('onnxBadInput', `Resize needs ${rank} scales`);
    return [legacyResize(ctx, x, scales)];
  }
  const a = ctx.attrs;
  const mode = oneOf(ctx, 'mode', a.string('mode', 'nearest'), MODES);
  const transform = oneOf(ctx, 'coordinate_transformation_mode', a.string('coordinate_transformation_mode', 'half_pixel'), TRANSFORMS);
  const nearestMode = oneOf(ctx, 'nearest_mode', a.string('nearest_mode', 'round_prefer_floor'), NEAREST_MODES);
  const policy = oneOf(ctx, 'keep_aspect_ratio_policy', a.string('keep_aspect_ratio_policy', 'stretch'), POLICIES);
  const antialias = a.int('antialias', 0) !== 0;
  if (antialias && mode === 'nearest') ctx.fail('onnxBadAttribute', 'Resize antialias needs mode linear or cubic');
  const axesAttr = a.ints('axes');
  const axes = axesAttr === undefined ? x.shape.map((_, i) => i) : axesAttr.map((v) => axisOf(ctx, v, rank));
  if (new Set(axes).size !== axes.length) ctx.fail('onnxBadAttribute', `Resize axes [${axesAttr!.join(', ')}] repeat an axis`);

  const scales = floatsInput(ctx, 2, 'the Resize scales');
  const sizes = ctx.optionalInput(3) === undefined ? undefined : ctx.requireDims(3, 'the Resize sizes');
  const hasSizes = sizes !== undefined && sizes.length > 0;
  if ((scales === undefined) === !hasSizes) ctx.fail('onnxBadInput', 'Resize needs exactly one of scales and sizes');
  const count = scales?.length ?? sizes!.length;
  if (count !== axes.length) ctx.fail('onnxBadInput', `Resize has ${count} ${scales ? 'scales' : 'sizes'} for ${axes.length} axes`);
  const target = scales ? fromScales(ctx, x, axes, scales) : fromSizes(ctx, x, axes, sizes!, policy);
  return [ctx.op('resize', [x], {
    mode,
    ...target,
    coordinateTransformation: transform,
    nearestMode,
    cubicCoeffA: a.float('cubic_coeff_a', -0.75),
    excludeOutside: a.int('exclude_outside', 0) !== 0,
    extrapolationValue: a.float('extrapolation_value', 0),
    antialias,
    roi: roiOf(ctx, x, axes, transform),
  })];
}

function Upsample(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const scales = ctx.opset < 9 ? ctx.attrs.required('scales', ctx.attrs.floats('scales')) : floatsInput(ctx, 1, 'the Upsample scales');
  if (scales === undefined || scales.length !== x.shape.length) ctx.fail('onnxBadInput', `Upsample needs ${x.shape.length} scales`);
  if (scales.some((s) => s < 1)) ctx.fail('onnxBadInput', `Upsample scales must be ≥ 1, got [${scales.join(', ')}]`);
  return [legacyResize(ctx, x, scales)];
}

export const RESIZE_CONVERTERS: ConverterTable = {
  Resize: { convert: Resize, minOpset: 10 },
  Upsample: { convert: Upsample, minOpset: 7 },
};
