// Compiling a model for WebGPU, in memory: the same steps as compileWasm (compile-model.ts:
// fix dims, lower, plan memory, pack weights, manifest), with the kernels printed as WGSL
// (targets/wgsl), once for f32 and, when some kernel computes in f16, once with `enable f16`
// for adapters that have shader-f16; the runtime picks one when it loads.

import type { Graph } from '../ir/graph.js';
import { WEBGPU_TARGET, type Program } from '../kernel/program.js';
import { lowerProgram } from '../lower/lower-program.js';
import { buildManifest } from '../package/build-manifest.js';
import { packWeights } from '../package/pack-weights.js';
import { specializeDims } from '../passes/specialize-dims.js';
import { planMemory, type MemoryPlan } from '../schedule/memory-plan.js';
import { printWgslKernel } from '../../targets/wgsl/module.js';
import { checkManifest, type Manifest } from '../../runtime/manifest.js';
import { checkLowered, bindDims, checkShapes, paramTensors, type CompileWasmOptions } from './compile-model.js';

export type CompileWebGpuOptions = Pick<CompileWasmOptions, 'dims' | 'weights' | 'randomWeights' | 'seed'>;

export interface WebGpuCompilation {
  readonly program: Program;
  readonly plan: MemoryPlan;
  readonly manifest: Manifest;
  /** Kernel name → WGSL module (f32 variant). */
  readonly shaders: Readonly<Record<string, string>>;
  /** The f16 variant, when some kernel computes in f16. */
  readonly f16Shaders?: Readonly<Record<string, string>>;
  readonly weights: Uint8Array;
  readonly dims: ReadonlyMap<string, number>;
  readonly fixedDims: ReadonlyMap<string, number>;
  readonly notes: readonly string[];
}

export function compileWebGpu(graph: Graph, options: CompileWebGpuOptions = {}): WebGpuCompilation {
  const notes: string[] = [];
  const { env, fixed } = bindDims(graph, options.dims ?? {}, notes);
  const program = lowerProgram(specializeDims(graph, fixed), WEBGPU_TARGET);
  checkLowered(program);
  checkShapes(program, env);
  const plan = planMemory(program, { hint: env });
  const { bin, entries } = packWeights(program, plan, paramTensors(graph, program, options, notes));
  const shaders: Record<string, string> = {};
  const f16Shaders: Record<string, string> = {};
  let anyF16 = false;
  for (const k of program.kernels) {
    shaders[k.name] = printWgslKernel(k, { f16: false }).code;
    const f16 = printWgslKernel(k, { f16: true });
    f16Shaders[k.name] = f16.code;
    anyF16 ||= f16.usesF16;
  }
  const manifest = buildManifest({ program, plan, weights: entries, statsDims: env, target: 'webgpu', f16Module: anyF16 });
  checkManifest(JSON.parse(JSON.stringify(manifest)));
  return {
    program, plan, manifest, shaders, ...(anyF16 ? { f16Shaders } : {}),
    weights: bin, dims: env, fixedDims: fixed, notes,
  };
}
