// Tensor-core matmul (compiler/lower/gpu/matmul-mma.ts): f16 and bf16 operands lowered for
// CUDA run on the Kernel IR interpreter (which implements `mma` exactly) against the Graph IR
// interpreter; the kernels really hold mma statements, and other targets keep the f32 path.

import { describe, expect, it } from 'vitest';
import { evalDim } from '../../../../compiler/ir/dim.js';
import { interpret } from '../../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { checkKernel, checkProgram } from '../../../../compiler/kernel/check.js';
import type { Kernel, Stmt } from '../../../../compiler/kernel/ir.js';
import { printKernel } from '../../../../compiler/kernel/print.js';
import { CUDA_TARGET, WEBGPU_TARGET } from '../../../../compiler/kernel/program.js';
import { runProgram } from '../../../../compiler/kernel/run-program.js';
import { lowerProgram } from '../../../../compiler/lower/lower-program.js';
import type { DType } from '../../../../compiler/ir/dtype.js';
import type { Graph } from '../../../../compiler/ir/graph.js';
import { relativeL2 } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';
import { graphOf } from '../harness.js';

function mmaCount(stmts: readonly Stmt[]): number {
  let n = 0;
  for (const s of stmts) {
    if (s.kind === 'mma') n++;
    if (s.kind === 'for') n += mmaCount(s.body);
    if (s.kind === 'if') n += mmaCount(s.then) + mmaCount(s.else);
  }
  return n;
}

/** Random values in [-1, 1) of `dtype` (the shared helper has no bf16: draw f32, then round). */
function random16(dtype: DType, shape: readonly number[], seed: number): Tensor {
  return dtype === 'bf16' ? tensor('bf16', shape, toNumbers(randomTensor('f32', shape, seed))) : randomTensor(dtype, shape, seed);
}

/** Lowers for CUDA, runs on the Kernel IR interpreter and compares with the Graph IR interpreter. */
function expectClose(graph: Graph, dims: Record<string, number>, seed: number): Kernel[] {
  const env = new Map(Object.entries(dims));
  const inputs = new Map<string, Tensor>();
  graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, random16(i.dtype, i.shape.map((d) => evalDim(d, env)), seed * 100 + k)));
  const weights = new Map<string, Tensor>();
  graph.params.forEach((p, k) => weights.set(p.attrs.name, random16(p.dtype, p.shape.map((d) => evalDim(d, env)), seed * 1000 + k)));
  const expected = interpret(graph, inputs, weights, { dims: env }).outputs;
  const program = lowerProgram(graph, CUDA_TARGET);
  expect(checkProgram(program)).toEqual([]);
  const actual = runProgram(program, inputs, weights, env);
  for (const [name, want] of expected) {
    const got = actual.get(name)!;
    expect(got.shape, name).toEqual(want.shape);
    expect(got.dtype, name).toBe(want.dtype);
    const err = relativeL2(toNumbers(got), toNumbers(want));
    expect(err, `${name} at ${JSON.stringify(dims)}`).toBeLessThanOrEqual(1e-2);
  }
  return program.kernels.filter((k) => k.name.startsWith('matmul'));
}

describe('tensor-core matmul on CUDA', () => {
  for (const dtype of ['f16', 'bf16'] as const) {
    it(`${dtype}: ragged sizes, batch, transposed operand and an epilogue`, () => {
      const g = graphOf(`model M(M, K, N) {
        input a: ${dtype}[M, K]
        input b: ${dtype}[K, N]
        input bt: ${dtype}[N, K]
        input c: ${dtype}[2, M, K]
        input bias: ${dtype}[N]
        output plain = a @ b
        output fused = relu(a @ b + bias)
        output transposed = a @ bt.T
        output batched = c @ b
      }`);
      for (const [m, k, n] of [[16, 16, 16], [33, 33, 33], [1, 7, 129], [129, 20, 5]] as const) {
        const matmuls = expectClose(g, { M: m, K: k, N: n }, m + k + n);
        expect(matmuls.length).toBeGreaterThanOrEqual(3);
        for (const kernel of matmuls) {
          expect(mmaCount(kernel.body), kernel.name).toBeGreaterThan(0);
          expect(printKernel(kernel)).toContain(`mma_16x16x16_${dtype}(`);
        }
      }
    });
  }

  it('a 129 × 129 × 129 f16 matmul', () => {
    const g = graphOf(`model M(M) {
      input a: f16[M, 129]
      input b: f16[129, 129]
      output y = a @ b
    }`);
    expectClose(g, { M: 129 }, 7);
  });

  it('keeps f32 operands, and WebGPU, on the f32 schedule', () => {
    const g = graphOf(`model M(M) {
      input a: f32[M, 16]
      input b: f32[16, 16]
      output y = a @ b
    }`);
    for (const k of lowerProgram(g, CUDA_TARGET).kernels) expect(mmaCount(k.body), k.name).toBe(0);
    const half = graphOf(`model M(M) {
      input a: f16[M, 16]
      input b: f16[16, 16]
      output y = a @ b
    }`);
    for (const k of lowerProgram(half, WEBGPU_TARGET).kernels) expect(mmaCount(k.body), k.name).toBe(0);
  });

  it('the checker holds mma to its rules', () => {
    const g = graphOf(`model M(M) {
      input a: f16[M, 16]
      input b: f16[16, 16]
      output y = a @ b
    }`);
    const [k] = lowerProgram(g, CUDA_TARGET).kernels;
    expect(checkKernel(k!)).toEqual([]);
    // The same kernel with one warp short of whole warps, and with bf16 declared on f16 tiles.
    expect(checkKernel({ ...k!, workgroupSize: [100, 1, 1] }).join('\n')).toMatch(/whole warps/);
    const retyped = JSON.parse(JSON.stringify(k!.body).replaceAll('"aType":"f16"', '"aType":"bf16"')) as Stmt[];
    expect(checkKernel({ ...k!, body: retyped }).join('\n')).toMatch(/must hold f32 in bf16 storage/);
  });
});
