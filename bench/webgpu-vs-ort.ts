// sluice's WebGPU target against onnxruntime-web's WebGPU execution provider, on the same
// adapter and the same ONNX files (bench/onnx-cases.ts, at sizes a CPU-emulated GPU finishes).
//
//   npm run build && node dist/bench/webgpu-vs-ort.js [--runs 5] [--warmup 2] [--cases matmul,MLP] [--json]
//
// Both engines run in one headless Chromium page (/usr/bin/chromium through playwright-core)
// on the adapter `--use-webgpu-adapter=swiftshader` selects, or on the machine's GPU with
// `--gpu` (Chromium's default adapter). onnxruntime-web refuses to run its WebGPU EP in Node on
// Dawn (its first shader fails with "Invalid argument"), so the browser is where both can run.
// Everything is served from 127.0.0.1; Chromium's background networking is off.
//
// Each case: sluice compiles the ONNX file into a webgpu package (`compile --target webgpu`),
// onnxruntime-web loads the same file with executionProviders ['webgpu']; both get the same
// seeded inputs; after warm-up runs, each timed run is one `await run(inputs)`: inputs
// uploaded, every dispatch, outputs read back to the CPU (mapAsync resolved). The outputs of
// the two are compared (relative L2) so a fast wrong answer cannot pass unnoticed.

import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { compile } from '../index.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import { evalShapeJson } from '../runtime/dim-eval.js';
import type { WebGpuCompilation } from '../compiler/driver/compile-webgpu.js';
import { bertLayerCase, matmulCase, mlpCase, resnetBlockCase, type BenchCase } from './onnx-cases.js';

const root = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const ORT_DIST = join(root, 'node_modules/onnxruntime-web/dist');
const OFFLINE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SWIFTSHADER_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];
const GPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'];

/** The cases of bench/onnx-cases.ts, at sizes SwiftShader (a CPU) runs in seconds, not minutes. */
export function webgpuBenchCases(): BenchCase[] {
  return [
    matmulCase(256),
    matmulCase(512),
    mlpCase(32, 768, 3072),
    bertLayerCase(64, 256, 4),
    resnetBlockCase(16, 28),
    { name: 'fixture: BERT layer (H=32) S=32', model: 'test/fixtures/onnx/bert_encoder_layer.onnx', dims: { batch: 1, sequence: 32 } },
    { name: 'fixture: GPT-2 block (H=32) S=32', model: 'test/fixtures/onnx/gpt2_decoder_block.onnx', dims: { batch: 1, sequence: 32 } },
    { name: 'fixture: ResNet block 16ch 28×28', model: 'test/fixtures/onnx/resnet_basic_block.onnx', dims: { batch: 1, height: 28, width: 28 } },
  ];
}

interface Options {
  runs: number;
  warmup: number;
  cases?: string[];
  json: boolean;
  gpu: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    runs: Number(get('--runs') ?? 5),
    warmup: Number(get('--warmup') ?? 2),
    ...(get('--cases') ? { cases: get('--cases')!.split(',') } : {}),
    json: argv.includes('--json'),
    gpu: argv.includes('--gpu'),
  };
}

interface EngineResult { medianMs: number; minMs: number; maxMs: number; runs: number }
interface CaseResult {
  readonly case: string;
  readonly flops?: number;
  readonly sluice?: EngineResult;
  readonly ort?: EngineResult;
  readonly relL2?: number;
  readonly error?: string;
}

// The page: loads a sluice package by its index.js and the ONNX file into onnxruntime-web
// (WebGPU EP), checks they agree, then times each (median of `runs` after `warmup`).
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>sluice webgpu vs onnxruntime-web</title>
<link rel="icon" href="data:,">
<script type="module">
  import * as ort from '/ort/ort.webgpu.bundle.min.mjs';
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/ort/';
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  async function time(run, runs, warmup) {
    for (let i = 0; i < warmup; i++) await run();
    const samples = [];
    for (let i = 0; i < runs; i++) { const t = performance.now(); await run(); samples.push(performance.now() - t); }
    return { medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples), runs };
  }
  function relL2(a, b) {
    let num = 0, den = 0;
    for (let i = 0; i < b.length; i++) { num += (Number(a[i]) - Number(b[i])) ** 2; den += Number(b[i]) ** 2; }
    return Math.sqrt(num / Math.max(den, 1e-30));
  }
  window.adapterInfo = async () => {
    const a = navigator.gpu && await navigator.gpu.requestAdapter();
    return a ? [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' / ') : null;
  };
  window.benchCase = async ({ pkg, onnx, inputs, runs, warmup }) => {
    const { load } = await import('/' + pkg + '/index.js');
    const model = await load();
    const session = await ort.InferenceSession.create('/' + onnx, { executionProviders: ['webgpu'] });
    try {
      const given = {}, feeds = {};
      for (const [name, t] of Object.entries(inputs)) {
        const data = t.dtype === 'i64' ? BigInt64Array.from(t.data, (x) => BigInt(x)) : t.dtype === 'i32' ? Int32Array.from(t.data) : Float32Array.from(t.data);
        given[name] = { data, shape: t.shape };
        feeds[name] = new ort.Tensor(t.dtype === 'i64' ? 'int64' : t.dtype === 'i32' ? 'int32' : 'float32', data, t.shape);
      }
      const ours = await model.run(given);
      const theirs = await session.run(feeds);
      const errors = Object.keys(ours).map((name) => relL2(ours[name].data, theirs[name].data));
      const sluice = await time(() => model.run(given), runs, warmup);
      const ortResult = await time(() => session.run(feeds), runs, warmup);
      return { sluice, ort: ortResult, relL2: Math.max(...errors) };
    } finally {
      model.dispose();
      await session.release();
    }
  };
  window.pageReady = true;
</script>
`;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm',
};

/** Serves `folder` at / and onnxruntime-web's dist at /ort/, on 127.0.0.1. */
async function serve(folder: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const [base, rel] = path.startsWith('/ort/') ? [ORT_DIST, path.slice(5)] : [folder, path.slice(1)];
    const file = normalize(join(base, rel));
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/`, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** Seeded inputs as plain arrays: floats uniform in [-1, 1); integer inputs (masks) all ones. */
function caseInputs(compiled: WebGpuCompilation) {
  const manifest = compiled;
  const inputs: Record<string, { dtype: string; shape: number[]; data: number[] }> = {};
  for (const input of manifest.manifest.inputs) {
    const shape = evalShapeJson(input.shape, manifest.dims);
    const count = shape.reduce((n, d) => n * d, 1);
    const data = input.dtype === 'f32' ? Array.from(randomTensor('f32', shape, hashSeed(0, 'bench', input.name)).data as Float32Array) : new Array<number>(count).fill(1);
    inputs[input.name] = { dtype: input.dtype, shape, data };
  }
  return inputs;
}

function format(r: CaseResult): string {
  const name = r.case.padEnd(34);
  if (r.error || !r.sluice || !r.ort) return `${name} ${r.error ?? 'no result'}`;
  const ratio = r.ort.medianMs / r.sluice.medianMs;
  return `${name} ${r.sluice.medianMs.toFixed(2).padStart(10)} ${r.ort.medianMs.toFixed(2).padStart(10)} ${ratio.toFixed(2).padStart(7)}x ${(r.relL2 ?? NaN).toExponential(1).padStart(9)}`;
}

async function main(o: Options): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  const dir = join(tmpdir(), `sluice-webgpu-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), PAGE);
  const cases = webgpuBenchCases().filter((c) => !o.cases || o.cases.some((k) => c.name.toLowerCase().includes(k.toLowerCase())));
  const server = await serve(dir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...OFFLINE_ARGS, ...(o.gpu ? GPU_ARGS : SWIFTSHADER_ARGS)] });
  const results: CaseResult[] = [];
  let adapter: string | null = null;
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}index.html`);
    await page.waitForFunction(() => (globalThis as { pageReady?: boolean }).pageReady === true);
    adapter = await page.evaluate(() => (globalThis as unknown as { adapterInfo(): Promise<string | null> }).adapterInfo());
    if (adapter === null) throw new Error('Chromium has no WebGPU adapter here');
    for (const [i, c] of cases.entries()) {
      const base = { case: c.name, ...(c.flops ? { flops: c.flops } : {}) };
      const onnx = `case${i}.onnx`;
      writeFileSync(join(dir, onnx), typeof c.model === 'string' ? readFileSync(join(root, c.model)) : c.model);
      try {
        const compiled = compile(join(dir, onnx), { target: 'webgpu', dims: c.dims, out: join(dir, `pkg${i}`) }).webgpu!;
        const r = await page.evaluate(
          (arg) => (globalThis as unknown as { benchCase(a: unknown): Promise<Omit<CaseResult, 'case'>> }).benchCase(arg),
          { pkg: `pkg${i}`, onnx, inputs: caseInputs(compiled), runs: o.runs, warmup: o.warmup },
        );
        results.push({ ...base, ...r });
      } catch (e) {
        results.push({ ...base, error: (e as Error).message.split('\n')[0]! });
      }
      process.stderr.write(`  ${c.name} done\n`);
    }
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ adapter, results }, null, 2)}\n`);
    return;
  }
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(`adapter: ${adapter}; ${o.runs} runs after ${o.warmup} warm-up, medians`);
  log(`${'case'.padEnd(34)}  sluice ms     ort ms  ort/sluice  rel L2`);
  for (const r of results) log(format(r));
  const ratios = results.filter((r) => r.sluice && r.ort).map((r) => r.ort!.medianMs / r.sluice!.medianMs);
  if (ratios.length) log(`geometric mean ort/sluice: ${Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length).toFixed(2)}x over ${ratios.length} cases`);
}

await main(parseArgs(process.argv.slice(2)));
