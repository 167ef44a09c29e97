import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { printGraph } from '../../../compiler/ir/printer.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { foldConstants } from '../../../compiler/passes/fold-constants.js';
import { simplify } from '../../../compiler/passes/simplify.js';
import { graphPasses, runPasses } from '../../../compiler/passes/pipeline.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';

function opsOf(g: Graph): string[] {
  return printGraph(g).split('\n').filter((l) => l.includes(' = ') && !l.trim().startsWith('output')).map((l) => /^\w+/.exec(l.split(' = ')[1]!)![0]);
}

function sameResults(before: Graph, after: Graph, inputs: Map<string, ReturnType<typeof randomTensor>>): void {
  const a = interpret(before, inputs).outputs;
  const b = interpret(after, inputs).outputs;
  for (const [name, t] of a) expect(toNumbers(b.get(name)!)).toEqual(toNumbers(t));
}

describe('fold-constants', () => {
  it('evaluates ops on constants and leaves the rest', () => {
    const b = new GraphBuilder('F');
    const N = b.declareDim('N');
    const x = b.input('x', 'f32', [N, constDim(3)]);
    const c = b.op('exp', [b.op('mul', [b.constant(tensor('f32', [3], [1, 2, 3])), b.scalar(2, 'f32')], {})], {});
    b.output('y', b.op('add', [x, c], {}));
    const g = b.finish().graph!;
    const folded = foldConstants(g);
    expect(verifyGraph(folded)).toEqual([]);
    expect(opsOf(folded)).toEqual(['constant', 'add']);
    sameResults(g, folded, new Map([['x', randomTensor('f32', [7, 3], 4)]]));
  });
  it('leaves ops whose attributes hold symbolic dims (known only at run time)', () => {
    const b = new GraphBuilder('F');
    const N = b.declareDim('N');
    const x = b.input('x', 'f32', [N, constDim(3)]);
    const n = b.op('cast', [b.op('dim_values', [], { values: [N], scalar: true })], { to: 'f32' });
    b.output('y', b.op('mul', [x, n], {}));
    const g = b.finish().graph!;
    const folded = foldConstants(g);
    expect(opsOf(folded)).toContain('dim_values');
    sameResults(g, folded, new Map([['x', randomTensor('f32', [7, 3], 5)]]));
  });
});

describe('simplify', () => {
  it('removes identities and composes transposes and reshapes', () => {
    const b = new GraphBuilder('S');
    const N = b.declareDim('N');
    const x = b.input('x', 'f32', [N, constDim(4), constDim(6)]);
    let y = b.op('mul', [x, b.scalar(1, 'f32')], {});
    y = b.op('div', [y, b.scalar(1, 'f32')], {});
    y = b.op('transpose', [y], { perm: [2, 0, 1] });
    y = b.op('transpose', [y], { perm: [1, 2, 0] }); // composes to the identity
    y = b.op('reshape', [b.op('reshape', [y], { shape: [N, constDim(24)] })], { shape: [N, constDim(6), constDim(4)] });
    y = b.op('cast', [y], { to: 'f32' });
    y = b.op('add', [y, b.scalar(-0, 'f32')], {});
    const z = b.op('add', [x, b.scalar(0, 'f32')], {}); // +0 is not an identity for -0: kept
    b.output('y', y);
    b.output('z', z);
    const g = b.finish().graph!;
    const s = simplify(g);
    expect(verifyGraph(s)).toEqual([]);
    expect(opsOf(s)).toEqual(['reshape', 'add']);
    sameResults(g, s, new Map([['x', randomTensor('f32', [7, 4, 6], 5)]]));
  });

  it('keeps a broadcasting multiply by one, which changes the shape', () => {
    const b = new GraphBuilder('S');
    const x = b.input('x', 'f32', [constDim(3)]);
    b.output('y', b.op('mul', [x, b.constant(tensor('f32', [2, 3], [1, 1, 1, 1, 1, 1]))], {}));
    expect(opsOf(simplify(b.finish().graph!))).toEqual(['constant', 'mul']);
  });
});

describe('runPasses', () => {
  it('runs, times and verifies every pass, and stops where asked', () => {
    const b = new GraphBuilder('P');
    const x = b.input('x', 'f32', [constDim(2)]);
    b.output('y', b.op('mul', [x, b.op('add', [b.scalar(0.5, 'f32'), b.scalar(0.5, 'f32')], {})], {}));
    const g = b.finish().graph!;
    const all = runPasses(g, graphPasses(), { verify: true });
    expect(all.timings.map((t) => t.name)).toEqual(['fold-constants', 'simplify', 'fuse-attention']);
    expect(opsOf(all.graph)).toEqual([]);
    const first = runPasses(g, graphPasses(), { stopAfter: 'fold-constants' });
    expect(opsOf(first.graph)).toEqual(['mul']);
  });
});
