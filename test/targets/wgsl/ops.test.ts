// Every op case of the lowering tests (test/compiler/lower/op-cases.ts) compiled to WGSL and
// run on WebGPU (Dawn on SwiftShader) against the Graph IR interpreter, at sizes 1, 7, 129.

/// <reference types="@webgpu/types" />
import { afterAll, describe, expect, it } from 'vitest';
import { compileWebGpu } from '../../../compiler/driver/compile-webgpu.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { DTYPES } from '../../../compiler/ir/dtype.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { loadModel, type Model } from '../../../runtime/webgpu/index.js';
import { randomTensor } from '../../helpers/random.js';
import { graphOf, relativeL2 } from '../../compiler/lower/harness.js';
import { CASES, GRAPH_CASES, graphOfCase } from '../../compiler/lower/op-cases.js';
import { testGpu } from './device.js';

const gpu = await testGpu();
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

async function expectWebGpuMatches(graph: Graph, sizes: readonly number[]): Promise<void> {
  const compiled = compileWebGpu(graph, { seed: 1 });
  const model = await loadModel({ manifest: compiled.manifest, shaders: compiled.shaders, weights: compiled.weights, device: gpu!.device });
  models.push(model);
  for (const n of sizes) {
    const env = new Map([['N', n]]);
    const inputs = new Map<string, Tensor>();
    graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), n * 10 + k)));
    const want = interpret(graph, inputs, new Map(), { dims: env }).outputs;
    const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
    for (const [name, expected] of want) {
      const out = got[name]!;
      expect(out.shape, name).toEqual(expected.shape);
      const e = toNumbers(expected);
      const a = Array.from(out.data as ArrayLike<number | bigint>, Number);
      if (DTYPES[expected.dtype].isFloat) expect(relativeL2(a, e), `${name} at N=${n}`).toBeLessThanOrEqual(1e-4);
      else expect(a, `${name} at N=${n}`).toEqual(e);
    }
  }
}

describe.skipIf(!gpu)('op cases through WGSL on WebGPU', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await expectWebGpuMatches(graphOf(`model M(N${c.dims ?? ''}) {\n${c.body}\n}`), [1, 7, 129]);
    });
  }
  for (const c of GRAPH_CASES) {
    it(c.name, async () => {
      await expectWebGpuMatches(graphOfCase(c), c.sizes ?? [1, 7, 129]);
    });
  }
});
