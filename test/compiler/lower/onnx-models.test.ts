// The ONNX fixtures lowered to Programs and run on the Kernel IR interpreter, against the
// Graph IR interpreter (after the graph passes, as the compiler runs them).

import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../compiler/driver/load-model.js';
import { graphPasses, runPasses } from '../../../compiler/passes/pipeline.js';
import { expectLoweringMatches } from './harness.js';
import { tensor } from '../../../compiler/interpret/tensor.js';
import { evalDim } from '../../../compiler/ir/dim.js';

const DIR = 'test/fixtures/onnx';

/** Small values for every dim of a graph (7, then 3, ...): awkward sizes for the kernels. */
function dimsOf(g: { dims: readonly { name: string }[] }): Record<string, number> {
  const sizes = [7, 3, 5, 2];
  return Object.fromEntries(g.dims.map((d, i) => [d.name, sizes[i % sizes.length]!]));
}

function load(file: string) {
  return runPasses(loadModel(`${DIR}/${file}`), graphPasses()).graph;
}

describe('lowering the ONNX fixtures matches the interpreter', () => {
  it('BERT encoder layer', () => {
    const g = load('bert_encoder_layer.onnx');
    // The i64 input is the attention mask: 0/1 values.
    const mask = g.inputs.find((i) => i.dtype === 'i64')!;
    const values = Array.from({ length: 14 }, (_, i) => (i % 3 === 2 ? 0 : 1));
    expectLoweringMatches(g, { batch: 2, sequence: 7 }, 3, { [mask.attrs.name]: tensor('i64', [2, 7], values) });
  });
  it('GPT-2 decoder block', () => {
    const g = load('gpt2_decoder_block.onnx');
    expectLoweringMatches(g, { batch: 1, sequence: 5 }, 4);
  });
  it('Llama GQA decode step', () => {
    const g = load('llama_gqa_decode_step.onnx');
    expectLoweringMatches(g, { batch: 1, sequence: 1, past_sequence: 6 }, 5);
  });
});

describe('lowering more ONNX fixtures', () => {
  it('ResNet basic block (conv + relu + residual)', () => {
    const g = load('resnet_basic_block.onnx');
    expectLoweringMatches(g, { batch: 1, height: 5, width: 7 }, 6);
  });
  it('LSTM tagger (the rnn op: one sequential kernel per result)', () => {
    const g = load('lstm_tagger.onnx');
    // The integer input holds token ids for an embedding of 50 rows.
    const dims = dimsOf(g);
    const ids = g.inputs.find((i) => i.dtype === 'i64' || i.dtype === 'i32')!;
    const shape = ids.shape.map((d) => evalDim(d, new Map(Object.entries(dims))));
    const count = shape.reduce((a, b) => a * b, 1);
    const given = { [ids.attrs.name]: tensor(ids.dtype, shape, Array.from({ length: count }, (_, i) => (i * 17 + 3) % 50)) };
    const run = expectLoweringMatches(g, dims, 7, given);
    expect(run.program.kernels.some((k) => k.sources.some((s) => s.endsWith(' rnn')))).toBe(true);
  });
});
