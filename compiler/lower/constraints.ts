// Shape constraints: what a graph's shapes assume about the symbols that kernels cannot check.
// The interpreter refuses, when it evaluates them, a slice that leaves its tensor (SL2012), a
// max/min/argmax over an empty axis (SL2011) and a TopK larger than its axis; lowered, these
// are index arithmetic and loop bounds, so the conditions travel with the Program (and the
// manifest) and are checked once the dims are bound.

import { addDim, constDim, constValue, mulDim, subDim, type Dim } from '../ir/dim.js';
import { topoOrder, type Graph } from '../ir/graph.js';
import type { ShapeConstraint } from '../kernel/program.js';

function product(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((a, d) => mulDim(a, d), constDim(1));
}

/** Whether `d ≥ 0` is not already known from constants. */
function open(d: Dim): boolean {
  const c = constValue(d);
  return c === undefined || c < 0;
}

export function shapeConstraints(graph: Graph): ShapeConstraint[] {
  const out: ShapeConstraint[] = [];
  for (const n of topoOrder(graph)) {
    const span = graph.spans.get(n);
    const name = span?.kind === 'node' ? span.node : undefined;
    const at = name ? ` '${name}'` : '';
    if (n.op === 'reduce_max' || n.op === 'reduce_min' || n.op === 'argmax' || n.op === 'argmin') {
      const shape = n.src[0]!.shape;
      const axes = n.op === 'argmax' || n.op === 'argmin' ? [n.attrs.axis] : n.attrs.axes;
      const reduced = product(axes.map((a) => shape[a]!));
      const kept = product(shape.filter((_, i) => !axes.includes(i)));
      const check = subDim(reduced, 1);
      if (open(check)) out.push({ what: `${n.op}${at} over an empty axis has no value`, when: kept, atLeastZero: [check] });
      continue;
    }
    if (n.op === 'topk') {
      const size = n.src[0]!.shape[n.attrs.axis]!;
      const check = subDim(size, n.attrs.k);
      if (open(check)) out.push({ what: `topk${at} takes k = ${n.attrs.k.key} from an axis of size ${size.key}`, when: constDim(1), atLeastZero: [check] });
      continue;
    }
    if (n.op !== 'slice') continue;
    n.attrs.axes.forEach((axis, i) => {
      const size = n.src[0]!.shape[axis]!;
      const start = n.attrs.starts[i]!;
      const step = n.attrs.steps[i]!;
      const count = n.attrs.counts[i]!;
      const last = addDim(start, mulDim(subDim(count, 1), step));
      // start and last lie in [0, size - 1] (the interpreter's check in kernels/layout.ts).
      const checks = [start, subDim(subDim(size, 1), start), last, subDim(subDim(size, 1), last)].filter(open);
      if (checks.length === 0) return;
      out.push({
        what: `slice${at} on axis ${axis} (start ${start.key}, step ${step}, count ${count.key}, size ${size.key}) leaves its tensor`,
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
