// Lowering: the Graph IR each construct becomes, its shapes and dtypes, and (through the
// reference interpreter) what slicing and the head reshuffles compute.

import { describe, expect, it } from 'vitest';
import { printShape } from '../../compiler/ir/dim.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { printGraph } from '../../compiler/ir/printer.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { tensor, toNumbers } from '../../compiler/interpret/tensor.js';
import { compile, fixture, model } from './helpers.js';

function graphOf(source: string): Graph {
  const { graph, diagnostics } = compile(source);
  expect(diagnostics).toEqual([]);
  return graph!;
}

/** `name: dtype[shape]` of every output. */
function outputTypes(source: string): string[] {
  return graphOf(source).outputs.map((o) => `${o.name}: ${o.node.dtype}${printShape(o.node.shape)}`);
}

/** The body lines of the printed graph (no header, sources or closing brace). */
function bodyOf(source: string): string[] {
  return printGraph(graphOf(source))
    .split('\n')
    .filter((l) => /^ {2}(%|output)/.test(l))
    .map((l) => l.trim());
}

describe('the Block model', () => {
  const block = graphOf(fixture('block.sluice'));

  it('has output y: f32[S, D]', () => {
    expect(block.outputs.map((o) => `${o.name}: ${o.node.dtype}${printShape(o.node.shape)}`)).toEqual(['y: f32[S, D]']);
  });

  it('declares the header dims with their defaults', () => {
    expect(block.dims).toEqual([{ name: 'S' }, { name: 'D', defaultValue: 256 }, { name: 'H', defaultValue: 8 }, { name: 'KV', defaultValue: 2 }, { name: 'F', defaultValue: 1024 }]);
  });

  it('uses the let-bound dim Dh = D / H in parameter shapes', () => {
    expect(block.params.map((p) => `${p.attrs.name}${printShape(p.shape)}`).slice(0, 4)).toEqual(['norm1[D]', 'wq[D, D]', 'wk[D, D*KV/H]', 'wv[D, D*KV/H]']);
  });

  it('splits heads to [H, S, D/H] and [KV, S, D/H] for attention', () => {
    const lines = printGraph(block).split('\n');
    expect(lines.filter((l) => l.includes('attention('))).toEqual(['  %10: f32[H, S, D/H] = attention(%3, %6, %9) {causal: true, hasMask: false}']);
  });

  it('inlines the user function silu', () => {
    const lines = printGraph(block).split('\n').map((l) => l.trim());
    expect(lines).toContain('%17: f32[S, F] = sigmoid(%16)');
    expect(lines).toContain('%18: f32[S, F] = mul(%16, %17)');
  });

  it('runs in the reference interpreter', () => {
    const dims = { S: 3, D: 8, H: 2, KV: 1, F: 16 };
    const fill = (shape: number[], seed: number) => tensor('f32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.7 + seed) * 0.3));
    const weights = new Map(block.params.map((p, i) => [p.attrs.name, fill(p.shape.map((d) => evalShapeDim(d.key, dims)), i)]));
    const result = interpret(block, new Map([['x', fill([3, 8], 99)]]), weights, { dims: new Map(Object.entries(dims)) });
    expect(result.outputs.get('y')!.shape).toEqual([3, 8]);
  });
});

/** Evaluates printed dims like `D*KV/H` for the test above. */
function evalShapeDim(key: string, env: Record<string, number>): number {
  return Function(...Object.keys(env), `return ${key}`)(...Object.values(env)) as number;
}

describe('the other fixtures', () => {
  it('mlp: a top-level function, f16 weak literals and a checked output type', () => {
    expect(outputTypes(fixture('mlp.sluice'))).toEqual(['y: f16[B, D]']);
  });

  it('classifier: subscripts, reductions, overloads, where and .T', () => {
    expect(outputTypes(fixture('classifier.sluice'))).toEqual([
      'best_class: i64[B]',
      'confidence: f32[B]',
      'clipped: f32[B, floordiv(C+1,2)]',
      'masked: f32[T, B]',
    ]);
  });
});

describe('declarations', () => {
  it('a warning does not stop the graph', () => {
    const { graph, diagnostics } = compile(model('  input x: f32[S]\n  input unused: f32[S]\n  output y = x'));
    expect(diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(graph?.inputs.map((i) => i.attrs.name)).toEqual(['x', 'unused']);
  });

  it('a let of dims and integers is a dim; the output checks its declared type', () => {
    expect(outputTypes(model('  let Dh = D / 2\n  let n = (Dh + 1) * 2 - 2\n  input x: f32[S, n]\n  output y: f32[S, D] = x'))).toEqual(['y: f32[S, D]']);
  });

  it('scalars and integer dims', () => {
    expect(outputTypes(model('  input s: f32[]\n  input x: i64[3, D]\n  output y = s\n  output z = x'))).toEqual(['y: f32[]', 'z: i64[3, D]']);
  });

  it('outputs can be used by later expressions', () => {
    expect(bodyOf(model('  input x: f32[S, D]\n  output a = exp(x)\n  output b = a + 1'))).toEqual([
      '%0: f32[S, D] = exp(x)',
      '%1: f32[S, D] = add(%0, 1:f32)',
      'output a = %0',
      'output b = %1',
    ]);
  });

  it('functions: block bodies, top-level functions, named arguments, calls in any order', () => {
    const source = `fn twice(t) = t + t\nmodel M(S) {\n  input x: f32[S]\n  fn f(a, b) { let c = a * b\n return g(c) }\n  fn g(t) = twice(t)\n  output y = f(b: 2.0, a: x)\n}`;
    expect(bodyOf(source)).toEqual(['%0: f32[S] = mul(x, 2:f32)', '%1: f32[S] = add(%0, %0)', 'output y = %1']);
  });

  it('a function body sees the model names', () => {
    expect(bodyOf(model('  input x: f32[S, D]\n  param w: f32[D, D]\n  fn proj(t) = t @ w\n  output y = proj(x)'))).toEqual(['%0: f32[S, D] = matmul(x, w)', 'output y = %0']);
  });
});

describe('weak-typed literals', () => {
  it.each([
    ['x * 0.5 with x f16', 'f16[S, D]', 'x * 0.5', ['%0: f16[S, D] = mul(x, 0.5:f16)']],
    ['2 - x', 'f16[S, D]', '2 - x', ['%0: f16[S, D] = sub(2:f16, x)']],
    ['integer tensor times an integer', 'i32[S]', 'x * 2', ['%0: i32[S] = mul(x, 2:i32)']],
    ['integer tensor times a fraction becomes f32', 'i32[S]', 'x * 0.5', ['%0: f32[S] = cast(x) {to: "f32"}', '%1: f32[S] = mul(%0, 0.5:f32)']],
    ['a constant dim is a literal', 'f32[S]', 'x * (2 * 3)', ['%0: f32[S] = mul(x, 6:f32)']],
    ['where takes the branch dtype', 'f16[S]', 'where(x > 0, x, 0)', ['%0: bool[S] = gt(x, 0:f16)', '%1: f16[S] = where(%0, x, 0:f16)']],
    ['pow', 'f32[S]', 'x ** 2', ['%0: f32[S] = pow(x, 2:f32)']],
  ])('%s', (_, type, expr, expected) => {
    expect(bodyOf(model(`  input x: ${type}\n  output y = ${expr}`))).toEqual([...expected, `output y = %${expected.length - 1}`]);
  });

  it('a literal alone is an f32 (or bool) scalar', () => {
    expect(outputTypes(model('  output a = 2.5\n  output b = 1 + 2\n  output c = true'))).toEqual(['a: f32[]', 'b: f32[]', 'c: bool[]']);
  });
});

describe('shape builtins', () => {
  it.each([
    ['heads', 'f32[S, 8]', 'heads(x, 2)', 'f32[2, S, 4]'],
    ['heads with batch', 'f32[B, S, D]', 'heads(x, H)', 'f32[B, H, S, D/H]'],
    ['merge_heads', 'f32[B, H, S, K]', 'merge_heads(x)', 'f32[B, S, H*K]'],
    ['.T', 'f32[B, S, D]', 'x.T', 'f32[B, D, S]'],
    ['transpose default', 'f32[B, S, D]', 'transpose(x)', 'f32[B, D, S]'],
    ['transpose perm', 'f32[B, S, D]', 'transpose(x, [2, 0, -2])', 'f32[D, B, S]'],
    ['reshape with -1', 'f32[S, D]', 'reshape(x, [-1, 2])', 'f32[D*S/2, 2]'],
    ['expand', 'f32[1, D]', 'expand(x, [S, D])', 'f32[S, D]'],
    ['squeeze default', 'f32[1, S, 1]', 'squeeze(x)', 'f32[S]'],
    ['unsqueeze negative', 'f32[S, D]', 'unsqueeze(x, [-1])', 'f32[S, D, 1]'],
    ['concat variadic', 'f32[S, D]', 'concat(x, x, axis: -1)', 'f32[S, 2*D]'],
    ['concat list', 'f32[S, D]', 'concat([x, x, x])', 'f32[3*S, D]'],
    ['slice builtin', 'f32[S, D]', 'slice(x, axis: 1, start: 1, end: D)', 'f32[S, D-1]'],
    ['sum over all axes', 'f32[S, D]', 'sum(x)', 'f32[]'],
    ['mean keepdims', 'f32[S, D]', 'mean(x, axes: -1, keepdims: true)', 'f32[S, 1]'],
    ['max reduction', 'f32[S, D]', 'max(x, axes: [0])', 'f32[D]'],
    ['max elementwise', 'f32[S, D]', 'max(x, 0)', 'f32[S, D]'],
    ['min of one tensor reduces', 'f32[S, D]', 'min(x)', 'f32[]'],
    ['argmax', 'f32[S, D]', 'argmax(x)', 'i64[S]'],
    ['softmax', 'f32[S, D]', 'softmax(x, axis: 0)', 'f32[S, D]'],
    ['layernorm', 'f32[S, D]', 'layernorm(x, eps: 1e-6)', 'f32[S, D]'],
    ['cast', 'f32[S, D]', 'cast(x, to: "f16")', 'f16[S, D]'],
    ['gelu tanh', 'f32[S, D]', 'gelu(x, approximate: "tanh")', 'f32[S, D]'],
    ['comparison', 'f32[S, D]', 'x >= 1', 'bool[S, D]'],
    ['not', 'bool[S]', 'not(x)', 'bool[S]'],
    ['gather', 'f32[S, D]', 'gather(x, 0)', 'f32[D]'],
    ['attention with a mask', 'f32[H, S, D]', 'attention(x, x, x, true, scale: 0.5)', 'f32[H, S, D]'],
  ])('%s', (_, type, expr, expected) => {
    expect(outputTypes(model(`  input x: ${type}\n  output y = ${expr}`, 'B, S, D, H, K'))).toEqual([`y: ${expected}`]);
  });

  it('normalises negative axes in attributes', () => {
    expect(bodyOf(model('  input x: f32[S, D]\n  output y = sum(x, axes: [-1, 0])'))).toEqual(['%0: f32[] = reduce_sum(x) {axes: [0, 1], keepdims: false}', 'output y = %0']);
  });

  it('heads then merge_heads gives the input back', () => {
    const g = graphOf(model('  input x: f32[S, D]\n  output y = merge_heads(heads(x, 2))'));
    const x = tensor('f32', [3, 4], [...Array(12).keys()]);
    expect(toNumbers(interpret(g, new Map([['x', x]])).outputs.get('y')!)).toEqual(toNumbers(x));
  });

  it('heads puts each head in its own block', () => {
    const g = graphOf(model('  input x: f32[S, D]\n  output y = heads(x, 2)'));
    const x = tensor('f32', [2, 4], [0, 1, 2, 3, 4, 5, 6, 7]);
    // rows [0 1 | 2 3], [4 5 | 6 7] → head 0: [[0 1], [4 5]], head 1: [[2 3], [6 7]]
    expect(toNumbers(interpret(g, new Map([['x', x]])).outputs.get('y')!)).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
  });
});

describe('subscripts', () => {
  const v = [...Array(6).keys()]; // 0..5
  it.each([
    ['x[1:4]', v.slice(1, 4)],
    ['x[-2:]', v.slice(-2)],
    ['x[:-1]', v.slice(0, -1)],
    ['x[::2]', [0, 2, 4]],
    ['x[1::2]', [1, 3, 5]],
    ['x[::-1]', [5, 4, 3, 2, 1, 0]],
    ['x[4:1:-2]', [4, 2]],
    ['x[-10:100]', v],
    ['x[3:1]', []],
  ])('%s on 0..5', (expr, expected) => {
    const g = graphOf(model(`  input x: f32[6]\n  output y = ${expr}`, ''));
    expect(toNumbers(interpret(g, new Map([['x', tensor('f32', [6], v)]])).outputs.get('y')!)).toEqual(expected);
  });

  it('integer indices drop axes; dims work as bounds', () => {
    expect(outputTypes(model('  input x: f32[S, D, 8]\n  let Dh = D / 2\n  output a = x[0]\n  output b = x[:, :Dh, -1]\n  output c = x[S - 1, 1:]', 'S, D'))).toEqual([
      'a: f32[D, 8]',
      'b: f32[S, D/2]',
      'c: f32[D-1, 8]',
    ]);
  });

  it('a whole-axis subscript adds no op', () => {
    expect(bodyOf(model('  input x: f32[S, D]\n  output y = x[:, 0:D:1] + 1'))).toEqual(['%0: f32[S, D] = add(x, 1:f32)', 'output y = %0']);
  });
});

describe('the wider dtypes in the DSL', () => {
  it('declares f64 inputs, gives literals their dtype, and runs in f64', () => {
    const g = graphOf(model('  input x: f64[3]\n  input z: u64[2]\n  output y = x + 0.2\n  output w = z * 3\n  output c = cast(x, to: "f8e4m3fn")', ''));
    expect(outputTypes(model('  input x: f64[3]\n  output y = x * 2'))).toEqual(['y: f64[3]']);
    const out = interpret(g, new Map([['x', tensor('f64', [3], [0.1, 1, 500])], ['z', tensor('u64', [2], [2n ** 63n, 5n])]])).outputs;
    expect(out.get('y')!.dtype).toBe('f64');
    expect(toNumbers(out.get('y')!)).toEqual([0.30000000000000004, 1.2, 500.2]);
    expect([...out.get('w')!.data]).toEqual([2n ** 63n, 15n]);
    expect(toNumbers(out.get('c')!)).toEqual([0.1015625, 1, 448]);
  });

  it('accepts every dtype name as a type', () => {
    for (const dtype of ['f64', 'bf16', 'f8e4m3fn', 'f8e4m3fnuz', 'f8e5m2', 'f8e5m2fnuz', 'f8e8m0', 'f4e2m1', 'i16', 'u16', 'u32', 'u64', 'i4', 'u4', 'i2', 'u2']) {
      expect(outputTypes(model(`  input x: ${dtype}[2]\n  output y = x`)), dtype).toEqual([`y: ${dtype}[2]`]);
    }
  });
});
