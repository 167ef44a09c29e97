// sluice's WebAssembly target against onnxruntime-web's wasm backend, in Node, on the same
// ONNX files at the same thread counts (bench/onnx-cases.ts).
//
//   npm run build && node dist/bench/wasm-vs-ort.js [--threads 1,2] [--runs 10] [--warmup 3]
//                                                   [--cases matmul,MLP] [--json] [--relaxed-simd]
//
// --relaxed-simd compiles sluice's relaxed-SIMD module too (fma → f32x4.relaxed_madd) and
// runs the children under --experimental-wasm-relaxed-simd, which Node 20 needs to validate
// it; the runtime then loads that module (the table says which one ran). onnxruntime-web
// runs its usual SIMD build either way.
//
// onnxruntime-web reads its thread count once per process, so each thread count runs in a
// child process of its own (this script with --child). Each case: both engines get the same
// seeded random inputs; after warm-up runs, every timed run is one `await run(inputs)` —
// inputs copied in, outputs read back — one engine's warm-up and runs, then the other's (with
// `--alternate`, run by run in turn: steadier under bursts of outside load, but with threads
// an engine's workers still spinning from its last run take the cores from the other's; at
// 2 threads that cost sluice 2× on a quiet machine), and the median is reported, with the median CPU time of the process per run beside it (at 1 thread the
// steadier figure on a machine shared with other jobs). The two engines' outputs
// are compared (relative L2) so a fast wrong answer cannot pass unnoticed. Float inputs are
// uniform in [-1, 1); integer inputs (the fixtures' attention masks) are all ones.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
  /** Compile and run sluice's relaxed-SIMD module (children under --experimental-wasm-relaxed-simd). */
  relaxed: boolean;
  /** Time the engines run by run in turn (A B A B …) instead of one engine's runs, then the other's. */
  alternate: boolean;
}

interface EngineResult {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Median of this process's CPU time per run (all its threads): at 1 thread, what other jobs on the machine move least. */
  readonly cpuMedianMs: number;
  readonly runs: number;
}

interface CaseResult {
  readonly case: string;
  readonly threads: number;
  readonly flops?: number;
  readonly sluice?: EngineResult;
  /** Whether sluice ran its relaxed-SIMD module. */
  readonly relaxedSimd?: boolean;
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
    relaxed: argv.includes('--relaxed-simd'),
    alternate: argv.includes('--alternate'),
    child: argv.includes('--child'),
    ...(get('--files') ? { files: get('--files')! } : {}),
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Times engines run by run in turn (A B A B …, after each one's warm-up), so a burst of load
 * from other jobs on a shared machine lands on both rather than on one engine's series.
 */
async function timeAlternating(engines: readonly (() => Promise<unknown>)[], runs: number, warmup: number, inTurn: boolean): Promise<EngineResult[]> {
  const wall = engines.map(() => [] as number[]);
  const cpu = engines.map(() => [] as number[]);
  const timeOne = async (e: number): Promise<void> => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await engines[e]!();
    wall[e]!.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu[e]!.push((used.user + used.system) / 1000);
  };
  if (inTurn) {
    for (const run of engines) for (let i = 0; i < warmup; i++) await run();
    for (let i = 0; i < runs; i++) for (let e = 0; e < engines.length; e++) await timeOne(e);
  } else {
    // One engine's warm-up and runs, then the next's: with threads, an engine's workers still
    // spinning from its last run would take the cores the other engine's run needs.
    for (let e = 0; e < engines.length; e++) {
      for (let i = 0; i < warmup; i++) await engines[e]!();
      await new Promise((r) => setTimeout(r, 200));
      for (let i = 0; i < runs; i++) await timeOne(e);
    }
  }
  return wall.map((samples, e) => ({
    medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples), cpuMedianMs: median(cpu[e]!), runs,
  }));
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
    compiled = compile(path, { target: 'wasm', dims: c.dims, relaxedSimd: o.relaxed }).wasm!;
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
  const model = await loadModel({
    manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads,
    ...(compiled.relaxedWasm ? { relaxedWasm: compiled.relaxedWasm } : {}),
  });
  const session = await ort.InferenceSession.create(readFileSync(path), { executionProviders: ['wasm'] });
  try {
    const dims = Object.fromEntries(compiled.manifest.dims.map((d) => [d.name, compiled.dims.get(d.name)!]));
    const ours = await model.run(inputs, { dims });
    const theirs = await session.run(feeds);
    const errors = Object.keys(ours).map((name) => relL2(ours[name]!.data as Float32Array, theirs[name]!.data as Float32Array));
    // (NaN, printed as such, when either engine produced NaN where the other did not.)
    const [sluice, onnx] = await timeAlternating([() => model.run(inputs, { dims }), () => session.run(feeds)], o.runs, o.warmup, o.alternate) as [EngineResult, EngineResult];
    return { ...base, sluice, relaxedSimd: model.relaxedSimd, ort: onnx, relL2: Math.max(...errors) };
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
  // CPU-time ratio: only meaningful at 1 thread (with more, it sums the threads' time).
  const cpuRatio = r.threads === 1 ? `${(r.ort.cpuMedianMs / r.sluice.cpuMedianMs).toFixed(2)}x` : '-';
  return `${name} ${String(r.threads).padStart(2)} ${r.sluice.medianMs.toFixed(2).padStart(10)} ${gflops(r.sluice.medianMs)} ${r.ort.medianMs.toFixed(2).padStart(10)} ${gflops(r.ort.medianMs)} ${ratio.toFixed(2).padStart(7)}x ${(r.relL2 === undefined || r.relL2 === null ? 'NaN' : r.relL2.toExponential(1)).padStart(9)} ${r.sluice.cpuMedianMs.toFixed(2).padStart(9)} ${r.ort.cpuMedianMs.toFixed(2).padStart(9)} ${cpuRatio.padStart(8)}`;
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
    const args = [...(o.relaxed ? ['--experimental-wasm-relaxed-simd'] : []), fileURLToPath(import.meta.url), '--child', '--threads', String(threads),
      '--runs', String(o.runs), '--warmup', String(o.warmup), '--files', list, ...(o.relaxed ? ['--relaxed-simd'] : []), ...(o.alternate ? ['--alternate'] : [])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`the benchmark for ${threads} threads failed (exit ${r.status})`);
    results.push(...(JSON.parse(r.stdout) as CaseResult[]));
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  const relaxedRan = results.filter((r) => r.relaxedSimd).length;
  if (o.relaxed) log(`sluice ran its relaxed-SIMD module in ${relaxedRan} of ${results.filter((r) => r.sluice).length} cases`);
  log(`${'case'.padEnd(34)} th  sluice ms  GFLOP/s     ort ms  GFLOP/s  ort/sluice  rel L2  cpu: sluice       ort    ratio`);
  for (const r of results) log(format(r));
  for (const threads of o.threads) {
    const ratios = results.filter((r) => r.threads === threads && r.sluice && r.ort).map((r) => r.ort!.medianMs / r.sluice!.medianMs);
    if (ratios.length) log(`geometric mean ort/sluice at ${threads} thread${threads > 1 ? 's' : ''}: ${Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length).toFixed(2)}x over ${ratios.length} cases`);
    const cpuRatios = results.filter((r) => threads === 1 && r.threads === 1 && r.sluice && r.ort).map((r) => r.ort!.cpuMedianMs / r.sluice!.cpuMedianMs);
    if (cpuRatios.length) log(`  (by CPU time: ${Math.exp(cpuRatios.reduce((a, x) => a + Math.log(x), 0) / cpuRatios.length).toFixed(2)}x)`);
  }
  log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

const options = parseArgs(process.argv.slice(2));
await (options.child ? child(options) : parent(options));
