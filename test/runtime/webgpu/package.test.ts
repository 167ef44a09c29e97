// `compile(…, { target: 'webgpu', out })` writes an npm package (compiler/package/write-webgpu-
// package.ts); its own index.js loads it in Node on Dawn (SwiftShader) with the `gpu` passed in,
// and the outputs match the Graph IR interpreter on fresh random inputs at awkward sizes.
// Packages ship the built runtime (dist/runtime/webgpu): run `npm run build` after changing it.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../index.js';
import type { WebGpuCompilation } from '../../../compiler/driver/compile-webgpu.js';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { loadModel as loadWasm } from '../../../runtime/wasm/index.js';
import { loadModel as loadWebGpu } from '../../../runtime/webgpu/index.js';
import { relativeL2 } from '../../helpers/close.js';
import { randomTensor } from '../../helpers/random.js';
import { testGpu } from '../../targets/wgsl/device.js';

const repo = resolve(import.meta.dirname, '../../..');
const gpu = await testGpu();
const root = mkdtempSync(join(tmpdir(), 'sluice-webgpu-package-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The weights as the package holds them (read back from weights.bin). */
function packagedWeights(c: WebGpuCompilation): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  for (const w of c.manifest.weights) {
    if (w.dtype !== 'f32') throw new Error(`test: weight ${w.name} is ${w.dtype}`);
    weights.set(w.name, tensor('f32', w.shape, new Float32Array(c.weights.slice(w.offset, w.offset + w.bytes).buffer)));
  }
  return weights;
}

interface PackageModel {
  readonly f16: boolean;
  run(inputs: Record<string, unknown>): Promise<Record<string, { data: Float32Array; shape: number[] }>>;
  dispose(): void;
}

const CASES: [file: string, symbol: string, sizes: number[], dims: Record<string, number>][] = [
  ['mlp.sluice', 'B', [1, 7, 129], {}],
  ['transformer-block.sluice', 'S', [1, 7, 33], { D: 64, H: 4, KV: 2, F: 96 }],
];

describe.skipIf(!gpu)('a webgpu package loaded by its index.js in Node', () => {
  it.each(CASES)('%s at %s = %j matches the interpreter', async (file, symbol, sizes, dims) => {
    const folder = join(root, file.replace('.sluice', ''));
    const compiled = compile(join(repo, 'examples', file), { target: 'webgpu', out: folder, seed: 7, dims });
    const c = compiled.webgpu!;
    const written = compiled.package!.files.map((f) => f.path);
    // Only the webgpu runtime and what it imports; one WGSL file per kernel.
    expect(written.filter((p) => p.startsWith('runtime/wasm/')).sort()).toEqual(['runtime/wasm/bind-inputs.js', 'runtime/wasm/tensor-data.js']);
    expect(written).toContain('runtime/webgpu/index.js');
    expect(readdirSync(join(folder, 'wgsl'))).toHaveLength(c.manifest.kernels.length);
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.sluice.target).toBe('webgpu');
    expect(existsSync(join(folder, 'index.d.ts'))).toBe(true);

    const { load } = (await import(pathToFileURL(join(folder, 'index.js')).href)) as { load(o: object): Promise<PackageModel> };
    const model = await load({ gpu: gpu!.gpu });
    try {
      const weights = packagedWeights(c);
      for (const [run, size] of sizes.entries()) {
        const env = new Map([...c.dims, [symbol, size]]);
        const inputs = new Map(compiled.graph.inputs.map((input, i) => [
          input.attrs.name, randomTensor('f32', input.shape.map((d) => evalDim(d, env)), 300 + 10 * run + i),
        ]));
        const got = await model.run(Object.fromEntries([...inputs].map(([k, t]) => [k, { data: t.data, shape: [...t.shape] }])));
        const want = interpret(compiled.graph, inputs, weights, { dims: new Map([...c.fixedDims, [symbol, size]]) });
        for (const o of compiled.graph.outputs) {
          const expected = want.outputs.get(o.name)!;
          expect(got[o.name]!.shape, `${o.name} at ${symbol}=${size}`).toEqual(expected.shape);
          expect(relativeL2(got[o.name]!.data, toNumbers(expected)), `${o.name} at ${symbol}=${size}`).toBeLessThanOrEqual(1e-4);
        }
      }
    } finally {
      model.dispose();
    }
  });

  it('the runtimes refuse each other\'s packages, naming the target', async () => {
    const graph = compile(join(repo, 'examples', 'mlp.sluice')).graph;
    const webgpu = compile(graph, { target: 'webgpu' }).webgpu!;
    const wasm = compileWasm(graph, { seed: 1 });
    await expect(loadWasm({ manifest: webgpu.manifest, wasm: wasm.wasm, weights: webgpu.weights })).rejects.toThrow(/compiled for the webgpu target.*--target wasm/);
    await expect(loadWebGpu({ manifest: wasm.manifest, shaders: {}, weights: wasm.weights, device: gpu!.device })).rejects.toThrow(/compiled for the wasm target.*--target webgpu/);
  });

  it('says how to get a GPU in Node when none is given', async () => {
    const folder = join(root, 'mlp');
    const { load } = (await import(pathToFileURL(join(folder, 'index.js')).href)) as { load(o?: object): Promise<PackageModel> };
    await expect(load()).rejects.toThrow(/no navigator\.gpu; in Node pass `gpu`/);
  });
});
