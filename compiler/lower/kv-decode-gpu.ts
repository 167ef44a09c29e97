// The GPU schedule of the KV-cache program (sizes, masks and the order of its dispatches:
// kv-decode.ts and kv-decode-layout.ts). Flash-decoding: the split-K structure already gives
// Hkv · Sq · ⌈(C + Sq) / chunk⌉ independent pieces, so each becomes a workgroup whose threads
// share the chunk's keys.
//   partial — a workgroup per (kv head, new row, chunk) of `chunk` threads, one key each: the
//             G query rows sharing the kv head are staged in workgroup memory, each thread
//             scores its key for all G heads (−inf where the key is not attended), the chunk's
//             max per head is a workgroup reduction, p = exp(s − max) replaces the scores in
//             place, and then the threads go across (head, value dim) pairs, each summing
//             p · V over the chunk's keys (V rows read across threads: coalesced);
//   combine — a workgroup per (query head, new row): the chunk weights exp(m_c − M) (M = max m_c)
//             once in workgroup memory, then threads across the value dim merge the partials;
//   append  — a workgroup per (kv head, new row), threads across the head dim.
// The advance kernel (one work item) stays the CPU one, adapted. Returns undefined when the
// workgroup arrays do not fit the target (the caller keeps the CPU schedule).

import { constDim, type Dim } from '../ir/dim.js';
import {
  KernelBuilder, add, and, arrayLoad, div, eq, f32, fma, ge, i32, le, load, lt, max, min, mul, rem, select, store, sub, unary,
} from '../kernel/builder.js';
import type { BufferParam, Expr, Kernel } from '../kernel/ir.js';
import type { Dispatch, TargetDescription } from '../kernel/program.js';
import type { UniformDims } from './uniforms.js';
import { threadLoop, workgroupGrid } from './gpu/grid.js';
import { advanceKernel, appendedRowKept, cacheSlotKept, cacheSlotOf, kvDecodeDispatch, newRowKept, type KvLayout } from './kv-decode-layout.js';

const NEG_INF = f32(-Infinity);
/** Threads of a combine or append workgroup for rows of n elements: a warp for short rows, two for longer ones. */
const rowThreads = (n: number): number => (n > 32 ? 64 : 32);

/** Workgroup memory of the partial kernel (the staged q rows, the scores, the per-head max) and of combine (the chunk weights). */
export function kvWorkgroupBytes(l: KvLayout): number {
  return 4 * Math.max(l.G * l.D + l.G * l.chunk + l.G, l.chunks);
}

export function buildKvDecodeGpuKernels(l: KvLayout, target: TargetDescription): { kernels: Kernel[]; dispatches: Dispatch[] } | undefined {
  if (l.chunk > (target.maxWorkgroupInvocations ?? 256) || kvWorkgroupBytes(l) > (target.maxWorkgroupStorageBytes ?? 16 * 1024)) return undefined;
  const built: Built[] = [partialKernel(l), combineKernel(l), appendKernel(l), { kernel: advanceKernel(l), grid: [constDim(1)] }];
  return {
    kernels: built.map((b) => b.kernel),
    dispatches: built.map((b) => kvDecodeDispatch(b.kernel, b.grid)),
  };
}

type Built = { readonly kernel: Kernel; readonly grid: readonly Dim[] };

function partialKernel(l: KvLayout): Built {
  const { name, Hkv, G, D, Dv, Sq, C, chunk: T, chunks, scale } = l;
  const kb = new KernelBuilder(`${name}_partial`, [name]);
  const uniforms: UniformDims = new Map();
  const pos = kb.buffer('position', 'i32', 'read');
  const Q = kb.buffer('q', 'f32', 'read');
  const K = kb.buffer('k', 'f32', 'read'), V = kb.buffer('v', 'f32', 'read');
  const KC = kb.buffer('k_cache', 'f32', 'read'), VC = kb.buffer('v_cache', 'f32', 'read');
  const PM = kb.buffer('part_max', 'f32', 'write'), PL = kb.buffer('part_sum', 'f32', 'write');
  const PA = kb.buffer('part_acc', 'f32', 'write');
  const grid = workgroupGrid(kb, uniforms, constDim(Hkv * Sq * chunks), (wg) => {
    const kvHead = kb.let('kv_head', div(wg, i32(Sq * chunks)));
    const row = kb.let('row', Sq === 1 ? i32(0) : rem(div(wg, i32(chunks)), i32(Sq)));
    const part = kb.let('chunk', rem(wg, i32(chunks)));
    const start = kb.let('start', mul(part, i32(T)));
    const qTile = kb.array('q_tile', 'f32', G * D, 'workgroup');
    const scores = kb.array('scores', 'f32', G * T, 'workgroup');
    const headMax = kb.array('head_max', 'f32', G, 'workgroup');
    // The partials' cell of query head g (of this kv head) for this row and chunk.
    const cell = (g: Expr): Expr => add(mul(add(mul(add(mul(kvHead, i32(G)), g), i32(Sq)), row), i32(chunks)), part);
    threadLoop(kb, T, (t) => {
      const seen = kb.let('seen', load(pos, i32(0)));
      kb.loop('e', t, i32(G * D), 'serial', (e) => {
        const head = add(mul(kvHead, i32(G)), div(e, i32(D)));
        kb.emit({ kind: 'array_store', array: qTile, index: e, value: load(Q, add(mul(add(mul(head, i32(Sq)), row), i32(D)), rem(e, i32(D)))) });
      }, T);
      kb.emit({ kind: 'barrier' });

      // This thread's key: cache slot j (filled before this call) or this call's row j − C.
      const j = kb.let('key', add(start, t));
      const score = Array.from({ length: G }, (_, g) => kb.let(`score${g}`, NEG_INF));
      const scoreKey = (buffer: BufferParam, rowBase: Expr): void => {
        const dots = score.map((_, g) => kb.let(`dot${g}`, f32(0)));
        kb.loop('d', i32(0), i32(D), 'serial', (d) => {
          const k = kb.let('k_d', load(buffer, add(rowBase, d)));
          dots.forEach((dot, g) => kb.set(dot, fma(arrayLoad(qTile, 'f32', add(i32(g * D), d)), k, dot)));
        });
        dots.forEach((dot, g) => kb.set(score[g]!, mul(dot, f32(scale))));
      };
      kb.when(and(lt(j, i32(C)), lt(j, seen)), () => {
        kb.when(cacheSlotKept(l, j, seen, row), () => scoreKey(KC, mul(add(mul(kvHead, i32(C)), j), i32(D))));
      }, () => {
        const m = kb.let('new_row', sub(j, i32(C)));
        kb.when(and(ge(m, i32(0)), le(m, row)), () => {
          const kept = newRowKept(l, m, seen, row);
          const body = (): void => scoreKey(K, mul(add(mul(kvHead, i32(Sq)), m), i32(D)));
          if (kept === undefined) body();
          else kb.when(kept, body);
        });
      });
      score.forEach((s, g) => kb.emit({ kind: 'array_store', array: scores, index: add(i32(g * T), t), value: s }));
      kb.emit({ kind: 'barrier' });

      // Thread g < G: head g's max over the chunk.
      kb.when(lt(t, i32(G)), () => {
        const top = kb.let('top', NEG_INF);
        kb.loop('jj', i32(0), i32(T), 'serial', (jj) => kb.set(top, max(top, arrayLoad(scores, 'f32', add(mul(t, i32(T)), jj)))));
        kb.emit({ kind: 'array_store', array: headMax, index: t, value: top });
      });
      kb.emit({ kind: 'barrier' });
      // Scores → p = exp(s − max) in place; a key not attended (−inf) weighs 0 (and an all −inf chunk stays 0, not NaN).
      for (let g = 0; g < G; g++) {
        const at = add(i32(g * T), t);
        const s = kb.let('s', arrayLoad(scores, 'f32', at));
        kb.emit({ kind: 'array_store', array: scores, index: at, value: select(eq(s, NEG_INF), f32(0), unary('exp', sub(s, arrayLoad(headMax, 'f32', i32(g))))) });
      }
      kb.emit({ kind: 'barrier' });

      kb.when(lt(t, i32(G)), () => {
        const sum = kb.let('sum', f32(0));
        kb.loop('jj', i32(0), i32(T), 'serial', (jj) => kb.set(sum, add(sum, arrayLoad(scores, 'f32', add(mul(t, i32(T)), jj)))));
        const at = kb.let('cell', cell(t));
        kb.emit(store(PM, at, arrayLoad(headMax, 'f32', t)), store(PL, at, sum));
      });
      // Σ p · V over the chunk's keys that can be attended: cache slots below min(C, seen), then new rows up to this row.
      const cacheKeys = kb.let('cache_keys', max(i32(0), min(i32(T), sub(min(i32(C), seen), start))));
      const newFrom = kb.let('new_from', max(i32(0), sub(i32(C), start)));
      const newTo = kb.let('new_to', min(i32(T), sub(add(i32(C + 1), row), start)));
      kb.loop('e', t, i32(G * Dv), 'serial', (e) => {
        const g = kb.let('g', div(e, i32(Dv)));
        const d = kb.let('dv', rem(e, i32(Dv)));
        const acc = kb.let('acc', f32(0));
        const pAt = (jj: Expr): Expr => arrayLoad(scores, 'f32', add(mul(g, i32(T)), jj));
        kb.loop('jj', i32(0), cacheKeys, 'serial', (jj) =>
          kb.set(acc, fma(pAt(jj), load(VC, add(mul(add(mul(kvHead, i32(C)), add(start, jj)), i32(Dv)), d)), acc)));
        kb.loop('jj', newFrom, newTo, 'serial', (jj) =>
          kb.set(acc, fma(pAt(jj), load(V, add(mul(add(mul(kvHead, i32(Sq)), sub(add(start, jj), i32(C))), i32(Dv)), d)), acc)));
        kb.emit(store(PA, add(mul(cell(g), i32(Dv)), d), acc));
      }, T);
    });
  });
  return { kernel: kb.finish(), grid };
}

function combineKernel(l: KvLayout): Built {
  const { name, Hq, Dv, Sq, chunks } = l;
  const kb = new KernelBuilder(`${name}_combine`, [name]);
  const uniforms: UniformDims = new Map();
  const PM = kb.buffer('part_max', 'f32', 'read'), PL = kb.buffer('part_sum', 'f32', 'read');
  const PA = kb.buffer('part_acc', 'f32', 'read');
  const O = kb.buffer('y', 'f32', 'write');
  const threads = rowThreads(Dv);
  const grid = workgroupGrid(kb, uniforms, constDim(Hq * Sq), (outRow) => {
    const weights = kb.array('weights', 'f32', chunks, 'workgroup');
    threadLoop(kb, threads, (t) => {
      const base = kb.let('base', mul(outRow, i32(chunks)));
      const top = kb.let('top', NEG_INF);
      kb.loop('c', i32(0), i32(chunks), 'serial', (c) => kb.set(top, max(top, load(PM, add(base, c)))));
      // Chunk weights exp(m_c − M), once per workgroup; an empty chunk (m = −inf) weighs 0.
      kb.loop('c', t, i32(chunks), 'serial', (c) => {
        const m = kb.let('m', load(PM, add(base, c)));
        kb.emit({ kind: 'array_store', array: weights, index: c, value: select(eq(m, NEG_INF), f32(0), unary('exp', sub(m, top))) });
      }, threads);
      kb.emit({ kind: 'barrier' });
      const w = (c: Expr): Expr => arrayLoad(weights, 'f32', c);
      const total = kb.let('total', f32(0));
      kb.loop('c', i32(0), i32(chunks), 'serial', (c) => kb.set(total, fma(w(c), load(PL, add(base, c)), total)));
      const inv = kb.let('inv', select(eq(total, f32(0)), f32(0), div(f32(1), total)));
      kb.loop('d', t, i32(Dv), 'serial', (d) => {
        const out = kb.let('out', f32(0));
        kb.loop('c', i32(0), i32(chunks), 'serial', (c) => kb.set(out, fma(w(c), load(PA, add(mul(add(base, c), i32(Dv)), d)), out)));
        kb.emit(store(O, add(mul(outRow, i32(Dv)), d), mul(out, inv)));
      }, threads);
    });
  });
  return { kernel: kb.finish(), grid };
}

function appendKernel(l: KvLayout): Built {
  const { name, Hkv, D, Dv, Sq, C } = l;
  const kb = new KernelBuilder(`${name}_append`, [name]);
  const uniforms: UniformDims = new Map();
  const pos = kb.buffer('position', 'i32', 'read');
  const K = kb.buffer('k', 'f32', 'read'), V = kb.buffer('v', 'f32', 'read');
  const KC = kb.buffer('k_cache', 'f32', 'write'), VC = kb.buffer('v_cache', 'f32', 'write');
  const threads = rowThreads(Math.max(D, Dv));
  // Workgroup item = kv head · Sq + new row, the row's index in k and v.
  const grid = workgroupGrid(kb, uniforms, constDim(Hkv * Sq), (item) => {
    threadLoop(kb, threads, (t) => {
      const h = kb.let('head', Sq === 1 ? item : div(item, i32(Sq)));
      const m = kb.let('new_row', Sq === 1 ? i32(0) : rem(item, i32(Sq)));
      const token = kb.let('token', add(load(pos, i32(0)), m));
      const write = (): void => {
        const slot = kb.let('slot', cacheSlotOf(l, token));
        kb.loop('d', t, i32(D), 'serial', (d) => kb.emit(store(KC, add(mul(add(mul(h, i32(C)), slot), i32(D)), d), load(K, add(mul(item, i32(D)), d)))), threads);
        kb.loop('d', t, i32(Dv), 'serial', (d) => kb.emit(store(VC, add(mul(add(mul(h, i32(C)), slot), i32(Dv)), d), load(V, add(mul(item, i32(Dv)), d)))), threads);
      };
      const kept = appendedRowKept(l, m, token);
      if (kept === undefined) write();
      else kb.when(kept, write);
    });
  });
  return { kernel: kb.finish(), grid };
}
