// Runs the ONNX project's backend node tests (../shared/onnx-node-tests) through the importer
// and a target, and compares outputs as the ONNX backend runner does: same count, shapes and
// dtypes, then |actual - expected| <= atol + rtol * |expected| elementwise, NaN equal to NaN.
// Every non-pass carries its reason.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DiagnosticError, formatDiagnostic, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { importOnnx } from '../../compiler/import/onnx/index.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { getNumber, type Tensor } from '../../compiler/interpret/tensor.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { readTensorProto } from '../../compiler/io/tensor-proto.js';

export const NODE_TESTS_DIR = resolve(import.meta.dirname, '../../../shared/onnx-node-tests');

export interface NodeTestEntry {
  readonly name: string;
  readonly op_under_test: string;
  readonly expanded: boolean;
  readonly opset: number;
  readonly inputs: readonly { name: string; file: string }[];
  readonly outputs: readonly { name: string; file: string }[];
}

export type Status = 'pass' | 'fail' | 'unsupported';

export interface NodeTestResult {
  readonly name: string;
  readonly op: string;
  readonly expanded: boolean;
  readonly status: Status;
  /** Why it did not pass (empty for a pass). */
  readonly reason: string;
  /** Graph inputs fixed to the test's values at import (shape-like inputs). */
  readonly frozen: readonly string[];
}

export const RTOL = 1e-3;
export const ATOL = 1e-7;

/** Diagnostic codes that mean "sluice does not do this yet" rather than "sluice got it wrong". */
export const UNSUPPORTED_CODES: ReadonlySet<number> = new Set([3002, 3005, 3006, 3011, 3016, 3020]);

export function loadIndex(): NodeTestEntry[] {
  return (JSON.parse(readFileSync(join(NODE_TESTS_DIR, 'index.json'), 'utf8')) as { tests: NodeTestEntry[] }).tests;
}

function oneLine(d: Diagnostic): string {
  return formatDiagnostic(d).split('\n')[0]!.replace(/^(.*?: )?(error|warning) /, '');
}

export function compareOutput(name: string, actual: Tensor, expected: Tensor): string | undefined {
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return `output '${name}' has shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`;
  }
  if (actual.dtype !== expected.dtype) return `output '${name}' is ${actual.dtype}, expected ${expected.dtype}`;
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = getNumber(actual, i), e = getNumber(expected, i);
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) continue;
    const excess = Math.abs(a - e) - (ATOL + RTOL * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (worst < 0) return undefined;
  return `output '${name}' differs at element ${worst}: got ${getNumber(actual, worst)}, expected ${getNumber(expected, worst)}`;
}

/** The test's input files; one that cannot be read is a diagnostic, and the rest are still read. */
function readInputs(entry: NodeTestEntry, dir: string): { inputs: Map<string, Tensor>; unreadable: Diagnostic[] } {
  const inputs = new Map<string, Tensor>();
  const unreadable: Diagnostic[] = [];
  for (const input of entry.inputs) {
    const file = join(dir, input.file);
    try {
      inputs.set(input.name, readTensorProto(readFileSync(file), file));
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      unreadable.push(...e.diagnostics);
    }
  }
  return { inputs, unreadable };
}

function isUnsupported(diags: readonly Diagnostic[]): boolean {
  const errors = diags.filter((d) => d.severity === 'error');
  return errors.length > 0 && errors.every((d) => UNSUPPORTED_CODES.has(d.code));
}

/** A test imported and ready to run on a target, or the result that says why it is not. */
export type ImportedNodeTest =
  | { readonly ok: true; readonly base: ResultBase; readonly frozen: readonly string[]; readonly graph: Graph; readonly inputs: Map<string, Tensor> }
  | { readonly ok: false; readonly result: NodeTestResult };

type ResultBase = Pick<NodeTestResult, 'name' | 'op' | 'expanded'>;

/**
 * Imports one test. Many node tests pass what real models keep as constants (a Reshape shape,
 * Slice bounds, Resize scales) as graph inputs; sluice needs those at import time, so the
 * test's input values are offered to the importer, which freezes them when the model needs
 * them (integer inputs first, then all) and says which. When the model does not import, that
 * is the reason given, before any input file that could not be read.
 */
export function importNodeTest(entry: NodeTestEntry): ImportedNodeTest {
  const dir = join(NODE_TESTS_DIR, entry.name);
  let frozen: readonly string[] = [];
  const base: ResultBase = { name: entry.name, op: entry.op_under_test, expanded: entry.expanded };
  const modelPath = join(dir, 'model.onnx');
  try {
    const { inputs: given, unreadable } = readInputs(entry, dir);
    const imported = importOnnx(readFileSync(modelPath), modelPath, { baseDir: dir, inputValues: given });
    frozen = imported.frozen;
    const { graph, diagnostics } = imported;
    if (!graph) {
      const errors = diagnostics.filter((d) => d.severity === 'error');
      return { ok: false, result: { ...base, frozen, status: isUnsupported(diagnostics) ? 'unsupported' : 'fail', reason: errors.map(oneLine).join('; ') || 'import failed without a diagnostic' } };
    }
    if (unreadable.length) throw new DiagnosticError(unreadable);
    const inputs = new Map([...given].filter(([name]) => graph.inputs.some((i) => i.attrs.name === name)));
    return { ok: true, base, frozen, graph, inputs };
  } catch (e) {
    return { ok: false, result: errorResult(base, frozen, e) };
  }
}

/** The result for an exception thrown while importing or running a test. */
export function errorResult(base: ResultBase, frozen: readonly string[], e: unknown, unsupportedCodes: ReadonlySet<number> = UNSUPPORTED_CODES): NodeTestResult {
  if (e instanceof DiagnosticError) {
    const errors = e.diagnostics.filter((d) => d.severity === 'error');
    const unsupported = errors.length > 0 && errors.every((d) => unsupportedCodes.has(d.code));
    return { ...base, frozen, status: unsupported ? 'unsupported' : 'fail', reason: e.diagnostics.map(oneLine).join('; ') };
  }
  const err = e as Error;
  return { ...base, frozen, status: 'fail', reason: `crash: ${err.message}${err.stack ? ` (${err.stack.split('\n')[1]?.trim() ?? ''})` : ''}` };
}

/** Compares a target's outputs with the test's expected outputs; the problems found, if any. */
export function checkOutputs(entry: NodeTestEntry, outputs: ReadonlyMap<string, Tensor>): string[] {
  const dir = join(NODE_TESTS_DIR, entry.name);
  const problems: string[] = [];
  entry.outputs.forEach((o) => {
    const actual = outputs.get(o.name);
    if (!actual) {
      problems.push(`output '${o.name}' is missing`);
      return;
    }
    const file = join(dir, o.file);
    const problem = compareOutput(o.name, actual, readTensorProto(readFileSync(file), file));
    if (problem) problems.push(problem);
  });
  return problems;
}

/** Runs one test on the reference interpreter. */
export function runNodeTest(entry: NodeTestEntry): NodeTestResult {
  const imported = importNodeTest(entry);
  if (!imported.ok) return imported.result;
  const { base, frozen, graph, inputs } = imported;
  try {
    const { outputs } = interpret(graph, inputs);
    const problems = checkOutputs(entry, outputs);
    return { ...base, frozen, status: problems.length ? 'fail' : 'pass', reason: problems.join('; ') };
  } catch (e) {
    return errorResult(base, frozen, e);
  }
}

export function nodeTestsPresent(): boolean {
  return existsSync(join(NODE_TESTS_DIR, 'index.json'));
}
