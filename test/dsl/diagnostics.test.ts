// Every diagnostic the DSL front end emits: code, message, line and column.

import { describe, expect, it } from 'vitest';
import { formatDiagnostic, formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { compileDsl } from '../../dsl/index.js';
import { compile, diagnosticsOf, model } from './helpers.js';

const X = '  input x: f32[S, D]';

describe('one diagnostic per mistake', () => {
  it.each([
    ['SL1001 bad character', model(`${X}\n  output y = x # 2`), "3:16 SL1001 unexpected character '#'"],
    ['SL1002 missing bracket', model(`${X}\n  output y = (x * 2`), "3:20 SL1002 expected ')' to close '(' but found '}'"],
    ['SL1002 missing expression', model(`${X}\n  let a = x +\n  output y = a`), "3:14 SL1002 expected an expression but found 'output'"],
    ['SL1002 bad statement', model(`${X}\n  x = 2\n  output y = x`), "3:3 SL1002 expected a declaration or '}' to close '{' but found 'x'"],
    ['SL1002 empty subscript', model(`${X}\n  output y = x[]`), "3:16 SL1002 expected an index or a slice (like 0, 1:, or :) but found ']'"],
    ['SL1002 chained comparison', model(`${X}\n  output y = 0 < x < 1`), '3:20 SL1002 comparisons do not chain: compare two values at a time, as in (a < b)'],
    ['SL1002 outside a model', `output y = 1\nmodel M() { output y = 1 }`, "1:1 SL1002 expected 'model' or 'fn' but found 'output'"],
    ['SL1003 unterminated comment', model(`${X}\n  output y = x /* never closed`), '3:16 SL1003 unterminated block comment'],
    ['SL1101 unknown name', model(`${X}\n  output y = x + z`), "3:18 SL1101 unknown name 'z'"],
    ['SL1102 duplicate name', model(`${X}\n  let x = 2\n  output y = x`), "3:7 SL1102 'x' is already defined"],
    ['SL1102 duplicate dim', model(`${X}\n  output y = x`, 'S, D, S'), "1:15 SL1102 'S' is already defined"],
    ['SL1102 duplicate function', model(`${X}\n  fn f(t) = t\n  fn f(t) = t\n  output y = f(x)`), "4:6 SL1102 'f' is already defined"],
    ['SL1103 unknown function', model(`${X}\n  output y = swish(x)`), "3:14 SL1103 unknown function 'swish'"],
    ['SL1104 too many arguments', model(`${X}\n  output y = exp(x, x)`), "3:21 SL1104 'exp' takes 1 argument(s), got 2"],
    ['SL1104 user function', model(`${X}\n  fn f(a, b) = a * b\n  output y = f(x, x, x)`), "4:22 SL1104 'f' takes 2 argument(s), got 3"],
    ['SL1105 unknown named argument', model(`${X}\n  output y = softmax(x, dim: 0)`), "3:25 SL1105 'softmax' has no argument named 'dim'"],
    ['SL1106 argument given twice', model(`${X}\n  output y = softmax(x, 0, axis: 1)`), "3:28 SL1106 argument 'axis' is given twice"],
    ['SL1107 missing argument', model(`${X}\n  output y = where(x > 0, x)`), "3:14 SL1107 'where' needs the argument 'b'"],
    ['SL1108 tensor as a dim', model(`${X}\n  input z: f32[x]\n  output y = x + z`), "3:16 SL1108 'x' is a tensor, but a dimension is expected here"],
    ['SL1109 dim as a tensor', model(`${X}\n  output y = x * D`), "3:18 SL1109 'D' is a dimension, but a tensor is expected here"],
    ['SL1110 no outputs', model('  let a = 1'), "1:7 SL1110 model 'M' declares no outputs"],
    ['SL1111 self recursion', model(`${X}\n  fn f(t) = f(t) + 1\n  output y = f(x)`), "3:13 SL1111 function 'f' calls itself; functions cannot recurse"],
    ['SL1111 recursion', model(`${X}\n  fn f(t) = g(t)\n  fn g(t) = f(t)\n  output y = f(x)`), "4:13 SL1111 function 'f' calls itself; functions cannot recurse"],
    ['SL1112 wrong kind of argument', model(`${X}\n  output y = sum(x, keepdims: 1)`), "3:31 SL1112 argument 'keepdims' must be 'true' or 'false', not the number 1"],
    ['SL1112 bad choice', model(`${X}\n  output y = gelu(x, approximate: "fast")`), '3:35 SL1112 argument \'approximate\' must be one of "none" or "tanh", not "fast"'],
    ['SL1113 unknown dtype', model('  input x: f128[S, D]\n  output y = x'), "2:12 SL1113 unknown dtype 'f128' (expected one of f32, f16, i32, i64, i8, u8, bool, f64, bf16, f8e4m3fn, f8e4m3fnuz, f8e5m2, f8e5m2fnuz, f8e8m0, f4e2m1, i16, u16, u32, u64, i4, u4, i2, u2)"],
    ['SL1114 unused input', model(`${X}\n  input unused: f32[S]\n  output y = x`), "3:9 SL1114 input 'unused' is never used"],
    ['SL1115 unterminated string', model(`${X}\n  output y = gelu(x, approximate: "tanh)`), '3:35 SL1115 unterminated string'],
    ['SL1116 unknown property', model(`${X}\n  output y = x.shape`), "3:16 SL1116 unknown property '.shape' (the only property is '.T', which swaps the last two axes)"],
    ['SL1117 no model', 'fn f(x) = x\n', '1:1 SL1117 the file declares no model'],
    ['SL1119 several models', 'model A() { output y = 1 }\nmodel B() { output y = 2 }\n', '2:7 SL1119 the file declares several models (A, B); say which one to compile'],
    ['SL1120 float in a dim', model('  input x: f32[S, D * 1.5]\n  output y = x'), "2:23 SL1120 '1.5' cannot be used in a dimension expression (only dimensions, integers, + - * / and parentheses)"],
    ['SL1120 power of dims', model('  input x: f32[S ** 2]\n  output y = x'), "2:18 SL1120 '**' cannot be used in a dimension expression (only dimensions, integers, + - * / and parentheses)"],
    ['SL1121 fractional dim', model('  let half = 1 / 2\n  output y = half'), '2:14 SL1121 dimension 1/2 is not a whole number; write a decimal point (like 0.5) for a number'],
    ['SL1122 division by zero', model('  input x: f32[S, D / (D - D)]\n  output y = x'), '2:19 SL1122 division by zero in a dimension expression'],
    ['SL1123 positional after named', model(`${X}\n  output y = softmax(axis: 0, x)`), '3:31 SL1123 a positional argument cannot follow named arguments'],
    ['SL1124 output type', model(`${X}\n  output y: f32[D, S] = x`), "3:13 SL1124 output 'y' is declared f32[D, S] but its value is f32[S, D]"],
    ['SL1124 output dtype', model(`${X}\n  output y: f16[S, D] = x`), "3:13 SL1124 output 'y' is declared f16[S, D] but its value is f32[S, D]"],
    ['SL1125 index out of range', model('  input x: f32[S, 4]\n  output y = x[:, 4]'), '3:19 SL1125 index 4 is out of range for an axis of size 4'],
    ['SL1126 too many indices', model(`${X}\n  output y = x[0, 1, 2]`), '3:14 SL1126 too many indices: 3 for a tensor of rank 2'],
    ['SL1127 zero step', model(`${X}\n  output y = x[::0]`), '3:18 SL1127 slice step cannot be zero'],
    ['SL1127 zero step (slice)', model(`${X}\n  output y = slice(x, axis: 0, step: 0)`), '3:38 SL1127 slice step cannot be zero'],
    ['SL1128 string operand', model(`${X}\n  output y = x @ "w"`), '3:18 SL1128 expected a tensor or a number but found the string "w"'],
    ['SL1128 .T of a number', model('  output y = 2.5.T'), '2:14 SL1128 expected a tensor but found the number 2.5'],
    ['SL1130 missing return', model(`${X}\n  fn f(t) { let u = t }\n  output y = f(x)`), "3:6 SL1130 function 'f' has no 'return'"],
    ['SL1129 bad dim default', model(`${X}\n  output y = x`, 'S, D = 2.5'), "1:16 SL1129 the default of dimension 'D' must be a whole number, got 2.5"],
    ['SL2001 shape (from the builder)', model(`${X}\n  output y = attention(x, x.T, x)`), '3:14 SL2001 attention needs q, k, v of one rank ≥ 3 ([..., heads, seq, head_dim]), got [S, D], [D, S], [S, D]'],
    ['SL2002 dtype', model(`${X}\n  input i: i32[S, D]\n  output y = x + i`), '4:14 SL2002 add needs operands of one dtype, got f32 and i32'],
    ['SL2003 broadcast', model(`${X}\n  output y = x + x.T`), '3:14 SL2003 cannot broadcast shapes [S, D] and [D, S]'],
    ['SL2006 reshape', model(`${X}\n  output y = reshape(x, [3, 5])`), '3:14 SL2006 cannot reshape [S, D] (D*S elements) to [3, 5] (15 elements)'],
    ['SL2009 attribute', model(`${X}\n  output y = transpose(x, [0, 0])`), '3:14 SL2009 transpose lists axis 0 twice'],
    ['SL2004 matmul', model(`${X}\n  output y = x @ x`), '3:14 SL2004 matmul inner dimensions differ: [S, D] @ [S, D]'],
    ['SL2005 axis', model(`${X}\n  output y = softmax(x, axis: 2)`), '3:31 SL2005 axis 2 is out of range for a tensor of rank 2'],
    ['SL2005 negative axis', model(`${X}\n  output y = sum(x, axes: [-3])`), '3:27 SL2005 axis -3 is out of range for a tensor of rank 2'],
    ['SL2007 heads of a vector', model('  input x: f32[S]\n  output y = heads(x, 2)'), '3:20 SL2007 heads needs a tensor of rank at least 2, got rank 1'],
    ['SL2007 .T of a vector', model('  input x: f32[S]\n  output y = x.T'), "3:14 SL2007 '.T' needs a tensor of rank at least 2, got rank 1"],
    ['SL2008 heads', model('  input x: f32[S, 6]\n  output y = heads(x, 4)'), '3:23 SL2008 heads: the last dimension 6 is not divisible by 4 heads'],
  ])('%s', (_, source, expected) => {
    expect(diagnosticsOf(source)).toEqual([expected]);
  });

  it('SL1131 brackets nested too deeply', () => {
    const source = `model M() {\n  output y = ${'('.repeat(65)}1${')'.repeat(65)}\n}`;
    expect(diagnosticsOf(source)).toEqual(['2:77 SL1131 brackets are nested more than 64 deep']);
  });

  it('SL1132 too deep to compile: long chains are reported, not thrown', () => {
    expect(diagnosticsOf(`model M() {\n  output y = ${'-'.repeat(20000)}1\n}`)).toEqual(['1:1 SL1132 this is nested too deeply to compile; split it with let']);
    expect(diagnosticsOf(`model M() {\n  let a = 1${' + 1'.repeat(20000)}\n  output y = 2\n}`)).toEqual(['2:3 SL1132 this is nested too deeply to compile; split it with let']);
  });

  it('SL1118 unknown model (chosen by option, so no source position)', () => {
    const r = compileDsl('model A() { output y = 1 }', 't.sluice', { model: 'B' });
    expect(r.diagnostics.map((d) => `SL${d.code} ${d.message}`)).toEqual(["SL1118 the file has no model named 'B' (models: A)"]);
  });

  it('picks a model by name', () => {
    const r = compileDsl('model A() { output y = 1 }\nmodel B() { output z = 2 }', 't.sluice', { model: 'B' });
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.outputs.map((o) => o.name)).toEqual(['z']);
  });

  it('a name used as a function gets a hint', () => {
    const [d] = compile(model(`${X}\n  output y = x * sigmoid`)).diagnostics;
    expect(d!.notes).toEqual(["'sigmoid' is a function: call it, as in sigmoid(...)"]);
  });
});

describe('formatted diagnostics', () => {
  it('prints the line and a caret under the span', () => {
    const [d] = compile(model(`${X}\n  let a = x @ x\n  output y = a`), 'block.sluice').diagnostics;
    expect(formatDiagnostic(d!)).toBe(
      ['block.sluice:3:11: error SL2004: matmul inner dimensions differ: [S, D] @ [S, D]', '  3 |   let a = x @ x', '    |           ^~~~~'].join('\n'),
    );
  });

  it('puts a missing closing bracket at the end of its line and notes the opener', () => {
    const [d] = compile(model(`${X}\n  let y = (x * 2\n  let z = y\n  output o = z`), 'bad.sluice').diagnostics;
    expect(formatDiagnostic(d!)).toBe(
      [
        "bad.sluice:3:17: error SL1002: expected ')' to close '(' but found 'let'",
        '  3 |   let y = (x * 2',
        '    |                 ^',
        "  note: the '(' is at line 3, column 11",
      ].join('\n'),
    );
  });

  it('reports three mistakes on different lines in one run, in source order', () => {
    const source = [
      'model Block(S, D = 64) {',
      '  input x: f32[S, D]',
      '  param w: f32[D, D]',
      '  let h = (x @ w',
      '  let g = relu(hh)',
      '  let z = x @ x',
      '  output y = h + g + z',
      '}',
    ].join('\n');
    const { graph, diagnostics } = compile(source, 'three.sluice');
    expect(graph).toBeUndefined();
    expect(formatDiagnostics(diagnostics)).toBe(
      [
        "three.sluice:4:17: error SL1002: expected ')' to close '(' but found 'let'",
        '  4 |   let h = (x @ w',
        '    |                 ^',
        "  note: the '(' is at line 4, column 11",
        "three.sluice:5:16: error SL1101: unknown name 'hh'",
        '  5 |   let g = relu(hh)',
        '    |                ^~',
        'three.sluice:6:11: error SL2004: matmul inner dimensions differ: [S, D] @ [S, D]',
        '  6 |   let z = x @ x',
        '    |           ^~~~~',
      ].join('\n'),
    );
  });

  it('does not cascade: uses of an erroneous value stay quiet', () => {
    const source = model(`${X}\n  let a = x @ x\n  let b = softmax(a) * 2\n  let c = b.T[0]\n  output y = c + undefined_name`);
    expect(diagnosticsOf(source)).toEqual(['3:11 SL2004 matmul inner dimensions differ: [S, D] @ [S, D]', "6:18 SL1101 unknown name 'undefined_name'"]);
  });

  it('reports an error inside a function once, however often it is called', () => {
    const source = model(`${X}\n  fn bad(t) = t @ t\n  output y = bad(x) + bad(x)`);
    expect(diagnosticsOf(source)).toEqual(['3:15 SL2004 matmul inner dimensions differ: [S, D] @ [S, D]']);
  });
});
