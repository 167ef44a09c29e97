// Python slice semantics on symbolic dims, for `x[a:b:c]`, `x[i]` and `slice(...)`. The IR's
// slice takes a start and a count per axis, already clamped, so the clamping happens here:
// negative constants count from the end, and constant bounds are clamped to a constant axis
// size. A symbolic bound (`x[:, :Dh]`) is taken as given, i.e. assumed within the axis.

import { addDim, ceilDivDim, constDim, constValue, dimEquals, subDim, type Dim } from '../compiler/ir/dim.js';

export interface AxisSlice {
  readonly start: Dim;
  readonly count: Dim;
  readonly step: number;
}

/** A bound in [0, size]: negative constants from the end, constants clamped to a known size. */
function clampBound(v: Dim, size: Dim, low: number, high: Dim): Dim {
  const c = constValue(v);
  if (c === undefined) return v;
  const n = constValue(size);
  if (c < 0) {
    if (n === undefined) return addDim(size, c);
    return constDim(Math.max(low, n + c));
  }
  const h = constValue(high);
  return h !== undefined && c > h ? high : v;
}

/**
 * `start:end:step` along an axis of `size`; undefined bounds take Python's defaults.
 * `step` must be non-zero (the caller reports zero).
 */
export function sliceAxis(size: Dim, start: Dim | undefined, end: Dim | undefined, step: number): AxisSlice {
  if (step > 0) {
    const s = start === undefined ? constDim(0) : clampBound(start, size, 0, size);
    const e = end === undefined ? size : clampBound(end, size, 0, size);
    return { start: s, count: nonNegative(ceilDivDim(subDim(e, s), step)), step };
  }
  // Negative step: from start down to (not including) end; end "before 0" is -1 here.
  const last = subDim(size, 1);
  const s = start === undefined ? last : clampBound(start, size, -1, last);
  const e = end === undefined ? constDim(-1) : clampBound(end, size, -1, last);
  return { start: s, count: nonNegative(ceilDivDim(subDim(s, e), -step)), step };
}

function nonNegative(d: Dim): Dim {
  const c = constValue(d);
  return c !== undefined && c < 0 ? constDim(0) : d;
}

/** Whether a slice keeps the whole axis as it is. */
export function isWholeAxis(size: Dim, s: AxisSlice): boolean {
  return s.step === 1 && constValue(s.start) === 0 && dimEquals(s.count, size);
}

/**
 * An integer index along an axis of `size`: negative constants count from the end. Returns
 * undefined when a constant index is out of range of a constant size.
 */
export function indexAxis(size: Dim, index: Dim): Dim | undefined {
  const c = constValue(index);
  const n = constValue(size);
  if (c === undefined) return index;
  if (n !== undefined && (c >= n || c < -n)) return undefined;
  return c < 0 ? addDim(size, c) : index;
}
