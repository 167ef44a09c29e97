import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../../compiler/diagnostics/messages.js';
import { diag, formatDiagnostic, lineAndColumn, textSpan, diagnosticToJson } from '../../../compiler/diagnostics/diagnostic.js';

describe('the message catalog', () => {
  it('gives every message its own code, in the range of its phase', () => {
    const codes = Object.values(MESSAGES).map((m) => m.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c >= 1000 && c < 6000).toBe(true);
  });
});

describe('formatDiagnostic', () => {
  const file = { path: 'm.sluice', text: 'model M(S) {\n  let y = x @ w\n}\n' };

  it('prints file, line, column, the source line and a caret under the span', () => {
    const start = file.text.indexOf('x @');
    expect(formatDiagnostic(diag('unknownName', textSpan(file, start, 1), 'x'))).toBe(
      ["m.sluice:2:11: error SL1101: unknown name 'x'", '  2 |   let y = x @ w', '    |           ^'].join('\n'),
    );
  });

  it('underlines a longer span and adds notes', () => {
    const start = file.text.indexOf('x @ w');
    const d = { ...diag('matmulMismatch', textSpan(file, start, 5), '[S, 3]', '[4, 5]'), notes: ['inner dims are 3 and 4'] };
    expect(formatDiagnostic(d).split('\n').slice(2)).toEqual(['    |           ^~~~~', '  note: inner dims are 3 and 4']);
  });

  it('names the node for imported graphs', () => {
    expect(formatDiagnostic(diag('onnxUnsupportedOp', { kind: 'node', file: 'm.onnx', node: 'n7', op: 'Foo' }, 'Foo'))).toBe(
      "m.onnx: node 'n7' (Foo): error SL3002: unsupported ONNX op 'Foo'",
    );
  });

  it('computes line and column from byte offsets and gives them in JSON', () => {
    expect(lineAndColumn(file.text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn(file.text, 13)).toEqual({ line: 2, column: 1 });
    expect(diagnosticToJson(diag('unknownName', textSpan(file, 23, 1), 'x'))).toEqual({ code: 'SL1101', severity: 'error', message: "unknown name 'x'", file: 'm.sluice', line: 2, column: 11 });
  });
});
