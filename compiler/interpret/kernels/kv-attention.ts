// Reference semantics of attention over a KV cache held as state (the oracle for
// compiler/lower/kv-decode.ts). State is passed in and out explicitly.
//
// The cache keeps, of all tokens seen so far, the first `sink` and the last `window` (a ring
// buffer of `window` slots after the sink slots): token t lives in slot t when t < sink, else
// in slot sink + (t - sink) mod window. Capacity is sink + window; a plain cache of length
// maxLen is sink 0, window maxLen (once full it keeps the last maxLen tokens). Each new token
// is appended, then its query attends over every token the cache keeps at that moment — so
// within a block of new tokens attention is causal, and order inside the cache is irrelevant
// (softmax over a set).

import { tensor, type Tensor } from '../tensor.js';
import { attention } from './attention.js';

export interface KvCachePolicy {
  /** Tokens kept from the start of the stream. */
  readonly sink: number;
  /** Most recent tokens kept (≥ 1). */
  readonly window: number;
}

export interface KvCacheState {
  /** [Hkv, sink + window, D] */
  readonly k: Tensor;
  /** [Hkv, sink + window, Dv] */
  readonly v: Tensor;
  /** Tokens seen so far. */
  readonly position: number;
}

export function cacheCapacity(policy: KvCachePolicy): number {
  return policy.sink + policy.window;
}

/** The slot of token `t` under the policy. */
export function cacheSlot(t: number, policy: KvCachePolicy): number {
  return t < policy.sink ? t : policy.sink + ((t - policy.sink) % policy.window);
}

/** Tokens (positions) the cache holds right after token `t` was appended, ascending. */
export function keptPositions(t: number, policy: KvCachePolicy): number[] {
  const out: number[] = [];
  for (let p = 0; p < Math.min(policy.sink, t + 1); p++) out.push(p);
  for (let p = Math.max(policy.sink, t - policy.window + 1); p <= t; p++) out.push(p);
  return out;
}

/** An empty cache (zeros, position 0), as after loading or resetState(). */
export function emptyKvCache(kvHeads: number, headDim: number, policy: KvCachePolicy, valueDim = headDim): KvCacheState {
  const c = cacheCapacity(policy);
  return {
    k: tensor('f32', [kvHeads, c, headDim], new Float32Array(kvHeads * c * headDim)),
    v: tensor('f32', [kvHeads, c, valueDim], new Float32Array(kvHeads * c * valueDim)),
    position: 0,
  };
}

/**
 * One call: q [Hq, Sq, D], k [Hkv, Sq, D], v [Hkv, Sq, Dv] for Sq new tokens. Returns the
 * output [Hq, Sq, Dv] and the new state (the old one is not changed).
 */
export function kvAttentionStep(
  state: KvCacheState, q: Tensor, k: Tensor, v: Tensor, policy: KvCachePolicy, scale?: number,
): { output: Tensor; state: KvCacheState } {
  const [hq, sq, d] = q.shape as [number, number, number];
  const hkv = k.shape[0]!;
  const dv = v.shape[2]!;
  const cap = cacheCapacity(policy);
  const kc = Float32Array.from(state.k.data as Float32Array);
  const vc = Float32Array.from(state.v.data as Float32Array);
  const out = new Float32Array(hq * sq * dv);
  const kd = k.data as Float32Array, vd = v.data as Float32Array, qd = q.data as Float32Array;
  for (let i = 0; i < sq; i++) {
    const t = state.position + i;
    const slot = cacheSlot(t, policy);
    for (let h = 0; h < hkv; h++) {
      kc.set(kd.subarray((h * sq + i) * d, (h * sq + i + 1) * d), (h * cap + slot) * d);
      vc.set(vd.subarray((h * sq + i) * dv, (h * sq + i + 1) * dv), (h * cap + slot) * dv);
    }
    // The query of token t over the kept rows, through the plain attention reference.
    const slots = keptPositions(t, policy).map((p) => cacheSlot(p, policy));
    const keys = new Float32Array(hkv * slots.length * d);
    const values = new Float32Array(hkv * slots.length * dv);
    for (let h = 0; h < hkv; h++) {
      slots.forEach((s, j) => {
        keys.set(kc.subarray((h * cap + s) * d, (h * cap + s + 1) * d), (h * slots.length + j) * d);
        values.set(vc.subarray((h * cap + s) * dv, (h * cap + s + 1) * dv), (h * slots.length + j) * dv);
      });
    }
    const query = new Float32Array(hq * d);
    for (let h = 0; h < hq; h++) query.set(qd.subarray((h * sq + i) * d, (h * sq + i + 1) * d), h * d);
    const o = attention(
      tensor('f32', [hq, 1, d], query), tensor('f32', [hkv, slots.length, d], keys), tensor('f32', [hkv, slots.length, dv], values),
      { causal: false, scale, mask: undefined },
    ).data as Float32Array;
    for (let h = 0; h < hq; h++) out.set(o.subarray(h * dv, (h + 1) * dv), (h * sq + i) * dv);
  }
  return {
    output: tensor('f32', [hq, sq, dv], out),
    state: { k: tensor('f32', state.k.shape, kc), v: tensor('f32', state.v.shape, vc), position: state.position + sq },
  };
}
