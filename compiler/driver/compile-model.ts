// Compiling a model for WebAssembly, in memory: fix the dims the weights depend on, lower
// the graph to a Program, plan memory, print the module, pack the weights and build the
// manifest. `sluice compile` writes the result as a package (compiler/package/write-package.ts);
// `sluice bench` and tests load it straight into the runtime.
//
// Dims. A symbol given with `--dim`, one in a weight's shape, or one that no input has as an
// axis is fixed: the package is made for that value and the symbol disappears from the
// manifest. The others stay symbolic and are bound per run from the inputs' shapes. Every symbol still gets a value here (given,
// default, or the demo value 16, said in `notes`) to report the memory at.

import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { evalDim, evalDimExact, BadDimValueError, type Dim } from '../ir/dim.js';
import { brokenConstraint } from '../lower/constraints.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../interpret/tensor.js';
import { hashSeed, randomTensor } from '../io/random.js';
import { WASM_TARGET, type Program } from '../kernel/program.js';
import { lowerProgram } from '../lower/lower-program.js';
import { checkProgram } from '../kernel/check.js';
import { buildManifest } from '../package/build-manifest.js';
import { dimToJson } from '../package/dim-json.js';
import { packWeights } from '../package/pack-weights.js';
import { specializeDims, weightSymbols } from '../passes/specialize-dims.js';
import { planMemory, type MemoryPlan } from '../schedule/memory-plan.js';
import { printWasmModule } from '../../targets/wasm/module.js';
import { checkManifest, type Manifest } from '../../runtime/manifest.js';
import { DEMO_DIM_VALUE, initScale } from './run-model.js';

/** Targets `compile` can write a package for. */
export const PACKAGE_TARGETS = ['wasm', 'webgpu', 'cuda'] as const;
export type PackageTarget = (typeof PACKAGE_TARGETS)[number];

/** Bytes a wasm32 memory can hold (65536 pages of 64 KiB). */
export const WASM32_MEMORY_BYTES = 2 ** 32;

export interface CompileWasmOptions {
  /** Dims to fix in the package (`--dim NAME=VALUE`). */
  readonly dims?: Readonly<Record<string, number>>;
  /** Params by name (a weights file); missing ones fall back to the graph's own weights. */
  readonly weights?: ReadonlyMap<string, Tensor>;
  /** Params that have no weights get seeded random values (with a note) instead of an error. Default true. */
  readonly randomWeights?: boolean;
  readonly seed?: number;
  /** Also print the kernels with relaxed SIMD (fused multiply-add), shipped beside the plain module. */
  readonly relaxedSimd?: boolean;
  /** Binaryen's optimiser (default true). */
  readonly optimize?: boolean;
}

export interface WasmCompilation {
  /** The program as packaged (lowered after the fixed dims were substituted). */
  readonly program: Program;
  readonly plan: MemoryPlan;
  readonly manifest: Manifest;
  readonly wasm: Uint8Array;
  readonly relaxedWasm?: Uint8Array;
  /** weights.bin */
  readonly weights: Uint8Array;
  /** Every symbol's value the stats were computed at. */
  readonly dims: ReadonlyMap<string, number>;
  /** Symbols the package is made for (substituted everywhere). */
  readonly fixedDims: ReadonlyMap<string, number>;
  /** What was made up rather than given (random weights, demo dim values). */
  readonly notes: readonly string[];
}

/** Symbols that some input has exactly as one of its axes: the runtime reads them from the input's shape. */
function symbolsBoundByInputs(graph: Graph): Set<string> {
  const out = new Set<string>();
  for (const i of graph.inputs) {
    for (const d of i.shape) {
      const json = dimToJson(d);
      if (typeof json === 'string') out.add(json);
    }
  }
  return out;
}

/**
 * Gives every symbol a value (given, default, else the demo value) and decides which are
 * fixed in the package: those given, those in a weight's shape, and those no input's shape
 * binds (nothing at run time could give them a value).
 */
export function bindDims(graph: Graph, explicit: Readonly<Record<string, number>>, notes: string[]) {
  const declared = graph.dims.map((d) => d.name);
  const problems: Diagnostic[] = [];
  for (const name of Object.keys(explicit)) {
    if (!declared.includes(name)) problems.push(diag('unknownDimName', undefined, name, declared.join(', ') || 'none'));
  }
  if (problems.length) throw new DiagnosticError(problems);
  const fromWeights = weightSymbols(graph);
  const fromInputs = symbolsBoundByInputs(graph);
  const env = new Map<string, number>();
  const fixed = new Map<string, number>();
  for (const d of graph.dims) {
    const given = explicit[d.name];
    const value = given ?? d.defaultValue ?? DEMO_DIM_VALUE;
    const fix = given !== undefined || fromWeights.has(d.name) || !fromInputs.has(d.name);
    env.set(d.name, value);
    if (fix) fixed.set(d.name, value);
    if (given === undefined && d.defaultValue === undefined) {
      notes.push(fix
        ? `dimension ${d.name} is not bound; the package is made for ${d.name}=${DEMO_DIM_VALUE} (pass --dim ${d.name}=VALUE)`
        : `dimension ${d.name} stays symbolic; memory is reported at ${d.name}=${DEMO_DIM_VALUE} (pass --dim ${d.name}=VALUE to fix it)`);
    }
  }
  return { env, fixed };
}

export function paramTensors(graph: Graph, program: Program, options: CompileWasmOptions, notes: string[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const random: string[] = [];
  const seed = options.seed ?? 0;
  for (const v of program.values) {
    if (v.role !== 'weight' || v.constant) continue;
    const given = options.weights?.get(v.name) ?? graph.weights.get(v.name);
    if (given) {
      out.set(v.name, given);
      continue;
    }
    if (options.randomWeights === false) continue; // packWeights reports it missing
    const shape = v.shape.map((d) => evalDim(d, new Map()));
    out.set(v.name, randomTensor(v.dtype, shape, hashSeed(seed, 'param', v.name), { scale: initScale(shape), label: `parameter '${v.name}'` }));
    random.push(v.name);
  }
  if (random.length) {
    notes.push(`parameters are seeded random values, not trained weights (seed ${seed}; pass --weights FILE.safetensors): ${random.join(', ')}`);
  }
  return out;
}

function describeDims(env: ReadonlyMap<string, number>): string {
  return env.size ? [...env].map(([k, v]) => `${k}=${v}`).join(', ') : 'its fixed sizes';
}

/** Every shape must be whole sizes at the bound dims (`D/H` with H not dividing D is not). */
export function checkShapes(program: Program, env: ReadonlyMap<string, number>): void {
  const problems: Diagnostic[] = [];
  for (const v of program.values) {
    for (const d of v.shape) {
      try {
        evalDim(d, env);
      } catch (e) {
        if (!(e instanceof BadDimValueError)) throw e;
        problems.push(diag('badDimValue', undefined, e.dim.key, e.value, `'${v.name}' at ${describeDims(env)}`));
        break;
      }
    }
  }
  const broken = brokenConstraint(program.constraints ?? [], (d) => evalDimExact(d, env));
  if (broken) problems.push(diag('dimsBreakShape', undefined, broken, describeDims(env)));
  if (problems.length) throw new DiagnosticError(problems);
}

/** Refuses a model whose memory at the bound dims would not fit a wasm32 memory. */
function checkMemoryLimit(program: Program, plan: MemoryPlan, env: ReadonlyMap<string, number>): void {
  const at = (d: Dim) => evalDim(d, env);
  const total = at(plan.regionBytes.weights) + at(plan.regionBytes.state) + at(plan.regionBytes.io) + at(plan.regionBytes.arena);
  if (total <= WASM32_MEMORY_BYTES) return;
  let largest = program.values[0]!;
  for (const v of program.values) if (at(plan.valueBytes.get(v.id)!) > at(plan.valueBytes.get(largest.id)!)) largest = v;
  const fmt = (n: number) => n.toLocaleString('en-US');
  throw new DiagnosticError([diag('memoryTooLarge', undefined, fmt(total), describeDims(env), fmt(WASM32_MEMORY_BYTES), 'wasm32',
    largest.name, fmt(at(plan.valueBytes.get(largest.id)!)))]);
}

/** A program the Kernel IR checker rejects is a lowering bug: stop at compile time, not in a module. */
export function checkLowered(program: Program): void {
  const problems = checkProgram(program);
  if (problems.length) throw new Error(`lowering produced an invalid program:\n  ${problems.slice(0, 10).join('\n  ')}`);
}

export function compileWasm(graph: Graph, options: CompileWasmOptions = {}): WasmCompilation {
  const notes: string[] = [];
  const { env, fixed } = bindDims(graph, options.dims ?? {}, notes);
  const program = lowerProgram(specializeDims(graph, fixed), WASM_TARGET);
  checkLowered(program);
  checkShapes(program, env);
  const plan = planMemory(program, { hint: env });
  checkMemoryLimit(program, plan, env);
  const { bin, entries } = packWeights(program, plan, paramTensors(graph, program, options, notes));
  const printed = printWasmModule(program.kernels, { optimize: options.optimize ?? true });
  const relaxed = options.relaxedSimd ? printWasmModule(program.kernels, { optimize: options.optimize ?? true, relaxedSimd: true }) : undefined;
  const manifest = buildManifest({
    program,
    plan,
    weights: entries,
    statsDims: env,
    scratchBytes: new Map(printed.exports.map((e) => [e.name, e.scratchBytes] as const)),
    relaxedModule: relaxed !== undefined,
  });
  // The runtime checks the manifest on load; checking here too makes a writer bug a compile-time crash.
  checkManifest(JSON.parse(JSON.stringify(manifest)));
  return {
    program,
    plan,
    manifest,
    wasm: printed.binary,
    ...(relaxed ? { relaxedWasm: relaxed.binary } : {}),
    weights: bin,
    dims: env,
    fixedDims: fixed,
    notes,
  };
}
