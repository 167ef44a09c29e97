// Shared pieces of the KV-cache tests: a graph with one kv_attention, seeded calls of Sq new
// tokens, and the reference that recomputes attention from the whole stream (each new row
// over the tokens the policy keeps at its position), independent of any cache layout.

import { expect } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { attention } from '../../../compiler/interpret/kernels/attention.js';
import { keptPositions, type KvCachePolicy } from '../../../compiler/interpret/kernels/kv-attention.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { relativeL2 } from '../../helpers/close.js';
import { randomTensor } from '../../helpers/random.js';

export interface KvCase {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly valueDim: number;
  readonly sink: number;
  readonly window: number;
  /** New tokens per call (Sq, default 1). */
  readonly tokens?: number;
  readonly scale?: number;
}

/** y = kv_attention(q, k, v) with q [Hq, Sq, D], k [Hkv, Sq, D], v [Hkv, Sq, Dv]. */
export function kvGraph(s: KvCase): Graph {
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

/** Call `seed`'s inputs: Sq fresh random rows of q, k and v. */
export function kvCall(s: KvCase, seed: number): Map<string, Tensor> {
  const sq = s.tokens ?? 1;
  return new Map([
    ['q', randomTensor('f32', [s.heads, sq, s.headDim], 3 * seed + 1)],
    ['k', randomTensor('f32', [s.kvHeads, sq, s.headDim], 3 * seed + 2)],
    ['v', randomTensor('f32', [s.kvHeads, sq, s.valueDim], 3 * seed + 3)],
  ]);
}

/** Row `i` of a [H, Sq, d] tensor as [H, 1, d]. */
function rowOf(x: Tensor, i: number): Tensor {
  const [h, sq, d] = x.shape as [number, number, number];
  const out = new Float32Array(h * d);
  for (let head = 0; head < h; head++) out.set((x.data as Float32Array).subarray((head * sq + i) * d, (head * sq + i + 1) * d), head * d);
  return tensor('f32', [h, 1, d], out);
}

/** Token rows `positions` of a stream of [H, 1, d] rows stacked as [H, positions, d]. */
function stack(rows: readonly Tensor[], positions: readonly number[]): Tensor {
  const [h, , d] = rows[0]!.shape as [number, number, number];
  const out = new Float32Array(h * positions.length * d);
  for (let head = 0; head < h; head++) {
    positions.forEach((p, j) => out.set((rows[p]!.data as Float32Array).subarray(head * d, (head + 1) * d), (head * positions.length + j) * d));
  }
  return tensor('f32', [h, positions.length, d], out);
}

/**
 * The output of the last of `calls` recomputed from scratch: each of its rows (token t) is
 * plain attention over the stream's tokens the policy keeps at t (all tokens ≤ t for a cache
 * that never fills).
 */
export function recomputed(calls: readonly ReadonlyMap<string, Tensor>[], policy: KvCachePolicy, scale?: number): Float32Array {
  const rows = (name: string) => calls.flatMap((c) => Array.from({ length: c.get(name)!.shape[1]! }, (_, i) => rowOf(c.get(name)!, i)));
  const qs = rows('q'), ks = rows('k'), vs = rows('v');
  const last = calls[calls.length - 1]!.get('q')!.shape[1]!;
  const [hq] = qs[0]!.shape as [number];
  const dv = vs[0]!.shape[2]!;
  const out = new Float32Array(hq * last * dv);
  for (let i = 0; i < last; i++) {
    const t = qs.length - last + i;
    const kept = keptPositions(t, policy);
    const o = attention(qs[t]!, stack(ks, kept), stack(vs, kept), { causal: false, scale, mask: undefined }).data as Float32Array;
    for (let h = 0; h < hq; h++) out.set(o.subarray(h * dv, (h + 1) * dv), (h * last + i) * dv);
  }
  return out;
}

/** MHA, GQA and MQA with odd dims, policies that wrap within a few calls, and prompts of 7. */
export const KV_CASES: [string, KvCase][] = [
  ['MHA, 3 heads, d 8, plain cache 64', { heads: 3, kvHeads: 3, headDim: 8, valueDim: 8, sink: 0, window: 64 }],
  ['GQA, 6 query heads over 2 kv heads, d 7, Dv 5, sink 2 + window 6', { heads: 6, kvHeads: 2, headDim: 7, valueDim: 5, sink: 2, window: 6, scale: 0.3 }],
  ['MQA, 4 query heads over 1 kv head, d 16, sink 1 + window 4', { heads: 4, kvHeads: 1, headDim: 16, valueDim: 16, sink: 1, window: 4 }],
  ['prompts of 7 tokens, GQA 4 over 2, d 4, sink 2 + window 5 (a block wraps the ring)', { heads: 4, kvHeads: 2, headDim: 4, valueDim: 4, sink: 2, window: 5, tokens: 7 }],
];

/** Weights for examples/decode-step.sluice (D = 64), scaled like trained projections. */
export function exampleWeights(): Map<string, Tensor> {
  return new Map(['wq', 'wk', 'wv', 'wo'].map((n, i) => {
    const w = randomTensor('f32', [64, 64], 50 + i);
    return [n, { ...w, data: (w.data as Float32Array).map((x) => x / 8) }] as const;
  }));
}

/** The interpreter's outputs for `calls` in order, its cache kept from call to call. */
export function interpreted(graph: Graph, calls: readonly Map<string, Tensor>[]): Float32Array[] {
  const state = new Map<string, unknown>();
  return calls.map((inputs) => Float32Array.from(toNumbers(interpret(graph, inputs, new Map(), { state }).outputs.get('y')!)));
}

/** Checks every call's output against the interpreter's and against recomputed attention. */
export function expectMatches(s: KvCase, calls: readonly Map<string, Tensor>[], got: readonly Float32Array[], tolerance = 1e-4): void {
  const want = interpreted(kvGraph(s), calls);
  got.forEach((y, c) => {
    expect(relativeL2(Array.from(y), Array.from(want[c]!)), `call ${c} vs the interpreter`).toBeLessThanOrEqual(tolerance);
    expect(relativeL2(Array.from(y), Array.from(recomputed(calls.slice(0, c + 1), s, s.scale))), `call ${c} vs recomputed`).toBeLessThanOrEqual(tolerance);
  });
}
