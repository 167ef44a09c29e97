// Batched matrix multiply with NumPy semantics.

import { constDim, dimEquals, printShape, type Dim } from '../dim.js';
import { broadcastShapes, fail } from '../types.js';
import type { OpTable } from './op-info.js';
import { matmul } from '../../interpret/kernels/matmul.js';

/** Result shape of `a @ b`: rank-1 operands are promoted, then the promoted axes dropped. */
export function matmulShape(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) fail('shapeMismatch', 'matmul needs operands of rank 1 or more, got a scalar');
  const a2 = a.length === 1 ? [constDim(1), a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, constDim(1)] : b;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  if (!dimEquals(k1, k2)) fail('matmulMismatch', printShape(a), printShape(b));
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

export const MATMUL_OPS = {
  matmul: {
    category: 'matmul',
    arity: [2, 2],
    infer([a, b]) {
      if (a!.dtype !== b!.dtype) fail('dtypeMismatch', `matmul needs operands of one dtype, got ${a!.dtype} and ${b!.dtype}`);
      if (a!.dtype === 'bool') fail('dtypeMismatch', `matmul needs numeric operands, got ${a!.dtype}`);
      return { dtype: a!.dtype, shape: matmulShape(a!.shape, b!.shape) };
    },
    evaluate: ([a, b]) => matmul(a!, b!),
  },
} satisfies Partial<OpTable>;
