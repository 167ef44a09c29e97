// The ONNX importer's entry points: bytes or a file → Graph IR, with a summary of the model
// (opsets, op histogram, what is supported) for `sluice inspect`.

import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { diag, type Diagnostic } from '../../diagnostics/diagnostic.js';
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

/** Imports a model from its bytes. `options.baseDir` allows external data from that folder. */
export function importOnnx(bytes: Uint8Array, path: string, options: ImportOptions = {}): ImportResult {
  const model = decodeModel(bytes);
  if (typeof model === 'string') return { graph: undefined, diagnostics: [diag('onnxParse', { kind: 'node', file: path, node: '(file)', op: 'ModelProto' }, model)], summary: undefined };
  return importModel(model, path, options);
}

/** Reads and imports a model file; its folder is where external data may come from. */
export function loadOnnx(path: string, options: ImportOptions = {}): ImportResult {
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

function failed(d: Diagnostic): ImportResult {
  return { graph: undefined, diagnostics: [d], summary: undefined };
}

export type { ImportResult, ImportSummary, OpCount } from './import-graph.js';
