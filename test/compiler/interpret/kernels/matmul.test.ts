import { describe, expect, it } from 'vitest';
import { matmul } from '../../../../compiler/interpret/kernels/matmul.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

/** Naive [m,k] @ [k,n] in f64, rounded to f32 like the kernel. */
function naive(a: Tensor, b: Tensor): number[] {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const A = toNumbers(a);
  const B = toNumbers(b);
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
      out.push(Math.fround(s));
    }
  }
  return out;
}

function identity(n: number): Tensor {
  return tensor('f32', [n, n], Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0)));
}

describe('matmul', () => {
  it('multiplies small matrices by hand', () => {
    const y = matmul(tensor('f32', [2, 2], [1, 2, 3, 4]), tensor('f32', [2, 2], [5, 6, 7, 8]));
    expect(y.shape).toEqual([2, 2]);
    expect(toNumbers(y)).toEqual([19, 22, 43, 50]);
  });

  it('promotes and drops rank-1 operands like NumPy', () => {
    const v = tensor('f32', [3], [1, 2, 3]);
    const w = tensor('f32', [3], [4, 5, 6]);
    const m = tensor('f32', [2, 3], [1, 0, 1, 0, 1, 0]);
    const dot = matmul(v, w);
    expect(dot.shape).toEqual([]);
    expect(toNumbers(dot)).toEqual([32]);
    const mv = matmul(m, v);
    expect(mv.shape).toEqual([2]);
    expect(toNumbers(mv)).toEqual([4, 2]);
    const vm = matmul(tensor('f32', [2], [1, 2]), m);
    expect(vm.shape).toEqual([3]);
    expect(toNumbers(vm)).toEqual([1, 2, 1]);
    const batched = matmul(randomTensor('f32', [4, 2, 3], 1), v);
    expect(batched.shape).toEqual([4, 2]);
  });

  it('matches a naive triple loop on awkward sizes', () => {
    for (const [m, k, n] of [[1, 7, 129], [7, 1, 7], [129, 7, 1], [13, 129, 7]] as const) {
      const a = randomTensor('f32', [m, k], m * 1000 + k);
      const b = randomTensor('f32', [k, n], k * 1000 + n);
      const y = matmul(a, b);
      expect(y.shape).toEqual([m, n]);
      expect(toNumbers(y)).toEqual(naive(a, b));
    }
  });

  it('broadcasts batch dims', () => {
    const a = randomTensor('f32', [2, 1, 3, 4], 2);
    const b = randomTensor('f32', [5, 4, 2], 3);
    const y = matmul(a, b);
    expect(y.shape).toEqual([2, 5, 3, 2]);
    const av = toNumbers(a);
    const bv = toNumbers(b);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 5; j++) {
        const ai = tensor('f32', [3, 4], av.slice(i * 12, i * 12 + 12));
        const bj = tensor('f32', [4, 2], bv.slice(j * 8, j * 8 + 8));
        expect(toNumbers(y).slice((i * 5 + j) * 6, (i * 5 + j) * 6 + 6)).toEqual(naive(ai, bj));
      }
    }
  });

  it('is associative within tolerance and has an identity', () => {
    const a = randomTensor('f32', [7, 129], 4);
    const b = randomTensor('f32', [129, 13], 5);
    const c = randomTensor('f32', [13, 7], 6);
    expectClose(matmul(matmul(a, b), c), matmul(a, matmul(b, c)), 1e-4, 1e-5);
    expect(toNumbers(matmul(a, identity(129)))).toEqual(toNumbers(a));
    expect(toNumbers(matmul(identity(7), a))).toEqual(toNumbers(a));
  });

  it('handles 512x512 quickly and correctly', () => {
    const a = randomTensor('f32', [512, 512], 7);
    const b = randomTensor('f32', [512, 512], 8);
    const start = performance.now();
    const y = matmul(a, b);
    const ms = performance.now() - start;
    expect(ms).toBeLessThan(3000); // typically ~0.2 s; loose to stay stable on loaded machines
    const A = toNumbers(a);
    const B = toNumbers(b);
    for (const [i, j] of [[0, 0], [511, 511], [100, 400], [317, 3]] as const) {
      let s = 0;
      for (let p = 0; p < 512; p++) s += A[i * 512 + p]! * B[p * 512 + j]!;
      expect(y.data[i * 512 + j]).toBe(Math.fround(s));
    }
  });

  it('wraps integer results and rounds f16 results', () => {
    const y = matmul(tensor('i32', [1, 2], [65536, 1]), tensor('i32', [2, 1], [65536, 5]));
    expect(toNumbers(y)).toEqual([5]);
    const h = matmul(tensor('f16', [1, 2], [1, 1]), tensor('f16', [2, 1], [2048, 1]));
    expect(toNumbers(h)).toEqual([2048]);
  });

  it('rejects mismatched inner dims', () => {
    expect(() => matmul(tensor('f32', [2, 3]), tensor('f32', [2, 3]))).toThrow(/inner dims/);
  });
});

describe('matmul on the wider dtypes', () => {
  it('keeps f64 in f64 and wraps integer products on store', () => {
    const p = matmul(tensor('f64', [1, 2], [0.1, 0.2]), tensor('f64', [2, 1], [0.3, 0.7]));
    expect(p.data).toBeInstanceOf(Float64Array);
    expect(toNumbers(p)).toEqual([0.1 * 0.3 + 0.2 * 0.7]);
    expect(toNumbers(matmul(tensor('u16', [1, 2], [300, 1]), tensor('u16', [2, 1], [300, 7])))).toEqual([(90007) % 65536]);
    expect(toNumbers(matmul(tensor('bf16', [1, 2], [1, 1]), tensor('bf16', [2, 1], [1, 3 * 2 ** -9])))).toEqual([1 + 2 ** -7]);
  });
});
