// Kernel IR `warp_reduce`: the interpreter's semantics (per 32 consecutive linear thread ids,
// NaN-propagating max/min), the checker's refusals, the printers that refuse it, and the CUDA
// row schedule (reductions, softmax, norms) that uses it, against the Graph IR interpreter.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCuda } from '../../../compiler/driver/compile-cuda.js';
import { writeCudaPackage } from '../../../compiler/package/write-cuda-package.js';
import { buildEmulated, compareWithInterpreter, randomInputs, removeTempDirs, run, runEmulated, skipReason, tempDir } from '../../targets/cuda/harness.js';
import { checkKernel } from '../../../compiler/kernel/check.js';
import { binary, f32, i32, KernelBuilder, load, lt, store, warpReduce } from '../../../compiler/kernel/builder.js';
import { runKernel } from '../../../compiler/kernel/interpret.js';
import type { Kernel, Stmt } from '../../../compiler/kernel/ir.js';
import { CUDA_TARGET, WEBGPU_TARGET } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { printCudaModule } from '../../../targets/cuda/index.js';
import { parsePtxasReport } from '../../../targets/cuda/ptxas-report.js';
import { printWasmModule } from '../../../targets/wasm/module.js';
import { printWgslKernel } from '../../../targets/wgsl/module.js';
import { graphOf } from '../lower/harness.js';
import { expectGpuLoweringMatches } from '../lower/gpu/harness.js';
import { randomTensor } from '../../helpers/random.js';

afterAll(() => removeTempDirs());

type Op = 'add' | 'max' | 'min';

/** out[t] = warp_reduce(op, in[t]) over `threads` threads (x); `wrap` places the let. */
function warpKernel(op: Op, threads: number, type: 'f32' | 'i32' = 'f32', wrap?: (kb: KernelBuilder, x: ReturnType<typeof load>) => void): Kernel {
  const kb = new KernelBuilder('warp', ['test']);
  const input = kb.buffer('in', type, 'read');
  const out = kb.buffer('out', type, 'write');
  kb.workgroupSize = [threads, 1, 1];
  kb.loop('g', i32(0), i32(1), 'grid.x', () => {
    kb.loop('tx', i32(0), i32(threads), 'thread.x', (tx) => {
      const x = kb.let('x', load(input, tx));
      if (wrap) wrap(kb, x);
      else kb.emit(store(out, tx, kb.let('r', warpReduce(op, x))));
    });
  });
  return kb.finish();
}

function fold(op: Op, xs: readonly number[]): number {
  return xs.reduce((a, b) => {
    if (op === 'add') return Math.fround(a + b);
    if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
    return op === 'max' ? Math.max(a, b) : Math.min(a, b);
  });
}

function allStmts(stmts: readonly Stmt[]): Stmt[] {
  return stmts.flatMap((s) => [s, ...(s.kind === 'for' ? allStmts(s.body) : s.kind === 'if' ? [...allStmts(s.then), ...allStmts(s.else)] : [])]);
}

describe('warp_reduce in the Kernel IR interpreter', () => {
  for (const op of ['add', 'max', 'min'] as const) {
    it(`${op} over 64 threads gives each warp of 32 its own result, NaN propagating`, () => {
      const data = Float32Array.from(randomTensor('f32', [64], 3).data as Float32Array);
      data[40] = NaN; // second warp only
      const out = new Float32Array(64);
      runKernel(warpKernel(op, 64), { in: data, out }, {});
      const first = fold(op, [...data.slice(0, 32)]);
      const second = fold(op, [...data.slice(32)]);
      for (let t = 0; t < 32; t++) expect(out[t]).toBe(first);
      for (let t = 32; t < 64; t++) expect(out[t]).toBeNaN();
      if (op !== 'add') expect(second).toBeNaN();
      expect(Number.isNaN(first)).toBe(false);
    });
  }

  it('i32 sums wrap as i32', () => {
    const data = Int32Array.from({ length: 64 }, (_, i) => (i === 3 ? 2 ** 31 - 1 : i - 20));
    const out = new Int32Array(64);
    runKernel(warpKernel('add', 64, 'i32'), { in: data, out }, {});
    const first = data.slice(0, 32).reduce((a, b) => (a + b) | 0, 0);
    expect(out[0]).toBe(first);
    expect(out[63]).toBe(data.slice(32).reduce((a, b) => (a + b) | 0, 0));
  });
});

describe('the checker refuses misplaced warp_reduce', () => {
  it('accepts it where every thread of whole warps reaches it', () => {
    expect(checkKernel(warpKernel('add', 64))).toEqual([]);
    expect(checkKernel(warpKernel('add', 64), CUDA_TARGET)).toEqual([]);
  });
  it('on a target without 32-lane subgroups', () => {
    expect(checkKernel(warpKernel('add', 64), WEBGPU_TARGET).join()).toMatch(/without 32-lane subgroups/);
  });
  it('in a workgroup whose x size is not whole warps', () => {
    expect(checkKernel(warpKernel('max', 48)).join()).toMatch(/multiple of 32/);
  });
  it('under control flow that differs between threads', () => {
    const k = warpKernel('add', 64, 'f32', (kb, x) => kb.when(lt(x, f32(0)), () => { kb.let('r', warpReduce('add', x)); }));
    expect(checkKernel(k).join()).toMatch(/differs between threads/);
  });
  it('inside a larger expression', () => {
    const k = warpKernel('add', 64, 'f32', (kb, x) => { kb.let('r', binary('add', warpReduce('add', x), x)); });
    expect(checkKernel(k).join()).toMatch(/only as the whole initializer of a let/);
  });
  it('of an f64 value', () => {
    const k = warpKernel('add', 64, 'f32', (kb, x) => { kb.let('r', warpReduce('add', binary('add', { kind: 'cast', type: 'f64', a: x }, { kind: 'cast', type: 'f64', a: x }))); });
    expect(checkKernel(k).join()).toMatch(/only f32 and i32/);
  });
});

const ROW_CASES = `model M(N) {
  input x: f32[3, N]
  input y: f32[N, 33]
  output a = sum(x, axes: [1])
  output b = max(x, axes: [1])
  output c = min(x * 2.0, axes: [1])
  output d = softmax(x)
  output e = layernorm(x)
  output f = rmsnorm(y)
  output g = argmax(x, axis: 1)
  output h = softmax(y)
}`;

describe('CUDA row schedules reduce within warps', () => {
  const graph = graphOf(ROW_CASES);
  it('uses warp_reduce on CUDA and a tree on WebGPU', () => {
    const count = (target: typeof CUDA_TARGET) => lowerProgram(graph, target).kernels
      .flatMap((k) => allStmts(k.body)).filter((s) => s.kind === 'let' && s.init.kind === 'warp_reduce').length;
    expect(count(CUDA_TARGET)).toBeGreaterThan(0);
    expect(count(WEBGPU_TARGET)).toBe(0);
    expect(JSON.stringify(printCudaModule(lowerProgram(graph, CUDA_TARGET).kernels))).toMatch(/sl_warp_add_f32\(/);
  });
  for (const n of [1, 7, 129, 1000]) {
    it(`matches the interpreter with rows of ${n}`, () => {
      expectGpuLoweringMatches(graph, CUDA_TARGET, { N: n }, n);
      expectGpuLoweringMatches(graph, WEBGPU_TARGET, { N: n }, n);
    });
  }
});

describe.skipIf(skipReason('g++') !== undefined)('CUDA warp reductions under the emulator', () => {
  it('match the interpreter with rows of 1, 7, 129 and 1000', () => {
    const graph = graphOf(ROW_CASES);
    const weights = new Map();
    const compiled = compileCuda(graph, { weights, randomWeights: false });
    expect(compiled.sources['kernels.cu'] ?? JSON.stringify(compiled)).toMatch(/__shfl_xor_sync/);
    const dir = tempDir('warp');
    writeCudaPackage(compiled, dir);
    buildEmulated(dir);
    for (const n of [1, 7, 129, 1000]) {
      const env = new Map([['N', n]]);
      const inputs = randomInputs(graph, env, n);
      const got = runEmulated(dir, inputs, graph.outputs.map((o) => o.name));
      expect(compareWithInterpreter(graph, inputs, weights, env, got), `N = ${n}`).toEqual([]);
    }
  });
});

describe('targets without warps refuse warp_reduce by name', () => {
  it('WGSL', () => {
    expect(() => printWgslKernel(warpKernel('add', 64), { f16: false })).toThrow(/warp_reduce/);
  });
  it('WASM', () => {
    const kb = new KernelBuilder('cpu_warp', ['test']);
    const input = kb.buffer('in', 'f32', 'read');
    const out = kb.buffer('out', 'f32', 'write');
    kb.loop('g', i32(0), i32(4), 'grid.x', (g) => kb.emit(store(out, g, kb.let('r', warpReduce('add', load(input, g))))));
    expect(() => printWasmModule([kb.finish()])).toThrow(/warp_reduce/);
  });
});

describe.skipIf(skipReason('nvcc') !== undefined)('CUDA warp reductions under nvcc', () => {
  it('compile for sm_80 and sm_90 without spills', () => {
    const program = compileCuda(graphOf(ROW_CASES), { weights: new Map(), randomWeights: false }).program;
    const dir = tempDir('warp-nvcc');
    const source = join(dir, 'kernels.cu');
    writeFileSync(source, printCudaModule(program.kernels, 'warp reductions').source);
    const log = run('nvcc', ['-c', '-std=c++17', '-diag-suppress', '177', '-Xptxas', '-v',
      '-gencode', 'arch=compute_80,code=sm_80', '-gencode', 'arch=compute_90,code=sm_90', '-o', join(dir, 'kernels.o'), source]);
    const rows = parsePtxasReport(log);
    expect(rows.length).toBe(program.kernels.length * 2);
    expect(rows.filter((r) => r.spillStoreBytes > 0 || r.spillLoadBytes > 0)).toEqual([]);
  });
});
