// Ops the DSL does not spell (pad, cumsum, iota, dim_values), program outputs that need
// copies, and refusals: built with GraphBuilder, checked against the Graph IR interpreter.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim, mulDim, type Dim } from '../../../compiler/ir/dim.js';
import type { Node } from '../../../compiler/ir/node.js';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { expectLoweringMatches } from './harness.js';

const SIZES = [1, 7, 129];

function build(f: (b: GraphBuilder, n: Dim) => void) {
  const b = new GraphBuilder('T');
  const n = b.declareDim('N');
  f(b, n);
  const { graph, diagnostics } = b.finish();
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}

const c = (n: number): Dim => constDim(n);

describe('lowering more ops', () => {
  it('pad in every mode, with crops', () => {
    const g = build((b, n) => {
      const x = b.input('x', 'f32', [n, c(5)]);
      const v = b.scalar(-2.5, 'f32');
      b.output('constant', b.op('pad', [x, v], { mode: 'constant', pads: [c(1), c(2), c(0), c(3)], hasValue: true }));
      b.output('zero', b.op('pad', [b.op('exp', [x], {})], { mode: 'constant', pads: [c(0), c(-1), c(2), c(1)], hasValue: false }));
      b.output('edge', b.op('pad', [x], { mode: 'edge', pads: [c(2), c(1), c(1), c(2)], hasValue: false }));
      b.output('reflect', b.op('pad', [x], { mode: 'reflect', pads: [c(0), c(3), c(0), c(4)], hasValue: false }));
      b.output('wrap', b.op('pad', [x], { mode: 'wrap', pads: [c(1), c(6), c(0), c(7)], hasValue: false }));
    });
    for (const n of SIZES) expectLoweringMatches(g, { N: n }, n);
  });

  it('cumsum forwards, reversed and exclusive', () => {
    const g = build((b, n) => {
      const x = b.input('x', 'f32', [c(3), n, c(4)]);
      const i = b.input('i', 'i32', [n]);
      b.output('a', b.op('cumsum', [x], { axis: 1, exclusive: false, reverse: false }));
      b.output('b', b.op('cumsum', [b.op('mul', [x, x], {})], { axis: 2, exclusive: true, reverse: true }));
      b.output('c', b.op('cumsum', [i], { axis: 0, exclusive: false, reverse: true }));
    });
    for (const n of SIZES) expectLoweringMatches(g, { N: n }, n);
  });

  it('iota and dim_values feeding elementwise ops', () => {
    const g = build((b, n) => {
      const x = b.input('x', 'f32', [n]);
      const io = b.op('iota', [], { count: n, dtype: 'f32' });
      b.output('a', b.op('add', [x, io], {}));
      b.output('shape', b.op('dim_values', [], { values: [n, mulDim(n, 3), c(4)], scalar: false }));
      b.output('size', b.op('dim_values', [], { values: [mulDim(n, 2)], scalar: true }));
      b.output('ramp', b.op('iota', [], { count: c(6), dtype: 'i64' }));
    });
    for (const n of SIZES) expectLoweringMatches(g, { N: n }, n);
  });

  it('outputs that are inputs, params, views or named twice get their own buffers', () => {
    const g = build((b, n) => {
      const x = b.input('x', 'f32', [n, c(3)]);
      const w = b.param('w', 'f32', [c(3)]);
      const y = b.op('tanh', [x], {});
      b.output('same', x);
      b.output('weight', w);
      b.output('y', y);
      b.output('y_again', y);
      b.output('yt', b.op('transpose', [y], { perm: [1, 0] }));
      b.output('k', b.constant({ dtype: 'f32', shape: [2], data: new Float32Array([1, 2]) }));
    });
    for (const n of SIZES) expectLoweringMatches(g, { N: n }, n);
  });

  it('refuses a dtype no kernel buffer can hold with SL4001 naming the op and the dtype', () => {
    const g = build((b, n) => {
      const x = b.input('x', 'f32', [n, c(8)]);
      b.output('packed', b.op('cast', [x], { to: 'i4' }) as Node);
    });
    try {
      lowerProgram(g, WASM_TARGET);
      expect.fail('expected a diagnostic');
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      const d = (e as DiagnosticError).diagnostics[0]!;
      expect(d.code).toBe(4001);
      expect(d.message).toBe("op 'cast' has no kernel lowering for target wasm yet (dtype i4 cannot live in a kernel buffer)");
    }
  });
});
