// The Graph IR verifier (STYLE 8): a list of rules, each checking one invariant of every
// node. It runs after the builder and between passes in tests and under `--verify`;
// a failure is a compiler bug, never a user error, so it returns plain messages.

import { dimSymbols } from './dim.js';
import { topoOrder, type Graph } from './graph.js';
import type { Node } from './node.js';
import { opInfo } from './ops/index.js';
import { printType, sameShape, ShapeError } from './types.js';

interface VerifyContext {
  readonly graph: Graph;
  readonly declaredDims: ReadonlySet<string>;
  readonly inputs: ReadonlySet<Node>;
  readonly params: ReadonlySet<Node>;
}

type Rule = (n: Node, ctx: VerifyContext) => string | undefined;

const noPoison: Rule = (n) => (n.op === 'error' ? 'poison node left in the graph' : undefined);

const arityMatches: Rule = (n) => {
  const [min, max] = opInfo(n.op).arity;
  return n.src.length < min || n.src.length > max ? `has ${n.src.length} operands, ${n.op} takes ${min}..${max}` : undefined;
};

const typeMatchesInference: Rule = (n) => {
  if (opInfo(n.op).category === 'source') return undefined;
  try {
    const t = opInfo(n.op).infer(n.src, n.attrs as never);
    if (t.dtype !== n.dtype || !sameShape(t.shape, n.shape)) return `type ${printType(n)} differs from inferred ${printType(t)}`;
  } catch (e) {
    if (e instanceof ShapeError) return `fails inference: ${e.message}`;
    throw e;
  }
  return undefined;
};

const dimsDeclared: Rule = (n, ctx) => {
  const used = new Set<string>();
  for (const d of n.shape) dimSymbols(d, used);
  const missing = [...used].filter((s) => !ctx.declaredDims.has(s));
  return missing.length ? `uses undeclared dims ${missing.join(', ')}` : undefined;
};

const sourcesListed: Rule = (n, ctx) => {
  if (n.op === 'input' && !ctx.inputs.has(n)) return `input '${n.attrs.name}' is not in graph.inputs`;
  if (n.op === 'param' && !ctx.params.has(n)) return `param '${n.attrs.name}' is not in graph.params`;
  return undefined;
};

const constantMatchesType: Rule = (n) => {
  if (n.op !== 'constant') return undefined;
  const v = n.attrs.value;
  return v.dtype !== n.dtype || v.shape.length !== n.shape.length ? `constant value ${v.dtype}[${v.shape.join(', ')}] differs from its node type` : undefined;
};

const RULES: readonly [string, Rule][] = [
  ['no-poison', noPoison],
  ['arity', arityMatches],
  ['inferred-type', typeMatchesInference],
  ['dims-declared', dimsDeclared],
  ['sources-listed', sourcesListed],
  ['constant-type', constantMatchesType],
];

/** Every broken invariant, as `node #id (op): message [rule]`; empty when the graph is valid. */
export function verifyGraph(graph: Graph): string[] {
  const problems: string[] = [];
  const ctx: VerifyContext = {
    graph,
    declaredDims: new Set(graph.dims.map((d) => d.name)),
    inputs: new Set(graph.inputs),
    params: new Set(graph.params),
  };
  const outNames = new Set<string>();
  for (const o of graph.outputs) {
    if (outNames.has(o.name)) problems.push(`output '${o.name}' is listed twice`);
    outNames.add(o.name);
  }
  const sourceNames = new Set<string>();
  for (const s of [...graph.inputs, ...graph.params]) {
    if (sourceNames.has(s.attrs.name)) problems.push(`source name '${s.attrs.name}' is used twice`);
    sourceNames.add(s.attrs.name);
  }
  for (const n of topoOrder(graph)) {
    for (const [name, rule] of RULES) {
      const msg = rule(n, ctx);
      if (msg) problems.push(`node #${n.id} (${n.op}): ${msg} [${name}]`);
    }
  }
  return problems;
}
