// Kernel IR `subgroup_reduce` and `subgroup_size`: the interpreter's semantics at subgroup
// widths 4, 8, 32 and 64 (consecutive linear thread ids, NaN-propagating max/min), the
// checker's refusals, the printers without subgroups that refuse them, and the WebGPU
// subgroup variant of the row schedules (reductions, softmax, norms) against the Graph IR
// interpreter at every width that fits the rows.

import { describe, expect, it } from 'vitest';
import { checkKernel, checkProgram } from '../../../compiler/kernel/check.js';
import { binary, f32, i32, KernelBuilder, load, lt, store, subgroupReduce, subgroupSize } from '../../../compiler/kernel/builder.js';
import { runKernel } from '../../../compiler/kernel/interpret.js';
import type { Kernel, Stmt } from '../../../compiler/kernel/ir.js';
import { CUDA_TARGET, WEBGPU_SUBGROUPS_TARGET, WEBGPU_TARGET } from '../../../compiler/kernel/program.js';
import { runProgram } from '../../../compiler/kernel/run-program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { printWasmModule } from '../../../targets/wasm/module.js';
import { printCudaModule } from '../../../targets/cuda/index.js';
import { graphOf } from '../lower/harness.js';
import { gpuShapeProblems } from '../lower/gpu/harness.js';
import { randomTensor } from '../../helpers/random.js';
import { expectSameNumbers } from '../../helpers/same-numbers.js';

type Op = 'add' | 'max' | 'min';
const WIDTHS = [4, 8, 32, 64];

/** out[t] = subgroup_reduce(op, in[t]) and width[t] = subgroup_size over `threads` threads (x). */
function subgroupKernel(op: Op, threads: number, type: 'f32' | 'i32' = 'f32', wrap?: (kb: KernelBuilder, x: ReturnType<typeof load>) => void): Kernel {
  const kb = new KernelBuilder('subgroup', ['test']);
  const input = kb.buffer('in', type, 'read');
  const out = kb.buffer('out', type, 'write');
  const width = kb.buffer('width', 'i32', 'write');
  kb.workgroupSize = [threads, 1, 1];
  kb.loop('g', i32(0), i32(1), 'grid.x', () => {
    kb.loop('tx', i32(0), i32(threads), 'thread.x', (tx) => {
      const x = kb.let('x', load(input, tx));
      if (wrap) wrap(kb, x);
      else kb.emit(store(out, tx, kb.let('r', subgroupReduce(op, x))));
      kb.emit(store(width, tx, subgroupSize()));
    });
  });
  return kb.finish();
}

function fold(op: Op, xs: readonly number[]): number {
  return xs.reduce((a, b) => {
    if (op === 'add') return Math.fround(a + b);
    if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
    return op === 'max' ? Math.max(a, b) : Math.min(a, b);
  });
}

function allStmts(stmts: readonly Stmt[]): Stmt[] {
  return stmts.flatMap((s) => [s, ...(s.kind === 'for' ? allStmts(s.body) : s.kind === 'if' ? [...allStmts(s.then), ...allStmts(s.else)] : [])]);
}

function usesSubgroups(k: Kernel): boolean {
  return allStmts(k.body).some((s) => s.kind === 'let' && s.init.kind === 'subgroup_reduce');
}

describe('subgroup_reduce in the Kernel IR interpreter', () => {
  for (const width of WIDTHS) {
    for (const op of ['add', 'max', 'min'] as const) {
      it(`${op} over 128 threads in subgroups of ${width}, NaN propagating`, () => {
        const data = Float32Array.from(randomTensor('f32', [128], width).data as Float32Array);
        data[width + 1] = NaN; // the second subgroup only
        const out = new Float32Array(128);
        const widths = new Int32Array(128);
        runKernel(subgroupKernel(op, 128), { in: data, out, width: widths }, {}, undefined, { subgroupSize: width });
        expect([...new Set(widths)]).toEqual([width]);
        for (let s = 0; s < 128 / width; s++) {
          const want = fold(op, [...data.slice(s * width, (s + 1) * width)]);
          for (let t = s * width; t < (s + 1) * width; t++) expect(Object.is(out[t], want) || out[t] === want, `thread ${t}`).toBe(true);
        }
        expect(out[width]).toBeNaN();
        expect(Number.isNaN(out[0])).toBe(false);
      });
    }
  }

  it('i32 sums wrap as i32', () => {
    const data = Int32Array.from({ length: 64 }, (_, i) => (i === 3 ? 2 ** 31 - 1 : i - 20));
    const out = new Int32Array(64);
    runKernel(subgroupKernel('add', 64, 'i32'), { in: data, out, width: new Int32Array(64) }, {}, undefined, { subgroupSize: 8 });
    expect(out[0]).toBe(data.slice(0, 8).reduce((a, b) => (a + b) | 0, 0));
    expect(out[63]).toBe(data.slice(56).reduce((a, b) => (a + b) | 0, 0));
  });

  it('refuses a workgroup that is not whole subgroups', () => {
    const run = () => runKernel(subgroupKernel('add', 24), { in: new Float32Array(24), out: new Float32Array(24), width: new Int32Array(24) }, {}, undefined, { subgroupSize: 16 });
    expect(run).toThrow(/subgroup of threads 16\.\.31 is not whole/);
  });

  it('refuses a width that is not a power of two', () => {
    const run = () => runKernel(subgroupKernel('add', 24), { in: new Float32Array(24), out: new Float32Array(24), width: new Int32Array(24) }, {}, undefined, { subgroupSize: 12 });
    expect(run).toThrow(/not a power of two/);
  });
});

describe('the checker refuses misplaced subgroup operations', () => {
  it('accepts them where every thread reaches the reduction, on a target with subgroups', () => {
    expect(checkKernel(subgroupKernel('add', 64))).toEqual([]);
    expect(checkKernel(subgroupKernel('add', 64), WEBGPU_SUBGROUPS_TARGET)).toEqual([]);
  });
  it('on targets without subgroups', () => {
    expect(checkKernel(subgroupKernel('add', 64), WEBGPU_TARGET).join()).toMatch(/subgroup_reduce on a target without subgroups.*subgroup_size on a target without subgroups/);
    expect(checkKernel(subgroupKernel('add', 64), CUDA_TARGET).join()).toMatch(/without subgroups/);
  });
  it('under control flow that differs between threads', () => {
    const k = subgroupKernel('add', 64, 'f32', (kb, x) => kb.when(lt(x, f32(0)), () => { kb.let('r', subgroupReduce('add', x)); }));
    expect(checkKernel(k).join()).toMatch(/subgroup_reduce under control flow that differs between threads/);
  });
  it('inside a larger expression', () => {
    const k = subgroupKernel('add', 64, 'f32', (kb, x) => { kb.let('r', binary('add', subgroupReduce('add', x), x)); });
    expect(checkKernel(k).join()).toMatch(/subgroup_reduce stands only as the whole initializer of a let/);
  });
  it('of an f64 value', () => {
    const k = subgroupKernel('add', 64, 'f32', (kb, x) => { kb.let('r', subgroupReduce('add', { kind: 'cast', type: 'f64', a: x })); });
    expect(checkKernel(k).join()).toMatch(/only f32 and i32/);
  });
  it('a barrier after a loop bounded by subgroup_size is fine (the width is the same in every thread)', () => {
    const k = subgroupKernel('add', 64, 'f32', (kb) => {
      kb.loop('s', i32(0), binary('div', i32(64), subgroupSize()), 'serial', () => kb.emit({ kind: 'barrier' }));
    });
    expect(checkKernel(k)).toEqual([]);
  });
});

describe('targets without subgroups refuse them by name', () => {
  it('WASM', () => {
    const kb = new KernelBuilder('cpu_subgroup', ['test']);
    const input = kb.buffer('in', 'f32', 'read');
    const out = kb.buffer('out', 'f32', 'write');
    kb.loop('g', i32(0), i32(4), 'grid.x', (g) => kb.emit(store(out, g, kb.let('r', subgroupReduce('add', load(input, g))))));
    expect(() => printWasmModule([kb.finish()])).toThrow(/subgroup_reduce/);
  });
  it('CUDA', () => {
    expect(() => printCudaModule([subgroupKernel('add', 64)])).toThrow(/subgroup_reduce/);
  });
});

export const ROW_CASES = `model M(N) {
  input x: f32[3, N]
  input y: f32[N, 33]
  output a = sum(x, axes: [1])
  output b = max(x, axes: [1])
  output c = min(x * 2.0, axes: [1])
  output d = softmax(x)
  output e = layernorm(x)
  output f = rmsnorm(y)
  output g = argmax(x, axis: 1)
  output h = softmax(y)
  output i = mean(y, axes: [1])
}`;

/** Random inputs at `env`, with a NaN in row 1 of `x` when it has one (max/min/softmax must propagate it). */
function inputsOf(graph: Graph, env: ReadonlyMap<string, number>, seed: number): Map<string, Tensor> {
  return new Map(graph.inputs.map((input, i) => {
    const t = randomTensor('f32', input.shape.map((d) => evalDim(d, env)), seed * 10 + i);
    if (input.attrs.name === 'x' && t.shape[1]! > 0) (t.data as Float32Array)[t.shape[1]! + Math.floor(t.shape[1]! / 2)] = NaN;
    return [input.attrs.name, t];
  }));
}

describe('the WebGPU subgroup variant of the row schedules', () => {
  const graph = graphOf(ROW_CASES);
  it('uses subgroup_reduce only with WEBGPU_SUBGROUPS_TARGET, and only in rows of at least 4 threads', () => {
    const program = lowerProgram(graph, WEBGPU_SUBGROUPS_TARGET);
    expect(checkProgram(program)).toEqual([]);
    for (const k of program.kernels) expect(checkKernel(k, WEBGPU_SUBGROUPS_TARGET), k.name).toEqual([]);
    expect(program.kernels.filter(usesSubgroups).length).toBeGreaterThan(0);
    expect(program.kernels.filter(usesSubgroups).every((k) => k.workgroupSize[0] >= 4)).toBe(true);
    expect(lowerProgram(graph, WEBGPU_TARGET).kernels.filter(usesSubgroups)).toEqual([]);
    expect(lowerProgram(graph, CUDA_TARGET).kernels.filter(usesSubgroups)).toEqual([]);
  });
  for (const n of [1, 7, 129, 1000]) {
    it(`matches the Graph IR interpreter with rows of ${n} at every subgroup width that fits`, () => {
      const env = new Map([['N', n]]);
      const program = lowerProgram(graph, WEBGPU_SUBGROUPS_TARGET);
      expect(program.kernels.flatMap((k) => gpuShapeProblems(k, WEBGPU_SUBGROUPS_TARGET))).toEqual([]);
      const inputs = inputsOf(graph, env, n);
      const expected = interpret(graph, inputs, new Map(), { dims: env }).outputs;
      // The runtime runs a kernel's subgroup variant only where the width is at most its row's threads.
      const narrowest = Math.min(...program.kernels.filter(usesSubgroups).map((k) => k.workgroupSize[0]));
      for (const width of WIDTHS.filter((w) => w <= narrowest)) {
        const actual = runProgram(program, inputs, new Map(), env, { subgroupSize: width });
        for (const [name, want] of expected) expectSameNumbers(toNumbers(actual.get(name)!), toNumbers(want), 1e-4, `${name} at N = ${n}, width ${width}`);
      }
    });
  }
});
