// Reduced-precision floating-point formats: exact rounding from a JS number (an f64), bit
// patterns and back. Host tensors of these dtypes hold values already rounded to the format
// in f32 storage, so arithmetic needs no bit twiddling; bits appear only at file boundaries.
//
// Every rounding goes straight from the f64 value to the format (round to nearest, ties to
// even), never through f32 first: f64 → f32 → f16 double rounding is wrong for values just
// past a half-way point (1 + 2^-11 + 2^-40 must round up to 1 + 2^-10).
//
// Out-of-range values, following ONNX Cast (opset 25, and the ONNX backend test data where it
// disagrees with the spec's table, see below):
//   f16, bf16      overflow to ±inf (IEEE); NaN stays NaN.
//   fp8, saturate  (the default) finite values past ±max and ±inf become ±max; NaN stays NaN.
//                  ONNX's table says ±inf → NaN for the fnuz types, but the backend tests
//                  (test_cast_FLOAT16_to_FLOAT8E4M3FNUZ) and the reference implementation
//                  (onnx/reference/ops/op_cast.py: np.clip, then astype) give ±max: we follow them.
//   fp8, !saturate f8e5m2 overflows to ±inf; f8e4m3fn, f8e4m3fnuz, f8e5m2fnuz to NaN.
//   fnuz           have no -0: a result of -0 (or a negative value rounding to 0) is +0.
//   f4e2m1         always saturates (±inf → ±6). NaN becomes -0 (bits 0x8): ONNX's float4.md
//                  says 6, but test_cast_FLOAT_to_FLOAT4E2M1 (ml_dtypes) expects 0x8; we follow
//                  the test data.
//   f8e8m0         2^(bits-127), unsigned, no zero: |x| is rounded in the exponent by
//                  `roundMode` (up, the default: the next power of two at or above |x|; down:
//                  at or below; nearest: up from 1.5·2^e, ties up), clamped below to 2^-127
//                  (so 0 → 2^-127), and above 2^127 saturates to 2^127 or, without
//                  saturate, is NaN; NaN and ±inf give NaN (onnx.numpy_helper.to_float8e8m0).
//                  Two deliberate differences from that helper, both outside the backend tests:
//                  it reads x as f32 first and, for 'up', tests the mantissa with 0x4FFFFF,
//                  so 1.25 (mantissa bit 21 only) stays 1; we round the exact value, as the
//                  spec's "round to nearest value away from zero" says (1.25 → 2).
// NaN signs: a NaN keeps its sign where the format has signed NaNs (bf16, f16, f8e4m3fn 0x7f /
// 0xff, f8e5m2); the fnuz NaN (the pattern of -0) decodes as a negative NaN, as ml_dtypes does.

import type { DType } from '../ir/dtype.js';

export type ReducedFloat = 'f16' | 'bf16' | 'f8e4m3fn' | 'f8e4m3fnuz' | 'f8e5m2' | 'f8e5m2fnuz' | 'f8e8m0' | 'f4e2m1';

export type E8M0RoundMode = 'up' | 'down' | 'nearest';

export interface RoundOptions {
  /** For the fp8 types and f8e8m0: clamp out-of-range values to ±max (default true). */
  readonly saturate?: boolean | undefined;
  /** For f8e8m0 only (default 'up'). */
  readonly roundMode?: E8M0RoundMode | undefined;
}

const REDUCED_FLOATS: ReadonlySet<string> = new Set<ReducedFloat>(['f16', 'bf16', 'f8e4m3fn', 'f8e4m3fnuz', 'f8e5m2', 'f8e5m2fnuz', 'f8e8m0', 'f4e2m1']);

export function isReducedFloat(dtype: DType): dtype is ReducedFloat {
  return REDUCED_FLOATS.has(dtype);
}

// ---- exact helpers on f64 values -----------------------------------------------------------

const F64 = new Float64Array(1);
const F64_WORDS = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian host: high word second

/** floor(log2(a)) for a finite a > 0 (f64 subnormals give -1023; callers clamp far above that). */
function floorLog2(a: number): number {
  F64[0] = a;
  const exp = (F64_WORDS[HI]! >>> 20) & 0x7ff;
  return exp === 0 ? -1023 : exp - 1023;
}

const POW2_MIN = -1100;
const POW2 = Float64Array.from({ length: 2200 }, (_, i) => 2 ** (i + POW2_MIN));

/** 2^k for integer k in [-1100, 1099] (0 and Infinity beyond what f64 holds), by table. */
function pow2(k: number): number {
  return POW2[k - POW2_MIN]!;
}

/** A quiet NaN with its sign bit set (typed arrays keep NaN signs; plain JS arrays may not). */
const NEG_NAN = new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0]!;

/** Whether the sign bit of `v` is set (-0 and -NaN included). */
function signBit(v: number): boolean {
  F64[0] = v;
  return F64_WORDS[HI]! >>> 31 === 1;
}

/** Round half to even (banker's rounding, C `nearbyint`), exactly for every double. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact: f and x share the exponent range, and |d| < 1
  const r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  return r === 0 && x < 0 ? -0 : r; // like C nearbyint: -0.5 gives -0
}

// ---- sign / exponent / mantissa formats --------------------------------------------------------

/** How a format spells its special values. */
type Specials =
  | 'ieee' // exponent all ones: inf (mantissa 0) or NaN
  | 'fn' //   no inf; exponent and mantissa all ones: NaN
  | 'fnuz' // no inf, no -0; the pattern of -0 is the one NaN
  | 'none'; // no inf, no NaN (f4e2m1)

/** What happens past ±max: IEEE overflow, the `saturate` option, or always ±max. */
type Overflow = 'inf' | 'option' | 'clamp';

interface MiniFloat {
  readonly bits: number;
  readonly expBits: number;
  readonly mantBits: number;
  readonly bias: number;
  readonly specials: Specials;
  readonly overflow: Overflow;
  readonly max: number;
  /** Exponent of the smallest normal, 1 - bias. */
  readonly minExp: number;
}

function miniFloat(bits: number, expBits: number, mantBits: number, bias: number, specials: Specials, overflow: Overflow): MiniFloat {
  // Largest finite: the top exponent minus one for IEEE; the top exponent with mantissa all
  // ones but one for fn; everything for fnuz and none.
  const topExp = (1 << expBits) - 1 - (specials === 'ieee' ? 1 : 0);
  const topMant = specials === 'fn' ? (1 << mantBits) - 2 : (1 << mantBits) - 1;
  const max = (1 + topMant / (1 << mantBits)) * 2 ** (topExp - bias);
  return { bits, expBits, mantBits, bias, specials, overflow, max, minExp: 1 - bias };
}

const FORMATS: Readonly<Record<Exclude<ReducedFloat, 'f8e8m0'>, MiniFloat>> = {
  f16: miniFloat(16, 5, 10, 15, 'ieee', 'inf'),
  bf16: miniFloat(16, 8, 7, 127, 'ieee', 'inf'),
  f8e4m3fn: miniFloat(8, 4, 3, 7, 'fn', 'option'),
  f8e4m3fnuz: miniFloat(8, 4, 3, 8, 'fnuz', 'option'),
  f8e5m2: miniFloat(8, 5, 2, 15, 'ieee', 'option'),
  f8e5m2fnuz: miniFloat(8, 5, 2, 16, 'fnuz', 'option'),
  f4e2m1: miniFloat(4, 2, 1, 1, 'none', 'clamp'),
};

function roundMini(f: MiniFloat, v: number, saturate: boolean): number {
  if (v !== v) return f.specials === 'none' ? -0 : signBit(v) ? NEG_NAN : NaN;
  const negative = v < 0 || (v === 0 && 1 / v < 0);
  const a = negative ? -v : v;
  let r: number;
  if (a === Infinity) {
    r = Infinity;
  } else {
    // Multiples of the quantum of a's binade (subnormals share the smallest normal's quantum):
    // a / q < 2^(mantBits+1) is exact, and so is rounding it half to even and scaling back.
    const e = floorLog2(a);
    const q = pow2((e > f.minExp ? e : f.minExp) - f.mantBits);
    const x = a / q;
    const n = Math.floor(x);
    const d = x - n;
    r = (d > 0.5 || (d === 0.5 && (n & 1) === 1) ? n + 1 : n) * q;
  }
  if (r > f.max) {
    const clamp = f.overflow === 'clamp' || (f.overflow === 'option' && saturate);
    if (clamp) r = f.max;
    else if (f.specials === 'ieee') r = Infinity;
    else return negative ? NEG_NAN : NaN; // fn keeps the sign (0xff); fnuz has one NaN (0x80)
  }
  if (r === 0 && f.specials === 'fnuz') return 0;
  return negative ? -r : r;
}

/** Bits of a value already representable in `f` (as `roundMini` returns). */
function miniBits(f: MiniFloat, r: number): number {
  const sign = signBit(r) ? 1 << (f.bits - 1) : 0;
  const expMask = (1 << f.expBits) - 1;
  if (r !== r) {
    switch (f.specials) {
      case 'ieee': return sign | (expMask << f.mantBits) | (1 << (f.mantBits - 1)); // quiet NaN
      case 'fn': return sign | (expMask << f.mantBits) | ((1 << f.mantBits) - 1);
      case 'fnuz': return 1 << (f.bits - 1);
      case 'none': return sign; // unreachable: roundMini maps NaN to -0
    }
  }
  const a = Math.abs(r);
  if (a === Infinity) return sign | (expMask << f.mantBits);
  if (a === 0) return f.specials === 'fnuz' ? 0 : sign;
  const minExp = 1 - f.bias;
  const e = floorLog2(a);
  if (e < minExp) return sign | (a / 2 ** (minExp - f.mantBits)); // subnormal: exponent field 0
  return sign | ((e + f.bias) << f.mantBits) | ((a / 2 ** e - 1) * 2 ** f.mantBits);
}

function miniValue(f: MiniFloat, bits: number): number {
  const negative = (bits >>> (f.bits - 1)) & 1;
  const expMask = (1 << f.expBits) - 1;
  const mantMask = (1 << f.mantBits) - 1;
  const e = (bits >>> f.mantBits) & expMask;
  const m = bits & mantMask;
  if (f.specials === 'ieee' && e === expMask) return m !== 0 ? (negative ? NEG_NAN : NaN) : negative ? -Infinity : Infinity;
  if (f.specials === 'fn' && e === expMask && m === mantMask) return negative ? NEG_NAN : NaN;
  if (f.specials === 'fnuz' && bits === 1 << (f.bits - 1)) return NEG_NAN; // its pattern is -0's: a negative NaN, as ml_dtypes reads it
  const magnitude = e === 0 ? m * 2 ** (1 - f.bias - f.mantBits) : (1 + m / (1 << f.mantBits)) * 2 ** (e - f.bias);
  return negative ? -magnitude : magnitude;
}

// ---- f8e8m0 ------------------------------------------------------------------------------------

const E8M0_MIN_EXP = -127;
const E8M0_MAX_EXP = 127;

function roundE8M0(v: number, saturate: boolean, mode: E8M0RoundMode): number {
  if (!Number.isFinite(v)) return NaN;
  const a = Math.abs(v);
  if (a === 0) return 2 ** E8M0_MIN_EXP;
  let e = floorLog2(a);
  const m = a / 2 ** e; // [1, 2) for normal a; tiny a only ever clamps to the minimum
  if (mode === 'up' ? m > 1 : mode === 'nearest' ? m >= 1.5 : false) e++;
  if (e < E8M0_MIN_EXP) e = E8M0_MIN_EXP;
  if (e > E8M0_MAX_EXP) return saturate ? 2 ** E8M0_MAX_EXP : NaN;
  return 2 ** e;
}

// ---- public API --------------------------------------------------------------------------------

/** `v` rounded to the reduced float format `dtype` (see the header for the rules). */
export function roundToFloat(dtype: ReducedFloat, v: number, opts: RoundOptions = {}): number {
  const saturate = opts.saturate ?? true;
  if (dtype === 'f8e8m0') return roundE8M0(v, saturate, opts.roundMode ?? 'up');
  return roundMini(FORMATS[dtype], v, saturate);
}

/** The bit pattern of `v` rounded to `dtype` (a quiet NaN keeps its sign where the format can). */
export function floatToBits(dtype: ReducedFloat, v: number, opts: RoundOptions = {}): number {
  const r = roundToFloat(dtype, v, opts);
  if (dtype === 'f8e8m0') return r !== r ? 0xff : floorLog2(r) - E8M0_MIN_EXP;
  return miniBits(FORMATS[dtype], r);
}

/** The value of the bit pattern `bits` (its low `DTYPES[dtype].bits` bits) of `dtype`. */
export function floatFromBits(dtype: ReducedFloat, bits: number): number {
  if (dtype === 'f8e8m0') {
    const b = bits & 0xff;
    return b === 0xff ? NaN : 2 ** (b + E8M0_MIN_EXP);
  }
  const f = FORMATS[dtype];
  return miniValue(f, bits & ((1 << f.bits) - 1));
}

/** Largest finite value of `dtype`. */
export function maxFinite(dtype: ReducedFloat): number {
  return dtype === 'f8e8m0' ? 2 ** E8M0_MAX_EXP : FORMATS[dtype].max;
}

const tables = new Map<ReducedFloat, Float32Array>();

/** Every bit pattern of an 8-bit or narrower format as its value (built on first use). */
export function bitsToValueTable(dtype: Exclude<ReducedFloat, 'f16' | 'bf16'>): Float32Array {
  let table = tables.get(dtype);
  if (table === undefined) {
    const n = dtype === 'f4e2m1' ? 16 : 256;
    table = new Float32Array(n);
    for (let b = 0; b < n; b++) table[b] = floatFromBits(dtype, b);
    tables.set(dtype, table);
  }
  return table;
}

// The usual names for each format, for callers (the ONNX importer) that want one directly.

export const roundToHalf = (v: number): number => roundMini(FORMATS.f16, v, false);
export const roundToBf16 = (v: number): number => roundMini(FORMATS.bf16, v, false);
export const roundToF8E4M3FN = (v: number, saturate = true): number => roundMini(FORMATS.f8e4m3fn, v, saturate);
export const roundToF8E4M3FNUZ = (v: number, saturate = true): number => roundMini(FORMATS.f8e4m3fnuz, v, saturate);
export const roundToF8E5M2 = (v: number, saturate = true): number => roundMini(FORMATS.f8e5m2, v, saturate);
export const roundToF8E5M2FNUZ = (v: number, saturate = true): number => roundMini(FORMATS.f8e5m2fnuz, v, saturate);
export const roundToF8E8M0 = (v: number, saturate = true, roundMode: E8M0RoundMode = 'up'): number => roundE8M0(v, saturate, roundMode);
export const roundToF4E2M1 = (v: number): number => roundMini(FORMATS.f4e2m1, v, true);

/** IEEE binary16 bit pattern of `v` (round to nearest even, overflow to infinity). */
export function toHalfBits(v: number): number {
  return miniBits(FORMATS.f16, roundToHalf(v));
}

export function fromHalfBits(h: number): number {
  return miniValue(FORMATS.f16, h & 0xffff);
}

/** bfloat16 bit pattern of `v` (round to nearest even, overflow to infinity). */
export function toBf16Bits(v: number): number {
  return miniBits(FORMATS.bf16, roundToBf16(v));
}

export function fromBf16Bits(h: number): number {
  return miniValue(FORMATS.bf16, h & 0xffff);
}
