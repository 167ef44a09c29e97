import { describe, expect, it } from 'vitest';
import { pool, poolOutputSize, type PoolParams } from '../../../../compiler/interpret/kernels/pool.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

function params(n: number, over: Partial<PoolParams> = {}): PoolParams {
  return {
    kind: 'max', kernel: new Array<number>(n).fill(2), strides: new Array<number>(n).fill(1), pads: new Array<number>(2 * n).fill(0),
    dilations: new Array<number>(n).fill(1), ceilMode: false, countIncludePad: false, storageOrder: 0, ...over,
  };
}

function indices(shape: readonly number[]): number[][] {
  let all: number[][] = [[]];
  for (const d of shape) all = all.flatMap((prefix) => Array.from({ length: d }, (_, i) => [...prefix, i]));
  return all;
}

/** Each window's taps straight from the definition: values and flat input indices; plus the padded-input count. */
function naivePool(x: Tensor, p: PoolParams): number[] {
  const n = x.shape.length - 2;
  const inSp = x.shape.slice(2);
  const outSp = inSp.map((d, i) => poolOutputSize(d, p.kernel[i]!, p.strides[i]!, p.pads[i]!, p.pads[n + i]!, p.dilations[i]!, p.ceilMode));
  const X = toNumbers(x);
  const planeSize = inSp.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (const [b, c, ...o] of indices([x.shape[0]!, x.shape[1]!, ...outSp])) {
    const values: number[] = [], flat: number[] = [];
    let padded = 0;
    for (const k of indices(p.kernel)) {
      const pos = o.map((v, i) => v * p.strides[i]! - p.pads[i]! + k[i]! * p.dilations[i]!);
      if (pos.every((v, i) => v >= -p.pads[i]! && v < inSp[i]! + p.pads[n + i]!)) padded++;
      if (pos.some((v, i) => v < 0 || v >= inSp[i]!)) continue;
      const plane = (b! * x.shape[1]! + c!) * planeSize;
      const rowMajor = pos.reduce((s, v, i) => s * inSp[i]! + v, 0);
      values.push(X[plane + rowMajor]!);
      flat.push(plane + rowMajor);
    }
    if (p.kind === 'avg') out.push(values.reduce((s, v) => s + v, 0) / (p.countIncludePad ? padded : values.length));
    else {
      const best = Math.max(...values);
      out.push(p.kind === 'max' ? best : flat[values.indexOf(best)]!);
    }
  }
  return out;
}

describe('pool', () => {
  it('computes 1-D max and average by hand', () => {
    const x = tensor('f32', [1, 1, 5], [1, 3, 2, 5, 4]);
    expect(toNumbers(pool(x, params(1)))).toEqual([3, 3, 5, 5]);
    expect(toNumbers(pool(x, params(1, { kind: 'avg' })))).toEqual([2, 2.5, 3.5, 4.5]);
    const y = tensor('f32', [1, 1, 3], [1, 2, 3]);
    expectClose(pool(y, params(1, { kind: 'avg', kernel: [3], pads: [1, 1] })), [1.5, 2, 2.5]);
    expectClose(pool(y, params(1, { kind: 'avg', kernel: [3], pads: [1, 1], countIncludePad: true })), [1, 2, 5 / 3]);
  });

  it('rounds the output size up in ceil mode, dropping a window that would start in the end padding', () => {
    expect(poolOutputSize(5, 2, 2, 0, 0, 1, false)).toBe(2);
    expect(poolOutputSize(5, 2, 2, 0, 0, 1, true)).toBe(3);
    // in 4, kernel 2, stride 2, end pad 1: ceil gives 3 windows, but the third would start at 4 (padding)
    expect(poolOutputSize(4, 2, 2, 0, 1, 1, true)).toBe(2);
    expect(poolOutputSize(2, 1, 2, 0, 0, 1, true)).toBe(1);
    const x = tensor('f32', [1, 1, 5], [1, 2, 3, 4, 5]);
    // the last window holds only x[4]; it is averaged over its one input tap, or over the taps inside the padded input
    expect(toNumbers(pool(x, params(1, { kind: 'avg', strides: [2], ceilMode: true })))).toEqual([1.5, 3.5, 5]);
    expect(toNumbers(pool(x, params(1, { kind: 'avg', strides: [2], ceilMode: true, countIncludePad: true })))).toEqual([1.5, 3.5, 5]);
  });

  it('gives the flat index of the first maximum, row- or column-major over the spatial axes', () => {
    // two planes of [[1, 4], [3, 2]] and [[7, 7], [0, 1]]
    const x = tensor('f32', [1, 2, 2, 2], [1, 4, 3, 2, 7, 7, 0, 1]);
    const k = params(2, { kind: 'max_index' });
    const rows = pool(x, k);
    expect(rows.dtype).toBe('i64');
    expect(toNumbers(rows)).toEqual([1, 4]);
    expect(toNumbers(pool(x, { ...k, storageOrder: 1 }))).toEqual([2, 4]);
    expect(toNumbers(pool(x, params(2)))).toEqual([4, 7]);
  });

  it('skips NaN taps; a window of only NaN gives NaN', () => {
    const x = tensor('f32', [1, 1, 4], [NaN, 1, NaN, NaN]);
    expect(toNumbers(pool(x, params(1)))).toEqual([1, 1, NaN]);
    expect(toNumbers(pool(x, params(1, { kind: 'max_index' })))).toEqual([1, 1, -1]);
  });

  it('matches the definition on awkward sizes (1-D to 3-D) for max, indices and both averages', () => {
    const cases: [number[], Partial<PoolParams>][] = [
      [[1, 1, 129], { kernel: [7], strides: [3], pads: [3, 2] }],
      [[2, 3, 7, 7], { kernel: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], dilations: [2, 1], ceilMode: true }],
      [[1, 2, 7, 1, 5], { kernel: [2, 1, 3], strides: [2, 1, 2], pads: [1, 0, 1, 0, 0, 1], ceilMode: true }],
      [[1, 1, 1, 1], { kernel: [1, 1] }],
      [[1, 2, 9, 8], { kernel: [3, 3], strides: [3, 3], pads: [1, 1, 1, 1], dilations: [2, 2], ceilMode: true }],
    ];
    cases.forEach(([shape, over], i) => {
      const x = randomTensor('f32', shape, 100 + i);
      const n = shape.length - 2;
      for (const kind of ['max', 'avg', 'max_index'] as const) {
        for (const countIncludePad of kind === 'avg' ? [false, true] : [false]) {
          const p = params(n, { ...over, kind, countIncludePad });
          expectClose(pool(x, p), naivePool(x, p), 1e-6, 1e-6);
        }
      }
    });
  });

  it('keeps integer dtypes exact', () => {
    const x = tensor('u8', [1, 1, 2, 3], [200, 7, 255, 0, 9, 254]);
    const y = pool(x, params(2, { kernel: [2, 2] }));
    expect(y.dtype).toBe('u8');
    expect(toNumbers(y)).toEqual([200, 255]);
  });
});
