// The decomposed scaled dot-product attention graph the attention benches give both engines:
// Transpose(K) → MatMul(Q, Kᵀ) → Mul(1/√d) → (Add causal mask: Trilu, upper, k = 1, of a
// -inf fill) → Softmax(-1) → MatMul(V), f32, batch 1. bench/attention.ts (wasm) and
// bench/attention-webgpu.ts both build it here.

import { onnx } from '../compiler/import/onnx/proto.js';
import { tensor } from '../compiler/interpret/tensor.js';
import { encodeTensorProto } from '../compiler/io/tensor-proto.js';

export interface AttentionShape {
  readonly heads: number;
  readonly headDim: number;
  /** Query rows (1 for a decode step). */
  readonly sq: number;
  /** Key/value rows. */
  readonly sk: number;
  readonly causal: boolean;
}

/** The decomposed SDPA graph over inputs q [1,H,Sq,d], k and v [1,H,Sk,d], output y [1,H,Sq,d]. */
export function attentionOnnx({ heads, headDim, sq, sk, causal }: AttentionShape): Uint8Array {
  const T = onnx.AttributeProto.AttributeType;
  const inits = [
    onnx.TensorProto.decode(encodeTensorProto(tensor('f32', [], [1 / Math.sqrt(headDim)]), 'scale')),
    ...(causal ? [
      onnx.TensorProto.decode(encodeTensorProto(tensor('f32', [], [-Infinity]), 'neg_inf')),
      onnx.TensorProto.decode(encodeTensorProto(tensor('i64', [2], [sq, sk]), 'mask_shape')),
      onnx.TensorProto.decode(encodeTensorProto(tensor('i64', [], [1]), 'one')),
    ] : []),
  ];
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ opType, input, output: [output], name: output, attribute });
  const nodes = [
    node('Transpose', ['k'], 'kT', [{ name: 'perm', type: T.INTS, ints: [0, 1, 3, 2] }]),
    node('MatMul', ['q', 'kT'], 'qk'),
    node('Mul', ['qk', 'scale'], 'scores'),
    ...(causal ? [
      // -inf strictly above the diagonal, 0 on and below it (the spelling exporters use).
      node('Expand', ['neg_inf', 'mask_shape'], 'fill'),
      node('Trilu', ['fill', 'one'], 'mask', [{ name: 'upper', type: T.INT, i: 1 }]),
      node('Add', ['scores', 'mask'], 'masked'),
    ] : []),
    node('Softmax', [causal ? 'masked' : 'scores'], 'probs', [{ name: 'axis', type: T.INT, i: -1 }]),
    node('MatMul', ['probs', 'v'], 'y'),
  ];
  const info = (name: string, shape: readonly number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
  return onnx.ModelProto.encode({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'sluice-bench',
    graph: {
      name: 'sdpa', node: nodes, initializer: inits,
      input: [info('q', [1, heads, sq, headDim]), info('k', [1, heads, sk, headDim]), info('v', [1, heads, sk, headDim])],
      output: [info('y', [1, heads, sq, headDim])],
    },
  }).finish();
}
