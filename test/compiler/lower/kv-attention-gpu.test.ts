// kv_attention on the GPU targets: the KV-cache program (compiler/lower/kv-decode.ts) spread
// over GPU threads by the generic adapter, run call after call with the cache kept, against
// the Graph IR interpreter keeping the same cache and against attention recomputed from the
// whole stream: the lowered kernels on the Kernel IR interpreter (no printer) for both
// targets, and WGSL on Dawn/SwiftShader through runtime/webgpu; `sluice run --target webgpu|cuda`.
// The CUDA package over many steps: test/targets/cuda/kv-attention.test.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { compile } from '../../../index.js';
import { compileWebGpu } from '../../../compiler/driver/compile-webgpu.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import type { TypedArrayLike } from '../../../compiler/kernel/interpret.js';
import { CUDA_TARGET, WEBGPU_TARGET, type Program } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { loadModel, type Model } from '../../../runtime/webgpu/index.js';
import { testGpu } from '../../targets/wgsl/device.js';
import { skipReason } from '../../targets/cuda/harness.js';
import { relativeL2 } from '../../helpers/close.js';
import { randomTensor } from '../../helpers/random.js';
import { exampleWeights, expectMatches, KV_CASES, kvCall, kvGraph, type KvCase } from './kv-cases.js';
import { runLowered } from './run-lowered.js';

const root = resolve(import.meta.dirname, '../../..');

/** Runs a lowered program's dispatches on the Kernel IR interpreter, its state kept in `held`. */
function runProgram(program: Program, inputs: ReadonlyMap<string, Tensor>, held: Map<string, TypedArrayLike>): Map<string, Float32Array> {
  const values: Record<string, TypedArrayLike> = {};
  for (const v of program.values) {
    const size = v.shape.reduce((a, d) => a * evalDim(d, new Map()), 1);
    const fresh = v.dtype === 'i32' ? new Int32Array(size) : new Float32Array(size);
    if (v.role === 'input') values[v.id] = Float32Array.from(inputs.get(v.name)!.data as Float32Array);
    else if (v.role === 'state') values[v.id] = held.get(v.id) ?? held.set(v.id, fresh).get(v.id)!;
    else values[v.id] = fresh;
  }
  const kernels = new Map(program.kernels.map((k) => [k.name, k]));
  for (const d of program.dispatches) runLowered({ kernel: kernels.get(d.kernel)!, buffers: d.buffers, uniforms: d.uniforms, grid: d.grid }, values);
  return new Map(program.outputs.map((id) => [program.values.find((v) => v.id === id)!.name, values[id] as Float32Array]));
}

/** Whether the program's partial kernel is the GPU schedule (workgroup arrays and barriers), not the adapted CPU one. */
function usesGpuSchedule(program: Program): boolean {
  const partial = program.kernels.find((k) => k.name.endsWith('_partial'))!;
  return JSON.stringify(partial.body).includes('"kind":"barrier"');
}

describe('kv_attention lowered for webgpu and cuda, on the Kernel IR interpreter', () => {
  const longPrompt: [string, KvCase, number] = [
    'prompts of 129 tokens over sink 3 + window 100 (4 chunks; each block drops its own first rows), MQA 2 over 1, d 4',
    { heads: 2, kvHeads: 1, headDim: 4, valueDim: 4, sink: 3, window: 100, tokens: 129 }, 3,
  ];
  const tiny: [string, KvCase, number] = ['head dims 1, window 1 (only the new token and the sink), GQA 2 over 1', { heads: 2, kvHeads: 1, headDim: 1, valueDim: 1, sink: 1, window: 1 }, 6];
  for (const target of [WEBGPU_TARGET, CUDA_TARGET]) {
    for (const [name, s, calls] of [...KV_CASES.map(([n, c]) => [n, c, 12] as [string, KvCase, number]), longPrompt, tiny]) {
      it(`${target.name}: ${name}: ${calls} calls`, () => {
        const program = lowerProgram(kvGraph(s), target);
        // Every kernel is a GPU kernel (the adapter's workgroups for advance), dispatched in program order.
        expect(program.kernels.every((k) => k.workgroupSize[0] > 1)).toBe(true);
        expect(usesGpuSchedule(program)).toBe(true);
        const held = new Map<string, TypedArrayLike>();
        const inputs = Array.from({ length: calls }, (_, c) => kvCall(s, 40 + c));
        expectMatches(s, inputs, inputs.map((x) => Float32Array.from(runProgram(program, x, held).get('y')!)));
      });
    }
  }

  it('webgpu: 32 query heads over one kv head at d 128 overflow 16 KiB of workgroup memory: the CPU schedule, adapted', () => {
    const s: KvCase = { heads: 32, kvHeads: 1, headDim: 128, valueDim: 8, sink: 1, window: 3 };
    const program = lowerProgram(kvGraph(s), WEBGPU_TARGET);
    expect(usesGpuSchedule(program)).toBe(false);
    expect(usesGpuSchedule(lowerProgram(kvGraph(s), CUDA_TARGET))).toBe(true);
    const held = new Map<string, TypedArrayLike>();
    const inputs = Array.from({ length: 6 }, (_, c) => kvCall(s, 80 + c));
    expectMatches(s, inputs, inputs.map((x) => Float32Array.from(runProgram(program, x, held).get('y')!)));
  });
});

const gpu = await testGpu();
const webgpuModels: Model[] = [];
afterEach(() => {
  while (webgpuModels.length) webgpuModels.pop()!.dispose();
});

async function loadWebGpu(graph: Graph, weights: ReadonlyMap<string, Tensor> = new Map()): Promise<Model> {
  const c = compileWebGpu(graph, { weights, randomWeights: false });
  const model = await loadModel({ manifest: c.manifest, shaders: c.shaders, weights: c.weights, device: gpu!.device });
  webgpuModels.push(model);
  return model;
}

async function runWebGpu(model: Model, inputs: ReadonlyMap<string, Tensor>): Promise<Float32Array> {
  const given = Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data as Float32Array, shape: [...t.shape] }]));
  return Float32Array.from((await model.run(given)).y!.data as Float32Array);
}

describe.skipIf(!gpu)('kv_attention on webgpu (Dawn on SwiftShader)', () => {
  for (const [name, s] of KV_CASES) {
    const calls = s.tokens ? 8 : 40;
    it(`${name}: ${calls} calls match the interpreter and recomputed attention; resetState() starts over`, async () => {
      const model = await loadWebGpu(kvGraph(s));
      expect(model.manifest.state.map((x) => x.name)).toEqual(['kv_k_cache', 'kv_v_cache', 'kv_position']);
      const inputs = Array.from({ length: calls }, (_, c) => kvCall(s, 700 + c));
      const got: Float32Array[] = [];
      for (const x of inputs) got.push(await runWebGpu(model, x));
      expectMatches(s, inputs, got);
      model.resetState();
      expect(relativeL2(Array.from(await runWebGpu(model, inputs[0]!)), Array.from(got[0]!))).toBeLessThanOrEqual(1e-6);
    }, 60_000);
  }

  it('examples/decode-step.sluice: 300 steps (past the cache of 256) match the interpreter', async () => {
    const graph = compile(join(root, 'examples/decode-step.sluice')).graph;
    const weights = exampleWeights();
    const model = await loadWebGpu(graph, weights);
    const state = new Map<string, unknown>();
    let worst = 0;
    for (let t = 0; t < 300; t++) {
      const inputs = new Map([['x', randomTensor('f32', [1, 64], 9000 + t)]]);
      const got = await model.run({ x: { data: inputs.get('x')!.data as Float32Array, shape: [1, 64] } });
      const want = interpret(graph, inputs, weights, { state }).outputs.get('y')!;
      worst = Math.max(worst, relativeL2(Array.from(got.y!.data as Float32Array), toNumbers(want)));
    }
    expect(worst).toBeLessThanOrEqual(1e-4);
  }, 60_000);
});

const noGxx = skipReason('g++');

describe('`sluice run examples/decode-step.sluice --check` on the GPU targets (one step from an empty cache)', () => {
  const targets = [...(gpu ? ['webgpu'] : []), ...(noGxx === undefined ? ['cuda'] : [])];
  it.each(targets)('--target %s', async (target) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kv-run-'));
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    let printed: string;
    try {
      code = await main(['run', join(root, 'examples/decode-step.sluice'), '--target', target, '--check', '--json', '--out', dir]);
      printed = out.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      out.mockRestore();
      err.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(code).toBe(0);
    const result = JSON.parse(printed) as { ok: boolean; check: { name: string; ok: boolean }[] };
    expect(result.ok).toBe(true);
    expect(result.check.map((c) => [c.name, c.ok])).toEqual([['y', true]]);
  }, 60_000);
});

