// The normalisation converters (LayerNormalization, RMSNormalization, BatchNormalization,
// InstanceNormalization, GroupNormalization) and Dropout at inference: one-node models run on
// the interpreter and checked against the ONNX formulas computed naively here on seeded random
// data of awkward sizes; training modes are refused as unsupported.

import { describe, expect, it } from 'vitest';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../../helpers/close.js';
import { refusal, runOneNode, runY } from '../../../../helpers/onnx-one-node.js';
import { randomTensor } from '../../../../helpers/random.js';

const f32 = Math.fround;
const EPS = f32(1e-5);

interface Moments {
  readonly mean: number[];
  readonly inv: number[];
}

/** Per row of `width` consecutive elements: mean and 1/sqrt(var + eps) (or of the mean square when not centred). */
function moments(v: readonly number[], width: number, eps: number, centre = true): Moments {
  const mean: number[] = [], inv: number[] = [];
  for (let r = 0; r < v.length / width; r++) {
    const row = v.slice(r * width, (r + 1) * width);
    const m = centre ? row.reduce((a, b) => a + b, 0) / width : 0;
    const variance = row.reduce((a, b) => a + (b - m) ** 2, 0) / width;
    mean.push(m);
    inv.push(1 / Math.sqrt(variance + eps));
  }
  return { mean, inv };
}

/** (x - mean) · inv per row, times scale and plus bias indexed by position `p` (scale(p), bias(p)). */
function normalise(v: readonly number[], width: number, m: Moments, scale: (p: number) => number = () => 1, bias: (p: number) => number = () => 0): number[] {
  return v.map((x, p) => {
    const r = Math.floor(p / width);
    return (x - m.mean[r]!) * m.inv[r]! * scale(p) + bias(p);
  });
}

describe('LayerNormalization', () => {
  const x = randomTensor('f32', [7, 3, 129], 1);
  const s129 = randomTensor('f32', [129], 2), b129 = randomTensor('f32', [129], 3);

  it('normalises the last axis with scale and bias, and gives Mean and InvStdDev', () => {
    const out = runOneNode({ op: 'LayerNormalization', opset: 17, inputs: [['x', x], ['s', s129], ['b', b129]], outputs: ['y', 'mean', 'inv'] });
    const m = moments(toNumbers(x), 129, EPS);
    const sv = toNumbers(s129), bv = toNumbers(b129);
    expectClose(out.get('y')!, normalise(toNumbers(x), 129, m, (p) => sv[p % 129]!, (p) => bv[p % 129]!), 1e-5, 1e-5);
    expect(out.get('mean')!.shape).toEqual([7, 3, 1]);
    expectClose(out.get('mean')!, m.mean, 1e-6, 1e-5);
    expect(out.get('inv')!.dtype).toBe('f32');
    expectClose(out.get('inv')!, m.inv, 1e-6, 1e-5);
  });

  it('normalises axes 1.. with a [3, 129] scale and no bias, and a scale that broadcasts over more than the normalised axes', () => {
    const s = randomTensor('f32', [3, 129], 4), sv = toNumbers(s);
    const y = runY({ op: 'LayerNormalization', opset: 17, inputs: [['x', x], ['s', s]], attrs: { axis: 1, epsilon: 0.25 } });
    expectClose(y, normalise(toNumbers(x), 387, moments(toNumbers(x), 387, 0.25), (p) => sv[p % 387]!), 1e-5, 1e-5);
    const z = runY({ op: 'LayerNormalization', opset: 17, inputs: [['x', x], ['s', s]], attrs: { axis: 2 } });
    expectClose(z, normalise(toNumbers(x), 129, moments(toNumbers(x), 129, EPS), (p) => sv[p % 387]!), 1e-5, 1e-5);
  });

  it('computes f16 in the f32 stash type, then scales in f16', () => {
    const h = tensor('f16', [2, 5], [1, 2, 3, 4, 100, -1, 0.5, 0.25, 8, 3]);
    const s = tensor('f16', [5], [1, 0.5, 2, -1, 1]);
    const out = runOneNode({ op: 'LayerNormalization', opset: 17, inputs: [['x', h], ['s', s]], outputs: ['y', '', 'inv'] });
    expect(out.get('y')!.dtype).toBe('f16');
    expect(out.get('inv')!.dtype).toBe('f32');
    const m = moments(toNumbers(h), 5, EPS);
    expectClose(out.get('y')!, normalise(toNumbers(h), 5, m, (p) => toNumbers(s)[p % 5]!), 2e-3, 2e-3);
    expectClose(out.get('inv')!, m.inv, 1e-7, 1e-6);
  });
});

describe('RMSNormalization', () => {
  it('divides by the root mean square over axes axis..', () => {
    const x = randomTensor('f32', [7, 129], 5), s = randomTensor('f32', [129], 6);
    const sv = toNumbers(s);
    expectClose(runY({ op: 'RMSNormalization', opset: 23, inputs: [['x', x], ['s', s]] }), normalise(toNumbers(x), 129, moments(toNumbers(x), 129, EPS, false), (p) => sv[p % 129]!), 1e-5, 1e-5);
    const all = randomTensor('f32', [7, 129], 7), av = toNumbers(all);
    const y = runY({ op: 'RMSNormalization', opset: 23, inputs: [['x', x], ['s', all]], attrs: { axis: 0, epsilon: 0.5 } });
    expectClose(y, normalise(toNumbers(x), 903, moments(toNumbers(x), 903, 0.5, false), (p) => av[p]!), 1e-5, 1e-5);
  });

  it('does not exist before opset 23', () => {
    expect(refusal({ op: 'RMSNormalization', opset: 22, inputs: [['x', randomTensor('f32', [2], 1)], ['s', randomTensor('f32', [2], 2)]] }).code).toBe(3002);
  });
});

describe('BatchNormalization', () => {
  const x = randomTensor('f32', [2, 3, 7, 5], 8);
  const [scale, bias, mean] = [randomTensor('f32', [3], 9), randomTensor('f32', [3], 10), randomTensor('f32', [3], 11)];
  const variance = tensor('f32', [3], toNumbers(randomTensor('f32', [3], 12)).map((v) => v + 1.5));
  const params = [['scale', scale], ['bias', bias], ['mean', mean], ['var', variance]] as const;
  const want = (eps: number): number[] =>
    toNumbers(x).map((v, p) => {
      const c = Math.floor(p / 35) % 3;
      return (toNumbers(scale)[c]! * (v - toNumbers(mean)[c]!)) / Math.sqrt(toNumbers(variance)[c]! + eps) + toNumbers(bias)[c]!;
    });

  it('normalises per channel with the given statistics (opsets 15, 9 and 6 with is_test)', () => {
    expectClose(runY({ op: 'BatchNormalization', opset: 15, inputs: [['x', x], ...params] }), want(EPS), 1e-6, 1e-5);
    expectClose(runY({ op: 'BatchNormalization', opset: 9, inputs: [['x', x], ...params], attrs: { epsilon: 0.125 } }), want(0.125), 1e-6, 1e-5);
    expectClose(runY({ op: 'BatchNormalization', opset: 6, inputs: [['x', x], ...params], attrs: { is_test: 1 } }), want(EPS), 1e-6, 1e-5);
  });

  it('takes channels on axis 1 of a rank-2 input, and per-element statistics with spatial=0 (opset 7)', () => {
    const flat = randomTensor('f32', [7, 3], 13);
    const y = runY({ op: 'BatchNormalization', opset: 15, inputs: [['x', flat], ...params] });
    expectClose(y, toNumbers(flat).map((v, p) => {
      const c = p % 3;
      return (toNumbers(scale)[c]! * (v - toNumbers(mean)[c]!)) / Math.sqrt(toNumbers(variance)[c]! + EPS) + toNumbers(bias)[c]!;
    }), 1e-6, 1e-5);
    const small = randomTensor('f32', [2, 3, 2], 14);
    const per = (seed: number, shift = 0): Tensor => tensor('f32', [3, 2], toNumbers(randomTensor('f32', [3, 2], seed)).map((v) => v + shift));
    const [s, b, m, va] = [per(15), per(16), per(17), per(18, 1.5)];
    const z = runY({ op: 'BatchNormalization', opset: 7, inputs: [['x', small], ['scale', s], ['bias', b], ['mean', m], ['var', va]], attrs: { spatial: 0 } });
    expectClose(z, toNumbers(small).map((v, p) => {
      const e = p % 6;
      return (toNumbers(s)[e]! * (v - toNumbers(m)[e]!)) / Math.sqrt(toNumbers(va)[e]! + EPS) + toNumbers(b)[e]!;
    }), 1e-6, 1e-5);
  });

  it('computes an f16 input with f32 statistics (opset 15) in f32, and stores f16', () => {
    const h = tensor('f16', x.shape, toNumbers(x));
    const y = runY({ op: 'BatchNormalization', opset: 15, inputs: [['x', h], ...params] });
    expect(y.dtype).toBe('f16');
    expectClose(y, want(EPS), 2e-3, 2e-3);
    expect(refusal({ op: 'BatchNormalization', opset: 7, inputs: [['x', x], ...params], attrs: { spatial: 0 } }).code).toBe(3015);
  });

  it('refuses training mode', () => {
    const r = refusal({ op: 'BatchNormalization', opset: 15, inputs: [['x', x], ...params], attrs: { training_mode: 1 } });
    expect(r.code).toBe(3016);
    expect(r.message).toContain('training_mode');
    expect(refusal({ op: 'BatchNormalization', opset: 6, inputs: [['x', x], ...params] }).code).toBe(3016);
    expect(refusal({ op: 'BatchNormalization', opset: 9, inputs: [['x', x], ...params], outputs: ['y', 'running_mean'] }).code).toBe(3016);
  });
});

describe('InstanceNormalization and GroupNormalization', () => {
  const x = randomTensor('f32', [2, 4, 7, 3], 19);
  const s4 = randomTensor('f32', [4], 20), b4 = randomTensor('f32', [4], 21);
  const channel = (t: Tensor) => (p: number): number => toNumbers(t)[Math.floor(p / 21) % 4]!;

  it('InstanceNormalization normalises each instance and channel over the spatial axes', () => {
    const y = runY({ op: 'InstanceNormalization', opset: 6, inputs: [['x', x], ['s', s4], ['b', b4]], attrs: { epsilon: 0.01 } });
    expectClose(y, normalise(toNumbers(x), 21, moments(toNumbers(x), 21, 0.01), channel(s4), channel(b4)), 1e-5, 1e-5);
  });

  it('GroupNormalization (opset 21) normalises groups of channels, then scales per channel', () => {
    const y = runY({ op: 'GroupNormalization', opset: 21, inputs: [['x', x], ['s', s4], ['b', b4]], attrs: { num_groups: 2 } });
    expectClose(y, normalise(toNumbers(x), 42, moments(toNumbers(x), 42, EPS), channel(s4), channel(b4)), 1e-5, 1e-5);
    const one = runY({ op: 'GroupNormalization', opset: 21, inputs: [['x', x], ['s', s4], ['b', b4]], attrs: { num_groups: 4 } });
    expectClose(one, runY({ op: 'InstanceNormalization', opset: 6, inputs: [['x', x], ['s', s4], ['b', b4]] }), 1e-6, 1e-5);
  });

  it('GroupNormalization (opset 18) scales per group', () => {
    const s2 = tensor('f32', [2], [2, -1]), b2 = tensor('f32', [2], [0.5, 3]);
    const y = runY({ op: 'GroupNormalization', opset: 18, inputs: [['x', x], ['s', s2], ['b', b2]], attrs: { num_groups: 2 } });
    const group = (t: Tensor) => (p: number): number => toNumbers(t)[Math.floor(p / 42) % 2]!;
    expectClose(y, normalise(toNumbers(x), 42, moments(toNumbers(x), 42, EPS), group(s2), group(b2)), 1e-5, 1e-5);
  });

  it('GroupNormalization refuses a group count that does not divide the channels', () => {
    expect(refusal({ op: 'GroupNormalization', opset: 21, inputs: [['x', x], ['s', s4], ['b', b4]], attrs: { num_groups: 3 } }).code).toBe(3004);
  });
});

describe('Dropout', () => {
  const x = randomTensor('f32', [7, 129], 22);

  it('is the identity at inference, with an all-true mask', () => {
    const out = runOneNode({ op: 'Dropout', opset: 22, inputs: [['x', x], ['ratio', tensor('f32', [], [0.5])], ['mode', tensor('bool', [], [0])]], constants: ['mode'], outputs: ['y', 'mask'] });
    expect(toNumbers(out.get('y')!)).toEqual(toNumbers(x));
    expect(out.get('mask')!.dtype).toBe('bool');
    expect(toNumbers(out.get('mask')!)).toEqual(new Array(903).fill(1));
    expect(toNumbers(runY({ op: 'Dropout', opset: 11, inputs: [['x', x]], attrs: { ratio: 0.25 } }))).toEqual(toNumbers(x));
    const old = runOneNode({ op: 'Dropout', opset: 7, inputs: [['x', x]], outputs: ['y', 'mask'] });
    expect(old.get('mask')!.dtype).toBe('f32');
    expect(toNumbers(runY({ op: 'Dropout', opset: 6, inputs: [['x', x]], attrs: { is_test: 1 } }))).toEqual(toNumbers(x));
  });

  it('refuses training mode', () => {
    expect(refusal({ op: 'Dropout', opset: 22, inputs: [['x', x], '', ['mode', tensor('bool', [], [1])]], constants: ['mode'] }).code).toBe(3016);
    expect(refusal({ op: 'Dropout', opset: 22, inputs: [['x', x], '', ['mode', tensor('bool', [], [1])]] }).code).toBe(3014);
    expect(refusal({ op: 'Dropout', opset: 6, inputs: [['x', x]] }).code).toBe(3016);
  });
});
