// Linear quantization: `quantize` (float → int8/uint8/.../fp8/fp4) and `dequantize` (back).
// Kept whole so a later quantization pass can fuse dequantization into matmul loads. The
// scale's rank picks the granularity (per-tensor, per-axis, blocked); see node.ts.

import { ceilDivDim, dimEquals, printShape } from '../dim.js';
import { DTYPES, type DType } from '../dtype.js';
import { fail, sameShape, type TensorType } from '../types.js';
import type { OpTable } from './op-info.js';
import { dequantize, quantize } from '../../interpret/kernels/quantize.js';

/** The dtypes QuantizeLinear produces and DequantizeLinear reads (ONNX opset 25), int32 aside. */
export const QUANTIZED_DTYPES: readonly DType[] = [
  'i8', 'u8', 'i16', 'u16', 'i4', 'u4', 'i2', 'u2', 'f8e4m3fn', 'f8e4m3fnuz', 'f8e5m2', 'f8e5m2fnuz', 'f4e2m1',
];

/** Checks scale (and zero point) against x for the granularity the scale's rank gives. */
function checkScale(op: string, x: TensorType, scale: TensorType, zeroPoint: TensorType | undefined, axis: number, blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 0) fail('badAttribute', `${op} blockSize must be a non-negative integer, got ${blockSize}`);
  const rank = x.shape.length;
  const s = scale.shape;
  if (s.length > 0) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank) fail('badAxis', axis, rank);
    if (blockSize === 0) {
      if (s.length !== 1 || !dimEquals(s[0]!, x.shape[axis]!)) {
        fail('shapeMismatch', `${op} per-axis scale of shape ${printShape(s)} must be [${x.shape[axis]!.key}] (axis ${axis} of ${printShape(x.shape)})`);
      }
    } else {
      const expected = x.shape.map((d, i) => (i === axis ? ceilDivDim(d, blockSize) : d));
      if (!sameShape(s, expected)) {
        fail('shapeMismatch', `${op} blocked scale of shape ${printShape(s)} must be ${printShape(expected)} (block ${blockSize} on axis ${axis} of ${printShape(x.shape)})`);
      }
    }
  } else if (blockSize !== 0) {
    fail('shapeMismatch', `${op} with block size ${blockSize} needs a scale of rank ${rank}, got a scalar`);
  }
  if (zeroPoint && !sameShape(zeroPoint.shape, s)) {
    fail('shapeMismatch', `${op} zero point of shape ${printShape(zeroPoint.shape)} must have the scale's shape ${printShape(s)}`);
  }
}

function isFloat(d: DType): boolean {
  return DTYPES[d].isFloat;
}

export const QUANTIZE_OPS = {
  quantize: {
    category: 'elementwise',
    arity: [2, 3],
    infer(src, attrs) {
      const [x, scale, zeroPoint] = src as [TensorType, TensorType, TensorType | undefined];
      if (src.length !== 2 + Number(attrs.hasZeroPoint)) fail('badAttribute', 'quantize operands do not match hasZeroPoint');
      if (!isFloat(x.dtype) && x.dtype !== 'i32') fail('dtypeMismatch', `quantize needs a floating-point or i32 input, got ${x.dtype}`);
      if (!isFloat(scale.dtype) && scale.dtype !== 'i32') fail('dtypeMismatch', `quantize needs a floating-point or i32 scale, got ${scale.dtype}`);
      if (!QUANTIZED_DTYPES.includes(attrs.to)) fail('badAttribute', `quantize cannot produce ${String(attrs.to)} (it makes ${QUANTIZED_DTYPES.join(', ')})`);
      if (!Object.prototype.hasOwnProperty.call(DTYPES, attrs.precision) || !isFloat(attrs.precision)) {
        fail('badAttribute', `quantize precision must be a floating-point dtype, got ${String(attrs.precision)}`);
      }
      if (zeroPoint && zeroPoint.dtype !== attrs.to) fail('dtypeMismatch', `quantize zero point must be ${attrs.to} like the result, got ${zeroPoint.dtype}`);
      checkScale('quantize', x, scale, zeroPoint, attrs.axis, attrs.blockSize);
      return { dtype: attrs.to, shape: x.shape };
    },
    evaluate: ([x, scale, zeroPoint], attrs) => quantize(x!, scale!, zeroPoint, attrs),
  },
  dequantize: {
    category: 'elementwise',
    arity: [2, 3],
    infer(src, attrs) {
      const [x, scale, zeroPoint] = src as [TensorType, TensorType, TensorType | undefined];
      if (src.length !== 2 + Number(attrs.hasZeroPoint)) fail('badAttribute', 'dequantize operands do not match hasZeroPoint');
      if (!QUANTIZED_DTYPES.includes(x.dtype) && x.dtype !== 'i32') fail('dtypeMismatch', `dequantize cannot read ${x.dtype} (it reads ${QUANTIZED_DTYPES.join(', ')}, i32)`);
      if (!isFloat(scale.dtype)) fail('dtypeMismatch', `dequantize needs a floating-point scale, got ${scale.dtype}`);
      if (!Object.prototype.hasOwnProperty.call(DTYPES, attrs.to) || !isFloat(attrs.to)) fail('badAttribute', `dequantize must produce a floating-point dtype, got ${String(attrs.to)}`);
      if (zeroPoint && zeroPoint.dtype !== x.dtype) fail('dtypeMismatch', `dequantize zero point must be ${x.dtype} like its input, got ${zeroPoint.dtype}`);
      checkScale('dequantize', x, scale, zeroPoint, attrs.axis, attrs.blockSize);
      return { dtype: attrs.to, shape: x.shape };
    },
    evaluate: ([x, scale, zeroPoint], attrs) => dequantize(x!, scale!, zeroPoint, attrs, attrs.to),
  },
} satisfies Partial<OpTable>;
