// Constructors for Kernel IR. Expressions are plain objects (compiler/kernel/ir.ts); these
// helpers fill in result types so lowering code reads like the math it emits:
//
//   const kb = new KernelBuilder('add_relu', ['add_3', 'relu_4']);
//   const x = kb.buffer('x', 'f32', 'read'), y = kb.buffer('y', 'f32', 'write');
//   const n = kb.uniform('n');
//   kb.loop('i', i32(0), n, 'grid.x', (i) => [store(y, i, max(load(x, i), f32(0)))]);
//   const kernel = kb.finish();
//
// Folding is deliberately light (constant integer arithmetic, x*1, x+0) so index
// expressions stay readable in printed code; the targets' own optimisers do the rest.

import type { DType } from '../ir/dtype.js';
import {
  computeTypeOf, elemOf, isVector, lanesOf,
  type BufferParam, type Expr, type KBinaryOp, type Kernel, type KType, type KUnaryOp, type LoopMode,
  type MmaInputType, type ScalarType, type Stmt, type UniformParam, type VectorType,
} from './ir.js';

// ---- expressions ----

export function constant(type: KType, value: number | boolean): Expr {
  return { kind: 'const', type, value };
}
export const f32 = (v: number): Expr => constant('f32', v);
export const i32 = (v: number): Expr => constant('i32', v | 0);
export const bool = (v: boolean): Expr => constant('bool', v);

export function variable(name: string, type: KType): Expr {
  return { kind: 'var', type, name };
}

function constInt(e: Expr): number | undefined {
  return e.kind === 'const' && e.type === 'i32' ? Number(e.value) : undefined;
}

const COMPARISONS = new Set<KBinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function comparisonType(t: KType): KType {
  return isVector(t) ? (`boolx${lanesOf(t)}` as VectorType) : 'bool';
}

export function binary(op: KBinaryOp, a: Expr, b: Expr): Expr {
  if (a.type !== b.type) throw new Error(`kernel builder: ${op} of ${a.type} and ${b.type}`);
  const ca = constInt(a);
  const cb = constInt(b);
  if (ca !== undefined && cb !== undefined) {
    switch (op) {
      case 'add': return i32(ca + cb);
      case 'sub': return i32(ca - cb);
      case 'mul': return i32(Math.imul(ca, cb));
      case 'div': if (cb !== 0) return i32(Math.trunc(ca / cb)); break;
      case 'rem': if (cb !== 0) return i32(ca % cb); break;
      case 'max': return i32(Math.max(ca, cb));
      case 'min': return i32(Math.min(ca, cb));
    }
  }
  if (a.type === 'i32') {
    if ((op === 'add' || op === 'sub') && cb === 0) return a;
    if (op === 'add' && ca === 0) return b;
    if ((op === 'mul' || op === 'div') && cb === 1) return a;
    if (op === 'mul' && ca === 1) return b;
    if (op === 'mul' && (ca === 0 || cb === 0)) return i32(0);
    if (op === 'rem' && cb === 1) return i32(0);
  }
  return { kind: 'binary', type: COMPARISONS.has(op) ? comparisonType(a.type) : a.type, op, a, b };
}

export const add = (a: Expr, b: Expr): Expr => binary('add', a, b);
export const sub = (a: Expr, b: Expr): Expr => binary('sub', a, b);
export const mul = (a: Expr, b: Expr): Expr => binary('mul', a, b);
export const div = (a: Expr, b: Expr): Expr => binary('div', a, b);
export const rem = (a: Expr, b: Expr): Expr => binary('rem', a, b);
export const max = (a: Expr, b: Expr): Expr => binary('max', a, b);
export const min = (a: Expr, b: Expr): Expr => binary('min', a, b);
export const lt = (a: Expr, b: Expr): Expr => binary('lt', a, b);
export const le = (a: Expr, b: Expr): Expr => binary('le', a, b);
export const gt = (a: Expr, b: Expr): Expr => binary('gt', a, b);
export const ge = (a: Expr, b: Expr): Expr => binary('ge', a, b);
export const eq = (a: Expr, b: Expr): Expr => binary('eq', a, b);
export const ne = (a: Expr, b: Expr): Expr => binary('ne', a, b);
export const and = (a: Expr, b: Expr): Expr => binary('and', a, b);
export const or = (a: Expr, b: Expr): Expr => binary('or', a, b);

export function unary(op: KUnaryOp, a: Expr): Expr {
  return { kind: 'unary', type: a.type, op, a };
}

export function fma(a: Expr, b: Expr, c: Expr): Expr {
  if (a.type !== b.type || a.type !== c.type) throw new Error(`kernel builder: fma of ${a.type}, ${b.type}, ${c.type}`);
  return { kind: 'fma', type: a.type, a, b, c };
}

export function select(cond: Expr, a: Expr, b: Expr): Expr {
  if (a.type !== b.type) throw new Error(`kernel builder: select of ${a.type} and ${b.type}`);
  return { kind: 'select', type: a.type, cond, a, b };
}

export function cast(a: Expr, type: KType): Expr {
  if (a.type === type) return a;
  if (a.kind === 'const' && type === 'i32' && (a.type === 'f32' || a.type === 'i32')) {
    // Float→int casts truncate and saturate (NaN → 0), as the interpreter and the targets do.
    const v = Number(a.value);
    return i32(Number.isNaN(v) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(v))));
  }
  if (a.kind === 'const' && type === 'f32' && typeof a.value === 'number') return f32(a.value);
  return { kind: 'cast', type, a };
}

/**
 * Loads element `index` of buffer `buffer` (a BufferParam); `lanes` > 1 loads that many
 * consecutive elements as a vector.
 */
export function load(buffer: BufferParam, index: Expr, lanes = 1): Expr {
  const scalar = computeTypeOf(buffer.dtype);
  if (!scalar) throw new Error(`kernel builder: buffer '${buffer.name}' of ${buffer.dtype} cannot be loaded directly`);
  const type: KType = lanes === 1 ? scalar : (`${scalar}x${lanes}` as VectorType);
  return { kind: 'load', type, buffer: buffer.name, index };
}

export function arrayLoad(array: string, type: KType, index: Expr): Expr {
  return { kind: 'array_load', type, array, index };
}

export function splat(a: Expr, lanes: number): Expr {
  if (isVector(a.type)) throw new Error('kernel builder: splat of a vector');
  return { kind: 'splat', type: `${a.type}x${lanes}` as VectorType, a };
}

/** A vector of the given scalars, lane i = parts[i] (ir.ts `vector`). */
export function vectorOfLanes(parts: readonly Expr[]): Expr {
  const t = parts[0]?.type;
  if (!t || isVector(t) || parts.some((p) => p.type !== t)) throw new Error(`kernel builder: a vector of ${parts.map((p) => p.type).join(', ')}`);
  return { kind: 'vector', type: `${t}x${parts.length}` as VectorType, parts };
}

export function lane(a: Expr, index: number): Expr {
  return { kind: 'lane', type: elemOf(a.type), a, lane: index };
}

export function reduceLanes(op: 'add' | 'max' | 'min', a: Expr): Expr {
  return { kind: 'reduce_lanes', type: elemOf(a.type) as ScalarType, op, a };
}

/** The reduction of scalar `a` over its 32-lane warp, in every lane (ir.ts `warp_reduce`). */
export function warpReduce(op: 'add' | 'max' | 'min', a: Expr): Expr {
  return { kind: 'warp_reduce', type: elemOf(a.type), op, a };
}

/** The reduction of scalar `a` over its subgroup (the hardware's width), in every invocation (ir.ts `subgroup_reduce`). */
export function subgroupReduce(op: 'add' | 'max' | 'min', a: Expr): Expr {
  return { kind: 'subgroup_reduce', type: elemOf(a.type), op, a };
}

/** The subgroup width, an i32 known only at run time (ir.ts `subgroup_size`). */
export function subgroupSize(): Expr {
  return { kind: 'subgroup_size', type: 'i32' };
}

// ---- statements ----

export function store(buffer: BufferParam, index: Expr, value: Expr): Stmt {
  return { kind: 'store', buffer: buffer.name, index, value };
}

export function assign(v: Expr, value: Expr): Stmt {
  if (v.kind !== 'var') throw new Error('kernel builder: assign to a non-variable');
  return { kind: 'assign', name: v.name, value };
}

export function ifThen(cond: Expr, then: readonly Stmt[], otherwise: readonly Stmt[] = []): Stmt {
  return { kind: 'if', cond, then, else: otherwise };
}

export function comment(text: string): Stmt {
  return { kind: 'comment', text };
}

// ---- kernels ----

/** Collects a kernel's parameters and statements, and hands out unique local names. */
export class KernelBuilder {
  private readonly buffers: BufferParam[] = [];
  private readonly uniforms: UniformParam[] = [];
  private readonly body: Stmt[] = [];
  /** Statement lists being filled, innermost last (loops push one while their body is built). */
  private readonly open: Stmt[][] = [this.body];
  private readonly used = new Set<string>();
  workgroupSize: [number, number, number] = [1, 1, 1];

  constructor(readonly name: string, readonly sources: readonly string[]) {}

  /** A name not yet used in this kernel, based on `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}${i}`;
    this.used.add(name);
    return name;
  }

  buffer(name: string, dtype: DType, access: BufferParam['access']): BufferParam {
    const existing = this.buffers.find((b) => b.name === name);
    if (existing) return existing;
    const p: BufferParam = { name: this.fresh(name), dtype, access };
    this.buffers.push(p);
    return p;
  }

  /** An i32 uniform; the dispatch gives its value. Asking twice for one name gives the same variable. */
  uniform(name: string): Expr {
    if (!this.uniforms.some((u) => u.name === name)) {
      this.uniforms.push({ name });
      this.used.add(name);
    }
    return variable(name, 'i32');
  }

  emit(...stmts: Stmt[]): void {
    this.open[this.open.length - 1]!.push(...stmts);
  }

  /** Declares a mutable local initialised to `init`; returns the variable. */
  let(base: string, init: Expr, type: KType = init.type): Expr {
    const name = this.fresh(base);
    this.emit({ kind: 'let', name, type, init });
    return variable(name, type);
  }

  set(v: Expr, value: Expr): void {
    this.emit(assign(v, value));
  }

  /** `storage`: 16-bit element storage for tensor-core operands (ir.ts, workgroup f32 arrays only). */
  array(base: string, type: KType, size: number, scope: 'private' | 'workgroup', storage?: MmaInputType): string {
    const name = this.fresh(base);
    this.emit({ kind: 'array', name, type, size, scope, ...(storage ? { storage } : {}) });
    return name;
  }

  /** for (v = start; v < end; v += step) { body(v) } — the body is emitted through this builder. */
  loop(base: string, start: Expr, end: Expr, mode: LoopMode, body: (v: Expr) => void, step = 1): void {
    const name = this.fresh(base);
    const inner: Stmt[] = [];
    this.open.push(inner);
    try {
      body(variable(name, 'i32'));
    } finally {
      this.open.pop();
    }
    this.emit({ kind: 'for', var: name, start, end, step, mode, body: inner });
  }

  /** if (cond) { then() } else { otherwise() } */
  when(cond: Expr, then: () => void, otherwise?: () => void): void {
    const a: Stmt[] = [];
    const b: Stmt[] = [];
    this.open.push(a);
    try { then(); } finally { this.open.pop(); }
    if (otherwise) {
      this.open.push(b);
      try { otherwise(); } finally { this.open.pop(); }
    }
    this.emit(ifThen(cond, a, b));
  }

  finish(): Kernel {
    return {
      name: this.name,
      sources: this.sources,
      buffers: this.buffers,
      uniforms: this.uniforms,
      workgroupSize: this.workgroupSize,
      body: this.body,
    };
  }
}
