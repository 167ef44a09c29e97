// sin and cos of f32, accurate over the whole f32 range. The argument is reduced modulo π/2
// in double precision: Cody–Waite with π/2 split in three parts below 2^20, and above it a
// Payne–Hanek reduction in 64-bit integer arithmetic (the f32 mantissa times a 96-bit window
// of the bits of 2/π, picked by the exponent). The constants come from π computed with
// BigInt when the module is built, so no table lives in memory. The reduced argument goes
// through Taylor polynomials in f64 and is rounded to f32 once.

import binaryen from 'binaryen';
import { ScalarF64 } from './f64-lanes.js';
import { FunctionBuilder, i64Const } from './function-builder.js';

/** π·2^bits, by Machin's formula π = 16·atan(1/5) − 4·atan(1/239), in fixed point. */
function piFixed(bits: number): bigint {
  const one = 1n << BigInt(bits + 16);
  const atanInv = (n: bigint): bigint => {
    let sum = 0n;
    let power = one / n;
    for (let k = 1n; power !== 0n; k += 2n) {
      sum += ((k - 1n) / 2n) % 2n === 0n ? power / k : -(power / k);
      power /= n * n;
    }
    return sum;
  };
  return (16n * atanInv(5n) - 4n * atanInv(239n)) >> 16n;
}

interface TrigConstants {
  /** Words of 2/π, 32 bits each, most significant first; word 0 is zero padding (bits 2^31 … 2^0). */
  readonly twoOverPiWords: readonly number[];
  /** π/2 = P1 + P2 + P3, P1 and P2 with 33 significant bits. */
  readonly pio2: readonly [number, number, number];
}

let constants: TrigConstants | undefined;

function trigConstants(): TrigConstants {
  if (constants) return constants;
  const bits = 400;
  const pi = piFixed(bits);
  const words = 9;
  const twoOverPi = ((2n << BigInt(bits + 32 * (words - 1))) / pi); // 2/π · 2^(32·(words−1))
  const twoOverPiWords = Array.from({ length: words }, (_, j) =>
    Number((twoOverPi >> BigInt(32 * (words - 1 - j))) & 0xffffffffn) | 0);
  const halfPi = pi >> 1n; // π/2 · 2^bits
  const p1 = halfPi >> BigInt(bits - 32); // top 33 bits (1 integer bit + 32 fraction bits)
  const rest1 = halfPi - (p1 << BigInt(bits - 32));
  const p2 = rest1 >> BigInt(bits - 65);
  const rest2 = rest1 - (p2 << BigInt(bits - 65));
  const p3 = Number(rest2 >> BigInt(bits - 130)) * 2 ** -130;
  constants = { twoOverPiWords, pio2: [Number(p1) * 2 ** -32, Number(p2) * 2 ** -65, p3] };
  return constants;
}

/** π/2 = P1 + P2 + P3, P1 and P2 with 33 significant bits (so k·P1, k·P2 are exact for k < 2^20). */
export function pio2Parts(): readonly [number, number, number] {
  return trigConstants().pio2;
}

const CODY_WAITE_LIMIT = 2 ** 20;
export const SIN_TAYLOR = Array.from({ length: 9 }, (_, n) => (-1) ** n / factorialOf(2 * n + 1));
export const COS_TAYLOR = Array.from({ length: 10 }, (_, n) => (-1) ** n / factorialOf(2 * n));

function factorialOf(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** Adds `name(x: f32) → f32` computing sin or cos. */
export function buildSinCosF32(m: binaryen.Module, name: string, fn: 'sin' | 'cos'): void {
  const { twoOverPiWords, pio2 } = trigConstants();
  const fb = new FunctionBuilder(m, [binaryen.f32]);
  const i32 = binaryen.i32;
  const i64 = binaryen.i64;
  const f64 = binaryen.f64;
  const ax = fb.let(binaryen.f32, m.f32.abs(fb.get(0)));
  const quadrant = fb.local(i32);
  const r = fb.local(f64);

  const codyWaite = fb.capture(() => {
    const d = fb.let(f64, m.f64.promote(fb.get(ax)));
    const k = fb.let(f64, m.f64.nearest(m.f64.mul(fb.get(d), m.f64.const(2 / Math.PI))));
    const step = (acc: binaryen.ExpressionRef, part: number): binaryen.ExpressionRef =>
      m.f64.sub(acc, m.f64.mul(fb.get(k), m.f64.const(part)));
    fb.emit(
      m.local.set(r, step(step(step(fb.get(d), pio2[0]), pio2[1]), pio2[2])),
      m.local.set(quadrant, m.i32.trunc_s_sat.f64(fb.get(k))),
    );
  });

  const payneHanek = fb.capture(() => {
    const bits = fb.let(i32, m.i32.reinterpret(fb.get(ax)));
    // |x| = mant · 2^e with a 24-bit integer mantissa
    const e = fb.let(i32, m.i32.sub(m.i32.shr_u(fb.get(bits), m.i32.const(23)), m.i32.const(150)));
    const mant = fb.let(i64, m.i64.extend_u(m.i32.or(m.i32.and(fb.get(bits), m.i32.const(0x7fffff)), m.i32.const(0x800000))));
    // bits of 2/π from weight 2^-(e-1) on; weight 2^-i sits at position i + 31 of the word table
    const word = (j: binaryen.ExpressionRef): binaryen.ExpressionRef => {
      const jl = fb.let(i32, j);
      let out = i64Const(m, 0, 0);
      twoOverPiWords.forEach((w, index) => {
        out = m.select(m.i32.eq(fb.get(jl), m.i32.const(index)), m.i64.extend_u(m.i32.const(w)), out);
      });
      return out;
    };
    const chunk = (position: binaryen.ExpressionRef): number => {
      const p = fb.let(i32, position);
      const j = fb.let(i32, m.i32.shr_u(fb.get(p), m.i32.const(5)));
      const pair = m.i64.or(m.i64.shl(word(fb.get(j)), i64Const(m, 32, 0)), word(m.i32.add(fb.get(j), m.i32.const(1))));
      const shift = m.i64.extend_u(m.i32.sub(m.i32.const(32), m.i32.and(fb.get(p), m.i32.const(31))));
      return fb.let(i64, m.i64.and(m.i64.shr_u(pair, shift), i64Const(m, 0xffffffff | 0, 0)));
    };
    const start = fb.let(i32, m.i32.add(fb.get(e), m.i32.const(30)));
    const w2 = chunk(fb.get(start));
    const w1 = chunk(m.i32.add(fb.get(start), m.i32.const(32)));
    const w0 = chunk(m.i32.add(fb.get(start), m.i32.const(64)));
    const low32 = (v: binaryen.ExpressionRef): binaryen.ExpressionRef => m.i64.and(v, i64Const(m, 0xffffffff | 0, 0));
    const lo = fb.let(i64, m.i64.mul(fb.get(mant), fb.get(w0)));
    const mid = fb.let(i64, m.i64.add(m.i64.mul(fb.get(mant), fb.get(w1)), m.i64.shr_u(fb.get(lo), i64Const(m, 32, 0))));
    const hi = fb.let(i64, m.i64.add(m.i64.mul(fb.get(mant), fb.get(w2)), m.i64.shr_u(fb.get(mid), i64Const(m, 32, 0))));
    // (mant · window) mod 2^96, read as a fixed-point number in [0, 4): quadrant and fraction
    fb.emit(m.local.set(quadrant, m.i32.and(m.i32.wrap(m.i64.shr_u(fb.get(hi), i64Const(m, 30, 0))), m.i32.const(3))));
    const top62 = m.i64.or(m.i64.shl(m.i64.and(fb.get(hi), i64Const(m, 0x3fffffff, 0)), i64Const(m, 32, 0)), low32(fb.get(mid)));
    const frac = fb.let(f64, m.f64.add(
      m.f64.mul(m.f64.convert_s.i64(top62), m.f64.const(2 ** -62)),
      m.f64.mul(m.f64.convert_u.i64(low32(fb.get(lo))), m.f64.const(2 ** -94)),
    ));
    const up = fb.let(i32, m.f64.ge(fb.get(frac), m.f64.const(0.5)));
    fb.emit(
      m.local.set(quadrant, m.i32.add(fb.get(quadrant), fb.get(up))),
      m.local.set(r, m.f64.mul(m.select(fb.get(up), m.f64.sub(fb.get(frac), m.f64.const(1)), fb.get(frac)), m.f64.const(Math.PI / 2))),
    );
  });

  fb.emit(m.if(m.f32.lt(fb.get(ax), m.f32.const(CODY_WAITE_LIMIT)), codyWaite, payneHanek));

  const L = new ScalarF64(fb);
  const z = L.mul(r, r);
  const sinR = L.mul(r, L.poly(z, SIN_TAYLOR));
  const cosR = L.poly(z, COS_TAYLOR);
  // sin: q=0 → sin r, 1 → cos r, 2 → −sin r, 3 → −cos r; cos(x) = sin(x + π/2) shifts q by one
  const q = fn === 'sin' ? fb.get(quadrant) : m.i32.add(fb.get(quadrant), m.i32.const(1));
  const ql = fb.let(i32, q);
  const odd = m.i32.and(fb.get(ql), m.i32.const(1));
  const magnitude = fb.let(f64, m.select(odd, L.get(cosR), L.get(sinR)));
  const negate = m.i32.ne(m.i32.and(fb.get(ql), m.i32.const(2)), m.i32.const(0));
  let value = m.select(negate, m.f64.neg(fb.get(magnitude)), fb.get(magnitude));
  if (fn === 'sin') {
    // sin(−x) = −sin(x), sign bit included (sin(−0) = −0)
    const signBit = m.i32.lt_s(m.i32.reinterpret(fb.get(0)), m.i32.const(0));
    const v = fb.let(f64, value);
    value = m.select(signBit, m.f64.neg(fb.get(v)), fb.get(v));
  }
  const finite = m.f32.lt(fb.get(ax), m.f32.const(Infinity));
  fb.finish(name, binaryen.f32, m.select(finite, m.f32.demote(value), m.f32.const(NaN)));
}
