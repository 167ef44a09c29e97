// `sluice compile --target cuda` and `sluice run --target cuda` as a user runs them: child
// processes of the built bin/sluice.js (npm test builds dist/ first). Without a GPU, `run`
// builds the package with g++ against the emulation header and says so in a note.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkManifest } from '../../../runtime/manifest.js';
import { HAS_GXX, removeTempDirs, tempDir } from './harness.js';

afterAll(() => removeTempDirs());

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/sluice.js');

function sluice(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm test` (it builds first) or `npm run build`');
});

describe('sluice with --target cuda', () => {
  it('compile writes the CUDA package for the chosen --arch and prints JSON', () => {
    const out = join(tempDir('cli'), 'mlp');
    const r = sluice(['compile', 'examples/mlp.sluice', '--target', 'cuda', '--arch', 'sm_90', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { target: string; arch: string; kernels: number; files: { path: string }[] };
    expect(json.target).toBe('cuda');
    expect(json.arch).toBe('sm_90');
    expect(json.files.map((f) => f.path).sort()).toEqual(
      ['CMakeLists.txt', 'Makefile', 'kernels.cu', 'manifest.json', 'model.cu', 'model.h', 'runner.cu', 'sluice_cuda_emu.h', 'weights.bin']);
    const manifest = checkManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.target).toBe('cuda');
    expect(manifest.kernels.length).toBe(json.kernels);
    expect(readFileSync(join(out, 'Makefile'), 'utf8')).toContain('ARCH ?= sm_90');
    const kernels = readFileSync(join(out, 'kernels.cu'), 'utf8');
    expect(kernels).toMatch(/extern "C" __global__ void __launch_bounds__\(\d+, 1\) matmul_add_gelu\(/);
    expect(kernels).toContain('// sources: ');
  });

  it('compile refuses an unknown --arch', () => {
    const r = sluice(['compile', 'examples/mlp.sluice', '--target', 'cuda', '--arch', 'sm_70', '--out', join(tempDir('cli'), 'x')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('sm_80');
  });

  it.skipIf(!HAS_GXX)('run --check runs the emulated build, passes the check and says it was emulated', () => {
    const r = sluice(['run', 'examples/mlp.sluice', '--target', 'cuda', '--dim', 'B=3', '--check', '--json', '--out', tempDir('cli-out')]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { target: string; notes: string[]; check: { ok: boolean }[] };
    expect(json.target).toBe('cuda');
    expect(json.check.every((c) => c.ok)).toBe(true);
    expect(json.notes.some((n) => n.includes('no NVIDIA GPU here') && n.includes('sluice_cuda_emu.h'))).toBe(true);
  });
});
