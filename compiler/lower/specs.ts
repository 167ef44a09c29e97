// What the graph-level lowering (lower-program.ts) hands to the contraction lowerings
// (matmul.ts, attention.ts, conv.ts), and what they hand back. Operands arrive as strided
// views of materialised values, so a transpose or a broadcast feeding a matmul costs no copy.
//
// Sizes, offsets and strides are Dims of the model's symbols; a lowering turns each one into
// an i32 constant or a uniform with `dimExpr` (uniforms.ts), and returns the uniform → Dim map
// so the Dispatch can give their values.

import type { Dim } from '../ir/dim.js';
import type { DType } from '../ir/dtype.js';
import type { OpAttrs } from '../ir/node.js';
import type { KernelBuilder } from '../kernel/builder.js';
import type { Expr, Kernel } from '../kernel/ir.js';

/**
 * A logical tensor read from a materialised value: element (i0, i1, ...) lives at flat
 * element index `offset + Σ i_d · strides[d]` of the value's buffer (stride 0 on a broadcast dim).
 */
export interface StridedOperand {
  /** ProgramValue id (`v12`). */
  readonly value: string;
  /** Storage dtype of the value. */
  readonly dtype: DType;
  readonly offset: Dim;
  /** Per logical dim, in elements. */
  readonly strides: readonly Dim[];
}

/** A value written contiguously (row-major) by the kernel. */
export interface OutputOperand {
  readonly value: string;
  readonly dtype: DType;
}

/** A materialised value an epilogue reads, declared on the kernel by the epilogue itself. */
export interface ExtraInput {
  readonly value: string;
  readonly dtype: DType;
}

/**
 * Element-wise work applied to a contraction's f32 accumulator right before it is stored.
 * It may declare buffers on `kb` (kb.buffer(name, dtype, 'read')) for the values listed in
 * `extraInputs`, and uniforms via dimExpr(…, kb, uniforms) with the map it is given — the
 * lowering passes its own map so every uniform reaches the Dispatch. Buffer names the
 * epilogue declares must be the ExtraInput's `value` id (so `buffers` maps name → id).
 */
export type Epilogue = (
  kb: KernelBuilder,
  acc: Expr,
  index: EpilogueIndex,
  uniforms: Map<string, Dim>,
  vector?: EpilogueVector,
) => Expr;

/**
 * Where an epilogue value goes. `spatial` (convolutions only, optional) is `col` already
 * unravelled into output spatial coordinates, so a vector epilogue can see its last
 * coordinate move with the vector variable.
 */
export interface EpilogueIndex {
  readonly batch: readonly Expr[];
  readonly row: Expr;
  readonly col: Expr;
  readonly spatial?: readonly Expr[];
}

/**
 * Vector mode: `acc` is an f32x4 of four consecutive columns from `col`, which moves by 1
 * with the variable `vectorVar`; the result is f32x4. Throws NotVectorizable (fused-expr.ts)
 * when the fused ops cannot run on vectors.
 */
export interface EpilogueVector {
  readonly vectorVar: string;
}

export interface MatmulSpec {
  /** Kernel name (`matmul_add_relu`), already unique in the program. */
  readonly name: string;
  /** Graph node names it computes (Kernel.sources). */
  readonly sources: readonly string[];
  /** Broadcast batch dims of the output (may be empty). */
  readonly batch: readonly Dim[];
  readonly m: Dim;
  readonly n: Dim;
  readonly k: Dim;
  /** Logical dims [...batch, m, k] (stride 0 on broadcast batch dims). */
  readonly a: StridedOperand;
  /** Logical dims [...batch, k, n]. */
  readonly b: StridedOperand;
  /** Contiguous [...batch, m, n]. */
  readonly out: OutputOperand;
  /** Given the f32 accumulator of element (batch..., row, col), the value to store. */
  readonly epilogue?: Epilogue;
  readonly extraInputs: readonly ExtraInput[];
}

export interface AttentionSpec {
  readonly name: string;
  readonly sources: readonly string[];
  /** Leading batch dims shared by q, k, v and the output. */
  readonly batch: readonly Dim[];
  readonly hq: Dim;
  readonly hkv: Dim;
  readonly sq: Dim;
  readonly skv: Dim;
  readonly dk: Dim;
  readonly dv: Dim;
  /** Logical dims [...batch, hq, sq, dk]. */
  readonly q: StridedOperand;
  /** Logical dims [...batch, hkv, skv, dk]. */
  readonly k: StridedOperand;
  /** Logical dims [...batch, hkv, skv, dv]. */
  readonly v: StridedOperand;
  /**
   * Logical dims [...batch, hq, sq, skv] (stride 0 where the graph's mask broadcasts).
   * dtype bool: true attends; a float dtype: added to the scaled scores.
   */
  readonly mask?: StridedOperand;
  readonly causal: boolean;
  /** Already resolved: 1/sqrt(Dk) when the op left it undefined. */
  readonly scale: number;
  /** Contiguous [...batch, hq, sq, dv]. */
  readonly out: OutputOperand;
}

export interface ConvSpec {
  readonly name: string;
  readonly sources: readonly string[];
  /** [N, C, ...spatial] (contiguous unless the strides say otherwise). */
  readonly x: StridedOperand;
  readonly xShape: readonly Dim[];
  /** [M, C/group, ...kernel]. */
  readonly w: StridedOperand;
  readonly wShape: readonly Dim[];
  /** [M], when the op has a bias. */
  readonly bias?: StridedOperand;
  readonly attrs: OpAttrs['conv'];
  /** Contiguous [N, M, ...outSpatial]. */
  readonly out: OutputOperand;
  readonly outShape: readonly Dim[];
  /** Applied per output element; index.batch = [n], row = output channel, col = flat spatial index. */
  readonly epilogue?: Epilogue;
  readonly extraInputs: readonly ExtraInput[];
}

/** A kernel plus how to dispatch it: buffer name → value id, uniform name → Dim, grid extents. */
export interface LoweredKernel {
  readonly kernel: Kernel;
  readonly buffers: Readonly<Record<string, string>>;
  readonly uniforms: Readonly<Record<string, Dim>>;
  readonly grid: readonly Dim[];
}
