// Shape constraints: what a graph's shapes assume about the symbols that kernels cannot check.
// The interpreter refuses a slice that leaves its tensor when it evaluates one (SL2012); a
// lowered slice is index arithmetic inside some consumer, so the condition travels with the
// Program (and the manifest) and is checked once the dims are bound.

import { addDim, constValue, mulDim, subDim, type Dim } from '../ir/dim.js';
import { topoOrder, type Graph } from '../ir/graph.js';
import type { ShapeConstraint } from '../kernel/program.js';

export function shapeConstraints(graph: Graph): ShapeConstraint[] {
  const out: ShapeConstraint[] = [];
  for (const n of topoOrder(graph)) {
    if (n.op !== 'slice') continue;
    const span = graph.spans.get(n);
    const name = span?.kind === 'node' ? span.node : undefined;
    n.attrs.axes.forEach((axis, i) => {
      const size = n.src[0]!.shape[axis]!;
      const start = n.attrs.starts[i]!;
      const step = n.attrs.steps[i]!;
      const count = n.attrs.counts[i]!;
      const last = addDim(start, mulDim(subDim(count, 1), step));
      // start and last lie in [0, size - 1] (the interpreter's check in kernels/layout.ts).
      const checks = [start, subDim(subDim(size, 1), start), last, subDim(subDim(size, 1), last)]
        .filter((d) => { const c = constValue(d); return c === undefined || c < 0; });
      if (checks.length === 0) return;
      out.push({
        what: `slice${name ? ` '${name}'` : ''} on axis ${axis} (start ${start.key}, step ${step}, count ${count.key}, size ${size.key})`,
        when: count,
        atLeastZero: checks,
      });
    });
  }
  return out;
}

/** The first constraint the bound dims break, as a message; undefined when all hold. */
export function brokenConstraint(constraints: readonly ShapeConstraint[], evaluate: (d: Dim) => number): string | undefined {
  for (const c of constraints) {
    if (evaluate(c.when) <= 0) continue;
    if (c.atLeastZero.some((d) => evaluate(d) < 0)) return c.what;
  }
  return undefined;
}
