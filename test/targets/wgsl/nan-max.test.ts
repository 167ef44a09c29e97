// Float max/min on WebGPU propagate NaN as the Kernel IR says (WGSL leaves it to the
// implementation; SwiftShader drops the NaN): elementwise (scalar and vectorized kernels),
// relu, and reductions, on inputs holding NaN, against the Graph IR interpreter.

import { afterAll, describe, expect, it } from 'vitest';
import { compileWebGpu } from '../../../compiler/driver/compile-webgpu.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { loadModel, type Model } from '../../../runtime/webgpu/index.js';
import { graphOf } from '../../compiler/lower/harness.js';
import { expectSameNumbers } from '../../helpers/same-numbers.js';
import { randomTensor } from '../../helpers/random.js';
import { testGpu } from './device.js';

const gpu = await testGpu();
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

const SOURCE = `model M(N) {
  input x: f32[N, 8]
  input y: f32[N, 8]
  output a = max(x, y)
  output b = min(x, y) * 2.0
  output c = relu(x)
  output d = max(x, axes: [1])
  output e = min(y, axes: [0])
}`;

describe.skipIf(!gpu)('float max/min propagate NaN on WebGPU', () => {
  it('elementwise, relu and reductions at N = 1, 7, 129', async () => {
    const graph = graphOf(SOURCE);
    const compiled = compileWebGpu(graph, {});
    expect(Object.values(compiled.shaders).join('\n')).toMatch(/fn sl_max_f32\(/);
    const model = await loadModel({ manifest: compiled.manifest, shaders: compiled.shaders, weights: compiled.weights, device: gpu!.device });
    models.push(model);
    for (const n of [1, 7, 129]) {
      const env = new Map([['N', n]]);
      const inputs = new Map<string, Tensor>(graph.inputs.map((i, k) => {
        const t = randomTensor('f32', i.shape.map((d) => evalDim(d, env)), n * 10 + k);
        const data = t.data as Float32Array;
        // NaN in either operand, in different places for x and y.
        for (let j = k; j < data.length; j += 5) data[j] = NaN;
        return [i.attrs.name, t];
      }));
      const want = interpret(graph, inputs, new Map(), { dims: env }).outputs;
      const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
      for (const [name, expected] of want) expectSameNumbers(got[name]!.data as Float32Array, toNumbers(expected), 1e-5, `${name} at N = ${n}`);
    }
  });
});
