// The node tests on the webgpu target: the imported graph goes through the graph passes and
// compileWebGpu (lowerProgram(WEBGPU_TARGET) → one WGSL module per kernel → manifest), is loaded
// into the WebGPU runtime on one shared Dawn device (SwiftShader without a GPU) and run on the
// test's inputs. Outputs are compared as on the interpreter (runner.ts). A refusal with a
// diagnostic (no kernel for an op or dtype) or from the WGSL printer (WgslUnsupportedError:
// what WGSL cannot express) is "unsupported" with its message; a wrong number is "failed".

import { compileWebGpu } from '../../compiler/driver/compile-webgpu.js';
import type { Tensor } from '../../compiler/interpret/tensor.js';
import { graphPasses, runPasses } from '../../compiler/passes/pipeline.js';
import { LimitError, loadModel, type Model } from '../../runtime/webgpu/index.js';
import { WgslUnsupportedError } from '../../targets/wgsl/dialect.js';
import { checkOutputs, errorResult, importNodeTest, UNSUPPORTED_CODES, type NodeTestEntry, type NodeTestResult } from './runner.js';

/** Import refusals plus the lowering's: no kernel for an op or dtype (4001), a model too large (4101). */
const WEBGPU_UNSUPPORTED_CODES: ReadonlySet<number> = new Set([...UNSUPPORTED_CODES, 4001, 4101]);

export async function runNodeTestOnWebGpu(entry: NodeTestEntry, device: GPUDevice): Promise<NodeTestResult> {
  const imported = importNodeTest(entry);
  if (!imported.ok) return imported.result;
  const { base, frozen, inputs } = imported;
  let model: Model | undefined;
  try {
    const { graph } = runPasses(imported.graph, graphPasses());
    const compiled = compileWebGpu(graph, { randomWeights: false });
    model = await loadModel({
      manifest: compiled.manifest, shaders: compiled.shaders, ...(compiled.f16Shaders ? { f16Shaders: compiled.f16Shaders } : {}),
      weights: compiled.weights, device,
    });
    const given = Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }]));
    const got = await model.run(given as never);
    const outputs = new Map<string, Tensor>(Object.entries(got).map(([name, o]) => [name, { dtype: o.dtype, shape: o.shape, data: o.data } as Tensor]));
    const problems = checkOutputs(entry, outputs);
    return { ...base, frozen, status: problems.length ? 'fail' : 'pass', reason: problems.join('; ') };
  } catch (e) {
    if (e instanceof WgslUnsupportedError || e instanceof LimitError) {
      return { ...base, frozen, status: 'unsupported', reason: e.message.replace(/\s+/g, ' ') };
    }
    return errorResult(base, frozen, e, WEBGPU_UNSUPPORTED_CODES);
  } finally {
    model?.dispose();
  }
}
