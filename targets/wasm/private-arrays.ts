// Where each private array lives. An array indexed only by constants (after unrolling the
// `unrolled` loops, as the statement printer does) becomes one wasm local per element, so the
// engine keeps it in registers (the matmul's accumulator tile). Any other array gets a
// 16-byte-aligned region of the worker's scratch memory (abi.ts, "Scratch").

import type { Expr, Kernel, KType, Stmt } from '../../compiler/kernel/ir.js';
import { SCRATCH_ALIGN } from './abi.js';
import { compilerBug, wasmTypeBytes } from './context.js';
import { evalConstInt } from './const-eval.js';

/** Arrays of at most this many elements may become locals. */
const MAX_LOCAL_ARRAY = 64;
/** An `unrolled` loop with constant bounds and at most this many iterations is unrolled. */
export const MAX_UNROLL = 64;

export type ArrayPlan =
  | { readonly kind: 'locals'; readonly type: KType; readonly size: number }
  | { readonly kind: 'scratch'; readonly type: KType; readonly offset: number; readonly elementBytes: number };

type ConstNames = Map<string, { readonly kind: 'const'; readonly value: number }>;

/** The iterations of a loop the printer unrolls, or undefined when it stays a loop. */
export function unrolledIterations(loop: Extract<Stmt, { kind: 'for' }>, names: ReadonlyMap<string, { readonly kind: string; readonly value?: number }>): number[] | undefined {
  if (loop.mode !== 'unrolled' || loop.step <= 0) return undefined;
  const start = evalConstInt(loop.start, names);
  const end = evalConstInt(loop.end, names);
  if (start === undefined || end === undefined) return undefined;
  const values: number[] = [];
  for (let v = start; v < end; v += loop.step) {
    values.push(v);
    if (values.length > MAX_UNROLL) return undefined;
  }
  return values;
}

export function planPrivateArrays(kernel: Kernel): { plans: Map<string, ArrayPlan>; scratchBytes: number } {
  const decls = new Map<string, { type: KType; size: number }>();
  const dynamic = new Set<string>();
  const names: ConstNames = new Map();

  const visitExpr = (e: Expr): void => {
    switch (e.kind) {
      case 'array_load': checkIndex(e.array, e.index); visitExpr(e.index); break;
      case 'unary': case 'cast': case 'splat': case 'lane': case 'reduce_lanes': case 'warp_reduce': case 'subgroup_reduce': visitExpr(e.a); break;
      case 'binary': visitExpr(e.a); visitExpr(e.b); break;
      case 'vector': e.parts.forEach(visitExpr); break;
      case 'fma': visitExpr(e.a); visitExpr(e.b); visitExpr(e.c); break;
      case 'select': visitExpr(e.cond); visitExpr(e.a); visitExpr(e.b); break;
      case 'load': visitExpr(e.index); break;
      case 'const': case 'var': case 'subgroup_size': break;
    }
  };
  const checkIndex = (array: string, index: Expr): void => {
    const decl = decls.get(array);
    const i = evalConstInt(index, names);
    if (i === undefined || !decl || i < 0 || i >= decl.size) dynamic.add(array);
  };
  const visit = (stmts: readonly Stmt[]): void => {
    for (const s of stmts) {
      switch (s.kind) {
        case 'array':
          if (s.scope === 'workgroup') throw compilerBug({ kernelName: kernel.name }, `workgroup array '${s.name}' in a CPU kernel`);
          decls.set(s.name, { type: s.type, size: s.size });
          break;
        case 'array_store': checkIndex(s.array, s.index); visitExpr(s.index); visitExpr(s.value); break;
        case 'let': visitExpr(s.init); break;
        case 'assign': visitExpr(s.value); break;
        case 'store': visitExpr(s.index); visitExpr(s.value); break;
        case 'if': visitExpr(s.cond); visit(s.then); visit(s.else); break;
        case 'for': {
          visitExpr(s.start); visitExpr(s.end);
          const iterations = unrolledIterations(s, names);
          if (iterations === undefined) {
            visit(s.body);
          } else {
            for (const value of iterations) {
              names.set(s.var, { kind: 'const', value });
              visit(s.body);
            }
            names.delete(s.var);
          }
          break;
        }
        case 'barrier': case 'comment': case 'mma': break;
      }
    }
  };
  visit(kernel.body);

  const plans = new Map<string, ArrayPlan>();
  let scratchBytes = 0;
  for (const [name, { type, size }] of decls) {
    if (!dynamic.has(name) && size <= MAX_LOCAL_ARRAY) {
      plans.set(name, { kind: 'locals', type, size });
      continue;
    }
    const elementBytes = wasmTypeBytes(type);
    plans.set(name, { kind: 'scratch', type, offset: scratchBytes, elementBytes });
    scratchBytes += Math.ceil((size * elementBytes) / SCRATCH_ALIGN) * SCRATCH_ALIGN;
  }
  return { plans, scratchBytes };
}
