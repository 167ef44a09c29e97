// Max and average pooling over 1, 2 or 3 spatial axes, NC + spatial layout, and the flat index
// of each maximum (ONNX MaxPool's Indices).
//
// Window o along an axis covers positions o·stride - padBegin + k·dilation, k < kernel;
// positions outside the input are padding. max skips padding and NaN taps (a window with
// nothing else gives NaN) and keeps the first of equal maxima. avg sums in f64 and divides by
// the count of input taps, or with countIncludePad by the count of taps inside the padded
// input [-padBegin, in + padEnd) (ceil mode's extra last window does not count the taps past
// the end padding).

import { fail } from '../../ir/types.js';
import type { Tensor } from '../tensor.js';
import { lift3 } from './conv.js';
import { fromNumbers, readFloat64 } from './storage.js';

export interface PoolParams {
  readonly kind: 'max' | 'avg' | 'max_index';
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  /** Begin values per spatial axis, then end values. */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  /** 0: indices row-major; 1: the spatial axes column-major (ONNX storage_order). */
  readonly storageOrder: number;
}

/**
 * Output size along one axis. In ceil mode the size rounds up, but a last window that would
 * start in the end padding is dropped (ONNX, after PyTorch).
 */
export function poolOutputSize(input: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceilMode: boolean): number {
  const span = input + padBegin + padEnd - (dilation * (kernel - 1) + 1);
  if (!ceilMode) return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  if ((out - 1) * stride >= input + padBegin) out--;
  return out;
}

/** Per axis and output index: the taps inside the input (count, first position), and the count inside the padded input. */
interface AxisWindows {
  readonly taps: Int32Array;
  readonly padded: Int32Array;
  /** Input position of the first tap inside the input. */
  readonly start: Int32Array;
}

/** The taps k < kernel with lo <= origin + k·dilation < hi: [first, count]. */
function tapsWithin(origin: number, kernel: number, dilation: number, lo: number, hi: number): [number, number] {
  const first = Math.max(0, Math.ceil((lo - origin) / dilation));
  const last = Math.min(kernel - 1, Math.floor((hi - 1 - origin) / dilation));
  return [first, Math.max(0, last - first + 1)];
}

function axisWindows(input: number, output: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number): AxisWindows {
  const taps = new Int32Array(output), padded = new Int32Array(output), start = new Int32Array(output);
  for (let o = 0; o < output; o++) {
    const origin = o * stride - padBegin;
    const [first, count] = tapsWithin(origin, kernel, dilation, 0, input);
    taps[o] = count;
    start[o] = origin + first * dilation;
    padded[o] = tapsWithin(origin, kernel, dilation, -padBegin, input + padEnd)[1];
  }
  return { taps, padded, start };
}

export function pool(x: Tensor, p: PoolParams): Tensor {
  const n = x.shape.length - 2;
  if (n < 1 || n > 3) throw new Error(`pool: x [${x.shape.join(', ')}] needs 1 to 3 spatial axes`);
  if (p.kernel.length !== n || p.strides.length !== n || p.dilations.length !== n || p.pads.length !== 2 * n) {
    throw new Error(`pool: kernel, strides, dilations and pads must match ${n} spatial axes`);
  }
  const [N, C] = x.shape as [number, number];
  const inSp = x.shape.slice(2);
  const outSp = inSp.map((d, i) => poolOutputSize(d, p.kernel[i]!, p.strides[i]!, p.pads[i]!, p.pads[n + i]!, p.dilations[i]!, p.ceilMode));
  if (outSp.some((d) => d < 0)) fail('shapeMismatch', `pooling output would have size [${outSp.join(', ')}]`);
  const dtype = p.kind === 'max_index' ? 'i64' : x.dtype;
  if (N * C * outSp.reduce((a, b) => a * b, 1) === 0) return fromNumbers(dtype, [N, C, ...outSp], []);
  const ins = lift3(inSp, 1), outs = lift3(outSp, 1), ks = lift3(p.kernel, 1), ss = lift3(p.strides, 1), ds = lift3(p.dilations, 1);
  const pb = lift3(p.pads.slice(0, n), 0), pe = lift3(p.pads.slice(n), 0);
  const axes = [0, 1, 2].map((a) => axisWindows(ins[a]!, outs[a]!, ks[a]!, ss[a]!, pb[a]!, pe[a]!, ds[a]!));
  const [ID, IH, IW] = ins, [OD, OH, OW] = outs;
  const [dd, dh, dw] = ds;
  const [wd, wh, ww] = axes as [AxisWindows, AxisWindows, AxisWindows];
  const X = readFloat64(x);
  const inSize = ID * IH * IW, outSize = OD * OH * OW;
  const out = new Float64Array(N * C * outSize);
  // Strides of the index output: row-major over (d, h, w), or column-major over the spatial axes.
  const columnMajor = p.storageOrder === 1;
  const [id0, ih0, iw0] = columnMajor ? lift3(n === 1 ? [1] : n === 2 ? [1, IH] : [1, ID, ID * IH], 0) : [IH * IW, IW, 1];

  for (let plane = 0; plane < N * C; plane++) {
    const xBase = plane * inSize, oBase = plane * outSize;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const o = oBase + (od * OH + oh) * OW + ow;
          const td = wd.taps[od]!, th = wh.taps[oh]!, tw = ww.taps[ow]!;
          if (p.kind === 'avg') {
            let sum = 0;
            for (let a = 0, d = wd.start[od]!; a < td; a++, d += dd) {
              for (let b = 0, h = wh.start[oh]!; b < th; b++, h += dh) {
                const row = xBase + (d * IH + h) * IW;
                for (let c = 0, w = ww.start[ow]!; c < tw; c++, w += dw) sum += X[row + w]!;
              }
            }
            const count = p.countIncludePad ? wd.padded[od]! * wh.padded[oh]! * ww.padded[ow]! : td * th * tw;
            out[o] = sum / count;
            continue;
          }
          let best = NaN, bestAt = -1;
          for (let a = 0, d = wd.start[od]!; a < td; a++, d += dd) {
            for (let b = 0, h = wh.start[oh]!; b < th; b++, h += dh) {
              const row = xBase + (d * IH + h) * IW;
              for (let c = 0, w = ww.start[ow]!; c < tw; c++, w += dw) {
                const v = X[row + w]!;
                if (v > best || (bestAt < 0 && v === v)) {
                  best = v;
                  bestAt = d * id0 + h * ih0 + w * iw0;
                }
              }
            }
          }
          out[o] = p.kind === 'max' ? best : bestAt < 0 ? -1 : plane * inSize + bestAt;
        }
      }
    }
  }
  return fromNumbers(dtype, [N, C, ...outSp], out);
}
