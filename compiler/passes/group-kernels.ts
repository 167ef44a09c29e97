// Grouping: which nodes become one kernel (DESIGN "Two IR levels"). The pass decides which
// values are materialised (get a buffer); every other node is computed inside the kernel of
// the materialised value that reads it. Rules:
//
// - input/param/constant nodes are values, not kernels (one-element constants are written
//   into the code as literals);
// - views (reshape, transpose, squeeze, unsqueeze, expand, slice) are index arithmetic in
//   their readers and never materialised (unless a graph output, or a contraction operand
//   that is not a strided view — a reshape of a transposed value — which gets a copy);
// - elementwise ops (with broadcasting), gather, concat, pad, iota and dim_values fuse into
//   their reader. One with several readers is materialised once rather than recomputed
//   (iota and dim_values excepted: they cost less than a load);
// - an anchor (reduction, softmax/log_softmax/layer_norm/rms_norm, matmul, conv) fuses its
//   elementwise prologue (ops feeding only it; contractions take strided views instead) and
//   its epilogue: the elementwise ops after it whose shape is its own (bias add, activation,
//   residual add, scale), a chain of single-reader ops or a value read several times whose
//   readers meet again in one op (x·½(1 + erf(x/√2)), the ONNX erf GELU, reads x twice), as
//   long as every reader of each fused value is fused too. Attention and the ops without a
//   fused lowering (cumsum, topk, rnn, ...) are kernels of their own.

import { dimEquals } from '../ir/dim.js';
import { topoOrder, usersOf, type Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import { isInlineConstant } from '../lower/fused-expr.js';
import { isView, stridedView } from '../lower/view.js';

export type GroupKind = 'elementwise' | 'reduction' | 'matmul' | 'attention' | 'conv' | 'generic';

export interface KernelGroup {
  readonly kind: GroupKind;
  /** The nodes the kernel computes, producers first. */
  readonly nodes: readonly Node[];
  /** The value the kernel writes. */
  readonly root: Node;
  /** Materialised values it reads (graph values or other groups' roots). */
  readonly inputs: readonly Node[];
  /** Named after its ops (`matmul_add_relu`); unique among the groups. */
  readonly name: string;
  /** The reduction, norm or contraction the group is built around, if any. */
  readonly anchor?: Node;
}

export type NodeRole =
  | 'value' | 'view' | 'elementwise' | 'reduction' | 'norm' | 'matmul' | 'attention' | 'conv' | 'generic';

const ELEMENTWISE = new Set<string>([
  'neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'erf', 'silu', 'sin', 'cos', 'floor', 'ceil',
  'round', 'sign', 'reciprocal', 'not',
  'add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'mod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'xor',
  'gelu', 'where', 'cast', 'gather', 'concat', 'pad', 'iota', 'dim_values',
]);
/** Elementwise ops that may extend an anchor's epilogue (pure functions of one element). */
const SIMPLE_ELEMENTWISE = new Set([...ELEMENTWISE].filter((op) => !['gather', 'concat', 'pad', 'iota', 'dim_values'].includes(op)));
const REDUCTIONS = new Set(['reduce_sum', 'reduce_mean', 'reduce_max', 'reduce_min', 'reduce_prod', 'argmax', 'argmin']);
const NORMS = new Set(['softmax', 'log_softmax', 'layer_norm', 'rms_norm']);
/** Cheaper to recompute in every reader than to load. */
const RECOMPUTED = new Set(['iota', 'dim_values']);

export function nodeRole(n: Node): NodeRole {
  if (n.op === 'input' || n.op === 'param' || n.op === 'constant') return 'value';
  if (isView(n)) return 'view';
  if (ELEMENTWISE.has(n.op)) return 'elementwise';
  if (REDUCTIONS.has(n.op)) return 'reduction';
  if (NORMS.has(n.op)) return 'norm';
  if (n.op === 'matmul') return 'matmul';
  if (n.op === 'attention') return 'attention';
  if (n.op === 'conv') return 'conv';
  return 'generic';
}

/** Anchors whose kernels apply an elementwise epilogue before storing. */
const EPILOGUE_ANCHORS = new Set<NodeRole>(['reduction', 'norm', 'matmul', 'conv']);
/** Anchors whose operands must be strided views of materialised values. */
const STRIDED_OPERANDS = new Set<NodeRole>(['matmul', 'attention', 'conv']);

function sameShape(a: Node, b: Node): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => dimEquals(d, b.shape[i]!));
}

/** Most elementwise ops an epilogue takes in while the readers of a value read twice meet again. */
const MAX_CONVERGING_OPS = 16;

/**
 * The ops that bring `from` (a value with several readers) back to one value: the set grown
 * reader by reader in topological order until exactly one member still escapes it (has a
 * reader outside the set, or is a graph output), the `sink`. Every member is a simple
 * elementwise op of the anchor's shape. Undefined when the readers do not meet that way.
 */
function convergingEpilogue(
  from: Node, anchor: Node, users: ReadonlyMap<Node, readonly Node[]>, outputs: ReadonlySet<Node>, position: ReadonlyMap<Node, number>,
): { readonly members: readonly Node[]; readonly sink: Node } | undefined {
  const members = new Set<Node>();
  for (;;) {
    const escaping = [from, ...members].filter((x) => outputs.has(x) || (users.get(x) ?? []).some((u) => !members.has(u)));
    if (escaping.length === 1 && escaping[0] !== from) return { members: [...members], sink: escaping[0]! };
    if (members.size >= MAX_CONVERGING_OPS) return undefined;
    const readers = escaping.flatMap((x) => (users.get(x) ?? []).filter((u) => !members.has(u)));
    if (readers.length === 0) return undefined;
    const next = readers.reduce((a, b) => (position.get(b)! < position.get(a)! ? b : a));
    if (!SIMPLE_ELEMENTWISE.has(next.op) || !sameShape(next, anchor)) return undefined;
    members.add(next);
  }
}

/** The grouping of a graph, plus which nodes hold buffers. */
export interface Grouping {
  readonly groups: readonly KernelGroup[];
  /** Nodes with a buffer: values (except inline constants) and group roots. */
  readonly materialised: ReadonlySet<Node>;
}

export function groupKernels(graph: Pick<Graph, 'outputs'>): KernelGroup[] {
  return planGroups(graph).groups as KernelGroup[];
}

export function planGroups(graph: Pick<Graph, 'outputs'>): Grouping {
  const order = topoOrder(graph);
  const users = usersOf(graph);
  const outputs = new Set(graph.outputs.map((o) => o.node));
  const materialised = new Set<Node>();
  const inAnchorChain = new Set<Node>();
  const position = new Map(order.map((n, i) => [n, i]));
  // Ops already in an anchor's epilogue: an op reading two anchors (gate · up) joins one of them.
  const claimed = new Set<Node>();

  // Readers through views (views are never buffers, so their readers read the source).
  const effective = new Map<Node, Set<Node>>();
  const effectiveUsers = (n: Node): Set<Node> => {
    let set = effective.get(n);
    if (set) return set;
    set = new Set();
    for (const u of users.get(n) ?? []) {
      if (isView(u) && !outputs.has(u)) for (const v of effectiveUsers(u)) set.add(v);
      else set.add(u);
    }
    effective.set(n, set);
    return set;
  };

  for (const n of order) {
    const role = nodeRole(n);
    if (role === 'value') {
      if (!isInlineConstant(n) || outputs.has(n)) materialised.add(n);
      continue;
    }
    if (outputs.has(n)) materialised.add(n);
    if (role === 'view' || role === 'elementwise') {
      if (role === 'elementwise' && !RECOMPUTED.has(n.op) && effectiveUsers(n).size > 1) materialised.add(n);
      continue;
    }
    // An anchor: extend its epilogue over elementwise ops of its own shape, one reader at a
    // time, or over the ops where the readers of a value read several times meet again.
    let cur = n;
    if (EPILOGUE_ANCHORS.has(role)) {
      for (;;) {
        if (outputs.has(cur)) break;
        const us = users.get(cur) ?? [];
        if (us.length === 1) {
          const u = us[0]!;
          if (!SIMPLE_ELEMENTWISE.has(u.op) || !sameShape(u, n) || claimed.has(u)) break;
          inAnchorChain.add(cur);
          claimed.add(u);
          cur = u;
          continue;
        }
        const converging = us.length > 1 ? convergingEpilogue(cur, n, users, outputs, position) : undefined;
        if (!converging || converging.members.some((m) => claimed.has(m))) break;
        converging.members.forEach((m) => claimed.add(m));
        inAnchorChain.add(cur);
        for (const m of converging.members) if (m !== converging.sink) inAnchorChain.add(m);
        cur = converging.sink;
      }
    }
    materialised.add(cur);
  }
  // Elementwise ops absorbed into an epilogue are computed there, whatever the count above said.
  for (const n of inAnchorChain) if (!outputs.has(n)) materialised.delete(n);

  // Contraction operands: strided views of buffers, materialising what is in the way.
  const isMat = (x: Node): boolean => materialised.has(x);
  for (const n of order) {
    if (!STRIDED_OPERANDS.has(nodeRole(n))) continue;
    for (const s of n.src) {
      if (stridedView(s, isMat)) continue;
      let base = s;
      while (isView(base) && !isMat(base)) base = base.src[0]!;
      materialised.add(base);
      if (!stridedView(s, isMat)) materialised.add(s);
    }
  }

  // kv_attention's decode kernels index their operands as dense buffers.
  for (const n of order) if (n.op === 'kv_attention') for (const s of n.src) materialised.add(s);

  const groups: KernelGroup[] = [];
  const usedNames = new Map<string, number>();
  for (const root of order) {
    if (!materialised.has(root) || nodeRole(root) === 'value') continue;
    const members = new Set<Node>();
    const inputs = new Set<Node>();
    const visit = (x: Node): void => {
      if (members.has(x)) return;
      if (x !== root && (materialised.has(x) || nodeRole(x) === 'value')) {
        if (materialised.has(x)) inputs.add(x);
        return;
      }
      members.add(x);
      x.src.forEach(visit);
    };
    visit(root);
    const nodes = order.filter((x) => members.has(x));
    const anchor = nodes.find((x) => !['view', 'elementwise'].includes(nodeRole(x)));
    const role = anchor ? nodeRole(anchor) : 'elementwise';
    const kind: GroupKind = role === 'norm' ? 'reduction' : (role as GroupKind);
    const base = groupName(nodes);
    const seen = usedNames.get(base) ?? 0;
    usedNames.set(base, seen + 1);
    const name = seen === 0 ? base : `${base}_${seen}`;
    groups.push({ kind, nodes, root, inputs: order.filter((x) => inputs.has(x)), name, ...(anchor ? { anchor } : {}) });
  }
  return { groups, materialised };
}

/** `matmul_add_relu`: the group's ops in order (views left out), at most four. */
function groupName(nodes: readonly Node[]): string {
  const ops: string[] = [];
  for (const n of nodes) if (!isView(n) && !ops.includes(n.op)) ops.push(n.op);
  if (ops.length === 0) ops.push('copy');
  return ops.length > 4 ? `${ops.slice(0, 4).join('_')}_etc` : ops.join('_');
}

/** Readable listing for `sluice inspect --after group-kernels`. */
export function printGroups(groups: readonly KernelGroup[]): string {
  const ids = new Map<Node, string>();
  const ref = (n: Node): string => {
    if (n.op === 'input' || n.op === 'param') return n.attrs.name;
    let id = ids.get(n);
    if (!id) ids.set(n, (id = `%${n.id}`));
    return id;
  };
  return groups
    .map((g) => {
      const ops = g.nodes.map((n) => `${ref(n)} = ${n.op}(${n.src.map(ref).join(', ')})`);
      return [`kernel ${g.name} (${g.kind}) -> ${ref(g.root)}: ${g.root.dtype}[${g.root.shape.map((d) => d.key).join(', ')}]`,
        `  reads ${g.inputs.map(ref).join(', ') || '(nothing)'}`, ...ops.map((o) => `  ${o}`)].join('\n');
    })
    .join('\n');
}
