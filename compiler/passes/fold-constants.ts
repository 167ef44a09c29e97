// fold-constants: evaluates, with the reference interpreter, every op whose operands are all
// constants and whose result is small, replacing it by a constant.
// Pre: a verified graph. Post: no op below the size limit has only constant operands.
// Runs first, so simplify and later passes see literal values.

import { evalDim, isConst, UnboundDimError } from '../ir/dim.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import { opInfo } from '../ir/ops/index.js';
import { rebuildGraph } from '../rewrite/rewrite.js';

/** Results above this many elements stay ops: folding would bloat the graph and weights. */
const MAX_FOLDED_ELEMENTS = 1 << 16;

function foldable(n: Node): boolean {
  if (opInfo(n.op).category === 'source' || opInfo(n.op).stateful) return false;
  if (!n.src.every((s) => s.op === 'constant')) return false;
  if (!n.shape.every((d) => isConst(d))) return false;
  return n.shape.reduce((acc, d) => acc * evalDim(d, new Map()), 1) <= MAX_FOLDED_ELEMENTS;
}

export function foldConstants(graph: Graph): Graph {
  return rebuildGraph(graph, (n, b) => {
    if (!foldable(n)) return n;
    const shape = n.shape.map((d) => evalDim(d, new Map()));
    const ctx = { dtype: n.dtype, shape, env: new Map<string, number>(), dim: (d: Parameters<typeof evalDim>[0]) => evalDim(d, new Map()) };
    let value;
    try {
      value = opInfo(n.op).evaluate!(n.src.map((s) => (s.op === 'constant' ? s.attrs.value : undefined)!), n.attrs as never, ctx);
    } catch (e) {
      // Attributes may hold symbolic dims (dim_values of `S`, a slice start of `S-1`): such an
      // op is known only at run time, so it stays.
      if (e instanceof UnboundDimError) return n;
      throw e;
    }
    return b.constant(value);
  });
}
