// Layout kernels: they move stored elements without arithmetic, so every dtype (i64
// included) passes through exactly. Axes are normalized (non-negative) by the caller.
// reshape, squeeze and unsqueeze share the input's data array (tensors are never mutated);
// the others return fresh arrays.

import { allocData, sizeOf, type Tensor } from '../tensor.js';
import { broadcastOffsets, checkAxis, contiguousStrides, stridedOffsets } from './broadcast.js';
import { copyElements, readNumbers, takeElements } from './storage.js';
// Data-dependent user errors (found only at run time) are ShapeErrors, so the interpreter
// reports them as diagnostics at the op's source span.
import { fail } from '../../ir/types.js';

/** The same elements under a new shape of equal size (no -1 placeholders). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new Error(`reshape: bad dim ${d} in [${shape.join(', ')}]`);
  if (sizeOf(shape) !== x.data.length) {
    throw new Error(`reshape: cannot view [${x.shape.join(', ')}] (${x.data.length} elements) as [${shape.join(', ')}]`);
  }
  return { dtype: x.dtype, shape: [...shape], data: x.data };
}

/** Removes the listed size-1 axes, or every size-1 axis when `axes` is omitted. */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const rank = x.shape.length;
  const drop = new Array<boolean>(rank).fill(false);
  if (axes === undefined) {
    x.shape.forEach((d, i) => (drop[i] = d === 1));
  } else {
    for (const a of axes) {
      checkAxis(a, rank, 'squeeze');
      if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of [${x.shape.join(', ')}] is not 1`);
      drop[a] = true;
    }
  }
  return reshape(x, x.shape.filter((_, i) => !drop[i]));
}

/** Inserts size-1 axes; `axes` are positions in the result (rank + axes.length), distinct. */
export function unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.shape.length + axes.length;
  const inserted = new Array<boolean>(rank).fill(false);
  for (const a of axes) {
    checkAxis(a, rank, 'unsqueeze');
    if (inserted[a]) throw new Error(`unsqueeze: axis ${a} listed twice`);
    inserted[a] = true;
  }
  const shape: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) shape.push(inserted[i] ? 1 : x.shape[next++]!);
  return reshape(x, shape);
}

/** out.shape[i] = x.shape[perm[i]]. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const rank = x.shape.length;
  if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw new Error(`transpose: [${perm.join(', ')}] is not a permutation of rank ${rank}`);
  }
  const strides = contiguousStrides(x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  const offsets = stridedOffsets(shape, perm.map((p) => strides[p]!));
  return { dtype: x.dtype, shape, data: takeElements(x.data, offsets) };
}

/**
 * Along each listed axis, takes `counts[i]` elements `starts[i]`, `starts[i] + steps[i]`, ...
 * (steps nonzero, possibly negative); unlisted axes are kept whole. The ranges must already
 * lie inside the tensor: that is what `sliceRange` produces from ONNX-style start/end/step.
 */
export function slice(
  x: Tensor, axes: readonly number[], starts: readonly number[], steps: readonly number[], counts: readonly number[],
): Tensor {
  const rank = x.shape.length;
  if (starts.length !== axes.length || steps.length !== axes.length || counts.length !== axes.length) {
    throw new Error('slice: axes, starts, steps and counts differ in length');
  }
  const inStrides = contiguousStrides(x.shape);
  const shape = [...x.shape];
  const strides = [...inStrides];
  const seen = new Set<number>();
  let offset = 0;
  axes.forEach((axis, i) => {
    checkAxis(axis, rank, 'slice');
    if (seen.has(axis)) throw new Error(`slice: axis ${axis} listed twice`);
    seen.add(axis);
    const dim = x.shape[axis]!;
    const start = starts[i]!;
    const step = steps[i]!;
    const count = counts[i]!;
    const last = start + (count - 1) * step;
    if (!Number.isInteger(step) || step === 0) throw new Error(`slice: step ${step} on axis ${axis}`);
    if (!Number.isInteger(count) || count < 0) throw new Error(`slice: count ${count} on axis ${axis}`);
    if (count > 0 && (start < 0 || start >= dim || last < 0 || last >= dim)) {
      fail('sliceOutOfRange', start, step, count, axis, dim);
    }
    shape[axis] = count;
    strides[axis] = inStrides[axis]! * step;
    if (count > 0) offset += start * inStrides[axis]!;
  });
  const offsets = stridedOffsets(shape, strides, offset);
  return { dtype: x.dtype, shape, data: takeElements(x.data, offsets) };
}

/**
 * ONNX Slice for one axis of size `dim`: negative start/end count from the end, then clamp
 * (to [0, dim] for step > 0; start to [0, dim-1] and end to [-1, dim-1] for step < 0), then
 * count = ceil((end - start) / step), at least 0. Accepts the raw attribute values.
 */
export function sliceRange(dim: number, start: number, end: number, step: number): { start: number; count: number } {
  if (!Number.isInteger(step) || step === 0) throw new Error(`sliceRange: step ${step}`);
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
  } else {
    s = clamp(s, 0, dim - 1);
    e = clamp(e, -1, dim - 1);
  }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return { start: count > 0 ? s : 0, count };
}

/** Joins tensors of one dtype and rank along `axis`; every other dim must agree. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (first === undefined) throw new Error('concat: no inputs');
  const rank = first.shape.length;
  checkAxis(axis, rank, 'concat');
  let total = 0;
  for (const t of xs) {
    const sameOther = t.shape.length === rank && t.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (t.dtype !== first.dtype || !sameOther) {
      throw new Error(`concat: ${t.dtype}[${t.shape.join(', ')}] does not join ${first.dtype}[${first.shape.join(', ')}] on axis ${axis}`);
    }
    total += t.shape[axis]!;
  }
  const shape = first.shape.map((d, i) => (i === axis ? total : d));
  const outer = sizeOf(first.shape.slice(0, axis));
  const inner = sizeOf(first.shape.slice(axis + 1));
  const data = allocData(first.dtype, sizeOf(shape));
  const outChunk = total * inner;
  for (let o = 0; o < outer; o++) {
    let at = o * outChunk;
    for (const t of xs) {
      const chunk = t.shape[axis]! * inner;
      copyElements(data, at, t.data, o * chunk, chunk);
      at += chunk;
    }
  }
  return { dtype: first.dtype, shape, data };
}

/**
 * Picks slices of `x` along `axis` by `indices` (i32 or i64, any rank; negative indices count
 * from the end; out of range throws). Result shape:
 * x.shape[:axis] + indices.shape + x.shape[axis+1:].
 */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  if (indices.dtype !== 'i32' && indices.dtype !== 'i64') throw new Error(`gather: indices must be i32 or i64, got ${indices.dtype}`);
  checkAxis(axis, x.shape.length, 'gather');
  const dim = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const raw = readNumbers(indices);
  const count = raw.length;
  const idx = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = raw[i]!;
    const k = v < 0 ? v + dim : v;
    if (!(k >= 0 && k < dim)) fail('gatherIndexOutOfRange', v, axis, dim);
    idx[i] = k;
  }
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const offsets = new Int32Array(outer * count * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < count; i++) {
      const from = (o * dim + idx[i]!) * inner;
      for (let j = 0; j < inner; j++) offsets[at++] = from + j;
    }
  }
  return { dtype: x.dtype, shape, data: takeElements(x.data, offsets) };
}

/**
 * NumPy `broadcast_to`: `x` broadcast to exactly `shape` (throws if it does not broadcast).
 * ONNX Expand's two-way broadcast is `expand(x, broadcastShapes(x.shape, shape))`.
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const offsets = broadcastOffsets(x.shape, shape);
  return { dtype: x.dtype, shape: [...shape], data: takeElements(x.data, offsets) };
}
