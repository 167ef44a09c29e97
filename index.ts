// The sluice API. It mirrors the CLI: `parse` a model, `compile` it for a target, `run` it.
//
//   import { compile, run } from 'sluice';
//   const model = compile('examples/mlp.sluice');
//   const { outputs } = await run(model, { x: tensor('f32', [4, 64], data) }, { randomWeights: true, target: 'wasm' });
//   compile('examples/mlp.sluice', { target: 'wasm', out: 'mlp' });   // writes an npm package

import { DiagnosticError, type Diagnostic } from './compiler/diagnostics/diagnostic.js';
import { diag } from './compiler/diagnostics/diagnostic.js';
import { loadModel, parse, readModel } from './compiler/driver/load-model.js';
import { runModel, TARGETS, type RunModelOptions, type Target } from './compiler/driver/run-model.js';
import type { OutputCheck } from './compiler/driver/compare.js';
import type { Graph } from './compiler/ir/graph.js';
import { graphPasses, passNames, runPasses, type PassTiming } from './compiler/passes/pipeline.js';
import type { Tensor } from './compiler/interpret/tensor.js';
import { compileWasm, PACKAGE_TARGETS, type CompileWasmOptions, type PackageTarget, type WasmCompilation } from './compiler/driver/compile-model.js';
import { writePackage, type WrittenPackage } from './compiler/package/write-package.js';
import { compileCuda, type CudaArch, type CudaCompilation } from './compiler/driver/compile-cuda.js';
import { writeCudaPackage } from './compiler/package/write-cuda-package.js';
import { compileWebGpu, type WebGpuCompilation } from './compiler/driver/compile-webgpu.js';
import { writeWebGpuPackage } from './compiler/package/write-webgpu-package.js';

export interface CompileOptions extends CompileWasmOptions {
  /**
   * The target to compile for: `interp` (the reference interpreter), `wasm`, `webgpu` or
   * `cuda`, which lower the model to kernels and build a package (written to `out` when given).
   */
  readonly target?: Target | PackageTarget;
  /** For `wasm`: write the package to this folder. */
  readonly out?: string;
  /** For `wasm` with `out`: the npm package name (default: from the model's name). */
  readonly packageName?: string;
  /** Stop after this pass (see `passNames()`), for inspecting the IR. */
  readonly stopAfter?: string;
  /** Verify the IR after every pass. */
  readonly verify?: boolean;
  /** For `cuda`: the GPU architecture the package's build files default to (sm_80 unless given). */
  readonly arch?: CudaArch;
  /**
   * Values for graph inputs, for an ONNX model that needs them when it is imported (a Reshape
   * shape fed as an input): the model is then specialised to them (`frozen`, and a warning).
   */
  readonly inputs?: Readonly<Record<string, Tensor>>;
}

export interface CompiledModel {
  readonly kind: 'compiled-model';
  readonly target: Target | PackageTarget;
  readonly graph: Graph;
  readonly timings: readonly PassTiming[];
  /** Graph inputs the model was specialised to, with their values (no longer inputs). */
  readonly frozen: ReadonlyMap<string, Tensor>;
  /** Warnings from loading the model (an unused input, inputs frozen). */
  readonly warnings: readonly Diagnostic[];
  /** For `wasm`: the program, memory plan, module, weights and manifest, in memory. */
  readonly wasm?: WasmCompilation;
  /** For `webgpu`: the program, one WGSL module per kernel (and the f16 variant), weights and manifest. */
  readonly webgpu?: WebGpuCompilation;
  /** For `cuda`: the program, kernels.cu, host code, build files, weights and manifest, in memory. */
  readonly cuda?: CudaCompilation;
  /** For `wasm` with `out`: the package written. */
  readonly package?: WrittenPackage;
}

const COMPILE_TARGETS: readonly string[] = [...TARGETS, ...PACKAGE_TARGETS];

function isPackageTarget(t: string): t is PackageTarget {
  return (PACKAGE_TARGETS as readonly string[]).includes(t);
}

/** Compiles a model (a path, or a graph from `parse`). Throws DiagnosticError on user errors. */
export function compile(model: string | Graph, options: CompileOptions = {}): CompiledModel {
  const target = options.target ?? 'interp';
  if (!COMPILE_TARGETS.includes(target)) throw new DiagnosticError([diag('unknownTarget', undefined, String(target), COMPILE_TARGETS.join(', '))]);
  if (options.stopAfter !== undefined && !passNames().includes(options.stopAfter)) {
    throw new DiagnosticError([diag('unknownPass', undefined, options.stopAfter, passNames().join(', '))]);
  }
  const values = new Map(Object.entries(options.inputs ?? {}));
  const loaded = typeof model === 'string' ? readModel(model, values) : { graph: model, frozen: [], warnings: [] };
  const { graph: out, timings } = runPasses(loaded.graph, graphPasses(), { verify: options.verify, stopAfter: options.stopAfter });
  const frozen = new Map(loaded.frozen.map((name) => [name, values.get(name)!]));
  const base = { kind: 'compiled-model', target, graph: out, timings, frozen, warnings: loaded.warnings } as const;
  if (!isPackageTarget(target) || options.stopAfter !== undefined) return base;
  if (target === 'cuda') {
    const cuda = compileCuda(out, options);
    const written = options.out === undefined ? undefined : writeCudaPackage(cuda, options.out);
    return { ...base, cuda, ...(written ? { package: written } : {}) };
  }
  if (target === 'webgpu') {
    const webgpu = compileWebGpu(out, options);
    const written = options.out === undefined ? undefined : writeWebGpuPackage(webgpu, options.out, { name: options.packageName });
    return { ...base, webgpu, ...(written ? { package: written } : {}) };
  }
  const wasm = compileWasm(out, options);
  const pkg = options.out === undefined ? undefined : writePackage(wasm, options.out, { name: options.packageName });
  return { ...base, wasm, ...(pkg ? { package: pkg } : {}) };
}

export interface RunOptions extends Omit<RunModelOptions, 'weights' | 'dims'> {
  readonly dims?: Readonly<Record<string, number>>;
  readonly weights?: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;
}

export interface RunResult {
  readonly outputs: Record<string, Tensor>;
  readonly dims: Record<string, number>;
  /** What was made up rather than given (random inputs or weights, demo dim values). */
  readonly notes: readonly string[];
  readonly checks?: readonly OutputCheck[];
  /** Warnings from loading the model (inputs frozen to the values given, say). */
  readonly warnings: readonly Diagnostic[];
}

/**
 * Runs a model on inputs (missing inputs get seeded random data, said in `notes`). Given a
 * path, the inputs' values may specialise an ONNX model that needs them at import time.
 * The target is `options.target`, else the compiled model's, else the reference interpreter;
 * `wasm` compiles the graph for this call's sizes and runs it in the WASM runtime.
 */
export async function run(model: string | Graph | CompiledModel, inputs: Readonly<Record<string, Tensor>> = {}, options: RunOptions = {}): Promise<RunResult> {
  const target = options.target ?? (isCompiled(model) ? model.target : 'interp');
  if (!(TARGETS as readonly string[]).includes(target)) throw new DiagnosticError([diag('unknownTarget', undefined, target, TARGETS.join(', '))]);
  // Only the graph is needed here; a wasm target compiles it for this call's sizes below.
  const compiled = isCompiled(model) ? model : compile(model, { target: 'interp', inputs: typeof model === 'string' ? inputs : undefined });
  const weights = options.weights instanceof Map ? options.weights : new Map(Object.entries(options.weights ?? {}));
  const result = await runModel(compiled.graph, unfrozenInputs(compiled, inputs), { ...options, target: target as Target, weights });
  return {
    outputs: Object.fromEntries(result.outputs),
    dims: Object.fromEntries(result.dims),
    notes: result.notes,
    checks: result.checks,
    warnings: compiled.warnings,
  };
}

/** The inputs minus those the model was specialised to (which must have the frozen values). */
function unfrozenInputs(compiled: CompiledModel, inputs: Readonly<Record<string, Tensor>>): Map<string, Tensor> {
  const given = new Map(Object.entries(inputs));
  const problems: Diagnostic[] = [];
  for (const [name, value] of compiled.frozen) {
    const t = given.get(name);
    if (t === undefined) continue;
    if (!sameTensor(t, value)) problems.push(diag('badOption', undefined, `input '${name}' was frozen to other values when the model was compiled; compile it again with these`));
    given.delete(name);
  }
  if (problems.length) throw new DiagnosticError(problems);
  return given;
}

function sameTensor(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i]) && a.data[i] !== b.data[i]) return false;
  return true;
}

function isCompiled(m: string | Graph | CompiledModel): m is CompiledModel {
  return typeof m === 'object' && 'kind' in m && m.kind === 'compiled-model';
}

export { parse, loadModel };
export { loadPackage, type LoadPackageOptions } from './compiler/driver/load-package.js';
export type { Model as PackageModel } from './runtime/wasm/index.js';
export { passNames };
export { TARGETS, type Target };
export type { Graph, Diagnostic, OutputCheck, PassTiming, Tensor };
export { DiagnosticError, formatDiagnostic, formatDiagnostics } from './compiler/diagnostics/diagnostic.js';
export { printGraph } from './compiler/ir/printer.js';
export { interpret } from './compiler/interpret/interpreter.js';
export { tensor, toNumbers } from './compiler/interpret/tensor.js';
export type { DType } from './compiler/ir/dtype.js';
export { readNpy, encodeNpy } from './compiler/io/npy.js';
export { readSafetensors, encodeSafetensors } from './compiler/io/safetensors.js';
export { readTensorProto } from './compiler/io/tensor-proto.js';
