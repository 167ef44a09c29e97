// Convolution and transposed convolution over 1, 2 or 3 spatial axes, NC + spatial layout.
//
// conv unfolds a block of output rows of the input (one row per channel and kernel tap, zeros
// in the padding) and multiplies it by the weights, so the innermost loop is a long multiply-
// add over contiguous memory; conv_transpose scatters each kernel tap's weight times an input
// row into the output. Nothing is allocated per element. Sums accumulate in f64 (bias first,
// then the taps in channel, kernel-depth, -height, -width order) and round once on store.
// 1-D and 2-D ops run as 3-D ones with leading unit axes.

import { fail } from '../../ir/types.js';
import type { Tensor } from '../tensor.js';
import { fromNumbers, readFloat64 } from './storage.js';

/** Elements of the unfolded-input block conv works on (512 KiB of f64, so it stays in cache); at least one output row. */
const COLUMN_BLOCK = 1 << 16;

export interface ConvParams {
  readonly strides: readonly number[];
  /** Begin values per spatial axis, then end values. */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly group: number;
}

export interface ConvTransposeParams extends ConvParams {
  readonly outputPadding: readonly number[];
}

/** Output size of a convolution (or pooling window sweep) along one axis, floor rounding. */
export function convOutputSize(input: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number): number {
  return Math.floor((input + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Output size of a transposed convolution along one axis. */
export function convTransposeOutputSize(
  input: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, outputPadding: number,
): number {
  return stride * (input - 1) + outputPadding + dilation * (kernel - 1) + 1 - padBegin - padEnd;
}

/** Per spatial axis values as three axes (depth, height, width), filling the leading ones. */
export function lift3(values: readonly number[], fill: number): [number, number, number] {
  const n = values.length;
  if (n > 3) throw new Error(`spatial ops support 1 to 3 spatial axes, got ${n}`);
  const out: [number, number, number] = [fill, fill, fill];
  for (let i = 0; i < n; i++) out[3 - n + i] = values[i]!;
  return out;
}

/** The first and last output index o with 0 <= o*stride + offset < size, clipped to [0, count). */
export function validRange(offset: number, stride: number, size: number, count: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-offset / stride));
  const hi = Math.min(count - 1, Math.floor((size - 1 - offset) / stride));
  return [lo, hi];
}

function checkSpatial(op: string, x: Tensor, w: Tensor, p: ConvParams): number {
  const n = x.shape.length - 2;
  if (n < 1 || n > 3 || w.shape.length !== n + 2) throw new Error(`${op}: x [${x.shape.join(', ')}] and w [${w.shape.join(', ')}] need 1 to 3 spatial axes`);
  if (p.strides.length !== n || p.dilations.length !== n || p.pads.length !== 2 * n) throw new Error(`${op}: strides, dilations and pads must match ${n} spatial axes`);
  return n;
}

function biasValues(bias: Tensor | undefined, channels: number): Float64Array | undefined {
  if (!bias) return undefined;
  if (bias.data.length !== channels) fail('shapeMismatch', `bias has ${bias.data.length} values for ${channels} output channels`);
  return readFloat64(bias);
}

/**
 * y[n, m, o] = bias[m] + Σ_{c, k} x[n, g·C/group + c, o·stride - pad + k·dilation] · w[m, c, k]
 * with g = m / (M/group); taps outside x read zero.
 */
export function conv(x: Tensor, w: Tensor, bias: Tensor | undefined, p: ConvParams): Tensor {
  const n = checkSpatial('conv', x, w, p);
  const [N, C] = x.shape as [number, number];
  const [M, Cg] = w.shape as [number, number];
  const group = p.group;
  if (Cg * group !== C || M % group !== 0) fail('shapeMismatch', `conv with group ${group}: x has ${C} channels and w is [${w.shape.join(', ')}]`);
  const inSp = x.shape.slice(2), kSp = w.shape.slice(2);
  const outSp = inSp.map((d, i) => convOutputSize(d, kSp[i]!, p.strides[i]!, p.pads[i]!, p.pads[n + i]!, p.dilations[i]!));
  if (outSp.some((d) => d < 0)) fail('shapeMismatch', `conv output would have size [${outSp.join(', ')}]`);
  if (N * M * outSp.reduce((a, b) => a * b, 1) === 0) return fromNumbers(x.dtype, [N, M, ...outSp], []);
  const [ID, IH, IW] = lift3(inSp, 1), [KD, KH, KW] = lift3(kSp, 1), [OD, OH, OW] = lift3(outSp, 1);
  const [sd, sh, sw] = lift3(p.strides, 1), [dd, dh, dw] = lift3(p.dilations, 1);
  const [pd, ph, pw] = lift3(p.pads.slice(0, n), 0);
  const X = readFloat64(x), W = readFloat64(w), B = biasValues(bias, M);
  const inSize = ID * IH * IW, kSize = KD * KH * KW, outSize = OD * OH * OW;
  const out = new Float64Array(N * M * outSize);
  if (B) for (let bm = 0; bm < N * M; bm++) out.fill(B[bm % M]!, bm * outSize, (bm + 1) * outSize);
  const mPerGroup = M / group;
  // Rows of the unfolded input: one per (channel, kd, kh, kw) tap, over a block of output rows.
  const taps = Cg * kSize;
  const outRows = OD * OH;
  const blockRows = Math.max(1, Math.min(outRows, Math.floor(COLUMN_BLOCK / Math.max(1, taps * OW))));
  const col = new Float64Array(taps * blockRows * OW);

  for (let b = 0; b < N; b++) {
    for (let g = 0; g < group; g++) {
      for (let row0 = 0; row0 < outRows; row0 += blockRows) {
        const rows = Math.min(blockRows, outRows - row0);
        const width = rows * OW;
        // Unfold: col[tap, (row, ow)] = x at the tap's position for that output, or 0 in the padding.
        for (let c = 0; c < Cg; c++) {
          const xBase = (b * C + g * Cg + c) * inSize;
          for (let kd = 0; kd < KD; kd++) {
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const tapRow = ((c * KD + kd) * KH + kh) * KW + kw;
                const offW = kw * dw - pw;
                const [ow0, ow1] = validRange(offW, sw, IW, OW);
                for (let r = 0; r < rows; r++) {
                  const od = Math.floor((row0 + r) / OH), oh = row0 + r - od * OH;
                  const id = od * sd + kd * dd - pd, ih = oh * sh + kh * dh - ph;
                  const dst = tapRow * width + r * OW;
                  if (id < 0 || id >= ID || ih < 0 || ih >= IH || ow0 > ow1) {
                    col.fill(0, dst, dst + OW);
                    continue;
                  }
                  const xRow = xBase + (id * IH + ih) * IW + offW;
                  col.fill(0, dst, dst + ow0);
                  for (let ow = ow0; ow <= ow1; ow++) col[dst + ow] = X[xRow + ow * sw]!;
                  col.fill(0, dst + ow1 + 1, dst + OW);
                }
              }
            }
          }
        }
        // out[m, block] += w[m, tap] · col[tap, block], taps in order; two output channels
        // per pass over col.
        for (let mg = 0; mg < mPerGroup; mg += 2) {
          const m = g * mPerGroup + mg;
          const o = (b * M + m) * outSize + row0 * OW;
          const wRow = m * taps;
          if (mg + 1 < mPerGroup) {
            const o2 = o + outSize, wRow2 = wRow + taps;
            for (let t = 0; t < taps; t++) {
              const wv = W[wRow + t]!, wv2 = W[wRow2 + t]!;
              const src = t * width;
              for (let q = 0; q < width; q++) {
                const v = col[src + q]!;
                out[o + q]! += wv * v;
                out[o2 + q]! += wv2 * v;
              }
            }
            continue;
          }
          for (let t = 0; t < taps; t++) {
            const wv = W[wRow + t]!;
            const src = t * width;
            for (let q = 0; q < width; q++) out[o + q]! += wv * col[src + q]!;
          }
        }
      }
    }
  }
  return fromNumbers(x.dtype, [N, M, ...outSp], out);
}

/**
 * The transpose (gradient) of conv: each input element scatters x[n, c, i] · w[c, m, k] to
 * y[n, g·M/group + m, i·stride - pad + k·dilation], g = c / (C/group); positions outside y
 * are dropped. y starts as the bias.
 */
export function convTranspose(x: Tensor, w: Tensor, bias: Tensor | undefined, p: ConvTransposeParams): Tensor {
  const n = checkSpatial('conv_transpose', x, w, p);
  if (p.outputPadding.length !== n) throw new Error(`conv_transpose: outputPadding must match ${n} spatial axes`);
  const [N, C] = x.shape as [number, number];
  const [Cw, Mg] = w.shape as [number, number];
  const group = p.group;
  if (Cw !== C || C % group !== 0) fail('shapeMismatch', `conv_transpose with group ${group}: x has ${C} channels and w is [${w.shape.join(', ')}]`);
  const M = Mg * group, Cg = C / group;
  const inSp = x.shape.slice(2), kSp = w.shape.slice(2);
  const outSp = inSp.map((d, i) => convTransposeOutputSize(d, kSp[i]!, p.strides[i]!, p.pads[i]!, p.pads[n + i]!, p.dilations[i]!, p.outputPadding[i]!));
  if (outSp.some((d) => d < 0)) fail('shapeMismatch', `conv_transpose output would have size [${outSp.join(', ')}]`);
  if (N * M * outSp.reduce((a, b) => a * b, 1) === 0) return fromNumbers(x.dtype, [N, M, ...outSp], []);
  const [ID, IH, IW] = lift3(inSp, 1), [KD, KH, KW] = lift3(kSp, 1), [OD, OH, OW] = lift3(outSp, 1);
  const [sd, sh, sw] = lift3(p.strides, 1), [dd, dh, dw] = lift3(p.dilations, 1);
  const [pd, ph, pw] = lift3(p.pads.slice(0, n), 0);
  const X = readFloat64(x), W = readFloat64(w), B = biasValues(bias, M);
  const inSize = ID * IH * IW, kSize = KD * KH * KW, outSize = OD * OH * OW;
  const out = new Float64Array(N * M * outSize);

  for (let b = 0; b < N; b++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg), mg = m - g * Mg;
      const oBase = (b * M + m) * outSize;
      if (B) out.fill(B[m]!, oBase, oBase + outSize);
      for (let c = 0; c < Cg; c++) {
        const ci = g * Cg + c;
        const xBase = (b * C + ci) * inSize;
        const wBase = (ci * Mg + mg) * kSize;
        for (let kd = 0; kd < KD; kd++) {
          const offD = kd * dd - pd;
          const [id0, id1] = validRange(offD, sd, OD, ID);
          for (let kh = 0; kh < KH; kh++) {
            const offH = kh * dh - ph;
            const [ih0, ih1] = validRange(offH, sh, OH, IH);
            for (let kw = 0; kw < KW; kw++) {
              const offW = kw * dw - pw;
              const [iw0, iw1] = validRange(offW, sw, OW, IW);
              if (iw0 > iw1) continue;
              const wv = W[wBase + (kd * KH + kh) * KW + kw]!;
              for (let id = id0; id <= id1; id++) {
                const od = id * sd + offD;
                for (let ih = ih0; ih <= ih1; ih++) {
                  const oh = ih * sh + offH;
                  const xRow = xBase + (id * IH + ih) * IW;
                  const oRow = oBase + (od * OH + oh) * OW + offW;
                  for (let iw = iw0; iw <= iw1; iw++) out[oRow + iw * sw]! += wv * X[xRow + iw]!;
                }
              }
            }
          }
        }
      }
    }
  }
  return fromNumbers(x.dtype, [N, M, ...outSp], out);
}
