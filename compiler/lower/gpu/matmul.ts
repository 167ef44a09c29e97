// Matmul on GPU targets: C[b, m, n] = Σ_k A[b, m, k]·B[b, k, n], tiled for workgroup memory.
//
// A workgroup owns a bm × bn tile of C (tile sizes: chooseGpuMatmulTile, schedule/tiles.ts);
// its tx × ty threads each hold tm × tn f32 accumulators, thread (x, y) taking rows
// y + i·ty and columns x + j·tx, so neighbouring threads read neighbouring columns of the
// staged B tile and store neighbouring elements of C. K advances bk at a time: all threads
// copy the bm × bk slice of A and the bk × bn slice of B into workgroup arrays (loads past
// M, N or K are not made and store zero), a barrier, the FMAs from workgroup memory, a
// barrier. The copies are f32x4 loads where an operand's rows allow (vectorLanes). Operands are strided views (a transposed weight costs no copy) of any float
// storage dtype, converted to f32 on the way in; the epilogue runs per element at the store,
// as on the CPU. The grid is batch × row tiles × column tiles (column tiles fastest).

import { ceilDivDim, constValue, mulDim, type Dim } from '../../ir/dim.js';
import {
  KernelBuilder, add, and, arrayLoad, cast, div, f32, fma, i32, lane, load, lt, mul, rem, splat,
} from '../../kernel/builder.js';
import type { BufferParam, Expr, KType } from '../../kernel/ir.js';
import type { TargetDescription } from '../../kernel/program.js';
import { chooseGpuMatmulTile, type GpuMatmulTile } from '../../schedule/tiles.js';
import type { LoweredKernel, MatmulSpec, StridedOperand } from '../specs.js';
import { flatIndex, storeConverted, strideDimFromEnd, stridedBase, unflatten } from '../strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from '../uniforms.js';
import { workgroupGrid } from './grid.js';
import { product } from '../group-context.js';
import { asksForTensorCores, lowerMatmulMma } from './matmul-mma.js';

export function lowerMatmulGpu(spec: MatmulSpec, target: TargetDescription): LoweredKernel {
  if (asksForTensorCores(spec, target)) return lowerMatmulMma(spec);
  const batchCount = constValue(product(spec.batch));
  const tile = chooseGpuMatmulTile(target, constValue(spec.m), constValue(spec.n), constValue(spec.k), batchCount ?? 1);
  return lowerMatmulTiled(spec, tile);
}

/** The tiled schedule for a given tile (exported so tests can force small and odd tiles). */
export function lowerMatmulTiled(spec: MatmulSpec, tile: GpuMatmulTile): LoweredKernel {
  const { bm, bn, bk, tm, tn, tx: TX, ty: TY } = tile;
  const threads = TX * TY;
  const kb = new KernelBuilder(spec.name, spec.sources);
  kb.workgroupSize = [TX, TY, 1];
  const uniforms: UniformDims = new Map();
  const A = kb.buffer(spec.a.value, spec.a.dtype, 'read');
  const B = kb.buffer(spec.b.value, spec.b.dtype, 'read');
  const C = kb.buffer(spec.out.value, spec.out.dtype, 'write');
  const aLanes = vectorLanes(spec.a, spec.k, bk);
  const bLanes = vectorLanes(spec.b, spec.n, bn);

  const grid = emitMatmulTileGrid(kb, spec, uniforms, bm, bn, (t) => {
    const { batch, M, N, m0, n0, cBase } = t;
    const aTile = kb.array('a_tile', 'f32', bm * bk, 'workgroup');
    const bTile = kb.array('b_tile', 'f32', bk * bn, 'workgroup');

    kb.loop('ty', i32(0), i32(TY), 'thread.y', (ty) => {
      kb.loop('tx', i32(0), i32(TX), 'thread.x', (tx) => {
        const tid = kb.let('tid', add(mul(ty, i32(TX)), tx));
        const acc: Expr[] = [];
        for (let i = 0; i < tm * tn; i++) acc.push(kb.let('acc', f32(0)));
        kb.loop('k0', i32(0), t.K, 'serial', (k0) => {
          stageOperandTiles(kb, spec, uniforms, t, k0, { A, B, aTile, bTile, bm, bn, bk, threads, tid, aLanes, bLanes });
          kb.emit({ kind: 'barrier' });
          kb.loop('kk', i32(0), i32(bk), 'unrolled', (kk) => {
            const a = Array.from({ length: tm }, (_, i) =>
              kb.let('a', arrayLoad(aTile, 'f32', add(mul(add(ty, i32(i * TY)), i32(bk)), kk))));
            const b = Array.from({ length: tn }, (_, j) =>
              kb.let('b', arrayLoad(bTile, 'f32', add(mul(kk, i32(bn)), add(tx, i32(j * TX))))));
            for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) kb.set(acc[i * tn + j]!, fma(a[i]!, b[j]!, acc[i * tn + j]!));
          });
          kb.emit({ kind: 'barrier' });
        }, bk);
        for (let i = 0; i < tm; i++) {
          for (let j = 0; j < tn; j++) {
            const row = kb.let('row', add(m0, add(ty, i32(i * TY))));
            const col = kb.let('col', add(n0, add(tx, i32(j * TX))));
            kb.when(and(lt(row, M), lt(col, N)), () => {
              const value = spec.epilogue ? spec.epilogue(kb, acc[i * tn + j]!, { batch, row, col }, uniforms) : acc[i * tn + j]!;
              kb.emit(storeConverted(C, add(cBase, add(mul(row, N), col)), value));
            });
          }
        }
      });
    });
  });

  return finishMatmulKernel(kb, spec, uniforms, grid, { A, B, C });
}

/** What the body of one C tile's workgroup sees (emitMatmulTileGrid). */
export interface MatmulTileContext {
  readonly batch: readonly Expr[];
  readonly M: Expr;
  readonly N: Expr;
  readonly K: Expr;
  /** Element offsets of this batch entry in A, B and C. */
  readonly aBase: Expr;
  readonly bBase: Expr;
  readonly cBase: Expr;
  /** The tile's first row and column of C. */
  readonly m0: Expr;
  readonly n0: Expr;
}

/**
 * The grid both GPU matmul schedules share: a workgroup per (batch, row tile of bm, column
 * tile of bn), column tiles fastest; `body` emits the workgroup's code. Gives the grid extent.
 */
export function emitMatmulTileGrid(
  kb: KernelBuilder, spec: MatmulSpec, uniforms: UniformDims, bm: number, bn: number, body: (t: MatmulTileContext) => void,
): Dim[] {
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const rowTiles = ceilDivDim(spec.m, bm);
  const colTiles = ceilDivDim(spec.n, bn);
  const count = [...spec.batch, rowTiles, colTiles].reduce<Dim>((acc, d) => mulDim(acc, d), product([]));
  return workgroupGrid(kb, uniforms, count, (wg) => {
    const batchExtents = spec.batch.map(dim);
    const coords = unflatten(kb, wg, [...batchExtents, dim(rowTiles), dim(colTiles)],
      [...spec.batch.map((_, d) => `batch${d}`), 'row_tile', 'col_tile']);
    const batch = coords.slice(0, spec.batch.length);
    body({
      batch, M: dim(spec.m), N: dim(spec.n), K: dim(spec.k),
      aBase: kb.let('a_base', stridedBase(kb, spec.a, batch, uniforms)),
      bBase: kb.let('b_base', stridedBase(kb, spec.b, batch, uniforms)),
      cBase: kb.let('c_base', mul(flatIndex(batch, batchExtents), dim(mulDim(spec.m, spec.n)))),
      m0: kb.let('m0', mul(coords[spec.batch.length]!, i32(bm))),
      n0: kb.let('n0', mul(coords[spec.batch.length + 1]!, i32(bn))),
    });
  });
}

/** Where and how a K step stages its operands (stageOperandTiles). */
export interface OperandStaging {
  readonly A: BufferParam;
  readonly B: BufferParam;
  readonly aTile: string;
  readonly bTile: string;
  /** The tile: bm × bk of A, bk × bn of B. */
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  readonly threads: number;
  readonly tid: Expr;
  readonly aLanes: 1 | 4;
  readonly bLanes: 1 | 4;
}

/** Stages A[m0 .. m0+bm, k0 .. k0+bk] and B[k0 .. k0+bk, n0 .. n0+bn] into their tiles, zero past the edges. */
export function stageOperandTiles(kb: KernelBuilder, spec: MatmulSpec, uniforms: UniformDims, t: MatmulTileContext, k0: Expr, s: OperandStaging): void {
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const { M, N, K, m0, n0, aBase, bBase } = t;
  stageTile(kb, s.A, s.aTile, s.bm, s.bk, s.threads, s.tid, s.aLanes, (r, c) => ({
    inside: and(lt(add(m0, r), M), lt(add(k0, c), K)),
    index: add(aBase, add(mul(add(m0, r), dim(strideDimFromEnd(spec.a, 2))), mul(add(k0, c), dim(strideDimFromEnd(spec.a, 1))))),
  }));
  stageTile(kb, s.B, s.bTile, s.bk, s.bn, s.threads, s.tid, s.bLanes, (r, c) => ({
    inside: and(lt(add(k0, r), K), lt(add(n0, c), N)),
    index: add(bBase, add(mul(add(k0, r), dim(strideDimFromEnd(spec.b, 2))), mul(add(n0, c), dim(strideDimFromEnd(spec.b, 1))))),
  }));
}

/** The finished kernel with its buffer bindings (the epilogue's extra inputs where it reads them). */
export function finishMatmulKernel(
  kb: KernelBuilder, spec: MatmulSpec, uniforms: UniformDims, grid: Dim[], { A, B, C }: { A: BufferParam; B: BufferParam; C: BufferParam },
): LoweredKernel {
  const kernel = kb.finish();
  const buffers: Record<string, string> = { [A.name]: spec.a.value, [B.name]: spec.b.value, [C.name]: spec.out.value };
  for (const extra of spec.extraInputs) if (kernel.buffers.some((b) => b.name === extra.value)) buffers[extra.value] = extra.value;
  return { kernel, buffers, uniforms: uniformRecord(uniforms), grid };
}

/**
 * All threads of the workgroup copy a rows × cols tile into `array` (row-major), element
 * e = i·threads + tid; `at` says whether (r, c) lies inside the operand and where it lives.
 */
export function stageTile(
  kb: KernelBuilder, buffer: BufferParam, array: string, rows: number, cols: number, threads: number, tid: Expr, lanes: 1 | 4,
  at: (r: Expr, c: Expr) => { inside: Expr; index: Expr },
): void {
  // Each thread copies `lanes` consecutive elements of a row at a time (one f32x4 load when 4).
  const perRow = cols / lanes;
  const pieces = rows * perRow;
  const vector: KType = lanes === 1 ? 'f32' : 'f32x4';
  for (let i = 0; i < Math.ceil(pieces / threads); i++) {
    const copy = (): void => {
      const e = kb.let('e', add(i32(i * threads), tid));
      const r = kb.let('r', div(e, i32(perRow)));
      const c = kb.let('c', mul(rem(e, i32(perRow)), i32(lanes)));
      const { inside, index } = at(r, c);
      const v = kb.let('staged', lanes === 1 ? f32(0) : splat(f32(0), 4), vector);
      kb.when(inside, () => kb.set(v, cast(load(buffer, index, lanes), vector)));
      const slot = add(mul(r, i32(cols)), c);
      if (lanes === 1) kb.emit({ kind: 'array_store', array, index: slot, value: v });
      else for (let l = 0; l < lanes; l++) kb.emit({ kind: 'array_store', array, index: add(slot, i32(l)), value: lane(v, l) });
    };
    // The last round may have more threads than pieces left.
    if ((i + 1) * threads <= pieces) copy();
    else kb.when(lt(add(i32(i * threads), tid), i32(pieces)), copy);
  }
}

/**
 * 4 when an operand's rows can be read as aligned f32x4 vectors: contiguous along its last
 * dim, whose extent is a multiple of 4, with every other stride and the offset multiples of 4
 * (so a vector never straddles a row and starts on a 16-byte boundary), and a tile width
 * that is a multiple of 4.
 */
export function vectorLanes(op: StridedOperand, inner: Dim, tileWidth: number): 1 | 4 {
  const multipleOf4 = (d: Dim): boolean => {
    const c = constValue(d);
    return c !== undefined && c % 4 === 0;
  };
  const last = op.strides.length - 1;
  const ok = tileWidth % 4 === 0 && constValue(op.strides[last]!) === 1 && multipleOf4(inner) && multipleOf4(op.offset) &&
    op.strides.slice(0, last).every(multipleOf4);
  return ok ? 4 : 1;
}
