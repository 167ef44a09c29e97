// Every op the wasm lowering handles, in small graphs, against the Graph IR interpreter:
// sizes 1, 7 and 129 through a symbolic dim bound at run time.

import { describe, it } from 'vitest';
import { expectLoweringMatches, graphOf } from './harness.js';
import { CASES, GRAPH_CASES, graphOfCase } from './op-cases.js';

const SIZES = [1, 7, 129];

describe('lowering ops to kernels (wasm schedule) matches the interpreter', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const g = graphOf(`model M(N${c.dims ?? ''}) {\n${c.body}\n}`);
      for (const n of SIZES) expectLoweringMatches(g, { N: n }, n);
    });
  }
});

describe('lowering ops built with GraphBuilder matches the interpreter', () => {
  for (const c of GRAPH_CASES) {
    it(c.name, () => {
      const g = graphOfCase(c);
      for (const n of c.sizes ?? SIZES) expectLoweringMatches(g, { N: n }, n);
    });
  }
});
