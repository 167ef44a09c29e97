// Numeric conversions (Kernel IR `cast`): float → int truncates toward zero with the
// saturating non-trapping instructions (NaN → 0, out of range → the nearest end), bool →
// number is 0/1, number → bool is ≠ 0 (NaN → true), anything → f16 rounds to nearest even.

import binaryen from 'binaryen';
import { elemOf, isVector, type KType, type ScalarType } from '../../compiler/kernel/ir.js';
import { compilerBug, extractLane, share, vectorFromLanes, type KernelContext } from './context.js';
import { i64Const, type Ref } from './function-builder.js';

export function compileCast(ctx: KernelContext, value: Ref, from: KType, to: KType): Ref {
  if (from === to) return value;
  if (isVector(from) !== isVector(to)) throw compilerBug(ctx, `cast from ${from} to ${to}`);
  return isVector(to) ? castVector(ctx, value, from, to) : castScalar(ctx, value, from as ScalarType, to as ScalarType);
}

function castScalar(ctx: KernelContext, v: Ref, from: ScalarType, to: ScalarType): Ref {
  const { m, half } = ctx;
  if (to === 'f16') return half.roundF16(from === 'f16' ? v : castScalar(ctx, v, from, 'f32'));
  const src: ScalarType = from === 'f16' ? 'f32' : from;
  if (src === to) return v;
  switch (src) {
    case 'f32':
      switch (to) {
        case 'f64': return m.f64.promote(v);
        case 'i32': return m.i32.trunc_s_sat.f32(v);
        case 'u32': return m.i32.trunc_u_sat.f32(v);
        case 'i64': return m.i64.trunc_s_sat.f32(v);
        case 'bool': return m.f32.ne(v, m.f32.const(0));
      }
      break;
    case 'f64':
      switch (to) {
        case 'f32': return m.f32.demote(v);
        case 'i32': return m.i32.trunc_s_sat.f64(v);
        case 'u32': return m.i32.trunc_u_sat.f64(v);
        case 'i64': return m.i64.trunc_s_sat.f64(v);
        case 'bool': return m.f64.ne(v, m.f64.const(0));
      }
      break;
    case 'i32': case 'u32': case 'bool': {
      const unsigned = src !== 'i32';
      switch (to) {
        case 'f32': return unsigned ? m.f32.convert_u.i32(v) : m.f32.convert_s.i32(v);
        case 'f64': return unsigned ? m.f64.convert_u.i32(v) : m.f64.convert_s.i32(v);
        case 'i32': case 'u32': return v;
        // binaryen 132's optimiser turns i64.extend_i32_u(i32.load) into i64.load32_s (a
        // miscompile); masking a sign extension survives it and means the same
        case 'i64': return unsigned ? m.i64.and(m.i64.extend_s(v), i64Const(m, -1, 0)) : m.i64.extend_s(v);
        case 'bool': return m.i32.ne(v, m.i32.const(0));
      }
      break;
    }
    case 'i64':
      switch (to) {
        case 'f32': return m.f32.convert_s.i64(v);
        case 'f64': return m.f64.convert_s.i64(v);
        case 'i32': case 'u32': return m.i32.wrap(v);
        case 'bool': return m.i64.ne(v, i64Const(m, 0, 0));
      }
      break;
  }
  throw compilerBug(ctx, `cast from ${from} to ${to}`);
}

function castVector(ctx: KernelContext, v: Ref, from: KType, to: KType): Ref {
  const { m } = ctx;
  const a = elemOf(from);
  const b = elemOf(to);
  const f32Splat = (x: number): Ref => m.f32x4.splat(m.f32.const(x));
  const i32Splat = (x: number): Ref => m.i32x4.splat(m.i32.const(x));
  if ((a === 'i32' || a === 'u32') && (b === 'i32' || b === 'u32')) return v;
  if (a === 'f16' && b === 'f32') return v;
  if (a === 'f32' && b === 'i32') return m.i32x4.trunc_sat_f32x4_s(v);
  if (a === 'f32' && b === 'u32') return m.i32x4.trunc_sat_f32x4_u(v);
  if (a === 'i32' && b === 'f32') return m.f32x4.convert_i32x4_s(v);
  if (a === 'u32' && b === 'f32') return m.f32x4.convert_i32x4_u(v);
  if (a === 'bool' && b === 'f32') return m.v128.and(v, f32Splat(1));
  if (a === 'bool' && (b === 'i32' || b === 'u32')) return m.v128.and(v, i32Splat(1));
  if (a === 'f32' && b === 'bool') return m.f32x4.ne(v, f32Splat(0));
  if ((a === 'i32' || a === 'u32') && b === 'bool') return m.i32x4.ne(v, i32Splat(0));
  // the rest (f16 targets, f16 → int) lane by lane through the scalar casts
  const vec = share(ctx, v, binaryen.v128);
  return vectorFromLanes(ctx, to, (lane) => castScalar(ctx, extractLane(m, vec(), from, lane), a, b));
}
