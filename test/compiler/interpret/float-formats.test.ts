import { describe, expect, it } from 'vitest';
import {
  bitsToValueTable, floatFromBits, floatToBits, fromHalfBits, maxFinite, roundHalfEven, roundToBf16, roundToF4E2M1,
  roundToF8E4M3FN, roundToF8E4M3FNUZ, roundToF8E5M2, roundToF8E5M2FNUZ, roundToF8E8M0, roundToFloat, roundToHalf, toBf16Bits,
  toHalfBits, type ReducedFloat,
} from '../../../compiler/interpret/float-formats.js';

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const expectValues = (got: number[], want: number[]): void => {
  expect(got.map((v, i) => (same(v, want[i]!) ? 'ok' : `[${i}] ${v} != ${want[i]}`))).toEqual(want.map(() => 'ok'));
};

describe('every bit pattern survives decode then encode', () => {
  const patterns: [ReducedFloat, number][] = [
    ['f16', 16], ['bf16', 16], ['f8e4m3fn', 8], ['f8e4m3fnuz', 8], ['f8e5m2', 8], ['f8e5m2fnuz', 8], ['f8e8m0', 8], ['f4e2m1', 4],
  ];
  for (const [dtype, bits] of patterns) {
    it(dtype, () => {
      const bad: string[] = [];
      for (let b = 0; b < 2 ** bits; b++) {
        const v = floatFromBits(dtype, b);
        const back = floatToBits(dtype, v, { saturate: false });
        // NaNs come back as the format's one quiet NaN of their sign.
        const ok = Number.isNaN(v) ? Number.isNaN(floatFromBits(dtype, back)) : back === b;
        if (!ok || !same(roundToFloat(dtype, v, { saturate: false }), v)) bad.push(`${b.toString(16)} -> ${v} -> ${back.toString(16)}`);
      }
      expect(bad).toEqual([]);
    });
  }

  it('the 8-bit tables match floatFromBits', () => {
    for (const dtype of ['f8e4m3fn', 'f8e4m3fnuz', 'f8e5m2', 'f8e5m2fnuz', 'f8e8m0', 'f4e2m1'] as const) {
      const table = bitsToValueTable(dtype);
      expect([...table].every((v, b) => same(v, Math.fround(floatFromBits(dtype, b))))).toBe(true);
    }
  });
});

describe('format facts (ONNX float8.md, float4.md)', () => {
  it('largest finite values and special patterns', () => {
    expect(['f16', 'bf16', 'f8e4m3fn', 'f8e4m3fnuz', 'f8e5m2', 'f8e5m2fnuz', 'f8e8m0', 'f4e2m1'].map((d) => maxFinite(d as ReducedFloat)))
      .toEqual([65504, 3.3895313892515355e38, 448, 240, 57344, 57344, 2 ** 127, 6]);
    expect(floatFromBits('f8e4m3fn', 0x7f)).toBeNaN();
    expect(floatFromBits('f8e4m3fn', 0x7e)).toBe(448);
    expect(floatFromBits('f8e4m3fn', 0x01)).toBe(2 ** -9);
    expect(floatFromBits('f8e4m3fnuz', 0x80)).toBeNaN();
    expect(floatFromBits('f8e4m3fnuz', 0x7f)).toBe(240);
    expect(floatFromBits('f8e4m3fnuz', 0x01)).toBe(2 ** -10);
    expect(floatFromBits('f8e5m2', 0x7c)).toBe(Infinity);
    expect(floatFromBits('f8e5m2', 0x7d)).toBeNaN();
    expect(floatFromBits('f8e5m2', 0x01)).toBe(2 ** -16);
    expect(floatFromBits('f8e5m2fnuz', 0x80)).toBeNaN();
    expect(floatFromBits('f8e5m2fnuz', 0x01)).toBe(2 ** -17);
    expect(floatFromBits('f8e8m0', 0)).toBe(2 ** -127);
    expect(floatFromBits('f8e8m0', 127)).toBe(1);
    expect(floatFromBits('f8e8m0', 0xff)).toBeNaN();
    expect([...Array(8).keys()].map((b) => floatFromBits('f4e2m1', b))).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    expect(floatFromBits('f4e2m1', 0x8)).toBe(-0);
  });
});

describe('round to nearest even, straight from the f64', () => {
  it('roundHalfEven is C nearbyint', () => {
    expectValues([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 2 ** 53, -0].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, -3, 2 ** 53, -0]);
  });

  it('f16 has no double rounding through f32', () => {
    // 1 + 2^-11 is half-way between 1 and 1 + 2^-10; 2^-40 past it must round up. Through f32
    // the 2^-40 is lost first and the tie goes to even (1).
    expect(roundToHalf(1 + 2 ** -11 + 2 ** -40)).toBe(1 + 2 ** -10);
    expect(roundToHalf(1 + 2 ** -11)).toBe(1);
    expect(roundToHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(toHalfBits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    expect(roundToBf16(1 + 2 ** -8 + 2 ** -40)).toBe(1 + 2 ** -7);
    expect(roundToBf16(1 + 2 ** -8)).toBe(1);
  });

  it('f16 and bf16 overflow to infinity at the half-way point past max, and keep subnormals', () => {
    expectValues([65519.99, 65520, -65520, 2 ** -25, 2 ** -25 + 2 ** -40, 2 ** -26, 3 * 2 ** -26].map(roundToHalf),
      [65504, Infinity, -Infinity, 0, 2 ** -24, 0, 2 ** -24]);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(NaN)).toBe(0x7e00);
    expect(fromHalfBits(0x7bff)).toBe(65504);
    expect(roundToBf16(3.4e38)).toBe(Infinity);
    expect(roundToBf16(3.39e38)).toBe(3.3895313892515355e38);
    expect(roundToBf16(2 ** -134 + 2 ** -160)).toBe(2 ** -133);
    expect(toBf16Bits(1 + 2 ** -23)).toBe(0x3f80);
  });

  it('f8e4m3fn: RNE, saturate to ±448 by default; without saturate, NaN keeping the sign', () => {
    expectValues([0.47892547, 464, 465, 479, 1e6, Infinity, -Infinity, NaN, 2 ** -10, 2 ** -10 + 2 ** -20, -0, -1e-7].map((v) => roundToF8E4M3FN(v)),
      [0.46875, 448, 448, 448, 448, 448, -448, NaN, 0, 2 ** -9, -0, -0]);
    expectValues([464, 465, Infinity, -Infinity, -1e6].map((v) => roundToF8E4M3FN(v, false)), [448, NaN, NaN, NaN, NaN]);
    expect([Infinity, -Infinity, -1e6].map((v) => floatToBits('f8e4m3fn', v, { saturate: false }))).toEqual([0x7f, 0xff, 0xff]);
  });

  it('f8e4m3fnuz: max 240, one zero, one NaN (0x80)', () => {
    expectValues([247, 248, 1e6, -Infinity, NaN, -0, -1e-7, 2 ** -11].map((v) => roundToF8E4M3FNUZ(v)), [240, 240, 240, -240, NaN, 0, 0, 0]);
    expectValues([247, 248, Infinity].map((v) => roundToF8E4M3FNUZ(v, false)), [240, NaN, NaN]);
    expect([-0, NaN, -Infinity].map((v) => floatToBits('f8e4m3fnuz', v, { saturate: false }))).toEqual([0, 0x80, 0x80]);
  });

  it('f8e5m2: saturate to ±57344, or overflow to ±inf from 61440 without saturate', () => {
    expectValues([61439, 61440, Infinity, -1e6].map((v) => roundToF8E5M2(v)), [57344, 57344, 57344, -57344]);
    expectValues([61439, 61440, Infinity, -1e6, NaN].map((v) => roundToF8E5M2(v, false)), [57344, Infinity, Infinity, -Infinity, NaN]);
    expect(floatToBits('f8e5m2', NaN)).toBe(0x7e);
  });

  it('f8e5m2fnuz: no inf, no -0', () => {
    expectValues([1e6, -Infinity, -0, 2 ** -18].map((v) => roundToF8E5M2FNUZ(v)), [57344, -57344, 0, 0]);
    expectValues([1e6, -Infinity].map((v) => roundToF8E5M2FNUZ(v, false)), [NaN, NaN]);
  });

  it('f4e2m1 always saturates, and NaN becomes -0 (as ONNX test_cast_FLOAT_to_FLOAT4E2M1 expects)', () => {
    expectValues([0.48, 0.25, 0.75, 1.05, -3.5, 5, 5.01, -8, 9, 1e6, 1e-7, NaN, Infinity, -Infinity, -4, 0.01, -0].map(roundToF4E2M1),
      [0.5, 0, 1, 1, -4, 4, 6, -6, 6, 6, 0, -0, 6, -6, -4, 0, -0]);
    expect(roundToFloat('f4e2m1', 100, { saturate: false })).toBe(6);
  });

  it('f8e8m0 rounds the exponent up (default), down or to nearest (ties up)', () => {
    const xs = [0, 0.124, 0.25, 1.1, 1.25, 1.5, 1.4999, 3, -2, 2 ** -130, 2 ** 127 * 1.5, 1e39, NaN, Infinity];
    expectValues(xs.map((v) => roundToF8E8M0(v)), [2 ** -127, 0.125, 0.25, 2, 2, 2, 2, 4, 2, 2 ** -127, 2 ** 127, 2 ** 127, NaN, NaN]);
    expectValues(xs.map((v) => roundToF8E8M0(v, true, 'down')), [2 ** -127, 0.0625, 0.25, 1, 1, 1, 1, 2, 2, 2 ** -127, 2 ** 127, 2 ** 127, NaN, NaN]);
    expectValues(xs.map((v) => roundToF8E8M0(v, true, 'nearest')), [2 ** -127, 0.125, 0.25, 1, 1, 2, 1, 4, 2, 2 ** -127, 2 ** 127, 2 ** 127, NaN, NaN]);
    expectValues([2 ** 127 * 1.5, 1e39].map((v) => roundToF8E8M0(v, false)), [NaN, NaN]);
    expect(floatToBits('f8e8m0', 1.1)).toBe(0x80);
    expect(floatToBits('f8e8m0', NaN)).toBe(0xff);
  });
});
