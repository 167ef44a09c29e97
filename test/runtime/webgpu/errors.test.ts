// The WebGPU runtime's errors: a shader that does not compile names the kernel and the WGSL
// line; a tensor over maxStorageBufferBindingSize names the tensor, its size and the limit.

/// <reference types="@webgpu/types" />
import { describe, expect, it } from 'vitest';
import { compileWebGpu } from '../../../compiler/driver/compile-webgpu.js';
import { loadModel, LimitError, ShaderError } from '../../../runtime/webgpu/index.js';
import { graphOf } from '../../compiler/lower/harness.js';
import { testGpu } from '../../targets/wgsl/device.js';

const gpu = await testGpu();

const SOURCE = `model M(N) {
  input x: f32[N, 4]
  output y = exp(x) * 2.0
}`;

describe.skipIf(!gpu)('webgpu runtime errors', () => {
  it('reports a shader compile error with the kernel name and the WGSL line', async () => {
    const compiled = compileWebGpu(graphOf(SOURCE));
    const [name, code] = Object.entries(compiled.shaders)[0]!;
    const broken = code.replace('exp(', 'no_such_function(');
    const line = broken.split('\n').findIndex((l) => l.includes('no_such_function')) + 1;
    const load = loadModel({ manifest: compiled.manifest, shaders: { ...compiled.shaders, [name]: broken }, weights: compiled.weights, device: gpu!.device });
    await expect(load).rejects.toBeInstanceOf(ShaderError);
    await expect(load).rejects.toThrow(new RegExp(`kernel '${name}' does not compile:[\\s\\S]*line ${line}:[\\s\\S]*no_such_function`));
  });

  it('refuses a tensor over maxStorageBufferBindingSize, naming it and the limit', async () => {
    const limit = gpu!.device.limits.maxStorageBufferBindingSize;
    const k = Math.floor(limit / 4) + 1; // y: f32[1, k] is one element over the limit
    const graph = graphOf(`model M(N, K) {
  input x: f32[N]
  output y = expand(unsqueeze(x, axes: [1]), shape: [N, K]) + 1.0
}`);
    const compiled = compileWebGpu(graph, { dims: { K: k } });
    const model = await loadModel({ manifest: compiled.manifest, shaders: compiled.shaders, weights: compiled.weights, device: gpu!.device });
    const run = model.run({ x: { data: new Float32Array([1]), shape: [1] } });
    await expect(run).rejects.toBeInstanceOf(LimitError);
    await expect(model.run({ x: { data: new Float32Array([1]), shape: [1] } })).rejects.toThrow(`'y' needs a buffer of ${4 * k} bytes, over the device's maxStorageBufferBindingSize (${Math.min(limit, gpu!.device.limits.maxBufferSize)} bytes)`);
    model.dispose();
  });

  it('runs a model and matches exp(x) * 2', async () => {
    const compiled = compileWebGpu(graphOf(SOURCE));
    const model = await loadModel({ manifest: compiled.manifest, shaders: compiled.shaders, weights: compiled.weights, device: gpu!.device });
    const x = Float32Array.from({ length: 28 }, (_, i) => Math.sin(i) * 3);
    const { y } = await model.run({ x: { data: x, shape: [7, 4] } });
    const want = Array.from(x, (v) => Math.exp(v) * 2);
    Array.from(y!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 3));
    model.dispose();
  });
});
