// Nearest-mode resize through WGSL on WebGPU picks exactly the interpreter's pixels: every
// coordinate transform but tf_crop_and_resize and every nearest mode, on ratios whose source
// coordinates land on integers and halves, where f32 coordinate math used to pick neighbours.

/// <reference types="@webgpu/types" />
import { afterAll, describe, expect, it } from 'vitest';
import { compileWebGpu } from '../../../compiler/driver/compile-webgpu.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { loadModel, type Model } from '../../../runtime/webgpu/index.js';
import { randomTensor } from '../../helpers/random.js';
import { nearestResizeGraph } from '../../compiler/lower/resize-nearest-cases.js';
import { testGpu } from './device.js';

const gpu = await testGpu();
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

describe.skipIf(!gpu)('nearest resize on WebGPU', () => {
  it('matches the interpreter element for element', async () => {
    const graph = nearestResizeGraph();
    const compiled = compileWebGpu(graph, { seed: 1 });
    const model = await loadModel({ manifest: compiled.manifest, shaders: compiled.shaders, weights: compiled.weights, device: gpu!.device });
    models.push(model);
    for (const n of [1, 2]) {
      const env = new Map([['N', n]]);
      const inputs = new Map<string, Tensor>();
      graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), 31 * n + k)));
      const want = interpret(graph, inputs, new Map(), { dims: env }).outputs;
      const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
      for (const [name, expected] of want) {
        expect(got[name]!.shape, name).toEqual(expected.shape);
        expect(Array.from(got[name]!.data as Float32Array), `${name} at N=${n}`).toEqual(toNumbers(expected));
      }
    }
  });
});
