// Seeded, deterministic random tensors for model inputs and demo parameters.
//
// One user seed gives every tensor its own stream: `randomTensor(dtype, shape,
// hashSeed(seed, 'input', name))`. The generator is xoshiro128** (seeded through splitmix32),
// so the same seed gives the same data on every platform and Node version.
//
//   floats  uniform in [-scale, scale) (scale defaults to 1, at most the dtype's max), from 24
//           random bits (53 for f64), rounded to the dtype (f8e8m0, unsigned powers of two,
//           gets |x| rounded down, so its scale must exceed 2^-127); a draw that rounds to
//           +scale or beyond is drawn again
//   signed  integers uniform in [-8, 8)       unsigned  integers uniform in [0, 16)
//           (i2 in [-2, 2) and u2 in [0, 4): the whole range of a 2-bit type)
//   bool    true or false with equal odds
// A non-empty tensor is never all zeros: if the draw is, its first element is set to 1.

import { DiagnosticError, diag } from '../diagnostics/diagnostic.js';
import { DTYPES, type DType } from '../ir/dtype.js';
import { allocData, isBigIntData, isReducedFloat, roundToFloat, type Tensor, type TensorData } from '../interpret/tensor.js';
import { DEFAULT_MAX_TENSOR_BYTES, checkedSize } from './raw-data.js';

export interface RandomOptions {
  /** Floats are drawn from [-scale, scale); default 1. Must be positive and finite. */
  readonly scale?: number;
  /** Refuse tensors over this many bytes of storage (hugeTensor); default 4 GiB. */
  readonly maxBytes?: number;
  /** Names the tensor in diagnostics; default 'random tensor'. */
  readonly label?: string;
}

/** A 32-bit seed from any mix of strings and numbers; ('a', 1) and ('a', '1') differ. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5; // FNV-1a over a length-prefixed, type-tagged encoding of the parts
  const mix = (code: number): void => {
    h = Math.imul(h ^ (code & 0xffff), 0x01000193);
  };
  for (const p of parts) {
    const s = typeof p === 'number' ? `n${p}` : `s${p}`;
    mix(s.length);
    mix(s.length >>> 16);
    for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
  }
  return fmix32(h);
}

/** murmur3's finalizer: every input bit affects every output bit. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A generator of uniform unsigned 32-bit integers from a 32-bit seed (expanded by splitmix32). */
export function rng(seed: number): () => number {
  let sm = seed >>> 0;
  const splitmix32 = (): number => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  return xoshiro128ss(splitmix32(), splitmix32(), splitmix32(), splitmix32());
}

/** xoshiro128** (Blackman and Vigna) from its 128-bit state; the all-zero state is nudged. */
export function xoshiro128ss(a: number, b: number, c: number, d: number): () => number {
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is the one fixed point
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const E8M0_DOWN = { roundMode: 'down' } as const;

export function randomTensor(dtype: DType, shape: readonly number[], seed: number, opts: RandomOptions = {}): Tensor {
  const scale = opts.scale ?? 1;
  const label = opts.label ?? 'random tensor';
  const info = DTYPES[dtype];
  // f8e8m0 holds nothing at or below 2^-127 but 2^-127 itself, so its scale must exceed that.
  if (!(scale > 0) || !Number.isFinite(scale) || (info.isFloat && (scale > info.max || !(scale > info.min)))) {
    throw new DiagnosticError([diag('badOption', undefined, `the scale for ${label} must be a positive ${dtype} number, got ${scale}`)]);
  }
  const size = checkedSize(shape, dtype, label, opts.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES, label);
  const next = rng(seed);
  const data = allocData(dtype, size);
  if (info.isFloat) {
    const out = data as Float32Array | Float64Array;
    const round = dtype === 'f8e8m0' ? (v: number) => roundToFloat(dtype, v, E8M0_DOWN)
      : isReducedFloat(dtype) ? (v: number) => roundToFloat(dtype, v) : dtype === 'f32' ? Math.fround : (v: number) => v;
    const unit = dtype === 'f64'
      ? (): number => ((next() >>> 5) * 2 ** 26 + (next() >>> 6)) / 2 ** 52 - 1 // 53 random bits: [-1, 1) exactly
      : (): number => (next() >>> 8) / 2 ** 23 - 1; // 24 random bits: [-1, 1) exactly
    for (let i = 0; i < size; i++) {
      let v: number;
      do v = round(unit() * scale);
      while (v >= scale); // rounding to the dtype can reach +scale; draw again
      out[i] = v;
    }
  } else {
    const bits = Math.min(4, info.bits); // 4 random bits, or the whole range of a 2-bit type
    const shift = dtype === 'bool' ? 31 : 32 - bits;
    const offset = dtype === 'bool' || !info.isSigned ? 0 : -(2 ** (bits - 1));
    if (isBigIntData(data)) {
      for (let i = 0; i < size; i++) data[i] = BigInt((next() >>> shift) + offset);
    } else {
      for (let i = 0; i < size; i++) data[i] = (next() >>> shift) + offset;
    }
  }
  if (size > 0 && allZero(data)) {
    if (isBigIntData(data)) data[0] = 1n;
    else data[0] = 1;
  }
  return { dtype, shape: [...shape], data };
}

function allZero(data: TensorData): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0 && data[i] !== 0n) return false;
  return true;
}
