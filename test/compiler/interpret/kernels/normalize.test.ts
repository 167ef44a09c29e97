import { describe, expect, it } from 'vitest';
import { layerNorm, logSoftmax, rmsNorm, softmax } from '../../../../compiler/interpret/kernels/normalize.js';
import { tensor, toNumbers } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

/** Sum (or any fold) over axis 1 of a [outer, len, inner] view. */
function laneSums(values: number[], outer: number, len: number, inner: number, f = (v: number) => v): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let s = 0;
      for (let i = 0; i < len; i++) s += f(values[(o * len + i) * inner + j]!);
      out.push(s);
    }
  }
  return out;
}

describe('softmax', () => {
  it('computes softmax([1, 2, 3]) and is shift invariant', () => {
    const want = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219];
    expectClose(softmax(tensor('f32', [3], [1, 2, 3]), 0), want, 1e-7);
    expectClose(softmax(tensor('f32', [3], [1001, 1002, 1003]), 0), want, 1e-7);
    expectClose(logSoftmax(tensor('f32', [3], [1, 2, 3]), 0), [-2.40760596444438, -1.4076059644443801, -0.40760596444438013], 1e-7);
  });

  it('works along a middle axis of [7, 129, 3]', () => {
    const x = randomTensor('f32', [7, 129, 3], 1);
    const y = softmax(x, 1);
    expectClose(laneSums(toNumbers(y), 7, 129, 3), new Array(21).fill(1), 1e-6);
    const ly = toNumbers(logSoftmax(x, 1));
    expectClose(ly, toNumbers(y).map(Math.log), 1e-5, 1e-6);
  });

  it('works along the last axis, including a lane of one element and one of 1000', () => {
    expectClose(softmax(randomTensor('f32', [7, 1], 2), 1), new Array(7).fill(1), 0);
    const y = softmax(randomTensor('f32', [2, 1000], 3), 1);
    expectClose(laneSums(toNumbers(y), 2, 1000, 1), [1, 1], 1e-6);
    expect(toNumbers(y).every((v) => v > 0)).toBe(true);
  });

  it('keeps -inf entries at 0 and gives NaN for an all -inf lane (plain formula)', () => {
    expectClose(softmax(tensor('f32', [3], [0, -Infinity, 0]), 0), [0.5, 0, 0.5], 0);
    expect(toNumbers(softmax(tensor('f32', [2], [-Infinity, -Infinity]), 0))).toEqual([NaN, NaN]);
  });
});

describe('layerNorm', () => {
  it('normalizes [1, 2, 3, 4] by hand', () => {
    const x = tensor('f32', [4], [1, 2, 3, 4]);
    const want = [-1.3416407864998738, -0.4472135954999579, 0.4472135954999579, 1.3416407864998738];
    expectClose(layerNorm(x, undefined, undefined, 0, 0), want, 1e-7);
    const scaled = layerNorm(x, tensor('f32', [1], [2]), tensor('f32', [4], [1, 1, 1, 0]), 0, 0);
    expectClose(scaled, want.map((v, i) => 2 * v + (i < 3 ? 1 : 0)), 1e-6);
  });

  it('gives mean 0 and variance 1 per row on random data', () => {
    for (const [shape, axis] of [[[7, 129], 1], [[3, 7, 5], 1], [[1000], 0]] as const) {
      const x = randomTensor('f32', shape, 4);
      const y = toNumbers(layerNorm(x, undefined, undefined, axis, 1e-12));
      const width = shape.slice(axis).reduce((a, b) => a * b, 1);
      for (let r = 0; r < y.length / width; r++) {
        const row = y.slice(r * width, (r + 1) * width);
        const mean = row.reduce((a, b) => a + b, 0) / width;
        const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / width;
        expect(Math.abs(mean)).toBeLessThan(1e-6);
        expect(Math.abs(variance - 1)).toBeLessThan(1e-5);
      }
    }
  });

  it('broadcasts scale and bias over the trailing dims', () => {
    const x = randomTensor('f32', [3, 7, 5], 5);
    const scale = randomTensor('f32', [5], 6);
    const bias = randomTensor('f32', [7, 1], 7);
    const plain = toNumbers(layerNorm(x, undefined, undefined, 1, 1e-5));
    const y = layerNorm(x, scale, bias, 1, 1e-5);
    const want = plain.map((v, i) => v * (scale.data[i % 5] as number) + (bias.data[Math.floor(i / 5) % 7] as number));
    expectClose(y, want, 1e-6);
  });
});

describe('rmsNorm', () => {
  it('normalizes [3, 4] by hand', () => {
    expectClose(rmsNorm(tensor('f32', [2], [3, 4]), undefined, 0, 0), [0.848528137423857, 1.131370849898476], 1e-7);
    expectClose(rmsNorm(tensor('f32', [2], [3, 4]), tensor('f32', [2], [2, -1]), 0, 0), [1.697056274847714, -1.131370849898476], 1e-6);
  });

  it('gives a mean square of 1 per row on random data', () => {
    const x = randomTensor('f32', [7, 129], 8);
    const y = toNumbers(rmsNorm(x, undefined, 1, 1e-12));
    expectClose(laneSums(y, 7, 129, 1, (v) => (v * v) / 129), new Array(7).fill(1), 1e-5);
  });
});

describe('normalizations on f64', () => {
  it('compute and keep f64', () => {
    const x = tensor('f64', [3], [0.1, 0.2, 0.3]);
    const s = softmax(x, 0);
    expect(s.data).toBeInstanceOf(Float64Array);
    const e = [0.1, 0.2, 0.3].map((v) => Math.exp(v - 0.3));
    const total = e[0]! + e[1]! + e[2]!;
    expect(toNumbers(s)).toEqual(e.map((v) => v / total));
    expect(layerNorm(x, undefined, undefined, 0, 1e-5).dtype).toBe('f64');
  });
});
