// The GPU matmul tile counts a thread's accumulators as latency hiding: mid-sized matmuls get
// register tiles (4×4 per thread) instead of one output per thread, while keeping at least
// the small GPU's compute units busy with workgroups.

import { describe, expect, it } from 'vitest';
import { CUDA_TARGET, WEBGPU_TARGET } from '../../../compiler/kernel/program.js';
import { chooseGpuMatmulTile } from '../../../compiler/schedule/tiles.js';

const workgroups = (m: number, n: number, t: { bm: number; bn: number }) => Math.ceil(m / t.bm) * Math.ceil(n / t.bn);

describe('GPU matmul tile choice', () => {
  for (const target of [WEBGPU_TARGET, CUDA_TARGET]) {
    it(`gives mid-sized matmuls register tiles on ${target.name}`, () => {
      for (const [m, n, k] of [[128, 128, 128], [256, 256, 256], [512, 512, 512], [32, 3072, 768], [32, 768, 3072], [64, 256, 1024]] as const) {
        const t = chooseGpuMatmulTile(target, m, n, k);
        expect(t.tm * t.tn, `${m}×${n}×${k}`).toBeGreaterThanOrEqual(4);
        expect(workgroups(m, n, t), `${m}×${n}×${k}`).toBeGreaterThanOrEqual(16);
      }
    });
    it(`keeps 64×64 tiles for large matmuls on ${target.name}`, () => {
      const t = chooseGpuMatmulTile(target, 2048, 2048, 2048);
      expect(t.bm * t.bn).toBeGreaterThanOrEqual(64 * 64);
    });
  }
});
