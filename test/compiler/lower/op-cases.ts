import { GraphBuilder } from '../../../compiler/ir/builder.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { constDim, type Dim } from '../../../compiler/ir/dim.js';
import type { DType } from '../../../compiler/ir/dtype.js';
import type { Node, OpAttrs } from '../../../compiler/ir/node.js';

// Small graphs covering the ops the lowering handles; each case is the body of
// `model M(N<dims>) { ... }`, run at several sizes of the symbolic dim N.

export interface Case {
  readonly name: string;
  readonly body: string;
  readonly dims?: string;
}

/** Each case declares `model M(N<dims>)` with the given body. */
export const CASES: readonly Case[] = [
  { name: 'unary math', body: `input x: f32[N, 5]
    output a = exp(x) + tanh(x) + erf(x) + sin(x) + cos(x) + sigmoid(x) + silu(x) + relu(x)
    output b = sqrt(abs(x)) + log(abs(x) + 1.0) + rsqrt(abs(x) + 1.0) + reciprocal(abs(x) + 1.0)
    output c = floor(x * 4.0) + ceil(x * 4.0) + round(x * 4.0) + sign(x) + neg(x)
    output d = gelu(x) + gelu(x, approximate: "tanh")` },
  { name: 'binary math and broadcasting', body: `input x: f32[N, 1, 6]
    input y: f32[3, 1]
    output a = x + y
    output b = x * y - x / (abs(y) + 1.0)
    output c = max(x, y) + min(x, y) + pow(abs(x) + 0.5, y) + mod(x, 0.3)` },
  { name: 'comparisons, logic and where', body: `input x: f32[N, 4]
    input y: f32[4]
    input m: bool[N, 4]
    output a = where(x > y, x, y)
    output b = or(and(x < y, m), xor(not(m), x >= y))
    output c = where(m, x, 0.0) + where(x == y, 1.0, 2.0) + where(x != y, 1.0, 0.0) + where(x <= 0.0, 1.0, 0.0)` },
  { name: 'integer math and casts', body: `input i: i32[N, 3]
    input j: i32[3]
    output a = i + j * 3 - abs(i)
    output b = i / (abs(j) + 1)
    output c = cast(i, to: "f32") * 0.5
    output d = cast(cast(i, to: "f32") * 0.37, to: "i32")
    output e = cast(i, to: "i64") + 2
    output f = max(i, j) + min(i, j) + mod(i, abs(j) + 1)` },
  { name: 'views: transpose, reshape, slice, expand, squeeze, unsqueeze', body: `input x: f32[N, 4, 6]
    output a = transpose(x, perm: [2, 0, 1]) * 2.0
    output b = reshape(x, shape: [N, 24]) + 1.0
    output c = x[:, 1:3, ::2] - 1.0
    output d = expand(unsqueeze(x[:, 0, :], axes: [1]), shape: [N, 5, 6]) * 3.0
    output e = squeeze(x[:, :, 2:3], axes: [2]) + 0.5
    output f = reshape(transpose(x, perm: [0, 2, 1]), shape: [N, 24]) * 1.5
    output g = x.T` },
  { name: 'gather and concat', body: `input x: f32[N, 5]
    input t: f32[10, 3]
    input i: i64[N]
    output a = gather(t, mod(abs(i), 10), axis: 0)
    output b = concat(x, x * 2.0, axis: 1)
    output c = concat(x[:, 0:2], exp(x), axis: 1) + 1.0
    output d = concat(x, x, axis: 0)` },
  { name: 'reductions', body: `input x: f32[N, 6, 5]
    output a = sum(x, axes: [2])
    output b = mean(x, axes: [1], keepdims: true)
    output c = max(x, axes: [0, 2])
    output d = min(x * 2.0, axes: [1, 2]) + 1.0
    output e = prod(x, axes: [2])
    output f = sum(x)
    output g = sqrt(mean(x * x, axes: [2]) + 0.001)` },
  { name: 'argmax and argmin', body: `input x: f32[N, 6]
    input i: i32[N, 6]
    output a = argmax(x, axis: 1)
    output b = argmin(x, axis: 0, keepdims: true)
    output c = argmax(i, axis: 1)
    output d = argmin(exp(x), axis: -1)` },
  { name: 'softmax and log_softmax', body: `input x: f32[N, 33]
    output a = softmax(x * 0.5)
    output b = log_softmax(x, axis: 0)
    output c = softmax(x, axis: -1) * 2.0` },
  { name: 'softmax over a middle axis', body: `input x: f32[3, N, 5]
    output a = softmax(x, axis: 1)` },
  { name: 'layer norm and rms norm', body: `input x: f32[N, 40]
    input s: f32[40]
    input b: f32[40]
    output a = layernorm(x, s, b)
    output c = layernorm(x + 1.0)
    output d = rmsnorm(x, s) + x
    output e = rmsnorm(x * 2.0)` },
  { name: 'layer norm over two axes', body: `input x: f32[N, 3, 8]
    input s: f32[8]
    output a = layernorm(x, s, axis: 1)` },
];


// Ops the DSL does not spell, built with GraphBuilder: each case declares its inputs in terms
// of the symbolic dim N and is run at N = 1, 7 and 129 unless it says otherwise.

export interface GraphCase {
  readonly name: string;
  readonly build: (b: GraphBuilder, n: Dim) => void;
  /** Values of N to run at (default 1, 7, 129). */
  readonly sizes?: readonly number[];
}

const c = (v: number): Dim => constDim(v);

const poolAttrs = (kind: 'max' | 'avg' | 'max_index', kernel: number[], extra: Partial<OpAttrs['pool']> = {}): OpAttrs['pool'] => ({
  kind, kernel, strides: kernel.map(() => 1), pads: [...kernel, ...kernel].map(() => 0), dilations: kernel.map(() => 1),
  ceilMode: false, countIncludePad: false, storageOrder: 0, ...extra,
});

export const GRAPH_CASES: readonly GraphCase[] = [
  { name: 'max and avg pool 2-d with pads, strides, dilations, ceil mode', build: (b, n) => {
    const x = b.input('x', 'f32', [n, c(3), c(9), c(8)]);
    b.output('max', b.op('pool', [x], poolAttrs('max', [3, 2], { strides: [2, 1], pads: [1, 0, 1, 1] })));
    b.output('max_dil', b.op('pool', [x], poolAttrs('max', [2, 3], { dilations: [2, 2], ceilMode: true, strides: [2, 2] })));
    b.output('avg', b.op('pool', [x], poolAttrs('avg', [3, 3], { pads: [1, 1, 2, 1], strides: [2, 3], ceilMode: true })));
    b.output('avg_incl', b.op('pool', [x], poolAttrs('avg', [3, 3], { pads: [1, 1, 2, 1], countIncludePad: true })));
    b.output('indices', b.op('pool', [x], poolAttrs('max_index', [2, 2], { pads: [1, 0, 0, 1] })));
    b.output('indices_cm', b.op('pool', [b.op('exp', [x], {})], poolAttrs('max_index', [3, 2], { strides: [2, 2], storageOrder: 1 })));
  } },
  { name: 'pool 1-d and 3-d, integer max', build: (b, n) => {
    const x = b.input('x', 'f32', [c(2), n, c(10)]);
    const y = b.input('y', 'f32', [c(1), c(2), c(4), n, c(5)]);
    const u = b.input('u', 'u8', [c(2), c(2), n, c(4)]);
    b.output('max1', b.op('pool', [x], poolAttrs('max', [4], { strides: [3], pads: [2, 2] })));
    b.output('avg1', b.op('pool', [x], poolAttrs('avg', [3], { pads: [1, 1], countIncludePad: true })));
    b.output('max3', b.op('pool', [y], poolAttrs('max', [2, 1, 2], { pads: [0, 0, 1, 1, 0, 0] })));
    b.output('avg3', b.op('pool', [y], poolAttrs('avg', [2, 1, 3], { strides: [2, 1, 2] })));
    b.output('maxu8', b.op('pool', [u], poolAttrs('max', [1, 2], { pads: [0, 1, 0, 1] })));
  } },
  { name: 'quantize per tensor, per axis and blocked', build: (b, n) => {
    const x = b.op('mul', [b.input('x', 'f32', [n, c(4), c(7)]), b.scalar(40, 'f32')], {});
    const positive = (s: Node): Node => b.op('add', [b.op('abs', [s], {}), b.scalar(0.05, 'f32')], {});
    const q = (to: DType, axis: number, blockSize: number, src: Node[], precision: DType = 'f32'): Node =>
      b.op('quantize', src, { axis, blockSize, to, saturate: true, hasZeroPoint: src.length > 2, precision });
    b.output('tensor_u8', q('u8', 0, 0, [x, positive(b.input('s0', 'f32', [])), b.input('z0', 'u8', [])]));
    b.output('axis_i8', q('i8', 1, 0, [x, positive(b.input('s1', 'f32', [c(4)])), b.input('z1', 'i8', [c(4)])]));
    b.output('blocked_i16', q('i16', 2, 3, [x, positive(b.input('s2', 'f32', [n, c(4), c(3)]))]));
    b.output('f16_precision_u16', q('u16', 0, 0, [x, b.scalar(0.037, 'f32')], 'f16'));
  } },
  { name: 'dequantize per tensor, per axis and blocked', build: (b, n) => {
    const u = b.input('u', 'u8', [n, c(5)]);
    const i = b.input('i', 'i8', [c(3), n]);
    const w = b.input('w', 'i32', [n, c(6)]);
    const d = (src: Node[], axis: number, blockSize: number, to: DType = 'f32'): Node =>
      b.op('dequantize', src, { axis, blockSize, to, hasZeroPoint: src.length > 2 });
    b.output('tensor', d([u, b.input('s0', 'f32', []), b.input('z0', 'u8', [])], 0, 0));
    b.output('axis', d([i, b.input('s1', 'f32', [c(3)]), b.input('z1', 'i8', [c(3)])], 0, 0));
    b.output('blocked', d([w, b.input('s2', 'f32', [n, c(2)])], 1, 4));
    b.output('half', d([u, b.input('s3', 'f16', [c(5)])], 1, 0, 'f16'));
  } },
  { name: 'topk values and indices, largest and smallest, with ties and NaN', build: (b, n) => {
    const x = b.input('x', 'f32', [n, c(9)]);
    const y = b.input('y', 'f32', [c(3), n, c(2)]);
    const i = b.input('i', 'i64', [c(4), c(8)]);
    // floor(x * 3) has many ties; log of a negative is NaN.
    const ties = b.op('floor', [b.op('mul', [x, b.scalar(3, 'f32')], {})], {});
    const top = (src: Node, axis: number, k: Dim, largest: boolean, output: 'values' | 'indices'): Node =>
      b.op('topk', [src], { axis, k, largest, sorted: true, output });
    b.output('v', top(x, 1, c(4), true, 'values'));
    b.output('vi', top(x, 1, c(4), true, 'indices'));
    b.output('tie_v', top(ties, 1, c(9), false, 'values'));
    b.output('tie_i', top(ties, 1, c(9), false, 'indices'));
    b.output('nan_i', top(b.op('log', [x], {}), 1, c(5), true, 'indices'));
    b.output('nan_small', top(b.op('log', [x], {}), 1, c(5), false, 'indices'));
    b.output('mid', top(y, 1, n, true, 'values'));
    b.output('mid_i', top(y, 1, c(1), false, 'indices'));
    b.output('int', top(i, 1, c(3), true, 'values'));
  } },
  { name: 'resize nearest, linear and cubic in every coordinate transform', build: (b, n) => {
    const x = b.input('x', 'f32', [n, c(2), c(5), c(6)]);
    const u = b.input('u', 'u8', [c(1), n, c(4)]);
    const base: OpAttrs['resize'] = {
      mode: 'linear', sizes: [n, c(2), c(8), c(4)], scales: [1, 1, 8 / 5, 4 / 6], coordinateTransformation: 'half_pixel',
      nearestMode: 'round_prefer_floor', cubicCoeffA: -0.75, excludeOutside: false, extrapolationValue: 0, antialias: false,
      roi: [0, 0, 0, 0, 1, 1, 1, 1],
    };
    const r = (src: Node, extra: Partial<OpAttrs['resize']>): Node => b.op('resize', [src], { ...base, ...extra });
    b.output('linear', r(x, {}));
    b.output('linear_align', r(x, { coordinateTransformation: 'align_corners' }));
    b.output('linear_sym', r(x, { coordinateTransformation: 'half_pixel_symmetric' }));
    b.output('linear_pytorch', r(x, { coordinateTransformation: 'pytorch_half_pixel', sizes: [n, c(2), c(1), c(3)], scales: [1, 1, 1 / 5, 0.5] }));
    b.output('cubic', r(x, { mode: 'cubic', coordinateTransformation: 'asymmetric', sizes: [n, c(2), c(10), c(9)], scales: [1, 1, 2, 1.5] }));
    b.output('cubic_excl', r(x, { mode: 'cubic', cubicCoeffA: -0.5, excludeOutside: true }));
    b.output('nearest', r(x, { mode: 'nearest', nearestMode: 'round_prefer_ceil', sizes: [n, c(2), c(10), c(13)], scales: [1, 1, 2, 13 / 6] }));
    b.output('nearest_floor', r(x, { mode: 'nearest', nearestMode: 'floor', coordinateTransformation: 'tf_half_pixel_for_nn' }));
    b.output('nearest_ceil', r(x, { mode: 'nearest', nearestMode: 'ceil', coordinateTransformation: 'asymmetric' }));
    b.output('crop', r(x, { coordinateTransformation: 'tf_crop_and_resize', extrapolationValue: 10, roi: [0, 0, 0.4, 0.6, 1, 1, 0.6, 1.2] }));
    b.output('int', r(u, { mode: 'cubic', sizes: [c(1), n, c(7)], scales: [1, 1, 7 / 4], roi: [0, 0, 0, 1, 1, 1] }));
  } },
  { name: 'conv_transpose 1-d, 2-d and 3-d with groups, strides, dilations, pads and bias', build: (b, n) => {
    const ct = (src: Node[], attrs: Partial<OpAttrs['conv_transpose']> & { strides: number[] }): Node => b.op('conv_transpose', src, {
      pads: [...attrs.strides, ...attrs.strides].map(() => 0), dilations: attrs.strides.map(() => 1), group: 1,
      outputPadding: attrs.strides.map(() => 0), hasBias: src.length > 2, ...attrs,
    });
    const x2 = b.input('x2', 'f32', [n, c(4), c(5), c(3)]);
    b.output('plain', ct([x2, b.input('w2', 'f32', [c(4), c(3), c(3), c(2)])], { strides: [1, 1] }));
    b.output('strided', ct([x2, b.input('w2s', 'f32', [c(4), c(2), c(3), c(3)]), b.input('b2', 'f32', [c(4)])],
      { strides: [2, 3], pads: [1, 0, 2, 1], dilations: [1, 2], group: 2, outputPadding: [1, 2] }));
    b.output('negative_pads', ct([x2, b.input('w2n', 'f32', [c(4), c(1), c(2), c(2)])], { strides: [2, 1], pads: [-1, 0, 0, -2] }));
    const x1 = b.input('x1', 'f32', [c(2), c(3), n]);
    b.output('one_d', ct([x1, b.input('w1', 'f32', [c(3), c(2), c(4)]), b.input('b1', 'f32', [c(2)])], { strides: [3], pads: [1, 2] }));
    const x3 = b.input('x3', 'f32', [c(1), c(2), c(3), n, c(2)]);
    b.output('three_d', ct([b.op('relu', [x3], {}), b.input('w3', 'f32', [c(2), c(1), c(2), c(2), c(2)])], { strides: [2, 1, 2], group: 2 }));
  } },
  { name: 'einsum: matmul, transpose, diagonal, broadcast ellipsis, three operands, full sum', build: (b, n) => {
    const a = b.input('a', 'f32', [n, c(4)]);
    const m = b.input('m', 'f32', [c(4), c(5)]);
    const s = b.input('s', 'f32', [c(3), c(3), n]);
    const e = b.input('e', 'f32', [c(2), c(1), n, c(4)]);
    const ein = (equation: string, src: Node[]): Node => b.op('einsum', src, { equation });
    b.output('matmul', ein('ij,jk->ik', [a, m]));
    b.output('transpose', ein('ij->ji', [a]));
    b.output('diagonal', ein('iin->ni', [s]));
    b.output('trace', ein('iin', [s]));
    b.output('ellipsis', ein('...ij,jk->...ik', [e, m]));
    b.output('three', ein('ij,jk,ij->k', [a, m, a]));
    b.output('sum', ein('ij->', [a]));
    b.output('outer', ein('i,j', [b.input('u', 'f32', [n]), b.input('v', 'f32', [c(3)])]));
    b.output('int', ein('ij,jk->ik', [b.input('p', 'i32', [n, c(3)]), b.input('q', 'i32', [c(3), c(2)])]));
  } },
];

/** The graph of a GraphCase, with N declared. */
export function graphOfCase(c: GraphCase): Graph {
  const b = new GraphBuilder('M');
  c.build(b, b.declareDim('N'));
  const { graph, diagnostics } = b.finish();
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}
