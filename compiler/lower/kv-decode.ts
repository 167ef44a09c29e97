// The decode step with a KV cache held as state, for Sq = 1 (semantics:
// compiler/interpret/kernels/kv-attention.ts), as a whole Program for the CPU (WASM) schedule.
//
// State: k_cache [Hkv, C, D], v_cache [Hkv, C, Dv] and position i32[1] (tokens seen), with
// C = sink + window. Each run appends the new token's k/v rows and attends its query over
// the L = min(position + 1, C) filled slots. Four dispatches:
//   append  — one work item per (kv head, d): writes the new rows at the token's slot;
//   partial — split-K: one work item per (kv head, chunk of `chunk` slots) computes, for each
//             of the G = Hq/Hkv query heads sharing that kv head, the chunk's running max m,
//             sum l and unnormalised accumulator acc[Dv] (online softmax), so a long cache
//             fills every thread even with one query row;
//   combine — one work item per query head merges the chunks: M = max m_c,
//             out = Σ exp(m_c − M)·acc_c / Σ exp(m_c − M)·l_c (empty chunks have m = −inf);
//   advance — position += 1, last, after everything that read it.

import { constDim, type Dim } from '../ir/dim.js';
import {
  KernelBuilder, add, arrayLoad, div, eq, f32, fma, gt, i32, load, lt, max, min, mul, reduceLanes, rem, select,
  splat, store, sub, unary,
} from '../kernel/builder.js';
import type { Expr, KType } from '../kernel/ir.js';
import type { Dispatch, Program, ProgramValue } from '../kernel/program.js';
import type { KvCachePolicy } from '../interpret/kernels/kv-attention.js';

export interface KvDecodeSpec {
  readonly name?: string;
  /** Query heads (a multiple of kvHeads: grouped-query attention when larger). */
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Value head dim (default headDim). */
  readonly valueDim?: number;
  readonly policy: KvCachePolicy;
  /** Default 1/sqrt(headDim). */
  readonly scale?: number;
  /** Cache slots per split-K work item (default 64). */
  readonly chunk?: number;
}

/** Names the program gives its inputs, output and state (the manifest's names). */
export const KV_DECODE_NAMES = { q: 'q', k: 'k', v: 'v', out: 'y', kCache: 'k_cache', vCache: 'v_cache', position: 'position' } as const;

const NEG_INF = f32(-Infinity);
const vecType = (lanes: number): KType => (lanes === 1 ? 'f32' : (`f32x${lanes}` as KType));
const broadcast = (x: Expr, lanes: number): Expr => (lanes === 1 ? x : splat(x, lanes));

export function buildKvDecodeProgram(spec: KvDecodeSpec): Program {
  const { heads: Hq, kvHeads: Hkv, headDim: D, policy } = spec;
  const Dv = spec.valueDim ?? D;
  const name = spec.name ?? 'KvDecode';
  if (Hkv < 1 || Hq % Hkv !== 0) throw new Error(`kv decode: query heads (${Hq}) must be a multiple of kv heads (${Hkv})`);
  if (policy.window < 1 || policy.sink < 0) throw new Error('kv decode: the window must be ≥ 1 and the sink ≥ 0');
  const G = Hq / Hkv;
  const C = policy.sink + policy.window;
  const chunk = spec.chunk ?? 64;
  const chunks = Math.ceil(C / chunk);
  const scale = spec.scale ?? 1 / Math.sqrt(D);
  const kLanes = D % 4 === 0 ? 4 : 1;
  const vLanes = Dv % 4 === 0 ? 4 : 1;
  const dvVectors = Dv / vLanes;
  const n = KV_DECODE_NAMES;

  const c = (x: number): Dim => constDim(x);
  const values: ProgramValue[] = [
    { id: 'q', role: 'input', name: n.q, dtype: 'f32', shape: [c(Hq), c(1), c(D)] },
    { id: 'k', role: 'input', name: n.k, dtype: 'f32', shape: [c(Hkv), c(1), c(D)] },
    { id: 'v', role: 'input', name: n.v, dtype: 'f32', shape: [c(Hkv), c(1), c(Dv)] },
    { id: 'k_cache', role: 'state', name: n.kCache, dtype: 'f32', shape: [c(Hkv), c(C), c(D)] },
    { id: 'v_cache', role: 'state', name: n.vCache, dtype: 'f32', shape: [c(Hkv), c(C), c(Dv)] },
    { id: 'position', role: 'state', name: n.position, dtype: 'i32', shape: [c(1)] },
    { id: 'part_max', role: 'temp', name: 'part_max', dtype: 'f32', shape: [c(Hq), c(chunks)] },
    { id: 'part_sum', role: 'temp', name: 'part_sum', dtype: 'f32', shape: [c(Hq), c(chunks)] },
    { id: 'part_acc', role: 'temp', name: 'part_acc', dtype: 'f32', shape: [c(Hq), c(chunks), c(Dv)] },
    { id: 'y', role: 'output', name: n.out, dtype: 'f32', shape: [c(Hq), c(1), c(Dv)] },
  ];

  // Token t's slot: t below the sink, else the ring after it.
  const slotOf = (t: Expr): Expr =>
    select(lt(t, i32(policy.sink)), t, add(i32(policy.sink), rem(sub(t, i32(policy.sink)), i32(policy.window))));

  // ---- append ----
  const append = new KernelBuilder(`${name}_append`, [name]);
  {
    const kb = append;
    const pos = kb.buffer('position', 'i32', 'read');
    const K = kb.buffer('k', 'f32', 'read'), V = kb.buffer('v', 'f32', 'read');
    const KC = kb.buffer('k_cache', 'f32', 'write'), VC = kb.buffer('v_cache', 'f32', 'write');
    kb.loop('head', i32(0), i32(Hkv), 'grid.x', (h) => {
      const slot = kb.let('slot', slotOf(load(pos, i32(0))));
      kb.loop('d', i32(0), i32(D), 'serial', (d) => {
        kb.emit(store(KC, add(mul(add(mul(h, i32(C)), slot), i32(D)), d), load(K, add(mul(h, i32(D)), d))));
      });
      kb.loop('d', i32(0), i32(Dv), 'serial', (d) => {
        kb.emit(store(VC, add(mul(add(mul(h, i32(C)), slot), i32(Dv)), d), load(V, add(mul(h, i32(Dv)), d))));
      });
    });
  }

  // ---- partial (split-K) ----
  const partial = new KernelBuilder(`${name}_partial`, [name]);
  {
    const kb = partial;
    const pos = kb.buffer('position', 'i32', 'read');
    const Q = kb.buffer('q', 'f32', 'read');
    const KC = kb.buffer('k_cache', 'f32', 'read'), VC = kb.buffer('v_cache', 'f32', 'read');
    const PM = kb.buffer('part_max', 'f32', 'write'), PL = kb.buffer('part_sum', 'f32', 'write');
    const PA = kb.buffer('part_acc', 'f32', 'write');
    kb.loop('item', i32(0), i32(Hkv * chunks), 'grid.x', (item) => {
      const kvHead = kb.let('kv_head', div(item, i32(chunks)));
      const part = kb.let('chunk', rem(item, i32(chunks)));
      const filled = kb.let('filled', min(add(load(pos, i32(0)), i32(1)), i32(C)));
      const start = kb.let('start', mul(part, i32(chunk)));
      const end = kb.let('end', min(add(start, i32(chunk)), filled));
      const rows = Array.from({ length: G }, (_, g) => ({
        head: kb.let(`head${g}`, add(mul(kvHead, i32(G)), i32(g))),
        max: kb.let(`max${g}`, NEG_INF),
        sum: kb.let(`sum${g}`, f32(0)),
      }));
      const acc = kb.array('acc', vecType(vLanes), G * dvVectors, 'private');
      kb.loop('a', i32(0), i32(G * dvVectors), 'serial', (a) => {
        kb.emit({ kind: 'array_store', array: acc, index: a, value: broadcast(f32(0), vLanes) });
      });
      kb.loop('key', start, end, 'serial', (j) => {
        const kRow = kb.let('k_row', mul(add(mul(kvHead, i32(C)), j), i32(D)));
        const vRow = kb.let('v_row', mul(add(mul(kvHead, i32(C)), j), i32(Dv)));
        const dots = rows.map((_, g) => kb.let(`dot${g}`, broadcast(f32(0), kLanes)));
        kb.loop('c', i32(0), i32(D / kLanes), 'serial', (cc) => {
          const d = mul(cc, i32(kLanes));
          const k = kb.let('kv', load(KC, add(kRow, d), kLanes));
          rows.forEach((row, g) => {
            const q = load(Q, add(mul(row.head, i32(D)), d), kLanes);
            kb.set(dots[g]!, fma(q, k, dots[g]!));
          });
        });
        const probs = rows.map((row, g) => {
          const score = kb.let(`score${g}`, mul(kLanes === 1 ? dots[g]! : reduceLanes('add', dots[g]!), f32(scale)));
          kb.when(gt(score, row.max), () => {
            const corr = kb.let(`corr${g}`, unary('exp', sub(row.max, score)));
            kb.set(row.sum, mul(row.sum, corr));
            kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
              const at = add(i32(g * dvVectors), d);
              kb.emit({ kind: 'array_store', array: acc, index: at, value: mul(arrayLoad(acc, vecType(vLanes), at), broadcast(corr, vLanes)) });
            });
            kb.set(row.max, score);
          });
          const p = kb.let(`p${g}`, unary('exp', sub(score, row.max)));
          kb.set(row.sum, add(row.sum, p));
          return kb.let(`p${g}_v`, broadcast(p, vLanes));
        });
        kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
          const v = kb.let('vv', load(VC, add(vRow, mul(d, i32(vLanes))), vLanes));
          rows.forEach((_, g) => {
            const at = add(i32(g * dvVectors), d);
            kb.emit({ kind: 'array_store', array: acc, index: at, value: fma(probs[g]!, v, arrayLoad(acc, vecType(vLanes), at)) });
          });
        });
      });
      rows.forEach((row, g) => {
        const cell = kb.let(`cell${g}`, add(mul(row.head, i32(chunks)), part));
        kb.emit(store(PM, cell, row.max), store(PL, cell, row.sum));
        kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
          kb.emit(store(PA, add(mul(cell, i32(Dv)), mul(d, i32(vLanes))), arrayLoad(acc, vecType(vLanes), add(i32(g * dvVectors), d))));
        });
      });
    });
  }

  // ---- combine ----
  const combine = new KernelBuilder(`${name}_combine`, [name]);
  {
    const kb = combine;
    const PM = kb.buffer('part_max', 'f32', 'read'), PL = kb.buffer('part_sum', 'f32', 'read');
    const PA = kb.buffer('part_acc', 'f32', 'read');
    const O = kb.buffer('y', 'f32', 'write');
    kb.loop('head', i32(0), i32(Hq), 'grid.x', (h) => {
      const base = kb.let('base', mul(h, i32(chunks)));
      const top = kb.let('top', NEG_INF);
      kb.loop('c', i32(0), i32(chunks), 'serial', (cc) => kb.set(top, max(top, load(PM, add(base, cc)))));
      const total = kb.let('total', f32(0));
      const out = kb.array('out', vecType(vLanes), dvVectors, 'private');
      kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
        kb.emit({ kind: 'array_store', array: out, index: d, value: broadcast(f32(0), vLanes) });
      });
      kb.loop('c', i32(0), i32(chunks), 'serial', (cc) => {
        const m = kb.let('m', load(PM, add(base, cc)));
        // An empty chunk (m = −inf) weighs nothing; exp(−inf − M) is 0 already unless M is −inf too.
        const w = kb.let('w', select(eq(m, NEG_INF), f32(0), unary('exp', sub(m, top))));
        kb.set(total, fma(w, load(PL, add(base, cc)), total));
        const wv = kb.let('wv', broadcast(w, vLanes));
        kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
          const a = load(PA, add(mul(add(base, cc), i32(Dv)), mul(d, i32(vLanes))), vLanes);
          kb.emit({ kind: 'array_store', array: out, index: d, value: fma(wv, a, arrayLoad(out, vecType(vLanes), d)) });
        });
      });
      const inv = kb.let('inv', broadcast(select(eq(total, f32(0)), f32(0), div(f32(1), total)), vLanes));
      kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
        kb.emit(store(O, add(mul(h, i32(Dv)), mul(d, i32(vLanes))), mul(arrayLoad(out, vecType(vLanes), d), inv)));
      });
    });
  }

  // ---- advance ----
  const advance = new KernelBuilder(`${name}_advance`, [name]);
  {
    const kb = advance;
    const pos = kb.buffer('position', 'i32', 'read_write');
    kb.loop('item', i32(0), i32(1), 'grid.x', () => {
      kb.emit(store(pos, i32(0), add(load(pos, i32(0)), i32(1))));
    });
  }

  const kernels = [append.finish(), partial.finish(), combine.finish(), advance.finish()];
  // Buffer parameters are named after the values they bind.
  const dispatch = (kernelIndex: number, grid: number): Dispatch => {
    const k = kernels[kernelIndex]!;
    return { kernel: k.name, buffers: Object.fromEntries(k.buffers.map((b) => [b.name, b.name])), uniforms: {}, grid: [c(grid)] };
  };
  return {
    name,
    dims: [],
    values,
    kernels,
    dispatches: [dispatch(0, Hkv), dispatch(1, Hkv * chunks), dispatch(2, Hq), dispatch(3, 1)],
    inputs: ['q', 'k', 'v'],
    outputs: ['y'],
  };
}
