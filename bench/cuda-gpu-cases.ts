// Prepares the cases scripts/cuda-gpu-check.py runs on a machine with an NVIDIA GPU: for each
// case a CUDA package (symbolic sizes, so one build serves the check and the benchmark),
// small seeded inputs with the interpreter's outputs for the numerics check, and the larger
// shapes to time at against PyTorch. Everything goes under OUT/ with an index, cases.json.
//
//   npm run build && node dist/bench/cuda-gpu-cases.js OUT
//
// The GPU machine needs only OUT/ (and Python with numpy, torch, nvcc, compute-sanitizer).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from '../compiler/driver/load-model.js';
import { compileCuda } from '../compiler/driver/compile-cuda.js';
import { evalDim } from '../compiler/ir/dim.js';
import { interpret } from '../compiler/interpret/interpreter.js';
import type { Tensor } from '../compiler/interpret/tensor.js';
import { encodeNpy } from '../compiler/io/npy.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import { writeCudaPackage } from '../compiler/package/write-cuda-package.js';

interface GpuCase {
  readonly name: string;
  readonly source: string;
  /** Dims of the numerics check (small: the interpreter computes the expected outputs). */
  readonly check: Readonly<Record<string, number>>;
  /** Dims to time at. */
  readonly bench: Readonly<Record<string, number>>;
  /** What scripts/cuda-gpu-check.py runs in PyTorch for the same inputs. */
  readonly torch: 'matmul' | 'mlp' | 'attention' | 'softmax' | 'layernorm';
  /** Element type of the inputs and outputs (default f32); f16 matmuls run on tensor cores. */
  readonly dtype?: 'f16';
}

export const GPU_CASES: readonly GpuCase[] = [
  { name: 'matmul', torch: 'matmul', check: { M: 67, K: 45, N: 33 }, bench: { M: 4096, K: 4096, N: 4096 },
    source: `model MatMul(M, K, N) {
  input a: f32[M, K]
  input b: f32[K, N]
  output c = a @ b
}` },
  { name: 'matmul_f16', torch: 'matmul', dtype: 'f16', check: { M: 67, K: 45, N: 33 }, bench: { M: 4096, K: 4096, N: 4096 },
    source: `model MatMulF16(M, K, N) {
  input a: f16[M, K]
  input b: f16[K, N]
  output c = a @ b
}` },
  { name: 'mlp', torch: 'mlp', check: { B: 7, D: 48, F: 80 }, bench: { B: 128, D: 768, F: 3072 },
    source: `model MLP(B, D, F) {
  input x: f32[B, D]
  input w1: f32[D, F]
  input b1: f32[F]
  input w2: f32[F, D]
  input b2: f32[D]
  output y = gelu(x @ w1 + b1) @ w2 + b2
}` },
  { name: 'attention', torch: 'attention', check: { H: 2, S: 37 }, bench: { H: 12, S: 1024 },
    source: `model Attention(H, S) {
  input q: f32[H, S, 64]
  input k: f32[H, S, 64]
  input v: f32[H, S, 64]
  output o = attention(q, k, v, causal: true)
}` },
  { name: 'softmax', torch: 'softmax', check: { R: 9, C: 300 }, bench: { R: 8192, C: 1024 },
    source: `model Softmax(R, C) {
  input x: f32[R, C]
  output y = softmax(x, axis: -1)
}` },
  { name: 'layernorm', torch: 'layernorm', check: { R: 9, C: 300 }, bench: { R: 8192, C: 768 },
    source: `model LayerNorm(R, C) {
  input x: f32[R, C]
  input s: f32[C]
  input b: f32[C]
  output y = layernorm(x, s, b)
}` },
];

function save(dir: string, name: string, t: Tensor): string {
  const file = join(dir, `${name}.npy`);
  writeFileSync(file, encodeNpy(t, file));
  return file;
}

function main(): void {
  const out = resolve(process.argv[2] ?? 'cuda-gpu-cases');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const index = [];
  for (const c of GPU_CASES) {
    const { graph, diagnostics } = parse(c.source);
    if (!graph) throw new Error(`${c.name}: ${diagnostics.map((d) => d.message).join('; ')}`);
    const compiled = compileCuda(graph, {});
    const pkg = join(out, c.name, 'package');
    writeCudaPackage(compiled, pkg);
    const checkDir = join(out, c.name, 'check');
    mkdirSync(checkDir, { recursive: true });
    const env = new Map(Object.entries(c.check));
    const inputs = new Map<string, Tensor>();
    for (const i of graph.inputs) {
      inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), hashSeed(1, 'gpu-check', c.name, i.attrs.name)));
    }
    const expected = interpret(graph, inputs, new Map(), { dims: env }).outputs;
    index.push({
      name: c.name,
      torch: c.torch,
      dtype: c.dtype ?? 'f32',
      package: `${c.name}/package`,
      check: {
        dims: c.check,
        inputs: Object.fromEntries([...inputs].map(([n, t]) => [n, `${c.name}/check/${save(checkDir, `in_${n}`, t).split('/').pop()}`])),
        expected: Object.fromEntries([...expected].map(([n, t]) => [n, `${c.name}/check/${save(checkDir, `expected_${n}`, t).split('/').pop()}`])),
      },
      bench: {
        dims: c.bench,
        inputs: Object.fromEntries(graph.inputs.map((i) => [i.attrs.name, i.shape.map((d) => evalDim(d, new Map(Object.entries(c.bench))))])),
        outputs: graph.outputs.map((o) => o.name),
      },
    });
    process.stderr.write(`prepared ${c.name}: ${compiled.program.kernels.length} kernels\n`);
  }
  writeFileSync(join(out, 'cases.json'), `${JSON.stringify(index, null, 1)}\n`);
  process.stderr.write(`wrote ${out}/cases.json\n`);
}

main();
