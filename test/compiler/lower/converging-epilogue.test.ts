// A matmul epilogue that reads the product more than once (the ONNX erf GELU:
// h·(erf(h/√2) + 1)·½ reads h twice) fuses into the matmul kernel when every reader of h is
// in the fused chain (compiler/passes/group-kernels.ts, convergingEpilogue): the MLP becomes
// two kernels, the epilogue still runs on f32x4 accumulators, and the results match the
// Graph IR interpreter through wasm on fresh random inputs at awkward sizes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, run } from '../../../index.js';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import { mlpCase } from '../../../bench/onnx-cases.js';
import { freshSeed } from '../../targets/wasm/harness.js';
import { randomTensor } from '../../helpers/random.js';
import { graphOf, relativeL2 } from './harness.js';

const MLP = `model M(N) {
  input  x: f32[N, 24]
  param  w1: f32[24, 40]
  param  b1: f32[40]
  param  w2: f32[40, 24]
  param  b2: f32[24]
  let h = x @ w1 + b1
  output y = (h * (erf(h / 1.4142135) + 1.0) * 0.5) @ w2 + b2
}`;

const models: Model[] = [];
const dirs: string[] = [];
afterAll(() => {
  models.forEach((m) => m.dispose());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function expectMatchesInterpreter(graph: Graph, sizes: readonly number[]): Promise<void> {
  const seed = freshSeed();
  const params = new Map<string, Tensor>();
  graph.params.forEach((p, k) => params.set(p.attrs.name, randomTensor(p.dtype, p.shape.map((d) => evalDim(d, new Map())), seed + 1000 + k)));
  const compiled = compileWasm(graph, { seed, weights: params });
  const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 1 });
  models.push(model);
  for (const n of sizes) {
    const env = new Map([['N', n]]);
    const inputs = new Map<string, Tensor>();
    graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), seed + n * 10 + k)));
    const want = interpret(graph, inputs, params, { dims: env }).outputs;
    const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
    for (const [name, expected] of want) {
      const a = Array.from(got[name]!.data as ArrayLike<number>, Number);
      expect(relativeL2(a, toNumbers(expected)), `${name} at N=${n} (seed ${seed})`).toBeLessThanOrEqual(1e-5);
    }
  }
}

describe('an erf-GELU epilogue that reads the matmul twice', () => {
  it('fuses into the matmul kernel, on f32x4 accumulators', () => {
    const program = lowerProgram(graphOf(MLP), WASM_TARGET);
    expect(program.kernels.map((k) => k.name)).toEqual(['matmul_add_div_erf_etc', 'matmul_add']);
    expect(JSON.stringify(program.kernels[0]!.body)).not.toContain('"kind":"lane"');
  });

  it('matches the interpreter through wasm', async () => {
    await expectMatchesInterpreter(graphOf(MLP), [1, 7, 129]);
  });

  it('makes the ONNX MLP (MatMul, Add, Div, Erf, Add, Mul, Mul) two kernels that match the interpreter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-gelu-'));
    dirs.push(dir);
    const path = join(dir, 'mlp.onnx');
    writeFileSync(path, mlpCase(7, 24, 40).model as Uint8Array);
    const compiled = compile(path, { target: 'wasm' }).wasm!;
    expect(compiled.manifest.kernels.map((k) => k.name)).toHaveLength(2);
    const x = randomTensor('f32', [7, 24], freshSeed());
    const want = (await run(path, { x }, { target: 'interp' })).outputs['y']!;
    const got = (await run(path, { x }, { target: 'wasm' })).outputs['y']!;
    expect(relativeL2(toNumbers(got), toNumbers(want))).toBeLessThanOrEqual(1e-5);
  });
});
