// The GraphBuilder op cases (pool, quantize, topk, resize, ...) compiled all the way to
// WebAssembly and run through the wasm runtime, against the Graph IR interpreter.

import { afterAll, describe, expect, it } from 'vitest';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { DTYPES } from '../../../compiler/ir/dtype.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import { randomTensor } from '../../helpers/random.js';
import { relativeL2 } from './harness.js';
import { GRAPH_CASES, graphOfCase } from './op-cases.js';

const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

describe('GraphBuilder op cases through the wasm target', () => {
  for (const c of GRAPH_CASES) {
    it(c.name, async () => {
      const graph = graphOfCase(c);
      const compiled = compileWasm(graph, { seed: 1 });
      const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 1 });
      models.push(model);
      for (const n of c.sizes ?? [1, 7, 129]) {
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
