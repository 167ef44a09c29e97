// The ONNX backend node tests on the interpreter: every test folder in
// ../shared/onnx-node-tests is imported and run; the scoreboard goes to docs/conformance.md.
// The suite passes when at least 95% of the tests pass and every non-pass has its reason.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIndex, NODE_TESTS_DIR, nodeTestsPresent, runNodeTest, type NodeTestResult } from './runner.js';
import { renderScoreboard } from './scoreboard.js';

const GOAL = 0.95;
const DOC = resolve(import.meta.dirname, '../../docs/conformance.md');

describe('ONNX backend node tests', () => {
  it(`are present at ${NODE_TESTS_DIR}`, () => {
    // CI lays ../shared beside the clone; without it this suite cannot say anything.
    expect(nodeTestsPresent()).toBe(true);
  });

  it(`pass on the interpreter at ≥ ${GOAL * 100}%, and every non-pass says why`, () => {
    const index = loadIndex();
    const results: NodeTestResult[] = index.map(runNodeTest);
    writeFileSync(DOC, renderScoreboard({ interp: results }));
    const passed = results.filter((r) => r.status === 'pass').length;
    const summary = `${passed}/${results.length} passed (${((100 * passed) / results.length).toFixed(1)}%)`;
    process.stdout.write(`ONNX node tests on interp: ${summary}\n`);
    for (const r of results) if (r.status !== 'pass') expect(r.reason, r.name).not.toBe('');
    expect(results.filter((r) => r.reason.startsWith('crash:')).map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(passed / results.length, summary).toBeGreaterThanOrEqual(GOAL);
  });
});
