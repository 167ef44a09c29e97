// Attention on GPU targets: flash attention with an online softmax (the semantics of the CPU
// schedule, compiler/lower/attention.ts, and the reference interpreter).
//
// A workgroup owns (batch, kv head, block of rows), rows ordered as on the CPU: row t of a kv
// head is query t / G of head kvHead·G + t % G (G = Hq / Hkv), so a GQA group's heads share
// every K/V tile the workgroup stages. Each thread owns one row: its q row in a private array,
// its running max m, sum l and accumulator acc[Dv]. Keys advance a tile of bc at a time: all
// threads copy the tile's K and V rows into workgroup memory (zeros past Skv), a barrier,
// every thread folds the tile's keys into its row, a barrier. Causal attention stops at the
// block's last diagonal, so tiles above it are never loaded; per row, keys past its own
// diagonal score -inf. Rows past the end work on the last row (barriers need every thread)
// and store nothing. The output is acc / l, or 0 for a row that saw no finite score.

import { ceilDivDim, constValue, divDim, mulDim, type Dim } from '../../ir/dim.js';
import {
  KernelBuilder, add, arrayLoad, cast, div, eq, f32, fma, gt, i32, le, load, lt, max, min, mul, rem, select, sub, unary,
} from '../../kernel/builder.js';
import type { Expr } from '../../kernel/ir.js';
import { WASM_TARGET, type TargetDescription } from '../../kernel/program.js';
import { lowerAttention } from '../attention.js';
import { product } from '../group-context.js';
import type { AttentionSpec, LoweredKernel } from '../specs.js';
import { flatIndex, storeConverted, strideDimFromEnd, stridedBase, unflatten } from '../strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from '../uniforms.js';
import { adaptToGpu } from './adapter.js';
import { workgroupGrid } from './grid.js';

const NEG_INF = f32(-Infinity);
const MAX_ROWS_PER_GROUP = 64;
const MIN_ROWS_PER_GROUP = 32;
const MAX_KEY_TILE = 32;

/** Rows per workgroup (one thread each) and keys per staged tile, within the target's limits. */
export function chooseAttentionTiles(target: TargetDescription, rowsPerHead: number | undefined, dk: number, dv: number): { rows: number; keys: number } {
  const maxThreads = Math.min(MAX_ROWS_PER_GROUP, target.maxWorkgroupInvocations ?? MAX_ROWS_PER_GROUP);
  const want = rowsPerHead === undefined ? maxThreads : 2 ** Math.ceil(Math.log2(Math.max(1, rowsPerHead)));
  const rows = Math.max(Math.min(MIN_ROWS_PER_GROUP, maxThreads), Math.min(maxThreads, want));
  const storage = target.maxWorkgroupStorageBytes ?? 16 * 1024;
  let keys = MAX_KEY_TILE;
  while (keys > 1 && keys * (dk + dv) * 4 > storage) keys /= 2;
  return { rows, keys };
}

export function lowerAttentionGpu(spec: AttentionSpec, target: TargetDescription): LoweredKernel {
  const dkC = constValue(spec.dk), dvC = constValue(spec.dv);
  // Staged tiles and the per-thread q and acc rows are sized when the kernel is built; a
  // symbolic head dim takes the CPU schedule through the generic adapter.
  if (dkC === undefined || dvC === undefined) return adaptToGpu(lowerAttention(spec, WASM_TARGET));
  const kb = new KernelBuilder(spec.name, spec.sources);
  const uniforms: UniformDims = new Map();
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const Q = kb.buffer(spec.q.value, spec.q.dtype, 'read');
  const K = kb.buffer(spec.k.value, spec.k.dtype, 'read');
  const V = kb.buffer(spec.v.value, spec.v.dtype, 'read');
  const Mask = spec.mask && kb.buffer(spec.mask.value, spec.mask.dtype, 'read');
  const O = kb.buffer(spec.out.value, spec.out.dtype, 'write');

  const group = divDim(spec.hq, spec.hkv);
  const rowsPerHead = mulDim(group, spec.sq);
  const { rows: BR, keys: BC } = chooseAttentionTiles(target, constValue(rowsPerHead), dkC, dvC);
  kb.workgroupSize = [BR, 1, 1];
  const blocks = ceilDivDim(rowsPerHead, BR);
  const count = [...spec.batch, spec.hkv, blocks].reduce<Dim>((acc, d) => mulDim(acc, d), product([]));

  const grid = workgroupGrid(kb, uniforms, count, (wg) => {
    const batchExtents = spec.batch.map(dim);
    const coords = unflatten(kb, wg, [...batchExtents, dim(spec.hkv), dim(blocks)],
      [...spec.batch.map((_, d) => `batch${d}`), 'kv_head', 'block']);
    const batch = coords.slice(0, spec.batch.length);
    const kvHead = coords[spec.batch.length]!;
    const firstRow = kb.let('first_row', mul(coords[spec.batch.length + 1]!, i32(BR)));
    const G = dim(group), Sq = dim(spec.sq), Hq = dim(spec.hq), Skv = dim(spec.skv);
    const rowsTotal = dim(rowsPerHead);
    const diagonal = kb.let('diagonal', sub(Skv, Sq));
    // Keys the block needs: all of them, or (causal) up to its last row's diagonal.
    let keyEnd = Skv;
    if (spec.causal) {
      const lastQuery = div(sub(min(add(firstRow, i32(BR)), rowsTotal), i32(1)), G);
      keyEnd = kb.let('key_end', max(i32(0), min(Skv, add(add(lastQuery, diagonal), i32(1)))));
    }
    const kvBase = (op: typeof spec.k, name: string): Expr =>
      kb.let(name, add(stridedBase(kb, op, batch, uniforms), mul(kvHead, dim(strideDimFromEnd(op, 3)))));
    const kHead = kvBase(spec.k, 'k_head'), vHead = kvBase(spec.v, 'v_head');
    const kTile = kb.array('k_tile', 'f32', BC * dkC, 'workgroup');
    const vTile = kb.array('v_tile', 'f32', BC * dvC, 'workgroup');

    kb.loop('t', i32(0), i32(BR), 'thread.x', (t) => {
      const row = kb.let('row', add(firstRow, t));
      const clamped = kb.let('row_c', min(row, sub(rowsTotal, i32(1))));
      const query = kb.let('query', div(clamped, G));
      const head = kb.let('head', add(mul(kvHead, G), rem(clamped, G)));
      const qBatch = stridedBase(kb, spec.q, batch, uniforms);
      const qRow = kb.let('q_row', add(qBatch, add(mul(head, dim(strideDimFromEnd(spec.q, 3))), mul(query, dim(strideDimFromEnd(spec.q, 2))))));
      const maskRow = spec.mask && kb.let('mask_row', add(stridedBase(kb, spec.mask, batch, uniforms), add(
        mul(head, dim(strideDimFromEnd(spec.mask, 3))), mul(query, dim(strideDimFromEnd(spec.mask, 2))))));
      const outRow = kb.let('out_row', mul(add(mul(add(mul(flatIndex(batch, batchExtents), Hq), head), Sq), query), i32(dvC)));
      const q = kb.array('q', 'f32', dkC, 'private');
      kb.loop('d', i32(0), i32(dkC), 'serial', (d) => kb.emit({
        kind: 'array_store', array: q, index: d, value: cast(load(Q, add(qRow, mul(d, dim(strideDimFromEnd(spec.q, 1))))), 'f32'),
      }));
      const acc = kb.array('acc', 'f32', dvC, 'private');
      const rowMax = kb.let('row_max', NEG_INF);
      const rowSum = kb.let('row_sum', f32(0));

      kb.loop('k0', i32(0), keyEnd, 'serial', (k0) => {
        // Element e of the tile is key e / width, column e % width. The threads copy BR
        // elements a round in a loop (unrolled, a d = 128 tile is 64 rounds of copy code, and
        // SwiftShader takes seconds to compile each such shader); a ragged last round is guarded.
        const stage = (tile: string, op: typeof spec.k, base: Expr, width: number, buffer: typeof K): void => {
          const elements = BC * width;
          const copy = (e: Expr): void => {
            const key = kb.let('key', add(k0, div(e, i32(width))));
            const d = rem(e, i32(width));
            const v = kb.let('staged', f32(0));
            kb.when(lt(key, Skv), () => kb.set(v, cast(load(buffer, add(base, add(
              mul(key, dim(strideDimFromEnd(op, 2))), mul(d, dim(strideDimFromEnd(op, 1)))))), 'f32')));
            kb.emit({ kind: 'array_store', array: tile, index: e, value: v });
          };
          const fullRounds = Math.floor(elements / BR);
          if (fullRounds > 0) kb.loop('round', i32(0), i32(fullRounds), 'serial', (r) => copy(kb.let('e', add(mul(r, i32(BR)), t))));
          if (fullRounds * BR < elements) {
            const e = kb.let('e', add(i32(fullRounds * BR), t));
            kb.when(lt(e, i32(elements)), () => copy(e));
          }
        };
        stage(kTile, spec.k, kHead, dkC, K);
        stage(vTile, spec.v, vHead, dvC, V);
        kb.emit({ kind: 'barrier' });
        kb.loop('jj', i32(0), min(i32(BC), sub(keyEnd, k0)), 'serial', (jj) => {
          const j = kb.let('j', add(k0, jj));
          const dot = kb.let('dot', f32(0));
          kb.loop('d', i32(0), i32(dkC), 'serial', (d) =>
            kb.set(dot, fma(arrayLoad(q, 'f32', d), arrayLoad(kTile, 'f32', add(mul(jj, i32(dkC)), d)), dot)));
          let s = mul(dot, f32(spec.scale));
          if (Mask && maskRow && spec.mask) {
            const m = load(Mask, add(maskRow, mul(j, dim(strideDimFromEnd(spec.mask, 1)))));
            s = Mask.dtype === 'bool' ? select(m, s, NEG_INF) : add(s, cast(m, 'f32'));
          }
          if (spec.causal) s = select(le(j, add(query, diagonal)), s, NEG_INF);
          const score = kb.let('score', s);
          // A larger max rescales what was summed so far.
          kb.when(gt(score, rowMax), () => {
            const corr = kb.let('corr', unary('exp', sub(rowMax, score)));
            kb.set(rowSum, mul(rowSum, corr));
            kb.loop('d', i32(0), i32(dvC), 'serial', (d) =>
              kb.emit({ kind: 'array_store', array: acc, index: d, value: mul(arrayLoad(acc, 'f32', d), corr) }));
            kb.set(rowMax, score);
          });
          // exp(-inf - -inf) would be NaN: a masked score adds nothing.
          const p = kb.let('p', select(eq(score, NEG_INF), f32(0), unary('exp', sub(score, rowMax))));
          kb.set(rowSum, add(rowSum, p));
          kb.loop('d', i32(0), i32(dvC), 'serial', (d) => kb.emit({
            kind: 'array_store', array: acc, index: d, value: fma(p, arrayLoad(vTile, 'f32', add(mul(jj, i32(dvC)), d)), arrayLoad(acc, 'f32', d)),
          }));
        });
        kb.emit({ kind: 'barrier' });
      }, BC);

      kb.when(lt(row, rowsTotal), () => {
        const inv = kb.let('inv', select(eq(rowSum, f32(0)), f32(0), div(f32(1), rowSum)));
        kb.loop('d', i32(0), i32(dvC), 'serial', (d) =>
          kb.emit(storeConverted(O, add(outRow, d), mul(arrayLoad(acc, 'f32', d), inv))));
      });
    });
  });

  const buffers: Record<string, string> = { [Q.name]: spec.q.value, [K.name]: spec.k.value, [V.name]: spec.v.value, [O.name]: spec.out.value };
  if (Mask && spec.mask) buffers[Mask.name] = spec.mask.value;
  return { kernel: kb.finish(), buffers, uniforms: uniformRecord(uniforms), grid };
}
