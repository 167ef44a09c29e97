import { describe, expect, it } from 'vitest';
import { constDim, symDim, type Dim } from '../../../compiler/ir/dim.js';
import { add, f32, load, max } from '../../../compiler/kernel/builder.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerMatmul, matmulForm } from '../../../compiler/lower/matmul.js';
import type { MatmulSpec, StridedOperand } from '../../../compiler/lower/specs.js';
import { roundToHalfInPlace } from '../../../compiler/interpret/tensor.js';
import { seededRandom } from '../../helpers/random.js';
import { relativeL2, runLowered } from './run-lowered.js';

/** A logical operand over storage: strides and offset in elements, and the storage size. */
interface Layout {
  readonly strides: readonly number[];
  readonly offset: number;
  readonly size: number;
}

function randomArray(size: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: size }, () => next());
}

/** Contiguous storage of `shape`, broadcast (stride 0) on the dims listed. */
function layout(shape: readonly number[], opts: { broadcast?: readonly number[]; order?: readonly number[]; offset?: number } = {}): Layout {
  // `order` lists dims from slowest to fastest in memory (default: row-major).
  const order = opts.order ?? shape.map((_, d) => d);
  const strides = new Array<number>(shape.length).fill(0);
  let s = 1;
  for (let o = order.length - 1; o >= 0; o--) {
    const d = order[o]!;
    if (opts.broadcast?.includes(d)) continue;
    strides[d] = s;
    s *= shape[d]!;
  }
  return { strides, offset: opts.offset ?? 0, size: s + (opts.offset ?? 0) };
}

function at(l: Layout, idx: readonly number[]): number {
  return idx.reduce((acc, x, d) => acc + x * l.strides[d]!, l.offset);
}

interface Case {
  batch: number[];
  m: number; n: number; k: number;
  a?: (shape: number[]) => Layout;
  b?: (shape: number[]) => Layout;
  /** Dims given as symbols (bound at run time) instead of constants. */
  symbolic?: boolean;
  biasRelu?: boolean;
  /** Storage dtype of A, B and C (f16 values are kept rounded in f32 storage). */
  dtype?: 'f32' | 'f16';
}

function runCase(c: Case, seed = 1): { got: Float32Array; want: Float64Array; spec: MatmulSpec } {
  const { batch, m, n, k } = c;
  const aShape = [...batch, m, k], bShape = [...batch, k, n];
  const aL = (c.a ?? ((s) => layout(s)))(aShape);
  const bL = (c.b ?? ((s) => layout(s)))(bShape);
  const A = randomArray(aL.size, seed), B = randomArray(bL.size, seed + 1), bias = randomArray(n, seed + 2);
  const dtype = c.dtype ?? 'f32';
  if (dtype === 'f16') { roundToHalfInPlace(A); roundToHalfInPlace(B); }
  const nb = batch.reduce((x, y) => x * y, 1);
  const C = new Float32Array(nb * m * n).fill(Number.NaN);

  const names = { m: 'M', n: 'N', k: 'K' };
  const env: Record<string, number> = c.symbolic ? { M: m, N: n, K: k } : {};
  const asDim = (v: number, name?: string): Dim => (c.symbolic && name ? symDim(name) : constDim(v));
  // Strides that equal a size become that size's symbol, so symbolic strides are exercised too.
  const strideDim = (s: number): Dim => {
    if (!c.symbolic) return constDim(s);
    for (const [key, sym] of Object.entries(names)) if (s === c[key as 'm' | 'n' | 'k'] && s > 1) return symDim(sym);
    return constDim(s);
  };
  const operand = (value: string, l: Layout): StridedOperand => ({
    value, dtype, offset: constDim(l.offset), strides: l.strides.map(strideDim),
  });
  const spec: MatmulSpec = {
    name: 'matmul', sources: ['matmul_0'],
    batch: batch.map((b) => asDim(b)),
    m: asDim(m, 'M'), n: asDim(n, 'N'), k: asDim(k, 'K'),
    a: operand('va', aL), b: operand('vb', bL),
    out: { value: 'vc', dtype },
    extraInputs: c.biasRelu ? [{ value: 'vbias', dtype: 'f32' }] : [],
    ...(c.biasRelu ? {
      epilogue: (kb, acc, index) => {
        const biasBuf = kb.buffer('vbias', 'f32', 'read');
        return max(add(acc, load(biasBuf, index.col)), f32(0));
      },
    } : {}),
  };
  const lowered = lowerMatmul(spec, WASM_TARGET);
  if (c.biasRelu) expect(lowered.buffers['vbias']).toBe('vbias');
  runLowered(lowered, { va: A, vb: B, vc: C, vbias: bias }, env);

  const want = new Float64Array(nb * m * n);
  for (let b = 0; b < nb; b++) {
    const bIdx: number[] = [];
    let rest = b;
    for (let d = batch.length - 1; d >= 0; d--) { bIdx[d] = rest % batch[d]!; rest = Math.floor(rest / batch[d]!); }
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let kk = 0; kk < k; kk++) s += A[at(aL, [...bIdx, i, kk])]! * B[at(bL, [...bIdx, kk, j])]!;
      if (c.biasRelu) s = Math.max(s + bias[j]!, 0);
      want[(b * m + i) * n + j] = s;
    }
  }
  return { got: C, want, spec };
}

function expectMatmul(c: Case): MatmulSpec {
  const { got, want, spec } = runCase(c);
  expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-5);
  return spec;
}

describe('lowerMatmul (wasm schedule)', () => {
  it.each([
    [1, 1, 1], [7, 129, 33], [64, 64, 64], [1, 7, 129], [129, 7, 1], [5, 13, 300], [1, 100, 40], [3, 31, 9],
  ])('matches the reference for M=%i N=%i K=%i', (m, n, k) => {
    const spec = expectMatmul({ batch: [], m, n, k });
    expect(matmulForm(spec, WASM_TARGET)).toBe(n < 4 ? 'k-vector' : 'n-vector');
  });

  it('takes dot products along K for a matrix times a vector (N = 1)', () => {
    const spec = expectMatmul({ batch: [], m: 129, n: 1, k: 37 });
    expect(matmulForm(spec, WASM_TARGET)).toBe('k-vector');
  });

  it('blocks a long K, keeping partial sums in a private array, with edge rows and columns', () => {
    const spec = expectMatmul({ batch: [], m: 6, n: 23, k: 900 });
    const kernel = lowerMatmul(spec, WASM_TARGET).kernel;
    expect(JSON.stringify(kernel.body)).toContain('"scope":"private"');
    expectMatmul({ batch: [], m: 6, n: 23, k: 900, biasRelu: true });
  });

  it('broadcasts a batch dim of A (stride 0) and keeps B per batch, with an offset', () => {
    expectMatmul({
      batch: [2, 3], m: 7, n: 9, k: 5,
      a: (s) => layout(s, { broadcast: [0, 1], offset: 3 }),
      b: (s) => layout(s, { broadcast: [0] }),
    });
  });

  it('uses dot products along K for a transposed B (n stride ≠ 1)', () => {
    for (const [m, n, k] of [[7, 129, 33], [1, 9, 16], [4, 4, 3], [64, 64, 64]] as const) {
      const spec = expectMatmul({ batch: [2], m, n, k, b: (s) => layout(s, { order: [0, 2, 1] }) });
      expect(matmulForm(spec, WASM_TARGET)).toBe('k-vector');
    }
  });

  it('falls back to scalar tiles when neither operand is contiguous along a useful axis', () => {
    const spec = expectMatmul({
      batch: [], m: 7, n: 10, k: 6,
      a: (s) => layout(s, { order: [1, 0] }),
      b: (s) => layout(s, { order: [1, 0] }),
    });
    expect(matmulForm(spec, WASM_TARGET)).toBe('scalar');
  });

  it('takes symbolic sizes as uniforms (K blocked at run time)', () => {
    for (const [m, n, k] of [[7, 129, 33], [1, 1, 1], [9, 20, 300]] as const) {
      const { got, want, spec } = runCase({ batch: [2], m, n, k, symbolic: true });
      expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-5);
      expect(spec.m).toEqual(symDim('M'));
    }
    expectMatmul({ batch: [], m: 7, n: 13, k: 5, symbolic: true, b: (s) => layout(s, { order: [1, 0] }) });
  });

  it('applies a bias + relu epilogue at store time', () => {
    expectMatmul({ batch: [], m: 7, n: 129, k: 33, biasRelu: true });
    expectMatmul({ batch: [], m: 5, n: 13, k: 300, biasRelu: true });
    expectMatmul({ batch: [], m: 3, n: 17, k: 8, biasRelu: true, b: (s) => layout(s, { order: [1, 0] }) });
  });

  it('reads and writes f16 storage, accumulating in f32', () => {
    for (const b of [undefined, (s: number[]) => layout(s, { order: [1, 0] })]) {
      const { got, want } = runCase({ batch: [], m: 7, n: 21, k: 33, dtype: 'f16', ...(b ? { b } : {}) });
      expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-3);
    }
  });

  it('names its buffers after the value ids and its grid after the tiles', () => {
    const { spec } = runCase({ batch: [], m: 8, n: 24, k: 4 });
    const lowered = lowerMatmul(spec, WASM_TARGET);
    expect(lowered.buffers).toEqual({ va: 'va', vb: 'vb', vc: 'vc' });
    expect(lowered.grid).toHaveLength(1);
    expect(lowered.kernel.buffers.map((b) => b.access)).toEqual(['read', 'read', 'write']);
  });
});
