// Kernel IR expressions → binaryen expressions. Scalars map to one instruction where wasm has
// it; the rest (transcendentals, f16 rounding, integer division by zero, float remainder) to
// a few instructions or a library call. 4-lane vectors use SIMD128, lane by lane only where
// SIMD128 has no instruction (integer division, f16).

import binaryen from 'binaryen';
import { roundToHalf } from '../../compiler/interpret/float-formats.js';
import {
  elemOf, isVector, type Expr, type KType, type KUnaryOp, type ScalarType,
} from '../../compiler/kernel/ir.js';
import { compileBinary } from './binary.js';
import { compileCast } from './cast.js';
import { evalConstInt } from './const-eval.js';
import { compilerBug, extractLane, share, vectorFromLanes, wasmType, type KernelContext } from './context.js';
import { i64Const, type Ref } from './function-builder.js';
import { compileLoad, compileLoadSplat, elementAddress, splitIndex, type Address, type CompiledIndex } from './memory.js';
import { isNonNegative } from './non-negative.js';
import type { MathFunction } from './math-library.js';

const MATH_UNARY = new Set<KUnaryOp>(['exp', 'log', 'tanh', 'erf', 'sin', 'cos']);

export function compileExpr(ctx: KernelContext, e: Expr): Ref {
  const { m } = ctx;
  switch (e.kind) {
    case 'const': return compileConst(ctx, e.type, e.value);
    case 'var': {
      const b = ctx.names.get(e.name);
      if (!b) throw compilerBug(ctx, `unknown variable '${e.name}'`);
      return b.kind === 'const' ? m.i32.const(b.value) : ctx.fb.get(b.index);
    }
    case 'unary': return roundIfF16(ctx, e.type, compileUnary(ctx, e.op, e.type, compileExpr(ctx, e.a)));
    case 'binary': {
      const ref = compileBinary(ctx, e.op, e.a.type, compileExpr(ctx, e.a), compileExpr(ctx, e.b));
      return roundIfF16(ctx, e.type, ref);
    }
    case 'fma': {
      const [a, b, c] = [compileExpr(ctx, e.a), compileExpr(ctx, e.b), compileExpr(ctx, e.c)];
      if (e.type === 'f32x4' && ctx.options.relaxedSimd) return binaryenRelaxedMadd(m, a, b, c);
      return roundIfF16(ctx, e.type, compileBinary(ctx, 'add', e.type, compileBinary(ctx, 'mul', e.type, a, b), c));
    }
    case 'select': {
      const cond = compileExpr(ctx, e.cond);
      const [a, b] = [compileExpr(ctx, e.a), compileExpr(ctx, e.b)];
      return isVector(e.cond.type) ? m.v128.bitselect(a, b, cond) : m.select(cond, a, b);
    }
    case 'cast': return compileCast(ctx, compileExpr(ctx, e.a), e.a.type, e.type);
    case 'load': return compileLoad(ctx, e.buffer, e.type, compileIndex(ctx, e.index));
    case 'array_load': return compileArrayLoad(ctx, e.array, e.index);
    case 'splat': {
      if (e.a.kind === 'load') {
        const broadcast = compileLoadSplat(ctx, e.a.buffer, e.a.type, compileIndex(ctx, e.a.index));
        if (broadcast !== undefined) return broadcast;
      }
      const a = compileExpr(ctx, e.a);
      const el = elemOf(e.type);
      if (el === 'f32' || el === 'f16') return m.f32x4.splat(a);
      return m.i32x4.splat(el === 'bool' ? m.i32.sub(m.i32.const(0), a) : a);
    }
    case 'vector': return vectorFromLanes(ctx, e.type, (lane) => compileExpr(ctx, e.parts[lane]!));
    case 'lane': return extractLane(m, compileExpr(ctx, e.a), e.a.type, e.lane);
    case 'reduce_lanes': return compileReduceLanes(ctx, e.op, e.a.type, compileExpr(ctx, e.a));
    case 'warp_reduce': throw new Error(`wasm: kernel '${ctx.kernelName}' holds a warp_reduce (warp-level reduction) on a target without warps`);
    case 'subgroup_reduce': case 'subgroup_size': throw new Error(`wasm: kernel '${ctx.kernelName}' holds a ${e.kind} (subgroup operation) on a target without subgroups`);
  }
}

function compileConst(ctx: KernelContext, type: KType, value: number | boolean): Ref {
  const { m } = ctx;
  if (isVector(type)) {
    const el = elemOf(type);
    const scalar = compileConst(ctx, el, value);
    if (el === 'f32' || el === 'f16') return m.f32x4.splat(scalar);
    return m.i32x4.splat(el === 'bool' ? m.i32.sub(m.i32.const(0), scalar) : scalar);
  }
  const n = Number(value);
  switch (type as ScalarType) {
    case 'f32': return m.f32.const(Math.fround(n));
    case 'f16': return m.f32.const(roundToHalf(n));
    case 'f64': return m.f64.const(n);
    case 'i32': case 'u32': return m.i32.const(n | 0);
    case 'bool': return m.i32.const(n ? 1 : 0);
    case 'i64': {
      const big = BigInt.asUintN(64, BigInt(Math.trunc(n)));
      return m.i64.const(BigInt.asIntN(64, big));
    }
  }
}

function roundIfF16(ctx: KernelContext, type: KType, ref: Ref): Ref {
  if (elemOf(type) !== 'f16') return ref;
  if (!isVector(type)) return ctx.half.roundF16(ref);
  const vec = share(ctx, ref, binaryen.v128);
  return vectorFromLanes(ctx, type, (lane) => ctx.half.roundF16(ctx.m.f32x4.extract_lane(vec(), lane)));
}

// binaryen.js has no wrapper for relaxed SIMD ternaries; its C API does.
function binaryenRelaxedMadd(m: binaryen.Module, a: Ref, b: Ref, c: Ref): Ref {
  const api = binaryen as unknown as { _BinaryenSIMDTernary(module: number, op: number, a: Ref, b: Ref, c: Ref): Ref; RelaxedMaddVecF32x4: number };
  return api._BinaryenSIMDTernary(m.ptr, api.RelaxedMaddVecF32x4, a, b, c);
}

// ---- unary ----

function compileUnary(ctx: KernelContext, op: KUnaryOp, type: KType, a: Ref): Ref {
  const { m } = ctx;
  const el = elemOf(type);
  const vector = isVector(type);
  if (el === 'f32' || el === 'f16') {
    if (MATH_UNARY.has(op)) return vector ? ctx.math.f32x4(op as MathFunction, [a]) : ctx.math.f32(op as MathFunction, [a]);
    const f = vector ? m.f32x4 : m.f32;
    switch (op) {
      case 'neg': return f.neg(a);
      case 'abs': return f.abs(a);
      case 'sqrt': return f.sqrt(a);
      case 'rsqrt': return vector ? m.f32x4.div(m.f32x4.splat(m.f32.const(1)), m.f32x4.sqrt(a)) : m.f32.div(m.f32.const(1), m.f32.sqrt(a));
      case 'floor': return f.floor(a);
      case 'ceil': return f.ceil(a);
      case 'round': return f.nearest(a);
      case 'trunc': return f.trunc(a);
      case 'sign': return floatSign(ctx, type, a);
    }
  }
  if (el === 'f64' && !vector) {
    switch (op) {
      case 'neg': return m.f64.neg(a);
      case 'abs': return m.f64.abs(a);
      case 'sqrt': return m.f64.sqrt(a);
      case 'rsqrt': return m.f64.div(m.f64.const(1), m.f64.sqrt(a));
      case 'floor': return m.f64.floor(a);
      case 'ceil': return m.f64.ceil(a);
      case 'round': return m.f64.nearest(a);
      case 'trunc': return m.f64.trunc(a);
      case 'sign': return floatSign(ctx, type, a);
      default:
        if (MATH_UNARY.has(op)) return ctx.math.f64(op as MathFunction, [a]);
    }
  }
  if (el === 'bool' && op === 'not') return vector ? m.v128.not(a) : m.i32.eqz(a);
  // rounding an integer leaves it as it is
  if ((op === 'floor' || op === 'ceil' || op === 'round' || op === 'trunc') && el !== 'bool') return a;
  if (el === 'i32' || el === 'u32') {
    if (vector) {
      switch (op) {
        case 'neg': return m.i32x4.neg(a);
        case 'abs': return el === 'u32' ? a : m.i32x4.abs(a);
        case 'not': return m.v128.not(a);
        case 'sign': {
          const v = share(ctx, a, binaryen.v128);
          const zero = (): Ref => m.i32x4.splat(m.i32.const(0));
          // comparisons give −1 where true: sign = (v < 0) − (v > 0)
          if (el === 'u32') return m.i32x4.sub(zero(), m.i32x4.ne(v(), zero()));
          return m.i32x4.sub(m.i32x4.lt_s(v(), zero()), m.i32x4.lt_s(zero(), v()));
        }
      }
    } else {
      switch (op) {
        case 'neg': return m.i32.sub(m.i32.const(0), a);
        case 'abs': {
          if (el === 'u32') return a;
          const v = share(ctx, a, binaryen.i32);
          return m.select(m.i32.lt_s(v(), m.i32.const(0)), m.i32.sub(m.i32.const(0), v()), v());
        }
        case 'not': return m.i32.xor(a, m.i32.const(-1));
        case 'sign': {
          const v = share(ctx, a, binaryen.i32);
          if (el === 'u32') return m.i32.ne(v(), m.i32.const(0));
          return m.i32.sub(m.i32.gt_s(v(), m.i32.const(0)), m.i32.lt_s(v(), m.i32.const(0)));
        }
      }
    }
  }
  if (el === 'i64' && !vector) {
    const zero = (): Ref => i64Const(m, 0, 0);
    switch (op) {
      case 'neg': return m.i64.sub(zero(), a);
      case 'abs': {
        const v = share(ctx, a, binaryen.i64);
        return m.select(m.i64.lt_s(v(), zero()), m.i64.sub(zero(), v()), v());
      }
      case 'not': return m.i64.xor(a, i64Const(m, -1, -1));
      case 'sign': {
        const v = share(ctx, a, binaryen.i64);
        return m.i64.extend_s(m.i32.sub(m.i64.gt_s(v(), zero()), m.i64.lt_s(v(), zero())));
      }
    }
  }
  throw compilerBug(ctx, `unary ${op} on ${type}`);
}

/** sign(x): 1, −1, or x itself for ±0 and NaN. */
function floatSign(ctx: KernelContext, type: KType, a: Ref): Ref {
  const { m } = ctx;
  if (isVector(type)) {
    const v = share(ctx, a, binaryen.v128);
    const splat = (x: number): Ref => m.f32x4.splat(m.f32.const(x));
    const zero = (): Ref => splat(0);
    const negOrX = m.v128.bitselect(splat(-1), v(), m.f32x4.lt(v(), zero()));
    return m.v128.bitselect(splat(1), negOrX, m.f32x4.gt(v(), zero()));
  }
  const f = elemOf(type) === 'f64' ? m.f64 : m.f32;
  const w = wasmType(type);
  const v = share(ctx, a, w);
  return m.select(f.gt(v(), f.const(0)), f.const(1), m.select(f.lt(v(), f.const(0)), f.const(-1), v()));
}

// ---- lanes and arrays ----

function compileReduceLanes(ctx: KernelContext, op: 'add' | 'max' | 'min', type: KType, a: Ref): Ref {
  const { m } = ctx;
  const el = elemOf(type);
  const v = share(ctx, a, binaryen.v128);
  const lanes = [0, 1, 2, 3].map((lane) => extractLane(m, v(), type, lane));
  // ((l0 op l1) op l2) op l3, the interpreter's order
  let acc = lanes[0]!;
  for (let lane = 1; lane < 4; lane++) {
    acc = compileBinary(ctx, op, el, acc, lanes[lane]!);
    if (el === 'f16') acc = ctx.half.roundF16(acc);
  }
  return acc;
}

function compileArrayLoad(ctx: KernelContext, array: string, index: Expr): Ref {
  const placement = ctx.arrays.get(array);
  if (!placement) throw compilerBug(ctx, `unknown array '${array}'`);
  if (placement.kind === 'locals') {
    const i = constIndexOf(ctx, index);
    const local = placement.locals[i];
    if (local === undefined) throw compilerBug(ctx, `array '${array}' index ${i} out of range`);
    return ctx.fb.get(local);
  }
  const address = arrayAddress(ctx, placement.offset, placement.elementBytes, index);
  return loadWasmValue(ctx, placement.type, address);
}

export function arrayAddress(ctx: KernelContext, offset: number, elementBytes: number, index: Expr): Address {
  return elementAddress(ctx, ctx.fb.get(ctx.scratchParam), compileIndex(ctx, index), elementBytes, offset);
}

/** An index compiled as its variable part and its constant elements (memory.ts, elementAddress). */
export function compileIndex(ctx: KernelContext, index: Expr): CompiledIndex {
  const { rest, elements } = splitIndex(index);
  if (rest === undefined) return { rest: ctx.m.i32.const(0), elements, restNonNegative: true };
  return { rest: compileExpr(ctx, rest), elements, restNonNegative: isNonNegative(rest, ctx.nonNegative) };
}

/** The constant an index expression of an array kept in locals folds to (checked by the placement pass). */
export function constIndexOf(ctx: KernelContext, index: Expr): number {
  const value = evalConstInt(index, ctx.names);
  if (value === undefined) throw compilerBug(ctx, 'a locals array indexed by a non-constant');
  return value;
}

/** A load of a wasm value of Kernel IR type `type` (scratch memory holds values as wasm has them). */
export function loadWasmValue(ctx: KernelContext, type: KType, { ptr, offset: o }: Address): Ref {
  const { m } = ctx;
  const w = wasmType(type);
  if (w === binaryen.v128) return m.v128.load(o, 16, ptr);
  if (w === binaryen.f32) return m.f32.load(o, 4, ptr);
  if (w === binaryen.f64) return m.f64.load(o, 8, ptr);
  if (w === binaryen.i64) return m.i64.load(o, 8, ptr);
  return m.i32.load(o, 4, ptr);
}

export function storeWasmValue(ctx: KernelContext, type: KType, { ptr, offset: o }: Address, value: Ref): Ref {
  const { m } = ctx;
  const w = wasmType(type);
  if (w === binaryen.v128) return m.v128.store(o, 16, ptr, value);
  if (w === binaryen.f32) return m.f32.store(o, 4, ptr, value);
  if (w === binaryen.f64) return m.f64.store(o, 8, ptr, value);
  if (w === binaryen.i64) return m.i64.store(o, 8, ptr, value);
  return m.i32.store(o, 4, ptr, value);
}
