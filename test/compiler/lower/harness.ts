// Lowering tests' oracle: a graph runs on the Graph IR interpreter and, lowered to a Program,
// on the Kernel IR interpreter; the outputs must agree (relative L2 ≤ 1e-5 for floats, exact
// for integers and bools). Inputs and weights are fresh seeded random data.

import { expect } from 'vitest';
import { parse } from '../../../compiler/driver/load-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { DTYPES } from '../../../compiler/ir/dtype.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { checkProgram } from '../../../compiler/kernel/check.js';
import { WASM_TARGET, type Program } from '../../../compiler/kernel/program.js';
import { runProgram } from '../../../compiler/kernel/run-program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { randomTensor } from '../../helpers/random.js';

export function graphOf(source: string): Graph {
  const { graph, diagnostics } = parse(source);
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}

import { relativeL2 } from '../../helpers/close.js';
export { relativeL2 };

export interface LoweringRun {
  readonly program: Program;
  readonly actual: Map<string, Tensor>;
  readonly expected: Map<string, Tensor>;
}

/** Lowers `graph`, runs both ways on random data with `dims` bound, and compares every output. */
export function expectLoweringMatches(graph: Graph, dims: Record<string, number> = {}, seed = 1, given: Record<string, Tensor> = {}): LoweringRun {
  const env = new Map<string, number>();
  for (const d of graph.dims) {
    const v = dims[d.name] ?? d.defaultValue;
    if (v !== undefined) env.set(d.name, v);
  }
  const inputs = new Map<string, Tensor>();
  graph.inputs.forEach((i, k) => {
    const name = i.attrs.name;
    inputs.set(name, given[name] ?? randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), seed * 100 + k));
  });
  const weights = new Map<string, Tensor>();
  graph.params.forEach((p, k) => {
    weights.set(p.attrs.name, randomTensor(p.dtype, p.shape.map((d) => evalDim(d, env)), seed * 1000 + k));
  });
  const expected = interpret(graph, inputs, weights, { dims: env }).outputs;
  const program = lowerProgram(graph, WASM_TARGET);
  expect(checkProgram(program)).toEqual([]);
  const actual = runProgram(program, inputs, weights, env);
  for (const [name, want] of expected) {
    const got = actual.get(name);
    expect(got, `output ${name}`).toBeDefined();
    expect(got!.shape, `shape of ${name}`).toEqual(want.shape);
    expect(got!.dtype).toBe(want.dtype);
    const a = toNumbers(got!);
    const e = toNumbers(want);
    if (DTYPES[want.dtype].isFloat) {
      const err = relativeL2(a, e);
      if (!(err <= 1e-5)) expect.fail(`output ${name}: relative L2 error ${err} (got ${a.slice(0, 8).join(', ')}..., expected ${e.slice(0, 8).join(', ')}...)`);
    } else {
      expect(a, `output ${name}`).toEqual(e);
    }
  }
  return { program, actual, expected };
}
