// The sizes, masks and values the KV-cache program's schedules share (compiler/lower/kv-decode.ts
// for the CPU one and the program itself, kv-decode-gpu.ts for the GPU one): which keys a new row
// attends over, where a token lives in the cache, and the advance kernel both use.

import { constDim, type Dim } from '../ir/dim.js';
import { KernelBuilder, add, ge, gt, i32, le, load, lt, or, rem, select, store, sub } from '../kernel/builder.js';
import type { Expr, Kernel } from '../kernel/ir.js';
import type { Dispatch, ProgramValue } from '../kernel/program.js';
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
  /** New tokens per call, Sq (default 1: a decode step). */
  readonly tokens?: number;
  /** Default 1/sqrt(headDim). */
  readonly scale?: number;
  /** Keys per split-K work item (default 64; the last chunk takes the ragged rest). */
  readonly chunk?: number;
}

/** Names the program gives its inputs, output and state (the manifest's names). */
export const KV_DECODE_NAMES = { q: 'q', k: 'k', v: 'v', out: 'y', kCache: 'k_cache', vCache: 'v_cache', position: 'position' } as const;

/** The sizes every kernel of the program shares. */
export interface KvLayout {
  readonly name: string;
  readonly Hq: number;
  readonly Hkv: number;
  /** Query heads per kv head. */
  readonly G: number;
  readonly D: number;
  readonly Dv: number;
  /** New tokens per call. */
  readonly Sq: number;
  readonly sink: number;
  readonly W: number;
  /** Cache slots, sink + window. */
  readonly C: number;
  /** The virtual key axis: C cache slots, then the Sq new rows. */
  readonly L: number;
  /** Keys per split-K chunk. */
  readonly chunk: number;
  readonly chunks: number;
  readonly scale: number;
}

/** GPU split-K chunk: one key per thread of a 64-thread workgroup. */
const GPU_CHUNK = 64;
/** CPU split-K: at least this many work items (kv heads × chunks) for the threads to share. */
const CPU_MIN_ITEMS = 16;

/**
 * CPU chunk length: as long as leaves CPU_MIN_ITEMS work items (never under 64 keys). The
 * partials (max, sum, Dv accumulators per query head and chunk) then stay a small fraction of
 * the one score row they replace: at a 4096-token cache, 8 heads (8 kv heads), d 64, 2 chunks
 * of 2048 keys keep 4.1 KiB where 64-key chunks kept 132 KiB (the score row is 128 KiB).
 */
function cpuChunk(L: number, Hkv: number): number {
  const chunks = Math.max(1, Math.ceil(CPU_MIN_ITEMS / Hkv));
  return Math.max(64, Math.floor(L / chunks)); // floor: CPU chunks are whole, the last takes the rest
}

/**
 * The program's sizes. CPU chunks are whole `chunk`s, the last taking the ragged rest (no
 * near-empty work item); GPU chunks (`exactChunks`) are exactly `chunk` keys, one per thread.
 */
export function kvLayout(spec: KvDecodeSpec, exactChunks = false): KvLayout {
  const { heads: Hq, kvHeads: Hkv, headDim: D, policy } = spec;
  const Sq = spec.tokens ?? 1;
  if (Hkv < 1 || Hq % Hkv !== 0) throw new Error(`kv decode: query heads (${Hq}) must be a multiple of kv heads (${Hkv})`);
  if (policy.window < 1 || policy.sink < 0) throw new Error('kv decode: the window must be ≥ 1 and the sink ≥ 0');
  if (!Number.isInteger(Sq) || Sq < 1) throw new Error(`kv decode: the new token count must be ≥ 1, not ${Sq}`);
  const C = policy.sink + policy.window;
  const L = C + Sq;
  const chunk = spec.chunk ?? (exactChunks ? GPU_CHUNK : cpuChunk(L, Hkv));
  return {
    name: spec.name ?? 'KvDecode', Hq, Hkv, G: Hq / Hkv, D, Dv: spec.valueDim ?? D, Sq, sink: policy.sink, W: policy.window, C, L,
    chunk, chunks: exactChunks ? Math.ceil(L / chunk) : Math.max(1, Math.floor(L / chunk)), scale: spec.scale ?? 1 / Math.sqrt(D),
  };
}

/**
 * Whether new row `row` (token position + row) attends over cache slot `j`, filled before this
 * call (j < seen, the position). A ring slot's token is `age` tokens older than the last one
 * seen; the row keeps it while age + row ≤ window − 2 (it is newer than t − window).
 */
export function cacheSlotKept(l: KvLayout, j: Expr, seen: Expr, row: Expr): Expr {
  const age = rem(sub(sub(seen, i32(1)), j), i32(l.W));
  const recent = le(add(age, row), i32(l.W - 2));
  return l.sink === 0 ? recent : or(lt(j, i32(l.sink)), recent);
}

/**
 * Whether new row `row` attends over this call's row m ≤ row; undefined when it always does
 * (a block no longer than the window drops none of its own rows).
 */
export function newRowKept(l: KvLayout, m: Expr, seen: Expr, row: Expr): Expr | undefined {
  return l.Sq <= l.W ? undefined : or(lt(add(seen, m), i32(l.sink)), gt(add(m, i32(l.W)), row));
}

/** Whether the cache keeps this call's row m (token t) after the block; undefined: always. */
export function appendedRowKept(l: KvLayout, m: Expr, t: Expr): Expr | undefined {
  return l.Sq <= l.W ? undefined : or(lt(t, i32(l.sink)), ge(m, i32(l.Sq - l.W)));
}

/** Token t's slot: t below the sink, else the ring after it. */
export function cacheSlotOf(l: KvLayout, t: Expr): Expr {
  return l.sink === 0 ? rem(t, i32(l.W)) : select(lt(t, i32(l.sink)), t, add(i32(l.sink), rem(sub(t, i32(l.sink)), i32(l.W))));
}

/** The program's values: inputs, state, the split-K partials and the output. */
export function kvDecodeValues(l: KvLayout): ProgramValue[] {
  const { Hq, Hkv, Sq, C, D, Dv, chunks } = l;
  const n = KV_DECODE_NAMES;
  const c = (x: number): Dim => constDim(x);
  return [
    { id: 'q', role: 'input', name: n.q, dtype: 'f32', shape: [c(Hq), c(Sq), c(D)] },
    { id: 'k', role: 'input', name: n.k, dtype: 'f32', shape: [c(Hkv), c(Sq), c(D)] },
    { id: 'v', role: 'input', name: n.v, dtype: 'f32', shape: [c(Hkv), c(Sq), c(Dv)] },
    { id: 'k_cache', role: 'state', name: n.kCache, dtype: 'f32', shape: [c(Hkv), c(C), c(D)] },
    { id: 'v_cache', role: 'state', name: n.vCache, dtype: 'f32', shape: [c(Hkv), c(C), c(Dv)] },
    { id: 'position', role: 'state', name: n.position, dtype: 'i32', shape: [c(1)] },
    { id: 'part_max', role: 'temp', name: 'part_max', dtype: 'f32', shape: [c(Hq), c(Sq), c(chunks)] },
    { id: 'part_sum', role: 'temp', name: 'part_sum', dtype: 'f32', shape: [c(Hq), c(Sq), c(chunks)] },
    { id: 'part_acc', role: 'temp', name: 'part_acc', dtype: 'f32', shape: [c(Hq), c(Sq), c(chunks), c(Dv)] },
    { id: 'y', role: 'output', name: n.out, dtype: 'f32', shape: [c(Hq), c(Sq), c(Dv)] },
  ];
}

/** Dispatches binding each kernel's buffer parameters to the values of the same name. */
export function kvDecodeDispatch(kernel: Kernel, grid: readonly Dim[]): Dispatch {
  return { kernel: kernel.name, buffers: Object.fromEntries(kernel.buffers.map((b) => [b.name, b.name])), uniforms: {}, grid };
}

/** position += Sq: one work item, dispatched last, after everything that read the position. */
export function advanceKernel(l: KvLayout): Kernel {
  const kb = new KernelBuilder(`${l.name}_advance`, [l.name]);
  const pos = kb.buffer('position', 'i32', 'read_write');
  kb.loop('item', i32(0), i32(1), 'grid.x', () => {
    kb.emit(store(pos, i32(0), add(load(pos, i32(0)), i32(l.Sq))));
  });
  return kb.finish();
}
