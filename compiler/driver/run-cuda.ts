// `sluice run --target cuda`: compile the graph into a CUDA package specialised to this call's
// dims, build it and run its runner on .npy files. With an NVIDIA GPU (nvidia-smi lists one)
// and nvcc, the package builds with nvcc for the card (`ARCH=native`); without one it builds
// as C++ against the emulation header (`make emulated`, g++) and runs on the CPU, and the
// result says so in a note. Builds are cached by the hash of their sources under the system
// temp folder, so a second run of the same model at the same sizes skips the compiler.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag, DiagnosticError } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../interpret/tensor.js';
import { encodeNpy, readNpy } from '../io/npy.js';
import { cudaEmulationHeader, CUDA_EMULATION_HEADER } from '../package/write-cuda-package.js';
import { DataError } from '../../runtime/data-error.js';
import { MESSAGES } from '../diagnostics/messages.js';
import type { Program } from '../kernel/program.js';
import { compileCuda } from './compile-cuda.js';
import { dataDiagnostic } from './run-wasm.js';

export interface CudaRunResult {
  readonly outputs: Map<string, Tensor>;
  readonly kernels: number;
  /** Whether it ran on a GPU or under the emulator. */
  readonly device: 'gpu' | 'emulated';
  readonly notes: readonly string[];
}

function succeeds(command: string, args: readonly string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

/** Whether this machine has an NVIDIA GPU and nvcc to build for it. */
export function hasCudaGpu(): boolean {
  return succeeds('nvidia-smi', ['-L']) && succeeds('nvcc', ['--version']);
}

function failRun(message: string): never {
  throw new DiagnosticError([diag('badOption', undefined, message)]);
}

function exec(command: string, args: readonly string[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) failRun(`${what}: cannot start ${command} (${r.error.message})`);
  if (r.status !== 0) failRun(`${what} failed:\n${(r.stderr || r.stdout || '').trim().slice(0, 4000)}`);
}

/** Runs the package's runner; bad data it reports (exit status 3) becomes the interpreter's diagnostic. */
function runRunner(binary: string, args: readonly string[], what: string, program: Program, dims: ReadonlyMap<string, number>): void {
  const r = spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) failRun(`${what}: cannot start ${binary} (${r.error.message})`);
  if (r.status === 3) {
    const found = /^data-error: (\d+) (-?\d+) (-?\d+)$/m.exec(r.stderr);
    const site = found ? program.errors?.sites[Number(found[1])] : undefined;
    if (found && site) {
      const message = /^error: (.*)$/m.exec(r.stderr)?.[1] ?? '';
      const e = new DataError(MESSAGES[site.code].code, site.node, site.op, message, Number(found[1]), [Number(found[2]), Number(found[3])]);
      throw new DiagnosticError([dataDiagnostic(program, e, dims)]);
    }
  }
  if (r.status !== 0) failRun(`${what} failed:\n${(r.stderr || r.stdout || '').trim().slice(0, 4000)}`);
}

export function runOnCuda(
  graph: Graph,
  inputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Tensor>,
  dims: ReadonlyMap<string, number>,
): CudaRunResult {
  for (const t of [...graph.inputs.map((i) => i.dtype), ...graph.outputs.map((o) => o.node.dtype)]) {
    if (t === 'bf16') failRun('sluice run --target cuda does not pass bf16 inputs or outputs yet (numpy has no bf16); cast them to f32');
  }
  const compiled = compileCuda(graph, { dims: Object.fromEntries(dims), weights, randomWeights: false });
  const gpu = hasCudaGpu();
  const hash = createHash('sha256');
  for (const name of Object.keys(compiled.sources).sort()) hash.update(name).update('\0').update(compiled.sources[name]!).update('\0');
  hash.update(gpu ? 'gpu' : 'emulated');
  const dir = join(tmpdir(), 'sluice-cuda-builds', hash.digest('hex').slice(0, 24));
  const binary = join(dir, gpu ? 'runner' : 'runner-emu');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(compiled.sources)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, CUDA_EMULATION_HEADER), cudaEmulationHeader());
    if (gpu) exec('make', ['-s', '-C', dir, 'all', 'ARCH=native'], 'building the CUDA package with nvcc');
    else {
      if (!succeeds('g++', ['--version']) || !succeeds('make', ['--version'])) {
        failRun('there is no NVIDIA GPU here, and the emulated build needs g++ and make, which are not installed');
      }
      exec('make', ['-s', '-C', dir, 'emulated'], 'building the emulated CUDA package with g++');
    }
  }
  const io = mkdtempSync(join(tmpdir(), 'sluice-cuda-run-'));
  try {
    const weightsFile = join(io, 'weights.bin');
    writeFileSync(weightsFile, compiled.weights);
    const args = [weightsFile, io];
    for (const [name, t] of inputs) {
      const file = join(io, `input_${args.length}.npy`);
      writeFileSync(file, encodeNpy(t, file));
      args.push(`${name}=${file}`);
    }
    runRunner(binary, args, gpu ? 'running the CUDA package' : 'running the emulated CUDA package', compiled.program, dims);
    const outputs = new Map<string, Tensor>();
    for (const o of graph.outputs) {
      const file = join(io, `${o.name}.npy`);
      outputs.set(o.name, readNpy(readFileSync(file), file));
    }
    const notes = gpu ? [] : ['no NVIDIA GPU here: ran the CUDA kernels as C++ on the CPU (sluice_cuda_emu.h), checking numerics, not speed'];
    return { outputs, kernels: compiled.program.kernels.length, device: gpu ? 'gpu' : 'emulated', notes };
  } finally {
    rmSync(io, { recursive: true, force: true });
  }
}
