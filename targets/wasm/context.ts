// What the expression and statement printers share while one kernel function is built: the
// module, the function's locals, the libraries, where each name lives, and a few helpers for
// wasm types and vector lanes that the Kernel IR types map to.

import binaryen from 'binaryen';
import type { DType } from '../../compiler/ir/dtype.js';
import { elemOf, isVector, lanesOf, type KType, type ScalarType } from '../../compiler/kernel/ir.js';
import type { WasmPrintOptions } from './abi.js';
import { i64Const, type FunctionBuilder, type Ref } from './function-builder.js';
import type { HalfLibrary } from './half.js';
import type { MathLibrary } from './math-library.js';

/** Where a private array lives: one local per element, or a region of the worker's scratch memory. */
export type ArrayPlacement =
  | { readonly kind: 'locals'; readonly type: KType; readonly locals: readonly number[] }
  | { readonly kind: 'scratch'; readonly type: KType; readonly offset: number; readonly elementBytes: number };

/** A name in scope: a local (let, loop variable, parameter) or an unrolled loop's constant index. */
export type Binding = { readonly kind: 'local'; readonly index: number; readonly type: KType } | { readonly kind: 'const'; readonly value: number };

export interface KernelContext {
  readonly m: binaryen.Module;
  readonly fb: FunctionBuilder;
  readonly math: MathLibrary;
  readonly half: HalfLibrary;
  /** Names of the integer pow helpers already in the module. */
  readonly intPow: Set<string>;
  readonly options: WasmPrintOptions;
  readonly kernelName: string;
  readonly buffers: ReadonlyMap<string, { readonly param: number; readonly dtype: DType }>;
  readonly names: Map<string, Binding>;
  readonly arrays: ReadonlyMap<string, ArrayPlacement>;
  /** The parameter holding this call's scratch base address. */
  readonly scratchParam: number;
  /** i32 variables never negative (non-negative.ts): their indices may use offset immediates. */
  readonly nonNegative: ReadonlySet<string>;
  /** A block or loop label unique in the function, based on `base`. */
  label(base: string): string;
}

/** The wasm value type of a Kernel IR type (f16 computes in f32, bool in i32, 4-lane vectors in v128). */
export function wasmType(t: KType, kernelName = '?'): binaryen.Type {
  if (isVector(t)) {
    if (lanesOf(t) !== 4) throw new Error(`wasm printer: kernel '${kernelName}' uses ${t}; the wasm target has 4-lane vectors only`);
    return binaryen.v128;
  }
  switch (t as ScalarType) {
    case 'f32': case 'f16': return binaryen.f32;
    case 'f64': return binaryen.f64;
    case 'i32': case 'u32': case 'bool': return binaryen.i32;
    case 'i64': return binaryen.i64;
  }
}

/** Bytes a value of `t` takes in scratch memory. */
export function wasmTypeBytes(t: KType): number {
  const w = wasmType(t);
  return w === binaryen.v128 ? 16 : w === binaryen.i64 || w === binaryen.f64 ? 8 : 4;
}

export function zeroOf(m: binaryen.Module, t: KType): Ref {
  const w = wasmType(t);
  if (w === binaryen.v128) return m.v128.const(new Array<number>(16).fill(0));
  if (w === binaryen.f32) return m.f32.const(0);
  if (w === binaryen.f64) return m.f64.const(0);
  if (w === binaryen.i64) return i64Const(m, 0, 0);
  return m.i32.const(0);
}

/** Lane `lane` of a 4-lane vector value as its scalar Kernel IR type (bool lanes as 0/1). */
export function extractLane(m: binaryen.Module, vector: Ref, vectorType: KType, lane: number): Ref {
  const e = elemOf(vectorType);
  if (e === 'f32' || e === 'f16') return m.f32x4.extract_lane(vector, lane);
  const v = m.i32x4.extract_lane(vector, lane);
  return e === 'bool' ? m.i32.and(v, m.i32.const(1)) : v;
}

/**
 * A 4-lane vector of `vectorType` built lane by lane; `laneValue(i)` gives lane i as a scalar
 * of the element type (bool lanes as 0/1, widened to all-ones masks here).
 */
export function vectorFromLanes(ctx: KernelContext, vectorType: KType, laneValue: (lane: number) => Ref): Ref {
  const { m } = ctx;
  const e = elemOf(vectorType);
  const float = e === 'f32' || e === 'f16';
  const widen = (v: Ref): Ref => (e === 'bool' ? m.i32.sub(m.i32.const(0), v) : v);
  let out = float ? m.f32x4.splat(laneValue(0)) : m.i32x4.splat(widen(laneValue(0)));
  for (let lane = 1; lane < 4; lane++) {
    out = float ? m.f32x4.replace_lane(out, lane, laneValue(lane)) : m.i32x4.replace_lane(out, lane, widen(laneValue(lane)));
  }
  return out;
}

/** Stores `value` in a fresh local and returns a getter (binaryen nodes have one parent each). */
export function share(ctx: KernelContext, value: Ref, type: binaryen.Type): () => Ref {
  const local = ctx.fb.let(type, value);
  return () => ctx.fb.get(local);
}

export function compilerBug(ctx: { readonly kernelName: string }, message: string): Error {
  return new Error(`wasm printer: kernel '${ctx.kernelName}': ${message}`);
}
