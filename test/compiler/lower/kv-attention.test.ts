// The kv_attention op end to end: the Graph IR interpreter keeping its cache between calls,
// lowering to the KV-cache decode kernels with state values in the Program, and the example
// examples/decode-step.sluice compiled for wasm and run one token per call through the runtime.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { loadPackage } from '../../../compiler/driver/load-package.js';
import { compile } from '../../../index.js';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { attention } from '../../../compiler/interpret/kernels/attention.js';
import { keptPositions } from '../../../compiler/interpret/kernels/kv-attention.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { WASM_TARGET, WEBGPU_TARGET } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { foldConstants } from '../../../compiler/passes/fold-constants.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import type { TensorData } from '../../../runtime/wasm/tensor-data.js';
import { randomTensor } from '../../helpers/random.js';
import { relativeL2 } from '../../helpers/close.js';

const root = resolve(import.meta.dirname, '../../..');
const models: Model[] = [];
afterEach(() => {
  while (models.length) models.pop()!.dispose();
});

interface KvGraphSpec { heads: number; kvHeads: number; headDim: number; valueDim: number; sink: number; window: number; tokens?: number; scale?: number }

/** y = kv_attention(q, k, v) with q [Hq, Sq, D], k [Hkv, Sq, D], v [Hkv, Sq, Dv]. */
function kvGraph(s: KvGraphSpec): Graph {
  const b = new GraphBuilder('Kv');
  const sq = s.tokens ?? 1;
  const c = (xs: number[]) => xs.map((x) => constDim(x));
  const q = b.input('q', 'f32', c([s.heads, sq, s.headDim]));
  const k = b.input('k', 'f32', c([s.kvHeads, sq, s.headDim]));
  const v = b.input('v', 'f32', c([s.kvHeads, sq, s.valueDim]));
  b.output('y', b.op('kv_attention', [q, k, v], { sink: s.sink, window: s.window, scale: s.scale, state: 'kv' }));
  const { graph, diagnostics } = b.finish();
  expect(diagnostics).toEqual([]);
  return graph!;
}

function token(s: KvGraphSpec, seed: number): Map<string, Tensor> {
  return new Map([
    ['q', randomTensor('f32', [s.heads, 1, s.headDim], 3 * seed + 1)],
    ['k', randomTensor('f32', [s.kvHeads, 1, s.headDim], 3 * seed + 2)],
    ['v', randomTensor('f32', [s.kvHeads, 1, s.valueDim], 3 * seed + 3)],
  ]);
}

/** Rows `positions` of every token's [H, 1, d] tensor stacked as [H, positions, d]. */
function stack(rows: readonly Tensor[], positions: readonly number[]): Tensor {
  const [h, , d] = rows[0]!.shape as [number, number, number];
  const out = new Float32Array(h * positions.length * d);
  for (let head = 0; head < h; head++) {
    positions.forEach((p, j) => out.set((rows[p]!.data as Float32Array).subarray(head * d, (head + 1) * d), (head * positions.length + j) * d));
  }
  return tensor('f32', [h, positions.length, d], out);
}

const asRuntimeInputs = (inputs: ReadonlyMap<string, Tensor>) =>
  Object.fromEntries([...inputs].map(([k, t]) => [k, { data: t.data as TensorData, shape: t.shape }]));

/** The weights as the package holds them (read back from weights.bin). */
function packagedWeights(c: ReturnType<typeof compileWasm>): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  for (const w of c.manifest.weights) weights.set(w.name, tensor('f32', w.shape, new Float32Array(c.weights.slice(w.offset, w.offset + w.bytes).buffer)));
  return weights;
}

describe('kv_attention in the interpreter (state kept between calls)', () => {
  it('sink 3 + window 10 over a 200-token stream attends over exactly the kept tokens', () => {
    const s: KvGraphSpec = { heads: 4, kvHeads: 2, headDim: 8, valueDim: 5, sink: 3, window: 10 };
    const graph = kvGraph(s);
    const state = new Map<string, unknown>();
    const tokens: Map<string, Tensor>[] = [];
    for (let t = 0; t < 200; t++) {
      tokens.push(token(s, t));
      const got = interpret(graph, tokens[t]!, new Map(), { state }).outputs.get('y')!;
      const kept = keptPositions(t, s);
      const want = attention(tokens[t]!.get('q')!, stack(tokens.map((x) => x.get('k')!), kept), stack(tokens.map((x) => x.get('v')!), kept), { causal: false, scale: undefined, mask: undefined });
      expect(relativeL2(toNumbers(got), toNumbers(want)), `token ${t}`).toBeLessThanOrEqual(1e-6);
    }
  });

  it('without a state map every call starts from an empty cache', () => {
    const s: KvGraphSpec = { heads: 2, kvHeads: 1, headDim: 4, valueDim: 4, sink: 0, window: 8 };
    const graph = kvGraph(s);
    for (let t = 0; t < 3; t++) {
      const inputs = token(s, t);
      const v = toNumbers(inputs.get('v')!);
      expect(relativeL2(toNumbers(interpret(graph, inputs).outputs.get('y')!), [...v, ...v])).toBeLessThan(1e-6);
    }
  });

  it('is never folded as a constant (it is stateful)', () => {
    const b = new GraphBuilder('Folded');
    const q = b.constant(randomTensor('f32', [1, 1, 4], 1));
    const kv = b.constant(randomTensor('f32', [1, 1, 4], 2));
    b.output('y', b.op('kv_attention', [q, kv, kv], { sink: 0, window: 4, scale: undefined, state: 'kv' }));
    const folded = foldConstants(b.finish().graph!);
    expect(folded.outputs[0]!.node.op).toBe('kv_attention');
  });
});

describe('kv_attention lowered for wasm', () => {
  it('GQA 6 query heads over 2 kv heads, d 7, sink 2 + window 5: the kernels match the interpreter for 40 steps', async () => {
    const s: KvGraphSpec = { heads: 6, kvHeads: 2, headDim: 7, valueDim: 3, sink: 2, window: 5, scale: 0.3 };
    const graph = kvGraph(s);
    const c = compileWasm(graph, { optimize: false });
    expect(c.manifest.state.map((x) => [x.name, x.dtype, x.shape])).toEqual([
      ['kv_k_cache', 'f32', [2, 7, 7]], ['kv_v_cache', 'f32', [2, 7, 3]], ['kv_position', 'i32', [1]],
    ]);
    const model = await loadModel({ manifest: c.manifest, wasm: c.wasm, weights: c.weights, threads: 3, parallelMinBytes: 0 });
    models.push(model);
    const state = new Map<string, unknown>();
    for (let t = 0; t < 40; t++) {
      const inputs = token(s, 500 + t);
      const got = (await model.run(asRuntimeInputs(inputs))).y!;
      const want = interpret(graph, inputs, new Map(), { state }).outputs.get('y')!;
      expect(relativeL2(Array.from(got.data as Float32Array), toNumbers(want)), `step ${t}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('two caches in one model get state buffers of their own', () => {
    const b = new GraphBuilder('Two');
    const x = b.input('x', 'f32', [constDim(2), constDim(1), constDim(4)]);
    const a = b.op('kv_attention', [x, x, x], { sink: 0, window: 3, scale: undefined, state: 'kv' });
    b.output('y', b.op('kv_attention', [a, a, a], { sink: 1, window: 3, scale: undefined, state: 'kv' }));
    const program = lowerProgram(b.finish().graph!, WASM_TARGET);
    expect(program.values.filter((v) => v.role === 'state').map((v) => v.name)).toEqual([
      'kv_k_cache', 'kv_v_cache', 'kv_position', 'kv_k_cache_1', 'kv_v_cache_1', 'kv_position_1',
    ]);
  });

  it('a prompt of 129 tokens per call (past the window of 200 in the second call) matches the interpreter', async () => {
    const s: KvGraphSpec = { heads: 4, kvHeads: 1, headDim: 8, valueDim: 8, sink: 3, window: 200, tokens: 129 };
    const graph = kvGraph(s);
    const c = compileWasm(graph, { optimize: false });
    const model = await loadModel({ manifest: c.manifest, wasm: c.wasm, weights: c.weights, threads: 2, parallelMinBytes: 0 });
    models.push(model);
    const state = new Map<string, unknown>();
    for (let call = 0; call < 3; call++) {
      const inputs = new Map([
        ['q', randomTensor('f32', [4, 129, 8], 60 + call)], ['k', randomTensor('f32', [1, 129, 8], 70 + call)], ['v', randomTensor('f32', [1, 129, 8], 80 + call)],
      ]);
      const got = (await model.run(asRuntimeInputs(inputs))).y!;
      expect(got.shape).toEqual([4, 129, 8]);
      const want = interpret(graph, inputs, new Map(), { state }).outputs.get('y')!;
      expect(relativeL2(Array.from(got.data as Float32Array), toNumbers(want)), `call ${call}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('refuses a count of new tokens that is not a fixed number (SL4001, naming why)', () => {
    const b = new GraphBuilder('Symbolic');
    const S = b.declareDim('S');
    const q = b.input('q', 'f32', [constDim(2), S, constDim(4)]);
    b.output('y', b.op('kv_attention', [q, q, q], { sink: 0, window: 8, scale: undefined, state: 'kv' }));
    let error: unknown;
    try {
      lowerProgram(b.finish().graph!, WEBGPU_TARGET);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DiagnosticError);
    const [d] = (error as DiagnosticError).diagnostics;
    expect(d!.code).toBe(4001);
    expect(d!.message).toMatch(/kv_attention.*count of new tokens must be a fixed number, not S: fix it with --dim/);
  });
});

describe('examples/decode-step.sluice through the package runtime', () => {
  const graph = compile(join(root, 'examples/decode-step.sluice')).graph;

  it('300 decode steps (past the cache capacity of 256) match the interpreter keeping the same cache', async () => {
    const c = compileWasm(graph, { seed: 11 });
    expect(c.manifest.state.map((x) => [x.name, x.shape])).toEqual([
      ['kv_k_cache', [4, 256, 16]], ['kv_v_cache', [4, 256, 16]], ['kv_position', [1]],
    ]);
    const model = await loadModel({ manifest: c.manifest, wasm: c.wasm, weights: c.weights, threads: 2 });
    models.push(model);
    const weights = packagedWeights(c);
    const state = new Map<string, unknown>();
    let worst = 0;
    for (let t = 0; t < 300; t++) {
      const inputs = new Map([['x', randomTensor('f32', [1, 64], 9000 + t)]]);
      const got = (await model.run(asRuntimeInputs(inputs))).y!;
      const want = interpret(graph, inputs, weights, { state }).outputs.get('y')!;
      worst = Math.max(worst, relativeL2(Array.from(got.data as Float32Array), toNumbers(want)));
    }
    expect(worst).toBeLessThanOrEqual(1e-4);
  }, 60_000);

  it('`sluice compile --target wasm` writes a package whose runs append a token each and whose manifest declares the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-decode-'));
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await main(['compile', join(root, 'examples/decode-step.sluice'), '--target', 'wasm', '--out', dir, '--quiet']);
      out.mockRestore();
      err.mockRestore();
      expect(code).toBe(0);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { state: { name: string }[] };
      expect(manifest.state.map((x) => x.name)).toEqual(['kv_k_cache', 'kv_v_cache', 'kv_position']);
      const model = await loadPackage(dir, { threads: 2 });
      models.push(model);
      const x = asRuntimeInputs(new Map([['x', randomTensor('f32', [1, 64], 77)]]));
      const first = Float32Array.from((await model.run(x)).y!.data as Float32Array);
      const second = Float32Array.from((await model.run(x)).y!.data as Float32Array);
      // The same token twice: the second attends over two cached copies of it, the same keys
      // and values, so the output is the same; a third, different token changes it.
      expect(relativeL2(Array.from(second), Array.from(first))).toBeLessThan(1e-5);
      await model.run(asRuntimeInputs(new Map([['x', randomTensor('f32', [1, 64], 78)]])));
      expect(relativeL2(Array.from((await model.run(x)).y!.data as Float32Array), Array.from(first))).toBeGreaterThan(1e-3);
      model.resetState();
      expect(Float32Array.from((await model.run(x)).y!.data as Float32Array)).toEqual(first);
    } finally {
      out.mockRestore();
      err.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resetState() starts the stream over', async () => {
    const c = compileWasm(graph, { seed: 12 });
    const model = await loadModel({ manifest: c.manifest, wasm: c.wasm, weights: c.weights, threads: 1 });
    models.push(model);
    const run = async (seed: number) =>
      Float32Array.from((await model.run(asRuntimeInputs(new Map([['x', randomTensor('f32', [1, 64], seed)]])))).y!.data as Float32Array);
    const first = await run(1);
    for (let t = 2; t < 6; t++) await run(t);
    expect(await run(1)).not.toEqual(first);
    model.resetState();
    expect(await run(1)).toEqual(first);
  });
});
