// The CPU matmul schedule printed to WebAssembly and run there (not only in the Kernel IR
// interpreter): the n-vector form's packed B panels, whole row tiles addressed from one A
// base plus constants, the clamped remainder tile, K blocks and the strip that overhangs N,
// all at awkward sizes on fresh random inputs, against a float64 reference.

import { describe, expect, it } from 'vitest';
import { constDim, evalDim, symDim } from '../../../compiler/ir/dim.js';
import { add, f32, load, max } from '../../../compiler/kernel/builder.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerMatmul, matmulForm } from '../../../compiler/lower/matmul.js';
import type { MatmulSpec } from '../../../compiler/lower/specs.js';
import { chooseMatmulTile } from '../../../compiler/schedule/tiles.js';
import { freshSeed, gridItems, loadKernels, runWasm } from '../../targets/wasm/harness.js';
import { seededRandom } from '../../helpers/random.js';
import { relativeL2 } from './run-lowered.js';

interface Case {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly biasRelu?: boolean;
  /** Sizes bound at run time (uniforms) rather than constants. */
  readonly symbolic?: boolean;
}

function matmulSpec(c: Case): MatmulSpec {
  const dim = (v: number, name: string) => (c.symbolic ? symDim(name) : constDim(v));
  return {
    name: 'matmul', sources: ['matmul_0'], batch: [],
    m: dim(c.m, 'M'), n: dim(c.n, 'N'), k: dim(c.k, 'K'),
    a: { value: 'va', dtype: 'f32', offset: constDim(0), strides: [dim(c.k, 'K'), constDim(1)] },
    b: { value: 'vb', dtype: 'f32', offset: constDim(0), strides: [dim(c.n, 'N'), constDim(1)] },
    out: { value: 'vc', dtype: 'f32' },
    extraInputs: c.biasRelu ? [{ value: 'vbias', dtype: 'f32' }] : [],
    ...(c.biasRelu ? {
      epilogue: (kb, acc, index) => max(add(acc, load(kb.buffer('vbias', 'f32', 'read'), index.col)), f32(0)),
    } : {}),
  };
}

function expectMatmulInWasm(c: Case, seed: number): void {
  const { m, n, k } = c;
  const next = seededRandom(seed);
  const A = Float32Array.from({ length: m * k }, () => next());
  const B = Float32Array.from({ length: k * n }, () => next());
  const bias = Float32Array.from({ length: n }, () => next());
  const lowered = lowerMatmul(matmulSpec(c), WASM_TARGET);
  const kernel = lowered.kernel;
  const byValue: Record<string, Float32Array> = { va: A, vb: B, vc: new Float32Array(m * n).fill(Number.NaN), vbias: bias };
  const buffers = Object.fromEntries(Object.entries(lowered.buffers).map(([name, value]) => [name, byValue[value]!]));
  const env = new Map(Object.entries({ M: m, N: n, K: k }));
  const uniforms = Object.fromEntries(Object.entries(lowered.uniforms).map(([name, d]) => [name, evalDim(d, env)]));
  // Three calls over uneven item ranges, as worker threads would split them.
  const items = gridItems(kernel, uniforms);
  const cuts = [0, Math.floor(items / 3), Math.floor((2 * items) / 3) + 1, items].map((x) => Math.min(x, items));
  const ranges = cuts.slice(1).map((end, i) => [cuts[i]!, end] as const);
  const got = runWasm(loadKernels([kernel]), kernel, buffers, uniforms, ranges)[Object.keys(lowered.buffers).find((b) => lowered.buffers[b] === 'vc')!]!;
  const want = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let kk = 0; kk < k; kk++) s += A[i * k + kk]! * B[kk * n + j]!;
    want[i * n + j] = c.biasRelu ? Math.max(s + bias[j]!, 0) : s;
  }
  expect(relativeL2(got as Float32Array, want), `M=${m} N=${n} K=${k} seed ${seed}`).toBeLessThanOrEqual(1e-5);
}

describe('n-vector matmul in wasm', () => {
  const seed = freshSeed();

  it.each([
    [1, 1, 1], [1, 7, 129], [7, 129, 33], [129, 7, 1], [64, 64, 64], [129, 35, 300], [70, 36, 450], [1000, 20, 7], [3, 16, 17],
  ])(`matches a float64 reference at M=%i N=%i K=%i (seed ${seed})`, (m, n, k) => {
    expect(matmulForm(matmulSpec({ m, n, k }), WASM_TARGET)).toBe(n < 4 ? 'k-vector' : 'n-vector');
    expectMatmulInWasm({ m, n, k }, seed);
  });

  it('packs the B panel when a strip sweeps several row tiles, blocked or not', () => {
    for (const [m, n, k] of [[129, 35, 300], [67, 32, 40]] as const) {
      const tile = chooseMatmulTile(WASM_TARGET, m, n, k);
      expect(tile.rowsPerItem).toBeGreaterThan(tile.mr);
      expect(JSON.stringify(lowerMatmul(matmulSpec({ m, n, k }), WASM_TARGET).kernel.body)).toContain('"b_panel"');
      expectMatmulInWasm({ m, n, k }, seed + 1);
    }
  });

  it('applies a bias + relu epilogue on whole and remainder tiles', () => {
    expectMatmulInWasm({ m: 129, n: 35, k: 300, biasRelu: true }, seed + 2);
    expectMatmulInWasm({ m: 7, n: 33, k: 5, biasRelu: true }, seed + 3);
  });

  it('takes sizes bound at run time', () => {
    for (const [m, n, k] of [[129, 35, 300], [1, 1, 1], [9, 20, 7]] as const) expectMatmulInWasm({ m, n, k, symbolic: true }, seed + 4);
  });
});
