// `sluice bench` as a user runs it: a child process of the built bin/sluice.js (npm test
// builds dist/ first). Numbers are checked for shape and sense, never for speed.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testGpu } from '../targets/wgsl/device.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/sluice.js');
const gpu = await testGpu();

function sluice(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/bench.js'))) throw new Error('dist/ is missing: run `npm test` (it builds first) or `npm run build`');
});

describe('sluice bench', () => {
  it('prints one JSON object with the timings, threads and dims', () => {
    const r = sluice(['bench', 'examples/mlp.sluice', '--target', 'wasm', '--dim', 'B=7', '--threads', '2', '--runs', '3', '--warmup', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ ok: true, model: 'MLP', target: 'wasm', threads: 2, runs: 3, warmup: 1, dims: { B: 7, D: 64, F: 256, C: 10 } });
    for (const key of ['medianMs', 'minMs', 'maxMs', 'meanMs']) expect(json[key]).toBeGreaterThan(0);
    expect(json.minMs as number).toBeLessThanOrEqual(json.medianMs as number);
    expect(json.medianMs as number).toBeLessThanOrEqual(json.maxMs as number);
    expect(json.samplesMs).toHaveLength(3);
  });

  it('prints a summary with notes on stderr, on one thread', () => {
    const r = sluice(['bench', 'examples/mlp.sluice', '--threads', '1', '--runs', '2', '--warmup', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^MLP on wasm with B=16, D=64, F=256, C=10, 1 thread\n {2}median [\d.]+ ms {3}min [\d.]+ ms {3}max [\d.]+ ms {3}\(2 runs after 0 warm-up\)\n$/);
    expect(r.stderr).toMatch(/note: parameters are seeded random values/);
  });

  it('reports user mistakes as diagnostics or usage errors, without a stack trace', () => {
    const unknownDim = sluice(['bench', 'examples/mlp.sluice', '--dim', 'Q=3', '--json']);
    expect(unknownDim.code).toBe(1);
    expect(JSON.parse(unknownDim.stdout)).toMatchObject({ ok: false });
    const zeroRuns = sluice(['bench', 'examples/mlp.sluice', '--runs', '0']);
    expect(zeroRuns.code).toBe(1);
    expect(zeroRuns.stderr).toMatch(/--runs must be at least 1/);
    const target = sluice(['bench', 'examples/mlp.sluice', '--target', 'cuda']);
    expect(target.code).toBe(1);
    expect(target.stderr).toMatch(/unknown target 'cuda' \(available: wasm, webgpu\)/);
    for (const r of [unknownDim, zeroRuns, target]) expect(r.stderr + r.stdout).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  });
});

describe.skipIf(!gpu)('sluice bench --target webgpu', () => {
  it('prints the same JSON fields as wasm, with the adapter', () => {
    const r = sluice(['bench', 'examples/mlp.sluice', '--target', 'webgpu', '--dim', 'B=7', '--runs', '3', '--warmup', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ ok: true, model: 'MLP', target: 'webgpu', runs: 3, warmup: 1, dims: { B: 7, D: 64, F: 256, C: 10 } });
    for (const key of ['medianMs', 'minMs', 'maxMs', 'meanMs']) expect(json[key]).toBeGreaterThan(0);
    expect(json.minMs as number).toBeLessThanOrEqual(json.medianMs as number);
    expect(json.medianMs as number).toBeLessThanOrEqual(json.maxMs as number);
    expect(json.samplesMs).toHaveLength(3);
    expect(typeof json.adapter).toBe('string');
    expect(typeof json.f16).toBe('boolean');
  });

  it('prints a summary naming the adapter', () => {
    const r = sluice(['bench', 'examples/mlp.sluice', '--target', 'webgpu', '--runs', '2', '--warmup', '0', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^MLP on webgpu with B=16, D=64, F=256, C=10, .+\n {2}median [\d.]+ ms {3}min [\d.]+ ms {3}max [\d.]+ ms {3}\(2 runs after 0 warm-up\)\n$/);
  });
});
