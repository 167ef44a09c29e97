import { it } from 'vitest';
import { loadIndex, runNodeTest } from '../conformance/runner.js';

const OPS = ['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Pad', 'Resize'];
it('measures conv-family node tests', () => {
  const results = loadIndex().filter((t) => OPS.includes(t.op_under_test)).map(runNodeTest);
  const by = (s: string) => results.filter((r) => r.status === s);
  for (const r of results) if (r.status !== 'pass') console.log(`${r.status} ${r.name}: ${r.reason}`);
  console.log(`pass ${by('pass').length} fail ${by('fail').length} unsupported ${by('unsupported').length} of ${results.length}`);
}, 120000);
