// The batched emulated CUDA build behind the conformance `cuda` column (cuda-runner.ts,
// cuda-batch.ts): a handful of node tests through the whole path, a model g++ rejects failing
// alone, and a model that crashes the driver failing alone while the rest still run.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cudaEmulationHeader, CUDA_EMULATION_HEADER } from '../../compiler/package/write-cuda-package.js';
import { CUDA_PRELUDE } from '../../targets/cuda/prelude.js';
import { BATCH_API_HEADER, modelNamespace } from './cuda-batch.js';
import { compileUnit, cudaColumnSkipReason, runJobs, runNodeTestsOnCuda } from './cuda-runner.js';
import { loadIndex, nodeTestsPresent } from './runner.js';

const skip = cudaColumnSkipReason();
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cuda-batch-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Different ops and schedules (elementwise with broadcast, int8, matmul, reductions, softmax, norms, attention, conv), one refused dtype. */
const SUBSET = [
  'test_add_bcast', 'test_add_int8', 'test_matmul_2d', 'test_softmax_axis_1', 'test_reduce_sum_keepdims_random',
  'test_layer_normalization_4d_axis0', 'test_attention_4d_attn_mask', 'test_conv_with_strides_padding', 'test_cumsum_1d_reverse',
  'test_cast_FLOAT16_to_FLOAT8E4M3FN',
];

describe.skipIf(skip !== undefined || !nodeTestsPresent())(`the batched emulated CUDA build${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('runs node tests of several ops in one driver and matches their expected outputs', async () => {
    const entries = loadIndex().filter((e) => SUBSET.includes(e.name));
    expect(entries.map((e) => e.name).sort()).toEqual([...SUBSET].sort());
    // Two units: the models with the same kernel names land in one unit and must not clash.
    const { results } = await runNodeTestsOnCuda(entries, { units: 2 });
    const status = Object.fromEntries(results.map((r) => [r.name, `${r.status}${r.reason ? `: ${r.reason}` : ''}`]));
    for (const name of SUBSET) {
      if (name.includes('FLOAT8')) expect(status[name]).toMatch(/^unsupported: .*cannot live in a kernel buffer/);
      else expect(status[name], name).toBe('pass');
    }
  }, 180_000);
});

describe('the batch source', () => {
  it('puts a package in its own namespace: prelude, includes, C linkage and macros removed', () => {
    const kernels = `// kernels.cu\n${CUDA_PRELUDE}\nextern "C" __global__ void add_0(const float* __restrict__ a) {}\n`;
    const model = '#include "model.h"\n#include <stdio.h>\n#include "kernels.cu"\n#define SL_INPUTS 1\nextern "C" int sluice_model_num_inputs(void) { return SL_INPUTS; }\n';
    const text = modelNamespace(7, kernels, model);
    expect(text.startsWith('namespace sl_m7 {')).toBe(true);
    expect(text).toContain('__global__ void add_0(const float* __restrict__ a) {}');
    expect(text).toContain('int sluice_model_num_inputs(void) { return SL_INPUTS; }');
    expect(text).not.toContain('extern "C"');
    expect(text).not.toContain('#include');
    expect(text).not.toContain('sl_grid_of');
    expect(text).toContain('extern const sl_batch_api api =');
    expect(text.trimEnd().endsWith('#undef SL_INPUTS')).toBe(true);
    expect(() => modelNamespace(0, '// no prelude', model)).toThrow(/prelude/);
  });
});

describe.skipIf(skip !== undefined)(`a batch unit${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('rejects only the model g++ rejects, and builds the rest', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, CUDA_EMULATION_HEADER), cudaEmulationHeader());
    writeFileSync(join(dir, 'batch_api.h'), BATCH_API_HEADER);
    writeFileSync(join(dir, 'model.h'), '#pragma once\n');
    writeFileSync(join(dir, 'm0.inc'), 'namespace sl_m0 { int broken = ; }\n');
    writeFileSync(join(dir, 'm1.inc'), 'namespace sl_m1 { int fine = 1; }\n');
    const rejected = new Map<number, string>();
    const built = await compileUnit(dir, 'unit0', [0, 1], ['-O0', '-std=c++17', '-w', '-I.'], rejected);
    expect(built).toEqual([1]);
    expect([...rejected.keys()]).toEqual([0]);
    expect(rejected.get(0)).toMatch(/g\+\+ rejects the generated CUDA C.*expected/);
  }, 60_000);
});

describe('running the jobs', () => {
  it('fails the job that crashes the driver and runs the others after it', () => {
    const dir = tempDir();
    // A stand-in driver: model 1 aborts, model 3 reports an error, the others succeed.
    writeFileSync(join(dir, 'driver'), [
      '#!/bin/sh',
      'while read -r m rest; do',
      '  echo "start $m"',
      '  if [ "$m" = 1 ]; then echo "emulator: deadlock" >&2; kill -ABRT $$; fi',
      '  if [ "$m" = 3 ]; then echo "error $m input x: axis 0 is 2, expected 3"; else echo "done $m 1 2 2 3"; fi',
      'done < "$1"',
    ].join('\n'));
    chmodSync(join(dir, 'driver'), 0o755);
    const jobs = new Map([0, 1, 2, 3].map((m) => [m, `${m} w out 0`] as const));
    const outcomes = runJobs(dir, jobs, 30);
    expect(outcomes.get(0)).toEqual({ ok: true, shapes: [[2, 3]] });
    expect(outcomes.get(1)).toMatchObject({ ok: false, reason: expect.stringMatching(/crashed \(SIGABRT\).*deadlock/) });
    expect(outcomes.get(2)).toEqual({ ok: true, shapes: [[2, 3]] });
    expect(outcomes.get(3)).toEqual({ ok: false, reason: 'the emulated model reports: input x: axis 0 is 2, expected 3' });
  });
});
