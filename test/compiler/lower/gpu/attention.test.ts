// Flash attention on GPU targets against the reference kernel: MHA/GQA/MQA, causal with
// Sq ≠ Skv, masks, odd head dims, symbolic lengths, f16 storage, strided k — for WebGPU and CUDA.

import { describe, expect, it } from 'vitest';
import { constDim, symDim, type Dim } from '../../../../compiler/ir/dim.js';
import { attention } from '../../../../compiler/interpret/kernels/attention.js';
import { toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import type { Kernel, Stmt } from '../../../../compiler/kernel/ir.js';
import type { TargetDescription } from '../../../../compiler/kernel/program.js';
import { lowerAttention } from '../../../../compiler/lower/attention.js';
import type { AttentionSpec, StridedOperand } from '../../../../compiler/lower/specs.js';
import { randomTensor } from '../../../helpers/random.js';
import { contiguousStrides, relativeL2, runLowered } from '../run-lowered.js';
import { GPU_TARGETS, gpuShapeProblems } from './harness.js';

interface Case {
  batch?: number[];
  hq: number; hkv: number; sq: number; skv: number; dk: number; dv?: number;
  causal?: boolean;
  mask?: { shape: number[]; dtype: 'bool' | 'f32' };
  scale?: number;
  symbolic?: boolean;
  /** k given as a transposed view: logical [..., Hkv, Skv, Dk] over storage [..., Skv, Hkv, Dk]. */
  kHeadsInner?: boolean;
  dtype?: 'f32' | 'f16';
}

function operand(value: string, strides: readonly number[], dtype: 'f32' | 'f16' | 'bool' = 'f32'): StridedOperand {
  return { value, dtype, offset: constDim(0), strides: strides.map((s) => constDim(s)) };
}

function runCase(target: TargetDescription, c: Case, seed = 7): { got: number[]; want: number[] } {
  const batch = c.batch ?? [];
  const dv = c.dv ?? c.dk;
  const dtype = c.dtype ?? 'f32';
  const qShape = [...batch, c.hq, c.sq, c.dk];
  const kShape = [...batch, c.hkv, c.skv, c.dk];
  const vShape = [...batch, c.hkv, c.skv, dv];
  const q = randomTensor(dtype, qShape, seed);
  const k = randomTensor(dtype, kShape, seed + 1);
  const v = randomTensor(dtype, vShape, seed + 2);
  const mask = c.mask && randomTensor(c.mask.dtype, c.mask.shape, seed + 3);
  const want = toNumbers(attention(q, k, v, { causal: c.causal ?? false, scale: c.scale, mask }));

  // The transposed k view reads the same data from [..., Skv, Hkv, Dk] storage.
  let kData: Tensor['data'] = k.data;
  let kStrides = contiguousStrides(kShape);
  if (c.kHeadsInner) {
    const r = batch.length;
    const st = contiguousStrides([...batch, c.skv, c.hkv, c.dk]);
    kStrides = [...st.slice(0, r), st[r + 1]!, st[r]!, 1];
    const stored = new Float32Array(k.data.length);
    const kv = toNumbers(k);
    const nb = batch.reduce((x, y) => x * y, 1);
    for (let b = 0; b < nb; b++) for (let h = 0; h < c.hkv; h++) for (let j = 0; j < c.skv; j++) for (let d = 0; d < c.dk; d++) {
      stored[b * c.skv * c.hkv * c.dk + j * kStrides[r + 1]! + h * kStrides[r]! + d] = kv[((b * c.hkv + h) * c.skv + j) * c.dk + d]!;
    }
    kData = stored;
  }
  let maskOperand: StridedOperand | undefined;
  if (c.mask) {
    const full = [...batch, c.hq, c.sq, c.skv];
    const ms = contiguousStrides(c.mask.shape);
    const strides = full.map((_, d) => {
      const md = d - (full.length - c.mask!.shape.length);
      return md < 0 || c.mask!.shape[md] === 1 ? 0 : ms[md]!;
    });
    maskOperand = operand('vmask', strides, c.mask.dtype);
  }
  const sym = c.symbolic ?? false;
  const seq = (n: number, name: string): Dim => (sym ? symDim(name) : constDim(n));
  const spec: AttentionSpec = {
    name: 'attention', sources: ['attention_0'], batch: batch.map((b) => constDim(b)),
    hq: constDim(c.hq), hkv: constDim(c.hkv), sq: seq(c.sq, 'Sq'), skv: seq(c.skv, 'Skv'), dk: constDim(c.dk), dv: constDim(dv),
    q: operand('vq', contiguousStrides(qShape), dtype), k: operand('vk', kStrides, dtype), v: operand('vv', contiguousStrides(vShape), dtype),
    ...(maskOperand ? { mask: maskOperand } : {}),
    causal: c.causal ?? false, scale: c.scale ?? 1 / Math.sqrt(c.dk), out: { value: 'vo', dtype },
  };
  const lowered = lowerAttention(spec, target);
  expect(gpuShapeProblems(lowered.kernel, target)).toEqual([]);
  // The flash schedule itself (K/V tiles staged between barriers), not the generic adapter.
  expect(JSON.stringify(lowered.kernel.body)).toContain('"kind":"barrier"');
  const out = new Float32Array(want.length).fill(Number.NaN);
  runLowered(lowered, { vq: q.data, vk: kData, vv: v.data, vmask: mask?.data ?? new Uint8Array(1), vo: out }, sym ? { Sq: c.sq, Skv: c.skv } : {});
  return { got: Array.from(out), want };
}

/** The flash kernel `lowerAttention` builds for case `c` (no run). */
function kernelOf(target: TargetDescription, c: Case): Kernel {
  const dv = c.dv ?? c.dk;
  const strides = (shape: number[]): StridedOperand['strides'] => contiguousStrides(shape).map((x) => constDim(x));
  const op = (value: string, shape: number[]): StridedOperand => ({ value, dtype: 'f32', offset: constDim(0), strides: strides(shape) });
  return lowerAttention({
    name: 'attention', sources: ['attention_0'], batch: [], hq: constDim(c.hq), hkv: constDim(c.hkv), sq: constDim(c.sq), skv: constDim(c.skv),
    dk: constDim(c.dk), dv: constDim(dv), q: op('vq', [c.hq, c.sq, c.dk]), k: op('vk', [c.hkv, c.skv, c.dk]), v: op('vv', [c.hkv, c.skv, dv]),
    causal: c.causal ?? false, scale: 1 / Math.sqrt(c.dk), out: { value: 'vo', dtype: 'f32' },
  }, target).kernel;
}

function statementCount(stmts: readonly Stmt[]): number {
  return stmts.reduce((n, s) => n + 1 + (s.kind === 'for' ? statementCount(s.body) : s.kind === 'if' ? statementCount(s.then) + statementCount(s.else) : 0), 0);
}

for (const target of GPU_TARGETS) {
  const expectAttention = (c: Case, tolerance = 1e-5): void => {
    const { got, want } = runCase(target, c);
    expect(got.some(Number.isNaN)).toBe(false);
    expect(relativeL2(got, want)).toBeLessThanOrEqual(tolerance);
  };
  describe(`flash attention for ${target.name}`, () => {
    it('MHA, causal and not, sequences 1, 7 and 129 (more rows than a workgroup)', () => {
      for (const s of [1, 7, 129]) {
        expectAttention({ batch: [1], hq: 2, hkv: 2, sq: s, skv: s, dk: 16 });
        expectAttention({ batch: [1], hq: 1, hkv: 1, sq: s, skv: s, dk: 8, causal: true });
      }
    });
    it('GQA and MQA, decode against a longer cache, and Sq > Skv (rows that see nothing)', () => {
      expectAttention({ hq: 4, hkv: 2, sq: 7, skv: 7, dk: 16 });
      expectAttention({ hq: 4, hkv: 1, sq: 9, skv: 9, dk: 16, causal: true });
      expectAttention({ hq: 8, hkv: 2, sq: 1, skv: 70, dk: 16, causal: true });
      expectAttention({ hq: 2, hkv: 1, sq: 7, skv: 19, dk: 8, causal: true });
      const { got, want } = runCase(target, { hq: 2, hkv: 2, sq: 9, skv: 4, dk: 8, causal: true });
      expect(want.slice(0, 8).every((x) => x === 0)).toBe(true);
      expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-5);
    });
    it('float and boolean masks (broadcast), with causal', () => {
      expectAttention({ batch: [2], hq: 2, hkv: 2, sq: 7, skv: 7, dk: 8, mask: { shape: [7, 7], dtype: 'f32' } });
      expectAttention({ batch: [2], hq: 2, hkv: 1, sq: 7, skv: 11, dk: 8, mask: { shape: [2, 1, 7, 11], dtype: 'bool' } });
      expectAttention({ hq: 4, hkv: 2, sq: 7, skv: 7, dk: 8, causal: true, mask: { shape: [4, 1, 7], dtype: 'bool' } });
      expectAttention({ hq: 1, hkv: 1, sq: 8, skv: 2, dk: 8, mask: { shape: [8, 2], dtype: 'bool' } });
    });
    it('odd head dims, Dv ≠ Dk, a given scale, symbolic lengths, a strided k, f16 storage', () => {
      expectAttention({ hq: 2, hkv: 1, sq: 7, skv: 7, dk: 7, dv: 5, causal: true, scale: 0.3 });
      expectAttention({ hq: 4, hkv: 2, sq: 7, skv: 40, dk: 16, causal: true, symbolic: true });
      expectAttention({ batch: [2], hq: 4, hkv: 2, sq: 5, skv: 6, dk: 8, kHeadsInner: true, causal: true });
      expectAttention({ hq: 4, hkv: 2, sq: 7, skv: 9, dk: 16, causal: true, dtype: 'f16' }, 1e-3);
    });
    it('head dim 128 fits the staged tiles in workgroup memory', () => {
      expectAttention({ hq: 1, hkv: 1, sq: 3, skv: 20, dk: 128, causal: true });
    });
    it('stages K/V tiles in a loop: the kernel does not grow with the head dim', () => {
      // Unrolled copy rounds made a d = 64 kernel 33 KB of WGSL that SwiftShader took 15 s to compile.
      const size = (dk: number): number => statementCount(kernelOf(target, { hq: 4, hkv: 2, sq: 40, skv: 9, dk, causal: true }).body);
      expect(size(128)).toBe(size(32));
      // 40 rows of 2 heads fill a 64-thread workgroup: a 32-key tile of 7 (5) columns is 3.5
      // (2.5) rounds of copies, the last one guarded.
      expectAttention({ hq: 4, hkv: 2, sq: 40, skv: 45, dk: 7, dv: 5, causal: true });
    });
  });
}
