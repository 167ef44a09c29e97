// `sluice bench MODEL --target wasm|webgpu`: compiles a model in memory, loads it into the
// runtime (runtime/wasm, or runtime/webgpu on Node's Dawn device) and times repeated runs on
// seeded random inputs after a warm-up. Each timed run is what a user's `model.run(inputs)`
// costs: inputs copied in, every dispatch, outputs read back (on WebGPU: until mapAsync
// resolves, so the GPU work is finished and in host memory).

import { InvalidArgumentError, type Command } from 'commander';
import { compile } from '../index.js';
import { readBytes } from '../compiler/io/files.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import { readSafetensors } from '../compiler/io/safetensors.js';
import { evalShapeJson } from '../runtime/dim-eval.js';
import { loadModel, type InputValue } from '../runtime/wasm/index.js';
import { loadModel as loadWebGpuModel } from '../runtime/webgpu/index.js';
import { nodeWebGpuDevice, describeAdapter } from '../compiler/driver/node-webgpu.js';
import type { Manifest } from '../runtime/manifest.js';
import type { TensorData } from '../runtime/wasm/tensor-data.js';
import { collectPair, parseChoice, parseDimValue, parseNonNegativeInt, parsePositiveInt } from './options.js';

const BENCH_TARGETS = ['wasm', 'webgpu'] as const;
type BenchTarget = (typeof BENCH_TARGETS)[number];

/** Weights files larger than this are refused before reading. */
const MAX_WEIGHTS_BYTES = 8 * 1024 ** 3;

interface BenchFlags {
  target: BenchTarget;
  threads?: number;
  dim?: [string, number][];
  runs: number;
  warmup: number;
  weights?: string;
  seed: number;
  relaxedSimd?: boolean;
  /** webgpu: `--no-subgroups` sets it false (the fallback kernels only). */
  subgroups?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export interface BenchResult {
  readonly model: string;
  readonly target: BenchTarget;
  readonly threads: number;
  readonly relaxedSimd: boolean;
  readonly dims: Record<string, number>;
  readonly runs: number;
  readonly warmup: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Every timed run, in order. */
  readonly samplesMs: readonly number[];
  /** webgpu: the adapter (vendor, architecture, description as Dawn reports them). */
  readonly adapter?: string;
  /** webgpu: whether the shader-f16 variant ran. */
  readonly f16?: boolean;
  /** webgpu: whether some kernel ran its subgroup variant. */
  readonly subgroups?: boolean;
}

/** What the timing loop needs of a loaded model, whichever runtime holds it. */
interface TimedModel {
  run(inputs: Record<string, InputValue>, options: { dims: Record<string, number> }): Promise<unknown>;
  dispose(): void;
}

/** Seeded random inputs at the compiled dims. */
function benchInputs(manifest: Manifest, dims: ReadonlyMap<string, number>, seed: number): Record<string, InputValue> {
  const inputs: Record<string, InputValue> = {};
  for (const input of manifest.inputs) {
    const shape = evalShapeJson(input.shape, dims);
    const t = randomTensor(input.dtype, shape, hashSeed(seed, 'input', input.name), { label: `input '${input.name}'` });
    inputs[input.name] = { data: t.data as TensorData, shape };
  }
  return inputs;
}

/** Warm-up then timed runs; each sample is one whole `run`, outputs read back. */
async function timeRuns(model: TimedModel, manifest: Manifest, dims: ReadonlyMap<string, number>, flags: Pick<BenchFlags, 'runs' | 'warmup' | 'seed'>) {
  const inputs = benchInputs(manifest, dims, flags.seed);
  // The package's own symbols (fixed dims were substituted away), at the values compiled for.
  const symbolic = Object.fromEntries(manifest.dims.map((d) => [d.name, dims.get(d.name)!]));
  for (let i = 0; i < flags.warmup; i++) await model.run(inputs, { dims: symbolic });
  const samples: number[] = [];
  for (let i = 0; i < flags.runs; i++) {
    const start = performance.now();
    await model.run(inputs, { dims: symbolic });
    samples.push(performance.now() - start);
  }
  return {
    dims: Object.fromEntries(dims),
    runs: samples.length,
    warmup: flags.warmup,
    medianMs: median(samples),
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    samplesMs: samples,
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Compiles, loads and times a model; the numbers `sluice bench` prints. */
export async function benchModel(modelPath: string, flags: Omit<BenchFlags, 'json' | 'quiet'>, note: (s: string) => void = () => {}): Promise<BenchResult> {
  const weights = flags.weights ? readSafetensors(readBytes(flags.weights, MAX_WEIGHTS_BYTES), flags.weights) : undefined;
  const compiled = compile(modelPath, {
    target: flags.target,
    dims: Object.fromEntries(flags.dim ?? []),
    weights,
    seed: flags.seed,
    relaxedSimd: flags.relaxedSimd,
  });
  for (const w of compiled.warnings) note(w.message);
  if (compiled.webgpu) {
    const c = compiled.webgpu;
    for (const n of c.notes) note(n);
    if (flags.threads !== undefined) note('--threads applies to the wasm target; ignored');
    const device = await nodeWebGpuDevice();
    const model = await loadWebGpuModel({
      manifest: c.manifest, shaders: c.shaders, ...(c.f16Shaders ? { f16Shaders: c.f16Shaders } : {}),
      ...(c.subgroupShaders ? { subgroupShaders: c.subgroupShaders } : {}), subgroups: flags.subgroups !== false, weights: c.weights, device,
    });
    try {
      const timed = await timeRuns(model, c.manifest, c.dims, flags);
      return { model: c.manifest.model, target: 'webgpu', threads: 1, relaxedSimd: false, ...timed, adapter: describeAdapter(device), f16: model.f16, subgroups: model.subgroups };
    } finally {
      model.dispose();
    }
  }
  const c = compiled.wasm!;
  for (const n of c.notes) note(n);

  const model = await loadModel({
    manifest: c.manifest,
    wasm: c.wasm,
    weights: c.weights,
    ...(c.relaxedWasm ? { relaxedWasm: c.relaxedWasm } : {}),
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
  });
  try {
    const timed = await timeRuns(model, c.manifest, c.dims, flags);
    return { model: c.manifest.model, target: flags.target, threads: model.threads, relaxedSimd: model.relaxedSimd, ...timed };
  } finally {
    model.dispose();
  }
}

const ms = (v: number): string => `${v.toFixed(3)} ms`;

export async function benchCommand(modelPath: string, flags: BenchFlags): Promise<number> {
  const quiet = flags.quiet || flags.json;
  const r = await benchModel(modelPath, flags, (s) => { if (!quiet) process.stderr.write(`note: ${s}\n`); });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, ...r }, null, 2)}\n`);
    return 0;
  }
  const dims = Object.entries(r.dims).map(([k, v]) => `${k}=${v}`).join(', ') || 'no dims';
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(r.target === 'webgpu'
    ? `${r.model} on webgpu with ${dims}, ${r.adapter ?? 'an unnamed adapter'}${r.f16 ? ', shader-f16' : ''}${r.subgroups ? ', subgroups' : ''}`
    : `${r.model} on ${r.target} with ${dims}, ${r.threads} thread${r.threads === 1 ? '' : 's'}${r.relaxedSimd ? ', relaxed SIMD' : ''}`);
  log(`  median ${ms(r.medianMs)}   min ${ms(r.minMs)}   max ${ms(r.maxMs)}   (${r.runs} runs after ${r.warmup} warm-up)`);
  return 0;
}

/** Adds `bench` to the program; `done` receives the (asynchronous) exit code. */
export function addBenchCommand(program: Command, done: (exitCode: Promise<number>) => void, setJson: (json: boolean) => void): void {
  program
    .command('bench')
    .description('time a compiled model on random inputs: median, min and max over repeated runs after a warm-up')
    .argument('<model>', 'a .sluice or .onnx file')
    .option('--target <target>', `where to run: ${BENCH_TARGETS.join(', ')}`, parseChoice('target', BENCH_TARGETS), 'wasm' as BenchTarget)
    .option('--threads <n>', 'wasm: threads that run kernels, the main one included (default: the cores, at most 8)', parsePositiveInt('--threads'))
    .option('--dim <name=value>', 'bind a symbolic dimension (repeatable); others take their default or 16', collectPair('NAME=VALUE', parseDimValue))
    .option('--runs <n>', 'timed runs', parsePositiveInt('--runs'), 20)
    .option('--warmup <n>', 'untimed runs first', parseNonNegativeInt('--warmup'), 3)
    .option('--weights <file>', 'parameters from a .safetensors file (default: seeded random values)')
    .option('--seed <n>', 'seed for random inputs and weights', parseNonNegativeInt('the seed'), 0)
    .option('--relaxed-simd', 'also build the relaxed-SIMD (fused multiply-add) module; used where the engine validates it')
    .option('--no-subgroups', 'webgpu: run the fallback kernels even where the adapter has subgroups')
    .option('--json', 'print one machine-readable JSON object')
    .option('--quiet', 'no notes on stderr')
    .action((model: string, flags: BenchFlags) => {
      setJson(Boolean(flags.json));
      done(benchCommand(model, flags));
    });
}
