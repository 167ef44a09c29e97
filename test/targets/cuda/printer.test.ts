// The CUDA C printer on hand-built kernels: what each Kernel IR construct prints as (the
// dialect table's choices), names kept out of C's way, and the output compiling as C++
// against the emulation header. Numerics are checked end to end in emulated.test.ts.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  add, cast, constant, f32, i32, KernelBuilder, load, lt, mul, reduceLanes, select, store, unary,
} from '../../../compiler/kernel/builder.js';
import type { Kernel } from '../../../compiler/kernel/ir.js';
import { cudaIdentifier } from '../../../targets/cuda/dialect.js';
import { printCudaModule } from '../../../targets/cuda/module.js';
import { cudaEmulationHeader } from '../../../compiler/package/write-cuda-package.js';
import { HAS_GXX, removeTempDirs, run, tempDir } from './harness.js';

afterAll(() => removeTempDirs());

/** A GPU-style kernel: a 2-d grid, 64 threads, a workgroup array and a barrier, mixed dtypes. */
function gpuKernel(): Kernel {
  const kb = new KernelBuilder('scale_rows', ['%3 mul', '%4 round']);
  kb.workgroupSize = [64, 1, 1];
  const x = kb.buffer('x', 'f16', 'read');
  const y = kb.buffer('y', 'bf16', 'write');
  const flags = kb.buffer('flags', 'bool', 'read');
  const idx = kb.buffer('idx', 'i64', 'write');
  const n = kb.uniform('n');
  const rows = kb.uniform('rows');
  kb.loop('row', i32(0), rows, 'grid.y', (row) => {
    kb.loop('blk', i32(0), n, 'grid.x', (blk) => {
      const tile = kb.array('tile', 'f32', 64, 'workgroup');
      kb.loop('t', i32(0), i32(64), 'thread.x', (t) => {
        const at = add(mul(row, n), add(mul(blk, i32(64)), t));
        const v = kb.let('v', cast(load(x, at), 'f32'));
        kb.emit({ kind: 'array_store', array: tile, index: t, value: unary('round', v) });
        kb.emit({ kind: 'barrier' });
        const other = kb.let('other', { kind: 'array_load', type: 'f32', array: tile, index: select(lt(t, i32(63)), add(t, i32(1)), i32(0)) });
        kb.emit(store(y, at, select(load(flags, at), other, constant('f32', Number.NaN))));
        kb.emit(store(idx, at, cast(mul(other, f32(Number.POSITIVE_INFINITY)), 'i64')));
      });
    });
  });
  return kb.finish();
}

/** A CPU-style kernel with vectors and an unrolled loop. */
function vectorKernel(): Kernel {
  const kb = new KernelBuilder('sum4', ['%1 sum']);
  const x = kb.buffer('x', 'f32', 'read');
  const out = kb.buffer('out', 'f32', 'write');
  const n = kb.uniform('n');
  kb.loop('int', i32(0), n, 'grid.x', (row) => {
    const acc = kb.let('acc', load(x, mul(row, i32(8)), 4));
    kb.loop('k', i32(0), i32(1), 'unrolled', () => {
      kb.set(acc, add(acc, load(x, add(mul(row, i32(8)), i32(4)), 4)));
    });
    kb.emit(store(out, row, reduceLanes('add', acc)));
    kb.emit(store(out, add(row, n), cast(row, 'f32')));
  });
  return kb.finish();
}

describe('CUDA printer', () => {
  const gpu = printCudaModule([gpuKernel(), vectorKernel()]).source;

  it('prints kernels as extern "C" __global__ functions with restrict pointers and int uniforms', () => {
    expect(gpu).toContain('extern "C" __global__ void __launch_bounds__(64, 1) scale_rows(const __half* __restrict__ x, __nv_bfloat16* __restrict__ y, '
      + 'const unsigned char* __restrict__ flags, long long* __restrict__ idx, int n, int rows)');
    expect(gpu).toContain('// sources: %3 mul, %4 round');
  });

  it('flattens the grid nest over blocks and maps thread loops to threadIdx', () => {
    expect(gpu).toContain('const long long sl_item = (long long)blockIdx.x + (long long)blockIdx.y * gridDim.x;');
    expect(gpu).toContain('if (sl_item >= sl_grid0 * sl_grid1) return;');
    expect(gpu).toContain('const int row = (int)(sl_item / (sl_grid1));');
    expect(gpu).toContain('const int t = (int)threadIdx.x;');
  });

  it('prints workgroup arrays as __shared__, barriers as __syncthreads, storage conversions and builtins', () => {
    expect(gpu).toContain('alignas(32) __shared__ float tile[64];');
    expect(gpu).toContain('__syncthreads();');
    expect(gpu).toContain('sl_ld(x[');
    expect(gpu).toContain('__float2bfloat16_rn(');
    expect(gpu).toContain('(flags[row * n + (blk * 64 + t)] != 0)');
    expect(gpu).toContain('rintf(v)');
    expect(gpu).toContain('__int_as_float(0x7fc00000)');
    expect(gpu).toContain('sl_conv<long long>(');
  });

  it('prints f32x4 as sl_vec loads/stores (128-bit when aligned), unrolled loops with #pragma unroll', () => {
    expect(gpu).toContain('sl_vec<float, 4> acc = sl_vload<float, 4>(x, int_ * 8);');
    expect(gpu).toContain('#pragma unroll');
    expect(gpu).toContain('sl_reduce_add(acc)');
  });

  it('keeps IR names out of C keywords, C library names and its own sl_ prefix, injectively', () => {
    expect(cudaIdentifier('x')).toBe('x');
    expect(cudaIdentifier('int')).toBe('int_');
    expect(cudaIdentifier('div')).toBe('div_');
    expect(cudaIdentifier('sl_item')).toBe('sl_item_');
    expect(cudaIdentifier('int_')).toBe('int__');
    expect(new Set(['a', 'a_', 'a__', 'int', 'int_'].map(cudaIdentifier)).size).toBe(5);
  });

  it.skipIf(!HAS_GXX)('compiles as C++ against the emulation header', () => {
    const dir = tempDir('printer');
    writeFileSync(join(dir, 'sluice_cuda_emu.h'), cudaEmulationHeader());
    writeFileSync(join(dir, 'kernels.cu'), gpu);
    run('g++', ['-std=c++17', '-fsyntax-only', '-fwrapv', '-Wall', '-Wno-unused', '-I', dir, '-include', 'sluice_cuda_emu.h', '-x', 'c++', join(dir, 'kernels.cu')]);
  });
});
