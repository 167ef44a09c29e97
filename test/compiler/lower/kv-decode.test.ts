// The KV-cache decode step through the wasm runtime, one token per run, against the
// interpreter: full attention recomputed over every token so far (plain cache), and the
// sink + window policy applied by the reference (compiler/interpret/kernels/kv-attention.ts).

import { afterEach, describe, expect, it } from 'vitest';
import { compileKvDecodeWasm } from '../../../compiler/driver/compile-kv-decode.js';
import { attention } from '../../../compiler/interpret/kernels/attention.js';
import { emptyKvCache, keptPositions, kvAttentionStep, type KvCachePolicy } from '../../../compiler/interpret/kernels/kv-attention.js';
import { tensor, type Tensor } from '../../../compiler/interpret/tensor.js';
import type { KvDecodeSpec } from '../../../compiler/lower/kv-decode.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import { randomTensor } from '../../helpers/random.js';
import { relativeL2 } from '../../helpers/close.js';
import { recomputed } from './kv-cases.js';

const models: Model[] = [];
afterEach(() => {
  while (models.length) models.pop()!.dispose();
});

async function load(spec: KvDecodeSpec, threads = 2): Promise<Model> {
  const c = compileKvDecodeWasm(spec, { optimize: false });
  const model = await loadModel({ manifest: c.manifest, wasm: c.wasm, weights: c.weights, threads, parallelMinBytes: 0 });
  models.push(model);
  return model;
}

interface Token { q: Tensor; k: Tensor; v: Tensor }

function token(spec: KvDecodeSpec, seed: number): Token {
  const D = spec.headDim, Dv = spec.valueDim ?? D;
  return {
    q: randomTensor('f32', [spec.heads, 1, D], 3 * seed + 1),
    k: randomTensor('f32', [spec.kvHeads, 1, D], 3 * seed + 2),
    v: randomTensor('f32', [spec.kvHeads, 1, Dv], 3 * seed + 3),
  };
}

async function step(model: Model, t: Token): Promise<Float32Array> {
  const input = (x: Tensor) => ({ data: x.data as Float32Array, shape: x.shape });
  const { y } = await model.run({ q: input(t.q), k: input(t.k), v: input(t.v) });
  return Float32Array.from(y!.data as Float32Array);
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

describe('KV-cache decode on wasm (split-K over the cache, then combine)', () => {
  const cases: [string, KvDecodeSpec][] = [
    ['MHA, 4 heads, d 32', { heads: 4, kvHeads: 4, headDim: 32, policy: { sink: 0, window: 512 }, chunk: 64 }],
    ['GQA, 8 query heads over 2 kv heads, d 64', { heads: 8, kvHeads: 2, headDim: 64, policy: { sink: 0, window: 320 }, chunk: 32 }],
  ];
  for (const [name, spec] of cases) {
    it(`${name}: 300 steps match full attention recomputed over all tokens each step`, async () => {
      const model = await load(spec);
      const tokens: Token[] = [];
      let worst = 0;
      for (let t = 0; t < 300; t++) {
        tokens.push(token(spec, t));
        const got = await step(model, tokens[t]!);
        const all = Array.from({ length: t + 1 }, (_, i) => i);
        const want = attention(tokens[t]!.q, stack(tokens.map((x) => x.k), all), stack(tokens.map((x) => x.v), all), { causal: false, scale: undefined, mask: undefined });
        const err = relativeL2(Array.from(got), Array.from(want.data as Float32Array));
        worst = Math.max(worst, err);
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
    }, 60_000);
  }

  it('sink 4 + window 16 over 100 tokens matches the reference applying the same policy (odd head dim 7, 3 threads)', async () => {
    const policy: KvCachePolicy = { sink: 4, window: 16 };
    const spec: KvDecodeSpec = { heads: 6, kvHeads: 3, headDim: 7, valueDim: 5, policy, chunk: 7 };
    const model = await load(spec, 3);
    let state = emptyKvCache(3, 7, policy, 5);
    const tokens: Token[] = [];
    for (let t = 0; t < 100; t++) {
      tokens.push(token(spec, 1000 + t));
      const got = await step(model, tokens[t]!);
      const ref = kvAttentionStep(state, tokens[t]!.q, tokens[t]!.k, tokens[t]!.v, policy);
      state = ref.state;
      expect(relativeL2(Array.from(got), Array.from(ref.output.data as Float32Array)), `step ${t}`).toBeLessThanOrEqual(1e-4);
      // The policy itself: attention over the kept tokens only, recomputed from the stream.
      const kept = keptPositions(t, policy);
      const direct = attention(tokens[t]!.q, stack(tokens.map((x) => x.k), kept), stack(tokens.map((x) => x.v), kept), { causal: false, scale: undefined, mask: undefined });
      expect(relativeL2(Array.from(got), Array.from(direct.data as Float32Array)), `step ${t} (direct)`).toBeLessThanOrEqual(1e-4);
    }
    expect(state.position).toBe(100);
    expect(keptPositions(99, policy)).toEqual([0, 1, 2, 3, ...Array.from({ length: 16 }, (_, i) => 84 + i)]);
  });

  it('the manifest declares the caches and position as state; resetState() starts the stream over', async () => {
    const spec: KvDecodeSpec = { heads: 2, kvHeads: 1, headDim: 16, policy: { sink: 2, window: 8 } };
    const c = compileKvDecodeWasm(spec, { optimize: false });
    expect(c.manifest.state.map((s) => [s.name, s.dtype, s.shape])).toEqual([
      ['k_cache', 'f32', [1, 10, 16]], ['v_cache', 'f32', [1, 10, 16]], ['position', 'i32', [1]],
    ]);
    const model = await load(spec, 1);
    const first = token(spec, 7);
    const a = await step(model, first);
    for (let t = 1; t < 5; t++) await step(model, token(spec, 7 + t));
    expect(await step(model, first)).not.toEqual(a);
    model.resetState();
    expect(await step(model, first)).toEqual(a);
    // With one token seen, attention is v itself for every query head sharing it.
    const v = Array.from(first.v.data as Float32Array);
    for (let h = 0; h < 2; h++) expect(relativeL2(Array.from(a.subarray(h * 16, (h + 1) * 16)), v)).toBeLessThan(1e-6);
  });

  it('refuses query heads that are not a multiple of kv heads', () => {
    expect(() => compileKvDecodeWasm({ heads: 3, kvHeads: 2, headDim: 8, policy: { sink: 0, window: 4 } })).toThrow(/multiple/);
  });
});

describe('KV-cache program with several new tokens per call (Sq > 1: a prompt, causal within the block)', () => {
  const cases: [string, KvDecodeSpec, number][] = [
    ['Sq 7 over sink 2 + window 5 (each block wraps the ring), GQA 4 over 2, d 6', { heads: 4, kvHeads: 2, headDim: 6, valueDim: 3, policy: { sink: 2, window: 5 }, tokens: 7, chunk: 4 }, 9],
    ['Sq 129, plain cache 300 (the third call passes it), MHA 2 heads, d 16', { heads: 2, kvHeads: 2, headDim: 16, policy: { sink: 0, window: 300 }, tokens: 129 }, 4],
    ['Sq 1 next to it: the same program shape at one token, MQA 3 over 1, sink 1 + window 3', { heads: 3, kvHeads: 1, headDim: 8, policy: { sink: 1, window: 3 }, tokens: 1, chunk: 2 }, 12],
    ['Sq 3 over sink 1 + window 1, head dim 1 (each row sees the sink and itself)', { heads: 2, kvHeads: 1, headDim: 1, policy: { sink: 1, window: 1 }, tokens: 3, chunk: 1 }, 5],
  ];
  for (const [name, spec, calls] of cases) {
    it(`${name}: ${calls} calls match the reference and attention recomputed from the stream`, async () => {
      const sq = spec.tokens!;
      const D = spec.headDim, Dv = spec.valueDim ?? D;
      const model = await load(spec);
      let state = emptyKvCache(spec.kvHeads, D, spec.policy, Dv);
      const stream: Map<string, Tensor>[] = [];
      for (let c = 0; c < calls; c++) {
        const x = { q: randomTensor('f32', [spec.heads, sq, D], 3 * c + 1), k: randomTensor('f32', [spec.kvHeads, sq, D], 3 * c + 2), v: randomTensor('f32', [spec.kvHeads, sq, Dv], 3 * c + 3) };
        stream.push(new Map(Object.entries(x)));
        const got = await step(model, x);
        const ref = kvAttentionStep(state, x.q, x.k, x.v, spec.policy);
        state = ref.state;
        expect(relativeL2(Array.from(got), Array.from(ref.output.data as Float32Array)), `call ${c}`).toBeLessThanOrEqual(1e-5);
        expect(relativeL2(Array.from(got), Array.from(recomputed(stream, spec.policy))), `call ${c} (recomputed)`).toBeLessThanOrEqual(1e-5);
      }
      expect(state.position).toBe(calls * sq);
    });
  }
});

