// Issue 7's attention matrix (../attention-matrix.ts) through the GPU flash-attention schedule
// for webgpu and cuda on the Kernel IR interpreter, against the Graph IR interpreter (f32
// relative L2 ≤ 1e-4, f16 ≤ 1e-2). The interpreter runs some 20 MFLOP/s, so S = 1000 rows keep
// all 1000 keys but only their last 32 query rows (the causal diagonal is aligned to the last
// row, so these rows see nearly every key tile); the full rows run emulated on cuda and, for
// one, on WebGPU (test/targets/cuda, test/runtime/webgpu).

import { describe, expect, it } from 'vitest';
import { evalDim } from '../../../../compiler/ir/dim.js';
import { interpret } from '../../../../compiler/interpret/interpreter.js';
import { toNumbers } from '../../../../compiler/interpret/tensor.js';
import { checkProgram } from '../../../../compiler/kernel/check.js';
import { runProgram } from '../../../../compiler/kernel/run-program.js';
import { lowerProgram } from '../../../../compiler/lower/lower-program.js';
import { relativeL2 } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';
import { graphOf } from '../harness.js';
import {
  attentionInputs, attentionModel, EXTRA, MATRIX, pairwiseGaps, rowDims, rowName, tolerance, type AttentionRow,
} from '../attention-matrix.js';
import { GPU_TARGETS, gpuShapeProblems } from './harness.js';

/** The interpreter-sized row: at most 32 query rows against a long key sequence. */
function interpreterSized(r: AttentionRow): AttentionRow {
  return r.s >= 1000 && (r.sq ?? r.s) > 32 ? { ...r, sq: 32 } : r;
}

describe('the attention matrix', () => {
  it('covers every pair of values of S, head dim, head layout, causal, mask and dtype', () => {
    expect(pairwiseGaps(MATRIX)).toEqual([]);
  });

  it("has the interpreter's attention op as the decomposed reference: matmul, softmax, matmul", () => {
    // GQA spelled out: each kv head repeated for its group of query heads.
    const source = `model M(S) {
      input q: f32[4, S, 32]
      input k: f32[2, S, 32]
      input v: f32[2, S, 32]
      input m: f32[S, S]
      let kr = reshape(expand(unsqueeze(k, [1]), [2, 2, S, 32]), [4, S, 32])
      let vr = reshape(expand(unsqueeze(v, [1]), [2, 2, S, 32]), [4, S, 32])
      output fused = attention(q, k, v, m, scale: 0.5)
      output decomposed = softmax((q @ kr.T) * 0.5 + m, axis: -1) @ vr
    }`;
    const graph = graphOf(source);
    for (const s of [1, 7, 129]) {
      const dims = new Map([['S', s]]);
      const inputs = new Map(graph.inputs.map((i, k) => [i.attrs.name, randomTensor('f32', i.shape.map((d) => evalDim(d, dims)), 500 + k)] as const));
      const out = interpret(graph, inputs, new Map(), { dims }).outputs;
      expect(relativeL2(toNumbers(out.get('fused')!), toNumbers(out.get('decomposed')!)), `S=${s}`).toBeLessThanOrEqual(1e-6);
    }
  });
});

for (const target of GPU_TARGETS) {
  describe(`attention matrix on the ${target.name} flash schedule (Kernel IR interpreter)`, () => {
    for (const r of [...MATRIX, ...EXTRA].map(interpreterSized)) {
      it(rowName(r), () => {
        const graph = attentionModel([r]);
        const inputs = attentionInputs([r], 3);
        const dims = new Map(Object.entries(rowDims([r])));
        const want = interpret(graph, inputs, new Map(), { dims }).outputs.get('y0')!;
        const program = lowerProgram(graph, target);
        expect(checkProgram(program)).toEqual([]);
        expect(program.kernels.flatMap((k) => gpuShapeProblems(k, target))).toEqual([]);
        // The flash schedule itself (K/V tiles staged between barriers), not the adapter.
        expect(program.kernels.some((k) => JSON.stringify(k.body).includes('"kind":"barrier"'))).toBe(true);
        const got = runProgram(program, inputs, new Map(), dims).get('y0')!;
        expect(got.dtype).toBe(r.dtype);
        const err = relativeL2(toNumbers(got), toNumbers(want));
        expect(err).toBeLessThanOrEqual(tolerance(r.dtype));
      });
    }
  });
}
