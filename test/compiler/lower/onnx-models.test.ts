// The ONNX fixtures lowered to Programs and run on the Kernel IR interpreter, against the
// Graph IR interpreter (after the graph passes, as the compiler runs them).

import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../compiler/driver/load-model.js';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { graphPasses, runPasses } from '../../../compiler/passes/pipeline.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { expectLoweringMatches } from './harness.js';
import { tensor } from '../../../compiler/interpret/tensor.js';

const DIR = 'test/fixtures/onnx';

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
  it('LSTM tagger: the rnn op is refused with SL4001', () => {
    const g = load('lstm_tagger.onnx');
    try {
      lowerProgram(g, WASM_TARGET);
      expect.fail('expected a diagnostic');
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      expect((e as DiagnosticError).diagnostics.map((d) => d.message)).toEqual(["op 'rnn' has no kernel lowering for target wasm yet"]);
    }
  });
});
