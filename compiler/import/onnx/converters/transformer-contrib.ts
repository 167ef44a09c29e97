// ONNX Runtime's fused transformer ops (domain com.microsoft; SimplifiedLayerNormalization is
// registered by ONNX Runtime in the default domain and is accepted in both), written with IR
// ops: the skip/bias sums and norms, the gelu variants, and MatMulNBits (block-quantized
// weights unpacked with integer division and remainder, dequantized, then a matmul).

import { constDim, constValue, mulDim, type Dim } from '../../../ir/dim.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/node.js';
import type { ConvertContext } from '../context.js';

function add(ctx: ConvertContext, a: Node, b: Node | undefined): Node {
  return b === undefined ? a : ctx.op('add', [a, b], {});
}

function wants(ctx: ConvertContext, index: number): boolean {
  return (ctx.node.outputs[index] ?? '') !== '';
}

function floatInput(ctx: ConvertContext, i: number): Node {
  const x = ctx.input(i);
  if (!DTYPES[x.dtype].isFloat) ctx.fail('onnxBadInput', `${ctx.node.opType} input ${i} must be a floating-point tensor, got ${x.dtype}`);
  return x;
}

/** Per-row statistics over the last `count` axes, kept as size-1 axes, in f32 (ONNX Runtime's U). */
function rowStats(ctx: ConvertContext, x: Node, axis: number, eps: number, center: boolean): { mean?: Node; invStdDev: Node } {
  const rank = x.shape.length;
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const x32 = x.dtype === 'f32' ? x : ctx.op('cast', [x], { to: 'f32' });
  const mean = center ? ctx.op('reduce_mean', [x32], { axes, keepdims: true }) : undefined;
  const centered = mean ? ctx.op('sub', [x32, mean], {}) : x32;
  const meanSquare = ctx.op('reduce_mean', [ctx.op('mul', [centered, centered], {})], { axes, keepdims: true });
  const invStdDev = ctx.op('rsqrt', [ctx.op('add', [meanSquare, ctx.scalar(eps, 'f32')], {})], {});
  return mean ? { mean, invStdDev } : { invStdDev };
}

/** input + skip (+ bias), the residual sum both skip norms start from. */
function skipSum(ctx: ConvertContext, biasIndex: number): Node {
  const x = floatInput(ctx, 0), skip = ctx.input(1);
  return add(ctx, ctx.op('add', [x, skip], {}), ctx.optionalInput(biasIndex));
}

function SkipLayerNormalization(ctx: ConvertContext): (Node | undefined)[] {
  const eps = ctx.attrs.float('epsilon', 1e-12);
  const sum = skipSum(ctx, 4);
  const beta = ctx.optionalInput(3);
  const axis = sum.shape.length - 1;
  const y = ctx.op('layer_norm', beta ? [sum, ctx.input(2), beta] : [sum, ctx.input(2)], { axis, eps, hasScale: true, hasBias: beta !== undefined });
  const stats = wants(ctx, 1) || wants(ctx, 2) ? rowStats(ctx, sum, axis, eps, true) : undefined;
  return [y, stats?.mean, stats?.invStdDev, sum];
}

function SkipSimplifiedLayerNormalization(ctx: ConvertContext): (Node | undefined)[] {
  if (wants(ctx, 1)) ctx.fail('onnxUnsupportedFeature', 'SkipSimplifiedLayerNormalization output 1 (mean) is not supported: an RMS norm has no mean');
  const eps = ctx.attrs.float('epsilon', 1e-12);
  const sum = skipSum(ctx, 3);
  const axis = sum.shape.length - 1;
  const y = ctx.op('rms_norm', [sum, ctx.input(2)], { axis, eps, hasScale: true });
  return [y, undefined, wants(ctx, 2) ? rowStats(ctx, sum, axis, eps, false).invStdDev : undefined, sum];
}

function SimplifiedLayerNormalization(ctx: ConvertContext): (Node | undefined)[] {
  const x = floatInput(ctx, 0);
  const rank = x.shape.length;
  const given = ctx.attrs.int('axis', -1);
  const axis = given < 0 ? given + rank : given;
  if (axis < 0 || axis >= rank) ctx.fail('onnxBadAttribute', `axis ${given} is out of range for rank ${rank}`);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const scale = ctx.optionalInput(1);
  const y = ctx.op('rms_norm', scale ? [x, scale] : [x], { axis, eps, hasScale: scale !== undefined });
  return [y, wants(ctx, 1) ? rowStats(ctx, x, axis, eps, false).invStdDev : undefined];
}

function BiasGelu(ctx: ConvertContext): Node[] {
  return [ctx.op('gelu', [ctx.op('add', [floatInput(ctx, 0), ctx.input(1)], {})], { approximate: 'none' })];
}

function FastGelu(ctx: ConvertContext): Node[] {
  return [ctx.op('gelu', [add(ctx, floatInput(ctx, 0), ctx.optionalInput(1))], { approximate: 'tanh' })];
}

function Gelu(ctx: ConvertContext): Node[] {
  return [ctx.op('gelu', [floatInput(ctx, 0)], { approximate: 'none' })];
}

function QuickGelu(ctx: ConvertContext): Node[] {
  const x = floatInput(ctx, 0);
  const alpha = ctx.attrs.float('alpha', 1.702);
  return [ctx.op('mul', [x, ctx.op('sigmoid', [ctx.op('mul', [x, ctx.scalar(alpha, x.dtype)], {})], {})], {})];
}

// ---- MatMulNBits ----

/**
 * Unpacks `bits`-bit unsigned values packed low bits first in the bytes of a u8 tensor's last
 * axis: [..., n] → [..., n · 8/bits], as `dtype`.
 */
function unpack(ctx: ConvertContext, packed: Node, bits: number, dtype: DType): Node {
  const perByte = 8 / bits;
  const rank = packed.shape.length;
  const parts = Array.from({ length: perByte }, (_, i) => {
    const shifted = i === 0 ? packed : ctx.op('div', [packed, ctx.scalar(2 ** (bits * i), 'u8')], {});
    const value = perByte === 1 ? shifted : ctx.op('mod', [shifted, ctx.scalar(2 ** bits, 'u8')], {});
    return ctx.op('unsqueeze', [value], { axes: [rank] });
  });
  const stacked = perByte === 1 ? parts[0]! : ctx.op('concat', parts, { axis: rank });
  const last = packed.shape[rank - 1]!;
  const flat = ctx.op('reshape', [stacked], { shape: [...packed.shape.slice(0, -1), mulDim(last, perByte)] });
  return ctx.op('cast', [flat], { to: dtype });
}

function sliceLast(ctx: ConvertContext, x: Node, count: Dim): Node {
  const axis = x.shape.length - 1;
  if (constValue(x.shape[axis]!) === constValue(count) && constValue(count) !== undefined) return x;
  return ctx.op('slice', [x], { axes: [axis], starts: [constDim(0)], steps: [1], counts: [count] });
}

function MatMulNBits(ctx: ConvertContext): Node[] {
  const a = floatInput(ctx, 0), packed = ctx.input(1), scales = ctx.input(2);
  const bits = ctx.attrs.int('bits', 4);
  if (bits !== 2 && bits !== 4 && bits !== 8) ctx.fail('onnxUnsupportedFeature', `MatMulNBits with bits=${bits} is not supported (2, 4 or 8)`);
  if (ctx.attrs.int('weight_prepacked', 0) !== 0) ctx.fail('onnxUnsupportedFeature', 'MatMulNBits weight_prepacked (an execution-provider layout) is not supported');
  if (ctx.optionalInput(4) !== undefined) ctx.fail('onnxUnsupportedFeature', "MatMulNBits input 'g_idx' is not supported");
  const k = ctx.attrs.required('K', ctx.attrs.int('K'));
  const n = ctx.attrs.required('N', ctx.attrs.int('N'));
  const blockSize = ctx.attrs.required('block_size', ctx.attrs.int('block_size'));
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) ctx.fail('onnxBadAttribute', `MatMulNBits block_size must be a power of two >= 16, got ${blockSize}`);
  const blocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  if (packed.dtype !== 'u8') ctx.fail('onnxBadInput', `MatMulNBits B must be uint8, got ${packed.dtype}`);
  const expect = (t: Node, shape: number[], what: string): void => {
    const actual = t.shape.map((d) => constValue(d));
    if (actual.length !== shape.length || actual.some((d, i) => d !== undefined && d !== shape[i])) {
      ctx.fail('onnxBadInput', `MatMulNBits ${what} must have shape [${shape.join(', ')}], got [${t.shape.map((d) => d.key).join(', ')}]`);
    }
  };
  expect(packed, [n, blocks, blob], 'B');
  const dtype = a.dtype;
  const scale = ctx.op('reshape', [scales], { shape: [constDim(n), constDim(blocks), constDim(1)] });
  if (scales.dtype !== dtype) ctx.fail('onnxBadInput', `MatMulNBits scales must be ${dtype} like A, got ${scales.dtype}`);
  const q = unpack(ctx, packed, bits, dtype); // [N, blocks, block_size]
  const zp = ctx.optionalInput(3);
  let zero: Node;
  if (zp === undefined) {
    zero = ctx.scalar(2 ** (bits - 1), dtype);
  } else if (zp.dtype === 'u8') {
    expect(zp, [n, Math.ceil((blocks * bits) / 8)], 'zero_points');
    zero = ctx.op('reshape', [sliceLast(ctx, unpack(ctx, zp, bits, dtype), constDim(blocks))], { shape: [constDim(n), constDim(blocks), constDim(1)] });
  } else {
    if (zp.dtype !== dtype) ctx.fail('onnxBadInput', `MatMulNBits float zero_points must be ${dtype} like A, got ${zp.dtype}`);
    expect(zp, [n, blocks], 'zero_points');
    zero = ctx.op('reshape', [zp], { shape: [constDim(n), constDim(blocks), constDim(1)] });
  }
  const dequantized = ctx.op('mul', [ctx.op('sub', [q, zero], {}), scale], {}); // [N, blocks, block_size]
  const rows = sliceLast(ctx, ctx.op('reshape', [dequantized], { shape: [constDim(n), constDim(blocks * blockSize)] }), constDim(k));
  const weight = ctx.op('transpose', [rows], { perm: [1, 0] }); // [K, N]
  return [add(ctx, ctx.op('matmul', [a, weight], {}), ctx.optionalInput(5))];
}

export const TRANSFORMER_CONTRIB_CONVERTERS = {
  'com.microsoft:SkipLayerNormalization': SkipLayerNormalization,
  'com.microsoft:SkipSimplifiedLayerNormalization': SkipSimplifiedLayerNormalization,
  'com.microsoft:SimplifiedLayerNormalization': SimplifiedLayerNormalization,
  SimplifiedLayerNormalization,
  'com.microsoft:BiasGelu': BiasGelu,
  'com.microsoft:FastGelu': FastGelu,
  'com.microsoft:Gelu': Gelu,
  'com.microsoft:QuickGelu': QuickGelu,
  'com.microsoft:MatMulNBits': MatMulNBits,
};
