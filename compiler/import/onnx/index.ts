// The ONNX importer's entry points: bytes or a file → Graph IR, with a summary of the model
// (opsets, op histogram, what is supported) for `sluice inspect`. Given values for graph inputs
// (the user's --input files, a node test's data), a model that needs one of them when it is
// imported (SL3014: a Reshape shape fed as an input) is specialised to them (`importFrozen`).

import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { diag, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { MESSAGES } from '../../diagnostics/messages.js';
import type { Tensor } from '../../interpret/tensor.js';
import { importModel, type ImportOptions, type ImportResult } from './import-graph.js';
import { onnx, type ModelProto } from './proto.js';

/** Model files above this size are refused before reading (protobuf itself stops at 2 GiB). */
export const MAX_MODEL_BYTES = 2 * 1024 ** 3;

function decodeModel(bytes: Uint8Array): ModelProto | string {
  try {
    const model = onnx.ModelProto.decode(bytes);
    // Random bytes can decode as an empty message: a model has at least a graph.
    if (!model.graph) return 'no graph in the file (is it an ONNX model?)';
    return model;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export interface OnnxImportOptions extends ImportOptions {
  /**
   * Values at hand for graph inputs. When the model needs a value at import time that comes
   * from a graph input (SL3014), it is imported again with these inputs frozen to their values
   * (the integer ones first, then all), and a warning (SL3019) names them.
   */
  readonly inputValues?: ReadonlyMap<string, Tensor>;
}

export interface OnnxImportResult extends ImportResult {
  /** Graph inputs imported as constants with the values given (empty when none were). */
  readonly frozen: readonly string[];
}

/** Imports a model from its bytes. `options.baseDir` allows external data from that folder. */
export function importOnnx(bytes: Uint8Array, path: string, options: OnnxImportOptions = {}): OnnxImportResult {
  const model = decodeModel(bytes);
  if (typeof model === 'string') return { graph: undefined, diagnostics: [diag('onnxParse', { kind: 'node', file: path, node: '(file)', op: 'ModelProto' }, model)], summary: undefined, frozen: [] };
  const { inputValues, ...importOptions } = options;
  return importFrozen(model, inputValues ?? new Map(), (constantInputs) => importModel(model, path, { ...importOptions, ...(constantInputs ? { constantInputs } : {}) }));
}

/** Reads and imports a model file; its folder is where external data may come from. */
export function loadOnnx(path: string, options: OnnxImportOptions = {}): OnnxImportResult {
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > MAX_MODEL_BYTES) return failed(diag('badFile', undefined, path, `${size} bytes is over the ${MAX_MODEL_BYTES}-byte limit for a model`));
    bytes = readFileSync(path);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return failed(diag('badFile', undefined, path, reason));
  }
  return importOnnx(bytes, path, { baseDir: dirname(path), ...options });
}

/**
 * The plain import, or, when it needs import-time values that graph inputs hold (SL3014) and
 * values for some of those inputs are at hand, the import with them frozen: first only the
 * i64/i32 ones (shapes, axes, counts: float data stays an input when it can), then all. The
 * last attempt's result is returned, with a warning (SL3019) when it succeeds.
 */
function importFrozen(
  model: ModelProto,
  values: ReadonlyMap<string, Tensor>,
  attempt: (constantInputs: ReadonlyMap<string, Tensor> | undefined) => ImportResult,
): OnnxImportResult {
  const plain = attempt(undefined);
  const needsValues = (r: ImportResult): boolean => r.graph === undefined && r.diagnostics.some((d) => d.code === MESSAGES.onnxNotConstant.code);
  const declared = new Set((model.graph?.input ?? []).map((i) => i.name ?? ''));
  for (const init of model.graph?.initializer ?? []) declared.delete(init.name ?? '');
  const usable = new Map([...values].filter(([name]) => declared.has(name)));
  if (!needsValues(plain) || usable.size === 0) return { ...plain, frozen: [] };
  const integer = new Map([...usable].filter(([, t]) => t.dtype === 'i64' || t.dtype === 'i32'));
  const tries = integer.size > 0 && integer.size < usable.size ? [integer, usable] : [usable];
  let result: OnnxImportResult = { ...plain, frozen: [] };
  for (const frozen of tries) {
    const again = attempt(frozen);
    result = { ...again, frozen: [...frozen.keys()] };
    if (!needsValues(again)) break;
  }
  if (!result.graph) return result;
  const names = result.frozen.map((n) => `'${n}'`).join(', ');
  const what = result.frozen.length === 1 ? `input ${names} was` : `inputs ${names} were`;
  return { ...result, diagnostics: [...result.diagnostics, diag('onnxInputsFrozen', undefined, what)] };
}

function failed(d: Diagnostic): OnnxImportResult {
  return { graph: undefined, diagnostics: [d], summary: undefined, frozen: [] };
}

export type { ImportResult, ImportSummary, OpCount } from './import-graph.js';
