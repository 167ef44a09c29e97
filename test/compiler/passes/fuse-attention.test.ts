// fuse-attention: every decomposed spelling becomes one `attention` op with unchanged results
// (Graph IR interpreter, random inputs, S in {1, 7, 129}); look-alikes are left alone.

import { describe, expect, it, vi } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { addDim, constDim, evalDim, type Dim } from '../../../compiler/ir/dim.js';
import { topoOrder, type Graph } from '../../../compiler/ir/graph.js';
import type { Node, NodeOf } from '../../../compiler/ir/node.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { fuseAttention } from '../../../compiler/passes/fuse-attention.js';
import { graphPasses, passNames, runPasses } from '../../../compiler/passes/pipeline.js';
import { loadModel } from '../../../compiler/driver/load-model.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';
import { relativeL2 } from '../../helpers/close.js';
import { expectLoweringMatches, graphOf } from '../lower/harness.js';
import { main } from '../../../cli/main.js';

const SIZES = [1, 7, 129];
const H = 2;
const D = 8;

function attentionNodes(g: Graph): NodeOf<'attention'>[] {
  return topoOrder(g).filter((n): n is NodeOf<'attention'> => n.op === 'attention');
}

function opCount(g: Graph, op: Node['op']): number {
  return topoOrder(g).filter((n) => n.op === op).length;
}

/** The graph after the pipeline up to and including fuse-attention, verified. */
function fused(g: Graph): Graph {
  return runPasses(g, graphPasses(), { verify: true, stopAfter: 'fuse-attention' }).graph;
}

/** Random inputs for `g` with its dims bound by `dims` (bool inputs: key 0 always attended). */
function inputsFor(g: Graph, dims: Record<string, number>, seed: number, given: Record<string, Tensor> = {}): Map<string, Tensor> {
  const env = new Map(Object.entries(dims));
  const inputs = new Map<string, Tensor>();
  g.inputs.forEach((i, k) => {
    const shape = i.shape.map((d) => evalDim(d, env));
    let t = given[i.attrs.name] ?? randomTensor(i.dtype, shape, seed * 100 + k);
    if (i.dtype === 'bool' && !given[i.attrs.name]) {
      // A row with every key masked differs by design (0 fused, NaN or mean of V decomposed).
      const last = shape[shape.length - 1]!;
      t = tensor('bool', shape, toNumbers(t).map((v, j) => (j % last === 0 ? 1 : v)));
    }
    inputs.set(i.attrs.name, t);
  });
  return inputs;
}

/** Outputs of `before` and `after` agree on the interpreter (the model's own weights). */
function expectSameResults(before: Graph, after: Graph, dims: Record<string, number>, seed = 1, given: Record<string, Tensor> = {}): void {
  const inputs = inputsFor(before, dims, seed, given);
  const options = { dims: new Map(Object.entries(dims)) };
  const want = interpret(before, inputs, new Map(), options).outputs;
  const got = interpret(after, inputs, new Map(), options).outputs;
  for (const [name, t] of want) {
    const a = toNumbers(got.get(name)!);
    const e = toNumbers(t);
    expect(a.some(Number.isNaN), `NaN in ${name}`).toBe(false);
    expect(relativeL2(a, e), `output ${name}`).toBeLessThanOrEqual(1e-5);
  }
}

/** Checks one spelling: fused to exactly one attention (no softmax left), same results for every S. */
function expectFuses(build: () => Graph, dimsFor: (s: number) => Record<string, number>, check: (a: NodeOf<'attention'>) => void = () => {}): void {
  const before = build();
  const after = fused(before);
  expect(verifyGraph(after)).toEqual([]);
  const att = attentionNodes(after);
  expect(att).toHaveLength(1);
  expect(opCount(after, 'softmax')).toBe(0);
  check(att[0]!);
  SIZES.forEach((s, i) => expectSameResults(before, after, dimsFor(s), i + 1));
}

function expectLeftAlone(before: Graph): void {
  const after = fused(before);
  expect(attentionNodes(after)).toHaveLength(0);
  expect(opCount(after, 'softmax')).toBe(1);
}

// ---- building blocks ----

interface Parts {
  b: GraphBuilder;
  B: Dim;
  S: Dim;
  q: Node;
  k: Node;
  v: Node;
}

/** q, k, v inputs [B, H, S, D] (k laid out [B, H, D, S] when `kTransposed`). */
function parts(kTransposed = false): Parts {
  const b = new GraphBuilder('A');
  const B = b.declareDim('B');
  const S = b.declareDim('S');
  const h = constDim(H), d = constDim(D);
  const q = b.input('q', 'f32', [B, h, S, d]);
  const k = b.input('k', 'f32', kTransposed ? [B, h, d, S] : [B, h, S, d]);
  const v = b.input('v', 'f32', [B, h, S, d]);
  return { b, B, S, q, k, v };
}

const kT = (b: GraphBuilder, k: Node): Node => b.op('transpose', [k], { perm: [0, 1, 3, 2] });
const mm = (b: GraphBuilder, x: Node, y: Node): Node => b.op('matmul', [x, y], {});
const f32 = (b: GraphBuilder, x: number): Node => b.scalar(x, 'f32');
const softmaxLast = (b: GraphBuilder, x: Node): Node => b.op('softmax', [x], { axis: x.shape.length - 1 });

function finish(b: GraphBuilder, out: Node, extra: Record<string, Node> = {}): Graph {
  b.output('y', out);
  for (const [name, n] of Object.entries(extra)) b.output(name, n);
  const { graph, diagnostics } = b.finish();
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}

const bs = (s: number): Record<string, number> => ({ B: 2, S: s });
const SCALE = 1 / Math.sqrt(D);

describe('fuse-attention: scale spellings', () => {
  const cases: [string, (p: Parts) => Node, number][] = [
    ['Div after the matmul', ({ b, q, k }) => b.op('div', [mm(b, q, kT(b, k)), f32(b, Math.sqrt(D))], {}), SCALE],
    ['Mul after the matmul (constant on the left)', ({ b, q, k }) => b.op('mul', [f32(b, 0.3), mm(b, q, kT(b, k))], {}), 0.3],
    ['Mul folded into Q', ({ b, q, k }) => mm(b, b.op('mul', [q, f32(b, 0.3)], {}), kT(b, k)), 0.3],
    ['Div on Q', ({ b, q, k }) => mm(b, b.op('div', [q, f32(b, 4)], {}), kT(b, k)), 0.25],
    ['Mul on Q and on Kᵀ (the square root on each side)', ({ b, q, k }) => mm(b, b.op('mul', [q, f32(b, 0.5)], {}), b.op('mul', [kT(b, k), f32(b, 0.5)], {})), 0.25],
    ['Mul on K before the transpose', ({ b, q, k }) => mm(b, q, kT(b, b.op('mul', [k, f32(b, 0.5)], {}))), 0.5],
    ['absent (scale 1)', ({ b, q, k }) => mm(b, q, kT(b, k)), 1],
  ];
  for (const [name, scores, scale] of cases) {
    it(name, () => {
      expectFuses(() => {
        const p = parts();
        return finish(p.b, mm(p.b, softmaxLast(p.b, scores(p)), p.v));
      }, bs, (a) => {
        expect(a.attrs.scale).toBeCloseTo(scale, 6);
        expect(a.attrs.causal).toBe(false);
        expect(a.attrs.hasMask).toBe(false);
      });
    });
  }
  it('K already laid out transposed [B, H, D, S]', () => {
    expectFuses(() => {
      const { b, q, k, v } = parts(true);
      return finish(b, mm(b, softmaxLast(b, b.op('mul', [mm(b, q, k), f32(b, SCALE)], {})), v));
    }, bs);
  });
  it('a softmax run in f64 between two casts', () => {
    expectFuses(() => {
      const { b, q, k, v } = parts();
      const wide = b.op('cast', [b.op('div', [mm(b, q, kT(b, k)), f32(b, 3)], {})], { to: 'f64' });
      return finish(b, mm(b, b.op('cast', [softmaxLast(b, wide)], { to: 'f32' }), v));
    }, bs);
  });
  it('a single head: [S, D] operands', () => {
    expectFuses(() => {
      const b = new GraphBuilder('A');
      const S = b.declareDim('S');
      const q = b.input('q', 'f32', [S, constDim(D)]);
      const k = b.input('k', 'f32', [S, constDim(D)]);
      const v = b.input('v', 'f32', [S, constDim(D)]);
      return finish(b, mm(b, softmaxLast(b, mm(b, q, b.op('transpose', [k], { perm: [1, 0] }))), v));
    }, (s) => ({ S: s }));
  });
});

describe('fuse-attention: masks', () => {
  it('an additive float padding mask [B, 1, 1, S] (on either side of the Add)', () => {
    for (const maskFirst of [false, true]) {
      expectFuses(() => {
        const { b, q, k, v, S, B } = parts();
        const mask = b.input('mask', 'f32', [B, constDim(1), constDim(1), S]);
        const s = b.op('div', [mm(b, q, kT(b, k)), f32(b, 2)], {});
        return finish(b, mm(b, softmaxLast(b, b.op('add', maskFirst ? [mask, s] : [s, mask], {})), v));
      }, bs, (a) => expect(a.attrs.hasMask).toBe(true));
    }
  });
  it('a bool mask through Where(mask, scores, -inf) and Where(not mask, -1e9, scores)', () => {
    for (const negated of [false, true]) {
      expectFuses(() => {
        const { b, q, k, v, S, B } = parts();
        const mask = b.input('mask', 'bool', [B, constDim(1), S, S]);
        const s = mm(b, q, kT(b, k));
        const w = negated ? b.op('where', [b.op('not', [mask], {}), f32(b, -1e9), s], {}) : b.op('where', [mask, s, f32(b, -Infinity)], {});
        return finish(b, mm(b, softmaxLast(b, w), v));
      }, bs, (a) => {
        expect(a.attrs.hasMask).toBe(true);
        expect(a.attrs.causal).toBe(false);
      });
    }
  });
  it('a bool mask and a float mask together become one mask operand', () => {
    expectFuses(() => {
      const { b, q, k, v, S, B } = parts();
      const keep = b.input('keep', 'bool', [B, constDim(1), S, S]);
      const bias = b.input('bias', 'f32', [constDim(1), constDim(H), S, S]);
      const s = b.op('mul', [mm(b, q, kT(b, k)), f32(b, SCALE)], {});
      const masked = b.op('where', [keep, b.op('add', [s, bias], {}), f32(b, -3.4e38)], {});
      return finish(b, mm(b, softmaxLast(b, masked), v));
    }, bs, (a) => expect(a.attrs.hasMask).toBe(true));
  });
});

/** Scores [B, H, S, P+S] of q [B, H, S, D] against k, v [B, H, P+S, D] (a KV cache of P). */
function cacheParts() {
  const b = new GraphBuilder('C');
  const B = b.declareDim('B');
  const S = b.declareDim('S');
  const P = b.declareDim('P');
  const T = addDim(P, S);
  const h = constDim(H), d = constDim(D);
  const q = b.input('q', 'f32', [B, h, S, d]);
  const k = b.input('k', 'f32', [B, h, T, d]);
  const v = b.input('v', 'f32', [B, h, T, d]);
  return { b, S, P, T, q, k, v, scores: b.op('mul', [mm(b, q, kT(b, k)), f32(b, SCALE)], {}) };
}
const bsp = (s: number): Record<string, number> => ({ B: 1, S: s, P: 3 });

/** A [1, 1, N, N] lower triangle (col ≤ row + diag) as bool, or as 0 / -inf floats. */
function triangle(n: number, diag: number, float: boolean): Tensor {
  const values: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) values.push(c <= r + diag ? (float ? 0 : 1) : float ? -Infinity : 0);
  return tensor(float ? 'f32' : 'bool', [1, 1, n, n], values);
}

describe('fuse-attention: causal masks', () => {
  const N = 160; // the buffer the mask is sliced from (≥ P + 129)
  it('a precomputed bool triangle of the scores\' fixed size becomes causal: true alone', () => {
    const b = new GraphBuilder('F');
    const d = constDim(D);
    const [q, k, v] = ['q', 'k', 'v'].map((name) => b.input(name, 'f32', [constDim(1), constDim(H), constDim(7), d])) as [Node, Node, Node];
    const tri = b.constant(triangle(16, 0, false));
    const mask = b.op('slice', [tri], { axes: [2, 3], starts: [constDim(0), constDim(0)], steps: [1, 1], counts: [constDim(7), constDim(7)] });
    const s = mm(b, q, kT(b, k));
    const before = finish(b, mm(b, softmaxLast(b, b.op('where', [mask, s, f32(b, -Infinity)], {})), v));
    const after = fused(before);
    const [a] = attentionNodes(after);
    expect(a!.attrs.causal).toBe(true);
    expect(a!.attrs.hasMask).toBe(false);
    expectSameResults(before, after, {}, 9);
  });
  it('a precomputed bool triangle sliced GPT-2 style [T-S:T, :T] becomes causal: true (the slice stays, for its range condition)', () => {
    expectFuses(() => {
      const { b, S, P, T, v, scores } = cacheParts();
      const tri = b.constant(triangle(N, 0, false));
      const rows = b.op('slice', [tri], { axes: [2], starts: [P], steps: [1], counts: [S] });
      const mask = b.op('slice', [rows], { axes: [3], starts: [constDim(0)], steps: [1], counts: [T] });
      return finish(b, mm(b, softmaxLast(b, b.op('where', [mask, scores, f32(b, -3.4028234663852886e38)], {})), v));
    }, bsp, (a) => {
      expect(a.attrs.causal).toBe(true);
      // Sizes past the buffer are refused as before fusion (test/runtime/wasm/constraints.test.ts).
      expect(a.attrs.hasMask).toBe(true);
    });
  });
  it('the same triangle sliced from row 0 is not aligned to the last row: it stays a mask', () => {
    expectFuses(() => {
      const { b, S, T, v, scores } = cacheParts();
      const tri = b.constant(triangle(N, 0, false));
      const mask = b.op('slice', [tri], { axes: [2, 3], starts: [constDim(0), constDim(0)], steps: [1, 1], counts: [S, T] });
      return finish(b, mm(b, softmaxLast(b, b.op('where', [mask, scores, f32(b, -Infinity)], {})), v));
    }, bsp, (a) => {
      expect(a.attrs.causal).toBe(false);
      expect(a.attrs.hasMask).toBe(true);
    });
  });
  it('a precomputed float triangle (0 / -inf) added to the scores', () => {
    expectFuses(() => {
      const { b, S, P, T, v, scores } = cacheParts();
      const tri = b.constant(triangle(N, 0, true));
      const mask = b.op('slice', [tri], { axes: [2, 3], starts: [P, constDim(0)], steps: [1, 1], counts: [S, T] });
      return finish(b, mm(b, softmaxLast(b, b.op('add', [scores, mask], {})), v));
    }, bsp, (a) => expect(a.attrs.causal).toBe(true));
  });
  it('Trilu (upper, k = 1) of a -inf fill, as the ONNX importer spells it, added to the scores', () => {
    expectFuses(() => {
      const { b, S, v, q, k } = parts();
      const rows = b.op('unsqueeze', [b.op('iota', [], { count: S, dtype: 'i64' })], { axes: [1] });
      const cols = b.op('iota', [], { count: S, dtype: 'i64' });
      const fill = b.op('expand', [f32(b, -Infinity)], { shape: [S, S] });
      const keep = b.op('ge', [b.op('sub', [cols, rows], {}), b.scalar(1, 'i64')], {});
      const mask = b.op('where', [keep, fill, f32(b, 0)], {});
      return finish(b, mm(b, softmaxLast(b, b.op('add', [b.op('div', [mm(b, q, kT(b, k)), f32(b, 3)], {}), mask], {})), v));
    }, bs, (a) => {
      expect(a.attrs.causal).toBe(true);
      expect(a.attrs.scale).toBeCloseTo(1 / 3, 6);
    });
  });
  it('where(not tril) from Range as Llama exports it, with a KV cache', () => {
    expectFuses(() => {
      const { b, S, P, T, v, scores } = cacheParts();
      const keys = b.op('unsqueeze', [b.op('iota', [], { count: T, dtype: 'i64' })], { axes: [0] });
      const queries = b.op('add', [b.op('iota', [], { count: S, dtype: 'i64' }), b.op('dim_values', [], { values: [P], scalar: true })], {});
      const visible = b.op('le', [keys, b.op('unsqueeze', [queries], { axes: [1] })], {});
      const hidden = b.op('not', [b.op('unsqueeze', [visible], { axes: [0, 1] })], {});
      return finish(b, mm(b, softmaxLast(b, b.op('where', [hidden, f32(b, -3.4e38), scores], {})), v));
    }, bsp, (a) => expect(a.attrs.causal).toBe(true));
  });
  it('a triangle one diagonal off (k = 1) stays a mask operand', () => {
    expectFuses(() => {
      const { b, S, v, q, k } = parts();
      const tri = b.constant(triangle(N, 1, false));
      const mask = b.op('slice', [tri], { axes: [2, 3], starts: [constDim(0), constDim(0)], steps: [1, 1], counts: [S, S] });
      return finish(b, mm(b, softmaxLast(b, b.op('where', [mask, mm(b, q, kT(b, k)), f32(b, -Infinity)], {})), v));
    }, bs, (a) => {
      expect(a.attrs.causal).toBe(false);
      expect(a.attrs.hasMask).toBe(true);
    });
  });
  /**
   * The bench's graph (bench/attention.ts) at a fixed S, as the ONNX importer spells
   * Trilu(upper, k) of an Expand(-inf) fill: above the fold limit (S = 600) the index ranges
   * fold to 1-D constants while the S×S mask does not.
   */
  function fixedSizeTrilu(s: number, k: number): Graph {
    const b = new GraphBuilder('T');
    const shape = [constDim(1), constDim(H), constDim(s), constDim(D)];
    const [q, kk, v] = ['q', 'k', 'v'].map((name) => b.input(name, 'f32', shape)) as [Node, Node, Node];
    const S = constDim(s);
    const fill = b.op('expand', [f32(b, -Infinity)], { shape: [S, S] });
    const rows = b.op('unsqueeze', [b.op('iota', [], { count: S, dtype: 'i64' })], { axes: [1] });
    const cols = b.op('iota', [], { count: S, dtype: 'i64' });
    const keep = b.op('ge', [b.op('sub', [cols, rows], {}), b.scalar(k, 'i64')], {});
    const mask = b.op('where', [keep, fill, f32(b, 0)], {});
    const scores = b.op('mul', [mm(b, q, kT(b, kk)), f32(b, SCALE)], {});
    return finish(b, mm(b, softmaxLast(b, b.op('add', [scores, mask], {})), v));
  }
  for (const s of [7, 129, 600]) {
    it(`the bench's Trilu spelling at a fixed S = ${s} becomes causal: true with no mask operand`, () => {
      const before = fixedSizeTrilu(s, 1);
      const after = fused(before);
      expect(verifyGraph(after)).toEqual([]);
      const [a, ...rest] = attentionNodes(after);
      expect(rest).toHaveLength(0);
      expect(a!.attrs.causal).toBe(true);
      expect(a!.attrs.hasMask).toBe(false);
      expect(a!.src).toHaveLength(3);
      expectSameResults(before, after, {}, s);
    });
  }
  it('where(not (keys ≤ queries)) from constant ranges at S = 600 (queries offset by a cache of 5) becomes causal: true', () => {
    const b = new GraphBuilder('R');
    const [s, past] = [600, 5];
    const qShape = [constDim(1), constDim(H), constDim(s), constDim(D)];
    const kvShape = [constDim(1), constDim(H), constDim(s + past), constDim(D)];
    const q = b.input('q', 'f32', qShape);
    const [k, v] = ['k', 'v'].map((name) => b.input(name, 'f32', kvShape)) as [Node, Node];
    const range = (start: number, n: number): Tensor => tensor('i64', [n], Array.from({ length: n }, (_, i) => start + i));
    const keys = b.op('unsqueeze', [b.constant(range(0, s + past))], { axes: [0] });
    const queries = b.op('unsqueeze', [b.constant(range(past, s))], { axes: [1] });
    const hidden = b.op('not', [b.op('le', [keys, queries], {})], {});
    const scores = b.op('mul', [mm(b, q, kT(b, k)), f32(b, SCALE)], {});
    const before = finish(b, mm(b, softmaxLast(b, b.op('where', [hidden, f32(b, -3.4e38), scores], {})), v));
    const after = fused(before);
    const [a] = attentionNodes(after);
    expect(a!.attrs.causal).toBe(true);
    expect(a!.attrs.hasMask).toBe(false);
    expectSameResults(before, after, {}, 4);
  });
  it('the same spelling one diagonal off (k = 2) at S = 600 stays a mask operand', () => {
    const before = fixedSizeTrilu(600, 2);
    const after = fused(before);
    const [a] = attentionNodes(after);
    expect(a!.attrs.causal).toBe(false);
    expect(a!.attrs.hasMask).toBe(true);
    expectSameResults(before, after, {}, 3);
  });
  it('causal and a padding mask together: causal: true plus the padding operand', () => {
    expectFuses(() => {
      const { b, S, v, q, k, B } = parts();
      const tri = b.constant(triangle(N, 0, false));
      const causal = b.op('slice', [tri], { axes: [2, 3], starts: [constDim(0), constDim(0)], steps: [1, 1], counts: [S, S] });
      const pad = b.input('pad', 'f32', [B, constDim(1), constDim(1), S]);
      const s = b.op('add', [b.op('where', [causal, mm(b, q, kT(b, k)), f32(b, -Infinity)], {}), pad], {});
      return finish(b, mm(b, softmaxLast(b, s), v));
    }, bs, (a) => {
      expect(a.attrs.causal).toBe(true);
      expect(a.attrs.hasMask).toBe(true);
    });
  });
});

/** Grouped-query attention: q [B, 4, S, D], k/v [B, 2, S, D] repeated to 4 heads by `repeat`. */
function gqa(repeat: (b: GraphBuilder, x: Node, B: Dim, S: Dim) => Node): () => Graph {
  return () => {
    const b = new GraphBuilder('G');
    const B = b.declareDim('B');
    const S = b.declareDim('S');
    const d = constDim(D);
    const q = b.input('q', 'f32', [B, constDim(4), S, d]);
    const k = b.input('k', 'f32', [B, constDim(2), S, d]);
    const v = b.input('v', 'f32', [B, constDim(2), S, d]);
    const s = b.op('mul', [mm(b, q, kT(b, repeat(b, k, B, S))), f32(b, SCALE)], {});
    return finish(b, mm(b, softmaxLast(b, s), repeat(b, v, B, S)));
  };
}

describe('fuse-attention: grouped-query K/V heads', () => {
  const unrepeated = (a: NodeOf<'attention'>): void => {
    expect(a.src[1]!.shape[1]!.key).toBe('2');
    expect(a.src[2]!.shape[1]!.key).toBe('2');
  };
  it("Expand + Reshape (Llama's repeat_kv)", () => {
    expectFuses(gqa((b, x, B, S) => {
      const e = b.op('expand', [b.op('unsqueeze', [x], { axes: [2] })], { shape: [B, constDim(2), constDim(2), S, constDim(D)] });
      return b.op('reshape', [e], { shape: [B, constDim(4), S, constDim(D)] });
    }), bs, unrepeated);
  });
  it('Tile as the ONNX importer spells it (heads in tiled order)', () => {
    expectFuses(gqa((b, x, B, S) => {
      const spread = b.op('unsqueeze', [x], { axes: [0, 2, 4, 6] });
      const e = b.op('expand', [spread], { shape: [constDim(1), B, constDim(2), constDim(2), constDim(1), S, constDim(1), constDim(D)] });
      return b.op('reshape', [e], { shape: [B, constDim(4), S, constDim(D)] });
    }), bs, unrepeated);
  });
  it('concat of copies on the heads axis', () => {
    expectFuses(gqa((b, x) => b.op('concat', [x, x], { axis: 1 })), bs, unrepeated);
  });
  it('multi-query: one K/V head expanded to all', () => {
    expectFuses(() => {
      const b = new GraphBuilder('M');
      const B = b.declareDim('B');
      const S = b.declareDim('S');
      const d = constDim(D);
      const q = b.input('q', 'f32', [B, constDim(4), S, d]);
      const k = b.input('k', 'f32', [B, constDim(1), S, d]);
      const v = b.input('v', 'f32', [B, constDim(1), S, d]);
      const wide = (x: Node): Node => b.op('expand', [x], { shape: [B, constDim(4), S, d] });
      return finish(b, mm(b, softmaxLast(b, mm(b, q, kT(b, wide(k)))), wide(v)));
    }, bs, (a) => expect(a.src[1]!.shape[1]!.key).toBe('1'));
  });
  it('K repeated one way and V another: fused on the repeated tensors', () => {
    expectFuses(() => {
      const b = new GraphBuilder('G');
      const B = b.declareDim('B');
      const S = b.declareDim('S');
      const d = constDim(D);
      const q = b.input('q', 'f32', [B, constDim(4), S, d]);
      const k = b.input('k', 'f32', [B, constDim(2), S, d]);
      const v = b.input('v', 'f32', [B, constDim(2), S, d]);
      const grouped = b.op('reshape', [b.op('expand', [b.op('unsqueeze', [k], { axes: [2] })], { shape: [B, constDim(2), constDim(2), S, d] })], { shape: [B, constDim(4), S, d] });
      return finish(b, mm(b, softmaxLast(b, mm(b, q, kT(b, grouped))), b.op('concat', [v, v], { axis: 1 })));
    }, bs, (a) => expect(a.src[1]!.shape[1]!.key).toBe('4'));
  });
});

describe('fuse-attention: the DSL', () => {
  it("softmax(q @ transpose(k) * scale) @ v becomes one attention, like the DSL's attention()", () => {
    const source = `model Decomposed(S) {
  input  x: f32[S, 32]
  param  wq: f32[32, 32]
  param  wk: f32[32, 32]
  param  wv: f32[32, 32]
  let q = heads(x @ wq, 4)
  let k = heads(x @ wk, 4)
  let v = heads(x @ wv, 4)
  output y = merge_heads(softmax(q @ transpose(k) * 0.35355339) @ v)
}`;
    const before = graphOf(source);
    const after = fused(before);
    const [a] = attentionNodes(after);
    expect(attentionNodes(after)).toHaveLength(1);
    expect(a!.attrs.scale).toBeCloseTo(0.35355339, 6);
    const weights = new Map(before.params.map((p, i) => [p.attrs.name, randomTensor('f32', [32, 32], 50 + i)] as const));
    for (const s of SIZES) {
      const inputs = new Map([['x', randomTensor('f32', [s, 32], s)]]);
      const want = interpret(before, inputs, weights).outputs.get('y')!;
      const got = interpret(after, inputs, weights).outputs.get('y')!;
      expect(relativeL2(toNumbers(got), toNumbers(want))).toBeLessThanOrEqual(1e-5);
    }
    expectLoweringMatches(after, { S: 7 }, 3);
  });
});

describe('fuse-attention: the ONNX fixtures', () => {
  const DIR = 'test/fixtures/onnx';
  const cases: [string, Record<string, number>, boolean][] = [
    ['bert_encoder_layer', { batch: 2, sequence: 7 }, false],
    ['gpt2_decoder_block', { batch: 1, sequence: 7 }, true],
    ['llama_gqa_decode_step', { batch: 1, sequence: 1, past_sequence: 6 }, true],
  ];
  for (const [file, dims, causal] of cases) {
    it(`${file}: one attention, the same outputs, and lowering still matches`, () => {
      const before = runPasses(loadModel(`${DIR}/${file}.onnx`), graphPasses(), { stopAfter: 'simplify' }).graph;
      const after = fused(loadModel(`${DIR}/${file}.onnx`));
      const att = attentionNodes(after);
      expect(att).toHaveLength(1);
      expect(opCount(after, 'softmax')).toBe(0);
      expect(att[0]!.attrs.causal).toBe(causal);
      const given: Record<string, Tensor> = {};
      const padding = before.inputs.find((i) => i.attrs.name === 'attention_mask');
      if (padding) given.attention_mask = tensor('i64', [2, 7], Array.from({ length: 14 }, (_, i) => (i % 3 === 2 ? 0 : 1)));
      const positions = before.inputs.find((i) => i.attrs.name === 'position_ids');
      if (positions) given.position_ids = tensor('i64', [1, 1], [6]);
      expectSameResults(before, after, dims, 7, given);
      expectLoweringMatches(after, dims, 3, given);
    });
  }
  it('Llama: K and V are read un-repeated (2 KV heads for 4 query heads)', () => {
    const [a] = attentionNodes(fused(loadModel(`${DIR}/llama_gqa_decode_step.onnx`)));
    expect(a!.src[1]!.shape[1]!.key).toBe('2');
    expect(a!.src[2]!.shape[1]!.key).toBe('2');
  });
});

describe('fuse-attention: look-alikes are left alone', () => {
  it('softmax on another axis', () => {
    const { b, q, k, v } = parts();
    expectLeftAlone(finish(b, mm(b, b.op('softmax', [mm(b, q, kT(b, k))], { axis: 2 }), v)));
  });
  it('a mask that does not broadcast to the scores (it widens them)', () => {
    const { b, q, k, v, S, B } = parts();
    const mask = b.input('mask', 'f32', [constDim(3), B, constDim(H), S, S]);
    expectLeftAlone(finish(b, mm(b, softmaxLast(b, b.op('add', [mm(b, q, kT(b, k)), mask], {})), v)));
  });
  it('a scale that is not a scalar (one per head)', () => {
    const { b, q, k, v } = parts();
    const perHead = b.constant(tensor('f32', [1, H, 1, 1], [0.5, 0.25]));
    expectLeftAlone(finish(b, mm(b, softmaxLast(b, b.op('mul', [mm(b, q, kT(b, k)), perHead], {})), v)));
  });
  it('probabilities returned as an output', () => {
    const { b, q, k, v } = parts();
    const probs = softmaxLast(b, mm(b, q, kT(b, k)));
    expectLeftAlone(finish(b, mm(b, probs, v), { probs }));
  });
  it('scores used elsewhere', () => {
    const { b, q, k, v } = parts();
    const scores = b.op('mul', [mm(b, q, kT(b, k)), f32(b, SCALE)], {});
    const reduced = b.op('reduce_max', [scores], { axes: [3], keepdims: false });
    expectLeftAlone(finish(b, mm(b, softmaxLast(b, scores), v), { reduced }));
  });
  it('a head dim only an input binds (it stays symbolic when compiled; the streaming kernels need it fixed)', () => {
    const b = new GraphBuilder('A');
    const S = b.declareDim('S');
    const Dh = b.declareDim('Dh');
    const [q, k, v] = ['q', 'k', 'v'].map((name) => b.input(name, 'f32', [constDim(H), S, Dh])) as [Node, Node, Node];
    expectLeftAlone(finish(b, mm(b, softmaxLast(b, mm(b, q, b.op('transpose', [k], { perm: [0, 2, 1] }))), v)));
  });
  it('a mask under a scale ((scores + mask) · c scales the mask too)', () => {
    const { b, q, k, v, S } = parts();
    const mask = b.input('mask', 'f32', [constDim(1), constDim(1), S, S]);
    expectLeftAlone(finish(b, mm(b, softmaxLast(b, b.op('mul', [b.op('add', [mm(b, q, kT(b, k)), mask], {}), f32(b, 0.5)], {})), v)));
  });
});

describe('fuse-attention in the pipeline', () => {
  it('runs after simplify and before group-kernels', () => {
    const names = passNames();
    expect(names.indexOf('fuse-attention')).toBe(names.indexOf('simplify') + 1);
    expect(names.indexOf('group-kernels')).toBeGreaterThan(names.indexOf('fuse-attention'));
  });
  it('is a fixed point: running it again changes nothing', () => {
    const once = fused(loadModel('test/fixtures/onnx/gpt2_decoder_block.onnx'));
    expect(attentionNodes(fuseAttention(once))).toHaveLength(1);
  });
  it('`sluice inspect --after fuse-attention` shows the attention op', async () => {
    let text = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      text += String(chunk);
      return true;
    });
    try {
      expect(await main(['inspect', 'test/fixtures/onnx/gpt2_decoder_block.onnx', '--after', 'fuse-attention'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(text).toContain('attention(');
    expect(text).toContain('causal: true');
    expect(text).not.toContain('softmax(');
  });
});

