import { describe, expect, it } from 'vitest';
import { conv, convTranspose, type ConvParams, type ConvTransposeParams } from '../../../../compiler/interpret/kernels/conv.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

const f32 = Math.fround;

/** Row-major strides of a shape. */
function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1, s = 1; a >= 0; a--) {
    out[a] = s;
    s *= shape[a]!;
  }
  return out;
}

/** Every multi-index of `shape`, row-major. */
function indices(shape: readonly number[]): number[][] {
  let all: number[][] = [[]];
  for (const d of shape) all = all.flatMap((prefix) => Array.from({ length: d }, (_, i) => [...prefix, i]));
  return all;
}

/** The definition, term by term: y[n,m,o] = b[m] + Σ_{c,k} x[n, g·Cg + c, o·s - p + k·d] · w[m, c, k]. */
function naiveConv(x: Tensor, w: Tensor, bias: Tensor | undefined, p: ConvParams): Tensor {
  const n = x.shape.length - 2;
  const [N, C] = x.shape as [number, number];
  const [M, Cg] = w.shape as [number, number];
  const inSp = x.shape.slice(2), kSp = w.shape.slice(2);
  const outSp = inSp.map((d, i) => Math.floor((d + p.pads[i]! + p.pads[n + i]! - p.dilations[i]! * (kSp[i]! - 1) - 1) / p.strides[i]!) + 1);
  const X = toNumbers(x), W = toNumbers(w), B = bias ? toNumbers(bias) : undefined;
  const xs = strides(x.shape), ws = strides(w.shape);
  const out: number[] = [];
  for (const [b, m, ...o] of indices([N, M, ...outSp])) {
    const g = Math.floor(m! / (M / p.group));
    let acc = B ? B[m!]! : 0;
    for (let c = 0; c < Cg; c++) {
      for (const k of indices(kSp)) {
        const pos = o.map((oi, i) => oi * p.strides[i]! - p.pads[i]! + k[i]! * p.dilations[i]!);
        if (pos.some((v, i) => v < 0 || v >= inSp[i]!)) continue;
        const xi = b! * xs[0]! + (g * Cg + c) * xs[1]! + pos.reduce((s, v, i) => s + v * xs[i + 2]!, 0);
        const wi = m! * ws[0]! + c * ws[1]! + k.reduce((s, v, i) => s + v * ws[i + 2]!, 0);
        acc += X[xi]! * W[wi]!;
      }
    }
    out.push(acc);
  }
  return tensor('f32', [N, M, ...outSp], out);
}

/** The transpose, by scattering: y[n, g·Mg + m, i·s - p + k·d] += x[n, c, i] · w[c, m, k]. */
function naiveConvTranspose(x: Tensor, w: Tensor, bias: Tensor | undefined, p: ConvTransposeParams): Tensor {
  const n = x.shape.length - 2;
  const [N, C] = x.shape as [number, number];
  const Mg = w.shape[1]!, M = Mg * p.group, Cg = C / p.group;
  const inSp = x.shape.slice(2), kSp = w.shape.slice(2);
  const outSp = inSp.map((d, i) => p.strides[i]! * (d - 1) + p.outputPadding[i]! + p.dilations[i]! * (kSp[i]! - 1) + 1 - p.pads[i]! - p.pads[n + i]!);
  const X = toNumbers(x), W = toNumbers(w);
  const ys = strides([N, M, ...outSp]), ws = strides(w.shape), xs = strides(x.shape);
  const out = new Array<number>(N * M * outSp.reduce((a, b) => a * b, 1)).fill(0);
  if (bias) for (const [b, m, ...o] of indices([N, M, ...outSp])) out[b! * ys[0]! + m! * ys[1]! + o.reduce((s, v, i) => s + v * ys[i + 2]!, 0)] = toNumbers(bias)[m!]!;
  for (const [b, c, ...i] of indices(x.shape)) {
    const g = Math.floor(c! / Cg);
    for (let m = 0; m < Mg; m++) {
      for (const k of indices(kSp)) {
        const pos = i.map((v, a) => v * p.strides[a]! - p.pads[a]! + k[a]! * p.dilations[a]!);
        if (pos.some((v, a) => v < 0 || v >= outSp[a]!)) continue;
        const yi = b! * ys[0]! + (g * Mg + m) * ys[1]! + pos.reduce((s, v, a) => s + v * ys[a + 2]!, 0);
        out[yi] = out[yi]! + X[b! * xs[0]! + c! * xs[1]! + i.reduce((s, v, a) => s + v * xs[a + 2]!, 0)]! * W[c! * ws[0]! + m * ws[1]! + k.reduce((s, v, a) => s + v * ws[a + 2]!, 0)]!;
      }
    }
  }
  return tensor('f32', [N, M, ...outSp], out);
}

const params = (n: number, over: Partial<ConvParams> = {}): ConvParams => ({
  strides: new Array<number>(n).fill(1), pads: new Array<number>(2 * n).fill(0), dilations: new Array<number>(n).fill(1), group: 1, ...over,
});

function dot(a: Tensor, b: Tensor): number {
  const u = toNumbers(a), v = toNumbers(b);
  return u.reduce((s, x, i) => s + x * v[i]!, 0);
}

describe('conv', () => {
  it('computes small 1-D and 2-D cases by hand', () => {
    const x = tensor('f32', [1, 1, 4], [1, 2, 3, 4]);
    const w = tensor('f32', [1, 1, 2], [1, -1]);
    expect(toNumbers(conv(x, w, undefined, params(1)))).toEqual([-1, -1, -1]);
    // pads 1/1, stride 2: windows [pad, 1], [2, 3], [4, pad]
    expect(toNumbers(conv(x, w, undefined, params(1, { pads: [1, 1], strides: [2] })))).toEqual([-1, -1, 4]);
    // dilation 2: taps (1, 3) and (2, 4); bias 0.5
    expect(toNumbers(conv(x, w, tensor('f32', [1], [0.5]), params(1, { dilations: [2] })))).toEqual([-1.5, -1.5]);
    const img = tensor('f32', [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const diag = tensor('f32', [1, 1, 2, 2], [1, 0, 0, 1]);
    const y = conv(img, diag, undefined, params(2));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(toNumbers(y)).toEqual([6, 8, 12, 14]);
  });

  it('matches the definition on awkward sizes, strides, pads, dilations and groups (1-D to 3-D)', () => {
    const cases: [number[], number[], ConvParams, boolean][] = [
      [[1, 1, 129], [1, 1, 7], params(1), false],
      [[2, 3, 7], [6, 1, 3], params(1, { group: 3, pads: [2, 1], strides: [2] }), true],
      [[1, 6, 7, 7], [4, 3, 3, 3], params(2, { group: 2, strides: [2, 1], pads: [1, 0, 2, 1], dilations: [2, 1] }), true],
      [[2, 1, 1, 1], [3, 1, 1, 1], params(2), true],
      [[1, 2, 7, 1, 5], [2, 2, 3, 1, 2], params(3, { pads: [1, 0, 0, 1, 0, 1], strides: [1, 1, 2] }), false],
      [[1, 4, 5, 9], [8, 1, 3, 3], params(2, { group: 4, pads: [1, 1, 1, 1] }), true],
    ];
    cases.forEach(([xs, ws, p, withBias], i) => {
      const x = randomTensor('f32', xs, 10 + i), w = randomTensor('f32', ws, 20 + i);
      const bias = withBias ? randomTensor('f32', [ws[0]!], 30 + i) : undefined;
      expectClose(conv(x, w, bias, p), naiveConv(x, w, bias, p), 1e-6, 1e-6);
    });
  });

  it('leaves x unchanged under an identity kernel, and a centred delta with same padding', () => {
    const x = randomTensor('f32', [2, 3, 7, 5], 1);
    const eye = tensor('f32', [3, 3, 1, 1], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(toNumbers(conv(x, eye, undefined, params(2)))).toEqual(toNumbers(x));
    const delta = tensor('f32', [3, 1, 3, 3], Array.from({ length: 27 }, (_, i) => (i % 9 === 4 ? 1 : 0)));
    expect(toNumbers(conv(x, delta, undefined, params(2, { group: 3, pads: [1, 1, 1, 1] })))).toEqual(toNumbers(x));
  });

  it('is linear in x', () => {
    const x1 = randomTensor('f32', [1, 2, 9], 3), x2 = randomTensor('f32', [1, 2, 9], 4), w = randomTensor('f32', [3, 2, 4], 5);
    const sum = tensor('f32', [1, 2, 9], toNumbers(x1).map((v, i) => v + toNumbers(x2)[i]!));
    const p = params(1, { pads: [1, 2], strides: [2] });
    const parts = toNumbers(conv(x1, w, undefined, p)).map((v, i) => v + toNumbers(conv(x2, w, undefined, p))[i]!);
    expectClose(conv(sum, w, undefined, p), parts, 1e-6, 1e-6);
  });

  it('is fast enough for a 3x3 conv on [1, 64, 56, 56]', () => {
    const x = randomTensor('f32', [1, 64, 56, 56], 6), w = randomTensor('f32', [64, 64, 3, 3], 7);
    const start = performance.now();
    const y = conv(x, w, undefined, params(2, { pads: [1, 1, 1, 1] }));
    expect(y.shape).toEqual([1, 64, 56, 56]);
    expect(performance.now() - start).toBeLessThan(3000); // about 0.2 s on a laptop; generous for CI
  });
});

describe('conv_transpose', () => {
  const tparams = (n: number, over: Partial<ConvTransposeParams> = {}): ConvTransposeParams => ({ ...params(n), outputPadding: new Array<number>(n).fill(0), ...over });

  it('scatters a small 1-D case by hand', () => {
    const x = tensor('f32', [1, 1, 2], [1, 2]);
    const w = tensor('f32', [1, 1, 3], [1, 1, 1]);
    expect(toNumbers(convTranspose(x, w, undefined, tparams(1, { strides: [2] })))).toEqual([1, 1, 3, 2, 2]);
    // pads crop both ends; output padding adds a zero (plus bias) at the end
    expect(toNumbers(convTranspose(x, w, tensor('f32', [1], [10]), tparams(1, { strides: [2], pads: [1, 1], outputPadding: [1] })))).toEqual([11, 13, 12, 12]);
    // negative pads grow the output with zeros
    expect(toNumbers(convTranspose(x, w, undefined, tparams(1, { strides: [2], pads: [-1, 0] })))).toEqual([0, 1, 1, 3, 2, 2]);
  });

  it('matches the definition on awkward sizes, strides, pads, dilations and groups (1-D to 3-D)', () => {
    const cases: [number[], number[], ConvTransposeParams, boolean][] = [
      [[1, 1, 129], [1, 2, 3], tparams(1, { strides: [2] }), true],
      [[2, 4, 7], [4, 1, 3], tparams(1, { group: 2, pads: [1, 2], strides: [3], outputPadding: [2] }), false],
      [[1, 2, 3, 4], [2, 3, 3, 2], tparams(2, { strides: [3, 2], dilations: [2, 1], pads: [1, 0, 0, 1], outputPadding: [1, 1] }), true],
      [[1, 1, 3, 4, 5], [1, 2, 3, 3, 3], tparams(3), false],
      [[1, 3, 1, 1], [3, 1, 1, 1], tparams(2, { group: 3 }), true],
    ];
    cases.forEach(([xs, ws, p, withBias], i) => {
      const x = randomTensor('f32', xs, 40 + i), w = randomTensor('f32', ws, 50 + i);
      const bias = withBias ? randomTensor('f32', [ws[1]! * p.group], 60 + i) : undefined;
      expectClose(convTranspose(x, w, bias, p), naiveConvTranspose(x, w, bias, p), 1e-6, 1e-6);
    });
  });

  it('is the adjoint of conv: <conv(x, w), y> = <x, conv_transpose(y, w)>', () => {
    const configs: [number[], number[], ConvParams][] = [
      [[1, 2, 11], [3, 2, 3], params(1, { strides: [2], pads: [1, 0], dilations: [2] })],
      [[2, 4, 7, 6], [6, 2, 3, 2], params(2, { group: 2, strides: [2, 3], pads: [1, 1, 0, 2] })],
      [[1, 1, 5, 4, 3], [2, 1, 2, 2, 2], params(3, { strides: [1, 2, 1], pads: [0, 1, 1, 1, 0, 0] })],
    ];
    configs.forEach(([xs, ws, p], i) => {
      const x = randomTensor('f32', xs, 70 + i), w = randomTensor('f32', ws, 80 + i);
      const cx = conv(x, w, undefined, p);
      const y = randomTensor('f32', cx.shape, 90 + i);
      const n = xs.length - 2;
      // conv_transpose gives back x's size when output padding makes up what conv's floor dropped
      const outputPadding = xs.slice(2).map((d, a) => (d + p.pads[a]! + p.pads[n + a]! - p.dilations[a]! * (ws[2 + a]! - 1) - 1) % p.strides[a]!);
      const ty = convTranspose(y, w, undefined, { ...p, outputPadding });
      expect(ty.shape).toEqual(x.shape);
      expect(Math.abs(dot(cx, y) - dot(x, ty))).toBeLessThan(1e-4 * Math.max(1, Math.abs(dot(cx, y))));
    });
  });

  it('rounds once to f16', () => {
    const x = tensor('f16', [1, 1, 2], [1, 2]), w = tensor('f16', [1, 1, 1], [f32(1 / 3)]);
    expect(toNumbers(convTranspose(x, w, undefined, tparams(1)))).toEqual(toNumbers(tensor('f16', [2], [1 * toNumbers(w)[0]!, 2 * toNumbers(w)[0]!])));
  });
});
