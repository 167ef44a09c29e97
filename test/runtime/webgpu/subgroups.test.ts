// Subgroup variants on a real WebGPU implementation (Dawn on SwiftShader, whose subgroups are 4
// wide): the layout probe, the variants compileWebGpu prints for the row-reduction kernels
// only, and reductions, softmax and norms through the runtime with subgroups on and off
// against the Graph IR interpreter, NaN inputs included. Under CI=true the subgroup path must
// be taken (SwiftShader offers `subgroups`).

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../index.js';
import { shaderFileNames } from '../../../compiler/package/webgpu-package-sources.js';
import { compileWebGpu } from '../../../compiler/driver/compile-webgpu.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { checkManifest, ManifestError } from '../../../runtime/manifest.js';
import { loadModel } from '../../../runtime/webgpu/index.js';
import { probeSubgroupLayout, subgroupSizes } from '../../../runtime/webgpu/subgroups.js';
import { graphOf } from '../../compiler/lower/harness.js';
import { expectSameNumbers } from '../../helpers/same-numbers.js';
import { randomTensor } from '../../helpers/random.js';
import { testGpu } from '../../targets/wgsl/device.js';

const gpu = await testGpu();
const CI = process.env.CI === 'true';

const ROWS = `model R(N) {
  input x: f32[3, N]
  input y: f32[N, 33]
  output a = sum(x, axes: [1])
  output b = max(x, axes: [1])
  output c = min(x * 2.0, axes: [1])
  output d = softmax(x)
  output e = layernorm(x)
  output f = rmsnorm(y)
  output g = max(y, axes: [1])
  output h = softmax(y)
  output k = x * 3.0
}`;

/** Random inputs at `env`, with a NaN in row 1 of `x` and in row 0 of `y` (max, min and softmax must propagate it). */
function inputsOf(graph: Graph, env: ReadonlyMap<string, number>, seed: number): Map<string, Tensor> {
  return new Map(graph.inputs.map((input, i) => {
    const t = randomTensor('f32', input.shape.map((d) => evalDim(d, env)), seed * 10 + i);
    const data = t.data as Float32Array;
    if (input.attrs.name === 'x') data[t.shape[1]! + Math.floor(t.shape[1]! / 2)] = NaN;
    if (input.attrs.name === 'y') data[5] = NaN;
    return [input.attrs.name, t];
  }));
}

/** A device with subgroups, requested once for the probe tests. */
let probeDevice: GPUDevice | undefined;
const root = mkdtempSync(join(tmpdir(), 'sluice-subgroups-'));
afterAll(() => {
  probeDevice?.destroy();
  rmSync(root, { recursive: true, force: true });
});

async function subgroupDevice(): Promise<{ device: GPUDevice; info: GPUAdapterInfo } | undefined> {
  const adapter = await gpu!.gpu.requestAdapter();
  if (!adapter?.features.has('subgroups')) return undefined;
  probeDevice ??= await adapter.requestDevice({ requiredFeatures: ['subgroups'] });
  return { device: probeDevice, info: adapter.info };
}

describe.skipIf(!gpu)('subgroups on WebGPU', () => {
  it('the adapter offers subgroups (required under CI: SwiftShader has them)', async () => {
    const opened = await subgroupDevice();
    if (CI) expect(opened, 'SwiftShader offers the subgroups feature').toBeDefined();
    if (opened) expect(subgroupSizes(opened.device, opened.info)!.max).toBeGreaterThanOrEqual(subgroupSizes(opened.device, opened.info)!.min);
  });

  it('the probe confirms consecutive subgroups in 1-D and 2-D workgroups, and refuses a width beyond the bound', async () => {
    const opened = await subgroupDevice();
    if (!opened) return;
    const { max } = subgroupSizes(opened.device, opened.info)!;
    for (const size of [[256, 1, 1], [8, 32, 1], [64, 4, 1]] as const) {
      expect(await probeSubgroupLayout(opened.device, size, max), `workgroup ${size.join('×')}`).toBe(true);
    }
    if (max > 1) expect(await probeSubgroupLayout(opened.device, [256, 1, 1], max / 2)).toBe(false);
  });

  it('compileWebGpu prints subgroup variants for the row-reduction kernels only, and the manifest lists them', () => {
    const c = compileWebGpu(graphOf(ROWS), { dims: { N: 129 } });
    const variants = c.manifest.kernels.filter((k) => k.subgroupVariant);
    expect(variants.length).toBeGreaterThan(0);
    expect(variants.length).toBeLessThan(c.manifest.kernels.length); // the elementwise `x * 3.0` has none
    expect(c.manifest.files.subgroupModule).toBe('wgsl-subgroups');
    expect(Object.keys(c.subgroupShaders!).sort()).toEqual(variants.map((k) => k.name).sort());
    for (const k of variants) {
      const code = c.subgroupShaders![k.name]!;
      expect(code).toMatch(/^enable subgroups;$/m);
      expect(code).toMatch(/@builtin\(subgroup_size\) sl_sg_size: u32/);
      expect(code).toMatch(/subgroup(Add|Max|Min)\(/);
      expect(c.shaders[k.name]).not.toMatch(/subgroup/);
      expect(k.subgroupVariant!.maxSubgroupSize).toBeGreaterThanOrEqual(4);
    }
    // NaN-propagating max/min: WGSL leaves subgroupMax of a NaN to the implementation.
    expect(Object.values(c.subgroupShaders!).join('\n')).toMatch(/select\(subgroupMax\(.*subgroupAny\(sl_isnan_f32\(/);
  });

  it('checkManifest refuses variants without their folder, and a folder without variants', () => {
    const c = compileWebGpu(graphOf(ROWS), { dims: { N: 7 } });
    const json = JSON.parse(JSON.stringify(c.manifest));
    expect(checkManifest(json).kernels.some((k) => k.subgroupVariant)).toBe(true);
    expect(() => checkManifest({ ...json, files: { ...json.files, subgroupModule: undefined } })).toThrow(ManifestError);
    const without = { ...json, kernels: json.kernels.map((k: { subgroupVariant?: unknown }) => ({ ...k, subgroupVariant: undefined })) };
    expect(() => checkManifest(without)).toThrow(/no kernel has a subgroup variant/);
    const bad = { ...json, kernels: json.kernels.map((k: { subgroupVariant?: object }) => (k.subgroupVariant ? { ...k, subgroupVariant: { maxSubgroupSize: 12, workgroupSize: [8, 32, 1] } } : k)) };
    expect(() => checkManifest(bad)).toThrow(/not a power of two/);
  });

  for (const n of [1, 7, 129, 1000]) {
    it(`rows of ${n}: subgroups on and off match the Graph IR interpreter`, async () => {
      const graph = graphOf(ROWS);
      const c = compileWebGpu(graph, { dims: { N: n } });
      const env = new Map([['N', n]]);
      const inputs = inputsOf(graph, env, n);
      const expected = interpret(graph, inputs, new Map(), { dims: env }).outputs;
      const given = Object.fromEntries([...inputs].map(([k, t]) => [k, { data: t.data, shape: [...t.shape] }]));
      for (const subgroups of [false, true]) {
        const model = await loadModel({ manifest: c.manifest, shaders: c.shaders, subgroupShaders: c.subgroupShaders, subgroups, weights: c.weights, gpu: gpu!.gpu });
        try {
          if (!subgroups) expect(model.subgroups).toBe(false);
          else if (CI) expect(model.subgroups, 'the subgroup path is taken on SwiftShader').toBe(true);
          const got = await model.run(given);
          for (const [name, want] of expected) {
            expectSameNumbers(got[name]!.data as Float32Array, toNumbers(want), 1e-4, `${name} at N = ${n}, subgroups ${subgroups ? 'on' : 'off'}`);
          }
        } finally {
          model.dispose();
        }
      }
    });
  }

  it('a symbolic row length (one compile, the widest rows) runs at several sizes with subgroups', async () => {
    const graph = graphOf(ROWS);
    const c = compileWebGpu(graph, {});
    const model = await loadModel({ manifest: c.manifest, shaders: c.shaders, subgroupShaders: c.subgroupShaders, weights: c.weights, gpu: gpu!.gpu });
    try {
      if (CI) expect(model.subgroups).toBe(true);
      for (const n of [1, 7, 129]) {
        const env = new Map([['N', n]]);
        const inputs = inputsOf(graph, env, 50 + n);
        const expected = interpret(graph, inputs, new Map(), { dims: env }).outputs;
        const got = await model.run(Object.fromEntries([...inputs].map(([k, t]) => [k, { data: t.data, shape: [...t.shape] }])));
        for (const [name, want] of expected) expectSameNumbers(got[name]!.data as Float32Array, toNumbers(want), 1e-4, `${name} at N = ${n}`);
      }
    } finally {
      model.dispose();
    }
  });

  // The package ships the built runtime (dist/runtime/webgpu): run `npm run build` after changing it.
  it('a package holds the variants in wgsl-subgroups/ and its index.js loads them, or not with subgroups: false', async () => {
    const source = join(root, 'rows.sluice');
    writeFileSync(source, ROWS);
    const folder = join(root, 'rows');
    const compiled = compile(source, { target: 'webgpu', out: folder, seed: 7, dims: { N: 129 } });
    const manifest = compiled.webgpu!.manifest;
    const files = shaderFileNames(manifest);
    const variants = manifest.kernels.filter((k) => k.subgroupVariant).map((k) => files[k.name]!);
    expect(readdirSync(join(folder, 'wgsl-subgroups')).sort()).toEqual([...variants].sort());
    expect(readdirSync(join(folder, 'wgsl'))).toHaveLength(manifest.kernels.length);
    const { load } = (await import(pathToFileURL(join(folder, 'index.js')).href)) as {
      load(o: object): Promise<{ subgroups: boolean; run(i: object): Promise<Record<string, { data: Float32Array }>>; dispose(): void }>;
    };
    const graph = graphOf(ROWS);
    const env = new Map([['N', 129]]);
    const inputs = inputsOf(graph, env, 3);
    const expected = interpret(graph, inputs, new Map(), { dims: env }).outputs;
    for (const subgroups of [true, false]) {
      const model = await load({ gpu: gpu!.gpu, subgroups });
      try {
        if (!subgroups) expect(model.subgroups).toBe(false);
        else if (CI) expect(model.subgroups).toBe(true);
        const got = await model.run(Object.fromEntries([...inputs].map(([k, t]) => [k, { data: t.data, shape: [...t.shape] }])));
        for (const [name, want] of expected) expectSameNumbers(got[name]!.data, toNumbers(want), 1e-4, `${name}, subgroups ${subgroups}`);
      } finally {
        model.dispose();
      }
    }
  });
});
