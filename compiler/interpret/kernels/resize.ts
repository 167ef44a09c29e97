// ONNX Resize: nearest, (multi)linear and (multi)cubic interpolation, one axis at a time.
//
// This follows the ONNX reference implementation (onnx/reference/ops/op_resize.py), which is
// what the ONNX backend tests were generated with. Per axis and output index x:
//  1. the coordinate transform gives x_ori in input coordinates (from the axis's scale, its
//     float output width scale·in, and the roi for tf_crop_and_resize, which returns the
//     extrapolation value outside [0, in-1]);
//  2. x_ori = base + ratio with ratio in (0, 1] (an integer x_ori takes ratio 1 and the pixel
//     before it as base); the mode gives n coefficients for ratio (n even: 2 for nearest and
//     linear, 4 for cubic, more with antialias when downsampling) for the n pixels nearest
//     x_ori, base - n/2 + 1 .. base + n/2;
//  3. pixels outside the input read the edge pixel; with excludeOutside their coefficients
//     are zeroed and the rest renormalised.
// The reference interpolates innermost axes first and combines them along the outer ones;
// applying the per-axis weights in the same order (last axis first) is the same arithmetic.
// Values are f64 throughout and stored once, saturating like the reference's saturate_cast:
// integers round half to even and clamp to their range; floats clamp to their finite range.
// An axis whose size and scale are both unchanged (and whose transform is the identity) is
// copied as is.

import { DTYPES } from '../../ir/dtype.js';
import { fail } from '../../ir/types.js';
import { roundHalfEven, sizeOf, type Tensor } from '../tensor.js';
import { fromNumbers, readFloat64 } from './storage.js';

export type ResizeMode = 'nearest' | 'linear' | 'cubic';
export type CoordinateTransformation =
  | 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_crop_and_resize' | 'tf_half_pixel_for_nn';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export interface ResizeParams {
  readonly mode: ResizeMode;
  /** Per axis: the scale the coordinate transforms use. */
  readonly scales: readonly number[];
  readonly coordinateTransformation: CoordinateTransformation;
  readonly nearestMode: NearestMode;
  readonly cubicCoeffA: number;
  readonly excludeOutside: boolean;
  readonly extrapolationValue: number;
  readonly antialias: boolean;
  /** Starts per axis, then ends (only tf_crop_and_resize reads it). */
  readonly roi: readonly number[];
}

// ---- coefficients for ratio in (0, 1] (the reference's _*_coeffs) ----

function nearestCoeffs(ratio: number, mode: NearestMode): number[] {
  if (ratio === 1) return [0, 1];
  switch (mode) {
    case 'round_prefer_floor': return ratio <= 0.5 ? [1, 0] : [0, 1];
    case 'round_prefer_ceil': return ratio < 0.5 ? [1, 0] : [0, 1];
    case 'floor': return [1, 0];
    case 'ceil': return [0, 1];
  }
}

function linearCoeffs(ratio: number): number[] {
  return [1 - ratio, ratio];
}

function linearCoeffsAntialias(ratio: number, scale: number): number[] {
  const s = Math.min(scale, 1);
  const start = Math.floor(-1 / s) + 1;
  const footprint = 2 - 2 * start;
  const coeffs: number[] = [];
  for (let i = start; i < start + footprint; i++) coeffs.push(Math.min(Math.max(1 - Math.abs((i - ratio) * s), 0), 1));
  return normalised(coeffs);
}

function cubicCoeffs(ratio: number, A: number): number[] {
  const r = ratio, q = 1 - ratio;
  return [
    ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
    ((A + 2) * r - (A + 3)) * r * r + 1,
    ((A + 2) * q - (A + 3)) * q * q + 1,
    ((A * (q + 1) - 5 * A) * (q + 1) + 8 * A) * (q + 1) - 4 * A,
  ];
}

function cubicKernel(x: number, A: number): number {
  const t = Math.abs(x), t2 = t * t, t3 = t * t2;
  if (t <= 1) return (A + 2) * t3 - (A + 3) * t2 + 1;
  if (t < 2) return A * t3 - 5 * A * t2 + 8 * A * t - 4 * A;
  return 0;
}

function cubicCoeffsAntialias(ratio: number, scale: number, A: number): number[] {
  const s = Math.min(scale, 1);
  const start = Math.floor(-2 / s) + 1;
  const coeffs: number[] = [];
  for (let i = start; i < 2 - start; i++) coeffs.push(cubicKernel(s * (i - ratio), A));
  return normalised(coeffs);
}

function normalised(coeffs: number[]): number[] {
  let sum = 0;
  for (const c of coeffs) sum += c;
  return coeffs.map((c) => c / sum);
}

function coefficients(ratio: number, scale: number, p: ResizeParams): number[] {
  switch (p.mode) {
    case 'nearest': return nearestCoeffs(ratio, p.nearestMode);
    case 'linear': return p.antialias ? linearCoeffsAntialias(ratio, scale) : linearCoeffs(ratio);
    case 'cubic': return p.antialias ? cubicCoeffsAntialias(ratio, scale, p.cubicCoeffA) : cubicCoeffs(ratio, p.cubicCoeffA);
  }
}

/** Input coordinate of output index x, or undefined where tf_crop_and_resize extrapolates. */
export function sourceCoordinate(
  x: number, input: number, output: number, scale: number, transform: CoordinateTransformation, roiStart: number, roiEnd: number,
): number | undefined {
  const outputWidth = scale * input;
  switch (transform) {
    case 'align_corners': return outputWidth === 1 ? 0 : (x * (input - 1)) / (outputWidth - 1);
    case 'asymmetric': return x / scale;
    case 'tf_crop_and_resize': {
      const span = roiEnd - roiStart;
      const xo = (outputWidth === 1 ? (span * (input - 1)) / 2 : (x * span * (input - 1)) / (outputWidth - 1)) + roiStart * (input - 1);
      return xo < 0 || xo > input - 1 ? undefined : xo;
    }
    case 'pytorch_half_pixel': return outputWidth === 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = output / outputWidth;
      const offset = (input / 2) * (1 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case 'tf_half_pixel_for_nn': return (x + 0.5) / scale;
  }
}

/** The interpolation of one axis: per output index, `taps` input indices and weights, or the extrapolation value. */
export interface AxisWeights {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float64Array;
  /** 1 where the output takes the extrapolation value. */
  readonly outside: Uint8Array;
}

export function axisWeights(input: number, output: number, axis: number, p: ResizeParams): AxisWeights {
  const rank = p.scales.length;
  const scale = p.scales[axis]!;
  const rows: { index: number[]; weight: number[] }[] = [];
  const outside = new Uint8Array(output);
  let taps = 0;
  for (let x = 0; x < output; x++) {
    const xo = sourceCoordinate(x, input, output, scale, p.coordinateTransformation, p.roi[axis] ?? 0, p.roi[rank + axis] ?? 1);
    if (xo === undefined) {
      outside[x] = 1;
      rows.push({ index: [], weight: [] });
      continue;
    }
    const floor = Math.floor(xo);
    const ratio = xo === floor ? 1 : xo - floor;
    const weight = coefficients(ratio, scale, p);
    const n = weight.length, half = n / 2;
    // The n pixels nearest x_ori in the input edge-padded by n/2 on each side, ties to the
    // lower one, found as the reference does: from x_ori + n/2 in padded coordinates (that
    // sum rounds, which can move the window off base - n/2 + 1 at a knife edge).
    const xp = xo + half;
    const first = Number.isInteger(xp) ? xp - half : Math.floor(xp) - half + 1;
    const start = Math.min(Math.max(first, 0), input) - half;
    const index: number[] = [];
    let kept = 0;
    for (let t = 0; t < n; t++) {
      const i = start + t;
      if (p.excludeOutside && (i < 0 || i >= input)) weight[t] = 0;
      kept += weight[t]!;
      index.push(Math.min(Math.max(i, 0), input - 1));
    }
    if (p.excludeOutside) for (let t = 0; t < n; t++) weight[t] = weight[t]! / kept;
    taps = Math.max(taps, n);
    rows.push({ index, weight });
  }
  const index = new Int32Array(output * taps), weight = new Float64Array(output * taps);
  rows.forEach((r, x) => {
    r.index.forEach((i, t) => (index[x * taps + t] = i));
    r.weight.forEach((w, t) => (weight[x * taps + t] = w));
  });
  return { taps, index, weight, outside };
}

/** Whether resizing this axis is the identity (same size and scale, identity transform). */
function isIdentityAxis(input: number, output: number, axis: number, p: ResizeParams): boolean {
  if (input !== output || p.scales[axis] !== 1) return false;
  if (p.coordinateTransformation === 'tf_half_pixel_for_nn') return false;
  if (p.coordinateTransformation === 'tf_crop_and_resize') return p.roi[axis] === 0 && p.roi[p.scales.length + axis] === 1;
  return true;
}

export function resize(x: Tensor, outShape: readonly number[], p: ResizeParams): Tensor {
  const rank = x.shape.length;
  if (outShape.length !== rank || p.scales.length !== rank) throw new Error(`resize: sizes and scales must have ${rank} values`);
  if (sizeOf(outShape) === 0) return fromNumbers(x.dtype, outShape, []);
  let shape = [...x.shape];
  let values = readFloat64(x);
  for (let axis = rank - 1; axis >= 0; axis--) {
    const input = shape[axis]!, output = outShape[axis]!;
    if (isIdentityAxis(input, output, axis, p)) continue;
    if (input === 0 && output > 0) fail('shapeMismatch', `resize cannot interpolate axis ${axis} of size 0 to size ${output}`);
    const w = axisWeights(input, output, axis, p);
    let outer = 1, inner = 1;
    for (let a = 0; a < axis; a++) outer *= shape[a]!;
    for (let a = axis + 1; a < rank; a++) inner *= shape[a]!;
    const next = new Float64Array(outer * output * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < output; j++) {
        const dst = (o * output + j) * inner;
        if (w.outside[j]) {
          next.fill(p.extrapolationValue, dst, dst + inner);
          continue;
        }
        for (let t = 0; t < w.taps; t++) {
          const c = w.weight[j * w.taps + t]!;
          const src = (o * input + w.index[j * w.taps + t]!) * inner;
          for (let i = 0; i < inner; i++) next[dst + i]! += c * values[src + i]!;
        }
      }
    }
    values = next;
    shape[axis] = output;
  }
  shape = [...outShape];
  return fromNumbers(x.dtype, shape, saturated(x.dtype, values));
}

/** The reference's saturate_cast: integers round half to even; everything clamps to the dtype's range. */
function saturated(dtype: Tensor['dtype'], values: Float64Array): Float64Array {
  const info = DTYPES[dtype];
  if (dtype === 'bool' || dtype === 'f64') return values;
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    if (v !== v) continue;
    if (info.isInt) v = roundHalfEven(v);
    values[i] = Math.min(Math.max(v, info.min), info.max);
  }
  return values;
}
