// The WGSL printer without a device: WGSL's no-mixing rules get their parentheses, NaN tests
// become bit tests, and the module declares bindings in the runtime's ABI order.

import { describe, expect, it } from 'vitest';
import { add, i32, f32, KernelBuilder, store } from '../../../compiler/kernel/builder.js';
import type { Expr } from '../../../compiler/kernel/ir.js';
import { kernelContext, printExpr } from '../../../targets/c-style/index.js';
import { createWgslDialect } from '../../../targets/wgsl/dialect.js';
import { printWgslKernel } from '../../../targets/wgsl/module.js';

const v = (name: string, type: 'i32' | 'f32' | 'bool' = 'i32'): Expr => ({ kind: 'var', type, name });
const bin = (op: string, a: Expr, b: Expr, type = a.type): Expr => ({ kind: 'binary', op, type, a, b } as Expr);

function printed(e: Expr): string {
  const kb = new KernelBuilder('k', []);
  return printExpr(e, createWgslDialect({ f16: false }), kernelContext(kb.finish()));
}

describe('WGSL expressions', () => {
  it('parenthesizes by precedence only where needed', () => {
    expect(printed(bin('mul', add(v('a'), v('b')), v('c')))).toBe('(a + b) * c');
    expect(printed(add(bin('mul', v('a'), v('b')), v('c')))).toBe('a * b + c');
    expect(printed(bin('sub', v('a'), bin('sub', v('b'), v('c'))))).toBe('a - (b - c)');
  });
  it('follows WGSL rules for bitwise and comparison operands', () => {
    expect(printed(bin('and', bin('lt', v('a'), v('b'), 'bool'), bin('lt', v('c'), v('d'), 'bool')))).toBe('(a < b) & (c < d)');
    expect(printed(bin('and', bin('and', v('p', 'bool'), v('q', 'bool')), v('r', 'bool')))).toBe('p & q & r');
    expect(printed(bin('eq', bin('lt', v('a'), v('b'), 'bool'), v('p', 'bool'), 'bool'))).toBe('(a < b) == p');
  });
  it('spells literals legally and tests NaN by bits', () => {
    expect(printed(i32(-2147483648))).toBe('i32(-2147483647 - 1)');
    expect(printed(f32(0.5))).toBe('0.5f');
    expect(printed(bin('ne', v('x', 'f32'), v('x', 'f32'), 'bool'))).toBe('sl_isnan_f32(x)');
  });
});

describe('WGSL modules', () => {
  it('binds uniforms at 0 and buffers from 1, read-only where read', () => {
    const kb = new KernelBuilder('scale', ['mul_1']);
    kb.buffer('x', 'f32', 'read');
    const y = kb.buffer('y', 'f32', 'write');
    const n = kb.uniform('n');
    kb.loop('i', i32(0), n, 'grid.x', (i) => kb.emit(store(y, i, { kind: 'load', type: 'f32', buffer: 'x', index: i })));
    const code = printWgslKernel(kb.finish(), { f16: false }).code;
    expect(code).toContain('// sources: mul_1');
    expect(code).toContain('@group(0) @binding(0) var<uniform> sl_u: Uniforms;');
    expect(code).toContain('@group(0) @binding(1) var<storage, read> x: array<f32>;');
    expect(code).toContain('@group(0) @binding(2) var<storage, read_write> y: array<f32>;');
    expect(code).toContain('fn scale(');
    expect(code).toContain('y[i] = x[i];');
  });
});
