import { describe, expect, it } from 'vitest';
import { parseModule, printModule } from '../../dsl/index.js';
import { tokenize } from '../../dsl/lexer.js';
import { brief, fixture, printed } from './helpers.js';

describe('lexer', () => {
  const kinds = (text: string) => tokenize({ path: 't', text }).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

  it('lexes keywords, names that start with keywords, numbers and operators', () => {
    expect(kinds('let letter = 1e-5 ** .5 @ x_1 <= "s\\"q"')).toEqual([
      'LetKeyword:let', 'Identifier:letter', 'Assign:=', 'NumberLiteral:1e-5', 'StarStar:**',
      'NumberLiteral:.5', 'At:@', 'Identifier:x_1', 'LessEq:<=', 'StringLiteral:"s\\"q"',
    ]);
  });

  it('skips line and block comments', () => {
    expect(kinds('a // one\n/* two\n three */ b')).toEqual(['Identifier:a', 'Identifier:b']);
  });

  it('keeps going after a bad character', () => {
    const r = tokenize({ path: 't', text: 'a $ b' });
    expect(r.tokens.map((t) => t.image)).toEqual(['a', 'b']);
    expect(r.diagnostics.map(brief)).toEqual(["1:3 SL1001 unexpected character '$'"]);
  });
});

describe('expression precedence', () => {
  it.each([
    ['a + b * c @ d ** 2', '(+ a (@ (* b c) (** d 2)))'],
    ['a - b - c', '(- (- a b) c)'],
    ['a / b * c', '(* (/ a b) c)'],
    ['a ** b ** c', '(** a (** b c))'],
    ['-x ** 2', '(neg (** x 2))'],
    ['2 ** -x', '(** 2 (neg x))'],
    ['--x', '(neg (neg x))'],
    ['a + b == c * d', '(== (+ a b) (* c d))'],
    ['a < b', '(< a b)'],
    ['(a + b) * c', '(* (+ a b) c)'],
    ['x.T @ w', '(@ x.T w)'],
    ['-x.T', '(neg x.T)'],
    ['f(x)[0].T ** 2', '(** f(x)[0].T 2)'],
  ])('%s', (src, expected) => {
    expect(printed(src)).toBe(expected);
  });
});

describe('atoms, calls and subscripts', () => {
  it.each([
    ['softmax(x, axis: -1)', 'softmax(x, axis: (neg 1))'],
    ['concat([a, b], axis: 0)', 'concat([a, b], axis: 0)'],
    ['gelu(x, approximate: "tanh")', 'gelu(x, approximate: "tanh")'],
    ['attention(q, k, v, causal: true)', 'attention(q, k, v, causal: true)'],
    ['f()', 'f()'],
    ['[]', '[]'],
    ['x[1:, :-1, ::2, i, a:b:c, :]', 'x[1:, :(neg 1), ::2, i, a:b:c, :]'],
    ['1e-5 + 0.5 + 3', '(+ (+ 1e-5 0.5) 3)'],
    ['false', 'false'],
  ])('%s', (src, expected) => {
    expect(printed(src)).toBe(expected);
  });

  it('a comparison does not chain', () => {
    const { diagnostics } = parseModule('model M() { output o = a < b < c }', 't.sluice');
    expect(diagnostics.map(brief)).toEqual(['1:30 SL1002 comparisons do not chain: compare two values at a time, as in (a < b)']);
  });
});

describe('declarations', () => {
  it('parses the Block fixture', () => {
    const { ast, diagnostics } = parseModule(fixture('block.sluice'), 'block.sluice');
    expect(diagnostics).toEqual([]);
    expect(printModule(ast!)).toBe(
      [
        'model Block(S, D = 256, H = 8, KV = 2, F = 1024)',
        '  let Dh = (/ D H)',
        '  input x: f32[S, D]',
        '  param norm1: f32[D]',
        '  param wq: f32[D, D]',
        '  param wk: f32[D, (* KV Dh)]',
        '  param wv: f32[D, (* KV Dh)]',
        '  param wo: f32[D, D]',
        '  param norm2: f32[D]',
        '  param w_gate: f32[D, F]',
        '  param w_up: f32[D, F]',
        '  param w_down: f32[F, D]',
        '  fn silu(t) = (* t sigmoid(t))',
        '  let h = rmsnorm(x, norm1)',
        '  let a = attention(heads((@ h wq), H), heads((@ h wk), KV), heads((@ h wv), KV), causal: true)',
        '  let x1 = (+ x (@ merge_heads(a) wo))',
        '  let g = rmsnorm(x1, norm2)',
        '  output y = (+ x1 (@ (* silu((@ g w_gate)) (@ g w_up)) w_down))',
      ].join('\n'),
    );
  });

  it('parses top-level and block-bodied functions and typed outputs', () => {
    const { ast, diagnostics } = parseModule(fixture('mlp.sluice'), 'mlp.sluice');
    expect(diagnostics).toEqual([]);
    expect(printModule(ast!)).toBe(
      [
        'fn gelu_mlp(t, w1, b1, w2) { let hidden = gelu((+ (@ t w1) b1), approximate: "tanh"); return (@ hidden w2) }',
        'model Mlp(B, D = 64, F = 256)',
        '  input x: f16[B, D]',
        '  param w1: f16[D, F]',
        '  param b1: f16[F]',
        '  param w2: f16[F, D]',
        '  output y: f16[B, D] = (+ (* gelu_mlp(x, w1, b1, w2) 0.5) x)',
      ].join('\n'),
    );
  });

  it('parses scalars, empty headers and several models', () => {
    const { ast, diagnostics } = parseModule('model A() { input s: f32[] output o = s }\nmodel B(N) { output o = 1 }', 't.sluice');
    expect(diagnostics).toEqual([]);
    expect(printModule(ast!)).toBe(['model A()', '  input s: f32[]', '  output o = s', 'model B(N)', '  output o = 1'].join('\n'));
  });

  it('takes optional semicolons and comments anywhere', () => {
    const source = 'model M(S) { /* a */ input x: f32[S]; // b\n fn f(t) { let u = t * 2; return u; }; output y = f(x); }';
    const { ast, diagnostics } = parseModule(source, 't.sluice');
    expect(diagnostics).toEqual([]);
    expect(printModule(ast!)).toBe(['model M(S)', '  input x: f32[S]', '  fn f(t) { let u = (* t 2); return u }', '  output y = f(x)'].join('\n'));
  });

  it('records byte ranges on nodes', () => {
    const src = 'model M() { output o = a + bb }';
    const out = parseModule(src, 't.sluice').ast!.models[0]!.body[0]!;
    expect(out.kind === 'Output' && src.slice(out.value.span.start, out.value.span.start + out.value.span.length)).toBe('a + bb');
  });
});
