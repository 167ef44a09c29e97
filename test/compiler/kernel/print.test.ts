import { describe, expect, it } from 'vitest';
import {
  add, and, comment, constant, f32, i32, ifThen, KernelBuilder, load, lt, max, mul, select, splat, store, sub, unary,
} from '../../../compiler/kernel/builder.js';
import { printExpr, printKernel, printProgram } from '../../../compiler/kernel/print.js';
import type { Program } from '../../../compiler/kernel/program.js';
import { constDim, mulDim, symDim } from '../../../compiler/ir/dim.js';

function addRelu() {
  const kb = new KernelBuilder('add_relu', ['add_3', 'relu_4']);
  const x = kb.buffer('x', 'f32', 'read');
  const y = kb.buffer('y', 'f32', 'write');
  const n = kb.uniform('n');
  kb.loop('i', i32(0), n, 'grid.x', (i) => kb.emit(store(y, i, max(load(x, i), f32(0)))));
  return kb.finish();
}

describe('printKernel', () => {
  it('prints a kernel in C-like form', () => {
    expect(printKernel(addRelu())).toBe([
      '// sources: add_3, relu_4',
      'kernel add_relu(x: f32 read, y: f32 write, n: i32 uniform) {',
      '  for grid.x i in 0..n {',
      '    y[i] = max(x[i], 0.0f);',
      '  }',
      '}',
      '',
    ].join('\n'));
  });

  it('prints loops, vectors, arrays, ifs and barriers', () => {
    const kb = new KernelBuilder('mix', []);
    kb.workgroupSize = [8, 1, 1];
    const x = kb.buffer('x', 'f32', 'read');
    const y = kb.buffer('y', 'f32', 'write');
    kb.loop('g', i32(0), kb.uniform('n'), 'grid.x', (g) => {
      const tile = kb.array('tile', 'f32', 8, 'workgroup');
      kb.loop('t', i32(0), i32(8), 'thread.x', (t) => {
        kb.emit(comment('stage'));
        kb.emit({ kind: 'array_store', array: tile, index: t, value: load(x, add(mul(g, i32(8)), t)) });
        kb.emit({ kind: 'barrier' });
        const v = kb.let('v', load(x, mul(t, i32(4)), 4));
        kb.emit(ifThen(and(lt(t, i32(4)), lt(g, i32(2))), [store(y, mul(t, i32(4)), add(v, splat(f32(1), 4)))], [store(y, t, f32(-2))]));
      });
      kb.loop('k', i32(0), i32(16), 'serial', () => {}, 4);
    });
    expect(printKernel(kb.finish())).toBe([
      'kernel mix(x: f32 read, y: f32 write, n: i32 uniform) workgroup(8, 1, 1) {',
      '  for grid.x g in 0..n {',
      '    workgroup tile: f32[8];',
      '    for thread.x t in 0..8 {',
      '      // stage',
      '      tile[t] = x[g * 8 + t];',
      '      barrier();',
      '      let v: f32x4 = x[t * 4..+4];',
      '      if (t < 4 && g < 2) {',
      '        y[t * 4..+4] = v + f32x4(1.0f);',
      '      } else {',
      '        y[t] = -2.0f;',
      '      }',
      '    }',
      '    for k in 0..16 step 4 {',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'));
  });

  it('parenthesizes by precedence only where needed', () => {
    const a = { kind: 'var', type: 'i32', name: 'a' } as const;
    const b = { kind: 'var', type: 'i32', name: 'b' } as const;
    const c = { kind: 'var', type: 'i32', name: 'c' } as const;
    expect(printExpr(mul(add(a, b), c))).toBe('(a + b) * c');
    expect(printExpr(add(mul(a, b), c))).toBe('a * b + c');
    expect(printExpr(sub(a, sub(b, c)))).toBe('a - (b - c)');
    expect(printExpr(sub(sub(a, b), c))).toBe('a - b - c');
    expect(printExpr(select(lt(a, b), a, b))).toBe('a < b ? a : b');
    expect(printExpr(unary('neg', constant('i32', -1)))).toBe('-(-1)');
    expect(printExpr(unary('exp', f32(Infinity)))).toBe('exp(inf)');
    expect(printExpr(constant('u32', 3))).toBe('3u');
  });
});

describe('printProgram', () => {
  it('lists values, kernels and dispatches', () => {
    const S = symDim('S');
    const p: Program = {
      name: 'relu',
      dims: [{ name: 'S', defaultValue: 4 }],
      values: [
        { id: 'v0', role: 'input', name: 'x', dtype: 'f32', shape: [S, constDim(7)] },
        { id: 'v1', role: 'output', name: 'y', dtype: 'f32', shape: [S, constDim(7)] },
      ],
      kernels: [addRelu()],
      dispatches: [{ kernel: 'add_relu', buffers: { x: 'v0', y: 'v1' }, uniforms: { n: mulDim(S, 7) }, grid: [mulDim(S, 7)] }],
      inputs: ['v0'],
      outputs: ['v1'],
    };
    const text = printProgram(p);
    expect(text).toContain('program relu\ndims: S=4\nvalues {\n  v0  input   x  f32  [S, 7]\n  v1  output  y  f32  [S, 7]\n}\n');
    expect(text).toContain('kernel add_relu(x: f32 read, y: f32 write, n: i32 uniform) {');
    expect(text).toContain('dispatches {\n  0: add_relu(x=v0, y=v1; n=7*S) grid [7*S]\n}\ninputs: v0; outputs: v1\n');
  });
});
