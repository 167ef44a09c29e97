import { it } from 'vitest';
import { loadIndex, runNodeTest } from '../conformance/runner.js';

const OPS = ['Attention', 'RotaryEmbedding'];

it('measures', () => {
  const only = process.env.ONLY;
  const results = loadIndex().filter((t) => OPS.includes(t.op_under_test) && (!only || t.name.includes(only)) && (process.env.EXPANDED ? true : !t.expanded)).map(runNodeTest);
  const count = (s: string) => results.filter((r) => r.status === s).length;
  console.log(`pass ${count('pass')} fail ${count('fail')} unsupported ${count('unsupported')}`);
  for (const r of results) if (r.status !== 'pass') console.log(`${r.status} ${r.name}: ${r.reason.slice(0, 400)}`);
}, 120000);
