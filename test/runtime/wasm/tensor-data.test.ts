// f16/bf16 conversions of the runtime against the compiler's rounding, and typed-array checks.

import { describe, expect, it } from 'vitest';
import { floatFromBits, floatToBits } from '../../../compiler/interpret/float-formats.js';
import { acceptsArray, bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, readTensor, writeTensor } from '../../../runtime/wasm/tensor-data.js';
import { seededRandom } from '../../helpers/random.js';

function samples(): number[] {
  const next = seededRandom(11);
  const out = [0, -0, 1, -1, 65504, 65520, 1e6, -1e6, 5.96e-8, 2.98e-8, 2.99e-8, 6.1e-5, 1e-40, Infinity, -Infinity, NaN, 3.4e38];
  for (let i = 0; i < 5000; i++) out.push(Math.fround(next() * 2 ** Math.floor(next() * 60 - 30)));
  // Exact ties between two f16 values: 1 + (2k+1)·2^-11.
  for (let k = 0; k < 64; k++) out.push(1 + (2 * k + 1) * 2 ** -11);
  return out;
}

describe('16-bit floats', () => {
  it('round f32 to f16 and bf16 as the compiler does (nearest even)', () => {
    for (const v of samples()) {
      expect(f32ToF16Bits(v), `f16 of ${v}`).toBe(floatToBits('f16', v));
      expect(f32ToBf16Bits(v) === floatToBits('bf16', v) || (Number.isNaN(v) && Number.isNaN(bf16BitsToF32(f32ToBf16Bits(v)))), `bf16 of ${v}`).toBe(true);
    }
  });

  it('decode every f16 pattern and sample bf16 patterns exactly', () => {
    for (let b = 0; b < 65536; b++) expect(Object.is(f16BitsToF32(b), floatFromBits('f16', b)) || Number.isNaN(f16BitsToF32(b))).toBe(true);
    for (let b = 0; b < 65536; b += 7) expect(Object.is(bf16BitsToF32(b), floatFromBits('bf16', b)) || Number.isNaN(bf16BitsToF32(b))).toBe(true);
  });

  it('writes f16 inputs given as floats or bits, and reads them back as floats', () => {
    const mem = new Uint8Array(64);
    writeTensor(mem, 0, 'f16', Float32Array.of(1.5, -2, 65504));
    expect(Array.from(new Uint16Array(mem.buffer, 0, 3))).toEqual([0x3e00, 0xc000, 0x7bff]);
    writeTensor(mem, 16, 'f16', Uint16Array.of(0x3c00));
    expect(Array.from(readTensor(mem, 16, 'f16', 1, 2) as Float32Array)).toEqual([1]);
    writeTensor(mem, 32, 'bool', Uint8Array.of(0, 1, 7));
    expect(Array.from(mem.subarray(32, 35))).toEqual([0, 1, 1]);
  });

  it('accepts the array types of each dtype', () => {
    expect(acceptsArray('f32', new Float32Array(1))).toBe(true);
    expect(acceptsArray('f32', new Float64Array(1))).toBe(false);
    expect(acceptsArray('bf16', new Uint16Array(1))).toBe(true);
    expect(acceptsArray('i64', new BigInt64Array(1))).toBe(true);
    expect(acceptsArray('u8', new Int8Array(1))).toBe(false);
  });
});
