// The work items both CPU attention schedules share (attention-flash.ts, attention-per-key.ts):
// a grid of (batch, kv head, block of `blockRows` rows), where the rows of a kv head are its
// query heads' query rows, query-major — row t is query t / G of head kvHead·G + t % G, with
// G = Hq / Hkv — so the query heads of a GQA group share each K/V load. Rows past the end are
// clamped (computed on valid indices, never stored).

import { ceilDivDim, constDim, divDim, mulDim, type Dim } from '../ir/dim.js';
import { add, div, i32, min, mul, rem, sub, type KernelBuilder } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import type { AttentionSpec } from './specs.js';
import { flatIndex, strideDimFromEnd, stridedBase, unflatten } from './strided-index.js';
import { dimExpr, type UniformDims } from './uniforms.js';

/** One row of a block: its query, head, and the bases of its q, mask and output rows. */
export interface AttentionRow {
  readonly row: Expr;
  /** Whether the row exists (the block's first always does). */
  readonly alwaysValid: boolean;
  readonly query: Expr;
  readonly qBase: Expr;
  readonly maskBase: Expr | undefined;
  readonly outBase: Expr;
}

/** What the body of one work item sees. */
export interface AttentionItem {
  readonly batch: readonly Expr[];
  readonly kvHead: Expr;
  readonly rows: readonly AttentionRow[];
  /** Rows of a kv head (G · Sq): a row at or past it is not stored. */
  readonly rowsTotal: Expr;
  readonly sq: Expr;
}

/** Emits the grid loop over the work items and each item's rows, then `body`; gives the grid extent. */
export function emitAttentionItems(
  kb: KernelBuilder, spec: AttentionSpec, uniforms: UniformDims, blockRows: number, body: (item: AttentionItem) => void,
): Dim {
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const group = divDim(spec.hq, spec.hkv);
  const rowsPerHead = mulDim(group, spec.sq);
  const blocks = ceilDivDim(rowsPerHead, blockRows);
  const gridDim = [...spec.batch, spec.hkv, blocks].reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));

  kb.loop('item', i32(0), dim(gridDim), 'grid.x', (item) => {
    const batchExtents = spec.batch.map(dim);
    const coords = unflatten(kb, item, [...batchExtents, dim(spec.hkv), dim(blocks)],
      [...spec.batch.map((_, d) => `batch${d}`), 'kv_head', 'block']);
    const batch = coords.slice(0, spec.batch.length);
    const kvHead = coords[spec.batch.length]!;
    const firstRow = kb.let('first_row', mul(coords[spec.batch.length + 1]!, i32(blockRows)));
    const G = dim(group), Sq = dim(spec.sq), Hq = dim(spec.hq);
    const rowsTotal = dim(rowsPerHead);
    const batchFlat = flatIndex(batch, batchExtents);
    const qBatch = kb.let('q_batch', stridedBase(kb, spec.q, batch, uniforms));
    const maskBatch = spec.mask && kb.let('mask_batch', stridedBase(kb, spec.mask, batch, uniforms));

    const rows: AttentionRow[] = [];
    for (let r = 0; r < blockRows; r++) {
      const row = r === 0 ? firstRow : kb.let(`row${r}`, add(firstRow, i32(r)));
      const clamped = r === 0 ? row : kb.let(`row${r}_clamped`, min(row, sub(rowsTotal, i32(1))));
      const query = kb.let(`query${r}`, div(clamped, G));
      const head = kb.let(`head${r}`, add(mul(kvHead, G), rem(clamped, G)));
      const qBase = kb.let(`q_row${r}`, add(qBatch, add(
        mul(head, dim(strideDimFromEnd(spec.q, 3))), mul(query, dim(strideDimFromEnd(spec.q, 2))))));
      const maskBase = spec.mask && maskBatch && kb.let(`mask_row${r}`, add(maskBatch, add(
        mul(head, dim(strideDimFromEnd(spec.mask, 3))), mul(query, dim(strideDimFromEnd(spec.mask, 2))))));
      const outBase = kb.let(`out_row${r}`, mul(add(mul(add(mul(batchFlat, Hq), head), Sq), query), dim(spec.dv)));
      rows.push({ row, alwaysValid: r === 0, query, qBase, maskBase, outBase });
    }
    body({ batch, kvHead, rows, rowsTotal, sq: Sq });
  });
  return gridDim;
}
