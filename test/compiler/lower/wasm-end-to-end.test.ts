// The op cases compiled all the way to WebAssembly (lower → print → package in memory) and
// run through the wasm runtime, against the Graph IR interpreter: checks that the vector
// loops, tails and index arithmetic the lowering emits survive the wasm printer.

import { afterAll, describe, expect, it } from 'vitest';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { DTYPES } from '../../../compiler/ir/dtype.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import { randomTensor } from '../../helpers/random.js';
import { graphOf, relativeL2 } from './harness.js';
import { CASES } from './op-cases.js';

const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

describe('op cases through the wasm target', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const graph = graphOf(`model M(N${c.dims ?? ''}) {\n${c.body}\n}`);
      const compiled = compileWasm(graph, { seed: 1 });
      const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 1 });
      models.push(model);
      for (const n of [1, 7, 129]) {
        const env = new Map([['N', n]]);
        const inputs = new Map<string, Tensor>();
        graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), n * 10 + k)));
        const want = interpret(graph, inputs, new Map(), { dims: env }).outputs;
        const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
        for (const [name, expected] of want) {
          const out = got[name]!;
          expect(out.shape, name).toEqual(expected.shape);
          const e = toNumbers(expected);
          const a = Array.from(out.data as ArrayLike<number | bigint>, Number);
          if (DTYPES[expected.dtype].isFloat) expect(relativeL2(a, e), `${name} at N=${n}`).toBeLessThanOrEqual(1e-5);
          else expect(a, `${name} at N=${n}`).toEqual(e);
        }
      }
    });
  }
});
