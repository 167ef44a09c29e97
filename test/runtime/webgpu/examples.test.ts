// The examples run on the webgpu target (Dawn on SwiftShader) and match the interpreter
// (runModel's check: relative L2 ≤ 1e-4 for f32), at small dims.

import { describe, expect, it } from 'vitest';
import { runModel } from '../../../compiler/driver/run-model.js';
import { graphOf } from '../../compiler/lower/harness.js';
import { readFileSync } from 'node:fs';
import { testGpu } from '../../targets/wgsl/device.js';

const gpu = await testGpu();

describe.skipIf(!gpu)('examples on webgpu', () => {
  for (const name of ['mlp', 'attention', 'transformer-block']) {
    it(name, async () => {
      const graph = graphOf(readFileSync(`examples/${name}.sluice`, 'utf8'));
      const result = await runModel(graph, new Map(), { target: 'webgpu', randomWeights: true, check: true, seed: 3 });
      for (const c of result.checks!) expect(c.ok, `${c.name}: relative L2 ${c.relL2Error}`).toBe(true);
    });
  }
});
