// The ONNX backend node tests on the interpreter and on the wasm and webgpu targets: every test
// folder in ../shared/onnx-node-tests is imported and run; the scoreboard goes to
// docs/conformance.md. On the interpreter the suite passes when at least 95% of the tests pass;
// on every target each non-pass must have its reason. The targets' pass rates are reported, not
// asserted. webgpu runs on one Dawn device (SwiftShader without a GPU), where all 753 tests take
// 80–150 s on two shared cores, so by default it skips the `_expanded` tests (the same ops built
// from primitives: 163 tests, 38% of the time); SLUICE_WEBGPU_CONFORMANCE=all runs them too.
// Without an adapter it is skipped, except under CI=true (testGpu).
// cuda builds every test's package together as C++ against the emulation header (cuda-runner.ts:
// a few translation units in parallel, one driver; about a minute) and is skipped only where
// g++ is absent.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIndex, NODE_TESTS_DIR, nodeTestsPresent, runNodeTest, type NodeTestResult } from './runner.js';
import { renderScoreboard } from './scoreboard.js';
import { runNodeTestOnWasm } from './wasm-runner.js';
import { runNodeTestOnWebGpu } from './webgpu-runner.js';
import { cudaColumnSkipReason, runNodeTestsOnCuda } from './cuda-runner.js';
import { testGpu } from '../targets/wgsl/device.js';

const GOAL = 0.95;
/** The webgpu column's tests: all of them with SLUICE_WEBGPU_CONFORMANCE=all, else all but the `_expanded` ones. */
const webgpuTests = (entry: { name: string }): boolean => process.env.SLUICE_WEBGPU_CONFORMANCE === 'all' || (!entry.name.endsWith('_expanded') && !entry.name.includes('_expanded_'));
const DOC = resolve(import.meta.dirname, '../../docs/conformance.md');

function summarise(results: readonly NodeTestResult[]): string {
  const passed = results.filter((r) => r.status === 'pass').length;
  return `${passed}/${results.length} passed (${((100 * passed) / results.length).toFixed(1)}%)`;
}

describe('ONNX backend node tests', () => {
  const columns: Record<string, NodeTestResult[]> = {};

  it(`are present at ${NODE_TESTS_DIR}`, () => {
    // CI lays ../shared beside the clone; without it this suite cannot say anything.
    expect(nodeTestsPresent()).toBe(true);
  });

  it(`pass on the interpreter at ≥ ${GOAL * 100}%, and every non-pass says why`, () => {
    const results = loadIndex().map(runNodeTest);
    columns.interp = results;
    writeFileSync(DOC, renderScoreboard(columns));
    const passed = results.filter((r) => r.status === 'pass').length;
    const summary = summarise(results);
    process.stdout.write(`ONNX node tests on interp: ${summary}\n`);
    for (const r of results) if (r.status !== 'pass') expect(r.reason, r.name).not.toBe('');
    expect(results.filter((r) => r.reason.startsWith('crash:')).map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    expect(passed / results.length, summary).toBeGreaterThanOrEqual(GOAL);
  });

  it('run on the wasm target, and every non-pass says why', async () => {
    const results: NodeTestResult[] = [];
    for (const entry of loadIndex()) results.push(await runNodeTestOnWasm(entry));
    columns.wasm = results;
    writeFileSync(DOC, renderScoreboard(columns));
    process.stdout.write(`ONNX node tests on wasm: ${summarise(results)}\n`);
    for (const r of results) if (r.status !== 'pass') expect(r.reason, r.name).not.toBe('');
  }, 300_000);

  it('run on the webgpu target (Dawn), and every non-pass says why', async (ctx) => {
    const gpu = await testGpu();
    if (!gpu) return ctx.skip('no WebGPU adapter (Dawn on SwiftShader: install chromium and libvulkan1)');
    const results: NodeTestResult[] = [];
    for (const entry of loadIndex().filter(webgpuTests)) results.push(await runNodeTestOnWebGpu(entry, gpu.device));
    columns.webgpu = results;
    writeFileSync(DOC, renderScoreboard(columns));
    process.stdout.write(`ONNX node tests on webgpu: ${summarise(results)}\n`);
    for (const r of results) if (r.status !== 'pass') expect(r.reason, r.name).not.toBe('');
  }, 400_000);

  it('run on the cuda target (emulated with g++), and every non-pass says why', async (ctx) => {
    const skip = cudaColumnSkipReason();
    if (skip) return ctx.skip(skip);
    const { results, timings } = await runNodeTestsOnCuda(loadIndex());
    columns.cuda = results;
    writeFileSync(DOC, renderScoreboard(columns));
    const time = `lower ${timings.lower.toFixed(1)} s, build ${timings.build.toFixed(1)} s, run ${timings.run.toFixed(1)} s`;
    process.stdout.write(`ONNX node tests on cuda (emulated): ${summarise(results)} (${time})\n`);
    for (const r of results) if (r.status !== 'pass') expect(r.reason, r.name).not.toBe('');
  }, 400_000);
});
