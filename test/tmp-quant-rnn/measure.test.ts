import { it } from 'vitest';
import { loadIndex, runNodeTest } from '../conformance/runner.js';

const OPS = 'QuantizeLinear DequantizeLinear MatMulInteger QLinearMatMul Range'.split(' ');

it('measures', () => {
  const results = loadIndex().filter((t) => OPS.includes(t.op_under_test)).map(runNodeTest);
  const count = (s: string) => results.filter((r) => r.status === s).length;
  console.log(`pass ${count('pass')} fail ${count('fail')} unsupported ${count('unsupported')}`);
  for (const r of results) console.log(`${r.status} ${r.name}: ${r.reason.slice(0, 300)}`);
});
