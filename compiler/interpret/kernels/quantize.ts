// Linear quantization and dequantization (ONNX QuantizeLinear, DequantizeLinear).
//
// Every element of x pairs with one element of scale (and of the zero point, which has the
// scale's shape), by the scale's rank:
//   rank 0             per-tensor: one scale for every element;
//   rank 1, block 0    per-axis: element i of axis `axis` reads scale[i];
//   rank of x, block B blocked: element i of axis `axis` reads block floor(i / B) there, the
//                      other axes match one to one.
// quantize: q = x / scale computed in f64 and rounded to `precision` (ONNX: the scale's dtype
//   or the `precision` attribute). Integer targets: round half to even, add the zero point,
//   clamp to the target's range (the saturation of the spec); NaN counts as 0. Float targets (fp8, f4e2m1):
//   q + zero point rounded to the format; out-of-range values clamp to ±max when `saturate`,
//   else overflow as the format does (inf, or NaN where it has no inf).
// dequantize: (x - zero point) * scale, computed in f64 and rounded once to the output dtype.

import { DTYPES, type DType } from '../../ir/dtype.js';
import { isReducedFloat, roundHalfEven, roundToFloat, sizeOf, type Tensor } from '../tensor.js';
import { fromNumbers, readNumbers } from './storage.js';

/** How x's elements find their scale: the op's `axis` and `blockSize`. */
export interface QuantGranularity {
  readonly axis: number;
  readonly blockSize: number;
}

/**
 * For each element of a tensor of `shape` (row-major), the flat index of its scale element in
 * a scale tensor of `scaleShape` (see the header for the three granularities).
 */
export function scaleOffsets(shape: readonly number[], scaleShape: readonly number[], g: QuantGranularity): Int32Array {
  const n = sizeOf(shape);
  const out = new Int32Array(n);
  if (scaleShape.length === 0) return out;
  const { axis, blockSize } = g;
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) throw new Error(`quantization axis ${axis} is out of range for rank ${shape.length}`);
  const len = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  if (blockSize === 0) {
    if (scaleShape.length !== 1 || scaleShape[0] !== len) throw new Error(`per-axis scale [${scaleShape.join(', ')}] does not match axis ${axis} of [${shape.join(', ')}]`);
    for (let i = 0; i < n; i++) out[i] = Math.floor(i / inner) % len;
    return out;
  }
  const blocks = scaleShape[axis]!;
  const ok = scaleShape.length === shape.length && scaleShape.every((d, i) => (i === axis ? d === Math.ceil(len / blockSize) : d === shape[i]));
  if (!ok) throw new Error(`blocked scale [${scaleShape.join(', ')}] does not match [${shape.join(', ')}] with block ${blockSize} on axis ${axis}`);
  for (let i = 0; i < n; i++) {
    const within = i % inner;
    const a = Math.floor(i / inner) % len;
    const outer = Math.floor(i / (inner * len));
    out[i] = (outer * blocks + Math.floor(a / blockSize)) * inner + within;
  }
  return out;
}

/** Rounding of an f64 to a float dtype (round to nearest even, as a store would). */
export function floatRounding(dtype: DType): (v: number) => number {
  if (dtype === 'f64') return (v) => v;
  if (dtype === 'f32') return Math.fround;
  if (isReducedFloat(dtype)) return (v) => roundToFloat(dtype, v);
  throw new Error(`${dtype} is not a floating-point dtype`);
}

export interface QuantizeOptions extends QuantGranularity {
  readonly to: DType;
  readonly saturate: boolean;
  readonly precision: DType;
}

/** ONNX QuantizeLinear: `x` to `to` with `scale` and `zeroPoint` (none: 0). */
export function quantize(x: Tensor, scale: Tensor, zeroPoint: Tensor | undefined, opts: QuantizeOptions): Tensor {
  const n = sizeOf(x.shape);
  const at = scaleOffsets(x.shape, scale.shape, opts);
  const xs = readNumbers(x);
  const ss = readNumbers(scale);
  const zs = zeroPoint ? readNumbers(zeroPoint) : undefined;
  const toPrecision = floatRounding(opts.precision);
  const out = new Float64Array(n);
  const info = DTYPES[opts.to];
  if (info.isInt) {
    for (let i = 0; i < n; i++) {
      const q = toPrecision(xs[i]! / ss[at[i]!]!);
      // NaN has no integer: it counts as 0, giving the zero point (ONNX leaves it undefined).
      const r = (Number.isNaN(q) ? 0 : roundHalfEven(q)) + (zs ? zs[at[i]!]! : 0);
      out[i] = Math.min(Math.max(r, info.min), info.max);
    }
    return fromNumbers(opts.to, x.shape, out);
  }
  if (!info.isFloat) throw new Error(`quantize to ${opts.to} is not supported`);
  for (let i = 0; i < n; i++) out[i] = toPrecision(xs[i]! / ss[at[i]!]!) + (zs ? zs[at[i]!]! : 0);
  return fromNumbers(opts.to, x.shape, out, { saturate: opts.saturate });
}

/** ONNX DequantizeLinear: (x - zeroPoint) * scale as `to`. */
export function dequantize(x: Tensor, scale: Tensor, zeroPoint: Tensor | undefined, g: QuantGranularity, to: DType): Tensor {
  const n = sizeOf(x.shape);
  const at = scaleOffsets(x.shape, scale.shape, g);
  const xs = readNumbers(x);
  const ss = readNumbers(scale);
  const zs = zeroPoint ? readNumbers(zeroPoint) : undefined;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (xs[i]! - (zs ? zs[at[i]!]! : 0)) * ss[at[i]!]!;
  return fromNumbers(to, x.shape, out);
}
