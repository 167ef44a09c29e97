// The attention benches' decomposed ONNX graph (bench/attention-onnx.ts): imported, it computes
// scaled dot-product attention (against the interpreter's own attention kernel), and
// fuse-attention turns it into one attention op, causal where masked.

import { describe, expect, it } from 'vitest';
import { attentionOnnx } from '../../bench/attention-onnx.js';
import { compile } from '../../index.js';
import { importOnnx } from '../../compiler/import/onnx/index.js';
import { topoOrder } from '../../compiler/ir/graph.js';
import { attention } from '../../compiler/interpret/kernels/attention.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { toNumbers } from '../../compiler/interpret/tensor.js';
import { relativeL2 } from '../helpers/close.js';
import { randomTensor } from '../helpers/random.js';

describe('attentionOnnx', () => {
  const cases = [
    { heads: 2, headDim: 7, sq: 7, sk: 7, causal: false },
    { heads: 3, headDim: 4, sq: 9, sk: 9, causal: true },
    { heads: 2, headDim: 5, sq: 1, sk: 129, causal: false },
  ];
  for (const shape of cases) {
    it(`H=${shape.heads} d=${shape.headDim} Sq=${shape.sq} Sk=${shape.sk}${shape.causal ? ' causal' : ''}`, () => {
      const { graph, diagnostics } = importOnnx(attentionOnnx(shape), 'sdpa.onnx');
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const q = randomTensor('f32', [1, shape.heads, shape.sq, shape.headDim], 1);
      const k = randomTensor('f32', [1, shape.heads, shape.sk, shape.headDim], 2);
      const v = randomTensor('f32', [1, shape.heads, shape.sk, shape.headDim], 3);
      const y = interpret(graph!, new Map([['q', q], ['k', k], ['v', v]])).outputs.get('y')!;
      expect(y.shape).toEqual([1, shape.heads, shape.sq, shape.headDim]);
      const want = attention(q, k, v, { causal: shape.causal, scale: 1 / Math.sqrt(shape.headDim), mask: undefined });
      expect(relativeL2(toNumbers(y), toNumbers(want))).toBeLessThanOrEqual(1e-6);

      const fused = topoOrder(compile(graph!).graph);
      expect(fused.map((n) => n.op).filter((op) => op === 'softmax' || op === 'matmul')).toEqual([]);
      const ops = fused.filter((n) => n.op === 'attention');
      expect(ops).toHaveLength(1);
      expect((ops[0]!.attrs as { causal: boolean }).causal).toBe(shape.causal);
    });
  }
});
