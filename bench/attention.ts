// Scaled dot-product attention on the wasm target against onnxruntime-web's wasm backend, in
// Node, on the same ONNX files at the same thread counts (issue 7's benchmark).
//
//   npm run bench:attention -- [--sizes 128,512,2048,4096] [--threads 1,2] [--runs 7]
//                              [--warmup 2] [--no-decode] [--no-prefill] [--cpu-time] [--json]
//
// --cpu-time times each run by the process's CPU time (user + system, all its threads)
// instead of the wall clock: on a machine shared with other work, waiting for a core then
// does not count (use it with one thread: idle workers' spinning would count).
//
// Prefill cases: one ONNX graph per S, MatMul(Q, Kᵀ) → Mul(1/√d) → (Add causal mask: Trilu,
// upper, k = 1, of a -inf fill) → Softmax(-1) → MatMul(V), 8 heads, head dim 64, f32, batch 1.
// sluice's fuse-attention turns it into one `attention` op (checked: the case fails if the
// compiled graph still holds a softmax or a matmul); onnxruntime runs the decomposed graph.
//
// Decode cases: one query row over a cache of S keys. sluice runs its KV-cache decode program
// (compileKvDecodeWasm: append, split-K partial attention, combine) with a cache of exactly S
// slots, filled by S runs before timing, so every timed step attends over S keys (the ring
// replaces the oldest). onnxruntime runs the decomposed Sq = 1 graph with K and V as inputs
// of [1, 8, S, 64], so each of its timed runs also copies the cache in: that is what a
// stateless graph costs. The two outputs are compared on the step that sees the S tokens.
//
// onnxruntime-web reads its thread count once per process, so each thread count runs in a
// child process (this script with --child), as in bench/wasm-vs-ort.ts.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { compile } from '../index.js';
import { compileKvDecodeWasm } from '../compiler/driver/compile-kv-decode.js';
import { attentionOnnx as decomposedAttentionOnnx } from './attention-onnx.js';
import { topoOrder } from '../compiler/ir/graph.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import { loadModel, type InputValue } from '../runtime/wasm/index.js';
import type { Manifest } from '../runtime/manifest.js';

const HEADS = 8;
const HEAD_DIM = 64;

interface Options {
  sizes: number[];
  threads: number[];
  runs: number;
  warmup: number;
  decode: boolean;
  prefill: boolean;
  json: boolean;
  child: boolean;
  cpuTime: boolean;
}

interface Timing { readonly medianMs: number; readonly minMs: number; readonly maxMs: number; readonly runs: number }

interface CaseResult {
  readonly case: string;
  readonly s: number;
  readonly threads: number;
  readonly sluice?: Timing;
  readonly ort?: Timing;
  readonly relL2?: number;
  /** sluice's arena (temporaries) plus one scratch block per thread, from the manifest. */
  readonly sluiceIntermediateBytes?: number;
  /** What a materialised score matrix takes: Sq × Sk × heads × 4 bytes (Sq = 1 for decode). */
  readonly scoreMatrixBytes: number;
  readonly error?: string;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    sizes: (get('--sizes') ?? '128,512,2048').split(',').map(Number),
    threads: (get('--threads') ?? '1,2').split(',').map(Number),
    runs: Number(get('--runs') ?? 7),
    warmup: Number(get('--warmup') ?? 2),
    decode: !argv.includes('--no-decode'),
    prefill: !argv.includes('--no-prefill'),
    json: argv.includes('--json'),
    child: argv.includes('--child'),
    cpuTime: argv.includes('--cpu-time'),
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Set by --cpu-time: runs are timed by process CPU time instead of the wall clock. */
let cpuTime = false;

function nowMs(): number {
  if (!cpuTime) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function time(run: () => Promise<unknown>, runs: number, warmup: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = nowMs();
    await run();
    samples.push(nowMs() - start);
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples), runs };
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** Arena plus one scratch block per concurrently running call (an upper bound on temporaries). */
function intermediateBytes(m: Manifest, threads: number): number {
  const scratch = Math.max(0, ...m.kernels.map((k) => k.scratchBytes ?? 0));
  return m.stats.arenaBytes + threads * scratch;
}

/** The decomposed SDPA graph over inputs q [1,H,Sq,d], k and v [1,H,Sk,d] (bench/attention-onnx.ts). */
function attentionOnnx(sq: number, sk: number, causal: boolean): Uint8Array {
  return decomposedAttentionOnnx({ heads: HEADS, headDim: HEAD_DIM, sq, sk, causal });
}

function randomF32(shape: readonly number[], name: string, s: number): Float32Array {
  return randomTensor('f32', shape, hashSeed(0, 'attention-bench', `${name}${s}`)).data as Float32Array;
}

async function ortSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3 });
}

async function prefillCase(s: number, causal: boolean, threads: number, o: Options): Promise<CaseResult> {
  const base = { case: `attention S=${s}${causal ? ' causal' : ''}`, s, threads, scoreMatrixBytes: s * s * HEADS * 4 };
  const bytes = attentionOnnx(s, s, causal);
  const dir = join(tmpdir(), `sluice-attention-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `sdpa-${s}${causal ? '-causal' : ''}.onnx`);
  writeFileSync(path, bytes);
  const compiled = compile(path, { target: 'wasm' });
  const ops = topoOrder(compiled.graph).map((n) => n.op as string);
  const fused = ops.filter((op) => op === 'attention');
  if (fused.length !== 1 || ops.some((op) => op === 'softmax' || op === 'matmul')) {
    return { ...base, error: `not fused into one attention op: ${ops.join(', ')}` };
  }
  // A causal mask that fuse-attention did not prove causal stays an operand of the fused op:
  // still one kernel, but every tile is computed and the mask is read. Said in the case's name.
  const attn = topoOrder(compiled.graph).find((n) => n.op === 'attention')!;
  if (causal && !(attn.attrs as { causal?: boolean }).causal) base.case += ' (mask operand, not proven causal)';
  const wasm = compiled.wasm!;
  const shape = [1, HEADS, s, HEAD_DIM];
  const data = { q: randomF32(shape, 'q', s), k: randomF32(shape, 'k', s), v: randomF32(shape, 'v', s) };
  const inputs: Record<string, InputValue> = Object.fromEntries(Object.entries(data).map(([k, d]) => [k, { data: d, shape }]));
  const feeds = Object.fromEntries(Object.entries(data).map(([k, d]) => [k, new ort.Tensor('float32', d, shape)]));
  const model = await loadModel({ manifest: wasm.manifest, wasm: wasm.wasm, weights: wasm.weights, threads });
  const session = await ortSession(bytes);
  try {
    const ours = (await model.run(inputs)).y!.data as Float32Array;
    const theirs = (await session.run(feeds)).y!.data as Float32Array;
    const error = relL2(ours, theirs);
    const sluice = await time(() => model.run(inputs), o.runs, o.warmup);
    const onnxrt = await time(() => session.run(feeds), o.runs, o.warmup);
    return { ...base, sluice, ort: onnxrt, relL2: error, sluiceIntermediateBytes: intermediateBytes(wasm.manifest, threads) };
  } finally {
    model.dispose();
    await session.release();
  }
}

async function decodeCase(s: number, threads: number, o: Options): Promise<CaseResult> {
  const base = { case: `decode Sq=1, cache ${s}`, s, threads, scoreMatrixBytes: s * HEADS * 4 };
  const compiled = compileKvDecodeWasm({ heads: HEADS, kvHeads: HEADS, headDim: HEAD_DIM, policy: { sink: 0, window: s } });
  const kv = [1, HEADS, s, HEAD_DIM];
  const K = randomF32(kv, 'dk', s), V = randomF32(kv, 'dv', s), Q = randomF32([1, HEADS, 1, HEAD_DIM], 'dq', s);
  const row = (x: Float32Array, t: number) => {
    const out = new Float32Array(HEADS * HEAD_DIM);
    for (let h = 0; h < HEADS; h++) out.set(x.subarray((h * s + t) * HEAD_DIM, (h * s + t + 1) * HEAD_DIM), h * HEAD_DIM);
    return out;
  };
  const tokenShape = [HEADS, 1, HEAD_DIM];
  const step = (t: number, q: Float32Array) => ({ q: { data: q, shape: tokenShape }, k: { data: row(K, t), shape: tokenShape }, v: { data: row(V, t), shape: tokenShape } });
  const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads });
  const bytes = attentionOnnx(1, s, false);
  const session = await ortSession(bytes);
  try {
    // Fill the first S - 1 slots, then the S-th token's step is compared with onnxruntime.
    for (let t = 0; t < s - 1; t++) await model.run(step(t, Q));
    const ours = Float32Array.from((await model.run(step(s - 1, Q))).y!.data as Float32Array);
    const feeds = { q: new ort.Tensor('float32', Q, [1, HEADS, 1, HEAD_DIM]), k: new ort.Tensor('float32', K, kv), v: new ort.Tensor('float32', V, kv) };
    const theirs = (await session.run(feeds)).y!.data as Float32Array;
    const error = relL2(ours, theirs);
    // Timed steps append the same row again (the ring drops the oldest): still S keys each.
    const timedStep = step(s - 1, Q);
    const sluice = await time(() => model.run(timedStep), o.runs, o.warmup);
    const onnxrt = await time(() => session.run(feeds), o.runs, o.warmup);
    return { ...base, sluice, ort: onnxrt, relL2: error, sluiceIntermediateBytes: intermediateBytes(compiled.manifest, threads) };
  } finally {
    model.dispose();
    await session.release();
  }
}

async function child(o: Options): Promise<void> {
  const threads = o.threads[0]!;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  const results: CaseResult[] = [];
  const jobs: [string, () => Promise<CaseResult>][] = [];
  if (o.prefill) for (const s of o.sizes) {
    for (const causal of [false, true]) jobs.push([`attention S=${s}${causal ? ' causal' : ''}`, () => prefillCase(s, causal, threads, o)]);
  }
  if (o.decode) for (const s of o.sizes) jobs.push([`decode cache ${s}`, () => decodeCase(s, threads, o)]);
  for (const [name, job] of jobs) {
    try {
      results.push(await job());
    } catch (e) {
      results.push({ case: name, s: 0, threads, scoreMatrixBytes: 0, error: (e as Error).message.split('\n')[0]! });
    }
    process.stderr.write(`  ${name} (${threads} thread${threads > 1 ? 's' : ''}) done\n`);
  }
  process.stdout.write(JSON.stringify(results));
}

const mb = (bytes: number | undefined) => (bytes === undefined ? '-' : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

function format(r: CaseResult): string {
  const head = `| ${r.case} | ${r.threads} |`;
  if (r.error || !r.sluice || !r.ort) return `${head} ${r.error ?? 'no result'} | | | | | |`;
  const ratio = r.ort.medianMs / r.sluice.medianMs;
  return `${head} ${r.sluice.medianMs.toFixed(2)} | ${r.ort.medianMs.toFixed(2)} | ${ratio.toFixed(2)} | ${r.relL2!.toExponential(1)} | ${mb(r.sluiceIntermediateBytes)} | ${mb(r.scoreMatrixBytes)} |`;
}

async function parent(o: Options): Promise<void> {
  const results: CaseResult[] = [];
  for (const threads of o.threads) {
    const args = [
      fileURLToPath(import.meta.url), '--child', '--threads', String(threads), '--sizes', o.sizes.join(','),
      '--runs', String(o.runs), '--warmup', String(o.warmup), ...(o.decode ? [] : ['--no-decode']),
      ...(o.prefill ? [] : ['--no-prefill']), ...(o.cpuTime ? ['--cpu-time'] : []),
    ];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`the benchmark for ${threads} threads failed (exit ${r.status})`);
    results.push(...(JSON.parse(r.stdout) as CaseResult[]));
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log('| case | threads | sluice ms | ort ms | ratio | rel L2 | sluice intermediate | Sq×S×H×4 scores |');
  log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) log(format(r));
}

const options = parseArgs(process.argv.slice(2));
cpuTime = options.cpuTime;
await (options.child ? child(options) : parent(options));
