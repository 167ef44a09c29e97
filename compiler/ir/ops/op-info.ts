// The shape of one entry in the op registry: what an op is (category, arity), how its type
// follows from its operands (inference), and what it computes (reference semantics, run by
// the interpreter). Every other phase reads these facts from the table rather than
// re-deriving them (STYLE 3).

import type { DimBindings, Dim } from '../dim.js';
import type { DType } from '../dtype.js';
import type { OpAttrs, OpKind } from '../node.js';
import type { TensorType } from '../types.js';
import type { Tensor } from '../../interpret/tensor.js';

export type OpCategory =
  | 'source' // input, param, constant, error
  | 'elementwise'
  | 'matmul'
  | 'reduction'
  | 'normalization'
  | 'layout'
  | 'attention'
  | 'recurrent' // rnn: LSTM, GRU and RNN cells run over a sequence
  | 'shape'; // dims as data: dim_values, iota

export interface EvalContext {
  /** The node's output type with every dim evaluated. */
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly env: DimBindings;
  /** Evaluates a dim from the node's attributes. */
  dim(d: Dim): number;
  /**
   * The node's state between calls of `interpret` (kv_attention's cache), when the caller keeps
   * one (InterpretOptions.state); absent, a stateful op starts from its empty state each call.
   */
  readonly state?: { get(): unknown; set(value: unknown): void };
}

export interface OpInfo<K extends OpKind> {
  readonly category: OpCategory;
  /** Minimum and maximum operand count. */
  readonly arity: readonly [number, number];
  readonly commutative?: boolean;
  /** Keeps state between calls (kv_attention): never folded or evaluated ahead of time. */
  readonly stateful?: boolean;
  /** Checks the operands and attributes and gives the result type; throws ShapeError. */
  infer(src: readonly TensorType[], attrs: OpAttrs[K]): TensorType;
  /** Reference semantics: computes the result on host tensors. Undefined for sources. */
  readonly evaluate?: (inputs: readonly Tensor[], attrs: OpAttrs[K], ctx: EvalContext) => Tensor;
}

export type OpTable<K extends OpKind = OpKind> = { readonly [P in K]: OpInfo<P> };
