// The packed-panel convolution's tile (chooseConvTile, compiler/schedule/tiles.ts): registers
// within the budget, whole-channel K blocks as even as the channel count allows and within the
// cache, and a tile whose panel wastes fewer positions on small images.

import { describe, expect, it } from 'vitest';
import { WASM_TARGET, type TargetDescription } from '../../../compiler/kernel/program.js';
import { chooseConvTile, chooseKBlock, matmulTileRegisters } from '../../../compiler/schedule/tiles.js';

const TARGETS: readonly TargetDescription[] = [
  WASM_TARGET,
  { ...WASM_TARGET, vectorRegisters: 8 },
  { ...WASM_TARGET, vectorRegisters: 32, cacheBytes: 48 * 1024 },
  { ...WASM_TARGET, vectorLanes: 8, vectorRegisters: 16 },
];
const SIZES: readonly (number | undefined)[] = [undefined, 1, 7, 49, 64, 129, 3136];

describe('chooseConvTile', () => {
  it('keeps the register tile within the budget and K blocks of whole channels within the cache', () => {
    for (const target of TARGETS) {
      for (const m of SIZES) for (const positions of SIZES) for (const channels of [undefined, 1, 3, 64, 129, 512]) for (const taps of [1, 9, 49]) {
        const t = chooseConvTile(target, taps, m, positions, channels);
        expect(t.nr % target.vectorLanes).toBe(0);
        expect(matmulTileRegisters(t.mr, t.nr, target.vectorLanes)).toBeLessThanOrEqual(target.vectorRegisters - 1);
        expect(t.rowsPerItem % t.mr).toBe(0);
        expect(t.kc).toBe(t.channelsPerBlock * taps);
        expect(t.channelsPerBlock).toBeGreaterThanOrEqual(1);
        // a block holds whole channels and fits the matmul's K block unless one channel alone is larger
        if (t.channelsPerBlock > 1) expect(t.kc).toBeLessThanOrEqual(chooseKBlock(target, t.mr, t.nr));
        if (channels !== undefined) {
          expect(t.channelsPerBlock).toBeLessThanOrEqual(channels);
          // blocks as even as possible: the last one is not much smaller than the others
          const blocks = Math.ceil(channels / t.channelsPerBlock);
          expect(channels - (blocks - 1) * t.channelsPerBlock).toBeGreaterThan(t.channelsPerBlock - blocks);
        }
      }
    }
  });

  it("takes the matmul's 2×16 for large images and a narrower panel where 16 positions would waste more", () => {
    expect(chooseConvTile(WASM_TARGET, 9, 64, 56 * 56, 64)).toMatchObject({ mr: 2, nr: 16, rowsPerItem: 64, channelsPerBlock: 22 });
    const small = chooseConvTile(WASM_TARGET, 9, 512, 7 * 7, 512);
    expect(Math.ceil(49 / small.nr) * small.nr).toBeLessThan(64);
  });
});
