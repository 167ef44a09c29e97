// One-line helpers for DSL tests: compile a source, print an expression's AST, and render
// diagnostics as `line:col SLcode message` strings that read well in expectations.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lineAndColumn, type Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { compileDsl, parseModule, printExpr, type CompileDslResult } from '../../dsl/index.js';

export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/dsl/${name}`, import.meta.url)), 'utf8');
}

/** `3:15 SL1002 expected ')' ...`, or `SL1117 ...` without a text span. */
export function brief(d: Diagnostic): string {
  if (d.span?.kind !== 'text') return `SL${d.code} ${d.message}`;
  const { line, column } = lineAndColumn(d.span.file.text, d.span.start);
  return `${line}:${column} SL${d.code} ${d.message}`;
}

export function compile(source: string, path = 'test.sluice'): CompileDslResult {
  return compileDsl(source, path);
}

/** Every diagnostic of compiling `source`, in `brief` form. */
export function diagnosticsOf(source: string): string[] {
  return compile(source).diagnostics.map(brief);
}

/** The printed AST of one expression (wrapped in a model to parse it). */
export function printed(expr: string): string {
  const { ast, diagnostics } = parseModule(`model M() { output o = ${expr} }`, 'expr.sluice');
  if (diagnostics.length) throw new Error(diagnostics.map(brief).join('\n'));
  const out = ast!.models[0]!.body[0]!;
  if (out.kind !== 'Output') throw new Error('expected an output');
  return printExpr(out.value);
}

/** A model with the usual header around some statements. */
export function model(body: string, header = 'S, D = 4'): string {
  return `model M(${header}) {\n${body}\n}\n`;
}
