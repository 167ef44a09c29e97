// exp, log, tanh, erf, pow (and, through trig.ts, sin and cos) for f32 and f32x4, written in
// binaryen IR because WebAssembly has no transcendental instructions. Each f32 function
// promotes to f64, runs one double-precision algorithm (f64-lanes.ts: the same code for one
// f64 or for the two f64 lanes of a v128) and rounds once, so results are the correctly
// rounded f32 but for rare double roundings (≤ 1 ulp). The f32x4 forms of exp, tanh and erf
// compute in f32 SIMD directly (f32x4-math.ts: ≤ 2 ulp, several times faster); log and pow
// split the vector into two f64x2 halves (≤ 1 ulp); sin and cos (whose reduction of huge
// arguments is scalar integer code) run lane by lane. Functions are added on first use.

import binaryen from 'binaryen';
import { erfc as referenceErfc } from '../../compiler/interpret/kernels/elementwise.js';
import { ScalarF64, VectorF64x2, type F64Lanes, type Val } from './f64-lanes.js';
import { buildF32x4Function, hasF32x4Form } from './f32x4-math.js';
import { FunctionBuilder, type Ref } from './function-builder.js';
import { buildSinCosF32, COS_TAYLOR, pio2Parts, SIN_TAYLOR } from './trig.js';

export type MathFunction = 'exp' | 'log' | 'tanh' | 'erf' | 'sin' | 'cos' | 'pow';

const LOG2E = Math.LOG2E;
const LN2 = Math.LN2;
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** e^r for |r| ≤ ln2/2: Taylor to degree 12 (truncation < 1e-15 relative). */
const EXP_TAYLOR = Array.from({ length: 13 }, (_, n) => 1 / factorial(n));
/** e^u − 1 for 0 ≤ u < 0.5, as u·Σ u^n/(n+1)!. */
const EXPM1_TAYLOR = Array.from({ length: 14 }, (_, n) => 1 / factorial(n + 1));
/** log(1+f) = 2s·Σ z^n/(2n+1) with s = f/(2+f), z = s². */
const LOG_ATANH = Array.from({ length: 9 }, (_, n) => 1 / (2 * n + 1));
/** erf(x) = x·Σ c_n x^{2n} for |x| ≤ 1 (Maclaurin; the last term is < 1e-15). */
const ERF_MACLAURIN = Array.from({ length: 17 }, (_, n) => (TWO_OVER_SQRT_PI * (-1) ** n) / (factorial(n) * (2 * n + 1)));

/** erf for |x| > 1 is 1 − e^{−x²}·g(x), g(x) = e^{x²}·erfc(x) fitted by Chebyshev on [1, ERFC_HI]. */
const ERFC_LO = 1;
const ERFC_HI = 6; // erfc(6) < 2^-55: beyond it erf is ±1 even in f64
let erfcChebyshev: readonly number[] | undefined;

/** Chebyshev coefficients (c0 already halved) of g on [ERFC_LO, ERFC_HI], from the interpreter's erfc. */
function erfcScaledChebyshev(): readonly number[] {
  if (erfcChebyshev) return erfcChebyshev;
  const n = 64;
  const g = (x: number): number => Math.exp(x * x) * referenceErfc(x);
  const values = Array.from({ length: n }, (_, k) => {
    const t = Math.cos((Math.PI * (k + 0.5)) / n);
    return g(((ERFC_HI - ERFC_LO) * t + ERFC_HI + ERFC_LO) / 2);
  });
  const c = Array.from({ length: n }, (_, j) => {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += values[k]! * Math.cos((Math.PI * j * (k + 0.5)) / n);
    return (2 / n) * sum;
  });
  c[0] = c[0]! / 2;
  // the tail is the reference's noise (~1e-15); erf's error is e^{−x²}·Σ|dropped| ≤ 1e-14
  const first = c.findIndex((x) => Math.abs(x) < 5e-15);
  erfcChebyshev = c.slice(0, first < 0 ? n : first);
  return erfcChebyshev;
}

// ---- double-precision algorithms, written once for F64Lanes ----

/** e^x; inputs are clamped to [−708, 709] (f64 results below e^−708 ≈ 3e−308 are not denormalised). */
function expCore(L: F64Lanes, x: Val): Val {
  const clamped = L.max(L.min(x, L.c(709)), L.c(-708));
  const k = L.nearest(L.mul(clamped, L.c(LOG2E)));
  const r = L.sub(clamped, L.mul(k, L.c(LN2)));
  return L.mul(L.poly(r, EXP_TAYLOR), L.pow2i(k));
}

/** log x for x > 0 normal (other inputs give garbage; callers patch the special cases). */
function logPositive(L: F64Lanes, x: Val): Val {
  const [e0, m0] = L.frexp(x);
  const big = L.lt(L.c(Math.SQRT2), m0);
  const mant = L.select(big, L.mul(m0, L.c(0.5)), m0);
  const e = L.select(big, L.add(e0, L.c(1)), e0);
  const f = L.sub(mant, L.c(1));
  const s = L.div(f, L.add(f, L.c(2)));
  const series = L.mul(L.add(s, s), L.poly(L.mul(s, s), LOG_ATANH));
  return L.add(L.mul(e, L.c(LN2)), series);
}

/** log x with IEEE specials: log 0 = −inf, log inf = inf, log(<0) = NaN, NaN → NaN. */
function logCore(L: F64Lanes, x: Val): Val {
  let r = logPositive(L, x);
  r = L.select(L.eq(x, L.c(Infinity)), L.c(Infinity), r);
  r = L.select(L.eq(x, L.c(0)), L.c(-Infinity), r);
  r = L.select(L.lt(x, L.c(0)), L.c(NaN), r);
  return L.select(L.ne(x, x), x, r);
}

/** Math.pow's special cases (JS semantics: pow(1, NaN) and pow(±1, ±inf) are NaN). */
function powCore(L: F64Lanes, x: Val, y: Val): Val {
  const magnitude = expCore(L, L.mul(y, logCore(L, L.abs(x))));
  const yInteger = L.eq(L.floor(y), y); // ±inf count as (even) integers
  const half = L.mul(y, L.c(0.5));
  const yOdd = L.and(yInteger, L.ne(L.floor(half), half));
  const xSignBit = L.lt(L.copysign(L.c(1), x), L.c(0));
  let r = L.select(L.and(xSignBit, yOdd), L.neg(magnitude), magnitude);
  const xFiniteNegative = L.and(L.lt(x, L.c(0)), L.lt(L.c(-Infinity), x));
  r = L.select(L.and(xFiniteNegative, L.not(yInteger)), L.c(NaN), r);
  // Small integer exponents by binary powering: exp(y·log x) is a few ulp off, and 9³ must
  // be exactly 729 when the result is cast to an integer (ONNX Pow on int tensors).
  let exact = L.c(1);
  let base = x;
  let rest = L.abs(y);
  for (let bit = 0; bit < 6; bit++) {
    const half = L.floor(L.mul(rest, L.c(0.5)));
    exact = L.select(L.ne(half, L.mul(rest, L.c(0.5))), L.mul(exact, base), exact);
    base = L.mul(base, base);
    rest = half;
  }
  exact = L.select(L.lt(y, L.c(0)), L.div(L.c(1), exact), exact);
  r = L.select(L.and(yInteger, L.lt(L.abs(y), L.c(64))), exact, r);
  return L.select(L.eq(y, L.c(0)), L.c(1), r);
}

/** tanh x = sign(x)·(e^{2|x|} − 1)/(e^{2|x|} + 1), with e^u − 1 from its series for small u. */
function tanhCore(L: F64Lanes, x: Val): Val {
  const u = L.min(L.add(L.abs(x), L.abs(x)), L.c(40));
  const small = L.mul(u, L.poly(u, EXPM1_TAYLOR));
  const large = L.sub(expCore(L, u), L.c(1));
  const em1 = L.select(L.lt(u, L.c(0.5)), small, large);
  return L.copysign(L.div(em1, L.add(em1, L.c(2))), x);
}

function erfCore(L: F64Lanes, x: Val): Val {
  const ax = L.abs(x);
  const small = L.mul(ax, L.poly(L.mul(ax, ax), ERF_MACLAURIN));
  const a = L.min(ax, L.c(ERFC_HI));
  // Clenshaw recurrence for Σ c_k T_k(t), t mapping [ERFC_LO, ERFC_HI] to [−1, 1]
  const t = L.mul(L.sub(a, L.c((ERFC_HI + ERFC_LO) / 2)), L.c(2 / (ERFC_HI - ERFC_LO)));
  const twoT = L.add(t, t);
  const c = erfcScaledChebyshev();
  let b1 = L.c(0);
  let b2 = L.c(0);
  for (let k = c.length - 1; k >= 1; k--) {
    const b0 = L.add(L.sub(L.mul(twoT, b1), b2), L.c(c[k]!));
    b2 = b1;
    b1 = b0;
  }
  const g = L.add(L.sub(L.mul(t, b1), b2), L.c(c[0]!));
  const large = L.sub(L.c(1), L.mul(expCore(L, L.neg(L.mul(a, a))), g));
  const r = L.select(L.le(ax, L.c(ERFC_LO)), small, large);
  return L.copysign(r, x);
}

/**
 * sin or cos in double precision for |x| < 2^20·π/2 (Cody–Waite with π/2 in three parts);
 * beyond that the reduction loses accuracy. The f32 forms use trig.ts, exact everywhere.
 */
function sinCosCore(L: F64Lanes, x: Val, fn: 'sin' | 'cos'): Val {
  const [p1, p2, p3] = pio2Parts();
  const k = L.nearest(L.mul(x, L.c(2 / Math.PI)));
  const r = L.sub(L.sub(L.sub(x, L.mul(k, L.c(p1))), L.mul(k, L.c(p2))), L.mul(k, L.c(p3)));
  const q0 = L.sub(k, L.mul(L.c(4), L.floor(L.mul(k, L.c(0.25))))); // k mod 4, in 0..3
  const q = fn === 'sin' ? q0 : L.add(q0, L.c(1)); // cos x = sin(x + π/2)
  const z = L.mul(r, r);
  const sinR = L.mul(r, L.poly(z, SIN_TAYLOR));
  const cosR = L.poly(z, COS_TAYLOR);
  const odd = L.or(L.eq(q, L.c(1)), L.eq(q, L.c(3)));
  const negative = L.or(L.eq(q, L.c(2)), L.eq(q, L.c(3)));
  const magnitude = L.select(odd, cosR, sinR);
  return L.select(negative, L.neg(magnitude), magnitude);
}

type Core = (L: F64Lanes, ...args: Val[]) => Val;

const CORES: Readonly<Record<MathFunction, { arity: number; core: Core }>> = {
  sin: { arity: 1, core: (L, x) => sinCosCore(L, x!, 'sin') },
  cos: { arity: 1, core: (L, x) => sinCosCore(L, x!, 'cos') },
  exp: { arity: 1, core: expCore },
  log: { arity: 1, core: logCore },
  tanh: { arity: 1, core: tanhCore },
  erf: { arity: 1, core: erfCore },
  pow: { arity: 2, core: (L, x, y) => powCore(L, x!, y!) },
};

/** Adds the math functions a module uses, each once, and hands out calls to them. */
export class MathLibrary {
  private readonly added = new Set<string>();

  constructor(private readonly m: binaryen.Module) {}

  /** A call of `fn` on f32 operands. */
  f32(fn: MathFunction, args: readonly Ref[]): Ref {
    const name = `math$${fn}_f32`;
    this.ensure(name, () => this.buildF32(fn, name));
    return this.m.call(name, [...args], binaryen.f32);
  }

  /** A call of `fn` on f64 operands (the double-precision cores; sin/cos reduce exactly only below 2^20). */
  f64(fn: MathFunction, args: readonly Ref[]): Ref {
    return this.m.call(this.core(fn, 'f64'), [...args], binaryen.f64);
  }

  /** A call of `fn` on f32x4 operands (v128). */
  f32x4(fn: MathFunction, args: readonly Ref[]): Ref {
    const name = `math$${fn}_f32x4`;
    this.ensure(name, () => {
      if (hasF32x4Form(fn)) buildF32x4Function(new FunctionBuilder(this.m, [binaryen.v128]), name, fn);
      else if (fn === 'sin' || fn === 'cos') this.buildLanewise(fn, name);
      else this.buildF32x4(fn, name);
    });
    return this.m.call(name, [...args], binaryen.v128);
  }

  private ensure(name: string, build: () => void): void {
    if (this.added.has(name)) return;
    this.added.add(name);
    build();
  }

  private buildF32(fn: MathFunction, name: string): void {
    const m = this.m;
    if (fn === 'sin' || fn === 'cos') return buildSinCosF32(m, name, fn);
    const { arity } = CORES[fn];
    const core = this.core(fn, 'f64');
    const fb = new FunctionBuilder(m, Array<binaryen.Type>(arity).fill(binaryen.f32));
    const args = Array.from({ length: arity }, (_, i) => m.f64.promote(fb.get(i)));
    fb.finish(name, binaryen.f32, m.f32.demote(m.call(core, args, binaryen.f64)));
  }

  // Two f64x2 halves: lanes 0–1 and lanes 2–3, demoted and put back together.
  private buildF32x4(fn: Exclude<MathFunction, 'sin' | 'cos'>, name: string): void {
    const m = this.m;
    const { arity } = CORES[fn];
    const core = this.core(fn, 'f64x2');
    const fb = new FunctionBuilder(m, Array<binaryen.Type>(arity).fill(binaryen.v128));
    // Each shuffle operand is its own local.get: one node in two places makes a DAG, which
    // binaryen's validator accepts but its optimiser corrupts (after constant arguments are
    // propagated in, one use became a nop and precompute aborted: the GPT-2 GELU's pow(x, 3)).
    const high = (param: number): Ref => m.i8x16.shuffle(fb.get(param), fb.get(param), [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
    const half = (pick: (param: number) => Ref): Ref => m.f32x4.demote_f64x2_zero(
      m.call(core, Array.from({ length: arity }, (_, i) => m.f64x2.promote_low_f32x4(pick(i))), binaryen.v128),
    );
    const low = half((param) => fb.get(param));
    const hi = half(high);
    fb.finish(name, binaryen.v128, m.i8x16.shuffle(low, hi, [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]));
  }

  private buildLanewise(fn: MathFunction, name: string): void {
    const m = this.m;
    const fb = new FunctionBuilder(m, [binaryen.v128]);
    let out = fb.get(0);
    for (let lane = 0; lane < 4; lane++) {
      out = m.f32x4.replace_lane(out, lane, this.f32(fn, [m.f32x4.extract_lane(fb.get(0), lane)]));
    }
    fb.finish(name, binaryen.v128, out);
  }

  /** The double-precision core of `fn` for one f64 or for f64x2, added on first use. */
  private core(fn: MathFunction, shape: 'f64' | 'f64x2'): string {
    const name = `math$${fn}_${shape}`;
    this.ensure(name, () => {
      const type = shape === 'f64' ? binaryen.f64 : binaryen.v128;
      const { arity, core } = CORES[fn];
      const fb = new FunctionBuilder(this.m, Array<binaryen.Type>(arity).fill(type));
      const L = shape === 'f64' ? new ScalarF64(fb) : new VectorF64x2(fb);
      const result = core(L, ...Array.from({ length: arity }, (_, i) => i));
      fb.finish(name, type, L.get(result));
    });
    return name;
  }
}
