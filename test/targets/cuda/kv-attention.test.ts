// kv_attention on the CUDA target without a GPU: the package built against the emulation
// header, its runner's --steps mode running call after call on one model so the KV cache
// carries over (and --reset-after for sluice_model_reset_state), against the interpreter
// keeping the same cache and attention recomputed from the whole stream.

import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../../index.js';
import { compileCuda } from '../../../compiler/driver/compile-cuda.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { writeCudaPackage } from '../../../compiler/package/write-cuda-package.js';
import { relativeL2 } from '../../helpers/close.js';
import { randomTensor } from '../../helpers/random.js';
import { exampleWeights, expectMatches, interpreted, KV_CASES, kvCall, kvGraph, recomputed, type KvCase } from '../../compiler/lower/kv-cases.js';
import { buildEmulated, removeTempDirs, runEmulatedSteps, skipReason, tempDir } from './harness.js';

const root = resolve(import.meta.dirname, '../../..');
const skip = skipReason('g++');
afterAll(() => removeTempDirs());

function build(graph: Graph, weights: ReadonlyMap<string, Tensor> = new Map()): string {
  const dir = tempDir('kv');
  writeCudaPackage(compileCuda(graph, { weights, randomWeights: false }), dir);
  buildEmulated(dir);
  return dir;
}

describe.skipIf(skip !== undefined)(`kv_attention on cuda, emulated${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('GQA 8 query heads over 2 kv heads, d 32, plain cache 512: 300 steps match full attention recomputed over the stream', () => {
    const s: KvCase = { heads: 8, kvHeads: 2, headDim: 32, valueDim: 32, sink: 0, window: 512 };
    const dir = build(kvGraph(s));
    const calls = Array.from({ length: 300 }, (_, c) => kvCall(s, c));
    const got = runEmulatedSteps(dir, calls, ['y']).map((o) => o.get('y')!.data as Float32Array);
    const want = interpreted(kvGraph(s), calls);
    got.forEach((y, c) => expect(relativeL2(Array.from(y), Array.from(want[c]!)), `step ${c}`).toBeLessThanOrEqual(1e-4));
    // Recomputing the whole stream at every step is quadratic: a sample of steps.
    for (const c of [0, 1, 13, 130, 299]) {
      expect(relativeL2(Array.from(got[c]!), Array.from(recomputed(calls.slice(0, c + 1), s))), `step ${c} recomputed`).toBeLessThanOrEqual(1e-4);
    }
  }, 120_000);

  for (const [name, s] of KV_CASES.slice(1)) {
    it(`${name}: 40 calls, then resetState() starts over`, () => {
      const dir = build(kvGraph(s));
      const calls = Array.from({ length: 40 }, (_, c) => kvCall(s, 300 + c));
      const got = runEmulatedSteps(dir, [...calls, calls[0]!], ['y'], { resetAfter: 40 }).map((o) => Float32Array.from(o.get('y')!.data as Float32Array));
      expectMatches(s, calls, got.slice(0, 40));
      expect(got[40]).toEqual(got[0]);
    }, 120_000);
  }

  it('examples/decode-step.sluice: 300 steps past the cache of 256 match the interpreter', () => {
    const graph = compile(join(root, 'examples/decode-step.sluice')).graph;
    const weights = exampleWeights();
    const dir = build(graph, weights);
    const calls = Array.from({ length: 300 }, (_, t) => new Map([['x', randomTensor('f32', [1, 64], 9000 + t)]]));
    const got = runEmulatedSteps(dir, calls, ['y']);
    const state = new Map<string, unknown>();
    let worst = 0;
    calls.forEach((inputs, t) => {
      const want = interpret(graph, inputs, weights, { state }).outputs.get('y')!;
      worst = Math.max(worst, relativeL2(toNumbers(got[t]!.get('y')!), toNumbers(want)));
    });
    expect(worst).toBeLessThanOrEqual(1e-4);
  }, 120_000);
});
