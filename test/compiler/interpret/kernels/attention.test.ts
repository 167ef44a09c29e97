import { describe, expect, it } from 'vitest';
import { attention } from '../../../../compiler/interpret/kernels/attention.js';
import { binary } from '../../../../compiler/interpret/kernels/elementwise.js';
import { gather, transpose } from '../../../../compiler/interpret/kernels/layout.js';
import { matmul } from '../../../../compiler/interpret/kernels/matmul.js';
import { softmax } from '../../../../compiler/interpret/kernels/normalize.js';
import { roundToHalf, tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

/** softmax((q @ kᵀ) · scale + mask) @ v from the other kernels (heads must match). */
function decomposed(q: Tensor, k: Tensor, v: Tensor, scale: number, mask?: Tensor): Tensor {
  const rank = q.shape.length;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  let scores = binary('mul', matmul(q, transpose(k, perm)), tensor('f32', [], [scale]));
  if (mask) scores = binary('add', scores, mask);
  return matmul(softmax(scores, rank - 1), v);
}

/** [sq, skv] additive mask: 0 where key j is visible to query i under lower-right alignment. */
function causalMask(sq: number, skv: number): Tensor {
  const values: number[] = [];
  for (let i = 0; i < sq; i++) for (let j = 0; j < skv; j++) values.push(j <= i + skv - sq ? 0 : -Infinity);
  return tensor('f32', [sq, skv], values);
}

/** Repeats each kv head `group` times along the head axis (axis 1 of [B, H, S, D]). */
function repeatHeads(x: Tensor, group: number): Tensor {
  const h = x.shape[1]!;
  return gather(x, tensor('i32', [h * group], Array.from({ length: h * group }, (_, i) => Math.floor(i / group))), 1);
}

describe('attention', () => {
  it('computes a two-key case by hand', () => {
    const q = tensor('f32', [1, 1, 1, 1], [1]);
    const k = tensor('f32', [1, 1, 2, 1], [0, 1]);
    const v = tensor('f32', [1, 1, 2, 1], [1, 3]);
    const y = attention(q, k, v, { causal: false, scale: 1 });
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expectClose(y, [(1 + 3 * Math.E) / (1 + Math.E)], 1e-6);
  });

  it('scales by 1/sqrt(Dk) by default', () => {
    const q = tensor('f32', [1, 1, 4], [1, 1, 1, 1]);
    const k = tensor('f32', [1, 2, 4], [1, 1, 1, 1, 0, 0, 0, 0]);
    const v = tensor('f32', [1, 2, 1], [1, 0]);
    expectClose(attention(q, k, v, { causal: false }), [0.8807970779778823], 1e-7); // sigmoid(4 / 2)
  });

  it('matches the decomposed formula on random data', () => {
    const q = randomTensor('f32', [2, 3, 7, 5], 1);
    const k = randomTensor('f32', [2, 3, 129, 5], 2);
    const v = randomTensor('f32', [2, 3, 129, 1], 3);
    expectClose(attention(q, k, v, { causal: false }), decomposed(q, k, v, 1 / Math.sqrt(5)), 1e-5);
    const mask = randomTensor('f32', [7, 129], 4);
    expectClose(attention(q, k, v, { causal: false, scale: 0.3, mask }), decomposed(q, k, v, 0.3, mask), 1e-5);
  });

  it('treats grouped-query attention as MHA with repeated kv heads', () => {
    const q = randomTensor('f32', [2, 6, 7, 4], 5);
    const k = randomTensor('f32', [2, 2, 9, 4], 6);
    const v = randomTensor('f32', [2, 2, 9, 3], 7);
    const gqa = attention(q, k, v, { causal: true });
    const mha = attention(q, repeatHeads(k, 3), repeatHeads(v, 3), { causal: true });
    expect(gqa.shape).toEqual([2, 6, 7, 3]);
    expect(toNumbers(gqa)).toEqual(toNumbers(mha));
    const k1 = randomTensor('f32', [2, 1, 9, 4], 8);
    const v1 = randomTensor('f32', [2, 1, 9, 3], 9);
    expect(toNumbers(attention(q, k1, v1, { causal: false }))).toEqual(toNumbers(attention(q, repeatHeads(k1, 6), repeatHeads(v1, 6), { causal: false })));
  });

  it('makes causal equal an explicit lower-right -inf mask', () => {
    for (const [sq, skv] of [[7, 7], [3, 7], [1, 129]] as const) {
      const q = randomTensor('f32', [1, 2, sq, 5], 10 + sq);
      const k = randomTensor('f32', [1, 2, skv, 5], 20 + skv);
      const v = randomTensor('f32', [1, 2, skv, 3], 30 + skv);
      const causal = attention(q, k, v, { causal: true });
      const mask = causalMask(sq, skv);
      expect(toNumbers(causal)).toEqual(toNumbers(attention(q, k, v, { causal: false, mask })));
      expectClose(causal, decomposed(q, k, v, 1 / Math.sqrt(5), mask), 1e-5);
    }
    // A single decode query sees every key.
    const q = randomTensor('f32', [1, 1, 1, 4], 40);
    const k = randomTensor('f32', [1, 1, 7, 4], 41);
    const v = randomTensor('f32', [1, 1, 7, 2], 42);
    expect(toNumbers(attention(q, k, v, { causal: true }))).toEqual(toNumbers(attention(q, k, v, { causal: false })));
  });

  it('makes a bool mask equal the additive 0 / -inf mask', () => {
    const q = randomTensor('f32', [2, 3, 7, 4], 50);
    const k = randomTensor('f32', [2, 3, 9, 4], 51);
    const v = randomTensor('f32', [2, 3, 9, 2], 52);
    const bool = randomTensor('bool', [2, 1, 7, 9], 53);
    const additive = tensor('f32', bool.shape, toNumbers(bool).map((b) => (b ? 0 : -Infinity)));
    expect(toNumbers(attention(q, k, v, { causal: false, mask: bool }))).toEqual(toNumbers(attention(q, k, v, { causal: false, mask: additive })));
    expect(toNumbers(attention(q, k, v, { causal: true, mask: bool }))).toEqual(toNumbers(attention(q, k, v, { causal: true, mask: additive })));
  });

  it('outputs 0 for a fully masked row', () => {
    const q = randomTensor('f32', [1, 2, 4], 60);
    const k = randomTensor('f32', [1, 3, 4], 61);
    const v = randomTensor('f32', [1, 3, 2], 62);
    const mask = tensor('bool', [2, 3], [0, 0, 0, 1, 0, 1]);
    const y = toNumbers(attention(q, k, v, { causal: false, mask }));
    expect(y.slice(0, 2)).toEqual([0, 0]);
    expect(y.slice(2).every((x) => Number.isFinite(x) && x !== 0)).toBe(true);
    // Causal with more queries than keys masks the first rows entirely.
    const tall = toNumbers(attention(randomTensor('f32', [1, 5, 4], 63), k, v, { causal: true }));
    expect(tall.slice(0, 4)).toEqual([0, 0, 0, 0]);
  });

  it('returns q dtype, rounding f16 outputs', () => {
    const q = randomTensor('f16', [1, 2, 3, 4], 70);
    const k = randomTensor('f16', [1, 2, 5, 4], 71);
    const v = randomTensor('f16', [1, 2, 5, 3], 72);
    const y = attention(q, k, v, { causal: false });
    expect(y.dtype).toBe('f16');
    expect(toNumbers(y).every((x) => roundToHalf(x) === x)).toBe(true);
  });

  it('rejects inconsistent shapes', () => {
    const q = tensor('f32', [1, 3, 2, 4]);
    expect(() => attention(q, tensor('f32', [1, 2, 2, 4]), tensor('f32', [1, 2, 2, 4]), { causal: false })).toThrow(/multiple/);
    expect(() => attention(q, tensor('f32', [1, 3, 2, 5]), tensor('f32', [1, 3, 2, 4]), { causal: false })).toThrow(/mismatched/);
    expect(() => attention(q, tensor('f32', [2, 3, 2, 4]), tensor('f32', [2, 3, 2, 4]), { causal: false })).toThrow(/batch/);
  });
});
