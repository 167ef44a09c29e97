import { describe, expect, it } from 'vitest';
import type { DType } from '../../../../compiler/ir/dtype.js';
import { dequantize, quantize, scaleOffsets, type QuantizeOptions } from '../../../../compiler/interpret/kernels/quantize.js';
import { sizeOf, tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

const perTensor = (to: DType, extra: Partial<QuantizeOptions> = {}): QuantizeOptions => ({ axis: 0, blockSize: 0, to, saturate: true, precision: 'f32', ...extra });

/** The scale index of every element by walking its multi-index (independent of the kernel's arithmetic). */
function naiveScaleIndex(shape: number[], scaleShape: number[], axis: number, blockSize: number): number[] {
  const out: number[] = [];
  const index = shape.map(() => 0);
  for (let i = 0; i < sizeOf(shape); i++) {
    if (scaleShape.length === 0) out.push(0);
    else if (blockSize === 0) out.push(index[axis]!);
    else {
      let flat = 0;
      for (let d = 0; d < shape.length; d++) flat = flat * scaleShape[d]! + (d === axis ? Math.floor(index[d]! / blockSize) : index[d]!);
      out.push(flat);
    }
    for (let d = shape.length - 1; d >= 0 && ++index[d]! === shape[d]; d--) index[d] = 0;
  }
  return out;
}

/** Positive scales in [0.01, 0.51). */
function scales(shape: number[], seed: number): Tensor {
  return tensor('f32', shape, toNumbers(randomTensor('f32', shape, seed)).map((v) => 0.26 + v / 4));
}

describe('quantize', () => {
  it('rounds half to even, adds the zero point and saturates (uint8 by hand)', () => {
    const x = tensor('f32', [8], [0.5, 1.5, 2.5, -0.5, -1.5, 200, -200, 127.49]);
    const y = quantize(x, tensor('f32', [], [1]), tensor('u8', [], [128]), perTensor('u8'));
    expect(y.dtype).toBe('u8');
    expect(toNumbers(y)).toEqual([128, 130, 130, 128, 126, 255, 0, 255]);
  });

  it('divides by the scale first: 3 / 2 = 1.5 rounds to 2, 5 / 2 = 2.5 to 2', () => {
    const y = quantize(tensor('f32', [4], [3, 5, -3, 7]), tensor('f32', [], [2]), undefined, perTensor('i8'));
    expect(toNumbers(y)).toEqual([2, 2, -2, 4]);
  });

  it('saturates to each integer range: int16, uint16, int4, uint4, int2, uint2', () => {
    const x = tensor('f32', [5], [-1e6, -3, 0, 3, 1e6]);
    const one = tensor('f32', [], [1]);
    const cases: [DType, number[]][] = [
      ['i16', [-32768, -3, 0, 3, 32767]],
      ['u16', [0, 0, 0, 3, 65535]],
      ['i4', [-8, -3, 0, 3, 7]],
      ['u4', [0, 0, 0, 3, 15]],
      ['i2', [-2, -2, 0, 1, 1]],
      ['u2', [0, 0, 0, 3, 3]],
    ];
    for (const [to, want] of cases) expect(toNumbers(quantize(x, one, undefined, perTensor(to)))).toEqual(want);
  });

  it('rounds the quotient to the precision dtype before rounding to an integer', () => {
    // 2.5004 is 2.5 in f16 (spacing 2^-9 there), which rounds to 2; in f32 it rounds to 3.
    const x = tensor('f32', [1], [2.5004]);
    expect(toNumbers(quantize(x, tensor('f32', [], [1]), undefined, perTensor('u8', { precision: 'f16' })))).toEqual([2]);
    expect(toNumbers(quantize(x, tensor('f32', [], [1]), undefined, perTensor('u8', { precision: 'f32' })))).toEqual([3]);
  });

  it('rounds to fp8 and saturates, or overflows without saturate', () => {
    const x = tensor('f32', [4], [0.3, -1000, 1000, 1e6]);
    const one = tensor('f32', [], [1]);
    expect(toNumbers(quantize(x, one, undefined, perTensor('f8e4m3fn')))).toEqual([0.3125, -448, 448, 448]);
    const raw = toNumbers(quantize(x, one, undefined, perTensor('f8e4m3fn', { saturate: false })));
    expect(raw[0]).toBe(0.3125);
    expect(raw.slice(1).every(Number.isNaN)).toBe(true); // e4m3fn has no infinity
    expect(toNumbers(quantize(x, one, undefined, perTensor('f8e5m2', { saturate: false }))).slice(2)).toEqual([1024, Infinity]);
    expect(toNumbers(quantize(x, one, undefined, perTensor('f4e2m1')))).toEqual([0.5, -6, 6, 6]);
  });

  it('quantizes per axis and in blocks with a short last block', () => {
    // x [2, 5], axis 1 in blocks of 2: blocks {0,1}, {2,3}, {4}.
    const x = tensor('f32', [2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const s = tensor('f32', [2, 3], [1, 2, 4, 0.5, 1, 2]);
    const z = tensor('i8', [2, 3], [0, 1, 2, 3, 4, 5]);
    const y = quantize(x, s, z, { ...perTensor('i8'), axis: 1, blockSize: 2 });
    expect(toNumbers(y)).toEqual([1, 2, 2 + 1, 2 + 1, 1 + 2, 12 + 3, 14 + 3, 8 + 4, 9 + 4, 5 + 5]);
    const perAxis = quantize(x, tensor('f32', [2], [1, 0.5]), tensor('u8', [2], [10, 20]), { ...perTensor('u8'), axis: 0 });
    expect(toNumbers(perAxis)).toEqual([11, 12, 13, 14, 15, 32, 34, 36, 38, 40]);
  });

  it('sends NaN to the zero point and ±inf to the range ends', () => {
    const y = quantize(tensor('f32', [3], [NaN, Infinity, -Infinity]), tensor('f32', [], [1]), tensor('u8', [], [7]), perTensor('u8'));
    expect(toNumbers(y)).toEqual([7, 255, 0]);
  });
});

describe('dequantize', () => {
  it('computes (x - zero point) * scale by hand', () => {
    const y = dequantize(tensor('u8', [3], [0, 128, 255]), tensor('f32', [], [0.5]), tensor('u8', [], [128]), { axis: 0, blockSize: 0 }, 'f32');
    expect(toNumbers(y)).toEqual([-64, 0, 63.5]);
    const h = dequantize(tensor('i4', [3], [-8, 0, 7]), tensor('f16', [], [0.1]), undefined, { axis: 0, blockSize: 0 }, 'f16');
    expect(h.dtype).toBe('f16');
    // f16(0.1) = 0.0999755859375; -8 times it is exact; 7 times it is 0.6998291015625, which rounds to f16 0.69970703125
    expect(toNumbers(h)).toEqual([-0.7998046875, 0, 0.69970703125]);
  });

  it('reads fp8 and i32 inputs', () => {
    expect(toNumbers(dequantize(tensor('f8e4m3fn', [2], [448, -0.3125]), tensor('f32', [], [2]), undefined, { axis: 0, blockSize: 0 }, 'f32'))).toEqual([896, -0.625]);
    expect(toNumbers(dequantize(tensor('i32', [2], [1 << 20, -3]), tensor('f32', [], [0.25]), undefined, { axis: 0, blockSize: 0 }, 'f32'))).toEqual([262144, -0.75]);
  });
});

describe('scale offsets and round trips on awkward sizes', () => {
  const layouts: { shape: number[]; scale: (shape: number[]) => number[]; axis: number; blockSize: number }[] = [
    { shape: [129], scale: () => [], axis: 0, blockSize: 0 },
    { shape: [7, 1, 129], scale: (s) => [s[2]!], axis: 2, blockSize: 0 },
    { shape: [1, 7, 3], scale: (s) => [s[1]!], axis: 1, blockSize: 0 },
    { shape: [7, 129], scale: (s) => [s[0]!, Math.ceil(s[1]! / 4)], axis: 1, blockSize: 4 },
    { shape: [129, 7, 2], scale: (s) => [Math.ceil(s[0]! / 7), s[1]!, s[2]!], axis: 0, blockSize: 7 },
    { shape: [1], scale: (s) => [s[0]!], axis: 0, blockSize: 1 },
  ];

  for (const { shape, scale, axis, blockSize } of layouts) {
    it(`pairs every element with its scale for [${shape.join(', ')}], axis ${axis}, block ${blockSize}`, () => {
      const sShape = scale(shape);
      expect(Array.from(scaleOffsets(shape, sShape, { axis, blockSize }))).toEqual(naiveScaleIndex(shape, sShape, axis, blockSize));
    });

    it(`dequantize(quantize(x)) is within half a scale of x for [${shape.join(', ')}]`, () => {
      const sShape = scale(shape);
      const x = randomTensor('f32', shape, sizeOf(shape));
      const s = scales(sShape, 7);
      const z = tensor('i16', sShape, toNumbers(randomTensor('i32', sShape, 9)));
      const q = quantize(x, s, z, { axis, blockSize, to: 'i16', saturate: true, precision: 'f32' });
      const back = toNumbers(dequantize(q, s, z, { axis, blockSize }, 'f32'));
      const at = naiveScaleIndex(shape, sShape, axis, blockSize);
      const sv = toNumbers(s);
      toNumbers(x).forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(sv[at[i]!]! / 2 + 1e-6));
      // Quantizing what dequantize gave back is exact (a fixed point).
      expectClose(quantize(tensor('f32', shape, back), s, z, { axis, blockSize, to: 'i16', saturate: true, precision: 'f32' }), q, 0);
    });
  }

  it('refuses a scale that does not fit the granularity', () => {
    expect(() => scaleOffsets([2, 5], [2, 2], { axis: 1, blockSize: 2 })).toThrow(/blocked scale/);
    expect(() => scaleOffsets([2, 5], [4], { axis: 1, blockSize: 0 })).toThrow(/per-axis/);
  });
});
