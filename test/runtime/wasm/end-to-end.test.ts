// Whole models compiled in memory (lower → print → plan → manifest, compiler/driver/
// compile-model.ts) and run through the runtime, against the Graph IR interpreter on the same
// inputs and the weights the package holds.

import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../index.js';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import type { TensorData } from '../../../runtime/wasm/tensor-data.js';
import { randomTensor } from '../../helpers/random.js';

const root = resolve(import.meta.dirname, '../../..');

function relL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i]! - expected[i]!) ** 2;
    den += expected[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

/** The weights as the package holds them (read back from weights.bin). */
function packagedWeights(c: ReturnType<typeof compileWasm>): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  for (const w of c.manifest.weights) {
    if (w.dtype !== 'f32') throw new Error(`test: weight ${w.name} is ${w.dtype}`);
    weights.set(w.name, tensor('f32', w.shape, new Float32Array(c.weights.slice(w.offset, w.offset + w.bytes).buffer)));
  }
  return weights;
}

const CASES: [file: string, symbol: string, size: number, threads: number][] = [
  ['mlp.sluice', 'B', 1, 1],
  ['mlp.sluice', 'B', 7, 3],
  ['mlp.sluice', 'B', 129, 2],
  ['attention.sluice', 'S', 7, 2],
  ['transformer-block.sluice', 'S', 1, 1],
  ['transformer-block.sluice', 'S', 33, 3],
];

describe('examples through the runtime', () => {
  it.each(CASES)('%s with %s = %i on %i threads matches the interpreter', async (file, symbol, size, threads) => {
    const graph = compile(join(root, 'examples', file)).graph;
    const c = compileWasm(graph, { seed: 5 });
    const model = await loadModel({ manifest: c.manifest, wasm: c.wasm, weights: c.weights, threads });
    models.push(model);
    const env = new Map(graph.dims.flatMap((d) => (d.defaultValue === undefined ? [] : [[d.name, d.defaultValue] as const])));
    env.set(symbol, size);
    const inputs = new Map<string, Tensor>();
    for (const input of graph.inputs) {
      const shape = input.shape.map((d) => evalDim(d, env));
      inputs.set(input.attrs.name, randomTensor('f32', shape, 100 + size));
    }
    const out = await model.run(Object.fromEntries([...inputs].map(([k, t]) => [k, { data: t.data as TensorData, shape: t.shape }])));
    const want = interpret(graph, inputs, packagedWeights(c), { dims: new Map([[symbol, size]]) });
    for (const o of graph.outputs) {
      const expected = want.outputs.get(o.name)!;
      expect(out[o.name]!.shape).toEqual(expected.shape);
      expect(relL2(out[o.name]!.data as Float32Array, toNumbers(expected)), o.name).toBeLessThanOrEqual(1e-4);
    }
  });

  it('keeps giving the same answers when the symbol changes between runs (memory grows and shrinks)', async () => {
    const graph = compile(join(root, 'examples/mlp.sluice')).graph;
    const c = compileWasm(graph, { seed: 6 });
    const model = await loadModel({ manifest: c.manifest, wasm: c.wasm, weights: c.weights, threads: 2 });
    models.push(model);
    const weights = packagedWeights(c);
    for (const B of [3, 2000, 1, 7]) {
      const x = randomTensor('f32', [B, 64], B);
      const out = await model.run({ x: { data: x.data as Float32Array, shape: [B, 64] } });
      const want = interpret(graph, new Map([['x', x]]), weights, { dims: new Map([['B', B]]) });
      expect(relL2(out.probs!.data as Float32Array, toNumbers(want.outputs.get('probs')!))).toBeLessThanOrEqual(1e-4);
    }
  });
});
