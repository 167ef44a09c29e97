// The Kernel IR `mma` statement (ir.ts MmaStmt) as CUDA C: one nvcuda::wmma 16×16×16
// multiply per warp, from and back to shared memory. Fragments load A and B (16-bit) and the
// f32 accumulator tile, multiply, and store the tile back; the __syncwarp() between the
// accumulator's load and its store keeps a lane from storing before every lane has loaded
// (the emulation header, whose lanes each compute the whole tile, relies on it).
// Tensor cores for bf16 need sm_80; a device pass for an older architecture stops at #error.

import type { MmaStmt } from '../../compiler/kernel/ir.js';

const WMMA = 'nvcuda::wmma';

export function mmaLines(
  s: MmaStmt, offsets: { readonly a: string; readonly b: string; readonly acc: string }, identifier: (name: string) => string,
): readonly string[] {
  const [m, n, k] = s.shape;
  const element = s.aType === 'f16' ? '__half' : '__nv_bfloat16';
  const shape = `${m}, ${n}, ${k}`;
  const at = (array: string, offset: string): string => `${identifier(array)} + (${offset})`;
  return [
    '#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800',
    '#error "sluice: tensor-core kernels need sm_80 or newer"',
    '#endif',
    `${WMMA}::fragment<${WMMA}::matrix_a, ${shape}, ${element}, ${WMMA}::row_major> sl_mma_a;`,
    `${WMMA}::fragment<${WMMA}::matrix_b, ${shape}, ${element}, ${WMMA}::row_major> sl_mma_b;`,
    `${WMMA}::fragment<${WMMA}::accumulator, ${shape}, float> sl_mma_acc;`,
    `${WMMA}::load_matrix_sync(sl_mma_a, ${at(s.a.array, offsets.a)}, ${s.a.ld});`,
    `${WMMA}::load_matrix_sync(sl_mma_b, ${at(s.b.array, offsets.b)}, ${s.b.ld});`,
    `${WMMA}::load_matrix_sync(sl_mma_acc, ${at(s.acc.array, offsets.acc)}, ${s.acc.ld}, ${WMMA}::mem_row_major);`,
    `${WMMA}::mma_sync(sl_mma_acc, sl_mma_a, sl_mma_b, sl_mma_acc);`,
    '__syncwarp();',
    `${WMMA}::store_matrix_sync(${at(s.acc.array, offsets.acc)}, sl_mma_acc, ${s.acc.ld}, ${WMMA}::mem_row_major);`,
  ];
}
