// The `sluice` command line. Every user mistake ends as diagnostics on stderr (or in the JSON
// object with --json) and exit code 1; only compiler bugs print a stack trace.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { compile, passNames, TARGETS, type Target } from '../index.js';
import { diag, diagnosticToJson, DiagnosticError, formatDiagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.js';
import { runModel } from '../compiler/driver/run-model.js';
import { printGraph } from '../compiler/ir/printer.js';
import type { Graph } from '../compiler/ir/graph.js';
import { lastGraphPass } from '../compiler/passes/pipeline.js';
import { groupKernels, printGroups } from '../compiler/passes/group-kernels.js';
import { readTensorFile, readBytes, writeNpyFile } from '../compiler/io/files.js';
import { readSafetensors } from '../compiler/io/safetensors.js';
import type { Tensor } from '../compiler/interpret/tensor.js';
import { describeCheck, describeOnnxModel, describeTensor } from './format.js';
import { loadOnnx } from '../compiler/import/onnx/index.js';
import { progressBar } from './progress.js';
import { addBenchCommand } from './bench.js';
import { addCompileCommand } from './compile.js';
import { collectPair, parseDimValue, parseNonNegativeInt, parsePositiveInt } from './options.js';

/** Weights files larger than this are refused before reading. */
const MAX_WEIGHTS_BYTES = 8 * 1024 ** 3;

const parseSeed = parseNonNegativeInt('the seed');

function parseTarget(v: string): Target {
  if (!(TARGETS as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown target '${v}' (available: ${TARGETS.join(', ')})`);
  return v as Target;
}

/** Output names can come from ONNX files; keep them to safe file names inside --out. */
function fileNameFor(output: string): string {
  const safe = output.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'output'}.npy`;
}

function shapeText(t: Tensor): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

interface RunFlags {
  target: Target;
  input?: [string, string][];
  dim?: [string, number][];
  weights?: string;
  out: string;
  check?: boolean;
  json?: boolean;
  seed: number;
  quiet?: boolean;
  threads?: number;
}

async function runCommand(modelPath: string, flags: RunFlags): Promise<number> {
  // Input files come first: an ONNX model may need their values when it is imported.
  const values = new Map<string, Tensor>();
  const unreadable = new Map<string, Diagnostic[]>();
  for (const [name, file] of flags.input ?? []) {
    try {
      values.set(name, readTensorFile(file));
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      unreadable.set(name, [...(unreadable.get(name) ?? []), ...e.diagnostics]);
    }
  }
  let compiled;
  try {
    compiled = compile(modelPath, { target: flags.target, inputs: Object.fromEntries(values) });
  } catch (e) {
    if (e instanceof DiagnosticError && unreadable.size) throw new DiagnosticError([...[...unreadable.values()].flat(), ...e.diagnostics]);
    throw e;
  }
  const graph = compiled.graph;
  const inputs = new Map<string, Tensor>();
  const problems: Diagnostic[] = [];
  for (const name of new Set((flags.input ?? []).map(([n]) => n))) {
    if (compiled.frozen.has(name)) continue; // a constant of the model now
    if (!graph.inputs.some((i) => i.attrs.name === name)) {
      problems.push(diag('unknownInput', undefined, name, graph.inputs.map((i) => i.attrs.name).join(', ') || 'none'));
      continue;
    }
    const failed = unreadable.get(name);
    if (failed) problems.push(...failed);
    else inputs.set(name, values.get(name)!);
  }
  if (problems.length) throw new DiagnosticError(problems);
  if (!flags.json) for (const w of compiled.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
  const weights = flags.weights ? readSafetensors(readBytes(flags.weights, MAX_WEIGHTS_BYTES), flags.weights) : undefined;

  // The interpreter reports progress per node; a wasm run is over before a bar would draw.
  const bar = progressBar('interpreting', !flags.quiet && !flags.json && flags.target === 'interp');
  let result;
  try {
    result = await runModel(graph, inputs, {
      target: flags.target,
      dims: Object.fromEntries(flags.dim ?? []),
      weights,
      randomWeights: weights === undefined,
      seed: flags.seed,
      check: flags.check,
      onProgress: bar.update,
      ...(flags.threads ? { threads: flags.threads } : {}),
    });
  } finally {
    bar.stop();
  }

  const outDir = resolve(flags.out);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new DiagnosticError([diag('cannotWrite', undefined, outDir, (e as Error).message)]);
  }
  const written = graph.outputs.map((o) => {
    const t = result.outputs.get(o.name)!;
    const file = join(outDir, fileNameFor(o.name));
    writeNpyFile(file, t);
    return { name: o.name, tensor: t, file };
  });
  const failed = (result.checks ?? []).some((c) => !c.ok);

  if (flags.json) {
    const json = {
      ok: !failed,
      model: graph.name,
      target: flags.target,
      dims: Object.fromEntries(result.dims),
      outputs: written.map((w) => ({ name: w.name, dtype: w.tensor.dtype, shape: w.tensor.shape, file: w.file })),
      notes: result.notes,
      ...(compiled.warnings.length ? { warnings: compiled.warnings.map(diagnosticToJson) } : {}),
      ...(result.checks ? { check: result.checks.map((c) => ({ ...c, maxAbsError: jsonNumber(c.maxAbsError), relL2Error: jsonNumber(c.relL2Error) })) } : {}),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    const log = (s: string): void => void process.stdout.write(`${s}\n`);
    if (!flags.quiet) for (const n of result.notes) process.stderr.write(`note: ${n}\n`);
    log(`${graph.name} on ${flags.target} with ${[...result.dims].map(([k, v]) => `${k}=${v}`).join(', ') || 'no dims'}`);
    for (const w of written) {
      log(`output ${w.name}: ${shapeText(w.tensor)} -> ${w.file}`);
      log(`  ${describeTensor(w.tensor)}`);
    }
    for (const c of result.checks ?? []) log(describeCheck(c));
  }
  return failed ? 1 : 0;
}

/** JSON has no Infinity or NaN; say them as strings. */
function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

interface InspectFlags {
  after?: string;
  verify?: boolean;
  timings?: boolean;
}

/** The graph, or after `--after group-kernels` the kernels it is partitioned into. */
function printStage(graph: Graph, after: string | undefined): string {
  return after === 'group-kernels' ? printGroups(groupKernels(graph)) : printGraph(graph);
}

function inspectCommand(modelPath: string, flags: InspectFlags): number {
  if (modelPath.toLowerCase().endsWith('.onnx')) {
    // For ONNX, the model's own facts come first, and they are shown even when the import fails.
    const { graph, diagnostics, summary } = loadOnnx(modelPath);
    if (summary) process.stdout.write(`${describeOnnxModel(modelPath, summary, graph)}\n`);
    if (!graph) throw new DiagnosticError(diagnostics);
    const compiled = compile(graph, { stopAfter: flags.after ?? lastGraphPass(), verify: flags.verify });
    process.stdout.write(`\n${printStage(compiled.graph, flags.after)}\n`);
    if (flags.timings) for (const t of compiled.timings) process.stderr.write(`${t.name}: ${t.ms.toFixed(2)} ms\n`);
    return 0;
  }
  const compiled = compile(modelPath, { stopAfter: flags.after ?? lastGraphPass(), verify: flags.verify });
  process.stdout.write(`${printStage(compiled.graph, flags.after)}\n`);
  if (flags.timings) for (const t of compiled.timings) process.stderr.write(`${t.name}: ${t.ms.toFixed(2)} ms\n`);
  return 0;
}

function reportError(e: unknown, json: boolean): number {
  if (e instanceof DiagnosticError) {
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: e.diagnostics.map(diagnosticToJson) }, null, 2)}\n`);
    else for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return 1;
  }
  process.stderr.write(`sluice: internal error (a bug in sluice; please report it with the model):\n${(e as Error).stack ?? String(e)}\n`);
  return 70;
}

/** The exit code; a promise for commands that run asynchronously (`bench`: worker threads). */
export function main(argv: readonly string[]): number | Promise<number> {
  let exitCode = 0;
  let pending: Promise<number> | undefined;
  let json = false;
  const program = new Command('sluice')
    .description('A declarative compiler from model graphs to fused accelerator kernels.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('run a model and write each output to DIR/NAME.npy')
    .argument('<model>', 'a .sluice or .onnx file')
    .option('--target <target>', `where to run: ${TARGETS.join(', ')} (the reference interpreter)`, parseTarget, 'wasm' as Target)
    .option('--threads <n>', 'wasm: threads that run kernels, this one included (default: the cores, at most 8)', parsePositiveInt('--threads'))
    .option('--input <name=file>', 'an input as .npy or ONNX TensorProto .pb (repeatable); missing inputs get seeded random data', collectPair('NAME=FILE', (v) => v))
    .option('--dim <name=value>', 'bind a symbolic dimension (repeatable)', collectPair('NAME=VALUE', parseDimValue))
    .option('--weights <file>', 'parameters from a .safetensors file (default: seeded random values, said on stderr)')
    .option('--out <dir>', 'where to write outputs', 'out')
    .option('--check', 'also run the reference interpreter and compare every output; exit 1 when over tolerance')
    .option('--seed <n>', 'seed for random inputs and weights', parseSeed, 0)
    .option('--json', 'print one machine-readable JSON object')
    .option('--quiet', 'no notes or progress on stderr')
    .action((model: string, flags: RunFlags) => {
      json = Boolean(flags.json);
      pending = runCommand(model, flags);
    });

  addCompileCommand(program, (code) => (exitCode = code), (j) => (json = j));
  addBenchCommand(program, (code) => (pending = code), (j) => (json = j));

  program
    .command('inspect')
    .description('print the Graph IR of a model')
    .argument('<model>', 'a .sluice or .onnx file')
    .option('--after <pass>', `print the IR after this pass: ${passNames().join(', ')} (default: the last)`)
    .option('--verify', 'verify the IR after every pass')
    .option('--timings', 'print how long each pass took (stderr)')
    .action((model: string, flags: InspectFlags) => {
      exitCode = inspectCommand(model, flags);
    });

  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // Help and version exit 0; usage errors were already printed by commander.
      return (e as { exitCode?: number }).exitCode ?? 1;
    }
    return reportError(e, json);
  }
  return pending ? pending.catch((e: unknown) => reportError(e, json)) : exitCode;
}
