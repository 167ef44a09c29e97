// Source text to AST: lex, parse with recovery, convert the CST. Lexer and parser errors
// become diagnostics (SL1001-SL1003, SL1115) in source order; the AST is returned even when
// there were errors, with `Missing` where recovery left holes, so lowering can report
// name and shape errors from the same run.

import { diag, lineAndColumn, textSpan, withNotes, type Diagnostic, type SourceFile } from '../compiler/diagnostics/diagnostic.js';
import type { IToken } from 'chevrotain';
import type { Module } from './ast.js';
import { cstToAst } from './cst-to-ast.js';
import { tokenize } from './lexer.js';
import { parseTokens, type ParseError } from './parser.js';

export interface ParseResult {
  readonly ast: Module;
  readonly diagnostics: Diagnostic[];
}

export function parseSource(file: SourceFile): ParseResult {
  const lexed = tokenize(file);
  const { cst, errors } = parseTokens(lexed.tokens);
  const diagnostics = [...lexed.diagnostics, ...syntaxDiagnostics(file, errors)];
  diagnostics.sort((a, b) => offsetOf(a) - offsetOf(b));
  return { ast: cstToAst(cst), diagnostics };
}

function offsetOf(d: Diagnostic): number {
  return d.span?.kind === 'text' ? d.span.start : 0;
}

function isReal(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

/**
 * Where a syntax error points: at the token found, unless that token is the end of the file or
 * sits on a later line than the last good token, in which case just after that last token (the
 * missing `)` belongs at the end of its line, not before the next statement).
 */
function errorRange(file: SourceFile, e: ParseError): { start: number; length: number } {
  const found = isReal(e.token) ? e.token : undefined;
  const prev = isReal(e.previous) ? e.previous : undefined;
  const prevEnd = prev ? prev.startOffset + prev.image.length : undefined;
  if (found && (prevEnd === undefined || !file.text.slice(prevEnd, found.startOffset).includes('\n'))) {
    return { start: found.startOffset, length: found.image.length };
  }
  if (prevEnd !== undefined) return { start: prevEnd, length: 0 };
  return { start: file.text.length, length: 0 };
}

function syntaxDiagnostics(file: SourceFile, errors: readonly ParseError[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const e of errors) {
    const { start, length } = errorRange(file, e);
    // Recovery can fail more than once at one place; the first message is the useful one.
    if (seen.has(start)) continue;
    seen.add(start);
    let d = diag('syntaxError', textSpan(file, start, length), e.message);
    if (isReal(e.opener)) {
      const { line, column } = lineAndColumn(file.text, e.opener.startOffset);
      d = withNotes(d, `the '${e.opener.image}' is at line ${line}, column ${column}`);
    }
    out.push(d);
  }
  return out;
}
