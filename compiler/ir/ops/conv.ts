// Convolution, transposed convolution, pooling, padding and resizing: the ops of image and
// audio models, on NC + spatial layouts (1 to 3 spatial axes). Their reference semantics are
// in compiler/interpret/kernels/{conv,pool,pad,resize}.ts. Categories: conv and
// conv_transpose are contractions (matmul), pool a windowed reduction, pad and resize
// index arithmetic over the input (layout).

import { addDim, constDim, constValue, dimEquals, evalDimExact, floorDivDim, ceilDivDim, minDim, modDim, mulDim, printShape, subDim, type Dim } from '../dim.js';
import { DTYPES, type DType } from '../dtype.js';
import { fail, type TensorType } from '../types.js';
import type { OpAttrs } from '../node.js';
import type { EvalContext, OpTable } from './op-info.js';
import { conv, convTranspose } from '../../interpret/kernels/conv.js';
import { pad } from '../../interpret/kernels/pad.js';
import { pool, poolOutputSize } from '../../interpret/kernels/pool.js';
import { resize } from '../../interpret/kernels/resize.js';

function requireFloat(op: string, dtype: DType): void {
  if (!DTYPES[dtype].isFloat) fail('dtypeMismatch', `${op} needs a floating-point tensor, got ${dtype}`);
}

function requirePositiveInts(op: string, what: string, values: readonly number[], n: number, min = 1): void {
  if (values.length !== n) fail('badAttribute', `${op} ${what} has ${values.length} values for ${n} spatial axes`);
  if (values.some((v) => !Number.isInteger(v) || v < min)) fail('badAttribute', `${op} ${what} must be integers ≥ ${min}, got [${values.join(', ')}]`);
}

/** The spatial rank of x [N, C, ...spatial], checked to be 1 to 3. */
function spatialRank(op: string, x: TensorType): number {
  const n = x.shape.length - 2;
  if (n < 1 || n > 3) fail('shapeMismatch', `${op} needs x of rank 3 to 5 ([N, C, ...spatial]), got ${printShape(x.shape)}`);
  return n;
}

function checkPads(op: string, pads: readonly number[], n: number, allowNegative: boolean): void {
  if (pads.length !== 2 * n) fail('badAttribute', `${op} pads has ${pads.length} values for ${n} spatial axes (begin values, then end values)`);
  if (pads.some((v) => !Number.isInteger(v) || (!allowNegative && v < 0))) fail('badAttribute', `${op} pads must be ${allowNegative ? '' : 'non-negative '}integers, got [${pads.join(', ')}]`);
}

/** Fails when a constant output dim is below `min`; symbolic dims are checked when bound. */
function checkOutput(op: string, x: TensorType, out: readonly Dim[], min: number): void {
  for (const d of out) {
    const v = constValue(d);
    if (v !== undefined && v < min) fail('shapeMismatch', `${op} on ${printShape(x.shape)} would give a spatial size of ${v}`);
  }
}

function checkGroups(op: string, channels: Dim, group: number, what: string): void {
  if (!Number.isInteger(group) || group < 1) fail('badAttribute', `${op} group must be a positive integer, got ${group}`);
  const rem = constValue(modDim(channels, group));
  if (rem !== undefined && rem !== 0) fail('divisibility', `${op} ${what} (${channels.key}) must be a multiple of group ${group}`);
}

function checkBias(op: string, src: readonly TensorType[], hasBias: boolean, channels: Dim, dtype: DType): void {
  if (src.length !== 2 + Number(hasBias)) fail('badAttribute', `${op} operands do not match hasBias`);
  const bias = src[2];
  if (!bias) return;
  if (bias.dtype !== dtype) fail('dtypeMismatch', `${op} bias must be ${dtype}, got ${bias.dtype}`);
  if (bias.shape.length !== 1 || !dimEquals(bias.shape[0]!, channels)) fail('shapeMismatch', `${op} bias must be [${channels.key}], got ${printShape(bias.shape)}`);
}

function inferConv(src: readonly TensorType[], a: OpAttrs['conv']): TensorType {
  const [x, w] = src as [TensorType, TensorType];
  const n = spatialRank('conv', x);
  requireFloat('conv', x.dtype);
  if (w.dtype !== x.dtype) fail('dtypeMismatch', `conv needs x and w of one dtype, got ${x.dtype} and ${w.dtype}`);
  if (w.shape.length !== n + 2) fail('shapeMismatch', `conv weights must be [M, C/group, ...kernel] of rank ${n + 2}, got ${printShape(w.shape)}`);
  requirePositiveInts('conv', 'strides', a.strides, n);
  requirePositiveInts('conv', 'dilations', a.dilations, n);
  checkPads('conv', a.pads, n, false);
  const [m, cPerGroup] = w.shape as [Dim, Dim];
  checkGroups('conv', m, a.group, 'output channels');
  if (!dimEquals(mulDim(cPerGroup, a.group), x.shape[1]!)) {
    fail('shapeMismatch', `conv x has ${x.shape[1]!.key} channels but the weights ${printShape(w.shape)} take ${cPerGroup.key} per group × group ${a.group}`);
  }
  checkBias('conv', src, a.hasBias, m, x.dtype);
  const out = x.shape.slice(2).map((d, i) => {
    const extent = addDim(mulDim(subDim(w.shape[2 + i]!, 1), a.dilations[i]!), 1);
    return addDim(floorDivDim(subDim(addDim(d, a.pads[i]! + a.pads[n + i]!), extent), a.strides[i]!), 1);
  });
  checkOutput('conv', x, out, 1);
  return { dtype: x.dtype, shape: [x.shape[0]!, m, ...out] };
}

function inferConvTranspose(src: readonly TensorType[], a: OpAttrs['conv_transpose']): TensorType {
  const [x, w] = src as [TensorType, TensorType];
  const n = spatialRank('conv_transpose', x);
  requireFloat('conv_transpose', x.dtype);
  if (w.dtype !== x.dtype) fail('dtypeMismatch', `conv_transpose needs x and w of one dtype, got ${x.dtype} and ${w.dtype}`);
  if (w.shape.length !== n + 2) fail('shapeMismatch', `conv_transpose weights must be [C, M/group, ...kernel] of rank ${n + 2}, got ${printShape(w.shape)}`);
  requirePositiveInts('conv_transpose', 'strides', a.strides, n);
  requirePositiveInts('conv_transpose', 'dilations', a.dilations, n);
  requirePositiveInts('conv_transpose', 'output padding', a.outputPadding, n, 0);
  checkPads('conv_transpose', a.pads, n, true);
  const [c, mPerGroup] = w.shape as [Dim, Dim];
  if (!dimEquals(c, x.shape[1]!)) fail('shapeMismatch', `conv_transpose x has ${x.shape[1]!.key} channels but the weights ${printShape(w.shape)} take ${c.key}`);
  checkGroups('conv_transpose', c, a.group, 'input channels');
  const m = mulDim(mPerGroup, a.group);
  checkBias('conv_transpose', src, a.hasBias, m, x.dtype);
  const out = x.shape.slice(2).map((d, i) => {
    const extent = addDim(mulDim(subDim(w.shape[2 + i]!, 1), a.dilations[i]!), 1);
    const natural = addDim(addDim(mulDim(subDim(d, 1), a.strides[i]!), a.outputPadding[i]!), extent);
    return subDim(natural, a.pads[i]! + a.pads[n + i]!);
  });
  checkOutput('conv_transpose', x, out, 0);
  return { dtype: x.dtype, shape: [x.shape[0]!, m, ...out] };
}

/** Pooling output dim; the ceil-mode rule (drop a last window starting in the end padding) as a min for symbolic sizes. */
function poolOutputDim(input: Dim, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceilMode: boolean): Dim {
  const extent = dilation * (kernel - 1) + 1;
  const v = constValue(input);
  if (v !== undefined) return constDim(poolOutputSize(v, kernel, stride, padBegin, padEnd, dilation, ceilMode));
  const span = addDim(input, padBegin + padEnd - extent);
  if (!ceilMode) return addDim(floorDivDim(span, stride), 1);
  // With padEnd < extent, the dropped window leaves exactly ceil((in + padBegin) / stride).
  return minDim(addDim(ceilDivDim(span, stride), 1), ceilDivDim(addDim(input, padBegin), stride));
}

function inferPool(src: readonly TensorType[], a: OpAttrs['pool']): TensorType {
  const [x] = src as [TensorType];
  const n = spatialRank('pool', x);
  if (a.kind === 'avg') requireFloat('average pooling', x.dtype);
  if (x.dtype === 'bool') fail('dtypeMismatch', 'max pooling needs a numeric tensor, got bool');
  requirePositiveInts('pool', 'kernel', a.kernel, n);
  requirePositiveInts('pool', 'strides', a.strides, n);
  requirePositiveInts('pool', 'dilations', a.dilations, n);
  checkPads('pool', a.pads, n, false);
  if (a.storageOrder !== 0 && a.storageOrder !== 1) fail('badAttribute', `pool storage order must be 0 or 1, got ${a.storageOrder}`);
  for (let i = 0; i < n; i++) {
    const extent = a.dilations[i]! * (a.kernel[i]! - 1) + 1;
    // A window made only of padding would have no maximum (ONNX Runtime refuses these pads too).
    if (a.kind !== 'avg' && Math.max(a.pads[i]!, a.pads[n + i]!) >= extent) {
      fail('badAttribute', `max pooling pads [${a.pads.join(', ')}] must be smaller than the window (${extent} on spatial axis ${i})`);
    }
    if (a.ceilMode && a.pads[n + i]! >= extent && constValue(x.shape[2 + i]!) === undefined) {
      fail('badAttribute', `ceil-mode pooling with end pad ${a.pads[n + i]} ≥ the window (${extent}) needs a known size on spatial axis ${i}`);
    }
  }
  const out = x.shape.slice(2).map((d, i) => poolOutputDim(d, a.kernel[i]!, a.strides[i]!, a.pads[i]!, a.pads[n + i]!, a.dilations[i]!, a.ceilMode));
  checkOutput('pool', x, out, 1);
  return { dtype: a.kind === 'max_index' ? 'i64' : x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...out] };
}

function inferPad(src: readonly TensorType[], a: OpAttrs['pad']): TensorType {
  const [x, value] = src as [TensorType, TensorType | undefined];
  const rank = x.shape.length;
  if (src.length !== 1 + Number(a.hasValue)) fail('badAttribute', 'pad operands do not match hasValue');
  if (a.pads.length !== 2 * rank) fail('badAttribute', `pad has ${a.pads.length} pads for rank ${rank} (begin values, then end values)`);
  if (value && (value.dtype !== x.dtype || value.shape.length !== 0)) fail('dtypeMismatch', `the pad value must be a ${x.dtype} scalar, got ${value.dtype}${printShape(value.shape)}`);
  const shape = x.shape.map((d, i) => addDim(addDim(d, a.pads[i]!), a.pads[rank + i]!));
  shape.forEach((d, i) => {
    const v = constValue(d);
    if (v !== undefined && v < 0) fail('shapeMismatch', `pads ${a.pads[i]!.key} and ${a.pads[rank + i]!.key} crop more than axis ${i} of ${printShape(x.shape)}`);
    const kept = constValue(subDim(subDim(x.shape[i]!, Math.max(0, -(constValue(a.pads[i]!) ?? 0))), Math.max(0, -(constValue(a.pads[rank + i]!) ?? 0))));
    if (a.mode !== 'constant' && kept === 0 && v !== undefined && v > 0) fail('shapeMismatch', `${a.mode} padding needs a non-empty axis ${i}, got ${printShape(x.shape)}`);
  });
  return { dtype: x.dtype, shape };
}

function inferResize(src: readonly TensorType[], a: OpAttrs['resize']): TensorType {
  const [x] = src as [TensorType];
  const rank = x.shape.length;
  if (a.sizes.length !== rank || a.scales.length !== rank) fail('badAttribute', `resize needs ${rank} sizes and scales, got ${a.sizes.length} and ${a.scales.length}`);
  if (a.roi.length !== 2 * rank) fail('badAttribute', `resize roi needs ${2 * rank} values (starts, then ends), got ${a.roi.length}`);
  if (a.scales.some((s) => !(s > 0) || !Number.isFinite(s))) fail('badAttribute', `resize scales must be positive, got [${a.scales.join(', ')}]`);
  if (a.antialias && a.mode === 'nearest') fail('badAttribute', 'resize antialias needs linear or cubic mode');
  a.sizes.forEach((d, i) => {
    if (constValue(x.shape[i]!) === 0 && (constValue(d) ?? 0) > 0) fail('shapeMismatch', `resize cannot interpolate axis ${i} of size 0 to size ${d.key}`);
  });
  return { dtype: x.dtype, shape: a.sizes };
}

/** A pad amount from the attributes: a dim that may be a negative constant. */
function padAmount(d: Dim, ctx: EvalContext): number {
  return constValue(d) ?? evalDimExact(d, ctx.env);
}

export const CONV_OPS = {
  conv: {
    category: 'matmul',
    arity: [2, 3],
    infer: inferConv,
    evaluate: ([x, w, bias], a) => conv(x!, w!, bias, a),
  },
  conv_transpose: {
    category: 'matmul',
    arity: [2, 3],
    infer: inferConvTranspose,
    evaluate: ([x, w, bias], a) => convTranspose(x!, w!, bias, a),
  },
  pool: {
    category: 'reduction',
    arity: [1, 1],
    infer: inferPool,
    evaluate: ([x], a) => pool(x!, a),
  },
  pad: {
    category: 'layout',
    arity: [1, 2],
    infer: inferPad,
    evaluate: ([x, value], a, ctx) => pad(x!, a.pads.map((d) => padAmount(d, ctx)), a.mode, value),
  },
  resize: {
    category: 'layout',
    arity: [1, 1],
    infer: inferResize,
    evaluate: ([x], a, ctx) => resize(x!, ctx.shape, a),
  },
} satisfies Partial<OpTable>;
