import { it } from 'vitest';
import { loadIndex, runNodeTest } from '../conformance/runner.js';

const OPS = 'Abs Add Sub Mul Div Pow Neg Exp Log Sqrt Reciprocal Erf Tanh Sigmoid Relu LeakyRelu Gelu Clip Max Min Equal Greater GreaterOrEqual Less LessOrEqual Not Where MatMul Gemm'.split(' ');

it('measures', () => {
  const results = loadIndex().filter((t) => OPS.includes(t.op_under_test)).map(runNodeTest);
  const count = (s: string) => results.filter((r) => r.status === s).length;
  console.log(`pass ${count('pass')} fail ${count('fail')} unsupported ${count('unsupported')}`);
  for (const r of results) if (r.status !== 'pass') console.log(`${r.status} ${r.name}: ${r.reason.slice(0, 300)}`);
});
