// The CUDA target against the real toolchain (no GPU needed): every kernel of the op cases,
// examples and ONNX fixtures compiles with nvcc for sm_80 and sm_90 (one nvcc call for the
// whole module, both architectures), with `ptxas -v` resources recorded per kernel in a report written to a
// temp dir and no spills; a package's host library and runner build with nvcc through both
// its Makefile and its CMakeLists.txt.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCuda } from '../../../compiler/driver/compile-cuda.js';
import type { Kernel } from '../../../compiler/kernel/ir.js';
import { writeCudaPackage } from '../../../compiler/package/write-cuda-package.js';
import { printCudaModule } from '../../../targets/cuda/module.js';
import { formatResources, parsePtxasReport } from '../../../targets/cuda/ptxas-report.js';
import { HAS_CMAKE, removeTempDirs, run, skipReason, tempDir } from './harness.js';

let reportDir = '';
afterAll(() => removeTempDirs([reportDir]));
import { caseWeights, exampleCases, onnxCases, opCases } from './model-cases.js';

const skip = skipReason('nvcc');

describe.skipIf(skip !== undefined)(`nvcc compiles the generated CUDA${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('every kernel of the op cases, examples and ONNX fixtures, for sm_80 and sm_90, without spills', () => {
    const kernels: Kernel[] = [];
    [...opCases(), ...exampleCases(), ...onnxCases()].forEach((c, i) => {
      const program = compileCuda(c.graph, { weights: c.weights ?? caseWeights(c.graph), randomWeights: false }).program;
      for (const k of program.kernels) kernels.push({ ...k, name: `c${i}_${k.name}` });
    });
    const dir = tempDir('nvcc');
    reportDir = dir;
    const source = join(dir, 'kernels.cu');
    writeFileSync(source, printCudaModule(kernels, 'op cases and examples').source);
    const started = Date.now();
    const log = run('nvcc', ['-c', '-std=c++17', '-diag-suppress', '177', '-Xptxas', '-v',
      '-gencode', 'arch=compute_80,code=sm_80', '-gencode', 'arch=compute_90,code=sm_90', '-o', join(dir, 'kernels.o'), source]);
    const seconds = (Date.now() - started) / 1000;
    const rows = parsePtxasReport(log);
    writeFileSync(join(dir, 'ptxas-report.json'), JSON.stringify({ seconds, kernels: rows }, null, 1));
    writeFileSync(join(dir, 'ptxas-report.txt'), `nvcc for sm_80 + sm_90: ${seconds.toFixed(1)} s, ${kernels.length} kernels\n${formatResources(rows)}`);
    console.log(`CUDA resource report: ${join(dir, 'ptxas-report.txt')} (${kernels.length} kernels, ${seconds.toFixed(1)} s)`);
    for (const arch of ['sm_80', 'sm_90']) {
      const seen = new Set(rows.filter((r) => r.arch === arch).map((r) => r.kernel));
      expect(kernels.filter((k) => !seen.has(k.name)).map((k) => k.name), `kernels missing from the ${arch} report`).toEqual([]);
    }
    expect(rows.filter((r) => r.spillStoreBytes > 0 || r.spillLoadBytes > 0).map((r) => `${r.kernel} ${r.arch}`)).toEqual([]);
  });

  const mlp = exampleCases().find((c) => c.name === 'examples/mlp.sluice')!;
  const packageDir = (): string => {
    const dir = tempDir('pkg');
    writeCudaPackage(compileCuda(mlp.graph, { weights: caseWeights(mlp.graph), randomWeights: false, arch: 'sm_90' }), dir);
    return dir;
  };

  it('a package builds with make (libmodel.so, runner and cubin) for its --arch', () => {
    const dir = packageDir();
    run('make', ['-s', '-C', dir, 'all', 'cubin']);
    for (const f of ['libmodel.so', 'runner', 'kernels.sm_90.cubin']) expect(existsSync(join(dir, f)), f).toBe(true);
  });

  it.skipIf(!HAS_CMAKE)(`a package builds with CMake${HAS_CMAKE ? '' : ' (skipped: cmake is not installed)'}`, () => {
    const dir = packageDir();
    run('cmake', ['-S', dir, '-B', join(dir, 'build')]);
    run('cmake', ['--build', join(dir, 'build')]);
    for (const f of ['libmodel.so', 'runner']) expect(existsSync(join(dir, 'build', f)), f).toBe(true);
  });

  it('the ptxas report parser reads nvcc\'s output', () => {
    const rows = parsePtxasReport([
      "ptxas info    : Compiling entry function 'k' for 'sm_90'",
      'ptxas info    : Function properties for k',
      '    8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads',
      'ptxas info    : Used 40 registers, used 1 barriers, 2048 bytes smem, 372 bytes cmem[0]',
    ].join('\n'));
    expect(rows).toEqual([{ kernel: 'k', arch: 'sm_90', registers: 40, sharedBytes: 2048, stackBytes: 8, spillStoreBytes: 4, spillLoadBytes: 4 }]);
  });
});
