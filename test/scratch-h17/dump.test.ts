import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { loadModel } from '../../compiler/driver/load-model.js';
import { graphPasses, runPasses } from '../../compiler/passes/pipeline.js';
import { printGraph } from '../../compiler/ir/printer.js';
it('dump', () => {
  for (const f of ['bert_encoder_layer', 'gpt2_decoder_block', 'llama_gqa_decode_step']) {
    const g = runPasses(loadModel(`test/fixtures/onnx/${f}.onnx`), graphPasses()).graph;
    writeFileSync(`/tmp/h17-${f}.txt`, printGraph(g));
  }
});
