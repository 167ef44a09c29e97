// Tensor-core matmuls on the CUDA target: f16 and bf16 matmuls print as nvcuda::wmma, compile
// with nvcc for sm_80 and sm_90 without spills, and — built as C++ against the emulation
// header's fragment API — match the Graph IR interpreter (rel L2 ≤ 1e-2) at ragged sizes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCuda } from '../../../compiler/driver/compile-cuda.js';
import type { Tensor } from '../../../compiler/interpret/tensor.js';
import { writeCudaPackage } from '../../../compiler/package/write-cuda-package.js';
import { printCudaModule } from '../../../targets/cuda/module.js';
import { parsePtxasReport } from '../../../targets/cuda/ptxas-report.js';
import { randomTensor } from '../../helpers/random.js';
import { graphOf } from '../../compiler/lower/harness.js';
import { buildEmulated, compareWithInterpreter, removeTempDirs, run, runEmulated, skipReason, tempDir } from './harness.js';

afterAll(() => removeTempDirs());

const graph = graphOf(`model M(M, K, N) {
  input a: f16[M, K]
  input b: f16[K, N]
  input c: f32[2, M, K]
  input d: f32[K, N]
  input bias: f16[N]
  output half = relu(a @ b + bias)
  output brain = cast(cast(c, to: "bf16") @ cast(d, to: "bf16"), to: "f16")
}`);

function compiled() {
  return compileCuda(graph, { weights: new Map(), randomWeights: false });
}

// bf16 enters and leaves through casts in the graph: a .npy file cannot hold bf16.
function inputs(m: number, k: number, n: number, seed: number): Map<string, Tensor> {
  return new Map([
    ['a', randomTensor('f16', [m, k], seed)], ['b', randomTensor('f16', [k, n], seed + 1)], ['c', randomTensor('f32', [2, m, k], seed + 2)],
    ['d', randomTensor('f32', [k, n], seed + 3)], ['bias', randomTensor('f16', [n], seed + 4)],
  ]);
}

describe('tensor-core matmuls print as wmma', () => {
  it('each 16-bit matmul kernel issues wmma multiplies from 16-bit shared tiles', () => {
    const { source } = printCudaModule(compiled().program.kernels);
    expect(source).toContain('#include <mma.h>');
    expect(source).toMatch(/alignas\(32\) __shared__ __half a_tile\w*\[1024\];/);
    expect(source).toMatch(/alignas\(32\) __shared__ __nv_bfloat16 a_tile\w*\[1024\];/);
    expect(source).toContain('nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 16, __nv_bfloat16, nvcuda::wmma::row_major>');
    expect(source.match(/nvcuda::wmma::mma_sync/g)?.length).toBe(8);
  });
});

const nvcc = skipReason('nvcc');
describe.skipIf(nvcc !== undefined)(`nvcc compiles tensor-core kernels${nvcc ? ` (skipped: ${nvcc})` : ''}`, () => {
  it('for sm_80 and sm_90, without spills', () => {
    const kernels = compiled().program.kernels;
    const dir = tempDir('mma');
    const source = join(dir, 'kernels.cu');
    writeFileSync(source, printCudaModule(kernels, 'tensor cores').source);
    const log = run('nvcc', ['-c', '-std=c++17', '-diag-suppress', '177', '-Xptxas', '-v',
      '-gencode', 'arch=compute_80,code=sm_80', '-gencode', 'arch=compute_90,code=sm_90', '-o', join(dir, 'kernels.o'), source]);
    const rows = parsePtxasReport(log);
    for (const arch of ['sm_80', 'sm_90']) {
      const seen = new Set(rows.filter((r) => r.arch === arch).map((r) => r.kernel));
      expect(kernels.filter((k) => !seen.has(k.name)).map((k) => k.name), arch).toEqual([]);
    }
    expect(rows.filter((r) => r.spillStoreBytes > 0 || r.spillLoadBytes > 0).map((r) => `${r.kernel} ${r.arch}`)).toEqual([]);
  });
});

const gxx = skipReason('g++');
describe.skipIf(gxx !== undefined)(`the emulated wmma matches the interpreter${gxx ? ` (skipped: ${gxx})` : ''}`, () => {
  it('at sizes 1, 16, 33 and 129', () => {
    const dir = tempDir('mma-emu');
    writeCudaPackage(compiled(), dir);
    buildEmulated(dir);
    for (const [m, k, n] of [[16, 16, 16], [1, 7, 33], [33, 129, 20], [129, 33, 129]] as const) {
      const given = inputs(m, k, n, m + k + n);
      const env = new Map([['M', m], ['K', k], ['N', n]]);
      const got = runEmulated(dir, given, ['half', 'brain']);
      expect(compareWithInterpreter(graph, given, new Map(), env, got), JSON.stringify([m, k, n])).toEqual([]);
    }
  });
});
