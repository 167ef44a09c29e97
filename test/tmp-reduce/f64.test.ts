import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readTensorProto } from '../../compiler/io/tensor-proto.js';
import { toNumbers } from '../../compiler/interpret/tensor.js';
import { einsum } from '../../compiler/interpret/kernels/einsum.js';
import { cumsum } from '../../compiler/interpret/kernels/cumsum.js';
import { topk } from '../../compiler/interpret/kernels/topk.js';
import { compareOutput } from '../conformance/runner.js';

const D = '/work/shared/onnx-node-tests/';
const rd = (t: string, f: string) => readTensorProto(readFileSync(D + t + '/test_data_set_0/' + f), f);
it('f64 kernels', () => {
  const eqs: Record<string, string> = { test_einsum_batch_diagonal: '...ii->...i', test_einsum_inner_prod: 'i,i', test_einsum_scalar: '', test_einsum_sum: 'ij->i', test_einsum_transpose: 'ij->ji' };
  for (const [t, eq] of Object.entries(eqs)) {
    const ins = t === 'test_einsum_inner_prod' ? [rd(t, 'input_0.pb'), rd(t, 'input_1.pb')] : [rd(t, 'input_0.pb')];
    const y = einsum(eq, ins, 'f64');
    console.log(t, compareOutput('y', y, rd(t, 'output_0.pb')) ?? 'ok');
  }
  const cs: Record<string, [boolean, boolean]> = { test_cumsum_1d: [false, false], test_cumsum_1d_exclusive: [true, false], test_cumsum_1d_reverse: [false, true], test_cumsum_1d_reverse_exclusive: [true, true], test_cumsum_2d_axis_1: [false, false] };
  for (const [t, [ex, rev]] of Object.entries(cs)) {
    const x = rd(t, 'input_0.pb'); const ax = toNumbers(rd(t, 'input_1.pb'))[0]!;
    console.log(t, compareOutput('y', cumsum(x, ax, ex, rev), rd(t, 'output_0.pb')) ?? 'ok');
  }
  const t = 'test_top_k_uint64';
  const x = rd(t, 'input_0.pb'); const k = toNumbers(rd(t, 'input_1.pb'))[0]!;
  const r = topk(x, 1, k, true);
  console.log(t, x.dtype, compareOutput('v', r.values, rd(t, 'output_0.pb')) ?? 'ok', compareOutput('i', r.indices, rd(t, 'output_1.pb')) ?? 'ok');
});
