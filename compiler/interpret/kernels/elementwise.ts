// Elementwise kernels: unary ops, binary ops with NumPy broadcasting, where, cast.
//
// Numbers: inputs are read as f64, each op computes in f64 and the result is rounded once on
// store (see `fromNumbers` for store semantics): f64 results are exact IEEE double
// arithmetic, f32 rounds once, f16/bf16/fp8/f4e2m1 round to their format (fp8 saturating).
// Integer semantics are C-like, chosen by the input dtypes (both non-float: the signed and
// unsigned integers of every width, and bool):
//   add/sub/mul/neg/abs wrap modulo 2^bits of the output dtype (mul through Math.imul, so
//   32-bit products are exact before wrapping; u32 values above 2^31 multiply by their bits)
//   · div truncates toward zero · mod is the truncated remainder (sign of the dividend, like C
//   `%`) · integer div and mod by zero give 0 (C leaves it undefined) · pow gives an integer:
//   exact by repeated squaring with wrap, and a negative exponent gives 1/b^|e| truncated (0
//   unless b is 1 or -1; 0^-e gives 0).
// i64 and u64 run on BigInt, exact with wrap modulo 2^64 (u64 compares and divides as
// unsigned), in binary ops (with any integer operand), in the integer-valued unary ops (neg,
// abs, sign, relu, floor, ceil, round, not) and in casts; other i64/u64 work goes through
// Number (exact below 2^53).
// Floats: IEEE semantics; mod is C fmod (sign of the dividend); max/min propagate NaN; pow
// follows C pow (pow(1, y) = 1 and pow(x, 0) = 1 even for NaN, pow(-1, ±inf) = 1).

import { DTYPES, type DType } from '../../ir/dtype.js';
import type { BinaryOp, UnaryOp } from '../../ir/node.js';
import { allocData, isBigIntData, roundHalfEven, sizeOf, type StoreOptions, type Tensor } from '../tensor.js';
import { broadcastOffsets, broadcastShapes } from './broadcast.js';
import { fromBigInts, fromNumbers, readBigInts, readNumbers } from './storage.js';

export { roundHalfEven } from '../tensor.js';

/** The IR's unary ops plus the two gelu forms (IR `gelu` with `approximate` none / tanh). */
export type UnaryKernelOp = UnaryOp | 'gelu_erf' | 'gelu_tanh';

// ---- special functions ---------------------------------------------------------------------

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
/** Below this |x| erf uses its power series, above it erfc uses its continued fraction. */
const ERF_SPLIT = 2.5;

/**
 * erf(|x|) for |x| < ERF_SPLIT from the all-positive series
 *   erf(x) = 2/√π · e^(−x²) · Σ_n (2x²)^n · x / (1·3·5···(2n+1)),
 * which has no cancellation; about 40 terms at the split, error near 1 ulp.
 */
function erfSeries(ax: number): number {
  const twoX2 = 2 * ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-ax * ax) * sum;
}

/**
 * erfc(x) for x >= ERF_SPLIT from Laplace's continued fraction
 *   erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 * evaluated bottom-up; 60 levels converge to full double precision for x >= 2.5.
 */
function erfcContinuedFraction(x: number): number {
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (x + f);
  return (Math.exp(-x * x) * INV_SQRT_PI) / (x + f);
}

/** The error function, absolute error about 1e-16. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  const r = ax < ERF_SPLIT ? erfSeries(ax) : 1 - erfcContinuedFraction(ax);
  return x < 0 ? -r : r;
}

/** The complementary error function 1 - erf(x), with relative accuracy kept for large x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= ERF_SPLIT) return erfcContinuedFraction(x);
  if (x <= -ERF_SPLIT) return 2 - erfcContinuedFraction(-x);
  return x < 0 ? 1 + erfSeries(-x) : 1 - erfSeries(x);
}

/** 1/(1+e^(-x)), never computing e^(+large). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// x · gate(x) with gate(-inf) = 0: the limit is -0, not -inf · 0 = NaN.
function silu(x: number): number {
  return x === -Infinity ? -0 : x * sigmoid(x);
}

function geluErf(x: number): number {
  return x === -Infinity ? -0 : 0.5 * x * erfc(-x * INV_SQRT_2);
}

// 0.5·x·(1 + tanh(u)) = x·sigmoid(2u): no cancellation for large negative x.
function geluTanh(x: number): number {
  if (x === -Infinity) return -0;
  const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  return x * sigmoid(2 * u);
}

// ---- unary ---------------------------------------------------------------------------------

const UNARY: Readonly<Record<UnaryKernelOp, (x: number) => number>> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x < 0 ? 0 : x), // NaN stays NaN
  gelu_erf: geluErf,
  gelu_tanh: geluTanh,
  erf,
  silu,
  sin: Math.sin,
  cos: Math.cos,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  sign: Math.sign,
  reciprocal: (x) => 1 / x,
  not: (x) => (x === 0 ? 1 : 0),
};

/** Integer-valued unary ops done exactly on i64 (the rest go through Number). */
const UNARY_I64: Partial<Readonly<Record<UnaryKernelOp, (x: bigint) => bigint>>> = {
  neg: (x) => -x,
  abs: (x) => (x < 0n ? -x : x),
  sign: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n),
  relu: (x) => (x < 0n ? 0n : x),
  floor: (x) => x,
  ceil: (x) => x,
  round: (x) => x,
  not: (x) => (x === 0n ? 1n : 0n),
};

/**
 * `op` applied to every element of `x`; the result has `outDtype` (default `x.dtype`). Float
 * ops on integer inputs compute in f64 and store with truncation (exp of an i32 is an i32).
 */
export function unary(op: UnaryKernelOp, x: Tensor, outDtype: DType = x.dtype): Tensor {
  const n = x.data.length;
  const bigOp = UNARY_I64[op];
  if (isBigIntData(x.data) && bigOp !== undefined) {
    const src = x.data;
    const out = new Array<bigint>(n);
    for (let i = 0; i < n; i++) out[i] = bigOp(src[i]!);
    return fromBigInts(outDtype, x.shape, out);
  }
  const f = UNARY[op];
  const src = readNumbers(x);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(src[i]!);
  return fromNumbers(outDtype, x.shape, out);
}

// ---- binary --------------------------------------------------------------------------------

const COMPARISONS_AND_LOGIC: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'xor']);

function powC(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

const BINARY: Readonly<Record<BinaryOp, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: powC,
  max: Math.max,
  min: Math.min,
  mod: (a, b) => a % b,
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  and: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  xor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
};

/** Integer power with 32-bit wrap; see the header for negative exponents. */
function intPow(base: number, exp: number): number {
  if (exp < 0) return base === 1 ? 1 : base === -1 ? (exp % 2 === 0 ? 1 : -1) : 0;
  let result = 1;
  let b = base | 0;
  for (let e = exp; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = Math.imul(result, b);
    b = Math.imul(b, b);
  }
  return result;
}

/** Overrides of BINARY when both inputs are integers (or bool) held as Numbers. */
const BINARY_INT: Partial<Readonly<Record<BinaryOp, (a: number, b: number) => number>>> = {
  mul: Math.imul,
  div: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)),
  mod: (a, b) => (b === 0 ? 0 : a % b),
  pow: intPow,
};

function bigPow(base: bigint, exp: bigint): bigint {
  if (exp < 0n) return base === 1n ? 1n : base === -1n ? (exp % 2n === 0n ? 1n : -1n) : 0n;
  let result = 1n;
  let b = base;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = BigInt.asIntN(64, result * b);
    b = BigInt.asIntN(64, b * b);
  }
  return result;
}

/** i64/u64 with any integer, on exact BigInt values; the store wraps the results modulo 2^64. */
const BINARY_I64: Readonly<Record<BinaryOp, (a: bigint, b: bigint) => bigint>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => (b === 0n ? 0n : a / b),
  pow: bigPow,
  max: (a, b) => (a > b ? a : b),
  min: (a, b) => (a < b ? a : b),
  mod: (a, b) => (b === 0n ? 0n : a % b),
  eq: (a, b) => (a === b ? 1n : 0n),
  ne: (a, b) => (a !== b ? 1n : 0n),
  lt: (a, b) => (a < b ? 1n : 0n),
  le: (a, b) => (a <= b ? 1n : 0n),
  gt: (a, b) => (a > b ? 1n : 0n),
  ge: (a, b) => (a >= b ? 1n : 0n),
  and: (a, b) => (a !== 0n && b !== 0n ? 1n : 0n),
  or: (a, b) => (a !== 0n || b !== 0n ? 1n : 0n),
  xor: (a, b) => ((a !== 0n) !== (b !== 0n) ? 1n : 0n),
};

/**
 * `op(a, b)` with NumPy broadcasting. `outDtype` defaults to bool for comparisons and logic
 * ops and to `a.dtype` otherwise. Comparisons with NaN are false (`ne` true).
 */
export function binary(op: BinaryOp, a: Tensor, b: Tensor, outDtype?: DType): Tensor {
  const out = outDtype ?? (COMPARISONS_AND_LOGIC.has(op) ? 'bool' : a.dtype);
  const shape = broadcastShapes(a.shape, b.shape);
  const n = sizeOf(shape);
  const ia = broadcastOffsets(a.shape, shape);
  const ib = broadcastOffsets(b.shape, shape);
  const integers = !DTYPES[a.dtype].isFloat && !DTYPES[b.dtype].isFloat;
  if (integers && (isBigIntData(a.data) || isBigIntData(b.data))) {
    // Mixed integer operands (the IR gives both one dtype, but be safe) are exact BigInts.
    const f = BINARY_I64[op];
    const da = readBigInts(a);
    const db = readBigInts(b);
    const result = new Array<bigint>(n);
    for (let i = 0; i < n; i++) result[i] = f(da[ia[i]!]!, db[ib[i]!]!);
    return fromBigInts(out, shape, result);
  }
  const f = (integers ? BINARY_INT[op] : undefined) ?? BINARY[op];
  const da = readNumbers(a);
  const db = readNumbers(b);
  const result = new Float64Array(n);
  for (let i = 0; i < n; i++) result[i] = f(da[ia[i]!]!, db[ib[i]!]!);
  return fromNumbers(out, shape, result);
}

// ---- where and cast ------------------------------------------------------------------------

/** `cond ? a : b` elementwise with three-way broadcasting; a and b share a dtype. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw new Error(`where: branches have different dtypes ${a.dtype} and ${b.dtype}`);
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape), b.shape);
  const n = sizeOf(shape);
  const ic = broadcastOffsets(cond.shape, shape);
  const ia = broadcastOffsets(a.shape, shape);
  const ib = broadcastOffsets(b.shape, shape);
  const c = readNumbers(cond);
  const data = allocData(a.dtype, n);
  if (isBigIntData(data)) {
    const da = a.data as ArrayLike<bigint>;
    const db = b.data as ArrayLike<bigint>;
    for (let i = 0; i < n; i++) data[i] = c[ic[i]!] !== 0 ? da[ia[i]!]! : db[ib[i]!]!;
  } else {
    const da = a.data as ArrayLike<number>;
    const db = b.data as ArrayLike<number>;
    for (let i = 0; i < n; i++) data[i] = c[ic[i]!] !== 0 ? da[ia[i]!]! : db[ib[i]!]!;
  }
  return { dtype: a.dtype, shape, data };
}

/** ONNX Cast's attributes: `saturate` (fp8 and f8e8m0 targets) and `roundMode` (f8e8m0 targets). */
export type CastOptions = StoreOptions;

/**
 * `x` converted to `dtype`, with ONNX Cast semantics (opset 25):
 *   float → float   rounds to nearest even straight from the value (no double rounding); f16
 *                   and bf16 overflow to ±inf; fp8 targets saturate to ±max unless
 *                   `opts.saturate` is false (then f8e5m2 gives ±inf and the others NaN);
 *                   f4e2m1 always saturates; f8e8m0 rounds by `opts.roundMode` (default up).
 *                   See `float-formats.ts` for every special case.
 *   float → int     truncates toward zero, NaN and ±inf give 0, and out-of-range values wrap
 *                   modulo 2^bits (not saturating); → i4/u4/i2/u2 rounds half to even first
 *                   (ONNX int4.md / int2.md: "rounding to the nearest-integer (with ties to
 *                   even) and truncating"), then wraps, as test_cast_FLOAT_to_INT4 expects.
 *   int → int       wraps modulo 2^bits of the target (two's complement), exactly for i64/u64.
 *   int → float     rounds the exact integer once to nearest even (overflow to ±inf, or the
 *                   fp8 rules above).
 *   → bool          `x != 0` (NaN is true); bool → anything is 0 or 1.
 */
export function cast(x: Tensor, dtype: DType, opts: CastOptions = {}): Tensor {
  if (x.dtype === dtype) return { dtype, shape: [...x.shape], data: x.data.slice() };
  const src = x.data;
  if (isBigIntData(src)) return fromBigInts(dtype, x.shape, src);
  return fromNumbers(dtype, x.shape, src, opts);
}
