import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim, symDim, type Dim } from '../../../compiler/ir/dim.js';
import type { Node } from '../../../compiler/ir/node.js';
import { stridedView } from '../../../compiler/lower/view.js';
import { expectLoweringMatches, graphOf } from './harness.js';

const c = (n: number): Dim => constDim(n);
const keys = (ds: readonly Dim[]): string[] => ds.map((d) => d.key);

describe('stridedView', () => {
  const b = new GraphBuilder('V');
  const S = b.declareDim('S');
  const x = b.input('x', 'f32', [S, c(12)]);
  const base = (n: Node): boolean => n === x;

  it('describes transposes, slices, expands, squeezes and unsqueezes', () => {
    const t = b.op('transpose', [x], { perm: [1, 0] });
    expect(keys(stridedView(t, base)!.strides)).toEqual(['1', '12']);
    const s = b.op('slice', [x], { axes: [1], starts: [c(2)], steps: [3], counts: [c(3)] });
    const sv = stridedView(s, base)!;
    expect(keys(sv.strides)).toEqual(['12', '3']);
    expect(sv.offset.key).toBe('2');
    const u = b.op('unsqueeze', [x], { axes: [0] });
    const e = b.op('expand', [u], { shape: [c(5), S, c(12)] });
    expect(keys(stridedView(e, base)!.strides)).toEqual(['0', '12', '1']);
    expect(keys(stridedView(b.op('squeeze', [u], { axes: [0] }), base)!.strides)).toEqual(['12', '1']);
  });

  it('reshapes contiguous dims and refuses to merge transposed ones', () => {
    const r = b.op('reshape', [x], { shape: [S, c(3), c(4)] });
    expect(keys(stridedView(r, base)!.strides)).toEqual(['12', '4', '1']);
    const heads = b.op('transpose', [r], { perm: [1, 0, 2] });
    expect(keys(stridedView(heads, base)!.strides)).toEqual(['4', '12', '1']);
    const merged = b.op('reshape', [heads], { shape: [c(3), symDim('S'), c(4)] });
    expect(stridedView(merged, base)).toBeDefined();
    const flat = b.op('reshape', [heads], { shape: [c(12), S] });
    expect(stridedView(flat, base)).toBeUndefined();
  });
});

describe('matmul operands through views', () => {
  it('transposed and broadcast operands, symbolic sizes', () => {
    const g = graphOf(`model M(N, K) {
      input a: f32[3, N, K]
      input b: f32[5, K]
      input v: f32[K]
      output y = a @ b.T + 1.0
      output z = a @ v
      output w = v @ transpose(a, perm: [0, 2, 1])
    }`);
    for (const [n, k] of [[1, 1], [7, 9], [129, 4]] as const) expectLoweringMatches(g, { N: n, K: k }, n + k);
  });
});
