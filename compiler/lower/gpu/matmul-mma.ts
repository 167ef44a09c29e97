// Matmul on tensor cores (CUDA sm_80+): C[b, m, n] = Σ_k A[b, m, k]·B[b, k, n] for f16 or bf16
// operands, with f32 accumulation (Kernel IR `mma`, ir.ts MmaStmt).
//
// A workgroup of WARPS warps owns a BM × BN tile of C, kept as an f32 workgroup array
// (`acc_tile`, zeroed first). K advances BK = 16 at a time: all threads copy the BM × BK slice
// of A and the BK × BN slice of B into 16-bit workgroup arrays (zero past M, N or K, as the
// f32 schedule does), a barrier, then warp w multiplies row block w of A by each of the
// BN / 16 column blocks of B into acc_tile, a barrier. The epilogue reads acc_tile, thread
// `tid` taking elements tid, tid + threads, ... (neighbouring threads store neighbouring
// columns of C). The grid is batch × row tiles × column tiles, as in matmul.ts.

import { KernelBuilder, add, and, arrayLoad, div, f32, i32, lt, mul, rem } from '../../kernel/builder.js';
import type { MmaInputType } from '../../kernel/ir.js';
import type { TargetDescription } from '../../kernel/program.js';
import type { LoweredKernel, MatmulSpec } from '../specs.js';
import { storeConverted } from '../strided-index.js';
import type { UniformDims } from '../uniforms.js';
import { emitMatmulTileGrid, finishMatmulKernel, stageOperandTiles, vectorLanes } from './matmul.js';

/** The mma shape; also the row block each warp owns and the K step. */
const T = 16;
const WARPS = 4;
const BM = WARPS * T;
const BN = 64;
const BK = T;
const THREADS = WARPS * 32;

/** The tensor-core input type when the target has tensor cores and both operands are f16 (or both bf16). */
function mmaInputType(spec: MatmulSpec): MmaInputType | undefined {
  const a = spec.a.dtype, b = spec.b.dtype;
  return a === b && (a === 'f16' || a === 'bf16') ? a : undefined;
}

/** "The schedule asks for tensor cores": a target that has them and 16-bit float operands. */
export function asksForTensorCores(spec: MatmulSpec, target: TargetDescription): boolean {
  return target.tensorCores === true && mmaInputType(spec) !== undefined;
}

export function lowerMatmulMma(spec: MatmulSpec): LoweredKernel {
  const aType = mmaInputType(spec);
  if (!aType) throw new Error(`matmul ${spec.name}: tensor cores need f16 or bf16 operands, got ${spec.a.dtype} and ${spec.b.dtype}`);
  const kb = new KernelBuilder(spec.name, spec.sources);
  kb.workgroupSize = [THREADS, 1, 1];
  const uniforms: UniformDims = new Map();
  const A = kb.buffer(spec.a.value, spec.a.dtype, 'read');
  const B = kb.buffer(spec.b.value, spec.b.dtype, 'read');
  const C = kb.buffer(spec.out.value, spec.out.dtype, 'write');
  const aLanes = vectorLanes(spec.a, spec.k, BK);
  const bLanes = vectorLanes(spec.b, spec.n, BN);

  const grid = emitMatmulTileGrid(kb, spec, uniforms, BM, BN, (t) => {
    const { batch, M, N, m0, n0, cBase } = t;
    const aTile = kb.array('a_tile', 'f32', BM * BK, 'workgroup', aType);
    const bTile = kb.array('b_tile', 'f32', BK * BN, 'workgroup', aType);
    const accTile = kb.array('acc_tile', 'f32', BM * BN, 'workgroup');

    kb.loop('tid', i32(0), i32(THREADS), 'thread.x', (tid) => {
      const warp = kb.let('warp', div(tid, i32(32)));
      // Workgroup memory is not zeroed on a GPU; the first barrier below publishes these.
      for (let e = 0; e < (BM * BN) / THREADS; e++) kb.emit({ kind: 'array_store', array: accTile, index: add(i32(e * THREADS), tid), value: f32(0) });
      kb.loop('k0', i32(0), t.K, 'serial', (k0) => {
        stageOperandTiles(kb, spec, uniforms, t, k0, { A, B, aTile, bTile, bm: BM, bn: BN, bk: BK, threads: THREADS, tid, aLanes, bLanes });
        kb.emit({ kind: 'barrier' });
        for (let j = 0; j < BN / T; j++) {
          kb.emit({
            kind: 'mma', shape: [16, 16, 16], aType,
            a: { array: aTile, offset: mul(warp, i32(T * BK)), ld: BK },
            b: { array: bTile, offset: i32(j * T), ld: BN },
            acc: { array: accTile, offset: add(mul(warp, i32(T * BN)), i32(j * T)), ld: BN },
          });
        }
        kb.emit({ kind: 'barrier' });
      }, BK);
      for (let e = 0; e < (BM * BN) / THREADS; e++) {
        const slot = kb.let('slot', add(i32(e * THREADS), tid));
        const row = kb.let('row', add(m0, div(slot, i32(BN))));
        const col = kb.let('col', add(n0, rem(slot, i32(BN))));
        kb.when(and(lt(row, M), lt(col, N)), () => {
          const acc = arrayLoad(accTile, 'f32', slot);
          const value = spec.epilogue ? spec.epilogue(kb, acc, { batch, row, col }, uniforms) : acc;
          kb.emit(storeConverted(C, add(cBase, add(mul(row, N), col)), value));
        });
      }
    });
  });

  return finishMatmulKernel(kb, spec, uniforms, grid, { A, B, C });
}
