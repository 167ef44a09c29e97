// Softmax and the normalizations. All statistics are computed in f64 from the stored inputs
// and each output is rounded once on store.
//
// softmax/logSoftmax run along one axis and subtract the lane's max first, so large inputs do
// not overflow. They follow the plain formula, so a lane whose elements are all -inf gives NaN
// (attention handles fully masked rows itself). layerNorm and rmsNorm normalize over the
// trailing axes `axis..rank-1`; scale and bias broadcast against those trailing dims, and the
// variance is the biased (population) one, computed in two passes.

import { sizeOf, type Tensor } from '../tensor.js';
import { broadcastOffsets, checkAxis } from './broadcast.js';
import { fromNumbers, readNumbers } from './storage.js';

export function softmax(x: Tensor, axis: number): Tensor {
  return alongAxis(x, axis, 'softmax', softmaxLane);
}

export function logSoftmax(x: Tensor, axis: number): Tensor {
  return alongAxis(x, axis, 'logSoftmax', logSoftmaxLane);
}

/** Writes the transformed `lane` (a scratch copy of one lane) back into itself. */
type LaneFn = (lane: Float64Array) => void;

function softmaxLane(lane: Float64Array): void {
  const max = laneMax(lane);
  let sum = 0;
  for (let i = 0; i < lane.length; i++) {
    const e = Math.exp(lane[i]! - max);
    lane[i] = e;
    sum += e;
  }
  for (let i = 0; i < lane.length; i++) lane[i] = lane[i]! / sum;
}

function logSoftmaxLane(lane: Float64Array): void {
  const max = laneMax(lane);
  let sum = 0;
  for (let i = 0; i < lane.length; i++) sum += Math.exp(lane[i]! - max);
  const shift = max + Math.log(sum);
  for (let i = 0; i < lane.length; i++) lane[i] = lane[i]! - shift;
}

function laneMax(lane: Float64Array): number {
  let max = -Infinity;
  for (let i = 0; i < lane.length; i++) if (lane[i]! > max || lane[i] !== lane[i]) max = lane[i]!;
  return max;
}

function alongAxis(x: Tensor, axis: number, what: string, fn: LaneFn): Tensor {
  checkAxis(axis, x.shape.length, what);
  const len = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const src = readNumbers(x);
  const out = new Float64Array(src.length);
  const lane = new Float64Array(len);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      for (let i = 0; i < len; i++) lane[i] = src[base + i * inner]!;
      fn(lane);
      for (let i = 0; i < len; i++) out[base + i * inner] = lane[i]!;
    }
  }
  return fromNumbers(x.dtype, x.shape, out);
}

/** y = (x - mean) / sqrt(var + eps) · scale + bias over axes `axis..rank-1`. */
export function layerNorm(x: Tensor, scale: Tensor | undefined, bias: Tensor | undefined, axis: number, eps: number): Tensor {
  return normalizeRows(x, scale, bias, axis, eps, 'layerNorm', true);
}

/** y = x / sqrt(mean(x²) + eps) · scale over axes `axis..rank-1`. */
export function rmsNorm(x: Tensor, scale: Tensor | undefined, axis: number, eps: number): Tensor {
  return normalizeRows(x, scale, undefined, axis, eps, 'rmsNorm', false);
}

function normalizeRows(
  x: Tensor, scale: Tensor | undefined, bias: Tensor | undefined, axis: number, eps: number, what: string, center: boolean,
): Tensor {
  checkAxis(axis, x.shape.length, what);
  const trailing = x.shape.slice(axis);
  const width = sizeOf(trailing);
  const rows = sizeOf(x.shape.slice(0, axis));
  const src = readNumbers(x);
  const s = scale && readNumbers(scale);
  const b = bias && readNumbers(bias);
  const sOff = scale && broadcastOffsets(scale.shape, trailing);
  const bOff = bias && broadcastOffsets(bias.shape, trailing);
  const out = new Float64Array(src.length);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let mean = 0;
    if (center) {
      for (let i = 0; i < width; i++) mean += src[base + i]!;
      mean /= width;
    }
    let sq = 0;
    for (let i = 0; i < width; i++) {
      const d = src[base + i]! - mean;
      sq += d * d;
    }
    const inv = 1 / Math.sqrt(sq / width + eps);
    for (let i = 0; i < width; i++) {
      let y = (src[base + i]! - mean) * inv;
      if (s) y *= s[sOff![i]!]!;
      if (b) y += b[bOff![i]!]!;
      out[base + i] = y;
    }
  }
  return fromNumbers(x.dtype, x.shape, out);
}
