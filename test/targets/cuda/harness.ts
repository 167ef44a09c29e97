// Helpers for the CUDA target's tests: which toolchains this machine has, building a package
// (emulated with g++, or checked with nvcc), and running its runner on .npy files.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalDim } from '../../../compiler/ir/dim.js';
import { DTYPES } from '../../../compiler/ir/dtype.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { encodeNpy, readNpy } from '../../../compiler/io/npy.js';
import { randomTensor } from '../../helpers/random.js';
import { relativeL2 } from '../../helpers/close.js';

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

export const HAS_NVCC = has('nvcc');
export const HAS_GXX = has('g++') && has('make');
export const HAS_CMAKE = has('cmake');
// .ci/run installs g++, make and cmake: under CI=true their absence is a failure, not a skip.
// nvcc is not an apt package; its tests skip (saying so) only on a machine without it.
if (process.env.CI === 'true' && !(HAS_GXX && HAS_CMAKE)) {
  throw new Error('CI=true but g++, make or cmake is missing: .ci/run installs them (apt-get install g++ make cmake)');
}
/** Why tests needing `tool` must skip here, or undefined when it is installed: they skip only where it is absent. */
export function skipReason(tool: 'nvcc' | 'g++'): string | undefined {
  const present = tool === 'nvcc' ? HAS_NVCC : HAS_GXX;
  return present ? undefined : `${tool} is not installed on this machine`;
}

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sluice-cuda-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes the folders tempDir made (call from afterAll; keep the ones a report points to). */
export function removeTempDirs(keep: readonly string[] = []): void {
  for (const dir of made.splice(0)) if (!keep.includes(dir)) rmSync(dir, { recursive: true, force: true });
}

/** Emulated build flags: -O1 keeps the many test builds quick. */
const EMUFLAGS = 'EMUFLAGS=-O1 -std=c++17 -fwrapv -w';

/** Runs a command; a failure throws with its stderr (the compiler's or the runner's message). */
export function run(command: string, args: readonly string[], timeout = 300_000): string {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${(r.stderr || r.stdout || '').slice(0, 4000)}`);
  return `${r.stdout}${r.stderr}`;
}

export function buildEmulated(dir: string): void {
  run('make', ['-s', '-C', dir, 'emulated', EMUFLAGS]);
}

/** Runs the emulated runner on `inputs`; the outputs by name. */
export function runEmulated(dir: string, inputs: ReadonlyMap<string, Tensor>, outputs: readonly string[]): Map<string, Tensor> {
  const io = mkdtempSync(join(dir, 'io-'));
  const args: string[] = [join(dir, 'weights.bin'), io];
  for (const [name, t] of inputs) {
    const file = join(io, `in_${name}.npy`);
    writeFileSync(file, encodeNpy(t, file));
    args.push(`${name}=${file}`);
  }
  run(join(dir, 'runner-emu'), args);
  return new Map(outputs.map((o) => {
    const file = join(io, `${o}.npy`);
    return [o, readNpy(readFileSync(file), file)] as const;
  }));
}

/**
 * Runs the emulated runner once per element of `runs` on one model (`--steps`), so state such
 * as a KV cache carries from run to run; `resetAfter` K resets it after the K-th run. The
 * outputs of each run by name.
 */
export function runEmulatedSteps(
  dir: string, runs: readonly ReadonlyMap<string, Tensor>[], outputs: readonly string[], options: { readonly resetAfter?: number } = {},
): Map<string, Tensor>[] {
  const io = mkdtempSync(join(dir, 'io-'));
  const args: string[] = ['--steps', String(runs.length)];
  if (options.resetAfter !== undefined) args.push('--reset-after', String(options.resetAfter));
  args.push(join(dir, 'weights.bin'), io);
  for (const name of runs[0]!.keys()) {
    const first = runs[0]!.get(name)!;
    const all = tensor(first.dtype, [runs.length, ...first.shape]);
    const size = first.data.length;
    runs.forEach((r, s) => (all.data as Float32Array).set(r.get(name)!.data as Float32Array, s * size));
    const file = join(io, `in_${name}.npy`);
    writeFileSync(file, encodeNpy(all, file));
    args.push(`${name}=${file}`);
  }
  run(join(dir, 'runner-emu'), args);
  const stacked = outputs.map((o) => {
    const file = join(io, `${o}.npy`);
    return [o, readNpy(readFileSync(file), file)] as const;
  });
  return runs.map((_, s) => new Map(stacked.map(([o, t]) => {
    const shape = t.shape.slice(1);
    const size = shape.reduce((a, b) => a * b, 1);
    return [o, tensor(t.dtype, shape, (t.data as Float32Array).slice(s * size, (s + 1) * size))] as const;
  })));
}

/** Seeded random inputs of `graph` at `env`. */
export function randomInputs(graph: Graph, env: ReadonlyMap<string, number>, seed: number): Map<string, Tensor> {
  const inputs = new Map<string, Tensor>();
  graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), seed * 100 + k)));
  return inputs;
}

/** Problems comparing `got` with the interpreter's outputs (f32 rel L2 ≤ 1e-4, f16/bf16 1e-2, integers exact). */
export function compareWithInterpreter(
  graph: Graph, inputs: ReadonlyMap<string, Tensor>, weights: ReadonlyMap<string, Tensor>, env: ReadonlyMap<string, number>, got: ReadonlyMap<string, Tensor>,
): string[] {
  const want = interpret(graph, inputs, weights, { dims: env }).outputs;
  const problems: string[] = [];
  for (const [name, e] of want) {
    const a = got.get(name);
    if (!a) { problems.push(`${name}: missing`); continue; }
    if (a.shape.join(',') !== e.shape.join(',')) { problems.push(`${name}: shape [${a.shape}] vs [${e.shape}]`); continue; }
    const x = toNumbers(a), y = toNumbers(e);
    if (DTYPES[e.dtype].isFloat) {
      const tol = e.dtype === 'f16' || e.dtype === 'bf16' ? 1e-2 : 1e-4;
      const err = relativeL2(x, y);
      if (!(err <= tol)) problems.push(`${name}: relative L2 ${err} > ${tol}`);
    } else {
      const bad = x.findIndex((v, i) => v !== y[i]);
      if (bad >= 0) problems.push(`${name}: element ${bad} is ${x[bad]}, expected ${y[bad]}`);
    }
  }
  return problems;
}

