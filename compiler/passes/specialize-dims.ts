// specializeDims: fixes some of a graph's symbols to values, everywhere.
//
// pre:  a verified graph; `values` names declared dims.
// post: the same computation with those symbols replaced by constants in every shape and
//       every dim-valued attribute (reshape/expand targets, slice bounds, pads, ...); the
//       symbols are no longer declared. Shapes are re-inferred by the builder, so a value
//       that makes a shape fractional or negative surfaces as the builder's diagnostic.
// why:  a package ships weights of one shape, so the symbols its weights depend on have one
//       value for the package's life (compiler/driver/compile-model.ts). Fixing them before
//       lowering lets the schedule see constants (tile sizes, an attention head dim).

import { diag, DiagnosticError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { GraphBuilder } from '../ir/builder.js';
import { constValue, dimSymbols, evalDimExact, type Dim } from '../ir/dim.js';
import { topoOrder, type Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { DimJson } from '../../runtime/manifest.js';
import { dimFromJson, dimToJson } from '../package/dim-json.js';

function substituteJson(j: DimJson, env: ReadonlyMap<string, number>): DimJson {
  if (typeof j === 'string') return env.get(j) ?? j;
  if (typeof j === 'number') return j;
  return { op: j.op, a: substituteJson(j.a, env), b: substituteJson(j.b, env) };
}

/** `d` with the bound symbols replaced by their values, back in canonical form. */
export function substituteDim(d: Dim, env: ReadonlyMap<string, number>): Dim {
  return dimFromJson(substituteJson(dimToJson(d), env));
}

function isDim(x: object): x is Dim {
  return 'terms' in x && 'atoms' in x && 'key' in x;
}

/** Attributes with every Dim inside substituted (tensors and other data kept as they are). */
function substituteAttrs(x: unknown, env: ReadonlyMap<string, number>): unknown {
  if (typeof x !== 'object' || x === null || ArrayBuffer.isView(x)) return x;
  if (Array.isArray(x)) return x.map((v) => substituteAttrs(v, env));
  if (isDim(x)) return substituteDim(x, env);
  if (Object.getPrototypeOf(x) !== Object.prototype) return x;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, substituteAttrs(v, env)]));
}

/** Symbols that appear in the shape of a param (whose weights fix them). */
export function weightSymbols(graph: Graph): Set<string> {
  const out = new Set<string>();
  for (const p of graph.params) for (const d of p.shape) dimSymbols(d, out);
  return out;
}

/** A dim left with no symbols must be a whole, non-negative size (`D/H` with H not dividing D is not). */
function fractionalShapes(graph: Graph, values: ReadonlyMap<string, number>): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const setting = [...values].map(([k, v]) => `${k}=${v}`).join(', ');
  for (const n of topoOrder(graph)) {
    const d = n.shape.find((x) => dimSymbols(x).size === 0 && !((constValue(x) ?? -1) >= 0));
    if (d) problems.push(diag('badDimValue', graph.spans.get(n), d.key, evalDimExact(d, new Map()), setting));
  }
  return problems;
}

export function specializeDims(graph: Graph, values: ReadonlyMap<string, number>): Graph {
  if (values.size === 0) return graph;
  const sub = (d: Dim) => substituteDim(d, values);
  const b = new GraphBuilder(graph.name);
  for (const d of graph.dims) if (!values.has(d.name)) b.declareDim(d.name, d.defaultValue);
  const mapped = new Map<Node, Node>();
  for (const i of graph.inputs) mapped.set(i, b.input(i.attrs.name, i.dtype, i.shape.map(sub), graph.spans.get(i)));
  for (const p of graph.params) mapped.set(p, b.param(p.attrs.name, p.dtype, p.shape.map(sub), graph.spans.get(p), graph.weights.get(p.attrs.name)));
  for (const n of topoOrder(graph)) {
    if (mapped.has(n)) continue;
    const copy = n.op === 'constant'
      ? b.constant(n.attrs.value)
      : b.op(n.op, n.src.map((s) => mapped.get(s)!), substituteAttrs(n.attrs, values) as never, graph.spans.get(n));
    mapped.set(n, copy);
  }
  for (const o of graph.outputs) b.output(o.name, mapped.get(o.node)!);
  const { graph: out, diagnostics } = b.finish();
  if (!out) throw new DiagnosticError(diagnostics);
  const bad = fractionalShapes(out, values);
  if (bad.length) throw new DiagnosticError(bad);
  return out;
}
