// Whole models lowered for WebGPU and CUDA and run on the Kernel IR interpreter, against the
// Graph IR interpreter: the examples (small dims), the DSL fixtures and the ONNX fixtures.

import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { tensor } from '../../../../compiler/interpret/tensor.js';
import { loadModel } from '../../../../compiler/driver/load-model.js';
import { graphPasses, runPasses } from '../../../../compiler/passes/pipeline.js';
import { specializeDims } from '../../../../compiler/passes/specialize-dims.js';
import { graphOf } from '../harness.js';
import { expectGpuLoweringMatches, GPU_TARGETS } from './harness.js';

/**
 * The examples with their model dims fixed small, as a package fixes them (the interpreter runs
 * GPU threads one by one), and the run-time dims bound per run.
 */
const EXAMPLES: readonly { file: string; fixed: Record<string, number>; dims: Record<string, number> }[] = [
  { file: 'examples/mlp.sluice', fixed: { D: 8, F: 16, C: 5 }, dims: { B: 3 } },
  { file: 'examples/attention.sluice', fixed: { D: 16, H: 2 }, dims: { S: 5 } },
  { file: 'examples/transformer-block.sluice', fixed: { D: 16, H: 4, KV: 2, F: 24 }, dims: { S: 5 } },
  { file: 'test/fixtures/dsl/classifier.sluice', fixed: {}, dims: { B: 2, T: 3 } },
];

function onnx(file: string) {
  return runPasses(loadModel(`test/fixtures/onnx/${file}`), graphPasses()).graph;
}

for (const target of GPU_TARGETS) {
  describe(`lowering whole models for ${target.name} matches the interpreter`, () => {
    for (const m of EXAMPLES) {
      it(m.file, () => {
        const g = specializeDims(graphOf(readFileSync(m.file, 'utf8')), new Map(Object.entries(m.fixed)));
        expectGpuLoweringMatches(g, target, m.dims, 2);
      });
    }
    it('ONNX BERT encoder layer', () => {
      const g = onnx('bert_encoder_layer.onnx');
      const mask = g.inputs.find((i) => i.dtype === 'i64')!;
      const values = Array.from({ length: 14 }, (_, i) => (i % 3 === 2 ? 0 : 1));
      expectGpuLoweringMatches(g, target, { batch: 2, sequence: 7 }, 3, { [mask.attrs.name]: tensor('i64', [2, 7], values) });
    });
    it('ONNX GPT-2 decoder block', () => {
      expectGpuLoweringMatches(onnx('gpt2_decoder_block.onnx'), target, { batch: 1, sequence: 5 }, 4);
    });
    it('ONNX Llama GQA decode step', () => {
      expectGpuLoweringMatches(onnx('llama_gqa_decode_step.onnx'), target, { batch: 1, sequence: 1, past_sequence: 6 }, 5);
    });
    it('ONNX ResNet basic block', () => {
      expectGpuLoweringMatches(onnx('resnet_basic_block.onnx'), target, { batch: 1, height: 5, width: 7 }, 6);
    });
  });
}
