// Buffer loads and stores: element i of a buffer at buf + i·bytes(dtype), converted between
// the storage dtype and the compute type (abi.ts, "Data layout"). 4-byte dtypes move as
// whole v128s for 4-lane vectors; other dtypes go lane by lane.

import binaryen from 'binaryen';
import type { DType } from '../../compiler/ir/dtype.js';
import { elemOf, isVector, type Expr, type KType } from '../../compiler/kernel/ir.js';
import { storageBytes } from './abi.js';
import { compilerBug, extractLane, share, vectorFromLanes, type KernelContext } from './context.js';
import type { Ref } from './function-builder.js';

/** An element index as compiled for addressing (expr.ts, compileIndex): variable part and constant elements. */
export interface CompiledIndex {
  readonly rest: Ref;
  readonly elements: number;
  /** Whether the variable part is never negative (non-negative.ts). */
  readonly restNonNegative: boolean;
}

/** A byte address as a load or store takes it: a pointer and an offset immediate. */
export interface Address {
  readonly ptr: Ref;
  readonly offset: number;
}

/**
 * The address of element `rest + elements` of a buffer at `base` (+ `baseOffset` bytes) with
 * elements of `bytes` bytes. The constants are added after the scaling,
 * (base + rest·bytes) + (baseOffset + elements·bytes), equal modulo 2^32 to the plain sum, so
 * the loads of a register tile that differ only by a constant share base + rest·bytes. When
 * the variable part is never negative (and base is an address), base + rest·bytes does not
 * wrap for a valid element, and a non-negative constant goes into the offset immediate,
 * which costs nothing (V8 otherwise spends an lea per load on it).
 */
export function elementAddress(ctx: KernelContext, base: Ref, index: CompiledIndex, bytes: number, baseOffset = 0): Address {
  const { m } = ctx;
  const scaled = bytes === 1 ? index.rest : m.i32.shl(index.rest, m.i32.const(Math.log2(bytes)));
  const ptr = m.i32.add(base, scaled);
  const constant = baseOffset + index.elements * bytes;
  if (index.restNonNegative && constant >= 0 && constant <= 0x7fffffff) return { ptr, offset: constant };
  return { ptr: constant === 0 ? ptr : m.i32.add(ptr, m.i32.const(constant | 0)), offset: 0 };
}

/** An i32 index split into a variable part (undefined: none) and a constant number of elements. */
export interface SplitIndex {
  readonly rest: Expr | undefined;
  readonly elements: number;
}

/** Pulls the added (or subtracted) i32 constants out of an index: x + 3 + y − 1 → (x + y, 2). */
export function splitIndex(index: Expr): SplitIndex {
  if (index.type !== 'i32') return { rest: index, elements: 0 };
  if (index.kind === 'const') return { rest: undefined, elements: Number(index.value) | 0 };
  if (index.kind !== 'binary' || (index.op !== 'add' && index.op !== 'sub')) return { rest: index, elements: 0 };
  const a = splitIndex(index.a);
  const b = splitIndex(index.b);
  if (index.op === 'sub') {
    // only a constant subtrahend moves out (x − (y + c) keeps its shape)
    if (b.rest !== undefined) return { rest: a.rest === undefined ? index : { ...index, a: a.rest }, elements: a.rest === undefined ? 0 : a.elements };
    return { rest: a.rest, elements: (a.elements - b.elements) | 0 };
  }
  const rest = a.rest === undefined ? b.rest : b.rest === undefined ? a.rest : { ...index, a: a.rest, b: b.rest };
  return { rest, elements: (a.elements + b.elements) | 0 };
}

function bufferOf(ctx: KernelContext, name: string): { param: number; dtype: DType } {
  const b = ctx.buffers.get(name);
  if (!b) throw compilerBug(ctx, `unknown buffer '${name}'`);
  return b;
}

/** One element at `address`, converted to its compute type. */
function loadScalar(ctx: KernelContext, dtype: DType, { ptr, offset: o }: Address): Ref {
  const { m, half } = ctx;
  switch (dtype) {
    case 'f32': return m.f32.load(o, 4, ptr);
    case 'f64': return m.f64.load(o, 8, ptr);
    case 'f16': return half.f16ToF32(m.i32.load16_u(o, 2, ptr));
    case 'bf16': return half.bf16ToF32(m.i32.load16_u(o, 2, ptr));
    case 'i8': return m.i32.load8_s(o, 1, ptr);
    case 'u8': return m.i32.load8_u(o, 1, ptr);
    case 'i16': return m.i32.load16_s(o, 2, ptr);
    case 'u16': return m.i32.load16_u(o, 2, ptr);
    case 'i32': case 'u32': return m.i32.load(o, 4, ptr);
    case 'i64': case 'u64': return m.i64.load(o, 8, ptr);
    case 'bool': return m.i32.ne(m.i32.load8_u(o, 1, ptr), m.i32.const(0));
    default: throw compilerBug(ctx, `a buffer of ${dtype}`);
  }
}

/** Stores `value` (of the compute type) as one element of `dtype` at `address`. */
function storeScalar(ctx: KernelContext, dtype: DType, { ptr, offset: o }: Address, value: Ref): Ref {
  const { m, half } = ctx;
  switch (dtype) {
    case 'f32': return m.f32.store(o, 4, ptr, value);
    case 'f64': return m.f64.store(o, 8, ptr, value);
    case 'f16': return m.i32.store16(o, 2, ptr, half.f32ToF16(value));
    case 'bf16': return m.i32.store16(o, 2, ptr, half.f32ToBf16(value));
    case 'i8': case 'u8': case 'bool': return m.i32.store8(o, 1, ptr, value);
    case 'i16': case 'u16': return m.i32.store16(o, 2, ptr, value);
    case 'i32': case 'u32': return m.i32.store(o, 4, ptr, value);
    case 'i64': case 'u64': return m.i64.store(o, 8, ptr, value);
    default: throw compilerBug(ctx, `a buffer of ${dtype}`);
  }
}

/** Element `index` of buffer `name` (or `lanes` of them from there, for a vector `type`). */
export function compileLoad(ctx: KernelContext, name: string, type: KType, index: CompiledIndex): Ref {
  const { m, fb } = ctx;
  const { param, dtype } = bufferOf(ctx, name);
  const bytes = storageBytes(dtype);
  const address = elementAddress(ctx, fb.get(param), index, bytes);
  if (!isVector(type)) return loadScalar(ctx, dtype, address);
  if (bytes === 4) return m.v128.load(address.offset, 4, address.ptr);
  const ptr = share(ctx, address.ptr, binaryen.i32);
  return vectorFromLanes(ctx, type, (lane) => loadScalar(ctx, dtype, { ptr: ptr(), offset: address.offset + lane * bytes }));
}

/** Statement: store `value` (scalar or 4-lane vector of `type`) at element `index` of buffer `name`. */
export function compileStore(ctx: KernelContext, name: string, type: KType, index: CompiledIndex, value: Ref): Ref {
  const { m, fb } = ctx;
  const { param, dtype } = bufferOf(ctx, name);
  const bytes = storageBytes(dtype);
  const address = elementAddress(ctx, fb.get(param), index, bytes);
  if (!isVector(type)) return storeScalar(ctx, dtype, address, value);
  if (bytes === 4 && elemOf(type) !== 'bool') return m.v128.store(address.offset, 4, address.ptr, value);
  const ptr = share(ctx, address.ptr, binaryen.i32);
  const vec = share(ctx, value, binaryen.v128);
  const stores = [0, 1, 2, 3].map((lane) =>
    storeScalar(ctx, dtype, { ptr: ptr(), offset: address.offset + lane * bytes }, extractLane(m, vec(), type, lane)));
  return m.block(null, stores, binaryen.none);
}

/**
 * A 4-byte element splatted to all four lanes in one load (`v128.load32_splat`, a broadcast
 * load on x86) where the buffer holds f32 (or i32/u32) as such; undefined for other dtypes.
 */
export function compileLoadSplat(ctx: KernelContext, name: string, type: KType, index: CompiledIndex): Ref | undefined {
  const { param, dtype } = bufferOf(ctx, name);
  const el = elemOf(type);
  const matches = (el === 'f32' && dtype === 'f32') || ((el === 'i32' || el === 'u32') && (dtype === 'i32' || dtype === 'u32'));
  if (!matches || isVector(type)) return undefined;
  const address = elementAddress(ctx, ctx.fb.get(param), index, 4);
  return ctx.m.v128.load32_splat(address.offset, 4, address.ptr);
}
