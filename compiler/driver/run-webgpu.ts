/// <reference types="@webgpu/types" />
// `sluice run --target webgpu`: compile the graph to WGSL in memory for this call's dims, load
// it into the WebGPU runtime on Node's Dawn device and run it once.

import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../interpret/tensor.js';
import { loadModel } from '../../runtime/webgpu/index.js';
import { runLoadedOnce } from './run-wasm.js';
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
    const outputs = await runLoadedOnce(model, graph, inputs, compiled.program, dims);
    return { outputs, kernels: compiled.program.kernels.length };
  } finally {
    model.dispose();
  }
}
