// The node tests on the cuda target, emulated: every test's graph goes through the graph
// passes and compileCuda (lowerProgram(CUDA_TARGET) → kernels.cu, model.cu, weights), as
// `sluice compile --target cuda` does. The packages are built together — each model in its
// own namespace, a few translation units compiled in parallel by g++ against the emulation
// header (cuda-batch.ts) — into one driver, which runs every model on its test's inputs.
// Outputs are compared exactly as on the interpreter (runner.ts). A lowering refusal with a
// diagnostic is "unsupported"; a wrong number, a model the C++ compiler rejects, an error
// from the model's C API or a crash of the emulator is "failed" with its message.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCuda, type CudaCompilation } from '../../compiler/driver/compile-cuda.js';
import type { Tensor } from '../../compiler/interpret/tensor.js';
import { packedBytes } from '../../compiler/ir/dtype.js';
import { decodeLittleEndian, encodeLittleEndian } from '../../compiler/io/raw-data.js';
import { cudaEmulationHeader, CUDA_EMULATION_HEADER } from '../../compiler/package/write-cuda-package.js';
import { printModelHeader } from '../../compiler/package/cuda-host.js';
import { graphPasses, runPasses } from '../../compiler/passes/pipeline.js';
import { BATCH_API_HEADER, driverSource, modelNamespace, unitPrefix } from './cuda-batch.js';
import { checkOutputs, errorResult, importNodeTest, UNSUPPORTED_CODES, type NodeTestEntry, type NodeTestResult } from './runner.js';

/** Import refusals plus the lowering's: no kernel for an op or dtype (4001), a model too large (4101). */
const CUDA_UNSUPPORTED_CODES: ReadonlySet<number> = new Set([...UNSUPPORTED_CODES, 4001, 4101]);

export interface CudaBatchOptions {
  /** Translation units compiled in parallel (default 4: two cores stay busy while units differ in size). */
  readonly units?: number;
  /** g++ optimisation flag (default -O0: the models are tiny, so compiling dominates running). */
  readonly optimize?: string;
  /** Seconds one driver process may run before the job it is on counts as hung (default 120). */
  readonly runTimeout?: number;
  /** Build here and keep the folder (to look at the generated units); by default a temporary folder, removed after. */
  readonly keepIn?: string;
}

export interface CudaBatchTimings {
  /** Import, graph passes and compileCuda of every test (s). */
  readonly lower: number;
  /** g++ on every unit, and the link (s). */
  readonly build: number;
  /** The driver's runs and the comparisons (s). */
  readonly run: number;
}

/** Why the cuda column cannot run here, or undefined when it can (it needs g++). */
export function cudaColumnSkipReason(): string | undefined {
  const r = spawnSync('g++', ['--version'], { stdio: 'ignore' });
  if (r.status === 0) return undefined;
  // .ci/run installs g++: under CI=true its absence fails the run instead of emptying the column.
  if (process.env.CI === 'true') throw new Error('CI=true but g++ is missing: .ci/run installs it (apt-get install g++)');
  return 'g++ is not installed on this machine (the emulated CUDA build needs it)';
}

interface Prepared {
  readonly slot: number;
  readonly entry: NodeTestEntry;
  readonly base: Pick<NodeTestResult, 'name' | 'op' | 'expanded'>;
  readonly frozen: readonly string[];
  readonly compiled: CudaCompilation;
  readonly inputs: ReadonlyMap<string, Tensor>;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}

function prepare(entry: NodeTestEntry, slot: number): Prepared | NodeTestResult {
  const imported = importNodeTest(entry);
  if (!imported.ok) return imported.result;
  const { base, frozen, inputs } = imported;
  try {
    const { graph } = runPasses(imported.graph, graphPasses());
    const compiled = compileCuda(graph, { randomWeights: false });
    return { slot, entry, base, frozen, compiled, inputs };
  } catch (e) {
    return errorResult(base, frozen, e, CUDA_UNSUPPORTED_CODES);
  }
}

function isPrepared(x: Prepared | NodeTestResult): x is Prepared {
  return 'compiled' in x;
}

/** Contiguous runs of models, about equal in source size, one per unit. */
function splitUnits(texts: readonly string[], units: number): number[][] {
  const total = texts.reduce((n, t) => n + t.length, 0);
  const out: number[][] = [[]];
  let size = 0;
  texts.forEach((t, i) => {
    if (size >= (total * out.length) / units && out.length < units) out.push([]);
    out[out.length - 1]!.push(i);
    size += t.length;
  });
  return out.filter((u) => u.length > 0);
}

function gxx(args: readonly string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    const child = spawn('g++', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
    child.on('error', (e) => done({ ok: false, output: e.message }));
    child.on('close', (code) => done({ ok: code === 0, output }));
  });
}

/**
 * Compiles one unit of models to an object. A model whose code g++ rejects (its errors point
 * into its own m<N>.inc) is reported in `rejected` with the first error and the unit is
 * compiled again without it; errors that name no model reject the whole unit.
 */
export async function compileUnit(dir: string, name: string, models: readonly number[], flags: readonly string[], rejected: Map<number, string>): Promise<number[]> {
  let left = [...models];
  for (;;) {
    if (left.length === 0) return left;
    writeFileSync(join(dir, `${name}.cpp`), `${unitPrefix()}\n${left.map((m) => `#include "m${m}.inc"`).join('\n')}\n`);
    const { ok, output } = await gxx([...flags, '-c', `${name}.cpp`, '-o', `${name}.o`], dir);
    if (ok) return left;
    const blamed = new Map<number, string>();
    for (const match of output.matchAll(/^m(\d+)\.inc:\d+:\d+: error: (.*)$/gm)) {
      const m = Number(match[1]);
      if (!blamed.has(m) && left.includes(m)) blamed.set(m, match[2]!);
    }
    if (blamed.size === 0) {
      const first = output.split('\n').find((l) => l.includes('error')) ?? output.slice(0, 300);
      for (const m of left) rejected.set(m, `the emulated build failed: ${first.trim()}`);
      return [];
    }
    for (const [m, error] of blamed) rejected.set(m, `g++ rejects the generated CUDA C (emulated build): ${error}`);
    left = left.filter((m) => !blamed.has(m));
  }
}

type Outcome = { readonly ok: true; readonly shapes: number[][] } | { readonly ok: false; readonly reason: string };

/**
 * Runs the driver over `jobs` (one line per model); a job that crashes or hangs the process
 * is failed with what the emulator said, and the driver starts again after it.
 */
export function runJobs(dir: string, jobs: ReadonlyMap<number, string>, timeoutSeconds: number): Map<number, Outcome> {
  const outcomes = new Map<number, Outcome>();
  let pending = [...jobs.keys()];
  while (pending.length > 0) {
    const file = join(dir, 'jobs.txt');
    writeFileSync(file, pending.map((m) => jobs.get(m)!).join('\n') + '\n');
    const r = spawnSync(join(dir, 'driver'), [file], { encoding: 'utf8', timeout: timeoutSeconds * 1000, maxBuffer: 256 * 1024 * 1024 });
    let current: number | undefined;
    for (const line of (r.stdout ?? '').split('\n')) {
      const [word, index, ...rest] = line.split(' ');
      const m = Number(index);
      if (word === 'start') current = m;
      else if (word === 'error') {
        outcomes.set(m, { ok: false, reason: `the emulated model reports: ${rest.join(' ')}` });
        current = undefined;
      } else if (word === 'done') {
        const nums = rest.map(Number);
        const shapes: number[][] = [];
        for (let k = 1, o = 0; o < nums[0]!; o++) {
          const rank = nums[k++]!;
          shapes.push(nums.slice(k, k + rank));
          k += rank;
        }
        outcomes.set(m, { ok: true, shapes });
        current = undefined;
      }
    }
    if (r.status !== 0 || r.error) {
      const why = r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
        ? `the emulated run did not finish within ${timeoutSeconds} s`
        : `the emulated run crashed (${r.signal ?? `exit ${r.status}`}): ${(r.stderr ?? '').replace(/\s+/g, ' ').trim().slice(0, 300)}`;
      if (current === undefined) {
        for (const m of pending) if (!outcomes.has(m)) outcomes.set(m, { ok: false, reason: why });
        break;
      }
      outcomes.set(current, { ok: false, reason: why });
    }
    pending = pending.filter((m) => !outcomes.has(m));
  }
  return outcomes;
}

function readOutputs(prepared: Prepared, prefix: string, shapes: readonly number[][]): Map<string, Tensor> {
  const outputs = new Map<string, Tensor>();
  prepared.compiled.manifest.outputs.forEach((o, i) => {
    const shape = shapes[i]!;
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = readFileSync(`${prefix}${i}.bin`);
    if (bytes.length !== packedBytes(o.dtype, count)) throw new Error(`output '${o.name}': ${bytes.length} bytes for ${count} ${o.dtype} elements`);
    outputs.set(o.name, { dtype: o.dtype, shape, data: decodeLittleEndian(o.dtype, bytes, count) });
  });
  return outputs;
}

/** The job line of model `m`, writing its weights and inputs into `dir`; or why it cannot run. */
function writeJob(dir: string, m: number, p: Prepared): string {
  const weights = join(dir, `m${m}.weights`);
  writeFileSync(weights, p.compiled.weights);
  const parts = [String(m), weights, join(dir, `m${m}.out`), String(p.compiled.manifest.inputs.length)];
  p.compiled.manifest.inputs.forEach((input, k) => {
    const t = p.inputs.get(input.name);
    if (!t) throw new Error(`input '${input.name}' has no value in the test`);
    if (t.dtype !== input.dtype) throw new Error(`input '${input.name}' is ${t.dtype} in the test but ${input.dtype} in the package`);
    const file = join(dir, `m${m}.in${k}`);
    writeFileSync(file, encodeLittleEndian(t));
    parts.push(file, String(t.shape.length), ...t.shape.map(String));
  });
  return parts.join(' ');
}

/** Runs every test on the emulated cuda target; results in `entries` order, and where the time went. */
export async function runNodeTestsOnCuda(entries: readonly NodeTestEntry[], options: CudaBatchOptions = {}): Promise<{ results: NodeTestResult[]; timings: CudaBatchTimings }> {
  const t0 = performance.now();
  const results: (NodeTestResult | undefined)[] = entries.map(() => undefined);
  const models: Prepared[] = [];
  entries.forEach((entry, slot) => {
    const p = prepare(entry, slot);
    if (isPrepared(p)) models.push(p);
    else results[slot] = p;
  });
  const fail = (p: Prepared, reason: string): void => { results[p.slot] = { ...p.base, frozen: p.frozen, status: 'fail', reason }; };

  const dir = options.keepIn ?? mkdtempSync(join(tmpdir(), 'sluice-cuda-conformance-'));
  if (options.keepIn) mkdirSync(dir, { recursive: true });
  const t1 = performance.now();
  let t2 = t1;
  try {
    const texts = models.map((p, m) => {
      try {
        return modelNamespace(m, p.compiled.sources['kernels.cu']!, p.compiled.sources['model.cu']!);
      } catch (e) {
        fail(p, message(e));
        return '';
      }
    });
    texts.forEach((t, m) => { if (t) writeFileSync(join(dir, `m${m}.inc`), t); });
    writeFileSync(join(dir, CUDA_EMULATION_HEADER), cudaEmulationHeader());
    writeFileSync(join(dir, 'batch_api.h'), BATCH_API_HEADER);
    if (models.length > 0) writeFileSync(join(dir, 'model.h'), printModelHeader(models[0]!.compiled.manifest));
    const flags = [options.optimize ?? '-O0', '-std=c++17', '-fwrapv', '-w', '-I.'];
    const groups = splitUnits(texts, options.units ?? 4).map((g) => g.filter((m) => texts[m]));
    const rejected = new Map<number, string>();
    const width = Math.max(1, Math.min(groups.length, availableParallelism()));
    const built: number[] = [];
    const objects: string[] = [];
    // A pool of `width` compilers over the units, biggest first is not needed: they are equal.
    let next = 0;
    await Promise.all(Array.from({ length: width }, async () => {
      while (next < groups.length) {
        const u = next++;
        const ok = await compileUnit(dir, `unit${u}`, groups[u]!, flags, rejected);
        built.push(...ok);
        if (ok.length) objects.push(`unit${u}.o`);
      }
    }));
    for (const [m, reason] of rejected) fail(models[m]!, reason);
    writeFileSync(join(dir, 'driver.cpp'), driverSource(models.length, new Set(built)));
    const link = await gxx([...flags, 'driver.cpp', ...objects.sort(), '-o', 'driver'], dir);
    if (!link.ok) throw new Error(`linking the cuda conformance driver failed:\n${link.output.slice(0, 2000)}`);
    t2 = performance.now();

    const jobs = new Map<number, string>();
    for (const m of built.sort((a, b) => a - b)) {
      try {
        jobs.set(m, writeJob(dir, m, models[m]!));
      } catch (e) {
        fail(models[m]!, message(e));
      }
    }
    const outcomes = runJobs(dir, jobs, options.runTimeout ?? 120);
    for (const [m, outcome] of outcomes) {
      const p = models[m]!;
      if (!outcome.ok) {
        fail(p, outcome.reason);
        continue;
      }
      try {
        const problems = checkOutputs(p.entry, readOutputs(p, join(dir, `m${m}.out`), outcome.shapes));
        results[p.slot] = { ...p.base, frozen: p.frozen, status: problems.length ? 'fail' : 'pass', reason: problems.join('; ') };
      } catch (e) {
        results[p.slot] = errorResult(p.base, p.frozen, e, CUDA_UNSUPPORTED_CODES);
      }
    }
  } finally {
    if (!options.keepIn) rmSync(dir, { recursive: true, force: true });
  }
  const t3 = performance.now();
  const missing = results.findIndex((r) => r === undefined);
  if (missing >= 0) throw new Error(`cuda conformance: no result for ${entries[missing]!.name}`);
  return { results: results as NodeTestResult[], timings: { lower: (t1 - t0) / 1000, build: (t2 - t1) / 1000, run: (t3 - t2) / 1000 } };
}
