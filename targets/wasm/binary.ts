// Kernel IR binary ops → binaryen. Scalars map to one instruction where wasm has one;
// integer division never traps (abi.ts, "Numerics"), float remainder is fmod computed in
// f64, pow calls the math library (floats) or squares (integers). 4-lane vectors use SIMD128
// and go lane by lane only where it has no instruction (integer division, shifts by vectors).

import binaryen from 'binaryen';
import { elemOf, isVector, type KBinaryOp, type KType, type ScalarType } from '../../compiler/kernel/ir.js';
import { compilerBug, extractLane, share, vectorFromLanes, type KernelContext } from './context.js';
import { i64Const, type Ref } from './function-builder.js';
import { intPowCall } from './int-pow.js';

export function compileBinary(ctx: KernelContext, op: KBinaryOp, type: KType, a: Ref, b: Ref): Ref {
  if (isVector(type)) return vectorBinary(ctx, op, type, a, b);
  const el = type as ScalarType;
  switch (el) {
    case 'f32': case 'f16': case 'f64': return floatBinary(ctx, op, el, a, b);
    case 'i32': case 'u32': case 'bool': return int32Binary(ctx, op, el, a, b);
    case 'i64': return int64Binary(ctx, op, a, b);
  }
}

function floatBinary(ctx: KernelContext, op: KBinaryOp, el: 'f32' | 'f16' | 'f64', a: Ref, b: Ref): Ref {
  const { m } = ctx;
  const f = el === 'f64' ? m.f64 : m.f32;
  switch (op) {
    case 'add': return f.add(a, b);
    case 'sub': return f.sub(a, b);
    case 'mul': return f.mul(a, b);
    case 'div': return f.div(a, b);
    case 'max': return f.max(a, b);
    case 'min': return f.min(a, b);
    case 'eq': return f.eq(a, b);
    case 'ne': return f.ne(a, b);
    case 'lt': return f.lt(a, b);
    case 'le': return f.le(a, b);
    case 'gt': return f.gt(a, b);
    case 'ge': return f.ge(a, b);
    case 'pow':
      if (el === 'f64') return ctx.math.f64('pow', [a, b]);
      return ctx.math.f32('pow', [a, b]);
    case 'rem': {
      // fmod in f64: x − trunc(x/y)·y is exact for the quotients f32 data produce (< 2^29)
      const x = share(ctx, el === 'f64' ? a : m.f64.promote(a), binaryen.f64);
      const y = share(ctx, el === 'f64' ? b : m.f64.promote(b), binaryen.f64);
      const r = m.f64.sub(x(), m.f64.mul(m.f64.trunc(m.f64.div(x(), y())), y()));
      return el === 'f64' ? r : m.f32.demote(r);
    }
  }
  throw compilerBug(ctx, `binary ${op} on ${el}`);
}

/** Integer division and remainder never trap: x/0 = x%0 = 0, INT_MIN/−1 wraps (as the interpreter). */
function safeDivRem(ctx: KernelContext, op: 'div' | 'rem', unsigned: boolean, a: Ref, b: Ref, w: 'i32' | 'i64'): Ref {
  const { m } = ctx;
  const I = w === 'i32' ? m.i32 : m.i64;
  const type = w === 'i32' ? binaryen.i32 : binaryen.i64;
  const c = (x: number): Ref => (w === 'i32' ? m.i32.const(x) : i64Const(m, x, x < 0 ? -1 : 0));
  const x = share(ctx, a, type);
  const y = share(ctx, b, type);
  if (unsigned) {
    const divisor = m.select(I.eqz(y()), c(1), y());
    const q = op === 'div' ? I.div_u(x(), divisor) : I.rem_u(x(), divisor);
    return m.select(I.eqz(y()), c(0), q);
  }
  const special = share(ctx, m.i32.or(I.eqz(y()), I.eq(y(), c(-1))), binaryen.i32);
  const divisor = m.select(special(), c(1), y());
  if (op === 'rem') return m.select(special(), c(0), I.rem_s(x(), divisor));
  // y = −1: −x (wrapping); y = 0: 0
  const whenSpecial = m.select(I.eqz(y()), c(0), I.sub(c(0), x()));
  return m.select(special(), whenSpecial, I.div_s(x(), divisor));
}

function constantDivisor(b: Ref): number | undefined {
  if (binaryen.getExpressionId(b) !== binaryen.ConstId) return undefined;
  const info = binaryen.getExpressionInfo(b) as unknown as { type: number; value: unknown };
  return info.type === binaryen.i32 && typeof info.value === 'number' ? info.value : undefined;
}

function int32Binary(ctx: KernelContext, op: KBinaryOp, el: 'i32' | 'u32' | 'bool', a: Ref, b: Ref): Ref {
  const { m } = ctx;
  const u = el !== 'i32';
  switch (op) {
    case 'add': return m.i32.add(a, b);
    case 'sub': return m.i32.sub(a, b);
    case 'mul': return m.i32.mul(a, b);
    case 'div': case 'rem': {
      const d = constantDivisor(b);
      if (d !== undefined && d !== 0 && d !== -1) {
        return op === 'div' ? (u ? m.i32.div_u(a, b) : m.i32.div_s(a, b)) : u ? m.i32.rem_u(a, b) : m.i32.rem_s(a, b);
      }
      return safeDivRem(ctx, op, u, a, b, 'i32');
    }
    case 'max': case 'min': {
      const x = share(ctx, a, binaryen.i32);
      const y = share(ctx, b, binaryen.i32);
      const greater = u ? m.i32.gt_u(x(), y()) : m.i32.gt_s(x(), y());
      return op === 'max' ? m.select(greater, x(), y()) : m.select(greater, y(), x());
    }
    case 'eq': return m.i32.eq(a, b);
    case 'ne': return m.i32.ne(a, b);
    case 'lt': return u ? m.i32.lt_u(a, b) : m.i32.lt_s(a, b);
    case 'le': return u ? m.i32.le_u(a, b) : m.i32.le_s(a, b);
    case 'gt': return u ? m.i32.gt_u(a, b) : m.i32.gt_s(a, b);
    case 'ge': return u ? m.i32.ge_u(a, b) : m.i32.ge_s(a, b);
    case 'and': return m.i32.and(a, b);
    case 'or': return m.i32.or(a, b);
    case 'xor': return m.i32.xor(a, b);
    case 'shl': return m.i32.shl(a, b);
    case 'shr': return u ? m.i32.shr_u(a, b) : m.i32.shr_s(a, b);
    case 'pow': return intPowCall(m, ctx.intPow, 'i32', a, b);
  }
}

function int64Binary(ctx: KernelContext, op: KBinaryOp, a: Ref, b: Ref): Ref {
  const { m } = ctx;
  switch (op) {
    case 'add': return m.i64.add(a, b);
    case 'sub': return m.i64.sub(a, b);
    case 'mul': return m.i64.mul(a, b);
    case 'div': case 'rem': return safeDivRem(ctx, op, false, a, b, 'i64');
    case 'max': case 'min': {
      const x = share(ctx, a, binaryen.i64);
      const y = share(ctx, b, binaryen.i64);
      const greater = m.i64.gt_s(x(), y());
      return op === 'max' ? m.select(greater, x(), y()) : m.select(greater, y(), x());
    }
    case 'eq': return m.i64.eq(a, b);
    case 'ne': return m.i64.ne(a, b);
    case 'lt': return m.i64.lt_s(a, b);
    case 'le': return m.i64.le_s(a, b);
    case 'gt': return m.i64.gt_s(a, b);
    case 'ge': return m.i64.ge_s(a, b);
    case 'and': return m.i64.and(a, b);
    case 'or': return m.i64.or(a, b);
    case 'xor': return m.i64.xor(a, b);
    case 'shl': return m.i64.shl(a, b);
    case 'shr': return m.i64.shr_s(a, b);
    case 'pow': return intPowCall(m, ctx.intPow, 'i64', a, b);
  }
}

function vectorBinary(ctx: KernelContext, op: KBinaryOp, type: KType, a: Ref, b: Ref): Ref {
  const { m } = ctx;
  const el = elemOf(type);
  if (el === 'f32' || el === 'f16') {
    const f = m.f32x4;
    switch (op) {
      case 'add': return f.add(a, b);
      case 'sub': return f.sub(a, b);
      case 'mul': return f.mul(a, b);
      case 'div': return f.div(a, b);
      case 'max': return f.max(a, b);
      case 'min': return f.min(a, b);
      case 'eq': return f.eq(a, b);
      case 'ne': return f.ne(a, b);
      case 'lt': return f.lt(a, b);
      case 'le': return f.le(a, b);
      case 'gt': return f.gt(a, b);
      case 'ge': return f.ge(a, b);
      case 'pow': return ctx.math.f32x4('pow', [a, b]);
    }
  } else if (el === 'i32' || el === 'u32') {
    const i = m.i32x4;
    const u = el === 'u32';
    switch (op) {
      case 'add': return i.add(a, b);
      case 'sub': return i.sub(a, b);
      case 'mul': return i.mul(a, b);
      case 'max': return u ? i.max_u(a, b) : i.max_s(a, b);
      case 'min': return u ? i.min_u(a, b) : i.min_s(a, b);
      case 'eq': return i.eq(a, b);
      case 'ne': return i.ne(a, b);
      case 'lt': return u ? i.lt_u(a, b) : i.lt_s(a, b);
      case 'le': return u ? i.le_u(a, b) : i.le_s(a, b);
      case 'gt': return u ? i.gt_u(a, b) : i.gt_s(a, b);
      case 'ge': return u ? i.ge_u(a, b) : i.ge_s(a, b);
      case 'and': return m.v128.and(a, b);
      case 'or': return m.v128.or(a, b);
      case 'xor': return m.v128.xor(a, b);
    }
  } else if (el === 'bool') {
    switch (op) {
      case 'and': return m.v128.and(a, b);
      case 'or': return m.v128.or(a, b);
      case 'xor': case 'ne': return m.v128.xor(a, b);
      case 'eq': return m.v128.not(m.v128.xor(a, b));
    }
  }
  // no SIMD128 instruction (integer div/rem/shifts by vectors, float rem): lane by lane
  const x = share(ctx, a, binaryen.v128);
  const y = share(ctx, b, binaryen.v128);
  const scalar = el as ScalarType;
  const result = isComparison(op) ? (`boolx4` as KType) : type;
  return vectorFromLanes(ctx, result, (lane) =>
    compileBinary(ctx, op, scalar, extractLane(m, x(), type, lane), extractLane(m, y(), type, lane)));
}

function isComparison(op: KBinaryOp): boolean {
  return op === 'eq' || op === 'ne' || op === 'lt' || op === 'le' || op === 'gt' || op === 'ge';
}
