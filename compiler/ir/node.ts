// Graph IR nodes. A node is one immutable SSA value: `{op, dtype, shape, src, attrs}`, typed
// as a discriminated union over `op` so `switch (n.op)` narrows `n.attrs` (STYLE 2). Nodes are
// made only by a GraphBuilder, which interns them: structurally equal nodes are the same
// object, so common subexpressions are shared for free (STYLE 4).

import type { Dim } from './dim.js';
import type { DType } from './dtype.js';
import type { Tensor } from '../interpret/tensor.js';

export type UnaryOp =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'sigmoid' | 'relu' | 'erf'
  | 'silu' | 'sin' | 'cos' | 'floor' | 'ceil' | 'round' | 'sign' | 'reciprocal' | 'not';
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min' | 'mod'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'and' | 'or' | 'xor';
export type ReduceOp = 'reduce_sum' | 'reduce_mean' | 'reduce_max' | 'reduce_min' | 'reduce_prod';

type NoAttrs = Record<string, never>;

/** Attributes per op. Dims in attributes may be symbolic; they are evaluated at run time. */
export interface OpAttrs extends Record<UnaryOp | BinaryOp, NoAttrs>, Record<ReduceOp, { axes: readonly number[]; keepdims: boolean }> {
  /** A model input, bound per call. */
  input: { name: string };
  /** A weight, bound from the weights file (or seeded random data for demos). */
  param: { name: string };
  /** A literal tensor held in the graph. */
  constant: { value: Tensor };
  /** Poison left where an error was reported, so lowering can go on and find more errors. */
  error: NoAttrs;

  gelu: { approximate: 'none' | 'tanh' };
  where: NoAttrs; // src: cond (bool), a, b
  /** saturate (float8 targets only; default true): out-of-range values clamp to the largest finite value. */
  cast: { to: DType; saturate?: boolean };

  /** NumPy matmul: batch dims broadcast, rank-1 operands promoted. */
  matmul: NoAttrs;

  /** selectLast: the last index of the extreme value instead of the first. */
  argmax: { axis: number; keepdims: boolean; selectLast?: boolean };
  argmin: { axis: number; keepdims: boolean; selectLast?: boolean };
  softmax: { axis: number };
  log_softmax: { axis: number };
  /** Normalises over axes `axis..rank-1`. src: x, then scale and bias when present. */
  layer_norm: { axis: number; eps: number; hasScale: boolean; hasBias: boolean };
  /** y = x / sqrt(mean(x², axes axis..rank-1) + eps) * scale. src: x, then scale when present. */
  rms_norm: { axis: number; eps: number; hasScale: boolean };

  reshape: { shape: readonly Dim[] };
  transpose: { perm: readonly number[] };
  /** Per listed axis: elements start, start+step, ... (count of them); already clamped. */
  slice: { axes: readonly number[]; starts: readonly Dim[]; steps: readonly number[]; counts: readonly Dim[] };
  concat: { axis: number };
  /** src: data, indices (i32/i64, any rank; negative indices count from the end). */
  gather: { axis: number };
  expand: { shape: readonly Dim[] };
  squeeze: { axes: readonly number[] };
  unsqueeze: { axes: readonly number[] };

  /**
   * Scaled dot-product attention. src: q [..., Hq, Sq, Dk], k [..., Hkv, Skv, Dk],
   * v [..., Hkv, Skv, Dv], then mask when present (bool: true attends; float: added to
   * scores), broadcastable to [..., Hq, Sq, Skv]. Hq is a multiple of Hkv (grouped heads).
   * causal: query i sees key j when j <= i + Skv - Sq (aligned to the last query row).
   * scale: undefined means 1/sqrt(Dk).
   */
  attention: { causal: boolean; scale: number | undefined; hasMask: boolean };

  // ---- shape values ----
  /** The values of dims as an i64 tensor ([n], or a scalar when `scalar`): ONNX Shape, Size. */
  dim_values: { values: readonly Dim[]; scalar: boolean };
  /** 0, 1, ..., count-1 as `dtype`. */
  iota: { count: Dim; dtype: DType };

  // [elementwise-family ops]
  // [reduce-family ops]
  // [conv-family ops]
  // [attention-family ops]
  // [quant-rnn-family ops]

}

export type OpKind = keyof OpAttrs;

export interface NodeOf<K extends OpKind> {
  /** Unique per builder; creation order, so it is also a valid topological order. */
  readonly id: number;
  readonly op: K;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  readonly src: readonly Node[];
  readonly attrs: Readonly<OpAttrs[K]>;
}

export type Node = { [K in OpKind]: NodeOf<K> }[OpKind];

export function isOp<K extends OpKind>(n: Node, op: K): n is Extract<Node, { op: K }> {
  return n.op === op;
}
