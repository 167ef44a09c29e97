// simplify: algebraic identities that remove work without changing results.
// Pre: a verified graph. Post: same outputs bit for bit; no op below is an identity.
// Runs after fold-constants (which makes more operands constant) and before kernel grouping.

import { dimEquals, isConst } from '../ir/dim.js';
import type { Graph } from '../ir/graph.js';
import type { Node, NodeOf } from '../ir/node.js';
import { rewriteGraph, rule, ruleSet } from '../rewrite/rewrite.js';
import { sameShape } from '../ir/types.js';
import { getNumber } from '../interpret/tensor.js';
import { DTYPES } from '../ir/dtype.js';
import type { GraphBuilder } from '../ir/builder.js';

/** The value of a constant whose elements are all equal, else undefined. */
function splatValue(n: Node): number | undefined {
  if (n.op !== 'constant') return undefined;
  const v = n.attrs.value;
  if (v.data.length === 0) return undefined;
  const first = getNumber(v, 0);
  for (let i = 1; i < v.data.length; i++) if (getNumber(v, i) !== first) return undefined;
  return first;
}

/** `x` unchanged when it already has the result's shape (so dropping `op(x, c)` keeps the type). */
function keepsType(n: Node, x: Node): boolean {
  return x.dtype === n.dtype && sameShape(x.shape, n.shape);
}

// mul(x, 1) -> x ; mul(1, x) -> x   (only when x alone has the result's shape)
function mulByOne(n: NodeOf<'mul'>): Node | undefined {
  const [a, b] = n.src;
  if (splatValue(b!) === 1 && keepsType(n, a!)) return a;
  if (splatValue(a!) === 1 && keepsType(n, b!)) return b;
  return undefined;
}

// add(x, -0) -> x ; add(-0, x) -> x ; for integers add(x, 0) -> x.
// Floats: x + (+0) turns -0 into +0, so only -0 is an exact identity (STYLE: a rewrite never
// changes results).
function addZero(n: NodeOf<'add'>): Node | undefined {
  const [a, b] = n.src;
  const exact = (c: Node): boolean => splatValue(c) === 0 && (DTYPES[c.dtype].isFloat ? Object.is(splatValue(c), -0) : true);
  if (exact(b!) && keepsType(n, a!)) return a;
  if (exact(a!) && keepsType(n, b!)) return b;
  return undefined;
}

// sub(x, 0) -> x   (x - (+0) is x exactly, including -0)
function subZero(n: NodeOf<'sub'>): Node | undefined {
  const [a, b] = n.src;
  return splatValue(b!) === 0 && !Object.is(splatValue(b!), -0) && keepsType(n, a!) ? a : undefined;
}

// div(x, 1) -> x
function divByOne(n: NodeOf<'div'>): Node | undefined {
  const [a, b] = n.src;
  return splatValue(b!) === 1 && keepsType(n, a!) ? a : undefined;
}

// cast(x: T, to: T) -> x
function castToSameType(n: NodeOf<'cast'>): Node | undefined {
  return n.src[0]!.dtype === n.attrs.to ? n.src[0] : undefined;
}

// reshape(x, shape(x)) -> x ; reshape(reshape(x, a), b) -> reshape(x, b)
function reshapeIdentity(n: NodeOf<'reshape'>, b: GraphBuilder): Node | undefined {
  const x = n.src[0]!;
  if (sameShape(x.shape, n.shape)) return x;
  if (x.op === 'reshape' || x.op === 'squeeze' || x.op === 'unsqueeze') return b.op('reshape', [x.src[0]!], { shape: n.shape });
  return undefined;
}

// squeeze/unsqueeze of nothing -> x
function noAxes(n: NodeOf<'squeeze'> | NodeOf<'unsqueeze'>): Node | undefined {
  return n.attrs.axes.length === 0 ? n.src[0] : undefined;
}

// transpose(x, identity) -> x ; transpose(transpose(x, p), q) -> transpose(x, p∘q)
function transposeCompose(n: NodeOf<'transpose'>, b: GraphBuilder): Node | undefined {
  const perm = n.attrs.perm;
  if (perm.every((p, i) => p === i)) return n.src[0];
  const x = n.src[0]!;
  if (x.op !== 'transpose') return undefined;
  const inner = x.attrs.perm;
  return b.op('transpose', [x.src[0]!], { perm: perm.map((p) => inner[p]!) });
}

// expand(x, shape(x)) -> x
function expandIdentity(n: NodeOf<'expand'>): Node | undefined {
  return sameShape(n.src[0]!.shape, n.shape) ? n.src[0] : undefined;
}

// slice that takes every element in order -> x
function sliceIdentity(n: NodeOf<'slice'>): Node | undefined {
  const x = n.src[0]!;
  const whole = n.attrs.axes.every((a, i) => isConst(n.attrs.starts[i]!, 0) && n.attrs.steps[i] === 1 && dimEquals(n.attrs.counts[i]!, x.shape[a]!));
  return whole ? x : undefined;
}

export const SIMPLIFY_RULES = ruleSet(
  rule('mul', mulByOne),
  rule('add', addZero),
  rule('sub', subZero),
  rule('div', divByOne),
  rule('cast', castToSameType),
  rule('reshape', reshapeIdentity),
  rule('squeeze', noAxes),
  rule('unsqueeze', noAxes),
  rule('transpose', transposeCompose),
  rule('expand', expandIdentity),
  rule('slice', sliceIdentity),
);

export function simplify(graph: Graph): Graph {
  return rewriteGraph(graph, SIMPLIFY_RULES);
}
