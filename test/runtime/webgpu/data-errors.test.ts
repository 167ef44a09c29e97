// Bad data on the webgpu target: a gather index out of range is clamped by the kernel, flagged
// in the status words, and the run reports the interpreter's diagnostic instead of a wrong answer.

/// <reference types="@webgpu/types" />
import { describe, expect, it } from 'vitest';
import { DiagnosticError, formatDiagnostics, interpret, parse, run, tensor, toNumbers } from '../../../index.js';
import { randomTensor } from '../../helpers/random.js';
import { testGpu } from '../../targets/wgsl/device.js';

const gpu = await testGpu();

const SOURCE = 'model G(N, V = 5) {\n  input table: f32[V, 3]\n  input ids: i32[N]\n  output rows = gather(table, ids)\n  output top = max(ids, axes: [0])\n}\n';

describe.skipIf(!gpu)('data errors on the webgpu target', () => {
  it('reports a gather index out of range as the interpreter does, and runs good data after it', async () => {
    const { graph } = parse(SOURCE, 'g.sluice');
    const table = randomTensor('f32', [5, 3], 7);
    try {
      await run(graph!, { table, ids: tensor('i32', [2], [1, 5]) }, { target: 'webgpu' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      expect(formatDiagnostics((e as DiagnosticError).diagnostics)).toMatch(/^g\.sluice:4:17: error SL2010: gather index 5 is out of range for axis 0 of size 5/);
    }
    const ids = tensor('i32', [7], [4, -5, 0, 2, -1, 3, 1]);
    const got = await run(graph!, { table, ids }, { target: 'webgpu' });
    const want = interpret(graph!, new Map([['table', table], ['ids', ids]])).outputs;
    expect(got.outputs.rows!.shape).toEqual([7, 3]);
    expect(toNumbers(got.outputs.rows!)).toEqual(toNumbers(want.get('rows')!));
  });
});
