// Issue 7's attention matrix on real WebGPU (Dawn on SwiftShader): the rows SwiftShader can
// afford (SWIFTSHADER_ROWS: every S, head layout, causal setting and mask kind; d 32 and 128;
// f32, as SwiftShader lacks shader-f16; S = 1000 with d = 32 and 2 query heads) compiled into
// one model, run once, each output against the Graph IR interpreter (relative L2 ≤ 1e-4).

import { afterAll, describe, expect, it } from 'vitest';
import { compileWebGpu } from '../../../compiler/driver/compile-webgpu.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers } from '../../../compiler/interpret/tensor.js';
import { loadModel, type Model } from '../../../runtime/webgpu/index.js';
import { relativeL2 } from '../../helpers/close.js';
import {
  attentionInputs, attentionModel, rowDims, rowName, SWIFTSHADER_ROWS, tolerance, valueGaps,
} from '../../compiler/lower/attention-matrix.js';
import { testGpu } from '../../targets/wgsl/device.js';

const gpu = await testGpu();
const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

describe.skipIf(!gpu)('attention matrix on WebGPU', () => {
  it('has every value of every axis but head dim 64 and f16', () => {
    expect(valueGaps(SWIFTSHADER_ROWS)).toEqual(['d=64', 'dtype=f16']);
  });

  it('every row matches the interpreter', async () => {
    const rows = SWIFTSHADER_ROWS;
    const graph = attentionModel(rows);
    const compiled = compileWebGpu(graph, { seed: 1 });
    const model = await loadModel({ manifest: compiled.manifest, shaders: compiled.shaders, weights: compiled.weights, device: gpu!.device });
    models.push(model);
    const inputs = attentionInputs(rows, 5);
    const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
    const want = interpret(graph, inputs, new Map(), { dims: new Map(Object.entries(rowDims(rows))) }).outputs;
    const failures = rows.flatMap((r, i) => {
      const err = relativeL2(Array.from(got[`y${i}`]!.data as ArrayLike<number>, Number), toNumbers(want.get(`y${i}`)!));
      return err <= tolerance(r.dtype) ? [] : [`${rowName(r)}: relative L2 ${err}`];
    });
    expect(failures).toEqual([]);
  }, 180_000);
});
