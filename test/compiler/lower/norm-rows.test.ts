// Softmax, layer norm and rms norm rows through the wasm target at awkward row lengths (the
// f32x4 passes, their scalar tails, softmax's exps kept in the output between passes),
// against the Graph IR interpreter on fresh random inputs.

import { afterAll, describe, expect, it } from 'vitest';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import { freshSeed } from '../../targets/wasm/harness.js';
import { randomTensor } from '../../helpers/random.js';
import { graphOf, relativeL2 } from './harness.js';

const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

const ROWS = `model M(N) {
  input  x: f32[3, N]
  param  g: f32[N]
  output plain = softmax(x * 3.0)
  output scaled = softmax(x) * 2.0
  output ln = layernorm(x, g)
  output rms = rmsnorm(x, g)
}`;

describe('norm rows through wasm', () => {
  it('a plain softmax reads its exps back from its output', () => {
    const program = lowerProgram(graphOf(ROWS), WASM_TARGET);
    const softmaxes = program.kernels.filter((k) => k.name.startsWith('softmax') || k.name.includes('softmax'));
    expect(softmaxes.some((k) => k.buffers.some((b) => b.access === 'read_write'))).toBe(true);
  });

  it('match the interpreter at row lengths 1, 7 and 129', async () => {
    const graph = graphOf(ROWS);
    const seed = freshSeed();
    for (const n of [1, 7, 129]) {
      const env = new Map([['N', n]]);
      const params = new Map<string, Tensor>();
      graph.params.forEach((p, k) => params.set(p.attrs.name, randomTensor(p.dtype, p.shape.map((d) => evalDim(d, env)), seed + 100 + k)));
      const compiled = compileWasm(graph, { seed, weights: params, dims: { N: n } });
      const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 1 });
      models.push(model);
      const inputs = new Map<string, Tensor>();
      graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), seed + n * 10 + k)));
      const want = interpret(graph, inputs, params, { dims: env }).outputs;
      const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
      for (const [name, expected] of want) {
        const a = Array.from(got[name]!.data as ArrayLike<number>, Number);
        expect(relativeL2(a, toNumbers(expected)), `${name} at N=${n} (seed ${seed})`).toBeLessThanOrEqual(1e-5);
      }
    }
  });
});
