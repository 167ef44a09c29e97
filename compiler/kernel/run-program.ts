// The Program interpreter: runs a lowered Program on host tensors with the Kernel IR
// interpreter, one dispatch after another. It is the oracle the lowering tests compare with
// the Graph IR interpreter, so it checks everything it is handed and says what is wrong.
//
// Per call it binds the dims (given values, then symbols an input's shape fixes directly,
// then declared defaults), allocates host storage for every value (allocData, as tensor.ts
// stores each dtype), copies in inputs, weights (params by name, constants from the value)
// and states (from `inputs` by name when given, else zero), and poisons temporaries and
// outputs — NaN for floats, a junk pattern for integers — so an element no kernel writes
// shows up in the results instead of passing as a lucky zero.

import { dimSymbols, evalDim, evalDimExact, printDim, printShape, type Dim } from '../ir/dim.js';
import { allocData, isBigIntData, type Tensor, type TensorData } from '../interpret/tensor.js';
import { runKernel } from './interpret.js';
import type { Dispatch, Program, ProgramValue } from './program.js';

export interface RunProgramOptions {
  /** Fill temps and outputs with junk before running (default true). */
  readonly poison?: boolean;
  /** Called after each dispatch, with every value's storage (for debugging lowering). */
  readonly afterDispatch?: (index: number, dispatch: Dispatch, values: ReadonlyMap<string, Tensor>) => void;
  /** The subgroup width kernels with subgroup_reduce run with (the interpreter's default, 32, when absent). */
  readonly subgroupSize?: number;
}

/** Runs `p` and returns its outputs keyed by output name. */
export function runProgram(
  p: Program,
  inputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Tensor>,
  dims: ReadonlyMap<string, number>,
  options: RunProgramOptions = {},
): Map<string, Tensor> {
  const values = executeProgram(p, inputs, weights, dims, options);
  const out = new Map<string, Tensor>();
  for (const id of p.outputs) {
    const v = p.values.find((x) => x.id === id)!;
    out.set(v.name, values.get(id)!);
  }
  return out;
}

/** Runs `p` and returns the final storage of every value, keyed by value id. */
export function executeProgram(
  p: Program,
  inputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Tensor>,
  dims: ReadonlyMap<string, number>,
  options: RunProgramOptions = {},
): Map<string, Tensor> {
  const env = bindProgramDims(p, inputs, dims);
  const poison = options.poison ?? true;
  const values = new Map<string, Tensor>();
  for (const v of p.values) values.set(v.id, allocateValue(p, v, env, inputs, weights, poison));

  const kernels = new Map(p.kernels.map((k) => [k.name, k]));
  p.dispatches.forEach((d, i) => {
    const where = `program '${p.name}' dispatch ${i} (${d.kernel})`;
    const k = kernels.get(d.kernel);
    if (!k) throw new Error(`${where}: no kernel '${d.kernel}'`);
    const buffers: Record<string, TensorData> = {};
    for (const b of k.buffers) {
      const id = d.buffers[b.name];
      const t = id === undefined ? undefined : values.get(id);
      if (!t) throw new Error(`${where}: buffer '${b.name}' is bound to ${id === undefined ? 'nothing' : `unknown value '${id}'`}`);
      if (t.dtype !== b.dtype) throw new Error(`${where}: buffer '${b.name}' is ${b.dtype} but value ${id} is ${t.dtype}`);
      buffers[b.name] = t.data;
    }
    const uniforms: Record<string, number> = {};
    for (const [name, dim] of Object.entries(d.uniforms)) uniforms[name] = evalUniform(dim, env, `${where}: uniform '${name}'`);
    const grid = d.grid.map((g) => evalDim(g, env));
    runKernel(k, buffers, uniforms, grid, options.subgroupSize === undefined ? {} : { subgroupSize: options.subgroupSize });
    options.afterDispatch?.(i, d, values);
  });
  return values;
}

/** Uniforms are i32: integral, possibly negative (offsets), within i32 range. */
function evalUniform(dim: Dim, env: ReadonlyMap<string, number>, what: string): number {
  const v = evalDimExact(dim, env);
  if (!Number.isInteger(v) || (v | 0) !== v) throw new Error(`${what} = ${printDim(dim)} evaluates to ${v}, not an i32`);
  return v;
}

function isBareSymbol(d: Dim): string | undefined {
  const syms = dimSymbols(d);
  if (syms.size !== 1) return undefined;
  const [name] = syms;
  return printDim(d) === name ? name : undefined;
}

/** The dims given, then those an input's shape fixes directly (`[S, 64]` binds S), then defaults. */
export function bindProgramDims(p: Program, inputs: ReadonlyMap<string, Tensor>, dims: ReadonlyMap<string, number>): Map<string, number> {
  const env = new Map(dims);
  for (const v of p.values) {
    if (v.role !== 'input') continue;
    const t = inputs.get(v.name);
    if (!t || t.shape.length !== v.shape.length) continue;
    v.shape.forEach((d, i) => {
      const name = isBareSymbol(d);
      if (name !== undefined && !env.has(name)) env.set(name, t.shape[i]!);
    });
  }
  for (const d of p.dims) if (!env.has(d.name) && d.defaultValue !== undefined) env.set(d.name, d.defaultValue);
  return env;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function allocateValue(
  p: Program, v: ProgramValue, env: ReadonlyMap<string, number>,
  inputs: ReadonlyMap<string, Tensor>, weights: ReadonlyMap<string, Tensor>, poison: boolean,
): Tensor {
  const what = `program '${p.name}' ${v.role} '${v.name}' (${v.id})`;
  let shape: number[];
  try {
    shape = v.shape.map((d) => evalDim(d, env));
  } catch (e) {
    throw new Error(`${what}: shape ${printShape(v.shape)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const data = allocData(v.dtype, size);
  const source = v.role === 'input' ? inputs.get(v.name)
    : v.role === 'weight' ? (v.constant ?? weights.get(v.name))
      : v.role === 'state' ? inputs.get(v.name)
        : undefined;
  if (source) {
    if (source.dtype !== v.dtype) throw new Error(`${what}: expected ${v.dtype}, got ${source.dtype}`);
    if (!sameShape(source.shape, shape)) throw new Error(`${what}: expected shape [${shape.join(', ')}], got [${source.shape.join(', ')}]`);
    (data as { set(a: ArrayLike<unknown>): void }).set(source.data as ArrayLike<unknown>);
  } else if (v.role === 'input' || v.role === 'weight') {
    throw new Error(`${what}: no data given`);
  } else if (poison && v.role !== 'state' && v.role !== 'status') {
    fillJunk(data);
  }
  return { dtype: v.dtype, shape, data };
}

function fillJunk(data: TensorData): void {
  if (isBigIntData(data)) data.fill(0x5a5a5a5a5a5a5a5an);
  else if (data instanceof Float32Array || data instanceof Float64Array) data.fill(NaN);
  else data.fill(0x5a5a5a5a); // wraps per width; an unwritten bool reads as true
}
