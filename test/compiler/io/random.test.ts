import { describe, expect, it } from 'vitest';
import { ALL_DTYPES, DTYPES, type DType } from '../../../compiler/ir/dtype.js';
import { roundToFloat, roundToHalf, toNumbers } from '../../../compiler/interpret/tensor.js';
import { hashSeed, randomTensor, rng, xoshiro128ss } from '../../../compiler/io/random.js';
import { expectDiagnostic, expectQuickDiagnostic } from './helpers.js';

const take = (next: () => number, n: number): number[] => Array.from({ length: n }, next);

describe('generators', () => {
  it('xoshiro128** matches the reference implementation', () => {
    // From the authors' xoshiro128starstar.c with state {1, 2, 3, 4}.
    expect(take(xoshiro128ss(1, 2, 3, 4), 6)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('rng is deterministic per seed, and pinned', () => {
    expect(take(rng(42), 4)).toEqual(take(rng(42), 4));
    expect(take(rng(42), 4)).not.toEqual(take(rng(43), 4));
    expect(take(rng(0), 3)).toEqual(GOLDEN_RNG_0);
    expect(take(rng(0), 1000).every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
  });

  it('hashSeed separates parts and types, and is pinned', () => {
    expect(hashSeed('a', 1)).not.toBe(hashSeed('a', '1'));
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'));
    expect(hashSeed('x')).not.toBe(hashSeed('x', ''));
    expect(hashSeed(7, 'input', 'x')).not.toBe(hashSeed(7, 'input', 'y'));
    expect(hashSeed(7, 'input', 'x')).not.toBe(hashSeed(8, 'input', 'x'));
    expect(hashSeed(0, 'input', 'tokens')).toBe(GOLDEN_HASH);
    const h = hashSeed('anything');
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
  });
});

describe('randomTensor', () => {
  it('is deterministic, and differs between seeds', () => {
    for (const dtype of ALL_DTYPES) {
      expect(randomTensor(dtype, [64], 5).data, dtype).toEqual(randomTensor(dtype, [64], 5).data);
      expect(randomTensor(dtype, [64], 5).data, dtype).not.toEqual(randomTensor(dtype, [64], 6).data);
    }
    expect(toNumbers(randomTensor('f32', [3], 0))).toEqual(GOLDEN_F32_0);
  });

  it('draws floats uniformly from [-scale, scale), rounded to the dtype', () => {
    for (const [dtype, scale] of [['f32', 1], ['f16', 1], ['f32', 0.02], ['f16', 3]] as const) {
      const v = toNumbers(randomTensor(dtype, [20000], hashSeed(dtype, scale), { scale }));
      expect(Math.min(...v), `${dtype} ${scale}`).toBeGreaterThanOrEqual(-scale);
      expect(Math.max(...v), `${dtype} ${scale}`).toBeLessThan(scale);
      expect(Math.min(...v)).toBeLessThan(-0.99 * scale);
      expect(Math.max(...v)).toBeGreaterThan(0.99 * scale);
      expect(Math.abs(v.reduce((a, b) => a + b, 0) / v.length)).toBeLessThan(0.02 * scale);
      if (dtype === 'f16') expect(v.every((x) => roundToHalf(x) === x)).toBe(true);
      else expect(v.every((x) => Math.fround(x) === x)).toBe(true);
    }
  });

  it('draws integers from [-8, 8) when signed, [0, 16) when unsigned, and bools evenly', () => {
    for (const dtype of ['i8', 'i32', 'i64', 'u8'] as const) {
      const v = toNumbers(randomTensor(dtype, [5000], 1));
      const lo = DTYPES[dtype].isSigned ? -8 : 0;
      expect(new Set(v), dtype).toEqual(new Set(Array.from({ length: 16 }, (_, i) => lo + i)));
    }
    expect(randomTensor('i64', [1], 1).data).toBeInstanceOf(BigInt64Array);
    const b = toNumbers(randomTensor('bool', [10000], 1));
    expect(new Set(b)).toEqual(new Set([0, 1]));
    expect(Math.abs(b.reduce((a, x) => a + x, 0) - 5000)).toBeLessThan(300);
  });

  it('rounds every float dtype to its format, f64 from 53 random bits', () => {
    for (const dtype of ['bf16', 'f8e4m3fn', 'f8e4m3fnuz', 'f8e5m2', 'f8e5m2fnuz', 'f8e8m0', 'f4e2m1'] as const) {
      const scale = Math.min(4, DTYPES[dtype].max);
      const v = toNumbers(randomTensor(dtype, [2000], 3, { scale }));
      expect(v.every((x) => roundToFloat(dtype, x) === x && x < scale && x >= -scale), dtype).toBe(true);
      expect(new Set(v).size, dtype).toBeGreaterThan(dtype === 'f4e2m1' ? 8 : dtype === 'f8e8m0' ? 5 : 20);
    }
    const d = randomTensor('f64', [1000], 3);
    expect(d.data).toBeInstanceOf(Float64Array);
    expect(toNumbers(d).filter((x) => Math.fround(x) !== x).length).toBeGreaterThan(990);
    expect(toNumbers(randomTensor('f8e8m0', [100], 3)).every((x) => x > 0 && x < 1)).toBe(true);
    expect(toNumbers(randomTensor('f8e8m0', [100], 3, { scale: 2 ** -126 })).every((x) => x === 2 ** -127)).toBe(true);
    expectDiagnostic(() => randomTensor('f8e8m0', [2], 1, { scale: 2 ** -127 }), 5011, /positive f8e8m0 number/);
  });

  it('draws the new integers in range: 2-bit types over their whole range', () => {
    const ranges: [DType, number, number][] = [['i16', -8, 7], ['u16', 0, 15], ['u32', 0, 15], ['u64', 0, 15], ['i4', -8, 7], ['u4', 0, 15], ['i2', -2, 1], ['u2', 0, 3]];
    for (const [dtype, lo, hi] of ranges) {
      const v = toNumbers(randomTensor(dtype, [2000], 4));
      expect(new Set(v), dtype).toEqual(new Set(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)));
    }
    expect(randomTensor('u64', [1], 1).data).toBeInstanceOf(BigUint64Array);
  });

  it('is never all zeros', () => {
    for (const dtype of ALL_DTYPES) {
      for (let seed = 0; seed < 200; seed++) {
        const t = randomTensor(dtype, [1], seed);
        expect(toNumbers(t)[0], `${dtype} seed ${seed}`).not.toBe(0);
      }
    }
    expect(toNumbers(randomTensor('f16', [4], 1, { scale: 1e-9 })).some((x) => x !== 0)).toBe(true);
  });

  it('handles scalars and empty shapes', () => {
    const s = randomTensor('f32', [], 3);
    expect(s.shape).toEqual([]);
    expect(s.data.length).toBe(1);
    const e = randomTensor('i32', [4, 0], 3);
    expect(e.shape).toEqual([4, 0]);
    expect(e.data.length).toBe(0);
  });

  it('refuses bad scales and huge shapes', () => {
    expectDiagnostic(() => randomTensor('f32', [2], 1, { scale: 0 }), 5011, /scale for random tensor must be a positive f32/);
    expectDiagnostic(() => randomTensor('f32', [2], 1, { scale: NaN }), 5011);
    expectDiagnostic(() => randomTensor('f16', [2], 1, { scale: 1e6, label: "input 'x'" }), 5011, /scale for input 'x'/);
    expectQuickDiagnostic(() => randomTensor('f32', [1e12, 1e12], 1, { label: 'w' }), 5013, /'w' would need/);
  });
});

// Pinned outputs: a change here changes every generated input and demo weight.
const GOLDEN_RNG_0 = [3809008728, 1133695204, 53579671]; // also computed with a C splitmix32 + xoshiro128**
const GOLDEN_HASH = 1268777142;
const GOLDEN_F32_0 = [0.7737078666687012, -0.47208213806152344, -0.9750500917434692];
