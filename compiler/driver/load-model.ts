// Loading a model from a path: `.sluice` through the DSL front end, `.onnx` through the
// importer (compiler/import/onnx). User errors come back as a DiagnosticError holding every diagnostic found.
// Values given for graph inputs let an ONNX model that needs them at import time be
// specialised to them (`LoadedModel.frozen`, with a warning).

import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { diag, DiagnosticError, hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../interpret/tensor.js';
import { compileDsl } from '../../dsl/index.js';
import { loadOnnx } from '../import/onnx/index.js';

/** DSL sources above this size are refused before reading (a model file is a few KB). */
const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

export interface ParseResult {
  readonly graph: Graph | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses and lowers DSL text. Never throws for user errors. */
export function parse(source: string, path = '<source>'): ParseResult {
  return compileDsl(source, path);
}

export interface LoadedModel {
  readonly graph: Graph;
  /** Graph inputs imported as constants with the values given (ONNX only). */
  readonly frozen: readonly string[];
  readonly warnings: readonly Diagnostic[];
}

/** Reads a model file into Graph IR, or throws DiagnosticError. Warnings go to `onWarning`. */
export function loadModel(path: string, onWarning: (d: Diagnostic) => void = () => {}): Graph {
  const { graph, warnings } = readModel(path);
  warnings.forEach(onWarning);
  return graph;
}

/**
 * Reads a model file into Graph IR, or throws DiagnosticError. `inputValues` are values the
 * user gave for graph inputs: an ONNX model that needs some of them when it is imported (a
 * Reshape shape fed as an input) is specialised to them; `frozen` names those.
 */
export function readModel(path: string, inputValues: ReadonlyMap<string, Tensor> = new Map()): LoadedModel {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') {
    const { graph, diagnostics, frozen } = loadOnnx(path, { inputValues });
    if (!graph || hasErrors(diagnostics)) throw new DiagnosticError(diagnostics);
    return { graph, frozen, warnings: diagnostics };
  }
  if (ext !== '.sluice') throw new DiagnosticError([diag('unknownModelKind', undefined, path)]);
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_SOURCE_BYTES) throw new DiagnosticError([diag('badFile', undefined, path, `${size} bytes is too large for a model source`)]);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new DiagnosticError([diag('badFile', undefined, path, reason)]);
  }
  const { graph, diagnostics } = parse(text, path);
  if (!graph || hasErrors(diagnostics)) throw new DiagnosticError(diagnostics);
  return { graph, frozen: [], warnings: diagnostics };
}
