// The WebAssembly SIMD128 f32 peak of this machine in this engine: a tiny module built with
// binaryen whose loop runs N independent f32x4 multiply-add chains (acc = acc·x + y), for
// N from 4 to 16, and the best N reported. A mul+add on 4 lanes counts as 8 flops. The same
// loop with `f32x4.relaxed_madd` (one fused instruction where the CPU has FMA) runs in a
// child Node started with --experimental-wasm-relaxed-simd (Node 20 validates relaxed SIMD
// only behind that flag; browsers ship it).
//
//   npm run bench:wasm-peak -- [--runs 9] [--ms 40] [--chains 4,8,12,16] [--json]
//
// Each chain's next value depends on its last (mul then add, or one madd), so with too few
// chains the loop waits on latency and with too many the engine spills them out of the 16
// x86 vector registers: the best N is the throughput ceiling a register-tiled matmul can
// hope for. Each timed call runs about --ms milliseconds; the median of --runs calls counts.
// Beside wall-clock GFLOP/s it prints flops per second of the process's CPU time, which other
// jobs on a shared machine move less (they take whole time slices, not a share of each).

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import { wasmApi } from '../runtime/wasm/wasm-api.js';

export type PeakVariant = 'mul+add' | 'relaxed madd';

export interface PeakResult {
  readonly variant: PeakVariant;
  readonly chains: number;
  readonly gflops: number;
  readonly minGflops: number;
  readonly maxGflops: number;
  /** Median over the same calls of flops per second of this process's CPU time (less moved by other jobs on a shared machine). */
  readonly cpuGflops: number;
  readonly runs: number;
}

/** Rounds of every chain per loop iteration, so the loop's counter and branch cost little. */
const UNROLL = 8;
const FLOPS_PER_STEP = 8;

interface Options {
  runs: number;
  ms: number;
  chains: number[];
  json: boolean;
  child?: PeakVariant;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const child = get('--child');
  return {
    runs: Number(get('--runs') ?? 9),
    ms: Number(get('--ms') ?? 40),
    chains: (get('--chains') ?? '4,6,8,10,12,14,16').split(',').map(Number),
    json: argv.includes('--json'),
    ...(child === 'mul+add' || child === 'relaxed madd' ? { child } : {}),
  };
}

// binaryen.js has no wrapper for relaxed SIMD ternaries; its C API does (as in targets/wasm/expr.ts).
function relaxedMadd(m: binaryen.Module, a: number, b: number, c: number): number {
  const api = binaryen as unknown as { _BinaryenSIMDTernary(module: number, op: number, a: number, b: number, c: number): number; RelaxedMaddVecF32x4: number };
  return api._BinaryenSIMDTernary(m.ptr, api.RelaxedMaddVecF32x4, a, b, c);
}

/**
 * `run(iterations) -> f32`: `chains` f32x4 accumulators, each stepped UNROLL times per
 * iteration by acc = acc·x + y (x = 0.5, y = 1: the values settle at 2, never denormal),
 * summed at the end so no chain is dead code.
 */
export function buildPeakModule(chains: number, variant: PeakVariant): Uint8Array {
  const m = new binaryen.Module();
  try {
    m.setFeatures(binaryen.Features.SIMD128 | (variant === 'relaxed madd' ? binaryen.Features.RelaxedSIMD : 0));
    const v128 = binaryen.v128;
    // locals: 0 = iterations (param), 1..chains = accumulators, then x, y
    const acc = (j: number): number => 1 + j;
    const x = 1 + chains, y = 2 + chains;
    const splat = (v: number): number => m.f32x4.splat(m.f32.const(v));
    const body: number[] = [];
    for (let j = 0; j < chains; j++) body.push(m.local.set(acc(j), splat(1 + j / 64)));
    body.push(m.local.set(x, splat(0.5)), m.local.set(y, splat(1)));
    const steps: number[] = [];
    for (let u = 0; u < UNROLL; u++) {
      for (let j = 0; j < chains; j++) {
        const a = m.local.get(acc(j), v128), b = m.local.get(x, v128), c = m.local.get(y, v128);
        steps.push(m.local.set(acc(j), variant === 'relaxed madd' ? relaxedMadd(m, a, b, c) : m.f32x4.add(m.f32x4.mul(a, b), c)));
      }
    }
    steps.push(m.local.set(0, m.i32.sub(m.local.get(0, binaryen.i32), m.i32.const(1))));
    steps.push(m.br('steps', m.i32.gt_s(m.local.get(0, binaryen.i32), m.i32.const(0))));
    body.push(m.loop('steps', m.block(null, steps)));
    let sum = m.local.get(acc(0), v128);
    for (let j = 1; j < chains; j++) sum = m.f32x4.add(sum, m.local.get(acc(j), v128));
    body.push(m.return(m.f32x4.extract_lane(sum, 0)));
    m.addFunction('run', binaryen.createType([binaryen.i32]), binaryen.f32, Array<number>(chains + 2).fill(v128), m.block(null, body));
    m.addFunctionExport('run', 'run');
    if (!m.validate()) throw new Error(`wasm-peak: binaryen rejected the ${chains}-chain ${variant} module`);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Times one module: iterations calibrated to about `ms` per call, then the median of `runs` calls. */
async function measure(chains: number, variant: PeakVariant, o: Options): Promise<PeakResult> {
  const api = wasmApi();
  const instance = new api.Instance(await api.compile(buildPeakModule(chains, variant)), {});
  const run = instance.exports['run'] as (iterations: number) => number;
  let iterations = 1000;
  for (;;) {
    const start = performance.now();
    run(iterations);
    const took = performance.now() - start;
    if (took >= o.ms / 4) {
      iterations = Math.max(1, Math.round((iterations * o.ms) / took));
      break;
    }
    iterations *= 4;
  }
  const flops = iterations * UNROLL * chains * FLOPS_PER_STEP;
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    run(iterations);
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    rates.push(flops / seconds / 1e9);
    cpuRates.push(flops / ((used.user + used.system) / 1e6) / 1e9);
  }
  return {
    variant, chains, gflops: median(rates), minGflops: Math.min(...rates), maxGflops: Math.max(...rates), cpuGflops: median(cpuRates), runs: o.runs,
  };
}

async function measureAll(variant: PeakVariant, o: Options): Promise<PeakResult[]> {
  const results: PeakResult[] = [];
  for (const chains of o.chains) results.push(await measure(chains, variant, o));
  return results;
}

/** The relaxed variant, measured in a child Node that validates relaxed SIMD. */
function measureRelaxed(o: Options): PeakResult[] | string {
  const args = ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), '--child', 'relaxed madd',
    '--runs', String(o.runs), '--ms', String(o.ms), '--chains', o.chains.join(',')];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) return `the relaxed-SIMD child failed (exit ${r.status}): ${r.stderr.split('\n')[0]}`;
  return JSON.parse(r.stdout) as PeakResult[];
}

function best(results: readonly PeakResult[]): PeakResult {
  return results.reduce((a, b) => (b.gflops > a.gflops ? b : a));
}

async function main(o: Options): Promise<void> {
  if (o.child) {
    process.stdout.write(JSON.stringify(await measureAll(o.child, o)));
    return;
  }
  const plain = await measureAll('mul+add', o);
  const relaxed = measureRelaxed(o);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ plain, relaxed }, null, 2)}\n`);
    return;
  }
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(`WASM SIMD128 f32 peak, 1 thread, Node ${process.version} (median of ${o.runs} calls of ~${o.ms} ms)`);
  log(`${'variant'.padEnd(14)} chains  GFLOP/s  (min–max)     per CPU second`);
  const row = (r: PeakResult): void => log(`${r.variant.padEnd(14)} ${String(r.chains).padStart(6)} ${r.gflops.toFixed(1).padStart(8)}  ${`(${r.minGflops.toFixed(1)}–${r.maxGflops.toFixed(1)})`.padEnd(13)} ${r.cpuGflops.toFixed(1).padStart(8)}`);
  plain.forEach(row);
  if (typeof relaxed === 'string') log(`relaxed madd: ${relaxed}`);
  else relaxed.forEach(row);
  const p = best(plain);
  const cpuPeak = (rs: readonly PeakResult[]): number => Math.max(...rs.map((r) => r.cpuGflops));
  log(`peak mul+add: ${p.gflops.toFixed(1)} GFLOP/s (${p.chains} chains); per CPU second ${cpuPeak(plain).toFixed(1)}`);
  if (typeof relaxed !== 'string') {
    const r = best(relaxed);
    log(`peak relaxed madd: ${r.gflops.toFixed(1)} GFLOP/s (${r.chains} chains), ${(r.gflops / p.gflops).toFixed(2)}× mul+add; per CPU second ${cpuPeak(relaxed).toFixed(1)}`);
  }
  log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

await main(parseArgs(process.argv.slice(2)));
