import { describe, expect, it } from 'vitest';
import { ALL_DTYPES, DTYPES, packedBytes } from '../../../compiler/ir/dtype.js';
import { tensor, toNumbers } from '../../../compiler/interpret/tensor.js';
import { decodeLittleEndian, encodeLittleEndian, packBits, unpackBits } from '../../../compiler/io/raw-data.js';
import { SHAPES, expectSameTensor, sample } from './helpers.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('raw little-endian data', () => {
  it('round-trips every dtype and awkward shape, taking exactly the packed size', () => {
    for (const dtype of ALL_DTYPES) {
      for (const shape of SHAPES) {
        const t = sample(dtype, shape);
        const raw = encodeLittleEndian(t);
        expect(raw.length, `${dtype} [${shape.join(', ')}]`).toBe(packedBytes(dtype, t.data.length));
        expectSameTensor({ dtype, shape, data: decodeLittleEndian(dtype, raw, t.data.length) }, t);
      }
    }
  });

  it('packs 4-bit types two per byte, the first in the low nibble, padding with zeros', () => {
    expect([...encodeLittleEndian(tensor('i4', [3], [1, -1, 7]))]).toEqual([0xf1, 0x07]);
    expect([...encodeLittleEndian(tensor('u4', [4], [15, 0, 8, 3]))]).toEqual([0x0f, 0x38]);
    expect([...encodeLittleEndian(tensor('f4e2m1', [3], [-6, 0.5, 3]))]).toEqual([0x1f, 0x05]);
    expect(toNumbers({ dtype: 'i4', shape: [3], data: decodeLittleEndian('i4', bytes(0x8f, 0xf7), 3) })).toEqual([-1, -8, 7]);
  });

  it('packs 2-bit types four per byte, the first in the lowest bits', () => {
    expect([...encodeLittleEndian(tensor('i2', [7], [1, -2, -1, 0, 1, -2, -1]))]).toEqual([0x39, 0x39]);
    expect([...encodeLittleEndian(tensor('u2', [5], [3, 0, 1, 2, 1]))]).toEqual([0x93, 0x01]);
    expect(toNumbers({ dtype: 'u2', shape: [5], data: decodeLittleEndian('u2', bytes(0x93, 0xfd), 5) })).toEqual([3, 0, 1, 2, 1]);
    expect([...unpackBits(packBits([1, 2, 3], 2), 3, 2)]).toEqual([1, 2, 3]);
  });

  it('writes 8-bit floats as their patterns and 16-bit ones little-endian', () => {
    expect([...encodeLittleEndian(tensor('f8e4m3fn', [4], [1, -0, NaN, 448]))]).toEqual([0x38, 0x80, 0x7f, 0x7e]);
    expect([...encodeLittleEndian(tensor('f8e5m2', [2], [Infinity, -57344]))]).toEqual([0x7b, 0xfb]); // stored values saturate
    expect([...encodeLittleEndian(tensor('f8e8m0', [2], [1, 0.5]))]).toEqual([0x7f, 0x7e]);
    expect([...encodeLittleEndian(tensor('bf16', [2], [1, -2]))]).toEqual([0x80, 0x3f, 0x00, 0xc0]);
    expect([...encodeLittleEndian(tensor('u16', [1], [0x1234]))]).toEqual([0x34, 0x12]);
    expect([...encodeLittleEndian(tensor('u64', [1], [2n ** 64n - 2n]))]).toEqual([0xfe, 255, 255, 255, 255, 255, 255, 255]);
    expect([...encodeLittleEndian(tensor('f64', [1], [1]))]).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  });

  it('has one storage width per bit count', () => {
    expect(ALL_DTYPES.map((d) => `${d}:${DTYPES[d].bits}`).join(' ')).toBe(
      'f32:32 f16:16 i32:32 i64:64 i8:8 u8:8 bool:8 f64:64 bf16:16 f8e4m3fn:8 f8e4m3fnuz:8 f8e5m2:8 f8e5m2fnuz:8 f8e8m0:8 f4e2m1:4 '
      + 'i16:16 u16:16 u32:32 u64:64 i4:4 u4:4 i2:2 u2:2');
  });
});
