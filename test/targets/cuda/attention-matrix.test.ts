// Issue 7's attention matrix on the CUDA target without a GPU: every row (full size, S = 1000
// included; f32 and f16) compiled into one package, built once against the emulation header,
// run once by the package's runner, each output against the Graph IR interpreter (f32
// relative L2 ≤ 1e-4, f16 ≤ 1e-2).

import { afterAll, describe, expect, it } from 'vitest';
import { compileCuda } from '../../../compiler/driver/compile-cuda.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers } from '../../../compiler/interpret/tensor.js';
import { writeCudaPackage } from '../../../compiler/package/write-cuda-package.js';
import { relativeL2 } from '../../helpers/close.js';
import { attentionInputs, attentionModel, EXTRA, MATRIX, rowDims, rowName, tolerance } from '../../compiler/lower/attention-matrix.js';
import { buildEmulated, removeTempDirs, runEmulated, skipReason, tempDir } from './harness.js';

afterAll(() => removeTempDirs());
const skip = skipReason('g++');

describe.skipIf(skip !== undefined)(`attention matrix on cuda, emulated${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('every row matches the interpreter', () => {
    const rows = [...MATRIX, ...EXTRA];
    const graph = attentionModel(rows);
    const dir = tempDir('attention-matrix');
    writeCudaPackage(compileCuda(graph, { weights: new Map(), randomWeights: false }), dir);
    buildEmulated(dir);
    const inputs = attentionInputs(rows, 7);
    const got = runEmulated(dir, inputs, rows.map((_, i) => `y${i}`));
    const want = interpret(graph, inputs, new Map(), { dims: new Map(Object.entries(rowDims(rows))) }).outputs;
    const failures = rows.flatMap((r, i) => {
      const y = got.get(`y${i}`)!;
      const err = relativeL2(toNumbers(y), toNumbers(want.get(`y${i}`)!));
      return y.dtype === r.dtype && err <= tolerance(r.dtype) ? [] : [`${rowName(r)}: ${y.dtype}, relative L2 ${err}`];
    });
    expect(failures).toEqual([]);
  }, 180_000);
});
