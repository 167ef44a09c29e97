// Bad data on the cuda target (built with nvcc on a GPU, else as C++ against the emulation
// header): model.cu reads the status words after the dispatches and returns SLUICE_ERROR_DATA,
// the runner exits with status 3, and the run reports the interpreter's diagnostic.

import { describe, expect, it } from 'vitest';
import { DiagnosticError, formatDiagnostics, interpret, parse, run, tensor, toNumbers } from '../../../index.js';
import { randomTensor } from '../../helpers/random.js';
import { HAS_GXX } from './harness.js';

const SOURCE = 'model G(N, V = 5) {\n  input table: f32[V, 3]\n  input ids: i32[N]\n  output rows = gather(table, ids)\n  output top = max(ids, axes: [0])\n}\n';

describe.skipIf(!HAS_GXX)('data errors on the cuda target', () => {
  it('reports a gather index out of range as the interpreter does, and runs good data after it', async () => {
    const { graph } = parse(SOURCE, 'g.sluice');
    const table = randomTensor('f32', [5, 3], 11);
    try {
      await run(graph!, { table, ids: tensor('i32', [2], [1, 5]) }, { target: 'cuda' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      expect(formatDiagnostics((e as DiagnosticError).diagnostics)).toMatch(/^g\.sluice:4:17: error SL2010: gather index 5 is out of range for axis 0 of size 5/);
    }
    try {
      await run(graph!, { table, ids: tensor('i32', [3], [0, -6, 2]) }, { target: 'cuda' });
      expect.unreachable();
    } catch (e) {
      expect(formatDiagnostics((e as DiagnosticError).diagnostics)).toMatch(/SL2010: gather index -6 is out of range for axis 0 of size 5/);
    }
    const ids = tensor('i32', [7], [4, -5, 0, 2, -1, 3, 1]);
    const got = await run(graph!, { table, ids }, { target: 'cuda' });
    const want = interpret(graph!, new Map([['table', table], ['ids', ids]])).outputs;
    expect(got.outputs.rows!.shape).toEqual([7, 3]);
    expect(toNumbers(got.outputs.rows!)).toEqual(toNumbers(want.get('rows')!));
  }, 120_000);
});
