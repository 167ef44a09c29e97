// Shapes, strides and offset tables. Kernels never walk a multi-index per element: they ask
// for an offset table (`stridedOffsets`, `broadcastOffsets`) that maps each output element, in
// row-major order, to the flat position it reads in an input. One Int32Array per input, filled
// by an odometer that touches only the dims that carry.

/** NumPy broadcasting of two shapes (aligned at the right; a dim of 1 stretches). */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Row-major (C-contiguous) strides, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * Strides for reading a contiguous tensor of `inShape` as if it had `outShape`: aligned at the
 * right, 0 for dims that are broadcast (size 1 in the input, or missing). Throws when
 * `inShape` does not broadcast to `outShape`.
 */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const lead = outShape.length - inShape.length;
  if (lead < 0) throw new Error(`cannot broadcast [${inShape.join(', ')}] to lower rank [${outShape.join(', ')}]`);
  const inStrides = contiguousStrides(inShape);
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const d = inShape[i]!;
    if (d === outShape[lead + i]) out[lead + i] = d === 1 ? 0 : inStrides[i]!;
    else if (d !== 1) throw new Error(`cannot broadcast [${inShape.join(', ')}] to [${outShape.join(', ')}]`);
  }
  return out;
}

/**
 * For every element of `shape` in row-major order, the flat offset `offset + Σ index[d] ·
 * strides[d]`. This one table serves transposes, slices (negative strides included) and
 * broadcasts (zero strides).
 */
export function stridedOffsets(shape: readonly number[], strides: readonly number[], offset = 0): Int32Array {
  const rank = shape.length;
  if (strides.length !== rank) throw new Error(`stridedOffsets: ${strides.length} strides for rank ${rank}`);
  let n = 1;
  for (const d of shape) n *= d;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const inner = rank > 0 ? shape[rank - 1]! : 1;
  const innerStride = rank > 0 ? strides[rank - 1]! : 0;
  const index = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = base + j * innerStride;
    // Advance the odometer over the outer dims, innermost first.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      base += strides[d]!;
      if (index[d]! < shape[d]!) break;
      base -= index[d]! * strides[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/** Offsets into a contiguous tensor of `inShape` read broadcast to `outShape`. */
export function broadcastOffsets(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  return stridedOffsets(outShape, broadcastStrides(inShape, outShape));
}

/** Throws unless `axis` is a valid non-negative axis of a rank-`rank` tensor. */
export function checkAxis(axis: number, rank: number, what: string): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new Error(`${what}: axis ${axis} is out of range for rank ${rank} (axes must be normalized)`);
  }
}
