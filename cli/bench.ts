// `sluice bench MODEL --target wasm`: compiles a model in memory, loads it into the runtime
// (runtime/wasm) and times repeated runs on seeded random inputs after a warm-up. Each timed
// run is what a user's `model.run(inputs)` costs: inputs copied in, every dispatch, outputs
// read back.

import { InvalidArgumentError, type Command } from 'commander';
import { compile } from '../index.js';
import { readBytes } from '../compiler/io/files.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import { readSafetensors } from '../compiler/io/safetensors.js';
import { evalShapeJson } from '../runtime/dim-eval.js';
import { loadModel, type InputValue } from '../runtime/wasm/index.js';
import type { TensorData } from '../runtime/wasm/tensor-data.js';
import { collectPair, parseChoice, parseDimValue, parseNonNegativeInt, parsePositiveInt } from './options.js';

const BENCH_TARGETS = ['wasm'] as const;
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
    const inputs: Record<string, InputValue> = {};
    for (const input of c.manifest.inputs) {
      const shape = evalShapeJson(input.shape, c.dims);
      const t = randomTensor(input.dtype, shape, hashSeed(flags.seed, 'input', input.name), { label: `input '${input.name}'` });
      inputs[input.name] = { data: t.data as TensorData, shape };
    }
    // The package's own symbols (fixed dims were substituted away), at the values compiled for.
    const symbolic = Object.fromEntries(c.manifest.dims.map((d) => [d.name, c.dims.get(d.name)!]));
    for (let i = 0; i < flags.warmup; i++) await model.run(inputs, { dims: symbolic });
    const samples: number[] = [];
    for (let i = 0; i < flags.runs; i++) {
      const start = performance.now();
      await model.run(inputs, { dims: symbolic });
      samples.push(performance.now() - start);
    }
    return {
      model: c.manifest.model,
      target: flags.target,
      threads: model.threads,
      relaxedSimd: model.relaxedSimd,
      dims: Object.fromEntries(c.dims),
      runs: samples.length,
      warmup: flags.warmup,
      medianMs: median(samples),
      minMs: Math.min(...samples),
      maxMs: Math.max(...samples),
      meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
      samplesMs: samples,
    };
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
  log(`${r.model} on ${r.target} with ${dims}, ${r.threads} thread${r.threads === 1 ? '' : 's'}${r.relaxedSimd ? ', relaxed SIMD' : ''}`);
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
    .option('--threads <n>', 'threads that run kernels, the main one included (default: the cores, at most 8)', parsePositiveInt('--threads'))
    .option('--dim <name=value>', 'bind a symbolic dimension (repeatable); others take their default or 16', collectPair('NAME=VALUE', parseDimValue))
    .option('--runs <n>', 'timed runs', parsePositiveInt('--runs'), 20)
    .option('--warmup <n>', 'untimed runs first', parseNonNegativeInt('--warmup'), 3)
    .option('--weights <file>', 'parameters from a .safetensors file (default: seeded random values)')
    .option('--seed <n>', 'seed for random inputs and weights', parseNonNegativeInt('the seed'), 0)
    .option('--relaxed-simd', 'also build the relaxed-SIMD (fused multiply-add) module; used where the engine validates it')
    .option('--json', 'print one machine-readable JSON object')
    .option('--quiet', 'no notes on stderr')
    .action((model: string, flags: BenchFlags) => {
      setJson(Boolean(flags.json));
      done(benchCommand(model, flags));
    });
}
