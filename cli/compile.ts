// `sluice compile MODEL --target wasm|webgpu|cuda --out DIR`: compiles a model into a package (an npm package for
// wasm and webgpu, CUDA sources with a C API and build files for cuda; compiler/package/) and reports its memory and size.

import type { Command } from 'commander';
import { compile } from '../index.js';
import { readBytes } from '../compiler/io/files.js';
import { readSafetensors } from '../compiler/io/safetensors.js';
import { diagnosticToJson, formatDiagnostic } from '../compiler/diagnostics/diagnostic.js';
import { PACKAGE_TARGETS, type PackageTarget } from '../compiler/driver/compile-model.js';
import { CUDA_ARCHS, type CudaArch } from '../compiler/driver/compile-cuda.js';
import { collectPair, parseChoice, parseDimValue, parseNonNegativeInt } from './options.js';

/** Weights files larger than this are refused before reading. */
const MAX_WEIGHTS_BYTES = 8 * 1024 ** 3;

interface CompileFlags {
  target: PackageTarget;
  out: string;
  dim?: [string, number][];
  weights?: string;
  seed: number;
  name?: string;
  relaxedSimd?: boolean;
  arch?: CudaArch;
  json?: boolean;
  quiet?: boolean;
}

const bytes = (n: number): string => `${n.toLocaleString('en-US')} bytes`;

export function compileCommand(modelPath: string, flags: CompileFlags): number {
  const weights = flags.weights ? readSafetensors(readBytes(flags.weights, MAX_WEIGHTS_BYTES), flags.weights) : undefined;
  const compiled = compile(modelPath, {
    target: flags.target,
    out: flags.out,
    dims: Object.fromEntries(flags.dim ?? []),
    weights,
    seed: flags.seed,
    packageName: flags.name,
    relaxedSimd: flags.relaxedSimd,
    arch: flags.arch,
  });
  const c = compiled.wasm ?? compiled.webgpu ?? compiled.cuda!;
  const written = compiled.package!;
  const stats = c.manifest.stats;
  const symbolic = c.manifest.dims.map((d) => d.name);
  if (flags.json) {
    const json = {
      ok: true,
      model: c.manifest.model,
      target: flags.target,
      outDir: written.outDir,
      files: written.files,
      packageBytes: written.bytes,
      arenaBytes: stats.arenaBytes,
      weightsBytes: stats.weightsBytes,
      stateBytes: stats.stateBytes,
      kernels: stats.kernels,
      dispatches: stats.dispatches,
      dims: stats.dims,
      ...(compiled.cuda ? { arch: compiled.cuda.arch } : {}),
      fixedDims: Object.fromEntries(c.fixedDims),
      symbolicDims: symbolic,
      notes: c.notes,
      ...(compiled.warnings.length ? { warnings: compiled.warnings.map(diagnosticToJson) } : {}),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  if (!flags.quiet) {
    for (const w of compiled.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
    for (const n of c.notes) process.stderr.write(`note: ${n}\n`);
  }
  const at = Object.entries(stats.dims).map(([k, v]) => `${k}=${v}`).join(', ');
  const runtimeBytes = written.files.filter((f) => f.path.startsWith('runtime/')).reduce((n, f) => n + f.bytes, 0);
  const size = (path: string) => written.files.find((f) => f.path === path)?.bytes ?? 0;
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(`${c.manifest.model} -> ${written.outDir} (${flags.target})`);
  log(`  kernels   ${stats.kernels} (${stats.dispatches} dispatches)`);
  log(`  arena     ${bytes(stats.arenaBytes)}${at ? ` at ${at}` : ''} (peak of temporaries)`);
  log(`  weights   ${bytes(stats.weightsBytes)}`);
  log(`  state     ${bytes(stats.stateBytes)}`);
  log(`  dims      ${symbolic.length ? `${symbolic.join(', ')} bound per run from the inputs` : 'all fixed'}${c.fixedDims.size ? `; fixed ${[...c.fixedDims].map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`);
  if (compiled.cuda) {
    log(`  package   ${bytes(written.bytes)} in ${written.files.length} files (kernels.cu ${bytes(size('kernels.cu'))}, weights.bin ${bytes(size('weights.bin'))}); build: make (ARCH=${compiled.cuda.arch}) or cmake; make emulated without a GPU`);
    return 0;
  }
  if (compiled.webgpu) {
    const { f16Module: f16, subgroupModule } = compiled.webgpu.manifest.files;
    const subgroupKernels = compiled.webgpu.manifest.kernels.filter((k) => k.subgroupVariant).length;
    const subgroups = subgroupModule ? `, ${subgroupKernels} subgroup variant${subgroupKernels === 1 ? '' : 's'} in ${subgroupModule}/` : '';
    log(`  package   ${bytes(written.bytes)} in ${written.files.length} files (${stats.kernels} WGSL modules in ${compiled.webgpu.manifest.files.module}/${f16 ? ` and their shader-f16 variant in ${f16}/` : ''}${subgroups}, weights.bin ${bytes(size('weights.bin'))}, runtime ${bytes(runtimeBytes)})`);
    return 0;
  }
  log(`  package   ${bytes(written.bytes)} in ${written.files.length} files (model.wasm ${bytes(size('model.wasm'))}, weights.bin ${bytes(size('weights.bin'))}, runtime ${bytes(runtimeBytes)})`);
  return 0;
}

/** Adds `compile` to the program; `done` receives the exit code and whether output is JSON. */
export function addCompileCommand(program: Command, done: (exitCode: number) => void, setJson: (json: boolean) => void): void {
  program
    .command('compile')
    .description('compile a model into a package: an npm package (wasm, webgpu) or CUDA sources with a C API and build files (cuda)')
    .argument('<model>', 'a .sluice or .onnx file')
    .option('--target <target>', `what to compile for: ${PACKAGE_TARGETS.join(', ')}`, parseChoice('target', PACKAGE_TARGETS), 'wasm' as PackageTarget)
    .requiredOption('--out <dir>', 'the package folder to write (created; an earlier package there is replaced)')
    .option('--dim <name=value>', 'fix a symbolic dimension in the package (repeatable); dims in weight shapes are always fixed', collectPair('NAME=VALUE', parseDimValue))
    .option('--weights <file>', 'parameters from a .safetensors file (default: seeded random values, said on stderr)')
    .option('--seed <n>', 'seed for random weights', parseNonNegativeInt('the seed'), 0)
    .option('--name <name>', 'npm package name (default: from the model name)')
    .option('--arch <arch>', `cuda: the GPU architecture the build files default to: ${CUDA_ARCHS.join(', ')} (default sm_80)`, parseChoice('arch', CUDA_ARCHS))
    .option('--relaxed-simd', 'also ship a relaxed-SIMD (fused multiply-add) module, used where the engine supports it')
    .option('--json', 'print one machine-readable JSON object')
    .option('--quiet', 'no notes on stderr')
    .action((model: string, flags: CompileFlags) => {
      setJson(Boolean(flags.json));
      done(compileCommand(model, flags));
    });
}
