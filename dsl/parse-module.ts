// Source text to AST: lex, parse with recovery, convert the CST. Lexer and parser errors
// become diagnostics (SL1001-SL1003, SL1115) in source order; the AST is returned even when
// there were errors, with `Missing` where recovery left holes, so lowering can report
// name and shape errors from the same run.

import { diag, lineAndColumn, textSpan, withNotes, type Diagnostic, type SourceFile } from '../compiler/diagnostics/diagnostic.js';
import type { IToken, TokenType } from 'chevrotain';
import type { Module } from './ast.js';
import { cstToAst } from './cst-to-ast.js';
import { tokenize } from './lexer.js';
import { parseTokens, type ParseError } from './parser.js';
import { CLOSERS, KEYWORDS, RBrace, RBracket, RParen } from './tokens.js';

export interface ParseResult {
  readonly ast: Module;
  readonly diagnostics: Diagnostic[];
}

/** Deeper bracket nesting than this is refused before parsing (the parser recurses per level). */
export const MAX_NESTING = 64;

const EMPTY_MODULE: Module = { kind: 'Module', models: [], functions: [], span: { start: 0, length: 0 } };

export function parseSource(file: SourceFile): ParseResult {
  const lexed = tokenize(file);
  const tooDeep = firstTooDeep(lexed.tokens);
  if (tooDeep) {
    const d = diag('nestedTooDeeply', textSpan(file, tooDeep.startOffset, tooDeep.image.length), MAX_NESTING);
    return { ast: EMPTY_MODULE, diagnostics: [...lexed.diagnostics, d] };
  }
  let parsed: { ast: Module; errors: ParseError[] };
  try {
    const { cst, errors } = parseTokens(lexed.tokens);
    parsed = { ast: cstToAst(cst), errors };
  } catch (e) {
    // Long chains like `- - - ... x` can still exhaust the stack: report, do not crash.
    if (!isStackOverflow(e)) throw e;
    return { ast: EMPTY_MODULE, diagnostics: [...lexed.diagnostics, diag('tooComplex', textSpan(file, 0, 0))] };
  }
  const diagnostics = [...lexed.diagnostics, ...syntaxDiagnostics(file, lexed.tokens, parsed.errors, lexed.diagnostics)];
  diagnostics.sort((a, b) => offsetOf(a) - offsetOf(b));
  return { ast: parsed.ast, diagnostics };
}

export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** The first opening bracket nested deeper than MAX_NESTING, if any. */
function firstTooDeep(tokens: readonly IToken[]): IToken | undefined {
  const openers = new Set<TokenType>(CLOSERS.values());
  let depth = 0;
  for (const t of tokens) {
    if (openers.has(t.tokenType) && ++depth > MAX_NESTING) return t;
    if (CLOSERS.has(t.tokenType)) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

function offsetOf(d: Diagnostic): number {
  return d.span?.kind === 'text' ? d.span.start : 0;
}

function isReal(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset) && t.startOffset >= 0;
}

/** Tokens that start or close a construct: finding one on a new line means something is missing before it. */
const BOUNDARIES: ReadonlySet<TokenType> = new Set([...KEYWORDS, RBrace, RParen, RBracket]);

/**
 * Where a syntax error points: at the token found, unless the found token is the end of the file,
 * or a keyword or closing bracket on a later line than the last good token; then just after that
 * last token (the missing `)` belongs at the end of its line, not before the next statement).
 */
function errorRange(file: SourceFile, tokens: readonly IToken[], e: ParseError): { start: number; length: number } {
  const found = isReal(e.token) ? e.token : undefined;
  // The token before the one found (Chevrotain's `previous` can lie past tokens it skipped).
  const i = found ? tokens.indexOf(found) : -1;
  const before = i > 0 ? tokens[i - 1] : i === 0 ? undefined : e.previous;
  const prev = isReal(before) ? before : undefined;
  const prevEnd = prev ? prev.startOffset + prev.image.length : undefined;
  const onNewLine = prevEnd !== undefined && found !== undefined && file.text.slice(prevEnd, found.startOffset).includes('\n');
  if (found && (prevEnd === undefined || !onNewLine || !BOUNDARIES.has(found.tokenType))) {
    return { start: found.startOffset, length: found.image.length };
  }
  if (prevEnd !== undefined) return { start: prevEnd, length: 0 };
  return { start: file.text.length, length: 0 };
}

/** The text between the token before `found` and `found` (where a dropped bad character would be). */
function gapBefore(file: SourceFile, tokens: readonly IToken[], e: ParseError): { from: number; to: number } {
  const found = isReal(e.token) ? e.token : undefined;
  const i = found ? tokens.indexOf(found) : tokens.length;
  const before = tokens[i - 1];
  return { from: before ? before.startOffset + before.image.length : 0, to: found ? found.startOffset : file.text.length };
}

function syntaxDiagnostics(file: SourceFile, tokens: readonly IToken[], errors: readonly ParseError[], lexErrors: readonly Diagnostic[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  const lexStarts = lexErrors.map(offsetOf);
  for (const e of errors) {
    // Text the lexer already rejected confuses the parser right there: one mistake, one error.
    const gap = gapBefore(file, tokens, e);
    if (lexStarts.some((s) => s >= gap.from && s <= gap.to)) continue;
    const { start, length } = errorRange(file, tokens, e);
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
