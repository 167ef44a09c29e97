// Rewrites as data (STYLE 7): a rule matches one op and returns a replacement node built with
// the same builder, or undefined to decline. `rewriteGraph` rebuilds the graph bottom-up,
// applying the rules to every node until none fires, so rules see already-rewritten operands.

import { GraphBuilder } from '../ir/builder.js';
import { topoOrder, type Graph } from '../ir/graph.js';
import type { Node, NodeOf, OpKind } from '../ir/node.js';

export type RewriteFn<K extends OpKind> = (node: NodeOf<K>, b: GraphBuilder) => Node | undefined;

export interface Rule {
  readonly name: string;
  readonly op: OpKind;
  readonly apply: RewriteFn<OpKind>;
}

/** `rule('mul', mulByOne)`: the rule's name is its function's name. */
export function rule<K extends OpKind>(op: K, fn: RewriteFn<K>): Rule {
  return { name: fn.name || `${op}-rule`, op, apply: fn as unknown as RewriteFn<OpKind> };
}

export type RuleSet = ReadonlyMap<OpKind, readonly Rule[]>;

export function ruleSet(...rules: readonly Rule[]): RuleSet {
  const byOp = new Map<OpKind, Rule[]>();
  for (const r of rules) {
    const list = byOp.get(r.op) ?? [];
    list.push(r);
    byOp.set(r.op, list);
  }
  return byOp;
}

/**
 * Copies `graph` into a fresh builder, mapping each node through `visit` (bottom-up); `visit`
 * also gets the node of `graph` the copy was made from (for facts about the old graph, like users).
 */
export function rebuildGraph(graph: Graph, visit: (node: Node, b: GraphBuilder, original: Node) => Node = (n) => n): Graph {
  const b = new GraphBuilder(graph.name);
  for (const d of graph.dims) b.declareDim(d.name, d.defaultValue);
  const mapped = new Map<Node, Node>();
  // Sources first, in declaration order, so inputs and params keep their order.
  for (const i of graph.inputs) mapped.set(i, b.input(i.attrs.name, i.dtype, i.shape, graph.spans.get(i)));
  for (const p of graph.params) mapped.set(p, b.param(p.attrs.name, p.dtype, p.shape, graph.spans.get(p), graph.weights.get(p.attrs.name)));
  for (const n of topoOrder(graph)) {
    if (mapped.has(n)) continue;
    let copy: Node;
    if (n.op === 'constant') copy = b.constant(n.attrs.value);
    else copy = b.op(n.op, n.src.map((s) => mapped.get(s)!), n.attrs as never, graph.spans.get(n));
    mapped.set(n, visit(copy, b, n));
  }
  for (const o of graph.outputs) b.output(o.name, mapped.get(o.node)!);
  const { graph: out, diagnostics } = b.finish();
  if (!out) throw new Error(`rebuilding ${graph.name} failed:\n${diagnostics.map((d) => d.message).join('\n')}`);
  // Params no longer reached stay declared: the weights file and the package keep their layout.
  return out;
}

/** Applies `rules` at every node to a fixed point. */
export function rewriteGraph(graph: Graph, rules: RuleSet, maxStepsPerNode = 64): Graph {
  return rebuildGraph(graph, (node, b) => {
    let current = node;
    for (let step = 0; step < maxStepsPerNode; step++) {
      let next: Node | undefined;
      for (const r of rules.get(current.op) ?? []) {
        next = r.apply(current, b);
        if (next !== undefined && next !== current) break;
        next = undefined;
      }
      if (next === undefined) return current;
      current = next;
    }
    throw new Error(`rewrite rules did not reach a fixed point at ${node.op} node #${node.id}`);
  });
}
