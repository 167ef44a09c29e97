// Every op the lowering handles (the tables of ../op-cases.ts), lowered for WebGPU and CUDA
// and run on the Kernel IR interpreter, against the Graph IR interpreter: sizes 1, 7 and 129.

import { describe, it } from 'vitest';
import { graphOf } from '../harness.js';
import { CASES, GRAPH_CASES, graphOfCase } from '../op-cases.js';
import { expectGpuLoweringMatches, GPU_TARGETS } from './harness.js';

const SIZES = [1, 7, 129];

for (const target of GPU_TARGETS) {
  describe(`lowering ops to ${target.name} kernels matches the interpreter`, () => {
    for (const c of CASES) {
      it(c.name, () => {
        const g = graphOf(`model M(N${c.dims ?? ''}) {\n${c.body}\n}`);
        for (const n of SIZES) expectGpuLoweringMatches(g, target, { N: n }, n);
      });
    }
    for (const c of GRAPH_CASES) {
      it(c.name, () => {
        const g = graphOfCase(c);
        for (const n of c.sizes ?? SIZES) expectGpuLoweringMatches(g, target, { N: n }, n);
      });
    }
  });
}
