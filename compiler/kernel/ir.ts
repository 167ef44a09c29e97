// Kernel IR: structured, typed loop code for one kernel (DESIGN "Two IR levels").
//
// A kernel reads and writes buffers (graph values in device memory, indexed in elements of
// their storage dtype) and takes i32 uniforms (symbolic dims and sizes derived from them).
// Its body is a tree of statements and expressions, not SSA: every printer (WASM through
// binaryen, WGSL, CUDA C) walks it node by node, and the Kernel IR interpreter
// (compiler/kernel/interpret.ts) runs it so lowering is tested apart from any printer.
//
// The schedule is written into the loops: a loop is serial, unrolled, vectorized, or mapped
// to the parallel grid (`grid.x`: one iteration per workgroup / work item; `thread.x`: one per
// thread of a workgroup). Vector types (`f32x4`) are explicit: a schedule that vectorizes
// emits vector loads, vector math and vector stores itself, so printers never guess.

import type { DType } from '../ir/dtype.js';

// ---- types ----

/** Types of values computed inside a kernel. */
export type ScalarType = 'f32' | 'f64' | 'f16' | 'i32' | 'u32' | 'i64' | 'bool';
/** Element types that vectors may hold. */
export type VectorElem = 'f32' | 'f16' | 'i32' | 'u32' | 'bool';
export type Lanes = 2 | 4 | 8;
export type VectorType = `${VectorElem}x${Lanes}`;
export type KType = ScalarType | VectorType;

export function isVector(t: KType): t is VectorType {
  return t.includes('x');
}

/** The element type of a vector type; a scalar type is its own element. */
export function elemOf(t: KType): ScalarType {
  return isVector(t) ? (t.slice(0, t.indexOf('x')) as ScalarType) : t;
}

/** Lanes of a vector type; 1 for scalars. */
export function lanesOf(t: KType): number {
  return isVector(t) ? Number(t.slice(t.indexOf('x') + 1)) : 1;
}

export function vectorOf(elem: VectorElem, lanes: Lanes): VectorType {
  return `${elem}x${lanes}`;
}

export function isFloatType(t: KType): boolean {
  const e = elemOf(t);
  return e === 'f32' || e === 'f64' || e === 'f16';
}

export function isIntType(t: KType): boolean {
  const e = elemOf(t);
  return e === 'i32' || e === 'u32' || e === 'i64';
}

/**
 * The type a load of a buffer element produces. Narrow integers widen to i32, bf16 computes
 * in f32; the store converts back (rounding/truncating as the storage dtype does).
 * Storage dtypes with no entry (sub-byte, fp8, u64 beyond i64's range) cannot be kernel
 * buffers: lowering unpacks or refuses them first.
 */
export function computeTypeOf(dtype: DType): ScalarType | undefined {
  switch (dtype) {
    case 'f32': case 'bf16': return 'f32';
    case 'f16': return 'f16';
    case 'f64': return 'f64';
    case 'i8': case 'u8': case 'i16': case 'u16': case 'i32': return 'i32';
    case 'u32': return 'u32';
    case 'i64': case 'u64': return 'i64';
    case 'bool': return 'bool';
    default: return undefined;
  }
}

// ---- expressions ----

/**
 * Unary math. Integer operands allow neg/abs/sign/not(bitwise). `round` rounds half to
 * even. `rsqrt` is 1/sqrt. Targets lacking one (WASM has no exp, WGSL no erf) get it from a
 * legalize step or a small library of their own, never from a silent approximation.
 */
export type KUnaryOp =
  | 'neg' | 'abs' | 'sign' | 'not'
  | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'erf' | 'sin' | 'cos'
  | 'floor' | 'ceil' | 'round' | 'trunc';

/**
 * Binary ops on operands of the same type (vectors lane-wise). Comparisons yield bool (or
 * boolxN). Integer `div` truncates toward zero and `rem` has the dividend's sign (C, WGSL,
 * WASM agree); index arithmetic only divides non-negative values. `and`/`or`/`xor` are
 * logical on bool and bitwise on integers; `shl`/`shr` (arithmetic for signed) on integers.
 * Float `max`/`min` propagate NaN.
 */
export type KBinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'rem' | 'pow' | 'max' | 'min'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  | 'and' | 'or' | 'xor' | 'shl' | 'shr';

export type Expr =
  | { readonly kind: 'const'; readonly type: KType; readonly value: number | boolean }
  /** A local variable, loop index, or uniform, by name. */
  | { readonly kind: 'var'; readonly type: KType; readonly name: string }
  | { readonly kind: 'unary'; readonly type: KType; readonly op: KUnaryOp; readonly a: Expr }
  | { readonly kind: 'binary'; readonly type: KType; readonly op: KBinaryOp; readonly a: Expr; readonly b: Expr }
  /** a·b + c, fused where the target has it (else mul then add; the checker treats both alike). */
  | { readonly kind: 'fma'; readonly type: KType; readonly a: Expr; readonly b: Expr; readonly c: Expr }
  /** cond ? a : b (lane-wise when cond is a bool vector). Both sides are evaluated. */
  | { readonly kind: 'select'; readonly type: KType; readonly cond: Expr; readonly a: Expr; readonly b: Expr }
  /** Numeric conversion to `type` (float→int truncates toward zero; bool→number is 0/1; number→bool is ≠ 0). */
  | { readonly kind: 'cast'; readonly type: KType; readonly a: Expr }
  /**
   * Element `index` of a buffer parameter, converted from its storage dtype to `type`
   * (= computeTypeOf(dtype), or a vector of it: `lanes` consecutive elements from `index`).
   */
  | { readonly kind: 'load'; readonly type: KType; readonly buffer: string; readonly index: Expr }
  /** Element `index` of a local or workgroup array (vector arrays hold vectors per element). */
  | { readonly kind: 'array_load'; readonly type: KType; readonly array: string; readonly index: Expr }
  /** A scalar copied into every lane. */
  | { readonly kind: 'splat'; readonly type: VectorType; readonly a: Expr }
  /**
   * A vector whose lane i is scalar `parts[i]` (as many parts as lanes, each of the element
   * type): how a CPU schedule puts values from different rows into the lanes of one vector.
   * WASM only; GPU printers refuse it.
   */
  | { readonly kind: 'vector'; readonly type: VectorType; readonly parts: readonly Expr[] }
  /** One lane of a vector. */
  | { readonly kind: 'lane'; readonly type: ScalarType; readonly a: Expr; readonly lane: number }
  /** Horizontal reduction of a vector's lanes to a scalar. */
  | { readonly kind: 'reduce_lanes'; readonly type: ScalarType; readonly op: 'add' | 'max' | 'min'; readonly a: Expr }
  /**
   * Every lane of a 32-lane warp gets the reduction of scalar `a` (f32 or i32) over its warp
   * (lanes = 32 consecutive linear thread ids, x fastest); float max/min propagate NaN, the
   * order of an f32 sum is unspecified. Like a barrier it is reached by every thread of the
   * workgroup (inside the thread loops, not under thread-dependent control flow), the
   * workgroup's x size is a multiple of 32, and it stands only as a `let`'s whole initializer.
   * Targets with 32-lane subgroups only (CUDA); other printers refuse it.
   */
  | { readonly kind: 'warp_reduce'; readonly type: ScalarType; readonly op: 'add' | 'max' | 'min'; readonly a: Expr }
  /**
   * Like warp_reduce over a subgroup of the hardware's width instead of 32: subgroups are
   * `subgroup_size` consecutive linear thread ids (x fastest). Same rules (every thread of
   * the workgroup reaches it, not under thread-dependent control flow, a let's whole
   * initializer, f32 or i32; float max/min propagate NaN), and the workgroup's invocation
   * count is a multiple of the width. Only for targets with `subgroups` (WebGPU's optional
   * feature: the runtime runs such a kernel only where the width fits and the layout holds).
   */
  | { readonly kind: 'subgroup_reduce'; readonly type: ScalarType; readonly op: 'add' | 'max' | 'min'; readonly a: Expr }
  /** The subgroup width (i32, a power of two, the same in every thread of a dispatch); targets with `subgroups` only. */
  | { readonly kind: 'subgroup_size'; readonly type: 'i32' };

// ---- statements ----

export type GridAxis = 'x' | 'y' | 'z';
export type LoopMode =
  | 'serial'
  | 'unrolled'
  /** A hint that the body was written with vector types; printers treat it as serial. */
  | 'vectorized'
  /** One iteration per workgroup (GPU) or work item handed to a worker (WASM). */
  | `grid.${GridAxis}`
  /** One iteration per thread of the workgroup (GPU only); extent = workgroup size on that axis. */
  | `thread.${GridAxis}`;

export type Stmt =
  /** Declares a mutable local; later `assign`s change it. Names are unique in a kernel. */
  | { readonly kind: 'let'; readonly name: string; readonly type: KType; readonly init: Expr }
  | { readonly kind: 'assign'; readonly name: string; readonly value: Expr }
  /** Writes element `index` (or `lanes` consecutive elements for a vector value), converting to the storage dtype. */
  | { readonly kind: 'store'; readonly buffer: string; readonly index: Expr; readonly value: Expr }
  /**
   * A fixed-size array: `private` per thread/work item, `workgroup` shared by a workgroup (GPU only).
   * `storage` (workgroup f32 arrays only, for tensor-core operands): elements are held as that
   * 16-bit float; a store rounds to it, a load widens back to f32.
   */
  | {
      readonly kind: 'array'; readonly name: string; readonly type: KType; readonly size: number; readonly scope: 'private' | 'workgroup';
      readonly storage?: MmaInputType;
    }
  | { readonly kind: 'array_store'; readonly array: string; readonly index: Expr; readonly value: Expr }
  /** for (v = start; v < end; v += step); `v` is i32 and read-only in the body. */
  | {
      readonly kind: 'for'; readonly var: string; readonly start: Expr; readonly end: Expr; readonly step: number;
      readonly mode: LoopMode; readonly body: readonly Stmt[];
    }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: readonly Stmt[]; readonly else: readonly Stmt[] }
  /** Workgroup barrier for shared memory (GPU schedules only; CPU schedules never emit it). */
  | { readonly kind: 'barrier' }
  /** Kept in printed code, for readers. */
  | { readonly kind: 'comment'; readonly text: string }
  | MmaStmt;

/** Input element type of a tensor-core multiply (the operands' array `storage`). */
export type MmaInputType = 'f16' | 'bf16';

/** A row-major matrix tile inside a workgroup array: element (r, c) is array[offset + r·ld + c]. */
export interface MmaOperand {
  readonly array: string;
  /** i32; the same for every lane of a warp. */
  readonly offset: Expr;
  readonly ld: number;
}

/**
 * Tensor-core multiply-accumulate, one warp per statement instance: acc[16×16] += a[16×16] ·
 * b[16×16], with `a` and `b` in workgroup f32 arrays of `storage` aType and `acc` in a
 * workgroup f32 array (no storage). The products are exact and each acc element gets its 16
 * products' sum rounded once to f32.
 *
 * Who runs it: the statement sits in per-thread code (inside the thread loops) where every
 * thread of the workgroup reaches it, as for a barrier (not under control flow that differs
 * between threads). The workgroup's threads form warps of 32 by linear id (x fastest; the
 * thread count is a multiple of 32) and the 32 lanes of a warp execute it together, as one
 * multiply: offsets must be equal across a warp's lanes (the schedule derives them from
 * `linear id / 32`). Its inputs must be written before a barrier that precedes it; its result
 * is visible to the warp's own lanes after it and to other warps after the next barrier.
 * GPU targets with tensor cores only (CUDA sm_80+); other printers refuse it.
 */
export interface MmaStmt {
  readonly kind: 'mma';
  readonly shape: readonly [16, 16, 16];
  readonly aType: MmaInputType;
  readonly a: MmaOperand;
  readonly b: MmaOperand;
  readonly acc: MmaOperand;
}

// ---- kernels ----

export interface BufferParam {
  readonly name: string;
  /** Storage dtype of the elements (what the bytes in memory are). */
  readonly dtype: DType;
  readonly access: 'read' | 'write' | 'read_write';
}

export interface UniformParam {
  /** An i32 known when the kernel is dispatched (a dim symbol's value or a size derived from them). */
  readonly name: string;
}

/**
 * One kernel. The grid: the body starts with a perfect nest of `grid.*` loops (start 0, step
 * 1, extents that depend only on uniforms), outermost first; everything a work item does is
 * inside it. CPU targets split the flattened grid among worker threads; GPU targets dispatch
 * one workgroup per grid point with `workgroupSize` threads.
 */
export interface Kernel {
  /** Unique within a program; named after the fused ops (`matmul_add_relu`). */
  readonly name: string;
  /** The graph nodes it computes, printed as a comment above the kernel. */
  readonly sources: readonly string[];
  readonly buffers: readonly BufferParam[];
  readonly uniforms: readonly UniformParam[];
  /** Threads per workgroup for GPU schedules; [1, 1, 1] for CPU schedules. */
  readonly workgroupSize: readonly [number, number, number];
  readonly body: readonly Stmt[];
}
