// Compiling a model for WebGPU, in memory: the same steps as compileWasm (compile-model.ts:
// fix dims, lower, plan memory, pack weights, manifest), with the kernels printed as WGSL
// (targets/wgsl), once for f32 and, when some kernel computes in f16, once with `enable f16`
// for adapters that have shader-f16; the runtime picks one when it loads. The row-reduction
// kernels (reductions, softmax, norms) also get a subgroup variant: the graph is lowered a
// second time for WEBGPU_SUBGROUPS_TARGET, and each kernel that then holds subgroup_reduce
// is printed with `enable subgroups` (f32 only) beside its fallback; the runtime picks per
// kernel at load time. Both lowerings must agree on everything but kernel bodies.

import type { Graph } from '../ir/graph.js';
import { WEBGPU_SUBGROUPS_TARGET, WEBGPU_TARGET, type Program } from '../kernel/program.js';
import { checkKernel } from '../kernel/check.js';
import type { Kernel } from '../kernel/ir.js';
import { rowKernelMaxSubgroupSize } from '../lower/gpu/rows.js';
import { lowerProgram } from '../lower/lower-program.js';
import { buildManifest } from '../package/build-manifest.js';
import { packWeights } from '../package/pack-weights.js';
import { specializeDims } from '../passes/specialize-dims.js';
import { planMemory, type MemoryPlan } from '../schedule/memory-plan.js';
import { printWgslKernel } from '../../targets/wgsl/module.js';
import { checkManifest, type Manifest, type ManifestSubgroupVariant } from '../../runtime/manifest.js';
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
  /** Kernel name → its subgroup variant (`enable subgroups`), for the kernels that have one. */
  readonly subgroupShaders?: Readonly<Record<string, string>>;
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
  const subgroupShaders: Record<string, string> = {};
  const subgroupVariants = new Map<string, ManifestSubgroupVariant>();
  for (const k of subgroupKernels(program, lowerProgram(specializeDims(graph, fixed), WEBGPU_SUBGROUPS_TARGET))) {
    const printed = printWgslKernel(k, { f16: false });
    if (!printed.usesSubgroups) continue;
    subgroupShaders[k.name] = printed.code;
    subgroupVariants.set(k.name, { maxSubgroupSize: rowKernelMaxSubgroupSize(k.workgroupSize), workgroupSize: k.workgroupSize });
  }
  const manifest = buildManifest({ program, plan, weights: entries, statsDims: env, target: 'webgpu', f16Module: anyF16, subgroupVariants });
  checkManifest(JSON.parse(JSON.stringify(manifest)));
  return {
    program, plan, manifest, shaders, ...(anyF16 ? { f16Shaders } : {}),
    ...(subgroupVariants.size > 0 ? { subgroupShaders } : {}),
    weights: bin, dims: env, fixedDims: fixed, notes,
  };
}

/**
 * The kernels of `withSubgroups` (the same graph lowered for WEBGPU_SUBGROUPS_TARGET) that
 * use subgroup operations, after checking that the two programs bind and dispatch alike (so
 * one manifest describes both variants) and that those kernels pass the checker for it.
 */
function subgroupKernels(program: Program, withSubgroups: Program): Kernel[] {
  const signature = (p: Program) => JSON.stringify({
    values: p.values.map((v) => [v.id, v.role, v.dtype]),
    dispatches: p.dispatches,
    kernels: p.kernels.map((k) => [k.name, k.buffers, k.uniforms, k.workgroupSize]),
  });
  if (signature(program) !== signature(withSubgroups)) throw new Error(`compile webgpu: the subgroup lowering of '${program.name}' differs from the fallback beyond kernel bodies`);
  const kernels = withSubgroups.kernels.filter((k) => JSON.stringify(k.body).includes('"subgroup_reduce"'));
  for (const k of kernels) {
    const problems = checkKernel(k, WEBGPU_SUBGROUPS_TARGET);
    if (problems.length > 0) throw new Error(`compile webgpu: the subgroup variant of kernel '${k.name}' is invalid:\n  ${problems.join('\n  ')}`);
  }
  return kernels;
}
