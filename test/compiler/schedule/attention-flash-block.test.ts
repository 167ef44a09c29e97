// chooseAttentionFlashBlock: the blocked attention schedule's row vectors, tiles and key block.

import { describe, expect, it } from 'vitest';
import { WASM_TARGET, type TargetDescription } from '../../../compiler/kernel/program.js';
import { chooseAttentionFlashBlock } from '../../../compiler/schedule/tiles.js';

const TARGETS: readonly TargetDescription[] = [
  WASM_TARGET,
  { ...WASM_TARGET, vectorRegisters: 8 },
  { ...WASM_TARGET, vectorRegisters: 32, cacheBytes: 64 * 1024 },
];

describe('chooseAttentionFlashBlock', () => {
  it('keeps both register tiles within the registers less two, and the key block a multiple of the score tile', () => {
    for (const target of TARGETS) {
      for (const rows of [undefined, 4, 7, 8, 64, 129, 4096]) {
        for (const d of [16, 32, 64, 128, 7]) {
          const b = chooseAttentionFlashBlock(target, rows, d, d);
          const nv = b.rowVectors;
          expect(b.scoreKeys * nv + nv + 1).toBeLessThanOrEqual(target.vectorRegisters - 2);
          expect(Math.min(b.valueDims, d) * nv + nv + 1).toBeLessThanOrEqual(target.vectorRegisters - 2);
          expect(b.valueDims).toBeLessThanOrEqual(d);
          expect(b.keys % b.scoreKeys).toBe(0);
          expect(b.keys).toBeGreaterThanOrEqual(b.scoreKeys);
          expect(b.keys).toBeLessThanOrEqual(64);
        }
      }
    }
  });

  it('takes 16 rows per item for long sequences and fewer for a short head, a smaller key block for wide heads', () => {
    expect(chooseAttentionFlashBlock(WASM_TARGET, 2048, 64, 64)).toEqual({ rowVectors: 4, keys: 64, scoreKeys: 2, valueDims: 2 });
    expect(chooseAttentionFlashBlock(WASM_TARGET, undefined, 64, 64).rowVectors).toBe(4);
    expect(chooseAttentionFlashBlock(WASM_TARGET, 4, 64, 64).rowVectors).toBe(1);
    expect(chooseAttentionFlashBlock(WASM_TARGET, 8, 64, 64).rowVectors).toBe(2);
    expect(chooseAttentionFlashBlock(WASM_TARGET, 2048, 128, 128).keys).toBeLessThan(chooseAttentionFlashBlock(WASM_TARGET, 2048, 64, 64).keys);
  });
});
