// Batched matrix product with NumPy `matmul` semantics:
//   rank-1 `a` [K] is read as [1, K] and the 1 is dropped from the result; rank-1 `b` [K] is
//   read as [K, 1] and the 1 is dropped; batch dims (all but the last two) broadcast.
// Each output element is Σ_k a[i,k]·b[k,j], summed in f64 in increasing k and rounded once on
// store, so the result equals a naive triple loop exactly. Integer matmul accumulates in f64
// too: exact while every partial sum stays below 2^53, then wraps on store.

import { sizeOf, type Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides, stridedOffsets } from './broadcast.js';
import { fromNumbers, readFloat64 } from './storage.js';

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length === 0 || b.shape.length === 0) throw new Error('matmul: operands must have rank >= 1');
  const aShape = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const m = aShape[aShape.length - 2]!;
  const k = aShape[aShape.length - 1]!;
  const k2 = bShape[bShape.length - 2]!;
  const n = bShape[bShape.length - 1]!;
  if (k !== k2) throw new Error(`matmul: inner dims differ: [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`);

  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  // Offsets of each batch's matrix, in elements (a batch stride of 1 is one whole matrix).
  const aMat = stridedOffsets(batch, broadcastStrides(aBatch, batch).map((s) => s * m * k));
  const bMat = stridedOffsets(batch, broadcastStrides(bBatch, batch).map((s) => s * k * n));

  const A = readFloat64(a);
  const B = readFloat64(b);
  const out = new Float64Array(sizeOf(batch) * m * n);
  // i-k-j order: the inner loop runs over contiguous rows of B and of the accumulator, and
  // each out[i, j] still receives its terms in increasing k.
  for (let p = 0; p < aMat.length; p++) {
    const aBase = aMat[p]!;
    const bBase = bMat[p]!;
    const oBase = p * m * n;
    for (let i = 0; i < m; i++) {
      const row = oBase + i * n;
      const aRow = aBase + i * k;
      for (let kk = 0; kk < k; kk++) {
        const aik = A[aRow + kk]!;
        const bRow = bBase + kk * n;
        for (let j = 0; j < n; j++) out[row + j]! += aik * B[bRow + j]!;
      }
    }
  }

  const shape = [...batch];
  if (a.shape.length > 1) shape.push(m);
  if (b.shape.length > 1) shape.push(n);
  return fromNumbers(a.dtype, shape, out);
}
