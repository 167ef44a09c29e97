// The lexer: source text to tokens. It never stops at a bad character: Chevrotain drops the
// characters it cannot match and goes on, and each dropped run becomes one SL1001. Unterminated
// comments and strings are lexed as tokens of their own (group `invalid`) so they get their
// own messages instead of a cascade of unexpected characters.

import { Lexer, type IToken } from 'chevrotain';
import { diag, textSpan, type Diagnostic, type SourceFile } from '../compiler/diagnostics/diagnostic.js';
import { ALL_TOKENS, INVALID_GROUP, UnterminatedComment } from './tokens.js';

const lexer = new Lexer([...ALL_TOKENS], {
  positionTracking: 'full',
  ensureOptimizations: false,
});

export interface LexResult {
  readonly tokens: IToken[];
  readonly diagnostics: Diagnostic[];
}

export function tokenize(file: SourceFile): LexResult {
  const result = lexer.tokenize(file.text);
  const diagnostics: Diagnostic[] = [];
  for (const e of result.errors) {
    const text = file.text.slice(e.offset, e.offset + e.length);
    diagnostics.push(diag('unexpectedCharacter', textSpan(file, e.offset, e.length), printable(text)));
  }
  for (const t of result.groups[INVALID_GROUP] ?? []) {
    const code = t.tokenType === UnterminatedComment ? 'unterminatedComment' : 'unterminatedString';
    // Point at the opening `/*` or `"`: the whole rest of the file is not a useful caret.
    diagnostics.push(diag(code, textSpan(file, t.startOffset, t.tokenType === UnterminatedComment ? 2 : 1)));
  }
  diagnostics.sort((a, b) => spanStart(a) - spanStart(b));
  return { tokens: result.tokens, diagnostics };
}

function spanStart(d: Diagnostic): number {
  return d.span?.kind === 'text' ? d.span.start : 0;
}

/** Control characters and the like, shown as escapes. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0x7f && code !== 0xfffd ? c : `\\u{${code.toString(16)}}`;
  });
}
