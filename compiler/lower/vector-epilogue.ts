// Whether a contraction's epilogue can run on f32x4 accumulators (four consecutive output
// columns at once) instead of lane by lane. The CPU matmul and conv lowerings ask once per
// kernel, by building the epilogue into a scratch kernel: the fused-expression emitter
// throws NotVectorizable mid-way (a transposed read, a gather, integer math), and what it had
// emitted by then must not reach the real kernel.

import { KernelBuilder, variable } from '../kernel/builder.js';
import type { Dim } from '../ir/dim.js';
import type { Expr } from '../kernel/ir.js';
import { NotVectorizable } from './fused-expr.js';
import type { Epilogue, EpilogueIndex } from './specs.js';

/** Vector lanes the fused-expression emitter supports. */
export const EPILOGUE_LANES = 4;

/**
 * Tries `epilogue` in vector mode on an index shaped like the real call sites' (`index`,
 * built from variables, with `col` moving by 1 with `vectorVar`).
 */
export function epilogueVectorizes(epilogue: Epilogue, index: EpilogueIndex, vectorVar: string): boolean {
  const scratch = new KernelBuilder('epilogue_probe', []);
  const uniforms = new Map<string, Dim>();
  try {
    const value = epilogue(scratch, variable('acc', 'f32x4'), index, uniforms, { vectorVar });
    return value.type === 'f32x4';
  } catch (e) {
    if (e instanceof NotVectorizable) return false;
    // An epilogue written for scalars only (one that ignores `vector`) fails on the f32x4
    // accumulator with a type error: it runs lane by lane.
    if (e instanceof Error && e.message.startsWith('kernel builder:')) return false;
    throw e;
  }
}

/** The variable an index `v` or `v + constant` moves with. */
export function vectorVariableOf(col: Expr): string | undefined {
  if (col.kind === 'var') return col.name;
  if (col.kind === 'binary' && col.op === 'add') {
    if (col.a.kind === 'var' && col.b.kind === 'const') return col.a.name;
    if (col.b.kind === 'var' && col.a.kind === 'const') return col.b.name;
  }
  return undefined;
}
