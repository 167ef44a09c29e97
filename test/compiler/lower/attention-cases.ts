// Attention cases shared by the schedule tests (Kernel IR interpreter) and the wasm tests:
// an AttentionSpec over contiguous q, k, v (optionally a broadcast mask), seeded inputs, and
// the Graph IR interpreter's result as the reference.

import { constDim, symDim, type Dim } from '../../../compiler/ir/dim.js';
import { attention } from '../../../compiler/interpret/kernels/attention.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import type { AttentionSpec, StridedOperand } from '../../../compiler/lower/specs.js';
import { randomTensor } from '../../helpers/random.js';
import { contiguousStrides } from './run-lowered.js';

export interface AttentionCase {
  batch?: number[];
  hq: number; hkv: number; sq: number; skv: number; dk: number; dv?: number;
  causal?: boolean;
  /** Mask shape (broadcast to [...batch, hq, sq, skv] from the right) and dtype. */
  mask?: { shape: number[]; dtype: 'bool' | 'f32' };
  /** Multiplies q, so scores spread wider than [-1, 1] and the running max moves. */
  qGain?: number;
  /** Give Sq and Skv as symbols bound at run time. */
  symbolic?: boolean;
  dtype?: 'f32' | 'f16';
  /** Elements (flat indices) set to NaN in q, k and v before the reference runs. */
  nan?: { q?: number[]; k?: number[]; v?: number[] };
}

export interface BuiltCase {
  readonly spec: AttentionSpec;
  /** Inputs by value id (vq, vk, vv, vmask). */
  readonly inputs: Record<string, Tensor>;
  /** Symbol values for the dims. */
  readonly env: Record<string, number>;
  readonly want: number[];
}

export function describeCase(c: AttentionCase): string {
  const mask = c.mask ? ` mask ${c.mask.dtype}[${c.mask.shape.join(',')}]` : '';
  return `hq ${c.hq}/hkv ${c.hkv} sq ${c.sq} skv ${c.skv} d ${c.dk}${c.dv && c.dv !== c.dk ? `/${c.dv}` : ''}${c.causal ? ' causal' : ''}${mask}${c.symbolic ? ' symbolic' : ''}`;
}

export function buildCase(c: AttentionCase, seed: number): BuiltCase {
  const batch = c.batch ?? [];
  const dv = c.dv ?? c.dk;
  const dtype = c.dtype ?? 'f32';
  const qShape = [...batch, c.hq, c.sq, c.dk];
  const kShape = [...batch, c.hkv, c.skv, c.dk];
  const vShape = [...batch, c.hkv, c.skv, dv];
  const q = randomTensor(dtype, qShape, seed);
  if (c.qGain !== undefined) {
    const data = q.data as Float32Array;
    for (let i = 0; i < data.length; i++) data[i] = data[i]! * c.qGain;
  }
  const k = randomTensor(dtype, kShape, seed + 1);
  const v = randomTensor(dtype, vShape, seed + 2);
  const mask = c.mask && randomTensor(c.mask.dtype, c.mask.shape, seed + 3);
  for (const [t, at] of [[q, c.nan?.q], [k, c.nan?.k], [v, c.nan?.v]] as const) {
    for (const i of at ?? []) (t.data as Float32Array)[i] = NaN;
  }
  const scale = 1 / Math.sqrt(c.dk);
  const want = toNumbers(attention(q, k, v, { causal: c.causal ?? false, scale, mask }));

  const sym = c.symbolic ?? false;
  const env: Record<string, number> = sym ? { Sq: c.sq, Skv: c.skv } : {};
  const operand = (value: string, shape: readonly number[], opDtype: 'f32' | 'f16' | 'bool' = dtype): StridedOperand => ({
    value, dtype: opDtype, offset: constDim(0), strides: contiguousStrides(shape).map((s) => constDim(s)),
  });
  let maskOperand: StridedOperand | undefined;
  if (c.mask) {
    const full = [...batch, c.hq, c.sq, c.skv];
    const ms = contiguousStrides(c.mask.shape);
    const strides = full.map((_, d) => {
      const md = d - (full.length - c.mask!.shape.length);
      return md < 0 || c.mask!.shape[md] === 1 ? 0 : ms[md]!;
    });
    maskOperand = { value: 'vmask', dtype: c.mask.dtype, offset: constDim(0), strides: strides.map((s) => constDim(s)) };
  }
  const dimOf = (n: number, name: string): Dim => (sym ? symDim(name) : constDim(n));
  const spec: AttentionSpec = {
    name: 'attention', sources: ['attention_0'],
    batch: batch.map((b) => constDim(b)),
    hq: constDim(c.hq), hkv: constDim(c.hkv),
    sq: dimOf(c.sq, 'Sq'), skv: dimOf(c.skv, 'Skv'),
    dk: constDim(c.dk), dv: constDim(dv),
    q: operand('vq', qShape), k: operand('vk', kShape), v: operand('vv', vShape),
    ...(maskOperand ? { mask: maskOperand } : {}),
    causal: c.causal ?? false,
    scale,
    out: { value: 'vo', dtype },
  };
  const inputs: Record<string, Tensor> = { vq: q, vk: k, vv: v };
  if (mask) inputs.vmask = mask;
  return { spec, inputs, env, want };
}

/** The issue's coverage: S ∈ {1, 7, 64, 129} × d ∈ {32, 64, 128} × MHA/GQA/MQA, causal or not, masks. */
export function coverageCases(sizes: readonly number[]): AttentionCase[] {
  const cases: AttentionCase[] = [];
  const heads: [number, number][] = [[2, 2], [4, 2], [4, 1]];
  for (const s of sizes) {
    for (const [i, dk] of [32, 64, 128].entries()) {
      const [hq, hkv] = heads[i]!;
      cases.push({ hq, hkv, sq: s, skv: s, dk, qGain: 4 });
      cases.push({ hq, hkv, sq: s, skv: s, dk, causal: true, qGain: 4 });
    }
    cases.push({ batch: [2], hq: 2, hkv: 1, sq: s, skv: s, dk: 32, mask: { shape: [s, s], dtype: 'f32' } });
    cases.push({ hq: 4, hkv: 2, sq: s, skv: s + 3, dk: 32, causal: true, mask: { shape: [4, 1, s + 3], dtype: 'bool' } });
  }
  return cases;
}
