// The DSL front end: source text → AST → Graph IR. Every user mistake comes back as a
// diagnostic (syntax, names, types, shapes, all from one run, in source order); nothing here
// throws for bad input.

import type { Diagnostic, SourceFile } from '../compiler/diagnostics/diagnostic.js';
import type { Graph } from '../compiler/ir/graph.js';
import type { Module } from './ast.js';
import { lowerModule, type LowerOptions } from './lower.js';
import { parseSource } from './parse-module.js';

export type * as ast from './ast.js';
export type { Module } from './ast.js';
export { printExpr, printModule, printStatement } from './print-ast.js';
export { BUILTINS } from './builtins.js';

export interface ParseModuleResult {
  /** Present even after syntax errors: recovery leaves `Missing` nodes where parts were lost. */
  readonly ast?: Module;
  readonly diagnostics: Diagnostic[];
}

export interface CompileDslResult {
  /** Undefined when any error was reported. */
  readonly graph: Graph | undefined;
  readonly diagnostics: Diagnostic[];
}

export interface CompileDslOptions {
  /** Which model to compile when the file declares several. */
  readonly model?: string;
}

/** Lexes and parses; syntax errors are SL1001–SL1003, SL1115. */
export function parseModule(source: string, path: string): ParseModuleResult {
  return parseSource({ path, text: source });
}

/** Lowers one model of a parsed module (the only one, or `options.model`). */
export function lowerModel(ast: Module, file: SourceFile, options: LowerOptions = {}): CompileDslResult {
  return lowerModule(ast, file, options);
}

/** Parses and lowers, reporting syntax errors and lowering errors from the same run. */
export function compileDsl(source: string, path: string, options: CompileDslOptions = {}): CompileDslResult {
  const file: SourceFile = { path, text: source };
  const parsed = parseSource(file);
  return lowerModule(parsed.ast, file, { ...options, priorDiagnostics: parsed.diagnostics });
}
