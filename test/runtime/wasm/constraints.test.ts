// Shape constraints: GPT-2's causal mask is a 32×32 buffer sliced to [sequence, sequence].
// The interpreter refuses sequence > 32 (SL2012); a compiled model must refuse it too rather
// than read past the mask — at compile time when the dims are fixed, at run time when not.

import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, DiagnosticError } from '../../../index.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim } from '../../../compiler/ir/dim.js';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { loadModel } from '../../../runtime/wasm/index.js';
import { randomTensor } from '../../helpers/random.js';

const fixture = join(resolve(import.meta.dirname, '../../..'), 'test/fixtures/onnx/gpt2_decoder_block.onnx');

describe('shape constraints', () => {
  it('a package with a symbolic sequence refuses sizes its slices cannot take, and runs the others', async () => {
    const compiled = compile(fixture, { target: 'wasm', dims: { batch: 1 } });
    const manifest = compiled.wasm!.manifest;
    expect(manifest.constraints?.some((c) => c.what.includes('size 32'))).toBe(true);
    const model = await loadModel({ manifest, wasm: compiled.wasm!.wasm, weights: compiled.wasm!.weights, threads: 1 });
    try {
      const input = manifest.inputs[0]!;
      const width = input.shape[2] as number;
      const run = (s: number) => model.run({ [input.name]: { data: randomTensor('f32', [1, s, width], s).data as Float32Array, shape: [1, s, width] } });
      for (const s of [1, 7, 32]) await expect(run(s)).resolves.toBeDefined();
      await expect(run(33)).rejects.toThrow(/the model cannot take sequence=33.*slice '\/Slice_\d+' on axis \d \(start 0, step 1, count sequence, size 32\) leaves its tensor/);
    } finally {
      model.dispose();
    }
  });

  it('with the dims fixed at compile time, the compile refuses them (SL2014)', () => {
    try {
      compile(fixture, { target: 'wasm', dims: { batch: 1, sequence: 40 } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      expect((e as DiagnosticError).diagnostics.map((d) => d.code)).toContain(2014);
    }
  });

  it('a max over an axis that is empty at run time, and a topk larger than its axis, are refused like the interpreter does', async () => {
    const b = new GraphBuilder('C');
    const N = b.declareDim('N');
    const x = b.input('x', 'f32', [N, constDim(5)]);
    b.output('m', b.op('reduce_max', [x], { axes: [0], keepdims: false }));
    b.output('t', b.op('topk', [b.op('transpose', [x], { perm: [1, 0] })], { axis: 1, k: constDim(3), largest: true, sorted: true, output: 'values' }));
    const graph = b.finish().graph!;
    const compiled = compileWasm(graph);
    const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 1 });
    try {
      const run = (n: number) => model.run({ x: { data: randomTensor('f32', [n, 5], n + 1).data as Float32Array, shape: [n, 5] } });
      const ok = await run(4);
      expect(ok.t!.shape).toEqual([5, 3]);
      await expect(run(2)).rejects.toThrow(/the model cannot take N=2: topk takes k = 3 from an axis of size N/);
      await expect(run(0)).rejects.toThrow(/the model cannot take N=0: reduce_max over an empty axis has no value/);
    } finally {
      model.dispose();
    }
  });
});
