/// <reference types="@webgpu/types" />
// `sluice run --target webgpu`: compile the graph to WGSL in memory for this call's dims, load
// it into the WebGPU runtime on Node's Dawn device and run it once.

import type { Graph } from '../ir/graph.js';
import { tensor, type Tensor } from '../interpret/tensor.js';
import { DataError, loadModel } from '../../runtime/webgpu/index.js';
import { DiagnosticError } from '../diagnostics/diagnostic.js';
import { dataDiagnostic } from './run-wasm.js';
import { compileWebGpu } from './compile-webgpu.js';
import { nodeWebGpuDevice } from './node-webgpu.js';

export interface WebGpuRunResult {
  readonly outputs: Map<string, Tensor>;
  readonly kernels: number;
}

export async function runOnWebGpu(
  graph: Graph,
  inputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Tensor>,
  dims: ReadonlyMap<string, number>,
): Promise<WebGpuRunResult> {
  const compiled = compileWebGpu(graph, { dims: Object.fromEntries(dims), weights, randomWeights: false });
  const model = await loadModel({
    manifest: compiled.manifest, shaders: compiled.shaders, ...(compiled.f16Shaders ? { f16Shaders: compiled.f16Shaders } : {}),
    ...(compiled.subgroupShaders ? { subgroupShaders: compiled.subgroupShaders } : {}),
    weights: compiled.weights, device: await nodeWebGpuDevice(),
  });
  try {
    const given = Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: [...t.shape] }]));
    let out: Awaited<ReturnType<typeof model.run>>;
    try {
      out = await model.run(given);
    } catch (e) {
      // Bad data a kernel flagged: the interpreter's diagnostic, at the node's span.
      if (e instanceof DataError) throw new DiagnosticError([dataDiagnostic(compiled.program, e, dims)]);
      throw e;
    }
    const outputs = new Map<string, Tensor>();
    for (const o of graph.outputs) {
      const t = out[o.name]!;
      outputs.set(o.name, tensor(t.dtype, t.shape, t.data));
    }
    return { outputs, kernels: compiled.program.kernels.length };
  } finally {
    model.dispose();
  }
}
