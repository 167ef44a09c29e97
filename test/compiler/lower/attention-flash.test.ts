// The blocked (flash) attention schedule on the Kernel IR interpreter, against the Graph IR
// interpreter's attention: the sizes, head dims and head groupings, masks, causal
// alignment, symbolic lengths, f16 storage, and block sizes that divide nothing.

import { describe, expect, it } from 'vitest';
import { allocData } from '../../../compiler/interpret/tensor.js';
import type { TypedArrayLike } from '../../../compiler/kernel/interpret.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerAttention } from '../../../compiler/lower/attention.js';
import { flashAttentionApplies, lowerAttentionFlash } from '../../../compiler/lower/attention-flash.js';
import type { LoweredKernel } from '../../../compiler/lower/specs.js';
import type { AttentionFlashBlock } from '../../../compiler/schedule/tiles.js';
import { buildCase, coverageCases, describeCase, type AttentionCase } from './attention-cases.js';
import { relativeL2, runLowered } from './run-lowered.js';

function run(c: AttentionCase, lower: (b: ReturnType<typeof buildCase>) => LoweredKernel, seed = 11): { got: number[]; want: number[] } {
  const built = buildCase(c, seed);
  const out = allocData(built.spec.out.dtype, built.want.length) as Float32Array;
  out.fill(Number.NaN);
  const values: Record<string, TypedArrayLike> = { vo: out as TypedArrayLike };
  for (const [id, t] of Object.entries(built.inputs)) values[id] = t.data as TypedArrayLike;
  runLowered(lower(built), values, built.env);
  return { got: Array.from(out, Number), want: built.want };
}

function expectMatches(c: AttentionCase, lower = (b: ReturnType<typeof buildCase>) => lowerAttention(b.spec, WASM_TARGET), tolerance = 1e-5): void {
  const { got, want } = run(c, lower);
  expect(got.some(Number.isNaN), describeCase(c)).toBe(false);
  expect(relativeL2(got, want), describeCase(c)).toBeLessThanOrEqual(tolerance);
}

describe('lowerAttention, blocked schedule (Kernel IR interpreter)', () => {
  it('takes heads of 4 or more query rows with constant head dims', () => {
    expect(flashAttentionApplies(buildCase({ hq: 2, hkv: 2, sq: 7, skv: 7, dk: 32 }, 1).spec, 4)).toBe(true);
    expect(flashAttentionApplies(buildCase({ hq: 4, hkv: 1, sq: 1, skv: 9, dk: 32 }, 1).spec, 4)).toBe(true);
    expect(flashAttentionApplies(buildCase({ hq: 2, hkv: 2, sq: 1, skv: 9, dk: 32 }, 1).spec, 4)).toBe(false);
    expect(flashAttentionApplies(buildCase({ hq: 2, hkv: 2, sq: 7, skv: 7, dk: 32, symbolic: true }, 1).spec, 4)).toBe(true);
    expect(flashAttentionApplies(buildCase({ hq: 2, hkv: 2, sq: 7, skv: 7, dk: 32 }, 1).spec, 1)).toBe(false);
  });

  for (const s of [1, 7, 64, 129]) {
    it(`matches the reference at S = ${s}: head dims 32/64/128, MHA/GQA/MQA, causal or not, float and bool masks`, () => {
      for (const c of coverageCases([s])) expectMatches(c);
    });
  }

  it('handles every row grouping and tile size, including ones that divide neither S nor Dv', () => {
    const blocks: AttentionFlashBlock[] = [
      { rowVectors: 1, keys: 8, scoreKeys: 8, valueDims: 13 },
      { rowVectors: 2, keys: 12, scoreKeys: 3, valueDims: 5 },
      { rowVectors: 3, keys: 9, scoreKeys: 3, valueDims: 4 },
      { rowVectors: 4, keys: 64, scoreKeys: 2, valueDims: 2 },
      { rowVectors: 4, keys: 2, scoreKeys: 2, valueDims: 7 },
    ];
    const cases: AttentionCase[] = [
      { batch: [2], hq: 6, hkv: 2, sq: 13, skv: 13, dk: 32, dv: 20, causal: true, qGain: 4 },
      { hq: 3, hkv: 1, sq: 11, skv: 29, dk: 16, mask: { shape: [11, 29], dtype: 'f32' }, qGain: 3 },
      { hq: 2, hkv: 2, sq: 9, skv: 23, dk: 24, causal: true, mask: { shape: [2, 9, 1], dtype: 'bool' } },
    ];
    for (const block of blocks) {
      for (const c of cases) expectMatches(c, (b) => lowerAttentionFlash(b.spec, block));
    }
  });

  it('aligns causal attention to the last row when Sq ≠ Skv, and zeros rows that see no key', () => {
    expectMatches({ hq: 2, hkv: 1, sq: 7, skv: 19, dk: 32, causal: true, qGain: 4 });
    expectMatches({ hq: 4, hkv: 4, sq: 5, skv: 70, dk: 32, causal: true });
    const { got, want } = run({ hq: 2, hkv: 2, sq: 9, skv: 4, dk: 32, causal: true }, (b) => lowerAttention(b.spec, WASM_TARGET));
    expect(want.slice(0, 32).every((x) => x === 0)).toBe(true);
    expect(got.some(Number.isNaN)).toBe(false);
    expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-5);
  });

  it('gives zeros for rows a bool mask hides entirely', () => {
    const c: AttentionCase = { hq: 1, hkv: 1, sq: 8, skv: 2, dk: 32, mask: { shape: [8, 2], dtype: 'bool' } };
    const { got, want } = run(c, (b) => lowerAttentionFlash(b.spec, { rowVectors: 2, keys: 4, scoreKeys: 2, valueDims: 6 }), 3);
    expect(want.some((x) => x === 0)).toBe(true);
    expect(got.some(Number.isNaN)).toBe(false);
    expect(relativeL2(got, want)).toBeLessThanOrEqual(1e-5);
  });

  it('takes symbolic sequence lengths as uniforms', () => {
    expectMatches({ hq: 4, hkv: 2, sq: 7, skv: 7, dk: 32, causal: true, symbolic: true, qGain: 4 });
    expectMatches({ hq: 2, hkv: 2, sq: 70, skv: 70, dk: 32, symbolic: true });
    expectMatches({ hq: 8, hkv: 2, sq: 1, skv: 13, dk: 32, causal: true, symbolic: true });
  });

  it('reads and writes f16 storage, computing in f32', () => {
    expectMatches({ hq: 4, hkv: 2, sq: 9, skv: 9, dk: 32, causal: true, dtype: 'f16' }, undefined, 1e-3);
  });
});
