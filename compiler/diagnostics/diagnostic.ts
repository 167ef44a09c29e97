// One diagnostic type for every phase (STYLE 19). Spans are byte offsets into a source file;
// line and column are computed only when a diagnostic is formatted.

import { MESSAGES, type MessageCode } from './messages.js';

export type Severity = 'error' | 'warning' | 'note';

export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** A location: a range in a DSL file, or a node in an imported graph (ONNX). */
export type Span =
  | { readonly kind: 'text'; readonly file: SourceFile; readonly start: number; readonly length: number }
  | { readonly kind: 'node'; readonly file: string; readonly node: string; readonly op: string };

export interface Diagnostic {
  readonly code: number;
  readonly severity: Severity;
  readonly message: string;
  readonly span?: Span;
  readonly notes: readonly string[];
}

/** Builds a diagnostic from the catalog: `diag('E1001', span, 'x')` fills `{0}` with `x`. */
export function diag(code: MessageCode, span: Span | undefined, ...args: readonly (string | number)[]): Diagnostic {
  const entry = MESSAGES[code];
  return { code: entry.code, severity: entry.severity, message: messageText(code, args), span, notes: [] };
}

/** The catalog text of `code` with `{0}`, `{1}`, ... filled from `args`. */
export function messageText(code: MessageCode, args: readonly (string | number)[]): string {
  return MESSAGES[code].text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? `{${i}}`));
}

export function withNotes(d: Diagnostic, ...notes: string[]): Diagnostic {
  return { ...d, notes: [...d.notes, ...notes] };
}

export function textSpan(file: SourceFile, start: number, length: number): Span {
  return { kind: 'text', file, start, length: Math.max(0, length) };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** 1-based line and column of a byte offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 *   examples/bad.sluice:3:15: error SL1002: expected ')' but found '@'
 *     3 |   let y = (x @ w
 *       |               ^
 */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.severity} SL${d.code}: ${d.message}`;
  const lines: string[] = [];
  const span = d.span;
  if (span === undefined) {
    lines.push(head);
  } else if (span.kind === 'node') {
    lines.push(`${span.file}: node '${span.node}' (${span.op}): ${head}`);
  } else {
    const { line, column } = lineAndColumn(span.file.text, span.start);
    lines.push(`${span.file.path}:${line}:${column}: ${head}`);
    const lineStart = span.start - (column - 1);
    let lineEnd = span.file.text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = span.file.text.length;
    const source = span.file.text.slice(lineStart, lineEnd).replace(/\r$/, '');
    const gutter = String(line);
    const width = Math.max(1, Math.min(span.length, source.length - (column - 1)));
    lines.push(`  ${gutter} | ${source}`);
    lines.push(`  ${' '.repeat(gutter.length)} | ${' '.repeat(column - 1)}^${'~'.repeat(width - 1)}`);
  }
  for (const n of d.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

export function formatDiagnostics(diags: readonly Diagnostic[]): string {
  return diags.map(formatDiagnostic).join('\n');
}

/** Plain-data form for `--json` output. */
export function diagnosticToJson(d: Diagnostic): Record<string, unknown> {
  const out: Record<string, unknown> = { code: `SL${d.code}`, severity: d.severity, message: d.message };
  if (d.span?.kind === 'text') {
    const { line, column } = lineAndColumn(d.span.file.text, d.span.start);
    Object.assign(out, { file: d.span.file.path, line, column });
  } else if (d.span?.kind === 'node') {
    Object.assign(out, { file: d.span.file, node: d.span.node, op: d.span.op });
  }
  if (d.notes.length) out.notes = d.notes;
  return out;
}

/**
 * Thrown to abandon a phase once its diagnostics are collected; the CLI and API catch it and
 * report the diagnostics. Never used for broken invariants (those are plain Errors).
 */
export class DiagnosticError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(formatDiagnostics(diagnostics));
    this.name = 'DiagnosticError';
  }
}

/** For `switch` defaults over a closed union: a compile error when a case is missing. */
export function unreachable(x: never, what = 'value'): never {
  throw new Error(`unreachable ${what}: ${JSON.stringify(x)}`);
}
