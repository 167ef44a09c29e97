// The GPU schedules family by family, on sizes that cross workgroup edges (1, 7, 129, 1000+),
// for WebGPU and CUDA, against the Graph IR interpreter; and the shape of what they emit
// (real workgroup schedules, not the generic adapter, where a family has one).

import { describe, expect, it } from 'vitest';
import { tensor } from '../../../../compiler/interpret/tensor.js';
import { f32, i32, store, KernelBuilder } from '../../../../compiler/kernel/builder.js';
import { checkKernel } from '../../../../compiler/kernel/check.js';
import { runKernel } from '../../../../compiler/kernel/interpret.js';
import type { Kernel, Stmt } from '../../../../compiler/kernel/ir.js';
import { WEBGPU_TARGET } from '../../../../compiler/kernel/program.js';
import { constDim, evalDim } from '../../../../compiler/ir/dim.js';
import { MAX_GRID_DIMENSION, threadLoop, workgroupGrid } from '../../../../compiler/lower/gpu/grid.js';
import { seededRandom } from '../../../helpers/random.js';
import { chooseGpuMatmulTile } from '../../../../compiler/schedule/tiles.js';
import { graphOf } from '../harness.js';
import { graphOfCase } from '../op-cases.js';
import { expectGpuLoweringMatches, GPU_TARGETS } from './harness.js';

function count(stmts: readonly Stmt[], pred: (s: Stmt) => boolean): number {
  let n = 0;
  for (const s of stmts) {
    if (pred(s)) n++;
    if (s.kind === 'for') n += count(s.body, pred);
    if (s.kind === 'if') n += count(s.then, pred) + count(s.else, pred);
  }
  return n;
}
const barriers = (k: Kernel): number => count(k.body, (s) => s.kind === 'barrier');
const workgroupArrays = (k: Kernel): number => count(k.body, (s) => s.kind === 'array' && s.scope === 'workgroup');
const vectorStores = (k: Kernel): number => count(k.body, (s) => s.kind === 'store' && s.value.type === 'f32x4');

/** Floats from a small set, so ties are common, with a NaN now and then. */
function tiedValues(n: number, seed: number, nan: boolean): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => (nan && r() < 0.05 ? NaN : Math.floor(r() * 5) - 2));
}

for (const target of GPU_TARGETS) {
  describe(`GPU schedules for ${target.name}`, () => {
    it('elementwise: one element (or an f32x4) per thread, ragged tails', () => {
      const flat = graphOf(`model M(N) {
        input x: f32[N]
        input y: f32[N]
        output a = exp(x) * y + 1.0
        output b = cast(x * 10.0, to: "i32") + 3
      }`);
      for (const n of [1, 7, 129, 1001]) {
        const { program } = expectGpuLoweringMatches(flat, target, { N: n }, n);
        const [a, b] = program.kernels;
        expect(a!.workgroupSize).toEqual([256, 1, 1]);
        expect(vectorStores(a!)).toBe(1);
        expect(vectorStores(b!)).toBe(0);
      }
      const broadcast = graphOf(`model M(N) {
        input x: f32[N, 12]
        input y: f32[12]
        input z: f32[N, 7]
        output a = x * y - y
        output b = z + 2.0
        output c = x.T
      }`);
      for (const n of [1, 7, 129]) expectGpuLoweringMatches(broadcast, target, { N: n }, n);
    });

    it('reductions: a row of threads per output, tree-combined in workgroup memory', () => {
      const g = graphOf(`model M(N, L) {
        input x: f32[N, L]
        input i: i32[N, L]
        output s = sum(x, axes: [1])
        output m = mean(x * x, axes: [0], keepdims: true)
        output mx = max(x, axes: [1]) + 1.0
        output mn = min(i, axes: [1])
        output p = prod(x * 0.1 + 1.0, axes: [1])
        output am = argmax(x, axis: 1)
        output ai = argmin(i, axis: 0)
      }`);
      for (const [n, l] of [[1, 1], [7, 5], [3, 129], [2, 1000]] as const) {
        const { program } = expectGpuLoweringMatches(g, target, { N: n, L: l }, n + l);
        for (const k of program.kernels) {
          expect(barriers(k), k.name).toBeGreaterThan(0);
          expect(workgroupArrays(k), k.name).toBeGreaterThan(0);
        }
      }
    });

    it('argmax and argmin keep the first (or last) extreme among ties and NaNs', () => {
      const g = graphOfCase({ name: 'ties', build: (b, n) => {
        const x = b.input('x', 'f32', [n, constDim(300)]);
        b.output('a', b.op('argmax', [x], { axis: 1, keepdims: false }));
        b.output('b', b.op('argmin', [x], { axis: 1, keepdims: true }));
        b.output('c', b.op('argmax', [x], { axis: 1, keepdims: false, selectLast: true }));
        b.output('d', b.op('argmin', [x], { axis: 0, keepdims: false, selectLast: true }));
      } });
      for (const [n, nan] of [[4, false], [4, true]] as const) {
        expectGpuLoweringMatches(g, target, { N: n }, 7, { x: tensor('f32', [n, 300], tiedValues(n * 300, n, nan)) });
      }
    });

    it('softmax, layer norm and rms norm: short rows share a workgroup, long rows take one', () => {
      const g = graphOf(`model M(N, L) {
        input x: f32[N, L]
        input s: f32[L]
        input b: f32[L]
        output a = softmax(x * 0.5)
        output c = log_softmax(x, axis: 0)
        output d = layernorm(x, s, b) + 1.0
        output e = rmsnorm(x, s)
      }`);
      for (const [n, l] of [[1, 1], [7, 7], [3, 129], [2, 1000]] as const) {
        const { program } = expectGpuLoweringMatches(g, target, { N: n, L: l }, n * l);
        for (const k of program.kernels) expect(barriers(k), k.name).toBeGreaterThan(0);
      }
      const short = graphOf(`model M(N) {
        input x: f32[N, 5]
        output a = softmax(x)
      }`);
      const { program } = expectGpuLoweringMatches(short, target, { N: 100 }, 3);
      expect(program.kernels[0]!.workgroupSize).toEqual([8, 32, 1]);
    });
  });
}

for (const target of GPU_TARGETS) {
  describe(`GPU matmul for ${target.name}`, () => {
    it('tiled through workgroup memory: ragged edges, transposed and broadcast operands, epilogues', () => {
      const g = graphOf(`model M(M, K, N) {
        input a: f32[M, K]
        input b: f32[K, N]
        input bt: f32[N, K]
        input c: f32[2, M, K]
        input bias: f32[N]
        output plain = a @ b
        output fused = relu(a @ b + bias)
        output transposed = a @ bt.T
        output batched = c @ b
      }`);
      for (const [m, k, n] of [[1, 1, 1], [7, 5, 3], [129, 17, 33], [1, 7, 1000]] as const) {
        const { program } = expectGpuLoweringMatches(g, target, { M: m, K: k, N: n }, m + k + n);
        const matmuls = program.kernels.filter((kernel) => kernel.name.startsWith('matmul'));
        expect(matmuls.length).toBeGreaterThanOrEqual(3);
        for (const kernel of matmuls) {
          expect(barriers(kernel), kernel.name).toBe(2);
          expect(workgroupArrays(kernel), kernel.name).toBe(2);
        }
      }
    });
    it('stages aligned rows with f32x4 loads', () => {
      const g = graphOf(`model M(M) {
        input a: f32[M, 36]
        input b: f32[36, 20]
        input bt: f32[20, 36]
        output y = a @ b
        output t = a @ bt.T
      }`);
      for (const m of [1, 7, 129]) {
        const { program } = expectGpuLoweringMatches(g, target, { M: m }, m);
        const vectorLoads = program.kernels.map((k) => (JSON.stringify(k.body).match(/"kind":"load","type":"f32x4"/g) ?? []).length);
        // Both stage A as vectors; only the plain one stages B so (bt.T's rows are strided).
        expect(vectorLoads[0]!).toBeGreaterThan(vectorLoads[1]!);
        expect(vectorLoads[1]!).toBeGreaterThan(0);
      }
    });
    it('f16 operands accumulate in f32', () => {
      const g = graphOf(`model M(M) {
        input a: f16[M, 24]
        input b: f16[24, 9]
        output y = a @ b
      }`);
      for (const m of [1, 7]) expectGpuLoweringMatches(g, target, { M: m }, m);
    });
  });
}

describe('GPU matmul tiles', () => {
  it('stay within the target limits and shrink for a single row', () => {
    for (const target of GPU_TARGETS) {
      for (const [m, n, k] of [[1, 4096, 4096], [4096, 4096, 4096], [7, 9, 3], [undefined, 768, 768]] as const) {
        const t = chooseGpuMatmulTile(target, m, n, k);
        expect(t.tx * t.ty).toBeLessThanOrEqual(target.maxWorkgroupInvocations!);
        expect((t.bm + t.bn) * t.bk * 4).toBeLessThanOrEqual(target.maxWorkgroupStorageBytes!);
        expect(t.bm).toBe(t.ty * t.tm);
        expect(t.bn).toBe(t.tx * t.tn);
      }
      expect(chooseGpuMatmulTile(target, 1, 4096, 4096).bm).toBeLessThanOrEqual(4);
      const big = chooseGpuMatmulTile(target, 4096, 4096, 4096);
      expect(big.bm * big.bn).toBeGreaterThanOrEqual(64 * 64);
    }
  });
});

describe('GPU grids', () => {
  it('split over grid.y beyond 65535 workgroups, and skip the surplus', () => {
    const kb = new KernelBuilder('fill', []);
    const out = kb.buffer('out', 'f32', 'write');
    const groups = MAX_GRID_DIMENSION + 7;
    const grid = workgroupGrid(kb, new Map(), constDim(groups), (wg) => {
      threadLoop(kb, 2, (t) => kb.emit(store(out, { kind: 'binary', type: 'i32', op: 'add', a: { kind: 'binary', type: 'i32', op: 'mul', a: wg, b: i32(2) }, b: t }, f32(1))));
    });
    const k = kb.finish();
    expect(checkKernel(k)).toEqual([]);
    const extents = grid.map((d) => evalDim(d, new Map()));
    expect(extents).toEqual([2, Math.ceil(groups / 2)]);
    const data = new Float32Array(groups * 2);
    runKernel(k, { out: data }, {}, extents);
    expect(data.every((v) => v === 1)).toBe(true);
  });
});

it('WebGPU limits hold for every schedule (checked by the harness)', () => {
  expect(WEBGPU_TARGET.maxWorkgroupInvocations).toBe(256);
});
