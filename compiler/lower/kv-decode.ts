// Attention over a KV cache held as state (semantics: compiler/interpret/kernels/kv-attention.ts),
// as a whole Program with a CPU-style schedule (grid work items; compiler/lower/gpu/adapter.ts
// spreads them over GPU threads). Each call takes Sq new tokens (Sq = 1: a decode step; Sq > 1:
// a prompt, causal within the block).
//
// State: k_cache [Hkv, C, D], v_cache [Hkv, C, Dv] and position i32[1] (tokens seen), with
// C = sink + window; token t lives in slot t below the sink, else in sink + (t − sink) mod window.
// New row i (token t = position + i) attends over the token p it would see had the tokens been
// appended one at a time: p ≤ t and (p < sink or p > t − window). Old tokens are read from the
// cache as it was before this call, new ones from k and v themselves — so attention reads
// before anything is appended, and a block longer than the window (whose later rows overwrite
// ring slots earlier rows still need) is exact too. Four dispatches, in this order:
//   partial — split-K over the virtual key axis [C cache slots, then the Sq new rows]: one work
//             item per (kv head, new row, chunk) computes, for each of the G = Hq/Hkv query
//             heads sharing that kv head, the chunk's running max m, sum l and unnormalised
//             accumulator acc[Dv] (online softmax), so a long cache fills every thread even with
//             one query row;
//   combine — one work item per (query head, new row) merges the chunks: M = max m_c,
//             out = Σ exp(m_c − M)·acc_c / Σ exp(m_c − M)·l_c (empty chunks have m = −inf);
//   append  — one work item per (kv head, new row) writes the rows the cache keeps after the
//             block (p < sink or p > last − window: distinct slots) — after partial read them;
//   advance — position += Sq, last, after everything that read it.

import { constDim } from '../ir/dim.js';
import {
  KernelBuilder, add, arrayLoad, div, eq, f32, fma, gt, i32, load, max, min, mul, reduceLanes, rem,
  select, splat, store, sub, unary,
} from '../kernel/builder.js';
import type { BufferParam, Expr, Kernel, KType } from '../kernel/ir.js';
import { WASM_TARGET, type Dispatch, type Program, type TargetDescription } from '../kernel/program.js';
import { isGpuTarget } from './gpu/grid.js';
import { buildKvDecodeGpuKernels } from './kv-decode-gpu.js';
import {
  advanceKernel, appendedRowKept, cacheSlotKept, cacheSlotOf, kvDecodeDispatch, kvDecodeValues, kvLayout, newRowKept,
  type KvDecodeSpec, type KvLayout,
} from './kv-decode-layout.js';

export { KV_DECODE_NAMES, type KvDecodeSpec } from './kv-decode-layout.js';

const NEG_INF = f32(-Infinity);
const vecType = (lanes: number): KType => (lanes === 1 ? 'f32' : (`f32x${lanes}` as KType));
const broadcast = (x: Expr, lanes: number): Expr => (lanes === 1 ? x : splat(x, lanes));

/**
 * The program for `target`: on GPU targets the GPU schedule (compiler/lower/kv-decode-gpu.ts)
 * where its workgroup arrays fit, else the CPU kernels (which a GPU target adapts).
 */
export function buildKvDecodeProgram(spec: KvDecodeSpec, target: TargetDescription = WASM_TARGET): Program {
  const gpu = isGpuTarget(target) ? buildKvDecodeGpuKernels(kvLayout(spec, true), target) : undefined;
  const layout = kvLayout(spec, gpu !== undefined);
  const { kernels, dispatches } = gpu ?? buildKvDecodeCpuKernels(layout);
  return { name: layout.name, dims: [], values: kvDecodeValues(layout), kernels, dispatches, inputs: ['q', 'k', 'v'], outputs: ['y'] };
}

/** The CPU schedule: one work item per (kv head, new row, chunk), etc. (the header above). */
export function buildKvDecodeCpuKernels(l: KvLayout): { kernels: Kernel[]; dispatches: Dispatch[] } {
  const { name, Hq, Hkv, G, D, Dv, Sq, C, L, chunk, chunks, scale } = l;
  const kLanes = D % 4 === 0 ? 4 : 1;
  const vLanes = Dv % 4 === 0 ? 4 : 1;
  const dvVectors = Dv / vLanes;

  // ---- partial (split-K) ----
  const partial = new KernelBuilder(`${name}_partial`, [name]);
  {
    const kb = partial;
    const pos = kb.buffer('position', 'i32', 'read');
    const Q = kb.buffer('q', 'f32', 'read');
    const K = kb.buffer('k', 'f32', 'read'), V = kb.buffer('v', 'f32', 'read');
    const KC = kb.buffer('k_cache', 'f32', 'read'), VC = kb.buffer('v_cache', 'f32', 'read');
    const PM = kb.buffer('part_max', 'f32', 'write'), PL = kb.buffer('part_sum', 'f32', 'write');
    const PA = kb.buffer('part_acc', 'f32', 'write');
    kb.loop('item', i32(0), i32(Hkv * Sq * chunks), 'grid.x', (item) => {
      const kvHead = kb.let('kv_head', div(item, i32(Sq * chunks)));
      const row = kb.let('row', Sq === 1 ? i32(0) : rem(div(item, i32(chunks)), i32(Sq)));
      const part = kb.let('chunk', rem(item, i32(chunks)));
      const seen = kb.let('seen', load(pos, i32(0)));
      const start = kb.let('start', mul(part, i32(chunk)));
      const end = kb.let('end', select(eq(part, i32(chunks - 1)), i32(L), add(start, i32(chunk))));
      const rows = Array.from({ length: G }, (_, g) => ({
        head: kb.let(`head${g}`, add(mul(kvHead, i32(G)), i32(g))),
        max: kb.let(`max${g}`, NEG_INF),
        sum: kb.let(`sum${g}`, f32(0)),
      }));
      const qRow = (g: number): Expr => mul(add(mul(rows[g]!.head, i32(Sq)), row), i32(D));
      const acc = kb.array('acc', vecType(vLanes), G * dvVectors, 'private');
      kb.loop('a', i32(0), i32(G * dvVectors), 'serial', (a) => {
        kb.emit({ kind: 'array_store', array: acc, index: a, value: broadcast(f32(0), vLanes) });
      });
      // One key (row kRow of kBuf, vRow of vBuf) into every query head's running softmax.
      const attend = (kBuf: BufferParam, kRow: Expr, vBuf: BufferParam, vRow: Expr): void => {
        const dots = rows.map((_, g) => kb.let(`dot${g}`, broadcast(f32(0), kLanes)));
        kb.loop('c', i32(0), i32(D / kLanes), 'serial', (cc) => {
          const d = mul(cc, i32(kLanes));
          const k = kb.let('kv', load(kBuf, add(kRow, d), kLanes));
          rows.forEach((_, g) => kb.set(dots[g]!, fma(load(Q, add(qRow(g), d), kLanes), k, dots[g]!)));
        });
        const probs = rows.map((r, g) => {
          const score = kb.let(`score${g}`, mul(kLanes === 1 ? dots[g]! : reduceLanes('add', dots[g]!), f32(scale)));
          kb.when(gt(score, r.max), () => {
            const corr = kb.let(`corr${g}`, unary('exp', sub(r.max, score)));
            kb.set(r.sum, mul(r.sum, corr));
            kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
              const at = add(i32(g * dvVectors), d);
              kb.emit({ kind: 'array_store', array: acc, index: at, value: mul(arrayLoad(acc, vecType(vLanes), at), broadcast(corr, vLanes)) });
            });
            kb.set(r.max, score);
          });
          const p = kb.let(`p${g}`, unary('exp', sub(score, r.max)));
          kb.set(r.sum, add(r.sum, p));
          return kb.let(`p${g}_v`, broadcast(p, vLanes));
        });
        kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
          const v = kb.let('vv', load(vBuf, add(vRow, mul(d, i32(vLanes))), vLanes));
          rows.forEach((_, g) => {
            const at = add(i32(g * dvVectors), d);
            kb.emit({ kind: 'array_store', array: acc, index: at, value: fma(probs[g]!, v, arrayLoad(acc, vecType(vLanes), at)) });
          });
        });
      };
      // Cache slots filled before this call (slot j holds a token once j < position). A ring
      // slot's token is `age` tokens older than the last one seen; row i keeps it while
      // age + i ≤ window − 2 (it is newer than t − window).
      kb.loop('slot', start, min(min(end, i32(C)), seen), 'serial', (j) => {
        kb.when(cacheSlotKept(l, j, seen, row), () => {
          attend(KC, mul(add(mul(kvHead, i32(C)), j), i32(D)), VC, mul(add(mul(kvHead, i32(C)), j), i32(Dv)));
        });
      });
      // This call's rows 0..i, straight from k and v (causal within the block).
      kb.loop('key', max(start, i32(C)), min(end, add(i32(C + 1), row)), 'serial', (j) => {
        const m = kb.let('new_row', sub(j, i32(C)));
        const kRow = mul(add(mul(kvHead, i32(Sq)), m), i32(D));
        const vRow = mul(add(mul(kvHead, i32(Sq)), m), i32(Dv));
        // Row m was already dropped for row i when the block is longer than the window.
        const kept = newRowKept(l, m, seen, row);
        if (kept === undefined) attend(K, kRow, V, vRow);
        else kb.when(kept, () => attend(K, kRow, V, vRow));
      });
      rows.forEach((r, g) => {
        const cell = kb.let(`cell${g}`, add(mul(add(mul(r.head, i32(Sq)), row), i32(chunks)), part));
        kb.emit(store(PM, cell, r.max), store(PL, cell, r.sum));
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
    // One work item per output row (query head, new row): cells h·Sq + i.
    kb.loop('out_row', i32(0), i32(Hq * Sq), 'grid.x', (h) => {
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

  // ---- append ----
  const append = new KernelBuilder(`${name}_append`, [name]);
  {
    const kb = append;
    const pos = kb.buffer('position', 'i32', 'read');
    const K = kb.buffer('k', 'f32', 'read'), V = kb.buffer('v', 'f32', 'read');
    const KC = kb.buffer('k_cache', 'f32', 'write'), VC = kb.buffer('v_cache', 'f32', 'write');
    kb.loop('item', i32(0), i32(Hkv * Sq), 'grid.x', (item) => {
      const h = kb.let('head', Sq === 1 ? item : div(item, i32(Sq)));
      const m = kb.let('new_row', Sq === 1 ? i32(0) : rem(item, i32(Sq)));
      const t = kb.let('token', add(load(pos, i32(0)), m));
      const write = (): void => {
        const slot = kb.let('slot', cacheSlotOf(l, t));
        kb.loop('d', i32(0), i32(D), 'serial', (d) => {
          kb.emit(store(KC, add(mul(add(mul(h, i32(C)), slot), i32(D)), d), load(K, add(mul(item, i32(D)), d))));
        });
        kb.loop('d', i32(0), i32(Dv), 'serial', (d) => {
          kb.emit(store(VC, add(mul(add(mul(h, i32(C)), slot), i32(Dv)), d), load(V, add(mul(item, i32(Dv)), d))));
        });
      };
      // A block longer than the window: only its last `window` rows (and sink rows) stay.
      const kept = appendedRowKept(l, m, t);
      if (kept === undefined) write();
      else kb.when(kept, write);
    });
  }

  const kernels = [partial.finish(), combine.finish(), append.finish(), advanceKernel(l)];
  const grids = [Hkv * Sq * chunks, Hq * Sq, Hkv * Sq, 1];
  return { kernels, dispatches: kernels.map((k, i) => kvDecodeDispatch(k, [constDim(grids[i]!)])) };
}
