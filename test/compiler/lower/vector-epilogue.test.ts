// Matmul and conv epilogues run on f32x4 accumulators (compiler/lower/vector-epilogue.ts):
// the lowered kernels really take the vector path where they should (no per-lane extracts in
// the matmul; f32x4 stores in the conv, whose packed-panel schedule keeps a per-lane path for
// vectors that straddle output rows), fall back where they cannot (a transposed residual), and agree with the Graph IR
// interpreter through the wasm target on fresh random inputs at awkward sizes.

import { afterAll, describe, expect, it } from 'vitest';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim, evalDim, type Dim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import type { Node } from '../../../compiler/ir/node.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import type { Kernel, Stmt } from '../../../compiler/kernel/ir.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import { freshSeed } from '../../targets/wasm/harness.js';
import { randomTensor } from '../../helpers/random.js';
import { graphOf, relativeL2 } from './harness.js';

const models: Model[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

const MATMUL = `model M(N) {
  input  x: f32[N, 24]
  input  r: f32[N, 20]
  input  rt: f32[20, N]
  param  w1: f32[24, 20]
  param  w2: f32[24, 20]
  param  w3: f32[24, 20]
  param  b: f32[20]
  output gelu_bias = gelu(x @ w1 + b)
  output residual = relu(x @ w2) + r
  output transposed = x @ w3 + transpose(rt, [1, 0])
}`;

function convGraph(): Graph {
  const b = new GraphBuilder('M');
  const n: Dim = b.declareDim('N');
  const c = (v: number): Dim => constDim(v);
  const x = b.input('x', 'f32', [c(1), c(3), n, c(13)]);
  const r = b.input('r', 'f32', [c(1), c(8), n, c(13)]);
  const w = b.param('w', 'f32', [c(8), c(3), c(3), c(3)]);
  const bias = b.param('bias', 'f32', [c(8)]);
  const conv = (src: Node[]): Node => b.op('conv', src, { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, hasBias: src.length > 2 });
  b.output('relu_residual', b.op('add', [b.op('relu', [conv([x, w, bias])], {}), r], {}));
  b.output('bias_only', conv([x, w, bias]));
  b.output('sigmoid', b.op('sigmoid', [conv([x, w])], {}));
  const { graph, diagnostics } = b.finish();
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}

/** Whether a kernel stores f32x4 values (what the vector epilogue does; the per-lane one stores scalars). */
function storesVectors(kernel: Kernel): boolean {
  const visit = (stmts: readonly Stmt[]): boolean => stmts.some((s) => {
    switch (s.kind) {
      case 'store': return s.value.type === 'f32x4';
      case 'for': return visit(s.body);
      case 'if': return visit(s.then) || visit(s.else);
      default: return false;
    }
  });
  return visit(kernel.body);
}

/** Whether a kernel extracts lanes (what the per-lane epilogue does). */
function extractsLanes(kernel: Kernel): boolean {
  return JSON.stringify(kernel.body).includes('"kind":"lane"');
}

async function expectMatchesInterpreter(graph: Graph, sizes: readonly number[]): Promise<void> {
  const seed = freshSeed();
  const params = new Map<string, Tensor>();
  graph.params.forEach((p, k) => params.set(p.attrs.name, randomTensor(p.dtype, p.shape.map((d) => evalDim(d, new Map())), seed + 1000 + k)));
  const compiled = compileWasm(graph, { seed, weights: params });
  const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 1 });
  models.push(model);
  for (const n of sizes) {
    const env = new Map([['N', n]]);
    const inputs = new Map<string, Tensor>();
    graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), seed + n * 10 + k)));
    const want = interpret(graph, inputs, params, { dims: env }).outputs;
    const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
    for (const [name, expected] of want) {
      const a = Array.from(got[name]!.data as ArrayLike<number>, Number);
      expect(relativeL2(a, toNumbers(expected)), `${name} at N=${n} (seed ${seed})`).toBeLessThanOrEqual(1e-5);
    }
  }
}

describe('vector epilogues', () => {
  it('matmul epilogues vectorise unless a read is transposed', () => {
    const program = lowerProgram(graphOf(MATMUL), WASM_TARGET);
    const kernel = (name: string): Kernel => program.kernels.find((k) => k.name === name)!;
    expect(extractsLanes(kernel('matmul_add_gelu'))).toBe(false);
    expect(extractsLanes(kernel('matmul_relu_add'))).toBe(false);
    expect(extractsLanes(kernel('matmul_add')), 'the transposed residual runs lane by lane').toBe(true);
  });

  it('matmul epilogues match the interpreter through wasm', async () => {
    await expectMatchesInterpreter(graphOf(MATMUL), [1, 7, 129]);
  });

  it('conv bias and epilogues vectorise', () => {
    const convs = lowerProgram(convGraph(), WASM_TARGET).kernels.filter((k) => k.name.startsWith('conv'));
    expect(convs.length).toBeGreaterThanOrEqual(2);
    for (const k of convs) expect(storesVectors(k), k.name).toBe(true);
  });

  it('conv bias and epilogues match the interpreter through wasm', async () => {
    await expectMatchesInterpreter(convGraph(), [1, 7, 20]);
  });
});
