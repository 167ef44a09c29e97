import { describe, expect, it } from 'vitest';
import { constDim, symDim, type Dim } from '../../../compiler/ir/dim.js';
import { attention } from '../../../compiler/interpret/kernels/attention.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerAttention } from '../../../compiler/lower/attention.js';
import type { AttentionSpec, StridedOperand } from '../../../compiler/lower/specs.js';
import { randomTensor } from '../../helpers/random.js';
import { contiguousStrides, relativeL2, runLowered } from './run-lowered.js';

interface Case {
  batch?: number[];
  hq: number; hkv: number; sq: number; skv: number; dk: number; dv?: number;
  causal?: boolean;
  /** Mask shape (broadcast to [...batch, hq, sq, skv] from the right) and dtype. */
  mask?: { shape: number[]; dtype: 'bool' | 'f32' };
  scale?: number;
  /** Give Sq and Skv as symbols bound at run time. */
  symbolic?: boolean;
  /** Store k as [..., Skv, Hkv, Dk] (a transposed view), so its strides are not row-major. */
  kHeadsInner?: boolean;
  /** Storage dtype of q, k, v and the output. */
  dtype?: 'f32' | 'f16';
}

function operand(value: string, shape: readonly number[], strides: readonly number[], dim: (n: number, d: number) => Dim, dtype: 'f32' | 'f16' = 'f32'): StridedOperand {
  return { value, dtype, offset: constDim(0), strides: strides.map((s, d) => (s === 0 ? constDim(0) : dim(s, d))) };
}

function runCase(c: Case, seed = 7): { got: number[]; want: number[]; spec: AttentionSpec } {
  const batch = c.batch ?? [];
  const dv = c.dv ?? c.dk;
  const qShape = [...batch, c.hq, c.sq, c.dk];
  const kShape = [...batch, c.hkv, c.skv, c.dk];
  const vShape = [...batch, c.hkv, c.skv, dv];
  const dtype = c.dtype ?? 'f32';
  const q = randomTensor(dtype, qShape, seed);
  const k = randomTensor(dtype, kShape, seed + 1);
  const v = randomTensor(dtype, vShape, seed + 2);
  const mask = c.mask && randomTensor(c.mask.dtype, c.mask.shape, seed + 3);
  const want = toNumbers(attention(q, k, v, { causal: c.causal ?? false, scale: c.scale, mask }));

  // Symbolic strides: a stride equal to Sq·Dk and the like is given as the symbol product.
  const sym = c.symbolic ?? false;
  const env: Record<string, number> = sym ? { Sq: c.sq, Skv: c.skv } : {};
  const dimOf = (n: number, name: string): Dim => (sym ? symDim(name) : constDim(n));
  const plain = (s: number): Dim => constDim(s);

  // k may be stored heads-inner: storage [..., Skv, Hkv, Dk], viewed as [..., Hkv, Skv, Dk].
  let kData: Tensor = k;
  let kStrides = contiguousStrides(kShape);
  if (c.kHeadsInner) {
    const r = batch.length;
    const stored = [...batch, c.skv, c.hkv, c.dk];
    const st = contiguousStrides(stored);
    kStrides = [...st.slice(0, r), st[r + 1]!, st[r]!, 1];
    const values = new Float32Array(k.data.length);
    const kv = toNumbers(k);
    const nb = batch.reduce((x, y) => x * y, 1);
    for (let b = 0; b < nb; b++) for (let h = 0; h < c.hkv; h++) for (let j = 0; j < c.skv; j++) for (let d = 0; d < c.dk; d++) {
      values[b * c.skv * c.hkv * c.dk + j * kStrides[r + 1]! + h * kStrides[r]! + d] = kv[((b * c.hkv + h) * c.skv + j) * c.dk + d]!;
    }
    kData = tensor(dtype, stored, values);
  }

  let maskOperand: StridedOperand | undefined;
  if (c.mask) {
    const full = [...batch, c.hq, c.sq, c.skv];
    const ms = contiguousStrides(c.mask.shape);
    const strides = full.map((_, d) => {
      const md = d - (full.length - c.mask!.shape.length);
      return md < 0 || c.mask!.shape[md] === 1 ? 0 : ms[md]!;
    });
    maskOperand = { ...operand('vmask', full, strides, plain), dtype: c.mask.dtype };
  }
  const spec: AttentionSpec = {
    name: 'attention', sources: ['attention_0'],
    batch: batch.map((b) => constDim(b)),
    hq: constDim(c.hq), hkv: constDim(c.hkv),
    sq: dimOf(c.sq, 'Sq'), skv: dimOf(c.skv, 'Skv'),
    dk: constDim(c.dk), dv: constDim(dv),
    q: operand('vq', qShape, contiguousStrides(qShape), plain, dtype),
    k: operand('vk', kShape, kStrides, plain, dtype),
    v: operand('vv', vShape, contiguousStrides(vShape), plain, dtype),
    ...(maskOperand ? { mask: maskOperand } : {}),
    causal: c.causal ?? false,
    scale: c.scale ?? 1 / Math.sqrt(c.dk),
    out: { value: 'vo', dtype },
  };
  const out = new Float32Array(want.length).fill(Number.NaN);
  runLowered(lowerAttention(spec, WASM_TARGET), { vq: q.data, vk: kData.data, vv: v.data, vmask: mask?.data ?? new Uint8Array(1), vo: out }, env);
  return { got: Array.from(out), want, spec };
}

function expectAttention(c: Case): void {
  const { got, want } = runCase(c);
  expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-5);
}

describe('lowerAttention (wasm schedule)', () => {
  for (const s of [1, 7, 64, 129]) {
    it(`matches the reference for S=${s}, MHA, head dim 32, causal and not`, () => {
      expectAttention({ batch: [1], hq: 2, hkv: 2, sq: s, skv: s, dk: 32 });
      expectAttention({ batch: [1], hq: 2, hkv: 2, sq: s, skv: s, dk: 32, causal: true });
    });
  }

  it('handles head dim 64, GQA and MQA', () => {
    expectAttention({ hq: 4, hkv: 2, sq: 7, skv: 7, dk: 64 });
    expectAttention({ hq: 4, hkv: 1, sq: 9, skv: 9, dk: 64, causal: true });
    expectAttention({ batch: [2], hq: 6, hkv: 2, sq: 5, skv: 5, dk: 32, causal: true });
  });

  it('decodes one query row against a longer cache (Sq = 1), MHA/GQA/MQA, causal', () => {
    expectAttention({ hq: 4, hkv: 4, sq: 1, skv: 33, dk: 32, causal: true });
    expectAttention({ hq: 8, hkv: 2, sq: 1, skv: 129, dk: 64, causal: true });
    expectAttention({ hq: 4, hkv: 1, sq: 1, skv: 20, dk: 32 });
  });

  it('aligns causal attention to the last row when Sq ≠ Skv, and zeros rows that see nothing', () => {
    expectAttention({ hq: 2, hkv: 1, sq: 7, skv: 19, dk: 32, causal: true });
    // Sq > Skv: the first Sq - Skv rows see no key and give zeros.
    const { got, want } = runCase({ hq: 2, hkv: 2, sq: 9, skv: 4, dk: 32, causal: true });
    expect(want.slice(0, 32).every((x) => x === 0)).toBe(true);
    expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-5);
    expect(got.some(Number.isNaN)).toBe(false);
  });

  it('adds a float mask and applies a boolean mask (broadcast), with causal', () => {
    expectAttention({ batch: [2], hq: 2, hkv: 2, sq: 7, skv: 7, dk: 32, mask: { shape: [7, 7], dtype: 'f32' } });
    expectAttention({ batch: [2], hq: 2, hkv: 1, sq: 7, skv: 11, dk: 32, mask: { shape: [2, 1, 7, 11], dtype: 'bool' } });
    expectAttention({ hq: 4, hkv: 2, sq: 7, skv: 7, dk: 32, causal: true, mask: { shape: [4, 1, 7], dtype: 'bool' } });
    expectAttention({ hq: 2, hkv: 2, sq: 1, skv: 9, dk: 32, causal: true, mask: { shape: [1, 9], dtype: 'f32' } });
  });

  it('gives zeros for fully masked rows, as the reference does', () => {
    // A mask of one row shape: some rows may be all false.
    const { got, want } = runCase({ hq: 1, hkv: 1, sq: 8, skv: 2, dk: 32, mask: { shape: [8, 2], dtype: 'bool' } }, 3);
    expect(want.some((x) => x === 0)).toBe(true);
    expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-5);
    expect(got.some(Number.isNaN)).toBe(false);
  });

  it('uses scalar loops for head dims that are not a multiple of 4, and Dv ≠ Dk, and a given scale', () => {
    expectAttention({ hq: 2, hkv: 1, sq: 7, skv: 7, dk: 7, dv: 5, causal: true, scale: 0.3 });
    expectAttention({ hq: 2, hkv: 2, sq: 3, skv: 6, dk: 32, dv: 12 });
  });

  it('takes symbolic sequence lengths as uniforms', () => {
    expectAttention({ hq: 4, hkv: 2, sq: 7, skv: 7, dk: 32, causal: true, symbolic: true });
    expectAttention({ hq: 2, hkv: 2, sq: 1, skv: 13, dk: 32, causal: true, symbolic: true });
  });

  it('reads and writes f16 storage, computing in f32', () => {
    const { got, want } = runCase({ hq: 4, hkv: 2, sq: 7, skv: 9, dk: 32, causal: true, dtype: 'f16' });
    expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-3);
  });

  it('reads a k view with non-row-major strides', () => {
    expectAttention({ batch: [2], hq: 4, hkv: 2, sq: 5, skv: 6, dk: 32, kHeadsInner: true, causal: true });
  });
});
