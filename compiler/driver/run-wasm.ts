// `sluice run --target wasm`: compile the graph for WebAssembly in memory, specialised to this
// call's dims (a package made by `sluice compile` keeps input-bound dims symbolic; a single
// run need not), load it into the WASM runtime and run it once.

import type { Graph } from '../ir/graph.js';
import { tensor, type Tensor } from '../interpret/tensor.js';
import { loadModel } from '../../runtime/wasm/index.js';
import { compileWasm } from './compile-model.js';

export interface WasmRunResult {
  readonly outputs: Map<string, Tensor>;
  readonly kernels: number;
  readonly threads: number;
}

export async function runOnWasm(
  graph: Graph,
  inputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Tensor>,
  dims: ReadonlyMap<string, number>,
  threads?: number,
): Promise<WasmRunResult> {
  // Every dim is bound by now, so all are fixed: the module is made for exactly this call.
  const compiled = compileWasm(graph, { dims: Object.fromEntries(dims), weights, randomWeights: false });
  const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, ...(threads ? { threads } : {}) });
  try {
    const given = Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: [...t.shape] }]));
    const out = await model.run(given);
    const outputs = new Map<string, Tensor>();
    for (const o of graph.outputs) {
      const t = out[o.name]!;
      outputs.set(o.name, tensor(t.dtype, t.shape, t.data));
    }
    return { outputs, kernels: compiled.program.kernels.length, threads: model.threads };
  } finally {
    model.dispose();
  }
}
