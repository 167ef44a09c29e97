// GPU lowering tests' oracle: like ../harness.ts, for a GPU target — the graph runs on the
// Graph IR interpreter and, lowered for `target`, on the Kernel IR interpreter (threads of a
// workgroup in lock-step between barriers). Every kernel must be a GPU schedule within the
// target's limits.

import { expect } from 'vitest';
import { evalDim } from '../../../../compiler/ir/dim.js';
import { DTYPES } from '../../../../compiler/ir/dtype.js';
import type { Graph } from '../../../../compiler/ir/graph.js';
import { interpret } from '../../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { checkProgram } from '../../../../compiler/kernel/check.js';
import type { Kernel, Stmt } from '../../../../compiler/kernel/ir.js';
import { CUDA_TARGET, WEBGPU_TARGET, type Program, type TargetDescription } from '../../../../compiler/kernel/program.js';
import { runProgram } from '../../../../compiler/kernel/run-program.js';
import { lowerProgram } from '../../../../compiler/lower/lower-program.js';
import { relativeL2 } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

export const GPU_TARGETS: readonly TargetDescription[] = [WEBGPU_TARGET, CUDA_TARGET];

function workgroupBytes(stmts: readonly Stmt[]): number {
  let bytes = 0;
  for (const s of stmts) {
    if (s.kind === 'array' && s.scope === 'workgroup') bytes += s.size * 4 * (s.type.includes('x') ? Number(s.type.split('x')[1]) : 1);
    if (s.kind === 'for') bytes += workgroupBytes(s.body);
    if (s.kind === 'if') bytes += workgroupBytes(s.then) + workgroupBytes(s.else);
  }
  return bytes;
}

/** Problems with `k` as a GPU kernel for `target` (empty when it is fine). */
export function gpuShapeProblems(k: Kernel, target: TargetDescription): string[] {
  const problems: string[] = [];
  const threads = k.workgroupSize[0] * k.workgroupSize[1] * k.workgroupSize[2];
  if (threads <= 1) problems.push(`${k.name}: not a GPU schedule (one thread per workgroup)`);
  if (threads > target.maxWorkgroupInvocations!) problems.push(`${k.name}: ${threads} threads exceed ${target.maxWorkgroupInvocations}`);
  const bytes = workgroupBytes(k.body);
  if (bytes > target.maxWorkgroupStorageBytes!) problems.push(`${k.name}: ${bytes} bytes of workgroup storage exceed ${target.maxWorkgroupStorageBytes}`);
  return problems;
}

export interface GpuRun {
  readonly program: Program;
  readonly actual: Map<string, Tensor>;
  readonly expected: Map<string, Tensor>;
}

/** Lowers `graph` for `target`, runs both ways on random data with `dims` bound, and compares every output. */
export function expectGpuLoweringMatches(
  graph: Graph, target: TargetDescription, dims: Record<string, number> = {}, seed = 1, given: Record<string, Tensor> = {},
): GpuRun {
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
  const program = lowerProgram(graph, target);
  expect(checkProgram(program)).toEqual([]);
  expect(program.kernels.flatMap((k) => gpuShapeProblems(k, target))).toEqual([]);
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
      if (!(err <= 1e-5)) expect.fail(`${target.name} output ${name}: relative L2 error ${err} (got ${a.slice(0, 8).join(', ')}..., expected ${e.slice(0, 8).join(', ')}...)`);
    } else {
      expect(a, `${target.name} output ${name}`).toEqual(e);
    }
  }
  return { program, actual, expected };
}
