// Padding with a constant, by reflection, by the edge value or by wrapping around; negative
// pads crop. Elements move untouched (i64 and u64 exact); only the constant fill is stored.
//
// Per axis, cropping comes first; then output position j (relative to the cropped data of
// length L) reads: constant — the data when 0 <= j < L, else the fill; edge — clamp(j, 0, L-1);
// reflect — j mirrored about the end elements without repeating them (period 2(L-1), as NumPy's
// 'reflect', so pads longer than the data keep reflecting; L = 1 repeats the one element);
// wrap — j mod L (NumPy's 'wrap').

import { fail } from '../../ir/types.js';
import { allocData, isBigIntData, sizeOf, type BigIntData, type NumberData, type Tensor } from '../tensor.js';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** The kept (cropped) length of an axis; fails when the pads crop more than it has. */
function keptLength(size: number, padBegin: number, padEnd: number): number {
  const kept = size - Math.max(0, -padBegin) - Math.max(0, -padEnd);
  if (kept < 0 || size + padBegin + padEnd < 0) fail('shapeMismatch', `pads ${padBegin} and ${padEnd} crop more than the axis size ${size}`);
  return kept;
}

/** Source index along one axis for each output position, or -1 for the fill. */
function axisSources(size: number, padBegin: number, padEnd: number, mode: PadMode): Int32Array {
  const cropBegin = Math.max(0, -padBegin);
  const kept = keptLength(size, padBegin, padEnd);
  const before = Math.max(0, padBegin);
  const length = size + padBegin + padEnd;
  const out = new Int32Array(length);
  if (kept === 0 && mode !== 'constant' && length > 0) fail('shapeMismatch', `${mode} padding needs a non-empty axis`);
  for (let o = 0; o < length; o++) {
    const j = o - before;
    let k: number;
    if (j >= 0 && j < kept) k = j;
    else if (mode === 'constant') k = -1;
    else if (mode === 'edge') k = j < 0 ? 0 : kept - 1;
    else if (mode === 'wrap') k = ((j % kept) + kept) % kept;
    else if (kept === 1) k = 0;
    else {
      const period = 2 * (kept - 1);
      const r = ((j % period) + period) % period;
      k = r < kept ? r : period - r;
    }
    out[o] = k < 0 ? -1 : k + cropBegin;
  }
  return out;
}

/**
 * Pads (or crops) `x`: `pads` holds the begin value per axis, then the end value. `fill` is a
 * one-element tensor of x's dtype (constant mode; zero when undefined).
 */
export function pad(x: Tensor, pads: readonly number[], mode: PadMode, fill?: Tensor): Tensor {
  const rank = x.shape.length;
  if (pads.length !== 2 * rank) throw new Error(`pad: ${pads.length} pads for rank ${rank}`);
  if (fill && (fill.dtype !== x.dtype || fill.data.length !== 1)) throw new Error('pad: the fill must be one element of the data dtype');
  x.shape.forEach((d, a) => keptLength(d, pads[a]!, pads[rank + a]!));
  const shape = x.shape.map((d, a) => d + pads[a]! + pads[rank + a]!);
  const total = sizeOf(shape);
  const data = allocData(x.dtype, total);
  if (total === 0) return { dtype: x.dtype, shape, data };
  const sources = x.shape.map((d, a) => axisSources(d, pads[a]!, pads[rank + a]!, mode));
  // Source element offsets per axis (index · stride), -1 for the fill.
  const strides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    strides[a] = s;
    s *= x.shape[a]!;
  }
  const offsets = sources.map((src, a) => src.map((k) => (k < 0 ? -1 : k * strides[a]!)));
  const src = x.data;
  const big = isBigIntData(src);
  const fillValue: number | bigint = fill ? fill.data[0]! : big ? 0n : 0;
  if (rank === 0) {
    (data as NumberData)[0] = (src as NumberData)[0]!;
    return { dtype: x.dtype, shape, data };
  }
  const index = new Array<number>(rank).fill(0);
  const last = offsets[rank - 1]!;
  const rowLength = shape[rank - 1]!;
  for (let o = 0; o < total; o += rowLength) {
    let base = 0, isFill = false;
    for (let a = 0; a < rank - 1; a++) {
      const off = offsets[a]![index[a]!]!;
      if (off < 0) isFill = true;
      base += off;
    }
    if (big) {
      const d = data as BigIntData, s = src as BigIntData, f = fillValue as bigint;
      for (let j = 0; j < rowLength; j++) d[o + j] = isFill || last[j]! < 0 ? f : s[base + last[j]!]!;
    } else {
      const d = data as NumberData, s = src as NumberData, f = fillValue as number;
      for (let j = 0; j < rowLength; j++) d[o + j] = isFill || last[j]! < 0 ? f : s[base + last[j]!]!;
    }
    for (let a = rank - 2; a >= 0; a--) {
      if (++index[a]! < shape[a]!) break;
      index[a] = 0;
    }
  }
  return { dtype: x.dtype, shape, data };
}
