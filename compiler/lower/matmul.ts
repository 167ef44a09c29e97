// Matmul to Kernel IR, CPU (WASM) schedule: C[b, m, n] = Σ_k A[b, m, k]·B[b, k, n] with f32
// accumulation, batch dims broadcast through stride-0 operands, the epilogue applied at store
// time: on the f32x4 accumulators when its fused ops vectorise (vector-epilogue.ts), else
// per element.
//
// The form follows the operands' layout, the tile sizes the cost model (schedule/tiles.ts):
// - `n-vector` (B's rows contiguous, the usual `x @ W`): a register tile of mr rows × nr
//   columns held in nr/4 f32x4 accumulators per row; A values splatted, B rows loaded as
//   vectors. A work item owns a strip of rowsPerItem rows × nr columns and walks K in blocks
//   of kc; per block it packs the kc × nr B panel into a contiguous private array and sweeps
//   its row tiles over it; partial sums wait in a private array between blocks. Whole row
//   tiles address A from one index plus constant row offsets, the last partial one on
//   clamped rows. A strip that overhangs N (the last one) runs single-vector tiles, then
//   scalar columns, so no load ever leaves the buffer.
// - `k-vector` (A and B both contiguous along K: transposed weights): mr × nr f32x4 dot
//   products along K, reduced across lanes, with a scalar K tail.
// - `scalar` (any other strides): the same tile with scalar accumulators.
// Rows past M (and, in the dot forms, columns past N) are computed on clamped indices and
// never stored, so edge tiles keep the fast code and read only valid elements.

import { ceilDivDim, constDim, constValue, isConst, mulDim, type Dim } from '../ir/dim.js';
import {
  KernelBuilder, add, and, arrayLoad, cast, div, f32, fma, gt, i32, lane, le, load, lt, max, min, mul, reduceLanes, splat, sub, variable,
} from '../kernel/builder.js';
import type { BufferParam, Expr } from '../kernel/ir.js';
import type { TargetDescription } from '../kernel/program.js';
import { lowerMatmulGpu } from './gpu/matmul.js';
import { chooseDotTile, chooseMatmulTile, chooseScalarTile } from '../schedule/tiles.js';
import type { LoweredKernel, MatmulSpec } from './specs.js';
import { flatIndex, storeConverted, strideDimFromEnd, stridedBase, unflatten } from './strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { EPILOGUE_LANES, epilogueVectorizes, vectorVariableOf } from './vector-epilogue.js';

export type MatmulForm = 'n-vector' | 'k-vector' | 'scalar';

/** Which micro-kernel the operands' strides allow (contiguity must be known at compile time). */
export function matmulForm(spec: MatmulSpec, target: TargetDescription): MatmulForm {
  if (target.vectorLanes <= 1) return 'scalar';
  const kContiguous = isConst(strideDimFromEnd(spec.a, 1), 1) && isConst(strideDimFromEnd(spec.b, 2), 1);
  // Fewer columns than a vector holds (a matrix times a vector): dot products fill the lanes instead.
  const n = constValue(spec.n);
  if (kContiguous && n !== undefined && n < target.vectorLanes) return 'k-vector';
  if (isConst(strideDimFromEnd(spec.b, 1), 1)) return 'n-vector';
  return kContiguous ? 'k-vector' : 'scalar';
}

/** What every tile of one work item needs: buffers, sizes, strides and the item's bases. */
interface MatmulContext {
  readonly kb: KernelBuilder;
  readonly spec: MatmulSpec;
  readonly uniforms: UniformDims;
  readonly lanes: number;
  /** Whether the epilogue runs on f32x4 accumulators (false: lane by lane). */
  readonly vectorEpilogue: boolean;
  readonly A: BufferParam;
  readonly B: BufferParam;
  readonly C: BufferParam;
  readonly M: Expr;
  readonly N: Expr;
  readonly K: Expr;
  readonly aRowStride: Expr;
  readonly aKStride: Expr;
  readonly bKStride: Expr;
  readonly bColStride: Expr;
  readonly batch: readonly Expr[];
  readonly aBase: Expr;
  readonly bBase: Expr;
  readonly cBase: Expr;
}

/** One row (or column) of a tile: the real index (for stores) and a clamped one (for loads). */
interface TileLine {
  readonly index: Expr;
  readonly clamped: Expr;
  /** Whether the index is known to be in range (the tile's first line always is). */
  readonly alwaysValid: boolean;
}

export function lowerMatmul(spec: MatmulSpec, target: TargetDescription): LoweredKernel {
  if (target.name !== 'wasm') return lowerMatmulGpu(spec, target);
  const kb = new KernelBuilder(spec.name, spec.sources);
  const uniforms: UniformDims = new Map();
  const A = kb.buffer(spec.a.value, spec.a.dtype, 'read');
  const B = kb.buffer(spec.b.value, spec.b.dtype, 'read');
  const C = kb.buffer(spec.out.value, spec.out.dtype, 'write');
  const m = constValue(spec.m), n = constValue(spec.n), k = constValue(spec.k);
  const form = matmulForm(spec, target);
  const vectorEpilogue = spec.epilogue !== undefined && form === 'n-vector' && target.vectorLanes === EPILOGUE_LANES &&
    epilogueVectorizes(spec.epilogue, {
      batch: spec.batch.map((_, d) => variable(`probe_batch${d}`, 'i32')), row: variable('probe_row', 'i32'), col: variable('probe_col', 'i32'),
    }, 'probe_col');

  let rowsPerItem: number, colsPerItem: number;
  let body: (ctx: MatmulContext, rowStart: Expr, colStart: Expr) => void;
  if (form === 'n-vector') {
    const tile = chooseMatmulTile(target, m, n, k);
    rowsPerItem = tile.rowsPerItem;
    colsPerItem = tile.nr;
    const blocked = k === undefined || k > tile.kc;
    body = (ctx, m0, n0) => emitColumnStrip(ctx, m0, n0, tile.mr, tile.nr, tile.rowsPerItem, blocked ? tile.kc : undefined);
  } else {
    const tile = form === 'k-vector' ? chooseDotTile(target, m, n) : chooseScalarTile(target, m, n);
    rowsPerItem = tile.mr;
    colsPerItem = tile.nr;
    const lanes = form === 'k-vector' ? target.vectorLanes : 1;
    body = (ctx, m0, n0) => emitDotTile(ctx, m0, n0, tile.mr, tile.nr, lanes);
  }

  // Work items: batch × row strips × column tiles, flattened on grid.x (column tiles fastest,
  // so neighbouring items share their A rows).
  const rowBlocks = ceilDivDim(spec.m, rowsPerItem);
  const colTiles = ceilDivDim(spec.n, colsPerItem);
  const gridDim = [...spec.batch, rowBlocks, colTiles].reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  kb.loop('item', i32(0), dim(gridDim), 'grid.x', (item) => {
    const batchExtents = spec.batch.map(dim);
    const coords = unflatten(kb, item, [...batchExtents, dim(rowBlocks), dim(colTiles)],
      [...spec.batch.map((_, d) => `batch${d}`), 'row_block', 'col_tile']);
    const batch = coords.slice(0, spec.batch.length);
    const M = dim(spec.m), N = dim(spec.n);
    const ctx: MatmulContext = {
      kb, spec, uniforms, lanes: target.vectorLanes, vectorEpilogue, A, B, C, M, N, K: dim(spec.k),
      aRowStride: dim(strideDimFromEnd(spec.a, 2)), aKStride: dim(strideDimFromEnd(spec.a, 1)),
      bKStride: dim(strideDimFromEnd(spec.b, 2)), bColStride: dim(strideDimFromEnd(spec.b, 1)),
      batch,
      aBase: kb.let('a_base', stridedBase(kb, spec.a, batch, uniforms)),
      bBase: kb.let('b_base', stridedBase(kb, spec.b, batch, uniforms)),
      cBase: kb.let('c_base', mul(flatIndex(batch, batchExtents), dim(mulDim(spec.m, spec.n)))),
    };
    const m0 = kb.let('m0', mul(coords[spec.batch.length]!, i32(rowsPerItem)));
    const n0 = kb.let('n0', mul(coords[spec.batch.length + 1]!, i32(colsPerItem)));
    body(ctx, m0, n0);
  });

  const kernel = kb.finish();
  const buffers: Record<string, string> = { [A.name]: spec.a.value, [B.name]: spec.b.value, [C.name]: spec.out.value };
  // The epilogue declared its buffers under the extra inputs' value ids.
  for (const extra of spec.extraInputs) if (kernel.buffers.some((b) => b.name === extra.value)) buffers[extra.value] = extra.value;
  return {
    kernel,
    buffers,
    uniforms: uniformRecord(uniforms),
    grid: [gridDim],
  };
}

// ---- shared pieces ----

/** `count` lines from `first` (known < limit); lines past the limit load the last valid one. */
function tileLines(kb: KernelBuilder, first: Expr, count: number, limit: Expr, name: string): TileLine[] {
  const lines: TileLine[] = [];
  for (let i = 0; i < count; i++) {
    if (i === 0) {
      lines.push({ index: first, clamped: first, alwaysValid: true });
    } else {
      const index = kb.let(name, add(first, i32(i)));
      lines.push({ index, clamped: kb.let(`${name}_clamped`, min(index, sub(limit, i32(1)))), alwaysValid: false });
    }
  }
  return lines;
}

/** Stores C[row, col] = epilogue(acc) for one f32 accumulator. */
function storeElement(ctx: MatmulContext, row: Expr, col: Expr, acc: Expr): void {
  const { kb, spec } = ctx;
  const value = spec.epilogue ? spec.epilogue(kb, acc, { batch: ctx.batch, row, col }, ctx.uniforms) : acc;
  kb.emit(storeConverted(ctx.C, add(ctx.cBase, add(mul(row, ctx.N), col)), value));
}

/** Stores a vector accumulator of consecutive columns from `col`: one vector store, or per lane through the epilogue. */
function storeVector(ctx: MatmulContext, row: Expr, col: Expr, acc: Expr): void {
  const { kb, spec } = ctx;
  const at = add(ctx.cBase, add(mul(row, ctx.N), col));
  if (!spec.epilogue) {
    kb.emit(storeConverted(ctx.C, at, acc));
    return;
  }
  const vectorVar = ctx.vectorEpilogue ? vectorVariableOf(col) : undefined;
  if (vectorVar !== undefined) {
    kb.emit(storeConverted(ctx.C, at, spec.epilogue(kb, acc, { batch: ctx.batch, row, col }, ctx.uniforms, { vectorVar })));
    return;
  }
  for (let l = 0; l < ctx.lanes; l++) storeElement(ctx, row, add(col, i32(l)), ctx.kb.let('acc_lane', lane(acc, l)));
}

/** Runs `emit` only for a row that exists. */
function ifRowValid(ctx: MatmulContext, row: TileLine, emit: () => void): void {
  if (row.alwaysValid) emit();
  else ctx.kb.when(lt(row.index, ctx.M), emit);
}

function loadA(ctx: MatmulContext, rowBase: Expr, k: Expr): Expr {
  return cast(load(ctx.A, add(rowBase, mul(k, ctx.aKStride))), 'f32');
}

// ---- n-vector form ----

/**
 * One work item of the n-vector form: rows [m0, m0 + rowsPerItem) ∩ [0, M) × columns
 * [n0, n0 + nr). K is walked in blocks of `kc` (undefined: in one go). A full strip that
 * sweeps more than one register tile first copies each block's kc × nr B panel into a
 * contiguous private array: B's rows lie N floats apart (4 KiB at N = 1024, so the panel's
 * rows fall into the same few L1 sets and evict each other), the packed panel is one stream
 * the tiles re-read from L1.
 */
function emitColumnStrip(ctx: MatmulContext, m0: Expr, n0: Expr, mr: number, nr: number, rowsPerItem: number, kc: number | undefined): void {
  const { kb, M, N, K } = ctx;
  const vecs = nr / ctx.lanes;
  const pack = rowsPerItem > mr;
  const rowsHere = kb.let('rows_here', min(i32(rowsPerItem), sub(M, m0)));
  kb.when(le(add(n0, i32(nr)), N), () => {
    const kRows = kc ?? Math.max(constValue(ctx.spec.k)!, 1);
    const panel = pack ? kb.array('b_panel', vectorType(ctx.lanes), kRows * vecs, 'private') : undefined;
    if (kc === undefined) {
      if (panel) packPanel(ctx, panel, n0, vecs, i32(0), K);
      forRowTiles(ctx, m0, rowsHere, mr, (_rt, rows) => emitVectorTile(ctx, rows, n0, vecs, i32(0), K, undefined, panel));
      return;
    }
    const partial = kb.array('partial', vectorType(ctx.lanes), rowsPerItem * vecs, 'private');
    // At least one block, so K = 0 still stores (zeros through the epilogue).
    kb.loop('k0', i32(0), max(K, i32(1)), 'serial', (k0) => {
      const kEnd = kb.let('k_end', min(add(k0, i32(kc)), K));
      if (panel) packPanel(ctx, panel, n0, vecs, k0, kEnd);
      forRowTiles(ctx, m0, rowsHere, mr, (rt, rows) => {
        const slot = (i: number, j: number): Expr => add(mul(add(rt, i32(i)), i32(vecs)), i32(j));
        emitVectorTile(ctx, rows, n0, vecs, k0, kEnd, { partial, slot, first: k0 }, panel);
      });
    }, kc);
  }, () => {
    // The last strip overhangs N: single-vector tiles, then scalar columns.
    kb.loop('rt', i32(0), rowsHere, 'serial', (rt) => {
      const rows = clampedRows(ctx, add(m0, rt), mr);
      kb.loop('col', n0, sub(N, i32(ctx.lanes - 1)), 'serial', (col) => {
        emitVectorTile(ctx, rows, col, 1, i32(0), K, undefined);
      }, ctx.lanes);
      const tail = kb.let('col_tail', add(n0, mul(div(sub(N, n0), i32(ctx.lanes)), i32(ctx.lanes))));
      kb.loop('col', tail, N, 'serial', (col) => emitScalarColumn(ctx, rows.lines, col));
    }, mr);
  });
}

/** The rows of a register tile and where each row of A starts. */
interface TileRows {
  readonly lines: readonly TileLine[];
  /** Element index of A[first row, 0]. */
  readonly aRow0: Expr;
  /** Element distance from row 0 to row i of A: constants for whole tiles with a known stride. */
  readonly aOffsets: readonly Expr[];
}

/** mr rows from `first`, clamped to M − 1 for loads (rows past M are computed and never stored). */
function clampedRows(ctx: MatmulContext, first: Expr, mr: number): TileRows {
  const { kb } = ctx;
  const lines = tileLines(kb, first, mr, ctx.M, 'row');
  const aRow0 = kb.let('a_row', add(ctx.aBase, mul(first, ctx.aRowStride)));
  const aOffsets = lines.map((r, i) => (i === 0 ? i32(0) : kb.let('a_offset', mul(sub(r.clamped, first), ctx.aRowStride))));
  return { lines, aRow0, aOffsets };
}

/**
 * Calls `tile` for each register tile of rows [m0, m0 + rowsHere): whole tiles first, their
 * rows A's row stride apart from one base (so, with a constant stride, the printer addresses
 * them as one pointer plus constants), then the remaining rows as one clamped tile.
 */
function forRowTiles(ctx: MatmulContext, m0: Expr, rowsHere: Expr, mr: number, tile: (rt: Expr, rows: TileRows) => void): void {
  const { kb } = ctx;
  const whole = kb.let('rows_whole', mul(div(rowsHere, i32(mr)), i32(mr)));
  kb.loop('rt', i32(0), whole, 'serial', (rt) => {
    const first = kb.let('row', add(m0, rt));
    const lines = Array.from({ length: mr }, (_, i): TileLine => {
      const index = i === 0 ? first : add(first, i32(i));
      return { index, clamped: index, alwaysValid: true };
    });
    const aRow0 = kb.let('a_row', add(ctx.aBase, mul(first, ctx.aRowStride)));
    tile(rt, { lines, aRow0, aOffsets: lines.map((_, i) => mul(i32(i), ctx.aRowStride)) });
  }, mr);
  if (mr > 1) kb.when(lt(whole, rowsHere), () => tile(whole, clampedRows(ctx, add(m0, whole), mr)));
}

function vectorType(lanes: number): 'f32x2' | 'f32x4' | 'f32x8' {
  return `f32x${lanes}` as 'f32x2' | 'f32x4' | 'f32x8';
}

/** Where a K-blocked tile keeps its partial sums between blocks. */
interface PartialSums {
  readonly partial: string;
  readonly slot: (row: number, vec: number) => Expr;
  /** The block's first k: the first block starts from zero, later ones from the partial sums. */
  readonly first: Expr;
}

/** Copies B[kStart..kEnd) × [col, col + vecs·lanes) into `panel`: vector j of row k at (k − kStart)·vecs + j. */
function packPanel(ctx: MatmulContext, panel: string, col: Expr, vecs: number, kStart: Expr, kEnd: Expr): void {
  const { kb, lanes } = ctx;
  const vtype = vectorType(lanes);
  const bCol = kb.let('b_col', add(ctx.bBase, col));
  kb.loop('kp', kStart, kEnd, 'serial', (k) => {
    const src = kb.let('b_row', add(bCol, mul(k, ctx.bKStride)));
    const dst = kb.let('p_row', mul(sub(k, kStart), i32(vecs)));
    for (let j = 0; j < vecs; j++) {
      kb.emit({ kind: 'array_store', array: panel, index: add(dst, i32(j)), value: cast(load(ctx.B, add(src, i32(j * lanes)), lanes), vtype) });
    }
  });
}

/**
 * An mr × (vecs·lanes) register tile over k in [kStart, kEnd): vecs B vectors per k (from the
 * packed panel when given), one A splat per row, vecs·mr f32x4 FMAs. Stores (or, for a block
 * that is not the last, saves). Each step costs few integer ops: with A contiguous along K
 * the loop runs over row 0's element index itself (the other rows are it plus constants),
 * and the B row advances by one add.
 */
function emitVectorTile(
  ctx: MatmulContext, rows: TileRows, col: Expr, vecs: number, kStart: Expr, kEnd: Expr, blocked: PartialSums | undefined,
  panel?: string,
): void {
  const { kb, lanes } = ctx;
  const vtype = vectorType(lanes);
  const zero = splat(f32(0), lanes);
  const acc = rows.lines.map((_, i) => Array.from({ length: vecs }, (_, j) => kb.let(`acc${i}_${j}`, zero)));
  if (blocked) {
    kb.when(gt(blocked.first, i32(0)), () => {
      acc.forEach((accRow, i) => accRow.forEach((a, j) => kb.set(a, arrayLoad(blocked.partial, vtype, blocked.slot(i, j)))));
    });
  }
  // The B row of the step (a panel row, or an element index of B), advanced after each step.
  const bRow = panel !== undefined
    ? kb.let('p_row', i32(0))
    : kb.let('b_row', add(add(ctx.bBase, col), mul(kStart, ctx.bKStride)));
  const bStep = panel !== undefined ? i32(vecs) : ctx.bKStride;
  const step = (aIndex: (i: number) => Expr): void => {
    const b = Array.from({ length: vecs }, (_, j) => kb.let(`b${j}`, panel !== undefined
      ? arrayLoad(panel, vtype, add(bRow, i32(j)))
      : cast(load(ctx.B, add(bRow, i32(j * lanes)), lanes), vtype)));
    rows.aOffsets.forEach((_, i) => {
      const a = kb.let(`a${i}`, splat(cast(load(ctx.A, aIndex(i)), 'f32'), lanes));
      acc[i]!.forEach((accV, j) => kb.set(accV, fma(a, b[j]!, accV)));
    });
    kb.set(bRow, add(bRow, bStep));
  };
  if (isConst(strideDimFromEnd(ctx.spec.a, 1), 1)) {
    kb.loop('ka', add(rows.aRow0, kStart), add(rows.aRow0, kEnd), 'serial', (ka) => step((i) => add(ka, rows.aOffsets[i]!)));
  } else {
    kb.loop('k', kStart, kEnd, 'serial', (k) => step((i) => add(add(rows.aRow0, rows.aOffsets[i]!), mul(k, ctx.aKStride))));
  }
  const storeAll = (): void => {
    rows.lines.forEach((row, i) => ifRowValid(ctx, row, () => {
      acc[i]!.forEach((a, j) => storeVector(ctx, row.index, add(col, i32(j * lanes)), a));
    }));
  };
  if (!blocked) {
    storeAll();
    return;
  }
  kb.when(lt(kEnd, ctx.K), () => {
    acc.forEach((accRow, i) => accRow.forEach((a, j) => kb.emit({ kind: 'array_store', array: blocked.partial, index: blocked.slot(i, j), value: a })));
  }, storeAll);
}

/** One column of C for the rows of a tile, scalar: the columns an overhanging strip has left. */
function emitScalarColumn(ctx: MatmulContext, rows: readonly TileLine[], col: Expr): void {
  const { kb } = ctx;
  const aRows = rows.map((r) => kb.let('a_row', add(ctx.aBase, mul(r.clamped, ctx.aRowStride))));
  const bCol = kb.let('b_col', add(ctx.bBase, mul(col, ctx.bColStride)));
  const acc = rows.map((_, i) => kb.let(`acc${i}`, f32(0)));
  kb.loop('k', i32(0), ctx.K, 'serial', (k) => {
    const b = kb.let('b', cast(load(ctx.B, add(bCol, mul(k, ctx.bKStride))), 'f32'));
    rows.forEach((_, i) => kb.set(acc[i]!, fma(loadA(ctx, aRows[i]!, k), b, acc[i]!)));
  });
  rows.forEach((row, i) => ifRowValid(ctx, row, () => storeElement(ctx, row.index, col, acc[i]!)));
}

// ---- k-vector and scalar forms ----

/**
 * An mr × nr tile of dot products from (m0, n0). With lanes > 1, A and B are contiguous
 * along K: f32x4 products accumulate per output and are reduced across lanes, then the
 * K % lanes tail is added in scalar. With lanes = 1 every product is scalar, any strides.
 */
function emitDotTile(ctx: MatmulContext, m0: Expr, n0: Expr, mr: number, nr: number, lanes: number): void {
  const { kb, K } = ctx;
  const rows = tileLines(kb, m0, mr, ctx.M, 'row');
  const cols = tileLines(kb, n0, nr, ctx.N, 'col');
  const aRows = rows.map((r) => kb.let('a_row', add(ctx.aBase, mul(r.clamped, ctx.aRowStride))));
  const bCols = cols.map((c) => kb.let('b_col', add(ctx.bBase, mul(c.clamped, ctx.bColStride))));
  let kTail: Expr = i32(0);
  let sums: Expr[][];
  if (lanes > 1) {
    const vtype = vectorType(lanes);
    const acc = rows.map((_, i) => cols.map((_, j) => kb.let(`acc${i}_${j}`, splat(f32(0), lanes))));
    kTail = kb.let('k_tail', mul(div(K, i32(lanes)), i32(lanes)));
    kb.loop('k', i32(0), kTail, 'serial', (k) => {
      const b = bCols.map((bc, j) => kb.let(`b${j}`, cast(load(ctx.B, add(bc, k), lanes), vtype)));
      rows.forEach((_, i) => {
        const a = kb.let(`a${i}`, cast(load(ctx.A, add(aRows[i]!, k), lanes), vtype));
        cols.forEach((_, j) => kb.set(acc[i]![j]!, fma(a, b[j]!, acc[i]![j]!)));
      });
    }, lanes);
    sums = acc.map((accRow, i) => accRow.map((a, j) => kb.let(`sum${i}_${j}`, reduceLanes('add', a))));
  } else {
    sums = rows.map((_, i) => cols.map((_, j) => kb.let(`sum${i}_${j}`, f32(0))));
  }
  kb.loop('k', kTail, K, 'serial', (k) => {
    const b = bCols.map((bc, j) => kb.let(`b${j}`, cast(load(ctx.B, add(bc, mul(k, ctx.bKStride))), 'f32')));
    rows.forEach((_, i) => {
      const a = kb.let(`a${i}`, loadA(ctx, aRows[i]!, k));
      cols.forEach((_, j) => kb.set(sums[i]![j]!, fma(a, b[j]!, sums[i]![j]!)));
    });
  });
  rows.forEach((row, i) => cols.forEach((col, j) => {
    const valid = [row.alwaysValid ? undefined : lt(row.index, ctx.M), col.alwaysValid ? undefined : lt(col.index, ctx.N)]
      .filter((c): c is Expr => c !== undefined);
    const emit = (): void => storeElement(ctx, row.index, col.index, sums[i]![j]!);
    if (valid.length === 0) emit();
    else kb.when(valid.reduce((x, y) => and(x, y)), emit);
  }));
}
