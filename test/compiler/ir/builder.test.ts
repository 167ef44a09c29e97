import { describe, expect, it } from 'vitest';
import { GraphBuilder, isPoison } from '../../../compiler/ir/builder.js';
import { divDim, symDim, constDim, printShape } from '../../../compiler/ir/dim.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { printGraph } from '../../../compiler/ir/printer.js';
import { tensor } from '../../../compiler/interpret/tensor.js';

function block() {
  const b = new GraphBuilder('T');
  const S = b.declareDim('S');
  const D = b.declareDim('D', 64);
  const H = b.declareDim('H', 4);
  const x = b.input('x', 'f32', [S, D]);
  const w = b.param('w', 'f32', [D, D]);
  return { b, S, D, H, x, w };
}

describe('GraphBuilder', () => {
  it('infers types through a chain of ops', () => {
    const { b, S, D, H, x, w } = block();
    const q = b.op('matmul', [x, w], {});
    expect(printShape(q.shape)).toBe('[S, D]');
    const r = b.op('reshape', [q], { shape: [S, H, divDim(D, H)] });
    const t = b.op('transpose', [r], { perm: [1, 0, 2] });
    expect(printShape(t.shape)).toBe('[H, S, D/H]');
    const a = b.op('attention', [t, t, t], { causal: true, scale: undefined, hasMask: false });
    expect(printShape(a.shape)).toBe('[H, S, D/H]');
    const back = b.op('reshape', [b.op('transpose', [a], { perm: [1, 0, 2] })], { shape: [S, D] });
    expect(printShape(back.shape)).toBe('[S, D]');
    const s = b.op('reduce_sum', [back], { axes: [1], keepdims: true });
    expect(printShape(s.shape)).toBe('[S, 1]');
    const c = b.op('lt', [s, b.scalar(0, 'f32')], {});
    expect(c.dtype).toBe('bool');
    b.output('y', back);
    const { graph, diagnostics } = b.finish();
    expect(diagnostics).toEqual([]);
    expect(verifyGraph(graph!)).toEqual([]);
  });

  it('interns structurally equal nodes', () => {
    const { b, x, w } = block();
    expect(b.op('matmul', [x, w], {})).toBe(b.op('matmul', [x, w], {}));
    expect(b.scalar(2, 'f32')).toBe(b.scalar(2, 'f32'));
    expect(b.scalar(2, 'f32')).not.toBe(b.scalar(2, 'f16'));
    expect(b.op('reduce_sum', [x], { axes: [1], keepdims: true })).not.toBe(b.op('reduce_sum', [x], { axes: [1], keepdims: false }));
  });

  it('reports shape errors with their codes and returns poison that stays quiet', () => {
    const { b, x } = block();
    const v = b.param('v', 'f32', [constDim(3), constDim(5)]);
    const bad = b.op('matmul', [x, v], {});
    expect(isPoison(bad)).toBe(true);
    expect(isPoison(b.op('exp', [bad], {}))).toBe(true);
    expect(b.diagnostics.map((d) => [d.code, d.message])).toEqual([[2004, 'matmul inner dimensions differ: [S, D] @ [3, 5]']]);
    b.op('add', [x, b.param('u', 'f32', [constDim(7)])], {});
    expect(b.diagnostics[1]!.code).toBe(2003);
    expect(b.diagnostics[1]!.message).toBe('cannot broadcast shapes [S, D] and [7]');
    b.op('add', [x, b.scalar(1, 'i32')], {});
    expect(b.diagnostics[2]!.code).toBe(2002);
    const { graph } = b.finish();
    expect(graph).toBeUndefined();
  });

  it('checks attention shapes: grouped heads, head dims, masks', () => {
    const b = new GraphBuilder('A');
    const q = b.input('q', 'f32', [constDim(8), symDim('S'), constDim(16)].map((d) => d));
    b.declareDim('S');
    const k = b.input('k', 'f32', [constDim(3), symDim('S'), constDim(16)]);
    b.op('attention', [q, k, k], { causal: false, scale: undefined, hasMask: false });
    expect(b.diagnostics[0]!.code).toBe(2008);
    const k2 = b.input('k2', 'f32', [constDim(2), symDim('S'), constDim(8)]);
    b.op('attention', [q, k2, k2], { causal: false, scale: undefined, hasMask: false });
    expect(b.diagnostics[1]!.message).toContain('head dims differ');
    const k4 = b.input('k4', 'f32', [constDim(4), symDim('S'), constDim(16)]);
    const m = b.input('m', 'bool', [constDim(3), symDim('S')]);
    b.op('attention', [q, k4, k4, m], { causal: false, scale: undefined, hasMask: true });
    expect(b.diagnostics[2]!.message).toContain('does not broadcast to the scores [8, S, S]');
    const ok = b.op('attention', [q, k4, k4, b.input('m2', 'bool', [symDim('S'), symDim('S')])], { causal: true, scale: 0.5, hasMask: true });
    expect(printShape(ok.shape)).toBe('[8, S, 16]');
  });

  it('refuses duplicate names', () => {
    const { b, S } = block();
    b.input('x', 'f32', [S]);
    b.declareDim('S');
    expect(b.diagnostics.map((d) => d.code)).toEqual([1102, 1102]);
  });

  it('prints a readable graph', () => {
    const { b, x, w } = block();
    const y = b.op('mul', [b.op('matmul', [x, w], {}), b.scalar(0.5, 'f32')], {});
    b.output('y', b.op('softmax', [y], { axis: 1 }));
    b.output('c', b.constant(tensor('i32', [3], [1, 2, 3])));
    expect(printGraph(b.finish().graph!)).toBe(
      [
        'graph T(S, D = 64, H = 4) {',
        '  input x: f32[S, D]',
        '  param w: f32[D, D]',
        '  %0: f32[S, D] = matmul(x, w)',
        '  %1: f32[S, D] = mul(%0, 0.5:f32)',
        '  %2: f32[S, D] = softmax(%1) {axis: 1}',
        '  %3: i32[3] = constant [1, 2, 3]',
        '  output y = %2',
        '  output c = %3',
        '}',
      ].join('\n'),
    );
  });
});

describe('verifyGraph', () => {
  it('finds nodes whose type disagrees with inference and undeclared dims', () => {
    const { b, x } = block();
    const e = b.op('exp', [x], {});
    b.output('y', e);
    const graph = b.finish().graph!;
    // Forge a broken node the builder would never make.
    const forged = { ...e, shape: [symDim('Q')] } as typeof e;
    const broken = { ...graph, outputs: [{ name: 'y', node: forged }] };
    const problems = verifyGraph(broken);
    expect(problems.some((p) => p.includes('differs from inferred') && p.includes('[inferred-type]'))).toBe(true);
    expect(problems.some((p) => p.includes('undeclared dims Q'))).toBe(true);
  });
});
