import { describe, expect, it } from 'vitest';
import { WASM_TARGET, type TargetDescription } from '../../../compiler/kernel/program.js';
import {
  chooseAttentionBlock, chooseDotTile, chooseKBlock, chooseMatmulTile, dotTileRegisters, matmulTileRegisters,
} from '../../../compiler/schedule/tiles.js';

const TARGETS: readonly TargetDescription[] = [
  WASM_TARGET,
  { ...WASM_TARGET, vectorRegisters: 8 },
  { ...WASM_TARGET, vectorRegisters: 32, cacheBytes: 48 * 1024 },
  { ...WASM_TARGET, vectorLanes: 8, vectorRegisters: 16 },
];
const SIZES: readonly (number | undefined)[] = [undefined, 1, 7, 64, 129, 1024];

describe('chooseMatmulTile', () => {
  it('keeps the register tile within the register budget, N a multiple of the lanes', () => {
    for (const target of TARGETS) {
      for (const m of SIZES) for (const n of SIZES) {
        const t = chooseMatmulTile(target, m, n, 512);
        expect(t.nr % target.vectorLanes).toBe(0);
        // one register stays with the engine (V8's scratch xmm15)
        expect(matmulTileRegisters(t.mr, t.nr, target.vectorLanes)).toBeLessThanOrEqual(target.vectorRegisters - 1);
        expect(t.rowsPerItem % t.mr).toBe(0);
      }
    }
  });

  it('picks the best compute/load ratio for large sizes on SIMD128 with 16 registers', () => {
    // 2×16: 8 accumulators + 4 B vectors + 2 A splats + 1 product = 15 registers (the engine
    // keeps the 16th), 32 FMAs per 6 loads; 4×12 would need 20 and spill.
    expect(matmulTileRegisters(2, 16, 4)).toBe(15);
    expect(matmulTileRegisters(4, 12, 4)).toBe(20);
    expect(chooseMatmulTile(WASM_TARGET, 1024, 1024, 1024)).toMatchObject({ mr: 2, nr: 16, rowsPerItem: 64 });
    expect(chooseMatmulTile(WASM_TARGET)).toMatchObject({ mr: 2, nr: 16 });
  });

  it('takes a smaller tile when registers are scarce', () => {
    const t = chooseMatmulTile({ ...WASM_TARGET, vectorRegisters: 8 });
    expect(t.mr * t.nr).toBeLessThan(48);
    expect(matmulTileRegisters(t.mr, t.nr, 4)).toBeLessThanOrEqual(7);
  });

  it('vectorises along N with one row for a matrix-vector product (decode)', () => {
    const t = chooseMatmulTile(WASM_TARGET, 1, 768, 768);
    expect(t.mr).toBe(1);
    expect(t.nr).toBeGreaterThanOrEqual(16);
    expect(t.rowsPerItem).toBe(1);
  });

  it('avoids tiles much taller than M', () => {
    expect(chooseMatmulTile(WASM_TARGET, 2, 1024, 64).mr).toBeLessThanOrEqual(2);
  });

  it('blocks K so that both micro-panels fit half the cache', () => {
    for (const target of TARGETS) {
      const t = chooseMatmulTile(target, 1024, 1024, 4096);
      expect(t.kc * (t.mr + t.nr) * 4).toBeLessThanOrEqual(target.cacheBytes / 2);
      expect(t.kc).toBeGreaterThanOrEqual(target.vectorLanes);
    }
  });

  it('keeps a small K whole and splits a K just over a block evenly', () => {
    expect(chooseKBlock(WASM_TARGET, 4, 12, 33)).toBe(33);
    const fit = chooseKBlock(WASM_TARGET, 4, 12);
    const kc = chooseKBlock(WASM_TARGET, 4, 12, fit + 8);
    expect(kc).toBeLessThan(fit);
    expect(Math.ceil((fit + 8) / kc)).toBe(2);
  });
});

describe('chooseDotTile', () => {
  it('keeps accumulators and operands within the registers', () => {
    for (const target of TARGETS) {
      for (const m of SIZES) for (const n of SIZES) {
        const t = chooseDotTile(target, m, n);
        expect(dotTileRegisters(t.mr, t.nr)).toBeLessThanOrEqual(target.vectorRegisters);
      }
    }
  });

  it('prefers a square-ish tile for large sizes and a single row for M = 1', () => {
    expect(chooseDotTile(WASM_TARGET)).toEqual({ mr: 3, nr: 3 });
    expect(chooseDotTile(WASM_TARGET, 1, 768).mr).toBe(1);
  });
});

describe('chooseAttentionBlock', () => {
  it('fits the dot accumulators and q vectors in the registers', () => {
    for (const target of TARGETS) {
      for (const rows of SIZES) {
        const b = chooseAttentionBlock(target, rows, 64, 64);
        expect(2 * b.rows + 1).toBeLessThanOrEqual(target.vectorRegisters);
      }
    }
  });

  it('takes one row for a single-row decode step and several for a prefill', () => {
    expect(chooseAttentionBlock(WASM_TARGET, 1, 64, 64).rows).toBe(1);
    expect(chooseAttentionBlock(WASM_TARGET, 4, 64, 64).rows).toBe(4);
    expect(chooseAttentionBlock(WASM_TARGET, 128, 64, 64).rows).toBeGreaterThanOrEqual(4);
  });
});
