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

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compile } from '../index.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import { evalShapeJson } from '../runtime/dim-eval.js';
import type { WebGpuCompilation } from '../compiler/driver/compile-webgpu.js';
import { openBenchPage, PAGE_TIMING_JS } from './browser-page.js';
import { bertLayerCase, matmulCase, mlpCase, resnetBlockCase, type BenchCase } from './onnx-cases.js';

const root = resolve(import.meta.dirname, '../..');

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
${PAGE_TIMING_JS}
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
  const dir = join(tmpdir(), `sluice-webgpu-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), PAGE);
  const cases = webgpuBenchCases().filter((c) => !o.cases || o.cases.some((k) => c.name.toLowerCase().includes(k.toLowerCase())));
  const results: CaseResult[] = [];
  let adapter: string | null = null;
  const bench = await openBenchPage(dir, o.gpu).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  try {
    const { page } = bench;
    adapter = bench.adapter;
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
    await bench.close();
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
