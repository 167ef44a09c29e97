// The k largest (or smallest) elements along one axis, and their indices (ONNX TopK).
//
// Each lane is ordered by value, largest first (or smallest first), and ties keep the lower
// index first, as ONNX specifies; the result is always sorted. NaN orders above every number
// (as in NumPy's sort, which ONNX's reference uses): it comes first among the largest and
// last among the smallest. Values are moved untouched (i64 and u64 included) and compared
// exactly: BigInt storage compares as BigInts.

import { sizeOf, type Tensor } from '../tensor.js';
import { checkAxis } from './broadcast.js';
import { takeElements } from './storage.js';
import { fail } from '../../ir/types.js';

export interface TopK {
  readonly values: Tensor;
  /** i64 positions along the axis. */
  readonly indices: Tensor;
}

/** a > b, with NaN above every number (BigInts never are NaN). */
function greater(a: number | bigint, b: number | bigint): boolean {
  if (a !== a) return b === b; // NaN beats everything but NaN
  if (b !== b) return false;
  return a > b;
}

export function topk(x: Tensor, axis: number, k: number, largest: boolean): TopK {
  checkAxis(axis, x.shape.length, 'topk');
  const len = x.shape[axis]!;
  // k is data-dependent when it comes from a symbolic dim: a user error at the op.
  if (!Number.isInteger(k) || k < 0 || k > len) fail('badAttribute', `topk k = ${k} is out of range for an axis of size ${len}`);
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const src = x.data as ArrayLike<number | bigint>;
  const shape = x.shape.map((d, i) => (i === axis ? k : d));
  const offsets = new Int32Array(outer * k * inner);
  const indices = new BigInt64Array(outer * k * inner);
  const order = new Array<number>(len);
  const before = (a: number, b: number): number => {
    // a sorts before b: the better value first, then the lower index.
    const va = src[a]!, vb = src[b]!;
    if (largest ? greater(va, vb) : greater(vb, va)) return -1;
    if (largest ? greater(vb, va) : greater(va, vb)) return 1;
    return a - b;
  };
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      for (let i = 0; i < len; i++) order[i] = base + i * inner;
      order.sort(before);
      for (let r = 0; r < k; r++) {
        const out = (o * k + r) * inner + j;
        offsets[out] = order[r]!;
        indices[out] = BigInt((order[r]! - base) / inner);
      }
    }
  }
  return { values: { dtype: x.dtype, shape, data: takeElements(x.data, offsets) }, indices: { dtype: 'i64', shape, data: indices } };
}
