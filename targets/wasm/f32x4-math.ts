// exp, tanh and erf on f32x4 computed in f32 SIMD directly (range reduction + short
// polynomials), for the kernels' vector code: softmax, GELU, sigmoid. Each is within 2 ulp
// of the correctly rounded f32 result (test/targets/wasm/math-library.test.ts), against ≤ 1
// ulp for the scalar forms, which go through f64 (math-library.ts) — the price of running 4
// lanes in f32 instead of 2 in f64 with long series (4–8× faster).
//
// Special values: NaN gives NaN, ±inf the limits (exp: inf/0, tanh and erf: ±1), ±0 keeps
// its sign, denormal arguments and results are handled (exp scales by two powers of two so
// results down to 2^-149 round once).
//
// Values are locals of the function being built, as in f64-lanes.ts: every operation
// appends `local = op(...)`, so a value may be used any number of times.

import binaryen from 'binaryen';
import { erfc as referenceErfc, erf as referenceErf } from '../../compiler/interpret/kernels/elementwise.js';
import type { FunctionBuilder, Ref } from './function-builder.js';
import { chebyshevFit } from './poly-fit.js';

type V = number; // a v128 local

const LOG2E = Math.LOG2E;
/** ln 2 in two parts: LN2_HI has 15 significant bits, so k·LN2_HI is exact for |k| ≤ 2^8. */
const LN2_HI = 0.693145751953125;
const LN2_LO = Math.LN2 - LN2_HI;
/** exp's reduced range: |r| ≤ ln2/2 (a little more: k·ln2 is rounded). */
const EXP_REDUCED = 0.35;
/** The degree of e^r's polynomial on the reduced range: 6 is within 2.7e-9 relative (Taylor to 7: 7.6e-9; 5: 1.1e-7, 3 ulp). */
const EXP_DEGREE = 6;
/**
 * 1.5·2^23: y + EXP_SHIFTER rounds y (|y| < 2^22) to an integer k, half to even like
 * f32x4.nearest, and its bits are 0x4B400000 + k. 0x4B400000 is a multiple of 2^9, so
 * shifting those bits (or half of them) left by 23 leaves k's (or k/2's) share alone.
 */
const EXP_SHIFTER = 1.5 * 2 ** 23;
/** exp's argument range: e^89 overflows f32, e^-104 rounds to 0. */
const EXP_MAX = 89;
const EXP_MIN = -104;

/** Below it tanh is x + x³·Q(x²); above, 1 − 2/(e^{2|x|} + 1) (whose value is ≥ 0.55, so the subtraction loses little). */
const TANH_SMALL = 0.625;
/** tanh rounds to ±1 in f32 from 9.01 on. */
const TANH_CAP = 9.5;
/** erf is x·P(x²) up to ERF_SMALL, 1 − e^{−x²}·G(1/x) beyond, ±1 from ERF_CAP (erfc(4) < 2^-25). */
const ERF_SMALL = 1;
const ERF_CAP = 4;
/** G is fitted in u = 1/x − ERFC_CENTER (centred, so the coefficients shrink and f32 Horner stays accurate). */
const ERFC_CENTER = 0.625;

let tables: { expP: number[]; tanhQ: number[]; erfP: number[]; erfcG: number[] } | undefined;

function polynomialTables(): NonNullable<typeof tables> {
  if (tables) return tables;
  // (tanh x − x)/x³ as a function of z = x² (its limit at 0 is −1/3 + 2z/15).
  const tanhQ = (z: number): number => {
    if (z < 1e-6) return -1 / 3 + (2 * z) / 15;
    const x = Math.sqrt(z);
    return (Math.tanh(x) - x) / (z * x);
  };
  const erfP = (z: number): number => (z === 0 ? 2 / Math.sqrt(Math.PI) : referenceErf(Math.sqrt(z)) / Math.sqrt(z));
  const erfcG = (t: number): number => Math.exp(1 / (t * t)) * referenceErfc(1 / t);
  tables = {
    expP: chebyshevFit(Math.exp, -EXP_REDUCED, EXP_REDUCED, EXP_DEGREE),
    tanhQ: chebyshevFit(tanhQ, 0, TANH_SMALL ** 2, 6), // 2e-10 relative
    erfP: chebyshevFit(erfP, 0, ERF_SMALL ** 2, 6), // 1.3e-9 relative
    erfcG: chebyshevFit(erfcG, 1 / ERF_CAP, 1 / ERF_SMALL, 9, ERFC_CENTER), // 4e-8 relative
  };
  return tables;
}

/** f32x4 arithmetic on locals of a function being built. */
class F32x4Lanes {
  constructor(private readonly fb: FunctionBuilder) {}
  private get m(): binaryen.Module { return this.fb.m; }
  private v(value: Ref): V { return this.fb.let(binaryen.v128, value); }
  get(a: V): Ref { return this.fb.get(a); }
  c(x: number): V { return this.v(this.m.f32x4.splat(this.m.f32.const(x))); }
  ci(x: number): V { return this.v(this.m.i32x4.splat(this.m.i32.const(x))); }
  add(a: V, b: V): V { return this.v(this.m.f32x4.add(this.get(a), this.get(b))); }
  sub(a: V, b: V): V { return this.v(this.m.f32x4.sub(this.get(a), this.get(b))); }
  mul(a: V, b: V): V { return this.v(this.m.f32x4.mul(this.get(a), this.get(b))); }
  div(a: V, b: V): V { return this.v(this.m.f32x4.div(this.get(a), this.get(b))); }
  /** NaN-propagating (wasm's f32x4.min/max). */
  min(a: V, b: V): V { return this.v(this.m.f32x4.min(this.get(a), this.get(b))); }
  max(a: V, b: V): V { return this.v(this.m.f32x4.max(this.get(a), this.get(b))); }
  /** b < a ? b : a (wasm's pseudo-minimum: one instruction; a NaN `a` comes through, a NaN `b` does not). */
  pmin(a: V, b: V): V { return this.v(this.m.f32x4.pmin(this.get(a), this.get(b))); }
  /** a < b ? b : a (pseudo-maximum, likewise). */
  pmax(a: V, b: V): V { return this.v(this.m.f32x4.pmax(this.get(a), this.get(b))); }
  abs(a: V): V { return this.v(this.m.f32x4.abs(this.get(a))); }
  neg(a: V): V { return this.v(this.m.f32x4.neg(this.get(a))); }
  lt(a: V, b: V): V { return this.v(this.m.f32x4.lt(this.get(a), this.get(b))); }
  le(a: V, b: V): V { return this.v(this.m.f32x4.le(this.get(a), this.get(b))); }
  /** mask ? a : b per lane. */
  select(mask: V, a: V, b: V): V { return this.v(this.m.v128.bitselect(this.get(a), this.get(b), this.get(mask))); }
  /** |mag| with the sign bit of `sign`. */
  copysign(mag: V, sign: V): V {
    return this.v(this.m.v128.bitselect(this.get(sign), this.get(mag), this.m.i32x4.splat(this.m.i32.const(0x80000000 | 0))));
  }
  poly(x: V, coefficients: readonly number[]): V {
    let acc = this.c(coefficients[coefficients.length - 1]!);
    for (let i = coefficients.length - 2; i >= 0; i--) acc = this.add(this.mul(acc, x), this.c(coefficients[i]!));
    return acc;
  }
  /** 2^k as f32 for k (in i32x4 lanes) in [−126, 127] modulo 2^9 (only k's low 9 bits matter). */
  pow2i(k: V): V {
    const m = this.m;
    return this.v(m.i32x4.shl(m.i32x4.add(this.get(k), m.i32x4.splat(m.i32.const(127))), m.i32.const(23)));
  }
  shrS(a: V, bits: number): V { return this.v(this.m.i32x4.shr_s(this.get(a), this.m.i32.const(bits))); }
  isub(a: V, b: V): V { return this.v(this.m.i32x4.sub(this.get(a), this.get(b))); }
}

/** e^x. */
function exp(L: F32x4Lanes, x: V): V {
  const { expP } = polynomialTables();
  // pmin/pmax with x first keep a NaN x (the constants are never NaN) and compile to one
  // instruction each, where min/max's NaN rules take several on x64.
  const clamped = L.pmax(L.pmin(x, L.c(EXP_MAX)), L.c(EXP_MIN));
  // k = nearest(x·log2 e) by the shifter, whose sum t also carries k in its bits: no
  // f32x4.nearest and no trunc_sat (six x64 instructions for its NaN and range rules).
  const t = L.add(L.mul(clamped, L.c(LOG2E)), L.c(EXP_SHIFTER));
  const k = L.sub(t, L.c(EXP_SHIFTER));
  const r = L.sub(L.sub(clamped, L.mul(k, L.c(LN2_HI))), L.mul(k, L.c(LN2_LO)));
  const p = L.poly(r, expP);
  // k is in [−150, 128]: scale by 2^(k>>1) then 2^(k − k>>1), both normal, so a denormal
  // result is rounded once (by the second product) and 2^128 overflows as it should. The
  // shifter's share of t's bits drops out of pow2i's shift (see EXP_SHIFTER); a NaN x gives
  // some power of two or 0 or inf here, and p is NaN.
  const k1 = L.shrS(t, 1);
  const k2 = L.isub(t, k1);
  return L.mul(L.mul(p, L.pow2i(k1)), L.pow2i(k2));
}

function tanh(L: F32x4Lanes, x: V): V {
  const { tanhQ } = polynomialTables();
  const ax = L.abs(x);
  const z = L.mul(x, x);
  const small = L.add(x, L.mul(L.mul(x, z), L.poly(z, tanhQ)));
  const e = exp(L, L.mul(L.min(ax, L.c(TANH_CAP)), L.c(2)));
  const large = L.copysign(L.sub(L.c(1), L.div(L.c(2), L.add(e, L.c(1)))), x);
  // NaN fails the test and takes the large path, where it propagates.
  return L.select(L.lt(ax, L.c(TANH_SMALL)), small, large);
}

function erf(L: F32x4Lanes, x: V): V {
  const { erfP, erfcG } = polynomialTables();
  const ax = L.abs(x);
  // x + x·(P − 1): 2/√π is not an f32, but its excess over 1 rounds to one 8 times smaller.
  const small = L.add(x, L.mul(x, L.poly(L.mul(x, x), [erfP[0]! - 1, ...erfP.slice(1)])));
  const a = L.min(L.max(ax, L.c(ERF_SMALL)), L.c(ERF_CAP)); // NaN stays NaN
  const u = L.sub(L.div(L.c(1), a), L.c(ERFC_CENTER));
  const erfc = L.mul(exp(L, L.neg(L.mul(a, a))), L.poly(u, erfcG));
  const large = L.copysign(L.sub(L.c(1), erfc), x);
  return L.select(L.le(ax, L.c(ERF_SMALL)), small, large);
}

export type F32x4Function = 'exp' | 'tanh' | 'erf';

const BODIES: Readonly<Record<F32x4Function, (L: F32x4Lanes, x: V) => V>> = { exp, tanh, erf };

export function hasF32x4Form(fn: string): fn is F32x4Function {
  return fn in BODIES;
}

/** Adds `name(v128) -> v128` computing `fn` on four f32 lanes. */
export function buildF32x4Function(fb: FunctionBuilder, name: string, fn: F32x4Function): void {
  const L = new F32x4Lanes(fb);
  fb.finish(name, binaryen.v128, L.get(BODIES[fn](L, 0)));
}
