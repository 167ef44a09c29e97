import { describe, expect, it } from 'vitest';
import { resize, type ResizeParams } from '../../../../compiler/interpret/kernels/resize.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

function params(rank: number, over: Partial<ResizeParams> = {}): ResizeParams {
  return {
    mode: 'nearest', scales: new Array<number>(rank).fill(1), coordinateTransformation: 'half_pixel', nearestMode: 'round_prefer_floor',
    cubicCoeffA: -0.75, excludeOutside: false, extrapolationValue: 0, antialias: false,
    roi: [...new Array<number>(rank).fill(0), ...new Array<number>(rank).fill(1)], ...over,
  };
}

const row = (values: number[]) => tensor('f32', [values.length], values);

// ---- an independent model of the ONNX reference (op_resize.py), written from its text: one
// 1-D interpolation per call, recursing over the leading axis, edge-padded neighbours found
// by sorting distances. ----

function coeffs(ratio: number, scale: number, p: ResizeParams): number[] {
  const A = p.cubicCoeffA;
  if (p.mode === 'nearest') {
    if (Number.isInteger(ratio)) return [0, 1];
    const m = p.nearestMode;
    return m === 'round_prefer_floor' ? [+(ratio <= 0.5), +(ratio > 0.5)] : m === 'round_prefer_ceil' ? [+(ratio < 0.5), +(ratio >= 0.5)] : m === 'floor' ? [1, 0] : [0, 1];
  }
  if (p.mode === 'linear' && !p.antialias) return [1 - ratio, ratio];
  if (p.mode === 'cubic' && !p.antialias) {
    const u = (t: number) => (t <= 1 ? (A + 2) * t ** 3 - (A + 3) * t ** 2 + 1 : t < 2 ? A * t ** 3 - 5 * A * t ** 2 + 8 * A * t - 4 * A : 0);
    return [u(ratio + 1), u(ratio), u(1 - ratio), u(2 - ratio)];
  }
  const s = Math.min(scale, 1);
  const start = p.mode === 'linear' ? Math.floor(-1 / s) + 1 : Math.floor(-2 / s) + 1;
  const out: number[] = [];
  for (let i = start; i < 2 - start; i++) {
    const t = Math.abs((i - ratio) * s);
    out.push(p.mode === 'linear' ? Math.max(0, 1 - t) : t <= 1 ? (A + 2) * t ** 3 - (A + 3) * t ** 2 + 1 : t < 2 ? A * t ** 3 - 5 * A * t ** 2 + 8 * A * t - 4 * A : 0);
  }
  const sum = out.reduce((a, b) => a + b, 0);
  return out.map((c) => c / sum);
}

function interpolate1d(data: number[], scale: number, outInt: number, x: number, roi: [number, number], p: ResizeParams): number {
  const inW = data.length, outW = scale * inW;
  let xo: number;
  switch (p.coordinateTransformation) {
    case 'align_corners': xo = outW === 1 ? 0 : (x * (inW - 1)) / (outW - 1); break;
    case 'asymmetric': xo = x / scale; break;
    case 'tf_crop_and_resize':
      xo = (outW === 1 ? ((roi[1] - roi[0]) * (inW - 1)) / 2 : (x * (roi[1] - roi[0]) * (inW - 1)) / (outW - 1)) + roi[0] * (inW - 1);
      if (xo < 0 || xo > inW - 1) return p.extrapolationValue;
      break;
    case 'pytorch_half_pixel': xo = outW === 1 ? -0.5 : (x + 0.5) / scale - 0.5; break;
    case 'half_pixel_symmetric': xo = (inW / 2) * (1 - outInt / outW) + (x + 0.5) / scale - 0.5; break;
    case 'tf_half_pixel_for_nn': xo = (x + 0.5) / scale; break;
    default: xo = (x + 0.5) / scale - 0.5;
  }
  const ratio = Number.isInteger(xo) ? 1 : xo - Math.floor(xo);
  const c = coeffs(ratio, scale, p);
  const n = c.length, pw = Math.ceil(n / 2);
  const padded = [...new Array<number>(pw).fill(data[0]!), ...data, ...new Array<number>(pw).fill(data[inW - 1]!)];
  const near = padded.map((_, i) => i).sort((a, b) => Math.abs(xo + pw - a) - Math.abs(xo + pw - b) || a - b).slice(0, n).sort((a, b) => a - b);
  if (p.excludeOutside) {
    near.forEach((i, k) => { if (i - pw < 0 || i - pw >= inW) c[k] = 0; });
    const sum = c.reduce((a, b) => a + b, 0);
    c.forEach((v, k) => (c[k] = v / sum));
  }
  return near.reduce((acc, i, k) => acc + c[k]! * padded[i]!, 0);
}

/** The reference's _interpolate_nd_with_x: inner axes first, for every index of the leading one. */
function interpolateNd(data: Tensor, x: number[], outShape: number[], p: ResizeParams): number {
  const values = toNumbers(data);
  const rec = (offset: number, axis: number): number => {
    const inner = data.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const line = Array.from({ length: data.shape[axis]! }, (_, i) => (axis === data.shape.length - 1 ? values[offset + i]! : rec(offset + i * inner, axis + 1)));
    const rank = data.shape.length;
    return interpolate1d(line, p.scales[axis]!, outShape[axis]!, x[axis]!, [p.roi[axis]!, p.roi[rank + axis]!], p);
  };
  return rec(0, 0);
}

function naiveResize(data: Tensor, outShape: number[], p: ResizeParams): number[] {
  let all: number[][] = [[]];
  for (const d of outShape) all = all.flatMap((prefix) => Array.from({ length: d }, (_, i) => [...prefix, i]));
  return all.map((x) => interpolateNd(data, x, outShape, p));
}

describe('resize', () => {
  it('repeats pixels for an integer nearest upsampling, and picks by the nearest mode at exact halves', () => {
    const x = row([10, 20]);
    expect(toNumbers(resize(x, [4], params(1, { scales: [2], coordinateTransformation: 'asymmetric', nearestMode: 'floor' })))).toEqual([10, 10, 20, 20]);
    // asymmetric x/2: output 1 sits at 0.5
    expect(toNumbers(resize(x, [4], params(1, { scales: [2], coordinateTransformation: 'asymmetric' })))).toEqual([10, 10, 20, 20]);
    expect(toNumbers(resize(x, [4], params(1, { scales: [2], coordinateTransformation: 'asymmetric', nearestMode: 'round_prefer_ceil' })))).toEqual([10, 20, 20, 20]);
    // half_pixel: x/2 - 0.25 rounds to floor(x/2)
    expect(toNumbers(resize(row([10, 20, 30, 40]), [8], params(1, { scales: [2] })))).toEqual([10, 10, 20, 20, 30, 30, 40, 40]);
  });

  it('finds neighbours like the reference at a knife edge', () => {
    // 7 -> 3 at scale 0.5, half_pixel_symmetric: output 0 maps to 1.0000000000000002, whose
    // neighbours the reference finds from x_ori + 1, which rounds to exactly 2: pixels 0 and 1
    // (the tie goes to the lower), and the tiny ratio picks the first, pixel 0.
    const x = row([10, 20, 30, 40, 50, 60, 70]);
    const p = params(1, { scales: [0.5], coordinateTransformation: 'half_pixel_symmetric', nearestMode: 'round_prefer_ceil' });
    expect(toNumbers(resize(x, [3], p))).toEqual([10, 40, 60]);
  });

  it('interpolates linearly by hand', () => {
    expectClose(resize(row([0, 3]), [4], params(1, { mode: 'linear', scales: [2], coordinateTransformation: 'align_corners' })), [0, 1, 2, 3]);
    // half_pixel downsampling by 2: x_ori = 2x + 0.5, the mean of each pair
    expectClose(resize(row([1, 3, 5, 7]), [2], params(1, { mode: 'linear', scales: [0.5] })), [2, 6]);
    // with antialias the footprint doubles: weights 1/8, 3/8, 3/8, 1/8 (edge pixels repeat)
    expectClose(resize(row([1, 3, 5, 7, 9, 11, 13, 15]), [4], params(1, { mode: 'linear', scales: [0.5], antialias: true })), [18 / 8, 6, 10, 110 / 8]);
  });

  it('cubic weights sum to one, and with A = -0.5 reproduce a linear ramp away from the edges', () => {
    const ramp = row(Array.from({ length: 16 }, (_, i) => 3 * i - 7));
    const y = toNumbers(resize(ramp, [40], params(1, { mode: 'cubic', scales: [2.5], cubicCoeffA: -0.5, coordinateTransformation: 'asymmetric' })));
    y.forEach((v, j) => {
      const xo = j / 2.5;
      if (xo >= 1 && xo <= 13) expect(v).toBeCloseTo(3 * xo - 7, 4);
    });
    const constant = resize(row(new Array<number>(9).fill(4)), [20], params(1, { mode: 'cubic', scales: [20 / 9], coordinateTransformation: 'asymmetric' }));
    expectClose(constant, new Array<number>(20).fill(4), 1e-6);
    const flat = resize(row(new Array<number>(7).fill(4)), [3], params(1, { mode: 'cubic', scales: [3 / 7], antialias: true }));
    expectClose(flat, [4, 4, 4], 1e-6);
  });

  it('returns the extrapolation value outside the tf_crop_and_resize roi', () => {
    const p = params(1, { mode: 'linear', scales: [1.5], coordinateTransformation: 'tf_crop_and_resize', roi: [-0.5, 1], extrapolationValue: 9 });
    // x_ori = x·1.5·1/2 - 0.5 for outputs 0, 1, 2
    expectClose(resize(row([0, 2]), [3], p), [9, 0.25 * 2, 1.0 * 2]);
  });

  it('is the identity when sizes and scales are unchanged', () => {
    const x = randomTensor('f32', [2, 3, 7], 1);
    for (const mode of ['nearest', 'linear', 'cubic'] as const) {
      for (const coordinateTransformation of ['half_pixel', 'align_corners', 'asymmetric', 'pytorch_half_pixel', 'tf_crop_and_resize'] as const) {
        expect(toNumbers(resize(x, [2, 3, 7], params(3, { mode, coordinateTransformation })))).toEqual(toNumbers(x));
      }
    }
  });

  it('saturates integers like the reference: round half to even, clamp to the range', () => {
    const x = tensor('u8', [4], [0, 255, 255, 0]);
    const y = resize(x, [8], params(1, { mode: 'cubic', scales: [2] }));
    expect(y.dtype).toBe('u8');
    const expected = naiveResize(tensor('f32', [4], [0, 255, 255, 0]), [8], params(1, { mode: 'cubic', scales: [2] }))
      .map((v) => Math.min(255, Math.max(0, Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v))));
    expect(toNumbers(y)).toEqual(expected);
    expect(Math.max(...toNumbers(y))).toBe(255);
  });

  it('matches a model of the ONNX reference on awkward sizes in every mode', () => {
    const transforms = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize', 'tf_half_pixel_for_nn'] as const;
    const cases: [number[], number[], number[]][] = [
      [[1, 7], [1, 3], [1, 0.5]],
      [[2, 1, 5], [2, 3, 12], [1, 3, 2.4]],
      [[1, 4, 4], [1, 9, 10], [1, 9 / 4, 10 / 4]],
      [[3, 129], [2, 50], [0.6, 50 / 129]],
      [[1, 2, 3, 2], [1, 2, 1, 5], [1, 1, 1 / 3, 2.5]],
    ];
    let seed = 200;
    for (const [inShape, outShape, scales] of cases) {
      const x = randomTensor('f32', inShape, seed++);
      const rank = inShape.length;
      for (const coordinateTransformation of transforms) {
        const variants: Partial<ResizeParams>[] = [
          { mode: 'nearest', nearestMode: 'round_prefer_ceil' }, { mode: 'nearest', nearestMode: 'floor' },
          { mode: 'linear' }, { mode: 'linear', antialias: true },
          { mode: 'cubic' }, { mode: 'cubic', cubicCoeffA: -0.5, excludeOutside: true }, { mode: 'cubic', antialias: true },
        ];
        for (const v of variants) {
          const roi = [...inShape.map((_, i) => (i === rank - 1 ? 0.2 : 0)), ...inShape.map((_, i) => (i === rank - 1 ? 0.9 : 1))];
          const p = params(rank, { ...v, scales, coordinateTransformation, roi, extrapolationValue: -3 });
          try {
            expectClose(resize(x, outShape, p), naiveResize(x, outShape, p), 1e-6, 1e-5);
          } catch (e) {
            throw new Error(`${JSON.stringify({ inShape, outShape, v, coordinateTransformation })}: ${(e as Error).message}`);
          }
        }
      }
    }
  });
});
