// Quantization: QuantizeLinear and DequantizeLinear become the IR's `quantize`/`dequantize`
// (kept whole); MatMulInteger, QLinearMatMul and DynamicQuantizeLinear are composed from
// casts, integer matmul and elementwise ops exactly as the ONNX reference computes them.

import { isConst } from '../../../ir/dim.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/node.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import { axisOf, dtypeAttr } from './shape.js';

// ---- QuantizeLinear / DequantizeLinear ----

interface Granularity {
  readonly scale: Node;
  readonly zeroPoint: Node | undefined;
  readonly axis: number;
  readonly blockSize: number;
}

/** A one-element scale or zero point as a scalar (per-tensor); others stay as they are. */
function asScalar(ctx: ConvertContext, n: Node): Node {
  if (n.shape.length === 0) return n;
  return ctx.op('reshape', [n], { shape: [] });
}

function oneElement(n: Node): boolean {
  return n.shape.length === 0 || (n.shape.length === 1 && isConst(n.shape[0]!, 1));
}

/**
 * Scale and zero point (inputs 1 and 2) in the IR's form: one-element ones become scalars
 * (per-tensor, whatever the axis says), 1-D ones are per-axis, and with block_size (opset
 * 21+) they are blocked along the axis.
 */
function granularity(ctx: ConvertContext): Granularity {
  const x = ctx.input(0);
  let scale = ctx.input(1);
  let zeroPoint = ctx.optionalInput(2);
  const blockSize = ctx.opset >= 21 ? ctx.attrs.int('block_size', 0) : 0;
  if (blockSize < 0) ctx.fail('onnxBadAttribute', `block_size must not be negative, got ${blockSize}`);
  if (blockSize === 0 && oneElement(scale)) {
    // (a zero point of another shape is left as it is: the op reports the mismatch)
    scale = asScalar(ctx, scale);
    if (zeroPoint && oneElement(zeroPoint)) zeroPoint = asScalar(ctx, zeroPoint);
    return { scale, zeroPoint, axis: 0, blockSize: 0 };
  }
  if (ctx.opset < 13) ctx.fail('onnxBadInput', `${ctx.node.opType}-${ctx.opset} takes a scalar scale (per-tensor), got rank ${scale.shape.length}`);
  const axis = axisOf(ctx, ctx.attrs.int('axis', 1), x.shape.length);
  if (blockSize === 0 && scale.shape.length !== 1) {
    ctx.fail('onnxBadInput', `${ctx.node.opType} scale of rank ${scale.shape.length} needs block_size (a scalar is per-tensor, 1-D per-axis)`);
  }
  return { scale, zeroPoint, axis, blockSize };
}

function QuantizeLinear(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const scale = ctx.input(1);
  const g = granularity(ctx);
  const outputDtype = ctx.opset >= 21 ? ctx.attrs.int('output_dtype', 0) : 0;
  let to: DType = 'u8';
  if (g.zeroPoint) {
    to = g.zeroPoint.dtype;
    if (outputDtype !== 0 && dtypeAttr(ctx, outputDtype) !== to) {
      ctx.fail('onnxBadAttribute', `output_dtype ${dtypeAttr(ctx, outputDtype)} differs from the zero point's type ${to}`);
    }
  } else if (outputDtype !== 0) {
    to = dtypeAttr(ctx, outputDtype);
  }
  // The quotient x / scale is computed in the scale's type unless `precision` says otherwise.
  // An e8m0 scale is a power of two: the division is exact, so x's own type serves (ONNX's
  // reference divides in float32 there too).
  const precisionAttr = ctx.opset >= 23 ? ctx.attrs.int('precision', 0) : 0;
  let precision: DType = precisionAttr !== 0 ? dtypeAttr(ctx, precisionAttr) : scale.dtype;
  if (precisionAttr === 0 && precision === 'f8e8m0') precision = DTYPES[x.dtype].isFloat ? x.dtype : 'f32';
  if (!DTYPES[precision].isFloat) {
    ctx.fail('onnxUnsupportedFeature', `QuantizeLinear dividing in ${precision} (an integer y_scale or precision) is not supported`);
  }
  const saturate = ctx.opset >= 19 ? ctx.attrs.int('saturate', 1) !== 0 : true;
  const src = g.zeroPoint ? [x, g.scale, g.zeroPoint] : [x, g.scale];
  return [ctx.op('quantize', src, { axis: g.axis, blockSize: g.blockSize, to, saturate, hasZeroPoint: g.zeroPoint !== undefined, precision })];
}

function DequantizeLinear(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const g = granularity(ctx);
  const outputDtype = ctx.opset >= 23 ? ctx.attrs.int('output_dtype', 0) : 0;
  const to = outputDtype !== 0 ? dtypeAttr(ctx, outputDtype) : g.scale.dtype;
  const src = g.zeroPoint ? [x, g.scale, g.zeroPoint] : [x, g.scale];
  return [ctx.op('dequantize', src, { axis: g.axis, blockSize: g.blockSize, to, hasZeroPoint: g.zeroPoint !== undefined })];
}

// ---- integer matmuls ----

/**
 * An 8-bit matmul operand as i32 minus its zero point. A's zero point (and scale) may be per
 * row: a 1-D [M] against A [..., M, K] applies along rows, so it becomes [M, 1]; B's 1-D [N]
 * is per column and broadcasts as it is.
 */
function perRow(ctx: ConvertContext, n: Node, operand: Node): Node {
  if (n.shape.length === 1 && operand.shape.length >= 2 && !isConst(n.shape[0]!, 1)) return ctx.op('unsqueeze', [n], { axes: [1] });
  return n;
}

function centered(ctx: ConvertContext, x: Node, zeroPoint: Node | undefined, rows: boolean): Node {
  if (x.dtype !== 'i8' && x.dtype !== 'u8') ctx.fail('onnxBadInput', `${ctx.node.opType} takes int8 or uint8 operands, got ${x.dtype}`);
  const xi = ctx.op('cast', [x], { to: 'i32' });
  if (!zeroPoint) return xi;
  if (zeroPoint.dtype !== x.dtype) ctx.fail('onnxBadInput', `${ctx.node.opType} zero point must be ${x.dtype} like its operand, got ${zeroPoint.dtype}`);
  const z = ctx.op('cast', [zeroPoint], { to: 'i32' });
  return ctx.op('sub', [xi, rows ? perRow(ctx, z, x) : z], {});
}

function MatMulInteger(ctx: ConvertContext): Node[] {
  const a = centered(ctx, ctx.input(0), ctx.optionalInput(2), true);
  const b = centered(ctx, ctx.input(1), ctx.optionalInput(3), false);
  return [ctx.op('matmul', [a, b], {})];
}

/**
 * ONNX's reference: C = (a - a_zp) @ (b - b_zp) in int32; D = C · (a_scale · b_scale / y_scale)
 * + y_zp, the scale product computed in the scales' type and D in float64 (NumPy promotes
 * int32 with float32 or float16 to float64); y = clip(round_half_even(D)) to y's range.
 */
function QLinearMatMul(ctx: ConvertContext): Node[] {
  const a = ctx.input(0), b = ctx.input(3);
  const [aScale, bScale, yScale] = [ctx.input(1), ctx.input(4), ctx.input(6)];
  const yZeroPoint = ctx.optionalInput(7);
  if (aScale.dtype !== bScale.dtype || aScale.dtype !== yScale.dtype || !DTYPES[aScale.dtype].isFloat) {
    ctx.fail('onnxBadInput', `QLinearMatMul scales must share one floating-point type, got ${aScale.dtype}, ${bScale.dtype}, ${yScale.dtype}`);
  }
  const product = ctx.op('matmul', [centered(ctx, a, ctx.optionalInput(2), true), centered(ctx, b, ctx.optionalInput(5), false)], {});
  const scale = ctx.op('div', [ctx.op('mul', [perRow(ctx, aScale, a), bScale], {}), yScale], {});
  const wide = (n: Node): Node => ctx.op('cast', [n], { to: 'f64' });
  let d = ctx.op('mul', [wide(product), wide(scale)], {});
  if (yZeroPoint) d = ctx.op('add', [d, wide(yZeroPoint)], {});
  const to = yZeroPoint?.dtype ?? a.dtype;
  const rounded = ctx.op('round', [d], {});
  const clipped = ctx.op('min', [ctx.op('max', [rounded, ctx.scalar(DTYPES[to].min, 'f64')], {}), ctx.scalar(DTYPES[to].max, 'f64')], {});
  return [ctx.op('cast', [clipped], { to })];
}

/**
 * ONNX's function body: scale = (max(0, max x) - min(0, min x)) / 255; zero point =
 * cast(round(clip(0 - min(0, min x) / scale, 0, 255))); y = QuantizeLinear(x, scale, zero point).
 */
function DynamicQuantizeLinear(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  if (x.dtype !== 'f32') ctx.fail('onnxBadInput', `DynamicQuantizeLinear takes float32, got ${x.dtype}`);
  const all = { axes: x.shape.map((_, i) => i), keepdims: false };
  const zero = ctx.scalar(0, 'f32'), qmax = ctx.scalar(255, 'f32');
  const low = ctx.op('min', [ctx.op('reduce_min', [x], all), zero], {});
  const high = ctx.op('max', [ctx.op('reduce_max', [x], all), zero], {});
  const scale = ctx.op('div', [ctx.op('sub', [high, low], {}), qmax], {});
  const initial = ctx.op('sub', [zero, ctx.op('div', [low, scale], {})], {});
  const clipped = ctx.op('min', [ctx.op('max', [initial, zero], {}), qmax], {});
  const zeroPoint = ctx.op('cast', [ctx.op('round', [clipped], {})], { to: 'u8' });
  const y = ctx.op('quantize', [x, scale, zeroPoint], { axis: 0, blockSize: 0, to: 'u8', saturate: true, hasZeroPoint: true, precision: 'f32' });
  return [y, scale, zeroPoint];
}

export const QUANTIZE_CONVERTERS: ConverterTable = {
  QuantizeLinear: { convert: QuantizeLinear, minOpset: 10 },
  DequantizeLinear: { convert: DequantizeLinear, minOpset: 10 },
  MatMulInteger: { convert: MatMulInteger, minOpset: 10 },
  QLinearMatMul: { convert: QLinearMatMul, minOpset: 10 },
  DynamicQuantizeLinear: { convert: DynamicQuantizeLinear, minOpset: 11 },
};
