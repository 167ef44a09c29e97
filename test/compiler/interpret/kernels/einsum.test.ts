import { describe, expect, it } from 'vitest';
import { einsum } from '../../../../compiler/interpret/kernels/einsum.js';
import { matmul } from '../../../../compiler/interpret/kernels/matmul.js';
import { tensor, toNumbers } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

const m23 = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
const sq = tensor('f32', [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('einsum', () => {
  it('transposes, sums and takes diagonals by hand', () => {
    expect(toNumbers(einsum('ij->ji', [m23], 'f32'))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(einsum('ij->ji', [m23], 'f32').shape).toEqual([3, 2]);
    expect(toNumbers(einsum('ba', [m23], 'f32'))).toEqual([1, 4, 2, 5, 3, 6]); // implicit output 'ab'
    expect(toNumbers(einsum('ij->i', [m23], 'f32'))).toEqual([6, 15]);
    expect(toNumbers(einsum('ij->', [m23], 'f32'))).toEqual([21]);
    expect(toNumbers(einsum('ii', [sq], 'f32'))).toEqual([15]); // trace
    expect(toNumbers(einsum('ii->i', [sq], 'f32'))).toEqual([1, 5, 9]);
    expect(toNumbers(einsum('->', [tensor('f32', [], [2.5])], 'f32'))).toEqual([2.5]);
  });

  it('multiplies several operands', () => {
    const a = tensor('f32', [2], [1, 2]), b = tensor('f32', [3], [3, 4, 5]);
    expect(toNumbers(einsum('i,j->ij', [a, b], 'f32'))).toEqual([3, 4, 5, 6, 8, 10]);
    expect(toNumbers(einsum('i,i', [b, b], 'f32'))).toEqual([50]);
    expect(toNumbers(einsum('i,ij,j', [a, m23, b], 'f32'))).toEqual([1 * (1 * 3 + 2 * 4 + 3 * 5) + 2 * (4 * 3 + 5 * 4 + 6 * 5)]);
  });

  it('agrees with matmul on [7, 129] @ [129, 1], implicit and explicit', () => {
    const a = randomTensor('f32', [7, 129], 1), b = randomTensor('f32', [129, 1], 2);
    const want = matmul(a, b);
    expectClose(einsum('ij,jk->ik', [a, b], 'f32'), want, 1e-6);
    expectClose(einsum('ij,jk', [a, b], 'f32'), want, 1e-6);
    expectClose(einsum('jk,ij->ik', [b, a], 'f32'), want, 1e-6);
  });

  it('broadcasts ellipses and size-1 axes', () => {
    const a = randomTensor('f32', [2, 1, 3, 4], 3), b = randomTensor('f32', [5, 4, 7], 4);
    const y = einsum('...ij,...jk->...ik', [a, b], 'f32');
    expect(y.shape).toEqual([2, 5, 3, 7]);
    expectClose(y, matmul(a, b), 1e-6);
    // The ellipsis of a batch diagonal: [2, 3, 3] -> [2, 3].
    const batch = randomTensor('f32', [2, 3, 3], 5);
    const v = toNumbers(batch);
    expect(toNumbers(einsum('...ii->...i', [batch], 'f32'))).toEqual([0, 4, 8, 9, 13, 17].map((i) => v[i]!));
    expect(toNumbers(einsum('ij,ij->ij', [tensor('f32', [1, 3], [1, 2, 3]), m23], 'f32'))).toEqual([1, 4, 9, 4, 10, 18]);
  });

  it('accumulates integers exactly and wraps on store', () => {
    const a = tensor('i32', [2], [65536, 65536]);
    expect(toNumbers(einsum('i,i', [a, a], 'i32'))).toEqual([0]); // 2^33 wraps to 0
    expect(toNumbers(einsum('i,i', [tensor('i64', [2], [3, 4]), tensor('i64', [2], [5, 6])], 'i64'))).toEqual([39]);
  });

  it('gives zeros for an empty summed label and an empty output', () => {
    expect(toNumbers(einsum('ij->i', [tensor('f32', [2, 0])], 'f32'))).toEqual([0, 0]);
    expect(einsum('ij->j', [tensor('f32', [2, 0])], 'f32').shape).toEqual([0]);
  });
});
