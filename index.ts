// The sluice API. It mirrors the CLI: `parse` a model, `compile` it for a target, `run` it.
//
//   import { compile, run } from 'sluice';
//   const model = compile('examples/mlp.sluice');
//   const { outputs } = run(model, { x: tensor('f32', [4, 64], data) }, { randomWeights: true });

import { DiagnosticError, type Diagnostic } from './compiler/diagnostics/diagnostic.js';
import { diag } from './compiler/diagnostics/diagnostic.js';
import { loadModel, parse } from './compiler/driver/load-model.js';
import { runModel, TARGETS, type RunModelOptions, type Target } from './compiler/driver/run-model.js';
import type { OutputCheck } from './compiler/driver/compare.js';
import type { Graph } from './compiler/ir/graph.js';
import { graphPasses, passNames, runPasses, type PassTiming } from './compiler/passes/pipeline.js';
import type { Tensor } from './compiler/interpret/tensor.js';

export interface CompileOptions {
  /** The target to compile for; `interp` (the reference interpreter) until the backends land. */
  readonly target?: Target;
  /** Stop after this pass (see `passNames()`), for inspecting the IR. */
  readonly stopAfter?: string;
  /** Verify the IR after every pass. */
  readonly verify?: boolean;
}

export interface CompiledModel {
  readonly kind: 'compiled-model';
  readonly target: Target;
  readonly graph: Graph;
  readonly timings: readonly PassTiming[];
}

/** Compiles a model (a path, or a graph from `parse`). Throws DiagnosticError on user errors. */
export function compile(model: string | Graph, options: CompileOptions = {}): CompiledModel {
  const target = options.target ?? 'interp';
  if (!TARGETS.includes(target)) throw new DiagnosticError([diag('unknownTarget', undefined, String(target), TARGETS.join(', '))]);
  if (options.stopAfter !== undefined && !passNames().includes(options.stopAfter)) {
    throw new DiagnosticError([diag('unknownPass', undefined, options.stopAfter, passNames().join(', '))]);
  }
  const graph = typeof model === 'string' ? loadModel(model) : model;
  const { graph: out, timings } = runPasses(graph, graphPasses(), { verify: options.verify, stopAfter: options.stopAfter });
  return { kind: 'compiled-model', target, graph: out, timings };
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
}

/** Runs a model on inputs (missing inputs get seeded random data, said in `notes`). */
export function run(model: string | Graph | CompiledModel, inputs: Readonly<Record<string, Tensor>> = {}, options: RunOptions = {}): RunResult {
  const compiled = isCompiled(model) ? model : compile(model, { target: options.target });
  const weights = options.weights instanceof Map ? options.weights : new Map(Object.entries(options.weights ?? {}));
  const result = runModel(compiled.graph, new Map(Object.entries(inputs)), { ...options, target: compiled.target, weights });
  return {
    outputs: Object.fromEntries(result.outputs),
    dims: Object.fromEntries(result.dims),
    notes: result.notes,
    checks: result.checks,
  };
}

function isCompiled(m: string | Graph | CompiledModel): m is CompiledModel {
  return typeof m === 'object' && 'kind' in m && m.kind === 'compiled-model';
}

export { parse, loadModel };
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
