// ONNX Runtime's fused transformer ops: the skip norms, SimplifiedLayerNormalization, the gelu
// variants and MatMulNBits, against values computed here from the contrib op documentation.

import { describe, expect, it } from 'vitest';
import { erf } from '../../../../../compiler/interpret/kernels/elementwise.js';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../../helpers/close.js';
import { randomTensor, seededRandom } from '../../../../helpers/random.js';
import { MS, refusal, run } from './attention-helpers.js';

const f32 = Math.fround;
const out = (outputs: Map<string, Tensor>, name = 'y'): Tensor => outputs.get(name)!;

/** Row statistics of [rows, width] values. */
function rows(values: readonly number[], width: number): { mean: number[]; meanSquare: number[]; variance: number[] } {
  const mean: number[] = [], meanSquare: number[] = [], variance: number[] = [];
  for (let r = 0; r < values.length / width; r++) {
    const row = values.slice(r * width, (r + 1) * width);
    const m = row.reduce((a, x) => a + x, 0) / width;
    mean.push(m);
    meanSquare.push(row.reduce((a, x) => a + x * x, 0) / width);
    variance.push(row.reduce((a, x) => a + (x - m) ** 2, 0) / width);
  }
  return { mean, meanSquare, variance };
}

describe('skip and simplified layer norms', () => {
  const [batch, seq, hidden] = [2, 7, 129];
  const x = randomTensor('f32', [batch, seq, hidden], 1), skip = randomTensor('f32', [seq, hidden], 2);
  const gamma = randomTensor('f32', [hidden], 3), beta = randomTensor('f32', [hidden], 4), bias = randomTensor('f32', [hidden], 5);
  const xs = toNumbers(x), ss = toNumbers(skip), g = toNumbers(gamma), be = toNumbers(beta), bi = toNumbers(bias);
  const sum = xs.map((v, i) => f32(f32(v + ss[i % (seq * hidden)]!) + bi[i % hidden]!));

  it('SkipLayerNormalization: layer norm of input + skip + bias, with mean, inv_std_var and the sum', () => {
    const outputs = run({
      op: 'SkipLayerNormalization', domain: MS, floats: { epsilon: 1e-5 }, outputs: ['y', 'mean', 'inv', 'sum'],
      inputs: [['x', x], ['skip', skip], ['gamma', gamma], ['beta', beta], ['bias', bias]],
    });
    const { mean, variance } = rows(sum, hidden);
    const inv = variance.map((v) => 1 / Math.sqrt(v + 1e-5));
    expect(toNumbers(out(outputs, 'sum'))).toEqual(sum);
    expectClose(out(outputs), sum.map((v, i) => (v - mean[Math.floor(i / hidden)]!) * inv[Math.floor(i / hidden)]! * g[i % hidden]! + be[i % hidden]!), 1e-6, 1e-5);
    expect(out(outputs, 'mean').shape).toEqual([batch, seq, 1]);
    expectClose(out(outputs, 'mean'), mean, 1e-6, 1e-5);
    expectClose(out(outputs, 'inv'), inv, 1e-6, 1e-5);
  });

  it('SkipSimplifiedLayerNormalization: RMS norm of the sum, with inv_std_var; the default epsilon is 1e-12', () => {
    const outputs = run({
      op: 'SkipSimplifiedLayerNormalization', domain: MS, outputs: ['y', '', 'inv', 'sum'],
      inputs: [['x', x], ['skip', skip], ['gamma', gamma], ['bias', bias]],
    });
    const inv = rows(sum, hidden).meanSquare.map((v) => 1 / Math.sqrt(v + 1e-12));
    expectClose(out(outputs), sum.map((v, i) => v * inv[Math.floor(i / hidden)]! * g[i % hidden]!), 1e-6, 1e-5);
    expectClose(out(outputs, 'inv'), inv, 1e-6, 1e-5);
    expect(refusal({ op: 'SkipSimplifiedLayerNormalization', domain: MS, outputs: ['y', 'mean'], inputs: [['x', x], ['skip', skip], ['gamma', gamma]] }).code).toBe(3016);
  });

  it('SimplifiedLayerNormalization (default domain and com.microsoft) over axis..rank-1', () => {
    const scale = randomTensor('f32', [seq, hidden], 6);
    const sc = toNumbers(scale);
    const width = seq * hidden;
    const inv = rows(xs, width).meanSquare.map((v) => 1 / Math.sqrt(v + 1e-5));
    const expected = xs.map((v, i) => v * inv[Math.floor(i / width)]! * sc[i % width]!);
    for (const domain of [undefined, MS]) {
      const outputs = run({ op: 'SimplifiedLayerNormalization', domain, attrs: { axis: 1 }, outputs: ['y', 'inv'], inputs: [['x', x], ['scale', scale]] });
      expectClose(out(outputs), expected, 1e-6, 1e-5);
      expect(out(outputs, 'inv').shape).toEqual([batch, 1, 1]);
    }
  });
});

describe('gelu variants', () => {
  const x = randomTensor('f32', [7, 129], 7), b = randomTensor('f32', [129], 8);
  const xs = toNumbers(x).map((v) => v * 4), bs = toNumbers(b);
  const x4 = tensor('f32', [7, 129], xs);
  const erfGelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
  const tanhGelu = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  const plus = xs.map((v, i) => f32(v + bs[i % 129]!));

  it('BiasGelu is the erf gelu of A + B; Gelu (com.microsoft) is the erf gelu', () => {
    expectClose(out(run({ op: 'BiasGelu', domain: MS, inputs: [['a', x4], ['b', b]] })), plus.map(erfGelu), 1e-6, 1e-5);
    expectClose(out(run({ op: 'Gelu', domain: MS, inputs: [['a', x4]] })), xs.map(erfGelu), 1e-6, 1e-5);
  });

  it('FastGelu is the tanh gelu, with an optional bias', () => {
    expectClose(out(run({ op: 'FastGelu', domain: MS, inputs: [['a', x4], ['b', b]] })), plus.map(tanhGelu), 1e-6, 1e-5);
    expectClose(out(run({ op: 'FastGelu', domain: MS, inputs: [['a', x4]] })), xs.map(tanhGelu), 1e-6, 1e-5);
  });

  it('QuickGelu is x · sigmoid(alpha · x), alpha 1.702 by default', () => {
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    expectClose(out(run({ op: 'QuickGelu', domain: MS, inputs: [['a', x4]] })), xs.map((v) => v * sig(f32(1.702) * v)), 1e-6, 1e-5);
    expectClose(out(run({ op: 'QuickGelu', domain: MS, floats: { alpha: 0.5 }, inputs: [['a', x4]] })), xs.map((v) => v * sig(0.5 * v)), 1e-6, 1e-5);
  });
});

describe('MatMulNBits', () => {
  /** Quantized weights q[n][k] (k padded to whole blocks), packed low bits first along k. */
  function quantized(n: number, k: number, blockSize: number, bits: number, seed: number) {
    const blocks = Math.ceil(k / blockSize);
    const next = seededRandom(seed);
    const levels = 2 ** bits;
    const q = Array.from({ length: n }, () => Array.from({ length: blocks * blockSize }, () => Math.floor(((next() + 1) / 2) * levels)));
    const pack = (values: readonly number[]): number[] => {
      const perByte = 8 / bits, bytes: number[] = [];
      for (let i = 0; i < values.length; i += perByte) {
        let byte = 0;
        for (let j = 0; j < perByte; j++) byte += (values[i + j] ?? 0) * 2 ** (bits * j);
        bytes.push(byte);
      }
      return bytes;
    };
    const blob = (blockSize * bits) / 8;
    const packed = tensor('u8', [n, blocks, blob], q.flatMap(pack));
    const zeros = Array.from({ length: n }, () => Array.from({ length: blocks }, () => Math.floor(((next() + 1) / 2) * levels)));
    const zeroBytes = Math.ceil((blocks * bits) / 8);
    const packedZeros = tensor('u8', [n, zeroBytes], zeros.flatMap((z) => pack(z).concat(new Array(zeroBytes).fill(0)).slice(0, zeroBytes)));
    return { q, zeros, packed, packedZeros, blocks };
  }

  function reference(a: Tensor, q: number[][], zero: (n: number, blk: number) => number, scales: Tensor, k: number, blockSize: number): number[] {
    const av = toNumbers(a), sv = toNumbers(scales);
    const n = q.length, blocks = Math.ceil(k / blockSize);
    const rowsOfA = av.length / k;
    const outValues: number[] = [];
    for (let r = 0; r < rowsOfA; r++) {
      for (let c = 0; c < n; c++) {
        let acc = 0;
        for (let i = 0; i < k; i++) {
          const blk = Math.floor(i / blockSize);
          acc += av[r * k + i]! * f32((q[c]![i]! - zero(c, blk)) * sv[c * blocks + blk]!);
        }
        outValues.push(acc);
      }
    }
    return outValues;
  }

  for (const bits of [4, 2, 8]) {
    it(`${bits}-bit weights with packed zero points, K not a multiple of the block size`, () => {
      const [n, k, blockSize] = [7, 40, 16];
      const { q, zeros, packed, packedZeros, blocks } = quantized(n, k, blockSize, bits, bits);
      const a = randomTensor('f32', [2, 3, k], 40), scales = randomTensor('f32', [n, blocks], 41), bias = randomTensor('f32', [n], 42);
      const y = out(run({
        op: 'MatMulNBits', domain: MS, attrs: { K: k, N: n, bits, block_size: blockSize },
        inputs: [['a', a], ['b', packed], ['scales', scales], ['zp', packedZeros], '', ['bias', bias]],
      }));
      expect(y.shape).toEqual([2, 3, n]);
      const bv = toNumbers(bias);
      expectClose(y, reference(a, q, (c, blk) => zeros[c]![blk]!, scales, k, blockSize).map((v, i) => v + bv[i % n]!), 1e-5, 1e-5);
    });
  }

  it('the default zero point is 2^(bits-1); float zero points are used as they are', () => {
    const [n, k, blockSize] = [3, 32, 32];
    const { q, packed } = quantized(n, k, blockSize, 4, 9);
    const a = randomTensor('f32', [5, k], 43), scales = randomTensor('f32', [n, 1], 44);
    const y = out(run({ op: 'MatMulNBits', domain: MS, attrs: { K: k, N: n, block_size: blockSize }, inputs: [['a', a], ['b', packed], ['scales', scales]] }));
    expectClose(y, reference(a, q, () => 8, scales, k, blockSize), 1e-5, 1e-5);
    const zf = tensor('f32', [n, 1], [7.5, 8, 0.25]);
    const yf = out(run({ op: 'MatMulNBits', domain: MS, attrs: { K: k, N: n, block_size: blockSize }, inputs: [['a', a], ['b', packed], ['scales', scales], ['zp', zf]] }));
    expectClose(yf, reference(a, q, (c) => [7.5, 8, 0.25][c]!, scales, k, blockSize), 1e-5, 1e-5);
  });

  it('refuses other bit widths, g_idx and prepacked weights', () => {
    const { packed } = quantized(2, 16, 16, 4, 1);
    const inputs = [['a', randomTensor('f32', [1, 16], 1)], ['b', packed], ['scales', randomTensor('f32', [2, 1], 2)]] as const;
    expect(refusal({ op: 'MatMulNBits', domain: MS, attrs: { K: 16, N: 2, bits: 3, block_size: 16 }, inputs: [...inputs] })).toMatchObject({ code: 3016, message: expect.stringContaining('bits=3') });
    expect(refusal({ op: 'MatMulNBits', domain: MS, attrs: { K: 16, N: 2, block_size: 16 }, inputs: [...inputs, '', ['g', tensor('i32', [16], new Array(16).fill(0))]] }).code).toBe(3016);
    expect(refusal({ op: 'MatMulNBits', domain: MS, attrs: { K: 16, N: 2, block_size: 16, weight_prepacked: 1 }, inputs: [...inputs] }).code).toBe(3016);
  });
});
