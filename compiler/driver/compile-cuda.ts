// Compiling a model for CUDA, in memory: the same steps as compileWasm (compile-model.ts: fix
// dims, lower, plan memory, pack weights, manifest) with the kernels printed as CUDA C
// (targets/cuda) and the host code, runner and build files of the package
// (compiler/package/cuda-*.ts). `sluice compile --target cuda` writes it out
// (compiler/package/write-cuda-package.ts); `sluice run --target cuda` builds it (run-cuda.ts).

import type { Graph } from '../ir/graph.js';
import { CUDA_TARGET, type Program } from '../kernel/program.js';
import { lowerProgram } from '../lower/lower-program.js';
import { buildManifest } from '../package/build-manifest.js';
import { CUDA_ARCHS, printCMakeLists, printMakefile, type CudaArch } from '../package/cuda-build-files.js';
import { printModelHeader, printModelSource } from '../package/cuda-host.js';
import { RUNNER_SOURCE } from '../package/cuda-runner.js';
import { packWeights } from '../package/pack-weights.js';
import { specializeDims } from '../passes/specialize-dims.js';
import { planMemory, type MemoryPlan } from '../schedule/memory-plan.js';
import { printCudaModule } from '../../targets/cuda/module.js';
import { checkManifest, type Manifest } from '../../runtime/manifest.js';
import { checkLowered, bindDims, checkShapes, paramTensors, type CompileWasmOptions } from './compile-model.js';

export { CUDA_ARCHS, type CudaArch };

export interface CompileCudaOptions extends Pick<CompileWasmOptions, 'dims' | 'weights' | 'randomWeights' | 'seed'> {
  /** The GPU architecture the build files default to (sm_80 unless given). */
  readonly arch?: CudaArch;
}

/** The package's text files by name (kernels.cu, model.h, model.cu, runner.cu, Makefile, CMakeLists.txt). */
export type CudaSources = Readonly<Record<string, string>>;

export interface CudaCompilation {
  readonly program: Program;
  readonly plan: MemoryPlan;
  readonly manifest: Manifest;
  readonly sources: CudaSources;
  /** weights.bin */
  readonly weights: Uint8Array;
  readonly arch: CudaArch;
  readonly dims: ReadonlyMap<string, number>;
  readonly fixedDims: ReadonlyMap<string, number>;
  readonly notes: readonly string[];
}

/** Kernels take their buffers as `__restrict__` pointers: one value bound to two of them would be undefined behaviour. */
function checkNoAliasing(program: Program): void {
  for (const d of program.dispatches) {
    const ids = Object.values(d.buffers);
    if (new Set(ids).size !== ids.length) throw new Error(`cuda: dispatch of ${d.kernel} binds one value to two buffer parameters`);
  }
}

export const CUDA_PACKAGE_FILES = { module: 'kernels.cu', weights: 'weights.bin' } as const;

export function compileCuda(graph: Graph, options: CompileCudaOptions = {}): CudaCompilation {
  const notes: string[] = [];
  const arch = options.arch ?? 'sm_80';
  const { env, fixed } = bindDims(graph, options.dims ?? {}, notes);
  const program = lowerProgram(specializeDims(graph, fixed), CUDA_TARGET);
  checkLowered(program);
  checkShapes(program, env);
  checkNoAliasing(program);
  const plan = planMemory(program, { hint: env });
  const { bin, entries } = packWeights(program, plan, paramTensors(graph, program, options, notes));
  const base = buildManifest({ program, plan, weights: entries, statsDims: env });
  const manifest: Manifest = { ...base, target: 'cuda', files: { ...CUDA_PACKAGE_FILES } };
  checkManifest(JSON.parse(JSON.stringify(manifest)));
  const sources: CudaSources = {
    'kernels.cu': printCudaModule(program.kernels, `model ${program.name}`).source,
    'model.h': printModelHeader(manifest),
    'model.cu': printModelSource(manifest),
    'runner.cu': RUNNER_SOURCE,
    Makefile: printMakefile(program.name, arch),
    'CMakeLists.txt': printCMakeLists(program.name, arch),
  };
  return { program, plan, manifest, sources, weights: bin, arch, dims: env, fixedDims: fixed, notes };
}
