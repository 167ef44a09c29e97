// `sluice run --target wasm`: compile the graph for WebAssembly in memory, specialised to this
// call's dims (a package made by `sluice compile` keeps input-bound dims symbolic; a single
// run need not), load it into the WASM runtime and run it once.

import type { Graph } from '../ir/graph.js';
import { tensor, type Tensor } from '../interpret/tensor.js';
import { DataError, loadModel } from '../../runtime/wasm/index.js';
import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { evalDim } from '../ir/dim.js';
import type { Program } from '../kernel/program.js';
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
    const outputs = await runLoadedOnce(model, graph, inputs, compiled.program, dims);
    return { outputs, kernels: compiled.program.kernels.length, threads: model.threads };
  } finally {
    model.dispose();
  }
}

/** What runLoadedOnce needs of a loaded model: both runtimes' Model fits. */
interface RunnableModel {
  run(inputs: Record<string, { data: Tensor['data']; shape: number[] }>): Promise<Record<string, { dtype: Tensor['dtype']; shape: readonly number[]; data: Tensor['data'] }>>;
}

/**
 * One run of a model loaded for this call (wasm or webgpu runtime): the graph's outputs as
 * tensors; bad data a kernel flagged becomes the interpreter's diagnostic at the node's span.
 */
export async function runLoadedOnce(
  model: RunnableModel, graph: Graph, inputs: ReadonlyMap<string, Tensor>, program: Program, dims: ReadonlyMap<string, number>,
): Promise<Map<string, Tensor>> {
  const given = Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: [...t.shape] }]));
  let out: Awaited<ReturnType<RunnableModel['run']>>;
  try {
    out = await model.run(given);
  } catch (e) {
    if (e instanceof DataError) throw new DiagnosticError([dataDiagnostic(program, e, dims)]);
    throw e;
  }
  const outputs = new Map<string, Tensor>();
  for (const o of graph.outputs) {
    const t = out[o.name]!;
    outputs.set(o.name, tensor(t.dtype, t.shape, t.data));
  }
  return outputs;
}

/** The diagnostic the interpreter gives for the bad data a kernel flagged. */
export function dataDiagnostic(program: Program, e: DataError, dims: ReadonlyMap<string, number>): Diagnostic {
  const site = program.errors?.sites[e.site];
  if (!site) throw e;
  const args = site.args.map((a) => (typeof a !== 'object' ? a : 'value' in a ? e.values[a.value]! : evalDim(a.dim, dims)));
  return diag(site.code, site.span, ...args);
}
