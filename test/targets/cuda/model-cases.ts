// The graphs the CUDA tests run: the lowering op cases (test/compiler/lower/op-cases.ts) and
// the examples, each with the sizes to run at. Params get seeded random weights here, so the
// package and the interpreter use the same ones.

import { readFileSync } from 'node:fs';
import { loadModel } from '../../../compiler/driver/load-model.js';
import { graphPasses, runPasses } from '../../../compiler/passes/pipeline.js';
import { tensor } from '../../../compiler/interpret/tensor.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import type { Tensor } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';
import { graphOf } from '../../compiler/lower/harness.js';
import { CASES, GRAPH_CASES, graphOfCase } from '../../compiler/lower/op-cases.js';

export interface CudaCase {
  readonly name: string;
  readonly graph: Graph;
  /** Dims of each run (symbols the inputs bind). */
  readonly runs: readonly Readonly<Record<string, number>>[];
  /** The params' tensors (default: seeded random, caseWeights). */
  readonly weights?: ReadonlyMap<string, Tensor>;
  /** Inputs that must not be random (an attention mask), by name, per run. */
  readonly given?: (run: Readonly<Record<string, number>>) => Readonly<Record<string, Tensor>>;
}

const N_SIZES = [1, 7, 129].map((N) => ({ N }));

export function opCases(): CudaCase[] {
  return [
    ...CASES.map((c) => ({ name: c.name, graph: graphOf(`model M(N${c.dims ?? ''}) {\n${c.body}\n}`), runs: N_SIZES })),
    ...GRAPH_CASES.map((c) => ({ name: c.name, graph: graphOfCase(c), runs: (c.sizes ?? [1, 7, 129]).map((N) => ({ N })) })),
  ];
}

export function exampleCases(): CudaCase[] {
  const file = (f: string) => graphOf(readFileSync(f, 'utf8'));
  return [
    { name: 'examples/mlp.sluice', graph: file('examples/mlp.sluice'), runs: [{ B: 1 }, { B: 7 }] },
    { name: 'examples/attention.sluice', graph: file('examples/attention.sluice'), runs: [{ S: 1 }, { S: 9 }] },
    { name: 'examples/transformer-block.sluice', graph: file('examples/transformer-block.sluice'), runs: [{ S: 5 }] },
    { name: 'test/fixtures/dsl/classifier.sluice', graph: file('test/fixtures/dsl/classifier.sluice'), runs: [{ B: 1, T: 3 }, { B: 7, T: 5 }] },
  ];
}

/** The ONNX fixtures (their own weights), after the graph passes as the compiler runs them. */
export function onnxCases(): CudaCase[] {
  const load = (file: string) => runPasses(loadModel(`test/fixtures/onnx/${file}`), graphPasses()).graph;
  const bert = load('bert_encoder_layer.onnx');
  const mask = bert.inputs.find((i) => i.dtype === 'i64')!.attrs.name;
  const own = (g: Graph) => new Map(g.weights);
  const gpt2 = load('gpt2_decoder_block.onnx');
  const llama = load('llama_gqa_decode_step.onnx');
  const resnet = load('resnet_basic_block.onnx');
  return [
    { name: 'BERT encoder layer', graph: bert, weights: own(bert), runs: [{ batch: 2, sequence: 7 }],
      given: () => ({ [mask]: tensor('i64', [2, 7], Array.from({ length: 14 }, (_, i) => (i % 3 === 2 ? 0 : 1))) }) },
    { name: 'GPT-2 decoder block', graph: gpt2, weights: own(gpt2), runs: [{ batch: 1, sequence: 5 }] },
    { name: 'Llama GQA decode step', graph: llama, weights: own(llama), runs: [{ batch: 1, sequence: 1, past_sequence: 6 }] },
    { name: 'ResNet basic block', graph: resnet, weights: own(resnet), runs: [{ batch: 1, height: 5, width: 7 }] },
  ];
}

/** Seeded weights for every param, at the graph's default dims. */
export function caseWeights(graph: Graph): Map<string, Tensor> {
  const env = new Map<string, number>();
  for (const d of graph.dims) if (d.defaultValue !== undefined) env.set(d.name, d.defaultValue);
  const out = new Map<string, Tensor>();
  graph.params.forEach((p, k) => {
    const shape = p.shape.map((d) => evalDim(d, env));
    const t = randomTensor(p.dtype, shape, 7000 + k);
    // Scale matrices like the demo weights do so deep stacks keep their scale.
    if (shape.length >= 2 && t.data instanceof Float32Array) {
      const s = 1 / Math.sqrt(shape.slice(0, -1).reduce((a, b) => a * b, 1));
      t.data.forEach((v, i) => { (t.data as Float32Array)[i] = v * s; });
    }
    out.set(p.attrs.name, t);
  });
  return out;
}

/** Every dim of a run: the given ones and the defaults. */
export function runEnv(graph: Graph, run: Readonly<Record<string, number>>): Map<string, number> {
  const env = new Map(Object.entries(run));
  for (const d of graph.dims) if (!env.has(d.name) && d.defaultValue !== undefined) env.set(d.name, d.defaultValue);
  return env;
}
