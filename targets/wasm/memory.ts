// Buffer loads and stores: element i of a buffer at buf + i·bytes(dtype), converted between
// the storage dtype and the compute type (abi.ts, "Data layout"). 4-byte dtypes move as
// whole v128s for 4-lane vectors; other dtypes go lane by lane.

import binaryen from 'binaryen';
import type { DType } from '../../compiler/ir/dtype.js';
import { elemOf, isVector, type KType } from '../../compiler/kernel/ir.js';
import { storageBytes } from './abi.js';
import { compilerBug, extractLane, share, vectorFromLanes, type KernelContext } from './context.js';
import type { Ref } from './function-builder.js';

/** Byte address of element `index` (an i32 Ref) of a buffer with elements of `bytes` bytes. */
export function elementAddress(ctx: KernelContext, base: Ref, index: Ref, bytes: number): Ref {
  const { m } = ctx;
  const scaled = bytes === 1 ? index : m.i32.shl(index, m.i32.const(Math.log2(bytes)));
  return m.i32.add(base, scaled);
}

function bufferOf(ctx: KernelContext, name: string): { param: number; dtype: DType } {
  const b = ctx.buffers.get(name);
  if (!b) throw compilerBug(ctx, `unknown buffer '${name}'`);
  return b;
}

/** One element at `address`, converted to its compute type. */
function loadScalar(ctx: KernelContext, dtype: DType, address: Ref): Ref {
  const { m, half } = ctx;
  switch (dtype) {
    case 'f32': return m.f32.load(0, 4, address);
    case 'f64': return m.f64.load(0, 8, address);
    case 'f16': return half.f16ToF32(m.i32.load16_u(0, 2, address));
    case 'bf16': return half.bf16ToF32(m.i32.load16_u(0, 2, address));
    case 'i8': return m.i32.load8_s(0, 1, address);
    case 'u8': return m.i32.load8_u(0, 1, address);
    case 'i16': return m.i32.load16_s(0, 2, address);
    case 'u16': return m.i32.load16_u(0, 2, address);
    case 'i32': case 'u32': return m.i32.load(0, 4, address);
    case 'i64': case 'u64': return m.i64.load(0, 8, address);
    case 'bool': return m.i32.ne(m.i32.load8_u(0, 1, address), m.i32.const(0));
    default: throw compilerBug(ctx, `a buffer of ${dtype}`);
  }
}

/** Stores `value` (of the compute type) as one element of `dtype` at `address`. */
function storeScalar(ctx: KernelContext, dtype: DType, address: Ref, value: Ref): Ref {
  const { m, half } = ctx;
  switch (dtype) {
    case 'f32': return m.f32.store(0, 4, address, value);
    case 'f64': return m.f64.store(0, 8, address, value);
    case 'f16': return m.i32.store16(0, 2, address, half.f32ToF16(value));
    case 'bf16': return m.i32.store16(0, 2, address, half.f32ToBf16(value));
    case 'i8': case 'u8': case 'bool': return m.i32.store8(0, 1, address, value);
    case 'i16': case 'u16': return m.i32.store16(0, 2, address, value);
    case 'i32': case 'u32': return m.i32.store(0, 4, address, value);
    case 'i64': case 'u64': return m.i64.store(0, 8, address, value);
    default: throw compilerBug(ctx, `a buffer of ${dtype}`);
  }
}

/** Element `index` of buffer `name` (or `lanes` of them from there, for a vector `type`). */
export function compileLoad(ctx: KernelContext, name: string, type: KType, index: Ref): Ref {
  const { m, fb } = ctx;
  const { param, dtype } = bufferOf(ctx, name);
  const bytes = storageBytes(dtype);
  if (!isVector(type)) return loadScalar(ctx, dtype, elementAddress(ctx, fb.get(param), index, bytes));
  const address = share(ctx, elementAddress(ctx, fb.get(param), index, bytes), binaryen.i32);
  if (bytes === 4) return m.v128.load(0, 4, address());
  return vectorFromLanes(ctx, type, (lane) => loadScalar(ctx, dtype, m.i32.add(address(), m.i32.const(lane * bytes))));
}

/** Statement: store `value` (scalar or 4-lane vector of `type`) at element `index` of buffer `name`. */
export function compileStore(ctx: KernelContext, name: string, type: KType, index: Ref, value: Ref): Ref {
  const { m, fb } = ctx;
  const { param, dtype } = bufferOf(ctx, name);
  const bytes = storageBytes(dtype);
  const address = elementAddress(ctx, fb.get(param), index, bytes);
  if (!isVector(type)) return storeScalar(ctx, dtype, address, value);
  if (bytes === 4 && elemOf(type) !== 'bool') return m.v128.store(0, 4, address, value);
  const addr = share(ctx, address, binaryen.i32);
  const vec = share(ctx, value, binaryen.v128);
  const stores = [0, 1, 2, 3].map((lane) =>
    storeScalar(ctx, dtype, m.i32.add(addr(), m.i32.const(lane * bytes)), extractLane(m, vec(), type, lane)));
  return m.block(null, stores, binaryen.none);
}
