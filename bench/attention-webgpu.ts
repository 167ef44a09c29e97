// Scaled dot-product attention on the WebGPU target against onnxruntime-web's WebGPU execution
// provider, both in one headless Chromium page on the same adapter (issue 7's benchmark; the
// wasm half is bench/attention.ts).
//
//   npm run bench:attention-webgpu -- [--sizes 128,512,2048] [--cache 4096] [--runs 5]
//                                     [--warmup 1] [--no-prefill] [--no-decode] [--cases causal,...]
//                                     [--gpu] [--json]
//
// --cases keeps the cases whose name contains one of the words given ('S=2048 causal').
//
// SwiftShader (the default adapter, `--gpu` for the machine's) is a CPU: ~0.5 GFLOP/s, so
// S = 2048 (8.6 GFLOP unmasked) takes tens of seconds a run per engine: give it few runs.
//
// Prefill cases: the decomposed graph of bench/attention-onnx.ts (8 heads, head dim 64, f32,
// batch 1), causal (Trilu mask) and not. sluice compiles it for webgpu and must fuse it into
// one `attention` op, with `causal: true` where masked (the case fails otherwise);
// onnxruntime-web runs the decomposed graph.
//
// Decode cases: one query row over a cache of C keys. sluice compiles
// `attention(q, k, v, cache: C)` (its KV-cache program: append, split-K partial attention,
// combine) and fills the cache with C runs before timing, so every timed step attends over C
// keys (the ring replaces the oldest). onnxruntime-web runs the decomposed Sq = 1 graph with
// K and V [1, 8, C, 64] as inputs, so each of its runs also uploads the cache: what a
// stateless graph costs; it is timed a second time with K and V already in GPU buffers
// (Tensor.fromGpuBuffer), its kernels alone. The outputs are compared on the step that sees
// the C tokens.
//
// Each timed run is one `await run(inputs)`: inputs uploaded, every dispatch, output read
// back. The two engines' runs alternate (sluice, ort, sluice, ...) so that load on a shared
// machine falls on both. Intermediate memory: sluice's arena of temporaries (manifest
// stats.arenaBytes; the KV cache is state, not counted, as onnxruntime's K/V are inputs);
// onnxruntime's lower bound, the Sq × S × heads × 4 bytes of scores its graph materialises.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../index.js';
import { topoOrder } from '../compiler/ir/graph.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import type { Manifest } from '../runtime/manifest.js';
import { attentionOnnx } from './attention-onnx.js';
import { openBenchPage, PAGE_TIMING_JS } from './browser-page.js';

const HEADS = 8;
const HEAD_DIM = 64;

interface Options {
  sizes: number[];
  caches: number[];
  runs: number;
  warmup: number;
  prefill: boolean;
  decode: boolean;
  cases?: string[];
  gpu: boolean;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    sizes: (get('--sizes') ?? '128,512,2048').split(',').map(Number),
    caches: (get('--cache') ?? '4096').split(',').map(Number),
    runs: Number(get('--runs') ?? 5),
    warmup: Number(get('--warmup') ?? 1),
    prefill: !argv.includes('--no-prefill'),
    decode: !argv.includes('--no-decode'),
    ...(get('--cases') ? { cases: get('--cases')!.split(',') } : {}),
    gpu: argv.includes('--gpu'),
    json: argv.includes('--json'),
  };
}

interface Timing { readonly medianMs: number; readonly minMs: number; readonly maxMs: number; readonly runs: number }

interface CaseResult {
  readonly case: string;
  readonly sluice?: Timing;
  readonly ort?: Timing;
  readonly relL2?: number;
  /** sluice's arena of temporaries at the case's sizes (manifest stats). */
  readonly sluiceIntermediateBytes?: number;
  /** What a materialised score matrix takes: Sq × Sk × heads × 4 bytes. */
  readonly scoreMatrixBytes: number;
  /** Decode: onnxruntime with K and V already in GPU buffers (the same session, no upload per run). */
  readonly ortResident?: Timing;
  /** Decode: the ms sluice took to fill its cache (C steps, each read back). */
  readonly fillMs?: number;
  readonly error?: string;
}

// The page: each case loads a sluice package (index.js) and the ONNX file into onnxruntime-web
// (WebGPU EP), fetches the seeded inputs (raw f32 files), compares the outputs, then times
// the two engines' runs alternately.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>sluice attention on webgpu vs onnxruntime-web</title>
<link rel="icon" href="data:,">
<script type="module">
  import * as ort from '/ort/ort.webgpu.bundle.min.mjs';
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/ort/';
${PAGE_TIMING_JS}
  const loadF32 = async (file) => new Float32Array(await (await fetch('/' + file)).arrayBuffer());
  // The engines' runs alternate (one of each, in turn) after their warm-up runs; one timing each.
  async function timeAlternating(engines, runs, warmup) {
    const samples = engines.map(() => []);
    for (let i = 0; i < warmup; i++) for (const run of engines) await run();
    for (let i = 0; i < runs; i++) {
      for (const [e, run] of engines.entries()) { const t = performance.now(); await run(); samples[e].push(performance.now() - t); }
    }
    return samples.map((s) => ({ medianMs: median(s), minMs: Math.min(...s), maxMs: Math.max(...s), runs }));
  }
  // A tensor onnxruntime reads from a GPU buffer of its own device (uploaded once).
  async function residentTensor(data, dims) {
    const device = await ort.env.webgpu.device;
    const buffer = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, data);
    return { tensor: ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims }), buffer };
  }
  async function open(pkg, onnx) {
    const { load } = await import('/' + pkg + '/index.js');
    const model = await load();
    const session = await ort.InferenceSession.create('/' + onnx, { executionProviders: ['webgpu'] });
    return { model, session, close: async () => { model.dispose(); await session.release(); } };
  }
  window.prefillCase = async ({ pkg, onnx, files, shape, runs, warmup }) => {
    const { model, session, close } = await open(pkg, onnx);
    try {
      const given = {}, feeds = {};
      for (const [name, file] of Object.entries(files)) {
        const data = await loadF32(file);
        given[name] = { data, shape };
        feeds[name] = new ort.Tensor('float32', data, shape);
      }
      const ours = (await model.run(given)).y.data;
      const theirs = (await session.run(feeds)).y.data;
      const error = relL2(ours, theirs);
      const [sluice, ortTiming] = await timeAlternating([() => model.run(given), () => session.run(feeds)], runs, warmup);
      return { sluice, ort: ortTiming, relL2: error };
    } finally {
      await close();
    }
  };
  window.decodeCase = async ({ pkg, onnx, files, heads, headDim, cache, runs, warmup }) => {
    const { model, session, close } = await open(pkg, onnx);
    try {
      const [Q, K, V] = await Promise.all([loadF32(files.q), loadF32(files.k), loadF32(files.v)]);
      // Token t's key (value) row of every head, as the [heads, 1, headDim] a step appends.
      const row = (x, t) => {
        const out = new Float32Array(heads * headDim);
        for (let h = 0; h < heads; h++) out.set(x.subarray((h * cache + t) * headDim, (h * cache + t + 1) * headDim), h * headDim);
        return out;
      };
      const tokenShape = [heads, 1, headDim];
      const step = (t) => ({ q: { data: Q, shape: tokenShape }, k: { data: row(K, t), shape: tokenShape }, v: { data: row(V, t), shape: tokenShape } });
      const fillStart = performance.now();
      for (let t = 0; t < cache - 1; t++) await model.run(step(t));
      const ours = Float32Array.from((await model.run(step(cache - 1))).y.data);
      const fillMs = performance.now() - fillStart;
      const kv = [1, heads, cache, headDim];
      const feeds = { q: new ort.Tensor('float32', Q, [1, heads, 1, headDim]), k: new ort.Tensor('float32', K, kv), v: new ort.Tensor('float32', V, kv) };
      const theirs = (await session.run(feeds)).y.data;
      // onnxruntime again with K and V already in GPU buffers: its kernels without the upload.
      const [k, v] = await Promise.all([residentTensor(K, kv), residentTensor(V, kv)]);
      try {
        const resident = { q: feeds.q, k: k.tensor, v: v.tensor };
        const theirsResident = (await session.run(resident)).y.data;
        const error = Math.max(relL2(ours, theirs), relL2(theirsResident, theirs));
        // Timed steps append the last row again (the ring drops the oldest): still C keys each.
        const timed = step(cache - 1);
        const [sluice, ortTiming, ortResident] = await timeAlternating([() => model.run(timed), () => session.run(feeds), () => session.run(resident)], runs, warmup);
        return { sluice, ort: ortTiming, ortResident, relL2: error, fillMs };
      } finally {
        k.buffer.destroy();
        v.buffer.destroy();
      }
    } finally {
      await close();
    }
  };
  window.pageReady = true;
</script>
`;

/** One decode step of `heads` heads over a KV cache of `cache` tokens, in the DSL (fixed sizes: the GPU kernels need them). */
function decodeStepSource(heads: number, headDim: number, cache: number): string {
  return [
    'model AttentionDecode() {',
    `  input q: f32[${heads}, 1, ${headDim}]`,
    `  input k: f32[${heads}, 1, ${headDim}]`,
    `  input v: f32[${heads}, 1, ${headDim}]`,
    `  output y = attention(q, k, v, cache: ${cache})`,
    '}',
    '',
  ].join('\n');
}

function writeF32(dir: string, file: string, shape: readonly number[], seed: string): string {
  const t = randomTensor('f32', shape, hashSeed(0, 'attention-webgpu-bench', seed));
  const data = t.data as Float32Array;
  writeFileSync(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return file;
}

type Evaluate = (fn: 'prefillCase' | 'decodeCase', arg: object) => Promise<Omit<CaseResult, 'case' | 'scoreMatrixBytes'>>;

async function prefillCase(dir: string, evaluate: Evaluate, s: number, causal: boolean, o: Options): Promise<CaseResult> {
  const name = `attention S=${s}${causal ? ' causal' : ''}`;
  const base = { case: name, scoreMatrixBytes: s * s * HEADS * 4 };
  const id = `sdpa-${s}${causal ? '-causal' : ''}`;
  writeFileSync(join(dir, `${id}.onnx`), attentionOnnx({ heads: HEADS, headDim: HEAD_DIM, sq: s, sk: s, causal }));
  const compiled = compile(join(dir, `${id}.onnx`), { target: 'webgpu', out: join(dir, id) });
  const ops = topoOrder(compiled.graph).map((n) => n.op as string);
  const fused = topoOrder(compiled.graph).filter((n) => n.op === 'attention');
  if (fused.length !== 1 || ops.some((op) => op === 'softmax' || op === 'matmul')) {
    return { ...base, error: `not fused into one attention op: ${ops.join(', ')}` };
  }
  if ((fused[0]!.attrs as { causal?: boolean }).causal !== causal) {
    return { ...base, error: `fused attention has causal: ${String((fused[0]!.attrs as { causal?: boolean }).causal)}, wanted ${causal}` };
  }
  const shape = [1, HEADS, s, HEAD_DIM];
  const files = Object.fromEntries(['q', 'k', 'v'].map((x) => [x, writeF32(dir, `${id}-${x}.bin`, shape, `${x}${s}`)]));
  const r = await evaluate('prefillCase', { pkg: id, onnx: `${id}.onnx`, files, shape, runs: o.runs, warmup: o.warmup });
  return { ...base, ...r, sluiceIntermediateBytes: (compiled.webgpu!.manifest as Manifest).stats.arenaBytes };
}

async function decodeCase(dir: string, evaluate: Evaluate, cache: number, o: Options): Promise<CaseResult> {
  const base = { case: `decode Sq=1, cache ${cache}`, scoreMatrixBytes: cache * HEADS * 4 };
  const id = `decode-${cache}`;
  writeFileSync(join(dir, `${id}.sluice`), decodeStepSource(HEADS, HEAD_DIM, cache));
  const compiled = compile(join(dir, `${id}.sluice`), { target: 'webgpu', out: join(dir, id) });
  const ops = topoOrder(compiled.graph).map((n) => n.op as string);
  if (!ops.includes('kv_attention')) return { ...base, error: `no kv_attention in the compiled graph: ${ops.join(', ')}` };
  writeFileSync(join(dir, `${id}.onnx`), attentionOnnx({ heads: HEADS, headDim: HEAD_DIM, sq: 1, sk: cache, causal: false }));
  const kv = [1, HEADS, cache, HEAD_DIM];
  const files = { q: writeF32(dir, `${id}-q.bin`, [HEADS, HEAD_DIM], `dq${cache}`), k: writeF32(dir, `${id}-k.bin`, kv, `dk${cache}`), v: writeF32(dir, `${id}-v.bin`, kv, `dv${cache}`) };
  const r = await evaluate('decodeCase', { pkg: id, onnx: `${id}.onnx`, files, heads: HEADS, headDim: HEAD_DIM, cache, runs: o.runs, warmup: o.warmup });
  return { ...base, ...r, sluiceIntermediateBytes: (compiled.webgpu!.manifest as Manifest).stats.arenaBytes };
}

const mb = (bytes: number | undefined) => (bytes === undefined ? '-' : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

function format(r: CaseResult): string {
  if (r.error || !r.sluice || !r.ort) return `| ${r.case} | ${r.error ?? 'no result'} | | | | | | |`;
  const ratio = r.ort.medianMs / r.sluice.medianMs;
  // A fused prefill kernel streams K/V tiles through workgroup memory: no temporaries at all.
  const memory = r.sluiceIntermediateBytes ? `${(r.scoreMatrixBytes / r.sluiceIntermediateBytes).toPrecision(2)}×` : 'none needed';
  return `| ${r.case} | ${r.sluice.runs} | ${r.sluice.medianMs.toFixed(2)} | ${r.ort.medianMs.toFixed(2)} | ${ratio.toFixed(2)} | ${r.relL2!.toExponential(1)} | ${mb(r.sluiceIntermediateBytes)} | ${mb(r.scoreMatrixBytes)} | ${memory} |`;
}

async function main(o: Options): Promise<void> {
  const dir = join(tmpdir(), `sluice-attention-webgpu-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), PAGE);
  const results: CaseResult[] = [];
  let adapter = '';
  try {
    const bench = await openBenchPage(dir, o.gpu);
    adapter = bench.adapter;
    const evaluate: Evaluate = (fn, arg) => bench.page.evaluate(
      ([f, a]) => (globalThis as unknown as Record<string, (x: object) => Promise<Omit<CaseResult, 'case' | 'scoreMatrixBytes'>>>)[f]!(a),
      [fn, arg] as const,
    );
    try {
      const jobs: [string, () => Promise<CaseResult>][] = [];
      if (o.prefill) {
        for (const s of o.sizes) for (const causal of [false, true]) jobs.push([`attention S=${s}${causal ? ' causal' : ''}`, () => prefillCase(dir, evaluate, s, causal, o)]);
      }
      if (o.decode) for (const c of o.caches) jobs.push([`decode cache ${c}`, () => decodeCase(dir, evaluate, c, o)]);
      const wanted = jobs.filter(([name]) => !o.cases || o.cases.some((k) => name.toLowerCase().includes(k.toLowerCase())));
      for (const [name, job] of wanted) {
        const start = performance.now();
        try {
          results.push(await job());
        } catch (e) {
          results.push({ case: name, scoreMatrixBytes: 0, error: (e as Error).message.split('\n')[0]! });
        }
        process.stderr.write(`  ${name} done (${((performance.now() - start) / 1000).toFixed(0)} s)\n`);
      }
    } finally {
      await bench.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ adapter, results }, null, 2)}\n`);
    return;
  }
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(`adapter: ${adapter}; runs alternate sluice/ort after ${o.warmup} warm-up each, medians`);
  log('| case | runs | sluice ms | ort ms | ort/sluice | rel L2 | sluice intermediate | Sq×S×H×4 scores | less memory |');
  log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) log(format(r));
  const fills = results.filter((r) => r.fillMs !== undefined);
  for (const r of fills) log(`${r.case}: sluice filled its cache in ${(r.fillMs! / 1000).toFixed(1)} s (one run per token, each read back)`);
  for (const r of results.filter((x) => x.ortResident && x.sluice)) {
    log(`${r.case}: ort with K and V already on the GPU ${r.ortResident!.medianMs.toFixed(2)} ms (ort/sluice ${(r.ortResident!.medianMs / r.sluice!.medianMs).toFixed(2)})`);
  }
}

await main(parseArgs(process.argv.slice(2)));
