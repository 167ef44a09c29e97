// Numerics of the CUDA target without a GPU: every op case and example is compiled into a
// CUDA package, built as C++ against the emulation header (`make emulated`), run by the
// package's own runner on .npy inputs, and compared with the Graph IR interpreter (f32
// relative L2 ≤ 1e-4, f16/bf16 1e-2, integers exact) at sizes 1, 7 and 129; and the ONNX
// fixtures (BERT, GPT-2, Llama, ResNet blocks) with their own weights.

import { afterAll, describe, expect, it } from 'vitest';
import { compileCuda } from '../../../compiler/driver/compile-cuda.js';
import { writeCudaPackage } from '../../../compiler/package/write-cuda-package.js';
import { buildEmulated, compareWithInterpreter, randomInputs, removeTempDirs, runEmulated, skipReason, tempDir } from './harness.js';
import { caseWeights, exampleCases, onnxCases, opCases, runEnv, type CudaCase } from './model-cases.js';

afterAll(() => removeTempDirs());

const skip = skipReason('g++');

function expectEmulatedMatches(c: CudaCase): void {
  const weights = c.weights ?? caseWeights(c.graph);
  const compiled = compileCuda(c.graph, { weights, randomWeights: false });
  const dir = tempDir('emu');
  writeCudaPackage(compiled, dir);
  buildEmulated(dir);
  c.runs.forEach((run, k) => {
    const env = runEnv(c.graph, run);
    const inputs = randomInputs(c.graph, env, k + 1);
    for (const [name, t] of Object.entries(c.given?.(run) ?? {})) inputs.set(name, t);
    const got = runEmulated(dir, inputs, c.graph.outputs.map((o) => o.name));
    expect(compareWithInterpreter(c.graph, inputs, weights, env, got), `${c.name} at ${JSON.stringify(run)}`).toEqual([]);
  });
}

describe.skipIf(skip !== undefined)(`CUDA kernels run under the emulator match the interpreter${skip ? ` (skipped: ${skip})` : ''}`, () => {
  for (const c of opCases()) it(c.name, () => expectEmulatedMatches(c));
  for (const c of exampleCases()) it(c.name, () => expectEmulatedMatches(c));
  for (const c of onnxCases()) it(`ONNX fixture: ${c.name}`, () => expectEmulatedMatches(c));
});
