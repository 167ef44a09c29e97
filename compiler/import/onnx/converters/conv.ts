// Convolution, pooling and padding: Conv, ConvTranspose, MaxPool (with its Indices output),
// AveragePool, GlobalAveragePool, GlobalMaxPool, Pad; Resize and Upsample are in resize.ts.
//
// auto_pad is resolved here into explicit pads (SAME_* needs the spatial sizes known at import
// time), so the IR ops only know explicit begin/end pads. ConvTranspose's output_shape becomes
// pads too (negative when the requested output is larger than the natural one). The global
// pools are reductions over the spatial axes.

import { constDim, constValue, type Dim } from '../../../ir/dim.js';
import { DTYPES } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/node.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import { wanted } from './reduce.js';
import { RESIZE_CONVERTERS } from './resize.js';
import { axisOf } from './shape.js';

// ---- spatial attributes ----

/** The number of spatial axes of x [N, C, ...spatial] (1 to 3). */
function spatialRank(ctx: ConvertContext, x: Node): number {
  const n = x.shape.length - 2;
  if (n < 1) ctx.fail('onnxBadInput', `${ctx.node.opType} needs an input of rank ≥ 3 ([N, C, ...spatial]), got rank ${x.shape.length}`);
  if (n > 3) ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} with ${n} spatial axes (sluice supports 1 to 3)`);
  return n;
}

/** An ints attribute with one value per spatial axis (or `per` values per axis), defaulting to `fallback`. */
function spatialInts(ctx: ConvertContext, name: string, n: number, fallback: number, per = 1): number[] {
  const v = ctx.attrs.ints(name);
  if (v === undefined || v.length === 0) return new Array<number>(n * per).fill(fallback);
  if (v.length !== n * per) ctx.fail('onnxBadAttribute', `${ctx.node.opType} ${name} has ${v.length} values; the input has ${n} spatial axes`);
  return v;
}

function positive(ctx: ConvertContext, name: string, values: readonly number[]): number[] {
  if (values.some((v) => v < 1)) ctx.fail('onnxBadAttribute', `${ctx.node.opType} ${name} must be positive, got [${values.join(', ')}]`);
  return [...values];
}

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

function autoPadOf(ctx: ConvertContext): AutoPad {
  const v = ctx.attrs.string('auto_pad', 'NOTSET');
  if (v === '' || v === 'NOTSET') return 'NOTSET';
  if (v === 'SAME_UPPER' || v === 'SAME_LOWER' || v === 'VALID') return v;
  return ctx.fail('onnxBadAttribute', `${ctx.node.opType} auto_pad '${v}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
}

/** A spatial size that auto_pad or output_shape needs as a number. */
function knownSize(ctx: ConvertContext, d: Dim, what: string): number {
  const v = constValue(d);
  if (v === undefined) ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} ${what} on a spatial axis of symbolic size ${d.key}`);
  return v;
}

/**
 * Explicit pads (begin values, then end values) for a sliding window: the pads attribute, or
 * auto_pad's. SAME_*: output ceil(in / stride), total padding max(0, (out-1)·stride + extent - in)
 * split evenly, the odd one at the end (UPPER) or the beginning (LOWER). The max(0, ...) is
 * TensorFlow's SAME and ONNX Runtime's for Conv; a stride larger than the window would
 * otherwise give negative pads (ONNX Runtime's pools shift their windows then, and the ONNX
 * reference fails).
 */
function windowPads(ctx: ConvertContext, autoPad: AutoPad, input: readonly Dim[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): number[] {
  const n = input.length;
  if (autoPad === 'NOTSET') {
    const pads = spatialInts(ctx, 'pads', n, 0, 2);
    if (pads.some((p) => p < 0)) ctx.fail('onnxBadAttribute', `${ctx.node.opType} pads must be non-negative, got [${pads.join(', ')}]`);
    return pads;
  }
  if (autoPad === 'VALID') return new Array<number>(2 * n).fill(0);
  const begin: number[] = [], end: number[] = [];
  input.forEach((d, i) => {
    const size = knownSize(ctx, d, `auto_pad ${autoPad}`);
    const out = Math.ceil(size / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + dilations[i]! * (kernel[i]! - 1) + 1 - size);
    const small = Math.floor(total / 2);
    begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    end.push(autoPad === 'SAME_UPPER' ? total - small : small);
  });
  return [...begin, ...end];
}

/** Kernel sizes from the weights' shape, checked against kernel_shape when given. */
function kernelOf(ctx: ConvertContext, w: Node, n: number, needed: boolean): number[] {
  const given = ctx.attrs.ints('kernel_shape');
  if (given !== undefined && given.length !== n) ctx.fail('onnxBadAttribute', `${ctx.node.opType} kernel_shape has ${given.length} values for ${n} spatial axes`);
  const fromWeights = w.shape.slice(2).map((d) => constValue(d));
  fromWeights.forEach((k, i) => {
    if (given !== undefined && k !== undefined && k !== given[i]) {
      ctx.fail('onnxBadInput', `${ctx.node.opType} kernel_shape [${given.join(', ')}] differs from the weights' spatial shape [${w.shape.slice(2).map((d) => d.key).join(', ')}]`);
    }
  });
  return fromWeights.map((k, i) => k ?? given?.[i] ?? (needed ? knownSize(ctx, w.shape[2 + i]!, 'auto_pad') : 1));
}

function weightsRank(ctx: ConvertContext, x: Node, w: Node): void {
  if (w.shape.length !== x.shape.length) ctx.fail('onnxBadInput', `${ctx.node.opType} weights have rank ${w.shape.length}, the input rank ${x.shape.length}`);
}

// ---- converters ----

function Conv(ctx: ConvertContext): Node[] {
  const x = ctx.input(0), w = ctx.input(1), bias = ctx.optionalInput(2);
  const n = spatialRank(ctx, x);
  weightsRank(ctx, x, w);
  const autoPad = autoPadOf(ctx);
  const strides = positive(ctx, 'strides', spatialInts(ctx, 'strides', n, 1));
  const dilations = positive(ctx, 'dilations', spatialInts(ctx, 'dilations', n, 1));
  const kernel = kernelOf(ctx, w, n, autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER');
  const pads = windowPads(ctx, autoPad, x.shape.slice(2), kernel, strides, dilations);
  const group = ctx.attrs.int('group', 1);
  if (group < 1) ctx.fail('onnxBadAttribute', `Conv group must be positive, got ${group}`);
  return [ctx.op('conv', bias ? [x, w, bias] : [x, w], { strides, pads, dilations, group, hasBias: bias !== undefined })];
}

/**
 * ConvTranspose. Without output_shape (and without SAME auto_pad) the pads attribute applies.
 * With output_shape, or SAME_* (whose output is in·stride), the spec's total padding
 * stride·(in-1) + output_padding + extent - out is split: SAME_UPPER puts floor(total/2) at the
 * beginning, otherwise the beginning gets total - floor(total/2) (floor rounds toward -inf, so
 * a negative total grows the end first).
 */
function ConvTranspose(ctx: ConvertContext): Node[] {
  const x = ctx.input(0), w = ctx.input(1), bias = ctx.optionalInput(2);
  const n = spatialRank(ctx, x);
  weightsRank(ctx, x, w);
  const autoPad = autoPadOf(ctx);
  const strides = positive(ctx, 'strides', spatialInts(ctx, 'strides', n, 1));
  const dilations = positive(ctx, 'dilations', spatialInts(ctx, 'dilations', n, 1));
  const outputPadding = spatialInts(ctx, 'output_padding', n, 0);
  if (outputPadding.some((p) => p < 0)) ctx.fail('onnxBadAttribute', `ConvTranspose output_padding must be non-negative, got [${outputPadding.join(', ')}]`);
  const group = ctx.attrs.int('group', 1);
  if (group < 1) ctx.fail('onnxBadAttribute', `ConvTranspose group must be positive, got ${group}`);
  let outputShape = ctx.attrs.ints('output_shape');
  if (outputShape !== undefined && outputShape.length === n + 2) outputShape = outputShape.slice(2); // some exporters give [N, C, ...spatial]
  if (outputShape !== undefined && outputShape.length !== n) ctx.fail('onnxBadAttribute', `ConvTranspose output_shape has ${outputShape.length} values for ${n} spatial axes`);
  const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
  let pads: number[];
  if (outputShape === undefined && !same) {
    pads = autoPad === 'VALID' ? new Array<number>(2 * n).fill(0) : spatialInts(ctx, 'pads', n, 0, 2);
  } else {
    const kernel = kernelOf(ctx, w, n, true);
    const begin: number[] = [], end: number[] = [];
    x.shape.slice(2).forEach((d, i) => {
      const size = knownSize(ctx, d, outputShape ? 'output_shape' : `auto_pad ${autoPad}`);
      const out = outputShape ? outputShape[i]! : size * strides[i]!;
      const total = strides[i]! * (size - 1) + outputPadding[i]! + dilations[i]! * (kernel[i]! - 1) + 1 - out;
      const half = Math.floor(total / 2);
      if (!same && total < 0) {
        // A larger explicit output_shape grows the end, as the ONNX reference and ONNX Runtime do.
        begin.push(0);
        end.push(total);
        return;
      }
      begin.push(autoPad === 'SAME_UPPER' ? half : total - half);
      end.push(autoPad === 'SAME_UPPER' ? total - half : half);
    });
    pads = [...begin, ...end];
  }
  return [ctx.op('conv_transpose', bias ? [x, w, bias] : [x, w], { strides, pads, dilations, group, outputPadding, hasBias: bias !== undefined })];
}

interface PoolWindow {
  readonly kernel: number[];
  readonly strides: number[];
  readonly pads: number[];
  readonly dilations: number[];
  readonly ceilMode: boolean;
}

function poolWindow(ctx: ConvertContext, x: Node): PoolWindow {
  const n = spatialRank(ctx, x);
  const kernel = ctx.attrs.required('kernel_shape', ctx.attrs.ints('kernel_shape'));
  if (kernel.length !== n) ctx.fail('onnxBadAttribute', `${ctx.node.opType} kernel_shape has ${kernel.length} values; the input has ${n} spatial axes`);
  positive(ctx, 'kernel_shape', kernel);
  const strides = positive(ctx, 'strides', spatialInts(ctx, 'strides', n, 1));
  const dilations = positive(ctx, 'dilations', spatialInts(ctx, 'dilations', n, 1));
  const autoPad = autoPadOf(ctx);
  const pads = windowPads(ctx, autoPad, x.shape.slice(2), kernel, strides, dilations);
  // With auto_pad the output size is fixed by the spec's formula, which floor rounding gives.
  const ceilMode = autoPad === 'NOTSET' && ctx.attrs.int('ceil_mode', 0) === 1;
  return { kernel, strides, pads, dilations, ceilMode };
}

function MaxPool(ctx: ConvertContext): (Node | undefined)[] {
  const x = ctx.input(0);
  const window = poolWindow(ctx, x);
  const storageOrder = ctx.attrs.int('storage_order', 0);
  if (storageOrder !== 0 && storageOrder !== 1) ctx.fail('onnxBadAttribute', `MaxPool storage_order must be 0 or 1, got ${storageOrder}`);
  const attrs = { ...window, countIncludePad: false, storageOrder };
  return [
    wanted(ctx, 0) ? ctx.op('pool', [x], { kind: 'max', ...attrs }) : undefined,
    wanted(ctx, 1) ? ctx.op('pool', [x], { kind: 'max_index', ...attrs }) : undefined,
  ];
}

function AveragePool(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const window = poolWindow(ctx, x);
  const countIncludePad = ctx.attrs.int('count_include_pad', 0) === 1;
  return [ctx.op('pool', [x], { kind: 'avg', ...window, countIncludePad, storageOrder: 0 })];
}

function spatialAxes(ctx: ConvertContext, x: Node): number[] {
  if (x.shape.length < 2) ctx.fail('onnxBadInput', `${ctx.node.opType} needs an input of rank ≥ 2 ([N, C, ...spatial]), got rank ${x.shape.length}`);
  return Array.from({ length: x.shape.length - 2 }, (_, i) => i + 2);
}

function GlobalAveragePool(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  if (!DTYPES[x.dtype].isFloat) ctx.fail('onnxBadInput', `GlobalAveragePool needs a floating-point input, got ${x.dtype}`);
  return [ctx.op('reduce_mean', [x], { axes: spatialAxes(ctx, x), keepdims: true })];
}

function GlobalMaxPool(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  return [ctx.op('reduce_max', [x], { axes: spatialAxes(ctx, x), keepdims: true })];
}

const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'] as const;

/**
 * Pad: pads and the fill value are attributes before opset 11 (`paddings` in opset 1), inputs
 * since (pads may be shape arithmetic, so dims); opset 18 adds `axes`, which the pads then
 * cover ([begin per listed axis, end per listed axis]).
 */
function Pad(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const mode = ctx.attrs.string('mode', 'constant');
  if (!(PAD_MODES as readonly string[]).includes(mode)) ctx.fail('onnxUnsupportedFeature', `Pad mode '${mode}' (sluice supports ${PAD_MODES.join(', ')})`);
  let given: Dim[];
  let value: Node | undefined;
  let axes: number[] | undefined;
  if (ctx.opset < 11) {
    const name = ctx.opset < 2 ? 'paddings' : 'pads';
    given = ctx.attrs.required(name, ctx.attrs.ints(name)).map((v) => constDim(v));
    const v = ctx.attrs.float('value', 0);
    if (v !== 0) value = ctx.scalar(v, x.dtype);
  } else {
    given = ctx.requireDims(1, 'the pads');
    value = ctx.optionalInput(2);
    if (ctx.opset >= 18 && ctx.optionalInput(3)) axes = ctx.ints(3, 'the Pad axes').map((a) => axisOf(ctx, a, rank));
  }
  axes ??= Array.from({ length: rank }, (_, i) => i);
  if (new Set(axes).size !== axes.length) ctx.fail('onnxBadInput', `Pad axes [${axes.join(', ')}] repeat an axis`);
  if (given.length !== 2 * axes.length) ctx.fail('onnxBadInput', `Pad has ${given.length} pads for ${axes.length} axes (begin values, then end values)`);
  const pads: Dim[] = new Array<Dim>(2 * rank).fill(constDim(0));
  axes.forEach((a, i) => {
    pads[a] = given[i]!;
    pads[rank + a] = given[axes!.length + i]!;
  });
  if (pads.every((d) => constValue(d) === 0)) return [x];
  if (mode !== 'constant') value = undefined;
  if (value !== undefined) {
    if (value.dtype !== x.dtype) ctx.fail('onnxBadInput', `Pad constant_value is ${value.dtype}, the data ${x.dtype}`);
    if (value.shape.length > 1 || (value.shape.length === 1 && constValue(value.shape[0]!) !== 1)) {
      ctx.fail('onnxBadInput', `Pad constant_value must hold one value, got shape [${value.shape.map((d) => d.key).join(', ')}]`);
    }
    if (value.shape.length === 1) value = ctx.op('reshape', [value], { shape: [] });
  }
  return [ctx.op('pad', value ? [x, value] : [x], { mode: mode as (typeof PAD_MODES)[number], pads, hasValue: value !== undefined })];
}

export const CONV_CONVERTERS: ConverterTable = {
  Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Pad,
  ...RESIZE_CONVERTERS,
};
