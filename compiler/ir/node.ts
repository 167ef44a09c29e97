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
  /**
   * Attention over a KV cache kept as state between calls (decoding). src: q [Hq, Sq, D],
   * k [Hkv, Sq, D], v [Hkv, Sq, Dv], the Sq new tokens (f32). Each new token is appended, then
   * its query attends over every token the cache keeps: the first `sink` and the last `window`
   * (capacity sink + window; semantics: compiler/interpret/kernels/kv-attention.ts). `state`
   * names the state buffers (`<state>_k_cache`, `<state>_v_cache`, `<state>_position`).
   * scale: undefined means 1/sqrt(D).
   */
  kv_attention: { sink: number; window: number; scale: number | undefined; state: string };

  // ---- shape values ----
  /** The values of dims as an i64 tensor ([n], or a scalar when `scalar`): ONNX Shape, Size. */
  dim_values: { values: readonly Dim[]; scalar: boolean };
  /** 0, 1, ..., count-1 as `dtype`. */
  iota: { count: Dim; dtype: DType };

  // [elementwise-family ops]
  // [reduce-family ops]
  // ---- scans, selection, contraction ----
  /** Running sum along `axis`; `exclusive` leaves each element out of its own sum, `reverse` runs from the end. */
  cumsum: { axis: number; exclusive: boolean; reverse: boolean };
  /** One result of TopK: its values or its (i64) indices. Ties: the lower index first; NaN counts as the largest. */
  topk: { axis: number; k: Dim; largest: boolean; sorted: boolean; output: 'values' | 'indices' };
  /** NumPy einsum with an explicit or implicit output (`ij,jk->ik`). */
  einsum: { equation: string };
  // [conv-family ops]
  // ---- convolution, pooling, padding, resizing (NC + spatial layout; `pads` is begin values then end values) ----
  /** src: x [N, C, ...spatial], w [M, C/group, ...kernel], then bias [M] when hasBias. pads ≥ 0. */
  conv: { strides: readonly number[]; pads: readonly number[]; dilations: readonly number[]; group: number; hasBias: boolean };
  /**
   * src: x [N, C, ...], w [C, M/group, ...kernel], then bias [M] when hasBias. Output size per
   * axis: stride·(in-1) + outputPadding + dilation·(k-1) + 1 - begin - end. Pads may be negative
   * (an ONNX output_shape larger than the natural size), which adds zeros (plus bias) at that side.
   */
  conv_transpose: {
    strides: readonly number[]; pads: readonly number[]; dilations: readonly number[]; group: number;
    outputPadding: readonly number[]; hasBias: boolean;
  };
  /**
   * max: the maximum (NaN taps skipped); avg: the mean (countIncludePad: padding taps count as
   * zeros); max_index: the flat index of the maximum in x ([N, C, ...] row-major, or with the
   * spatial axes column-major when storageOrder is 1) — MaxPool's Indices. ceilMode rounds the
   * output size up, dropping a last window that would start in the end padding.
   */
  pool: {
    kind: 'max' | 'avg' | 'max_index'; kernel: readonly number[]; strides: readonly number[]; pads: readonly number[];
    dilations: readonly number[]; ceilMode: boolean; countIncludePad: boolean; storageOrder: number;
  };
  /**
   * pads: begin per axis then end per axis; a negative pad crops (the only dims here that may be
   * negative constants). Cropping comes first, then reflect/edge/wrap read the cropped tensor.
   * src: x, then the fill value (a scalar of x's dtype) when hasValue (else 0).
   */
  pad: { mode: 'constant' | 'reflect' | 'edge' | 'wrap'; pads: readonly Dim[]; hasValue: boolean };
  /**
   * ONNX Resize with every choice resolved: output sizes (all axes) and per-axis scales (for the
   * coordinate transforms; size/in when the model gave sizes), roi for tf_crop_and_resize
   * (starts then ends, all axes). tf_half_pixel_for_nn is Resize-11's extra mode.
   */
  resize: {
    mode: 'nearest' | 'linear' | 'cubic'; sizes: readonly Dim[]; scales: readonly number[];
    coordinateTransformation: 'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_crop_and_resize' | 'tf_half_pixel_for_nn';
    nearestMode: 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil'; cubicCoeffA: number; excludeOutside: boolean;
    extrapolationValue: number; antialias: boolean; roi: readonly number[];
  };
  // [attention-family ops]
  // [quant-rnn-family ops]
  // ---- quantization ----
  /**
   * q = x / scale rounded to `precision`; integer `to`: y = round_half_even(q) + zero_point
   * clamped to the range of `to`; float `to` (fp8, f4e2m1): y = q + zero_point rounded to `to`
   * (out-of-range values clamp to ±max when `saturate`). src: x, scale, then zero_point (dtype
   * `to`, the shape of scale) when present. Granularity by scale's rank: 0 per-tensor; 1 with
   * blockSize 0 per-axis along `axis`; the rank of x with blockSize > 0 blocked along `axis`
   * (scale dim = ceil(x dim / blockSize), the other dims equal x's).
   */
  quantize: { axis: number; blockSize: number; to: DType; saturate: boolean; hasZeroPoint: boolean; precision: DType };
  /** y = (x - zero_point) * scale, rounded once to `to`. src and granularity as for quantize. */
  dequantize: { axis: number; blockSize: number; to: DType; hasZeroPoint: boolean };

  // ---- recurrent layers (ONNX LSTM/GRU/RNN semantics); one op per result ----
  /**
   * src: X, W, R, then B, sequence_lens, initial_h, initial_c, P where present (`inputs` names
   * which, in this order). output: Y [seq, dirs, batch, hidden], Y_h / Y_c [dirs, batch,
   * hidden] with layout 0; layout 1 puts batch first (X [batch, seq, input], Y [batch, seq,
   * dirs, hidden], Y_h [batch, dirs, hidden], initial_h likewise). `activations` lists the
   * per-direction functions (LSTM f g h, GRU f g, RNN f) for each direction in turn, with one
   * resolved alpha and beta each (0 where the function takes none).
   */
  rnn: {
    cell: 'lstm' | 'gru' | 'rnn'; hiddenSize: number; direction: 'forward' | 'reverse' | 'bidirectional';
    activations: readonly (
      | 'Relu' | 'Tanh' | 'Sigmoid' | 'Affine' | 'LeakyRelu' | 'ThresholdedRelu' | 'ScaledTanh'
      | 'HardSigmoid' | 'Elu' | 'Softsign' | 'Softplus'
    )[];
    activationAlpha: readonly number[]; activationBeta: readonly number[];
    clip: number | undefined; linearBeforeReset: boolean; inputForget: boolean; layout: 0 | 1;
    inputs: readonly ('B' | 'sequence_lens' | 'initial_h' | 'initial_c' | 'P')[]; output: 'Y' | 'Y_h' | 'Y_c';
  };

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
