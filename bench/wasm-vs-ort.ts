// sluice's WebAssembly target against onnxruntime-web's wasm backend, in Node, on the same
// ONNX files at the same thread counts (bench/onnx-cases.ts).
//
//   npm run build && node dist/bench/wasm-vs-ort.js [--threads 1,2] [--runs 10] [--warmup 3]
//                                                   [--cases matmul,MLP] [--json]
//
// onnxruntime-web reads its thread count once per process, so each thread count runs in a
// child process of its own (this script with --child). Each case: both engines get the same
// seeded random inputs; after warm-up runs, every timed run is one `await run(inputs)` —
// inputs copied in, outputs read back — and the median is reported. The two engines' outputs
// are compared (relative L2) so a fast wrong answer cannot pass unnoticed. Float inputs are
// uniform in [-1, 1); integer inputs (the fixtures' attention masks) are all ones.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { compile } from '../index.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import { evalShapeJson } from '../runtime/dim-eval.js';
import { loadModel, type InputValue } from '../runtime/wasm/index.js';
import type { TensorData } from '../runtime/wasm/tensor-data.js';
import { benchCases, type BenchCase } from './onnx-cases.js';

const root = resolve(import.meta.dirname, '../..');

interface Options {
  threads: number[];
  runs: number;
  warmup: number;
  cases?: string[];
  json: boolean;
}

interface EngineResult {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

interface CaseResult {
  readonly case: string;
  readonly threads: number;
  readonly flops?: number;
  readonly sluice?: EngineResult;
  readonly ort?: EngineResult;
  /** sluice's outputs against onnxruntime's, relative L2 (worst output). */
  readonly relL2?: number;
  readonly error?: string;
}

function parseArgs(argv: readonly string[]): Options & { child: boolean; files?: string } {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    threads: (get('--threads') ?? '1,2').split(',').map(Number),
    runs: Number(get('--runs') ?? 10),
    warmup: Number(get('--warmup') ?? 3),
    ...(get('--cases') ? { cases: get('--cases')!.split(',') } : {}),
    json: argv.includes('--json'),
    child: argv.includes('--child'),
    ...(get('--files') ? { files: get('--files')! } : {}),
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function time(run: () => Promise<unknown>, runs: number, warmup: number): Promise<EngineResult> {
  for (let i = 0; i < warmup; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples), runs };
}

const ORT_TYPES: Record<string, ort.Tensor.Type> = { f32: 'float32', i64: 'int64', i32: 'int32', bool: 'bool', f64: 'float64' };

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (Number(a[i]) - Number(b[i])) ** 2;
    den += Number(b[i]) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** One case on both engines at the process's thread count. */
async function runCase(c: BenchCase, path: string, threads: number, o: Options): Promise<CaseResult> {
  const base = { case: c.name, threads, ...(c.flops ? { flops: c.flops } : {}) };
  let compiled;
  try {
    compiled = compile(path, { target: 'wasm', dims: c.dims }).wasm!;
  } catch (e) {
    return { ...base, error: `sluice cannot compile it: ${(e as Error).message.split('\n')[0]}` };
  }
  const inputs: Record<string, InputValue> = {};
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of compiled.manifest.inputs) {
    const shape = evalShapeJson(input.shape, compiled.dims);
    const t = randomTensor(input.dtype, shape, hashSeed(0, 'bench', input.name));
    // Integer inputs of these models are masks: all ones (random integers would mask every key).
    if (t.data instanceof BigInt64Array) t.data.fill(1n);
    else if (input.dtype !== 'f32') (t.data as Int32Array).fill(1);
    inputs[input.name] = { data: t.data as TensorData, shape };
    feeds[input.name] = new ort.Tensor(ORT_TYPES[input.dtype] ?? 'float32', t.data as Float32Array, shape);
  }
  const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads });
  const session = await ort.InferenceSession.create(readFileSync(path), { executionProviders: ['wasm'] });
  try {
    const dims = Object.fromEntries(compiled.manifest.dims.map((d) => [d.name, compiled.dims.get(d.name)!]));
    const ours = await model.run(inputs, { dims });
    const theirs = await session.run(feeds);
    const errors = Object.keys(ours).map((name) => relL2(ours[name]!.data as Float32Array, theirs[name]!.data as Float32Array));
    // (NaN, printed as such, when either engine produced NaN where the other did not.)
    const sluice = await time(() => model.run(inputs, { dims }), o.runs, o.warmup);
    const onnx = await time(() => session.run(feeds), o.runs, o.warmup);
    return { ...base, sluice, ort: onnx, relL2: Math.max(...errors) };
  } finally {
    model.dispose();
    await session.release();
  }
}

async function child(o: Options & { files?: string }): Promise<void> {
  const threads = o.threads[0]!;
  ort.env.wasm.numThreads = threads;
  const files = JSON.parse(readFileSync(o.files!, 'utf8')) as { case: BenchCase; path: string }[];
  const results: CaseResult[] = [];
  for (const f of files) {
    try {
      results.push(await runCase(f.case, f.path, threads, o));
    } catch (e) {
      results.push({ case: f.case.name, threads, error: (e as Error).message.split('\n')[0]! });
    }
    process.stderr.write(`  ${f.case.name} (${threads} thread${threads > 1 ? 's' : ''}) done\n`);
  }
  process.stdout.write(JSON.stringify(results));
}

function format(r: CaseResult): string {
  const name = r.case.padEnd(34);
  if (r.error || !r.sluice || !r.ort) return `${name} ${String(r.threads).padStart(2)}   ${r.error ?? 'no result'}`;
  const gflops = (ms: number) => (r.flops ? (r.flops / ms / 1e6).toFixed(1) : '-').padStart(7);
  const ratio = r.ort.medianMs / r.sluice.medianMs;
  return `${name} ${String(r.threads).padStart(2)} ${r.sluice.medianMs.toFixed(2).padStart(10)} ${gflops(r.sluice.medianMs)} ${r.ort.medianMs.toFixed(2).padStart(10)} ${gflops(r.ort.medianMs)} ${ratio.toFixed(2).padStart(7)}x ${(r.relL2 === undefined || r.relL2 === null ? 'NaN' : r.relL2.toExponential(1)).padStart(9)}`;
}

async function parent(o: Options): Promise<void> {
  const dir = join(tmpdir(), `sluice-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const cases = benchCases().filter((c) => !o.cases || o.cases.some((k) => c.name.toLowerCase().includes(k.toLowerCase())));
  const files = cases.map((c, i) => {
    if (typeof c.model === 'string') return { case: { ...c, model: c.model }, path: join(root, c.model) };
    const path = join(dir, `case${i}.onnx`);
    writeFileSync(path, c.model);
    return { case: { ...c, model: path }, path };
  });
  const list = join(dir, 'cases.json');
  writeFileSync(list, JSON.stringify(files));
  const results: CaseResult[] = [];
  for (const threads of o.threads) {
    const args = [fileURLToPath(import.meta.url), '--child', '--threads', String(threads), '--runs', String(o.runs), '--warmup', String(o.warmup), '--files', list];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`the benchmark for ${threads} threads failed (exit ${r.status})`);
    results.push(...(JSON.parse(r.stdout) as CaseResult[]));
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(`${'case'.padEnd(34)} th  sluice ms  GFLOP/s     ort ms  GFLOP/s  ort/sluice  rel L2`);
  for (const r of results) log(format(r));
  for (const threads of o.threads) {
    const ratios = results.filter((r) => r.threads === threads && r.sluice && r.ort).map((r) => r.ort!.medianMs / r.sluice!.medianMs);
    if (ratios.length) log(`geometric mean ort/sluice at ${threads} thread${threads > 1 ? 's' : ''}: ${Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length).toFixed(2)}x over ${ratios.length} cases`);
  }
}

const options = parseArgs(process.argv.slice(2));
await (options.child ? child(options) : parent(options));
