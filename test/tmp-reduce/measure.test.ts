import { it } from 'vitest';
import { loadIndex, runNodeTest } from '../conformance/runner.js';

const OPS = 'ReduceL2 ReduceMax ReduceMean ReduceMin ReduceSum ArgMax Softmax LogSoftmax LayerNormalization RMSNormalization BatchNormalization Dropout CumSum TopK Einsum Trilu'.split(' ');

it('measures', () => {
  const results = loadIndex().filter((t) => OPS.includes(t.op_under_test)).map(runNodeTest);
  const by = { pass: 0, fail: 0, unsupported: 0 };
  for (const r of results) {
    by[r.status]++;
    if (r.status !== 'pass') console.log(`${r.status} ${r.name}${r.frozen.length ? ` [frozen ${r.frozen.join(',')}]` : ''}: ${r.reason.slice(0, 300)}`);
  }
  console.log(JSON.stringify(by), results.length);
  const direct = results.filter((r) => !r.expanded);
  console.log('direct', JSON.stringify({ pass: direct.filter((r) => r.status === 'pass').length, total: direct.length }));
}, 120000);
