import { describe, it } from 'vitest';
import { expectLoweringMatches, graphOf } from './harness.js';

const SIZES = [1, 7, 129];

describe('lowering elementwise groups', () => {
  it('fuses a broadcasting chain', () => {
    const g = graphOf(`model M(N, D = 33) {
      input x: f32[N, D]
      input b: f32[D]
      output y = relu(x * 2.0 + b) - sigmoid(x)
    }`);
    for (const n of SIZES) expectLoweringMatches(g, { N: n });
  });
});
