// Double-precision arithmetic written once for two shapes: one f64, or the two f64 lanes of
// a v128 (f64x2). The math library (math-library.ts) computes every f32 function in double
// precision through this interface, so its scalar and SIMD forms share one algorithm and are
// accurate to the last bit of f32 but for rare double roundings.
//
// Values are locals (indices) of the function being built: every operation appends
// `local = op(...)` and returns the new local, so a value may be used any number of times.

import binaryen from 'binaryen';
import { i64Const, type FunctionBuilder, type Ref } from './function-builder.js';

/** A local holding f64 (or f64x2) values. */
export type Val = number;
/** A local holding a per-lane truth value (i32 0/1, or an all-ones/all-zeros f64x2 mask). */
export type Mask = number;

export interface F64Lanes {
  readonly fb: FunctionBuilder;
  /** binaryen.f64 or binaryen.v128 */
  readonly type: binaryen.Type;
  c(x: number): Val;
  add(a: Val, b: Val): Val;
  sub(a: Val, b: Val): Val;
  mul(a: Val, b: Val): Val;
  div(a: Val, b: Val): Val;
  /** NaN-propagating. */
  min(a: Val, b: Val): Val;
  max(a: Val, b: Val): Val;
  abs(a: Val): Val;
  neg(a: Val): Val;
  floor(a: Val): Val;
  /** Round half to even. */
  nearest(a: Val): Val;
  lt(a: Val, b: Val): Mask;
  le(a: Val, b: Val): Mask;
  eq(a: Val, b: Val): Mask;
  ne(a: Val, b: Val): Mask;
  and(a: Mask, b: Mask): Mask;
  or(a: Mask, b: Mask): Mask;
  not(a: Mask): Mask;
  /** mask ? a : b, lane-wise. */
  select(mask: Mask, a: Val, b: Val): Val;
  /** |mag| with the sign of `sign`. */
  copysign(mag: Val, sign: Val): Val;
  /** 2^k for integer-valued k in [-1022, 1023]. */
  pow2i(k: Val): Val;
  /** For positive normal x: [e, m] with x = m·2^e, m in [1, 2), e integer-valued. */
  frexp(x: Val): [Val, Val];
  /** c[0] + x·(c[1] + x·(c[2] + …)) */
  poly(x: Val, coefficients: readonly number[]): Val;
  get(v: Val): Ref;
}

const MAGIC_2_52 = 4503599627370496; // 2^52: adding it puts a small integer in the low mantissa bits
const EXPONENT_BIAS = 1023;
const MANTISSA_MASK = [0xffffffff | 0, 0x000fffff] as const; // low, high words
const ONE_EXPONENT = [0, 0x3ff00000] as const;
const MAGIC_2_52_BITS = [0, 0x43300000] as const;

abstract class LanesBase {
  constructor(readonly fb: FunctionBuilder, readonly type: binaryen.Type) {}
  protected get m(): binaryen.Module { return this.fb.m; }
  protected v(value: Ref): Val { return this.fb.let(this.type, value); }
  get(v: Val): Ref { return this.fb.get(v); }
  abstract c(x: number): Val;
  abstract add(a: Val, b: Val): Val;
  abstract mul(a: Val, b: Val): Val;
  poly(x: Val, coefficients: readonly number[]): Val {
    let acc = this.c(coefficients[coefficients.length - 1]!);
    for (let i = coefficients.length - 2; i >= 0; i--) acc = this.add(this.mul(acc, x), this.c(coefficients[i]!));
    return acc;
  }
}

export class ScalarF64 extends LanesBase implements F64Lanes {
  constructor(fb: FunctionBuilder) { super(fb, binaryen.f64); }
  c(x: number): Val { return this.v(this.m.f64.const(x)); }
  add(a: Val, b: Val): Val { return this.v(this.m.f64.add(this.get(a), this.get(b))); }
  sub(a: Val, b: Val): Val { return this.v(this.m.f64.sub(this.get(a), this.get(b))); }
  mul(a: Val, b: Val): Val { return this.v(this.m.f64.mul(this.get(a), this.get(b))); }
  div(a: Val, b: Val): Val { return this.v(this.m.f64.div(this.get(a), this.get(b))); }
  min(a: Val, b: Val): Val { return this.v(this.m.f64.min(this.get(a), this.get(b))); }
  max(a: Val, b: Val): Val { return this.v(this.m.f64.max(this.get(a), this.get(b))); }
  abs(a: Val): Val { return this.v(this.m.f64.abs(this.get(a))); }
  neg(a: Val): Val { return this.v(this.m.f64.neg(this.get(a))); }
  floor(a: Val): Val { return this.v(this.m.f64.floor(this.get(a))); }
  nearest(a: Val): Val { return this.v(this.m.f64.nearest(this.get(a))); }
  private mask(value: Ref): Mask { return this.fb.let(binaryen.i32, value); }
  lt(a: Val, b: Val): Mask { return this.mask(this.m.f64.lt(this.get(a), this.get(b))); }
  le(a: Val, b: Val): Mask { return this.mask(this.m.f64.le(this.get(a), this.get(b))); }
  eq(a: Val, b: Val): Mask { return this.mask(this.m.f64.eq(this.get(a), this.get(b))); }
  ne(a: Val, b: Val): Mask { return this.mask(this.m.f64.ne(this.get(a), this.get(b))); }
  and(a: Mask, b: Mask): Mask { return this.mask(this.m.i32.and(this.get(a), this.get(b))); }
  or(a: Mask, b: Mask): Mask { return this.mask(this.m.i32.or(this.get(a), this.get(b))); }
  not(a: Mask): Mask { return this.mask(this.m.i32.eqz(this.get(a))); }
  select(mask: Mask, a: Val, b: Val): Val { return this.v(this.m.select(this.get(mask), this.get(a), this.get(b))); }
  copysign(mag: Val, sign: Val): Val { return this.v(this.m.f64.copysign(this.get(mag), this.get(sign))); }
  pow2i(k: Val): Val {
    const m = this.m;
    const biased = m.i64.reinterpret(m.f64.add(this.get(k), m.f64.const(MAGIC_2_52 + EXPONENT_BIAS)));
    return this.v(m.f64.reinterpret(m.i64.shl(biased, i64Const(m, 52, 0))));
  }
  frexp(x: Val): [Val, Val] {
    const m = this.m;
    const bits = this.fb.let(binaryen.i64, m.i64.reinterpret(this.get(x)));
    const field = m.i64.or(m.i64.shr_u(this.fb.get(bits), i64Const(m, 52, 0)), i64Const(m, ...MAGIC_2_52_BITS));
    const e = this.v(m.f64.sub(m.f64.reinterpret(field), m.f64.const(MAGIC_2_52 + EXPONENT_BIAS)));
    const mant = m.i64.or(m.i64.and(this.fb.get(bits), i64Const(m, ...MANTISSA_MASK)), i64Const(m, ...ONE_EXPONENT));
    return [e, this.v(m.f64.reinterpret(mant))];
  }
}

export class VectorF64x2 extends LanesBase implements F64Lanes {
  constructor(fb: FunctionBuilder) { super(fb, binaryen.v128); }
  private i64s(low: number, high: number): Ref { return this.m.i64x2.splat(i64Const(this.m, low, high)); }
  c(x: number): Val { return this.v(this.m.f64x2.splat(this.m.f64.const(x))); }
  add(a: Val, b: Val): Val { return this.v(this.m.f64x2.add(this.get(a), this.get(b))); }
  sub(a: Val, b: Val): Val { return this.v(this.m.f64x2.sub(this.get(a), this.get(b))); }
  mul(a: Val, b: Val): Val { return this.v(this.m.f64x2.mul(this.get(a), this.get(b))); }
  div(a: Val, b: Val): Val { return this.v(this.m.f64x2.div(this.get(a), this.get(b))); }
  min(a: Val, b: Val): Val { return this.v(this.m.f64x2.min(this.get(a), this.get(b))); }
  max(a: Val, b: Val): Val { return this.v(this.m.f64x2.max(this.get(a), this.get(b))); }
  abs(a: Val): Val { return this.v(this.m.f64x2.abs(this.get(a))); }
  neg(a: Val): Val { return this.v(this.m.f64x2.neg(this.get(a))); }
  floor(a: Val): Val { return this.v(this.m.f64x2.floor(this.get(a))); }
  nearest(a: Val): Val { return this.v(this.m.f64x2.nearest(this.get(a))); }
  lt(a: Val, b: Val): Mask { return this.v(this.m.f64x2.lt(this.get(a), this.get(b))); }
  le(a: Val, b: Val): Mask { return this.v(this.m.f64x2.le(this.get(a), this.get(b))); }
  eq(a: Val, b: Val): Mask { return this.v(this.m.f64x2.eq(this.get(a), this.get(b))); }
  ne(a: Val, b: Val): Mask { return this.v(this.m.f64x2.ne(this.get(a), this.get(b))); }
  and(a: Mask, b: Mask): Mask { return this.v(this.m.v128.and(this.get(a), this.get(b))); }
  or(a: Mask, b: Mask): Mask { return this.v(this.m.v128.or(this.get(a), this.get(b))); }
  not(a: Mask): Mask { return this.v(this.m.v128.not(this.get(a))); }
  select(mask: Mask, a: Val, b: Val): Val { return this.v(this.m.v128.bitselect(this.get(a), this.get(b), this.get(mask))); }
  copysign(mag: Val, sign: Val): Val {
    return this.v(this.m.v128.bitselect(this.get(sign), this.get(mag), this.i64s(0, 0x80000000 | 0)));
  }
  pow2i(k: Val): Val {
    const m = this.m;
    const biased = m.f64x2.add(this.get(k), m.f64x2.splat(m.f64.const(MAGIC_2_52 + EXPONENT_BIAS)));
    return this.v(m.i64x2.shl(biased, m.i32.const(52)));
  }
  frexp(x: Val): [Val, Val] {
    const m = this.m;
    const field = m.v128.or(m.i64x2.shr_u(this.get(x), m.i32.const(52)), this.i64s(...MAGIC_2_52_BITS));
    const e = this.v(m.f64x2.sub(field, m.f64x2.splat(m.f64.const(MAGIC_2_52 + EXPONENT_BIAS))));
    const mant = m.v128.or(m.v128.and(this.get(x), this.i64s(...MANTISSA_MASK)), this.i64s(...ONE_EXPONENT));
    return [e, this.v(mant)];
  }
}
