// A Graph: the model's declared dims, its inputs, parameters and named outputs. Nodes reach
// each other through `src`, so the graph is whatever the outputs reach.

import type { Dim } from './dim.js';
import type { Node, NodeOf } from './node.js';
import type { Span } from '../diagnostics/diagnostic.js';
import type { Tensor } from '../interpret/tensor.js';

export interface DimDecl {
  readonly name: string;
  /** Used when neither `--dim` nor an input's shape binds the symbol. */
  readonly defaultValue?: number;
}

export interface GraphOutput {
  readonly name: string;
  readonly node: Node;
}

export interface Graph {
  readonly name: string;
  readonly dims: readonly DimDecl[];
  readonly inputs: readonly NodeOf<'input'>[];
  readonly params: readonly NodeOf<'param'>[];
  readonly outputs: readonly GraphOutput[];
  /** Weights that came with the model (ONNX initializers); DSL models bind them at run time. */
  readonly weights: ReadonlyMap<string, Tensor>;
  /** Where each node came from, for diagnostics after lowering. */
  readonly spans: ReadonlyMap<Node, Span>;
}

/** Every node the outputs reach, producers before consumers. */
export function topoOrder(graph: Pick<Graph, 'outputs'>): Node[] {
  const seen = new Set<Node>();
  const order: Node[] = [];
  // Iterative post-order: deep graphs (unrolled loops) must not overflow the JS stack.
  for (const out of graph.outputs) {
    const stack: [Node, number][] = [[out.node, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (seen.has(node)) {
        stack.pop();
        continue;
      }
      if (i < node.src.length) {
        top[1]++;
        const s = node.src[i]!;
        if (!seen.has(s)) stack.push([s, 0]);
      } else {
        seen.add(node);
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}

/** Users of each node within the reachable graph. */
export function usersOf(graph: Pick<Graph, 'outputs'>): Map<Node, Node[]> {
  const users = new Map<Node, Node[]>();
  for (const n of topoOrder(graph)) {
    for (const s of n.src) {
      let list = users.get(s);
      if (!list) users.set(s, (list = []));
      if (!list.includes(n)) list.push(n);
    }
  }
  return users;
}

export function dimNames(graph: Pick<Graph, 'dims'>): string[] {
  return graph.dims.map((d) => d.name);
}

export type { Dim };
