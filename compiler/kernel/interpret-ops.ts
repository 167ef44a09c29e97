// Scalar semantics of Kernel IR for the Kernel IR interpreter (compiler/kernel/interpret.ts):
// one JS function per (op, type), chosen once when a kernel is compiled to closures.
//
// Representation of values:
//   f32, f16, f64, i32, u32: JS numbers, rounded/wrapped after every op so they model the
//     target exactly (f32 with Math.fround, f16 with roundToHalf, i32 with |0 and Math.imul,
//     u32 with >>> 0);
//   i64: BigInt, wrapped to 64 bits after every op (exact; i64 kernels are index-like);
//   bool: JS booleans;
//   vectors: arrays of lanes (never mutated once built, so sharing them is safe).
// Float → int casts truncate toward zero and saturate, NaN giving 0 (WASM trunc_sat, WGSL).
// Integer division or remainder by zero throws: every target either traps or returns junk.

import type { DType } from '../ir/dtype.js';
import { roundHalfEven, roundToBf16, roundToHalf } from '../interpret/float-formats.js';
import { erf } from '../interpret/kernels/elementwise.js';
import type { KBinaryOp, KUnaryOp, ScalarType } from './ir.js';

export type Scalar = number | bigint | boolean;
export type Value = Scalar | readonly Scalar[];

export type UnaryFn = (a: Scalar) => Scalar;
export type BinaryFn = (a: Scalar, b: Scalar) => Scalar;

type FloatType = 'f32' | 'f16' | 'f64';

const identity = (x: number): number => x;

/** The rounding applied after every op of a float type. */
export function floatRounding(t: FloatType): (x: number) => number {
  return t === 'f32' ? Math.fround : t === 'f16' ? roundToHalf : identity;
}

function isFloat(t: ScalarType): t is FloatType {
  return t === 'f32' || t === 'f16' || t === 'f64';
}

// ---- unary ----

const FLOAT_UNARY: Readonly<Record<KUnaryOp, ((x: number) => number) | undefined>> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: Math.sign,
  not: undefined,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  erf,
  sin: Math.sin,
  cos: Math.cos,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  trunc: Math.trunc,
};

const INT_ROUNDING = new Set<KUnaryOp>(['floor', 'ceil', 'round', 'trunc']);

export function unaryFn(op: KUnaryOp, t: ScalarType): UnaryFn {
  if (isFloat(t)) {
    const f = FLOAT_UNARY[op];
    if (!f) throw new Error(`unary ${op} is not defined on ${t}`);
    const r = floatRounding(t);
    return (a) => r(f(a as number));
  }
  if (INT_ROUNDING.has(op) && t !== 'bool') return (a) => a;
  switch (t) {
    case 'i32':
      switch (op) {
        case 'neg': return (a) => -(a as number) | 0;
        case 'abs': return (a) => Math.abs(a as number) | 0;
        case 'sign': return (a) => Math.sign(a as number);
        case 'not': return (a) => ~(a as number);
      }
      break;
    case 'u32':
      switch (op) {
        case 'neg': return (a) => -(a as number) >>> 0;
        case 'abs': return (a) => a;
        case 'sign': return (a) => ((a as number) > 0 ? 1 : 0);
        case 'not': return (a) => ~(a as number) >>> 0;
      }
      break;
    case 'i64':
      switch (op) {
        case 'neg': return (a) => BigInt.asIntN(64, -(a as bigint));
        case 'abs': return (a) => BigInt.asIntN(64, (a as bigint) < 0n ? -(a as bigint) : (a as bigint));
        case 'sign': return (a) => ((a as bigint) > 0n ? 1n : (a as bigint) < 0n ? -1n : 0n);
        case 'not': return (a) => ~(a as bigint);
      }
      break;
    case 'bool':
      if (op === 'not') return (a) => !a;
      break;
  }
  throw new Error(`unary ${op} is not defined on ${t}`);
}

// ---- binary ----

function divByZero(): never {
  throw new Error('integer division by zero');
}

/** a ** b wrapped to i32 (negative exponents give 0 unless |a| = 1, as integer division would). */
function powI32(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : a === 0 ? divByZero() : 0;
  let r = 1;
  for (let base = a; b > 0; b >>>= 1, base = Math.imul(base, base)) if (b & 1) r = Math.imul(r, base);
  return r;
}

function comparison(op: KBinaryOp): BinaryFn | undefined {
  switch (op) {
    case 'eq': return (a, b) => a === b;
    case 'ne': return (a, b) => a !== b;
    case 'lt': return (a, b) => a < b;
    case 'le': return (a, b) => a <= b;
    case 'gt': return (a, b) => a > b;
    case 'ge': return (a, b) => a >= b;
    default: return undefined;
  }
}

function floatBinary(op: KBinaryOp, t: FloatType): BinaryFn | undefined {
  const r = floatRounding(t);
  type F = (a: number, b: number) => number;
  const f: F | undefined = ({
    add: (a, b) => a + b,
    sub: (a, b) => a - b,
    mul: (a, b) => a * b,
    div: (a, b) => a / b,
    rem: (a, b) => a % b, // C fmod: the dividend's sign
    pow: Math.pow,
    max: Math.max, // Math.max/min propagate NaN, as the IR asks
    min: Math.min,
  } as Partial<Record<KBinaryOp, F>>)[op];
  if (!f) return undefined;
  if (t === 'f32' && op === 'add') return (a, b) => Math.fround((a as number) + (b as number));
  if (t === 'f32' && op === 'mul') return (a, b) => Math.fround((a as number) * (b as number));
  return (a, b) => r(f(a as number, b as number));
}

function i32Binary(op: KBinaryOp): BinaryFn | undefined {
  type F = (a: number, b: number) => number;
  const f: F | undefined = ({
    add: (a, b) => (a + b) | 0,
    sub: (a, b) => (a - b) | 0,
    mul: Math.imul,
    div: (a, b) => (b === 0 ? divByZero() : (a / b) | 0),
    rem: (a, b) => (b === 0 ? divByZero() : (a % b) | 0),
    pow: powI32,
    max: Math.max,
    min: Math.min,
    and: (a, b) => a & b,
    or: (a, b) => a | b,
    xor: (a, b) => a ^ b,
    shl: (a, b) => a << b, // JS masks the count to 5 bits, as WASM does
    shr: (a, b) => a >> b,
  } as Partial<Record<KBinaryOp, F>>)[op];
  return f as BinaryFn | undefined;
}

function u32Binary(op: KBinaryOp): BinaryFn | undefined {
  type F = (a: number, b: number) => number;
  const f: F | undefined = ({
    add: (a, b) => (a + b) >>> 0,
    sub: (a, b) => (a - b) >>> 0,
    mul: (a, b) => Math.imul(a, b) >>> 0,
    div: (a, b) => (b === 0 ? divByZero() : Math.floor(a / b)),
    rem: (a, b) => (b === 0 ? divByZero() : a % b),
    pow: (a, b) => powI32(a, b) >>> 0,
    max: Math.max,
    min: Math.min,
    and: (a, b) => (a & b) >>> 0,
    or: (a, b) => (a | b) >>> 0,
    xor: (a, b) => (a ^ b) >>> 0,
    shl: (a, b) => (a << b) >>> 0,
    shr: (a, b) => a >>> b,
  } as Partial<Record<KBinaryOp, F>>)[op];
  return f as BinaryFn | undefined;
}

function i64Binary(op: KBinaryOp): BinaryFn | undefined {
  type F = (a: bigint, b: bigint) => bigint;
  const w = (x: bigint): bigint => BigInt.asIntN(64, x);
  const f: F | undefined = ({
    add: (a, b) => w(a + b),
    sub: (a, b) => w(a - b),
    mul: (a, b) => w(a * b),
    div: (a, b) => (b === 0n ? divByZero() : w(a / b)),
    rem: (a, b) => (b === 0n ? divByZero() : a % b),
    pow: (a, b) => (b < 0n ? (a === 1n ? 1n : a === -1n ? (b % 2n === 0n ? 1n : -1n) : 0n) : w(BigInt.asIntN(64, a) ** b)),
    max: (a, b) => (a > b ? a : b),
    min: (a, b) => (a < b ? a : b),
    and: (a, b) => a & b,
    or: (a, b) => a | b,
    xor: (a, b) => a ^ b,
    shl: (a, b) => w(a << (b & 63n)),
    shr: (a, b) => a >> (b & 63n),
  } as Partial<Record<KBinaryOp, F>>)[op];
  return f as BinaryFn | undefined;
}

function boolBinary(op: KBinaryOp): BinaryFn | undefined {
  switch (op) {
    case 'and': return (a, b) => (a as boolean) && (b as boolean);
    case 'or': return (a, b) => (a as boolean) || (b as boolean);
    case 'xor': return (a, b) => a !== b;
    case 'max': return (a, b) => (a as boolean) || (b as boolean);
    case 'min': return (a, b) => (a as boolean) && (b as boolean);
    default: return undefined;
  }
}

/** The function computing `op` on two operands of scalar type `t` (comparisons give booleans). */
export function binaryFn(op: KBinaryOp, t: ScalarType): BinaryFn {
  const f = comparison(op)
    ?? (isFloat(t) ? floatBinary(op, t)
      : t === 'i32' ? i32Binary(op)
        : t === 'u32' ? u32Binary(op)
          : t === 'i64' ? i64Binary(op)
            : boolBinary(op));
  if (!f) throw new Error(`binary ${op} is not defined on ${t}`);
  return f;
}

/** a·b + c computed in f64 then rounded once (a fused multiply-add for f32 and f16). */
export function fmaFn(t: ScalarType): (a: Scalar, b: Scalar, c: Scalar) => Scalar {
  if (isFloat(t)) {
    const r = floatRounding(t);
    return (a, b, c) => r((a as number) * (b as number) + (c as number));
  }
  const mul = binaryFn('mul', t);
  const add = binaryFn('add', t);
  return (a, b, c) => add(mul(a, b), c);
}

// ---- casts ----

function toNumber(from: ScalarType): (a: Scalar) => number {
  if (from === 'bool') return (a) => (a ? 1 : 0);
  if (from === 'i64') return (a) => Number(a);
  return (a) => a as number;
}

/** Truncation toward zero, saturating to [lo, hi]; NaN gives 0. */
function saturatingTrunc(lo: number, hi: number): (x: number) => number {
  return (x) => (Number.isNaN(x) ? 0 : x <= lo ? lo : x >= hi ? hi : Math.trunc(x) + 0);
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

export function castFn(from: ScalarType, to: ScalarType): UnaryFn {
  if (from === to) return (a) => a;
  const num = toNumber(from);
  switch (to) {
    case 'f32': case 'f16': case 'f64': {
      const r = floatRounding(to);
      return (a) => r(num(a));
    }
    case 'bool':
      return from === 'i64' ? (a) => a !== 0n : (a) => num(a) !== 0;
    case 'i32':
      if (from === 'i64') return (a) => Number(BigInt.asIntN(32, a as bigint));
      if (isFloat(from)) return saturatingTrunc(-(2 ** 31), 2 ** 31 - 1) as UnaryFn;
      return (a) => num(a) | 0;
    case 'u32':
      if (from === 'i64') return (a) => Number(BigInt.asUintN(32, a as bigint));
      if (isFloat(from)) return saturatingTrunc(0, 2 ** 32 - 1) as UnaryFn;
      return (a) => num(a) >>> 0;
    case 'i64':
      if (isFloat(from)) {
        return (a) => {
          const x = a as number;
          if (Number.isNaN(x)) return 0n;
          if (x >= 2 ** 63) return I64_MAX;
          if (x < -(2 ** 63)) return I64_MIN;
          return BigInt(Math.trunc(x));
        };
      }
      return (a) => BigInt(num(a));
  }
}

// ---- buffer element conversions ----

/** What a load of a storage element yields (host storage as compiler/interpret/tensor.ts holds it). */
export function loadConversion(dtype: DType): ((raw: number | bigint) => Scalar) | undefined {
  switch (dtype) {
    case 'bool': return (raw) => raw !== 0;
    case 'u64': return (raw) => BigInt.asIntN(64, raw as bigint);
    default: return undefined; // numbers and i64 BigInts are already the compute value
  }
}

/** What a store writes into storage; the typed array's own store does the rest (wrap, fround). */
export function storeConversion(dtype: DType): ((v: Scalar) => number | bigint) | undefined {
  switch (dtype) {
    case 'f16': return (v) => roundToHalf(v as number);
    case 'bf16': return (v) => roundToBf16(v as number);
    case 'bool': return (v) => (v ? 1 : 0);
    default: return undefined;
  }
}

/** The zero of a scalar type (fresh arrays start zeroed, as WGSL and WASM memory do). */
export function zeroOf(t: ScalarType): Scalar {
  return t === 'bool' ? false : t === 'i64' ? 0n : 0;
}
