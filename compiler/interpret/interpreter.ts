// The reference interpreter: evaluates a Graph on host tensors, one node at a time, with each
// op's reference semantics from the registry. It is the oracle for every pass and target, so
// it checks as it goes: every result's dtype and shape must equal the node's declared type
// evaluated under the bound dims.

import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { BadDimValueError, evalDim, type Dim } from '../ir/dim.js';
import { topoOrder, type Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import { opInfo, type EvalContext } from '../ir/ops/index.js';
import { ShapeError } from '../ir/types.js';
import { bindDims } from './bind-dims.js';
import type { Tensor } from './tensor.js';

export interface InterpretOptions {
  /** Explicit dim values (`--dim S=128`); others come from input shapes and defaults. */
  readonly dims?: ReadonlyMap<string, number>;
  /** Refuse any intermediate larger than this (elements × 8 bytes); default 4 GiB. */
  readonly maxTensorBytes?: number;
  /** Called after each node with (nodes done, nodes in all), for progress bars. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * State kept between calls (kv_attention's cache), per stateful node of this graph: pass
   * the same Map to successive calls to run a stream (a decode loop); a new Map resets it.
   * Without one, stateful ops start from their empty state on every call.
   */
  readonly state?: Map<string, unknown>;
}

export interface InterpretResult {
  readonly outputs: Map<string, Tensor>;
  readonly dims: Map<string, number>;
}

/**
 * Runs `graph` on `inputs` with `weights` bound to its params (the graph's own weights are
 * used for params not in `weights`). Throws DiagnosticError for user errors: missing or
 * mistyped inputs and weights, unbound dims, run-time shape errors.
 */
export function interpret(
  graph: Graph,
  inputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Tensor> = new Map(),
  options: InterpretOptions = {},
): InterpretResult {
  const problems: Diagnostic[] = [];
  const declared = new Set(graph.inputs.map((i) => i.attrs.name));
  for (const name of inputs.keys()) {
    if (!declared.has(name)) problems.push(diag('unknownInput', undefined, name, [...declared].join(', ') || 'none'));
  }
  for (const i of graph.inputs) {
    if (!inputs.has(i.attrs.name)) problems.push(diag('badOption', undefined, `input '${i.attrs.name}' is not given`));
  }
  const { env, diagnostics } = bindDims(graph, inputs, options.dims ?? new Map());
  problems.push(...diagnostics);
  if (problems.length) throw new DiagnosticError(problems);

  const dim = (d: Dim): number => {
    try {
      return evalDim(d, env);
    } catch (e) {
      if (e instanceof BadDimValueError) throw new DiagnosticError([diag('badDimValue', undefined, e.dim.key, e.value, [...env].map(([k, v]) => `${k}=${v}`).join(', '))]);
      throw e;
    }
  };

  for (const p of graph.params) {
    const w = weights.get(p.attrs.name) ?? graph.weights.get(p.attrs.name);
    if (!w) {
      problems.push(diag('missingWeight', undefined, p.attrs.name));
      continue;
    }
    const expected = p.shape.map(dim);
    if (w.dtype !== p.dtype || w.shape.length !== expected.length || w.shape.some((v, i) => v !== expected[i])) {
      problems.push(diag('weightShape', undefined, p.attrs.name, p.dtype, `[${expected.join(', ')}]`, w.dtype, `[${w.shape.join(', ')}]`));
    }
  }
  if (problems.length) throw new DiagnosticError(problems);

  const maxBytes = options.maxTensorBytes ?? 4 * 1024 ** 3;
  const order = topoOrder(graph);
  // Free each intermediate after its last use, so big graphs fit in memory.
  const remainingUses = new Map<Node, number>();
  for (const n of order) for (const s of n.src) remainingUses.set(s, (remainingUses.get(s) ?? 0) + 1);
  for (const o of graph.outputs) remainingUses.set(o.node, (remainingUses.get(o.node) ?? 0) + 1);

  const values = new Map<Node, Tensor>();
  for (const [index, n] of order.entries()) {
    options.onProgress?.(index, order.length);
    const shape = n.shape.map(dim);
    const elements = shape.reduce((a, d) => a * d, 1);
    if (elements * 8 > maxBytes) {
      throw new DiagnosticError([diag('hugeTensor', graph.spans.get(n), `the result of ${n.op} with shape [${shape.join(', ')}]`, elements * 8, maxBytes)]);
    }
    const value = evaluateNode(graph, n, shape, values, inputs, weights, env, dim, options.state);
    checkResult(n, value, shape);
    values.set(n, value);
    for (const s of n.src) {
      const left = remainingUses.get(s)! - 1;
      remainingUses.set(s, left);
      if (left === 0) values.delete(s);
    }
  }
  options.onProgress?.(order.length, order.length);
  const outputs = new Map<string, Tensor>();
  for (const o of graph.outputs) outputs.set(o.name, values.get(o.node)!);
  return { outputs, dims: env };
}

function evaluateNode(
  graph: Graph,
  n: Node,
  shape: readonly number[],
  values: ReadonlyMap<Node, Tensor>,
  inputs: ReadonlyMap<string, Tensor>,
  weights: ReadonlyMap<string, Tensor>,
  env: Map<string, number>,
  dim: (d: Dim) => number,
  state: Map<string, unknown> | undefined,
): Tensor {
  switch (n.op) {
    case 'input': return inputs.get(n.attrs.name)!;
    case 'param': return weights.get(n.attrs.name) ?? graph.weights.get(n.attrs.name)!;
    case 'constant': return n.attrs.value;
    case 'error': throw new Error('poison node reached the interpreter');
    default: {
      const info = opInfo(n.op);
      const key = `${n.op}#${n.id}`;
      const ctx: EvalContext = {
        dtype: n.dtype, shape, env, dim,
        ...(state ? { state: { get: () => state.get(key), set: (value: unknown) => void state.set(key, value) } } : {}),
      };
      try {
        return info.evaluate!(n.src.map((s) => values.get(s)!), n.attrs as never, ctx);
      } catch (e) {
        if (!(e instanceof ShapeError)) throw e;
        throw new DiagnosticError([diag(e.code, graph.spans.get(n), ...e.args)]);
      }
    }
  }
}

function checkResult(n: Node, value: Tensor, shape: readonly number[]): void {
  if (value.dtype !== n.dtype || value.shape.length !== shape.length || value.shape.some((v, i) => v !== shape[i])) {
    throw new Error(`interpreter: ${n.op} node #${n.id} produced ${value.dtype}[${value.shape.join(', ')}], its type says ${n.dtype}[${shape.join(', ')}]`);
  }
}
