// Running a model for a user: bind dims, fill inputs that were not given with seeded random
// data, bind parameters from a weights file or (for demos) seeded random values, evaluate on
// the chosen target, and optionally check every output against the interpreter. Everything
// that was made up rather than given is said in `notes`.

import { diag, DiagnosticError } from '../diagnostics/diagnostic.js';
import { evalDim, dimSymbols } from '../ir/dim.js';
import type { Graph } from '../ir/graph.js';
import { bindDims } from '../interpret/bind-dims.js';
import { interpret } from '../interpret/interpreter.js';
import type { Tensor } from '../interpret/tensor.js';
import { hashSeed, randomTensor } from '../io/random.js';
import { compareTensors, type OutputCheck } from './compare.js';
import { runOnWasm } from './run-wasm.js';
import { runOnWebGpu } from './run-webgpu.js';
import { runOnCuda } from './run-cuda.js';

/** Where `run` can evaluate a model: a kernel target, or the reference interpreter. */
export const TARGETS = ['wasm', 'webgpu', 'cuda', 'interp'] as const;
export type Target = (typeof TARGETS)[number];

/** The value given to a dim nobody bound, when random inputs need a size. */
export const DEMO_DIM_VALUE = 16;

export interface RunModelOptions {
  readonly target?: Target;
  /** Explicit dim values, as `--dim NAME=VALUE`. */
  readonly dims?: Readonly<Record<string, number>>;
  /** Tensors for the params; params missing here fall back to the graph's own weights. */
  readonly weights?: ReadonlyMap<string, Tensor>;
  /** When true, params with no weights get seeded random values (with a note). */
  readonly randomWeights?: boolean;
  /** Seed for random inputs and weights. */
  readonly seed?: number;
  /** Also run the interpreter and compare every output. */
  readonly check?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
  /** Threads for the wasm target (default: the runtime's, the cores up to 8). */
  readonly threads?: number;
  /** interp only: state (KV caches) kept across the calls given the same Map. */
  readonly state?: Map<string, unknown>;
}

export interface RunModelResult {
  readonly outputs: Map<string, Tensor>;
  readonly inputs: Map<string, Tensor>;
  /** The params' tensors as run (given, the graph's own, or seeded random). */
  readonly weights: Map<string, Tensor>;
  readonly dims: Map<string, number>;
  readonly notes: string[];
  readonly checks?: OutputCheck[];
}

export async function runModel(graph: Graph, given: ReadonlyMap<string, Tensor>, options: RunModelOptions = {}): Promise<RunModelResult> {
  const target = options.target ?? 'interp';
  const seed = options.seed ?? 0;
  const notes: string[] = [];
  const explicit = new Map(Object.entries(options.dims ?? {}));
  const inputs = new Map(given);

  const missing = graph.inputs.filter((i) => !inputs.has(i.attrs.name));
  if (missing.length) {
    // Bind what the given inputs fix, then give any dim still free a demo value.
    const { env } = bindDims(graph, inputs, explicit);
    for (const input of missing) {
      for (const d of input.shape) {
        for (const s of dimSymbols(d)) {
          if (!env.has(s)) {
            env.set(s, DEMO_DIM_VALUE);
            explicit.set(s, DEMO_DIM_VALUE);
            notes.push(`dimension ${s} is not bound; using ${s}=${DEMO_DIM_VALUE} for random inputs (pass --dim ${s}=VALUE)`);
          }
        }
      }
      const shape = input.shape.map((d) => evalDim(d, env));
      inputs.set(input.attrs.name, randomTensor(input.dtype, shape, hashSeed(seed, 'input', input.attrs.name), { label: `input '${input.attrs.name}'` }));
      notes.push(`input ${input.attrs.name} was not given; using seeded random data ${input.dtype}[${shape.join(', ')}] (seed ${seed})`);
    }
  }

  const weights = new Map(options.weights ?? []);
  const unbound = graph.params.filter((p) => !weights.has(p.attrs.name) && !graph.weights.has(p.attrs.name));
  if (unbound.length) {
    if (!options.randomWeights) throw new DiagnosticError(unbound.map((p) => diag('missingWeight', undefined, p.attrs.name)));
    const { env, diagnostics } = bindDims(graph, inputs, explicit);
    if (diagnostics.length) throw new DiagnosticError(diagnostics);
    for (const p of unbound) {
      const shape = p.shape.map((d) => evalDim(d, env));
      weights.set(p.attrs.name, randomTensor(p.dtype, shape, hashSeed(seed, 'param', p.attrs.name), { scale: initScale(shape), label: `parameter '${p.attrs.name}'` }));
    }
    notes.push(`parameters are seeded random values, not trained weights (seed ${seed}; pass --weights FILE.safetensors): ${unbound.map((p) => p.attrs.name).join(', ')}`);
  }

  const dims = explicit as ReadonlyMap<string, number>;
  const result = await evaluate(target, graph, inputs, weights, dims, options);
  notes.push(...(result.notes ?? []));
  let checks: OutputCheck[] | undefined;
  if (options.check) {
    const reference = interpret(graph, inputs, weights, { dims });
    checks = graph.outputs.map((o) => compareTensors(o.name, result.outputs.get(o.name)!, reference.outputs.get(o.name)!));
  }
  return { outputs: result.outputs, inputs, weights, dims: result.dims, notes, checks };
}

async function evaluate(
  target: Target,
  graph: Graph,
  inputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Tensor>,
  dims: ReadonlyMap<string, number>,
  options: RunModelOptions,
): Promise<{ outputs: Map<string, Tensor>; dims: Map<string, number>; notes?: readonly string[] }> {
  switch (target) {
    case 'interp': return interpret(graph, inputs, weights, { dims, onProgress: options.onProgress, ...(options.state ? { state: options.state } : {}) });
    case 'wasm': case 'webgpu': case 'cuda': {
      // Bind every dim (from the inputs, --dim and defaults) the way the interpreter does,
      // then compile for exactly those sizes.
      const { env, diagnostics } = bindDims(graph, inputs, dims);
      if (diagnostics.length) throw new DiagnosticError(diagnostics);
      const all = new Map<string, Tensor>(graph.weights);
      for (const [k, v] of weights) all.set(k, v);
      if (target === 'cuda') {
        const run = runOnCuda(graph, inputs, all, env);
        return { outputs: run.outputs, dims: env, notes: run.notes };
      }
      const run = target === 'wasm' ? await runOnWasm(graph, inputs, all, env, options.threads) : await runOnWebGpu(graph, inputs, all, env);
      return { outputs: run.outputs, dims: env };
    }
  }
}

/**
 * Demo weights: uniform in ±1/sqrt(fan-in) for matrices (fan-in is the product of all dims but
 * the last, for the [in, out] layout `x @ w` uses), so activations keep their scale through
 * deep stacks; ±1 for vectors.
 */
export function initScale(shape: readonly number[]): number {
  if (shape.length < 2) return 1;
  const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 1;
}
