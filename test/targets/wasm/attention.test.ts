// Attention lowered for wasm (the blocked flash schedule, and the per-key one where it applies)
// and run as WebAssembly, against the Graph IR interpreter's attention: the sizes
// S ∈ {1, 7, 64, 129, 1000}, head dims 32/64/128, MHA/GQA/MQA, causal or not, float and bool
// masks, symbolic lengths, f16 storage; work items split over several calls as threads would.

import { describe, expect, it } from 'vitest';
import { evalDim, type Dim } from '../../../compiler/ir/dim.js';
import { allocData } from '../../../compiler/interpret/tensor.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerAttention } from '../../../compiler/lower/attention.js';
import { buildCase, coverageCases, describeCase, type AttentionCase } from '../../compiler/lower/attention-cases.js';
import { relativeL2 } from '../../helpers/close.js';
import { expectSameNumbers } from '../../helpers/same-numbers.js';
import { seededRandom } from '../../helpers/random.js';
import { freshSeed, gridItems, loadKernels, randomRanges, runWasm, type Buffers } from './harness.js';

function runCase(c: AttentionCase, seed: number, pieces = 1): { got: number[]; want: number[] } {
  const built = buildCase(c, seed);
  const lowered = lowerAttention(built.spec, WASM_TARGET);
  const loaded = loadKernels([lowered.kernel]);
  const env = new Map(Object.entries(built.env));
  const uniforms: Record<string, number> = {};
  for (const [name, d] of Object.entries(lowered.uniforms)) uniforms[name] = evalDim(d as Dim, env);
  const buffers: Buffers = {};
  for (const [name, id] of Object.entries(lowered.buffers)) {
    buffers[name] = id === 'vo' ? allocData(built.spec.out.dtype, built.want.length) : built.inputs[id]!.data;
  }
  // The harness starts with 4 pages; the inputs, output and scratch need more at S = 1000.
  const bytes = Object.values(buffers).reduce((n, b) => n + b.length * 4 + 64, 1 << 16) + (loaded.scratchBytes[lowered.kernel.name] ?? 0);
  const memory = loaded.memory as unknown as { buffer: ArrayBufferLike; grow(pages: number): number };
  const pages = Math.ceil(bytes / 65536) - memory.buffer.byteLength / 65536;
  if (pages > 0) memory.grow(pages);
  const items = gridItems(lowered.kernel, uniforms);
  const ranges = pieces === 1 ? undefined : randomRanges(items, pieces, seededRandom(seed));
  const out = runWasm(loaded, lowered.kernel, buffers, uniforms, ranges);
  const outName = Object.entries(lowered.buffers).find(([, id]) => id === 'vo')![0];
  return { got: Array.from(out[outName]! as Float32Array, Number), want: built.want };
}

function expectMatches(c: AttentionCase, tolerance = 1e-5, pieces = 1): void {
  const seed = freshSeed();
  const { got, want } = runCase(c, seed, pieces);
  const label = `${describeCase(c)} (seed ${seed})`;
  expect(got.some(Number.isNaN), label).toBe(false);
  expect(relativeL2(got, want), label).toBeLessThanOrEqual(tolerance);
}

describe('attention on wasm', () => {
  for (const s of [1, 7, 64, 129]) {
    it(`matches the reference at S = ${s}: head dims 32/64/128, MHA/GQA/MQA, causal or not, masks`, () => {
      for (const c of coverageCases([s])) expectMatches(c);
    });
  }

  it('matches the reference at S = 1000, MHA and GQA/MQA, causal or not, with a mask', () => {
    expectMatches({ hq: 2, hkv: 2, sq: 1000, skv: 1000, dk: 32, qGain: 4 });
    expectMatches({ hq: 2, hkv: 1, sq: 1000, skv: 1000, dk: 64, causal: true, qGain: 4 });
    expectMatches({ hq: 1, hkv: 1, sq: 1000, skv: 1000, dk: 128, causal: true });
    expectMatches({ hq: 2, hkv: 1, sq: 1000, skv: 1000, dk: 32, mask: { shape: [1000, 1000], dtype: 'f32' } });
  });

  it('gives the same result when the work items run in separate calls', () => {
    expectMatches({ batch: [2], hq: 4, hkv: 2, sq: 37, skv: 37, dk: 64, causal: true, qGain: 4 }, 1e-5, 5);
  });

  it('takes symbolic lengths, Sq ≠ Skv, a decode step of a GQA group, and f16 storage', () => {
    expectMatches({ hq: 4, hkv: 2, sq: 70, skv: 70, dk: 32, causal: true, symbolic: true });
    expectMatches({ hq: 4, hkv: 4, sq: 5, skv: 70, dk: 64, causal: true });
    expectMatches({ hq: 2, hkv: 2, sq: 9, skv: 4, dk: 32, causal: true });
    expectMatches({ hq: 8, hkv: 2, sq: 1, skv: 130, dk: 64, causal: true });
    expectMatches({ hq: 4, hkv: 2, sq: 9, skv: 9, dk: 32, causal: true, dtype: 'f16' }, 1e-3);
  });

  it('propagates NaN as the reference does: a NaN query row, key or value element', () => {
    // A NaN in q spoils its row's scores, one in k a key's score in every row of that kv
    // head, one in v a column of every row that attends to it (causal rows before it do not).
    const cases: AttentionCase[] = [
      { hq: 4, hkv: 2, sq: 37, skv: 37, dk: 64, causal: true, nan: { q: [5 * 64 + 3] } },
      { hq: 2, hkv: 1, sq: 70, skv: 70, dk: 32, causal: true, nan: { k: [40 * 32 + 7] } },
      { hq: 2, hkv: 2, sq: 129, skv: 129, dk: 32, nan: { v: [100 * 32 + 1], k: [129 * 32 + 64] } },
    ];
    for (const c of cases) {
      const seed = freshSeed();
      const { got, want } = runCase(c, seed);
      expect(want.some(Number.isNaN), describeCase(c)).toBe(true);
      expectSameNumbers(got, want, 1e-5, `${describeCase(c)} (seed ${seed})`);
    }
  });

  it('a NaN value behind the causal mask: rows that see it are NaN, the others NaN or right', () => {
    // The decomposed reference multiplies the masked weights (exactly 0) by V, so 0·NaN
    // spoils every row. The fused kernel never reads keys in the blocks it skips above the
    // diagonal, and multiplies the masked keys of a diagonal block by their zero weight: a
    // row before the NaN key is NaN or, when its block skipped the key, the clean answer.
    const c: AttentionCase = { hq: 2, hkv: 2, sq: 70, skv: 70, dk: 32, causal: true, nan: { v: [40 * 32 + 9] } };
    const seed = freshSeed();
    const { got, want } = runCase(c, seed);
    const clean = buildCase({ ...c, nan: undefined }, seed).want;
    let skipped = 0;
    for (let row = 0; row < 70; row++) {
      const at = row * 32 + 9; // head 0, column 9
      expect(Number.isNaN(want[at]!), `reference row ${row}`).toBe(true);
      if (row >= 40 || Number.isNaN(got[at]!)) {
        expect(Number.isNaN(got[at]!), `row ${row}`).toBe(true);
      } else {
        expect(got[at], `row ${row}`).toBeCloseTo(clean[at]!, 5);
        skipped++;
      }
    }
    expect(skipped, 'rows whose blocks skipped the NaN key').toBeGreaterThan(0);
  });
});
