// ONNX ModelProto → Graph IR.
//
// Order of work, and why:
//  1. opsets and domains are checked, and every node of every (sub)graph is looked up in the
//     converter table first, so all unsupported ops are reported at once, with node names and
//     counts, before any conversion;
//  2. initializers become constants (small ones, so shape arithmetic can read them) or params
//     with their weights (large ones); graph inputs become inputs, `dim_param`s symbolic dims;
//  3. nodes are converted in topological order (a cycle or an unknown value is reported at
//     the node that needs it); a converter's user error is reported at its node and its
//     outputs become poison, so one run reports every independent problem;
//  4. graph outputs are bound and checked against their declared types.

import { diag, withNotes, type Diagnostic, type Span } from '../../diagnostics/diagnostic.js';
import { GraphBuilder, isPoison } from '../../ir/builder.js';
import { constDim, constValue, dimEquals, printShape, symDim, type Dim } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import { opInfo } from '../../ir/ops/index.js';
import { ShapeError } from '../../ir/types.js';
import type { Tensor } from '../../interpret/tensor.js';
import { Attributes } from './attributes.js';
import { ConvertContext, MAX_FOLD_ELEMENTS, type ImportServices, type OnnxNode } from './context.js';
import { ConvertError } from './convert-error.js';
import { converterKey, OP_VERSIONS_AFTER_25, versionAfter25, type ConverterEntry } from './converter.js';
import { CONVERTERS } from './converters/index.js';
import { dtypeFromOnnx, tensorFromInitializer, type InitializerOptions } from './initializers.js';
import type { GraphProto, ModelProto, NodeProto, ValueInfoProto } from './proto.js';
import { describeType, int64, ONNX_TYPE_NAMES } from './proto.js';

/**
 * Opset versions of the default domain that sluice knows. Ops that changed after opset 25 are
 * listed in OP_VERSIONS_AFTER_25 (converter.ts), and refused where a converter does not follow.
 */
export const DEFAULT_DOMAIN_OPSETS = { min: 1, max: 27 } as const;
/** Other domains sluice knows, with the versions it knows. */
export const KNOWN_DOMAINS: Readonly<Record<string, { min: number; max: number }>> = {
  'com.microsoft': { min: 1, max: 1 },
};
/** Initializers with at most this many elements become constants (so shapes can read them). */
const MAX_CONSTANT_INITIALIZER = 64;

export interface OpCount {
  readonly op: string;
  readonly domain: string;
  readonly count: number;
  readonly supported: boolean;
  /** Why an op with a converter is not supported here (its opset is outside what it converts). */
  readonly reason?: string;
  readonly nodes: readonly string[];
}

export interface ImportSummary {
  readonly irVersion: number;
  readonly opsets: readonly { domain: string; version: number }[];
  readonly producer: string;
  readonly ops: readonly OpCount[];
}

export interface ImportResult {
  readonly graph: Graph | undefined;
  readonly diagnostics: Diagnostic[];
  readonly summary: ImportSummary | undefined;
}

export interface ImportOptions extends InitializerOptions {
  /**
   * Graph inputs to specialise: each is imported as a constant with this value. For inputs a
   * model needs at import time (a Reshape shape, Slice bounds, TopK's k) that the model keeps
   * as graph inputs; the graph is then valid for these values only.
   */
  readonly constantInputs?: ReadonlyMap<string, Tensor>;
}

function isDefaultDomain(domain: string): boolean {
  return domain === '' || domain === 'ai.onnx';
}

function nodeLabel(n: NodeProto, index: number): string {
  return n.name || `#${index} (${n.opType ?? '?'})`;
}

/** Imports a decoded model. Never throws for problems in the model: they come back as diagnostics. */
export function importModel(model: ModelProto, path: string, options: ImportOptions): ImportResult {
  const diagnostics: Diagnostic[] = [];
  const graphProto = model.graph;
  if (!graphProto) return { graph: undefined, diagnostics: [diag('onnxNoGraph', undefined)], summary: undefined };

  const opsets = new Map<string, number>();
  for (const o of model.opsetImport ?? []) {
    const domain = o.domain && o.domain !== 'ai.onnx' ? o.domain : '';
    opsets.set(domain, int64(o.version));
  }
  if (!opsets.has('')) opsets.set('', 1); // IR version 1 models had no opset_import

  const summary: ImportSummary = {
    irVersion: int64(model.irVersion),
    opsets: [...opsets].map(([domain, version]) => ({ domain: domain || 'ai.onnx', version })),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    ops: countOps(graphProto, opsets),
  };

  // 1. Opsets, domains and unsupported ops, all before converting anything.
  const fileSpan = (node: string, op: string): Span => ({ kind: 'node', file: path, node, op });
  for (const [domain, version] of opsets) {
    const known = isDefaultDomain(domain) ? DEFAULT_DOMAIN_OPSETS : KNOWN_DOMAINS[domain];
    if (known && (version < known.min || version > known.max)) {
      diagnostics.push(diag('onnxUnknownOpset', undefined, version, domain || 'ai.onnx', `${known.min} to ${known.max}`));
    }
  }
  const unknownDomains = new Set<string>();
  for (const o of summary.ops) {
    if (o.supported) continue;
    if (!isDefaultDomain(o.domain) && !KNOWN_DOMAINS[o.domain]) {
      if (!unknownDomains.has(o.domain)) diagnostics.push(diag('onnxUnknownDomain', fileSpan(o.nodes[0]!, o.op), o.domain));
      unknownDomains.add(o.domain);
      continue;
    }
    const shown = o.nodes.slice(0, 5).map((n) => `'${n}'`).join(', ');
    const more = o.nodes.length > 5 ? ` and ${o.nodes.length - 5} more` : '';
    const d = diag('onnxUnsupportedOp', fileSpan(o.nodes[0]!, o.op), converterKey(o.domain, o.op));
    diagnostics.push({ ...d, notes: [`used by ${o.count} node${o.count === 1 ? '' : 's'}: ${shown}${more}`, ...(o.reason ? [o.reason] : [])] });
  }
  if (diagnostics.length) return { graph: undefined, diagnostics, summary };

  const importer = new GraphImporter(path, opsets, options, diagnostics, graphProto.name || 'model');
  const graph = importer.run(graphProto);
  return { graph, diagnostics, summary };
}

function countOps(graph: GraphProto, opsets: ReadonlyMap<string, number>): OpCount[] {
  const counts = new Map<string, { op: string; domain: string; count: number; nodes: string[] }>();
  const visit = (g: GraphProto): void => {
    (g.node ?? []).forEach((n, i) => {
      const domain = n.domain && n.domain !== 'ai.onnx' ? n.domain : '';
      const key = converterKey(domain, n.opType ?? '');
      const entry = counts.get(key) ?? { op: n.opType ?? '', domain: domain || 'ai.onnx', count: 0, nodes: [] };
      entry.count++;
      entry.nodes.push(nodeLabel(n, i));
      counts.set(key, entry);
      for (const a of n.attribute ?? []) {
        if (a.g) visit(a.g);
        for (const sub of a.graphs ?? []) visit(sub);
      }
    });
  };
  visit(graph);
  return [...counts.entries()]
    .map(([key, e]) => {
      const domain = e.domain === 'ai.onnx' ? '' : e.domain;
      const reason = unsupportedReason(CONVERTERS.get(key), e.op, domain, opsets.get(domain) ?? 1);
      return { ...e, supported: reason === undefined, ...(reason !== undefined && CONVERTERS.has(key) ? { reason } : {}) };
    })
    .sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
}

/**
 * The names a node's subgraphs read from enclosing scopes (their implicit inputs): every value
 * a subgraph node uses or a subgraph outputs that the subgraph does not define itself.
 */
function outerReads(node: NodeProto): string[] {
  const reads = new Set<string>();
  const visit = (g: GraphProto, enclosing: ReadonlySet<string>): void => {
    const local = new Set(enclosing);
    for (const v of g.input ?? []) local.add(v.name ?? '');
    for (const t of g.initializer ?? []) local.add(t.name ?? '');
    for (const n of g.node ?? []) for (const o of n.output ?? []) local.add(o);
    for (const n of g.node ?? []) {
      for (const name of n.input ?? []) if (name !== '' && !local.has(name)) reads.add(name);
      for (const a of n.attribute ?? []) for (const sub of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) visit(sub, local);
    }
    for (const v of g.output ?? []) if (!local.has(v.name ?? '')) reads.add(v.name ?? '');
  };
  for (const a of node.attribute ?? []) for (const sub of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) visit(sub, new Set());
  return [...reads];
}

/**
 * A converter's error as a diagnostic at its node. A value needed at import time that comes
 * from graph inputs gets a note naming them: given their values, the model can be specialised.
 */
function convertErrorDiagnostic(e: ConvertError, span: Span): Diagnostic {
  const d = diag(e.code, span, ...e.args);
  if (e.code !== 'onnxNotConstant') return d;
  const inputs = graphInputsBehind(e.from);
  if (inputs.length === 0) return d;
  const one = inputs.length === 1;
  const names = inputs.map((n) => `'${n}'`).join(', ');
  return withNotes(d, `it comes from graph input${one ? '' : 's'} ${names}; give ${one ? 'its value' : 'their values'} (sluice run --input ${inputs[0]}=FILE, or the inputs passed to run()) and sluice specialises the model to ${one ? 'it' : 'them'}`);
}

/** Names of the graph inputs the nodes are computed from, in the order first reached. */
function graphInputsBehind(nodes: readonly Node[]): string[] {
  const names: string[] = [];
  const seen = new Set<Node>();
  const stack = [...nodes].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.op === 'input') names.push(n.attrs.name);
    for (let i = n.src.length - 1; i >= 0; i--) stack.push(n.src[i]!);
  }
  return names;
}

/** Why `op` cannot be converted at `opset` (undefined when it can). `versions`: for tests. */
export function unsupportedReason(
  entry: ConverterEntry | undefined, op: string, domain: string, opset: number, versions = OP_VERSIONS_AFTER_25,
): string | undefined {
  if (entry === undefined) return 'sluice has no converter for it';
  if (opset < (entry.minOpset ?? 1)) return `sluice converts it from opset ${entry.minOpset}; the model uses opset ${opset}`;
  if (opset > (entry.maxOpset ?? Infinity)) return `sluice converts it up to opset ${entry.maxOpset}; the model uses opset ${opset}`;
  const version = isDefaultDomain(domain) ? versionAfter25(op, opset, versions) : undefined;
  if (version !== undefined && (entry.latestVersion ?? 0) < version) {
    return `opset ${opset} has ${op}-${version}, a version sluice does not convert yet${entry.latestVersion ? ` (it converts up to ${op}-${entry.latestVersion})` : ''}`;
  }
  return undefined;
}

class SymbolicDim extends Error {}

class GraphImporter implements ImportServices {
  readonly b: GraphBuilder;
  private readonly folded = new Map<Node, Tensor | null>();
  private readonly weights = new Map<string, Tensor>();
  private unknownDims = 0;

  constructor(
    private readonly path: string,
    private readonly opsets: ReadonlyMap<string, number>,
    private readonly options: ImportOptions,
    private readonly diagnostics: Diagnostic[],
    name: string,
  ) {
    this.b = new GraphBuilder(name);
  }

  run(g: GraphProto): Graph | undefined {
    const values = new Map<string, Node>();
    const initializerNames = new Set<string>();
    for (const init of g.initializer ?? []) {
      const name = init.name ?? '';
      initializerNames.add(name);
      const t = this.tensor(() => tensorFromInitializer(init, this.path, this.options), name);
      if (!t) {
        values.set(name, this.b.poison());
        continue;
      }
      if (t.data.length <= MAX_CONSTANT_INITIALIZER) {
        values.set(name, this.b.constant(t));
      } else {
        this.weights.set(name, t);
        values.set(name, this.b.param(name, t.dtype, t.shape.map((d) => constDim(d)), undefined, t));
      }
    }
    for (const input of g.input ?? []) {
      const name = input.name ?? '';
      if (initializerNames.has(name)) continue; // IR < 4: an initializer listed as an input is a weight
      const type = this.valueType(input, 'input');
      const fixed = this.options.constantInputs?.get(name);
      if (!type) values.set(name, this.b.poison());
      else if (fixed) values.set(name, this.specialised(name, type, fixed));
      else values.set(name, this.b.input(name, type.dtype, type.shape));
    }
    for (const out of g.output ?? []) {
      if (out.type && !out.type.tensorType) {
        const label: Span = { kind: 'node', file: this.path, node: out.name ?? '', op: 'graph output' };
        this.diagnostics.push(diag('onnxNotATensor', label, 'output', out.name ?? '', describeType(out.type)));
      }
    }
    this.convertNodes(g, values);
    for (const out of g.output ?? []) {
      const name = out.name ?? '';
      const node = values.get(name);
      if (!node) {
        this.diagnostics.push(diag('onnxMissingOutput', undefined, name));
        continue;
      }
      if (isPoison(node)) continue;
      this.checkDeclared(out, node);
      this.b.output(name, node);
    }
    for (const d of this.b.diagnostics) if (!this.diagnostics.includes(d)) this.diagnostics.push(d);
    if (this.diagnostics.some((d) => d.severity === 'error')) return undefined;
    const { graph, diagnostics } = this.b.finish();
    for (const d of diagnostics) if (!this.diagnostics.includes(d)) this.diagnostics.push(d);
    return graph;
  }

  /** A graph input fixed to a value: it must have the declared dtype and rank. */
  private specialised(name: string, type: { dtype: DType; shape: Dim[] }, value: Tensor): Node {
    const fits = value.dtype === type.dtype && value.shape.length === type.shape.length &&
      type.shape.every((d, i) => constValue(d) === undefined || constValue(d) === value.shape[i]);
    if (!fits) {
      this.diagnostics.push(diag('inputShape', undefined, name, `${type.dtype}${printShape(type.shape)}`, `${value.dtype}[${value.shape.join(', ')}]`));
      return this.b.poison();
    }
    return this.b.constant(value);
  }

  /** Converts the nodes of `g` in dependency order, adding their outputs to `values`. */
  private convertNodes(g: GraphProto, values: Map<string, Node>): void {
    const nodes = g.node ?? [];
    const order = this.topologicalOrder(nodes, values);
    for (const index of order) {
      const proto = nodes[index]!;
      const label = nodeLabel(proto, index);
      const span: Span = { kind: 'node', file: this.path, node: label, op: proto.opType ?? '' };
      const domain = proto.domain && proto.domain !== 'ai.onnx' ? proto.domain : '';
      const node: OnnxNode = {
        name: label,
        opType: proto.opType ?? '',
        domain,
        inputs: proto.input ?? [],
        outputs: proto.output ?? [],
        attrs: new Attributes(proto.attribute ?? []),
      };
      const inputs = node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
      const outputs = this.convertNode(node, span, inputs, values);
      node.outputs.forEach((name, i) => {
        if (name === '') return;
        if (values.has(name) && !isPoison(values.get(name)!)) {
          this.diagnostics.push(diag('onnxDuplicateValue', span, name));
          return;
        }
        values.set(name, outputs[i] ?? this.b.poison());
      });
    }
  }

  private convertNode(node: OnnxNode, span: Span, inputs: (Node | undefined)[], values: ReadonlyMap<string, Node>): (Node | undefined)[] {
    const poison = node.outputs.map(() => this.b.poison());
    if (inputs.some((n) => n !== undefined && isPoison(n))) return poison;
    const entry = CONVERTERS.get(converterKey(node.domain, node.opType));
    if (!entry) throw new Error(`no converter for ${node.opType}: the unsupported-op check should have caught it`);
    const ctx = new ConvertContext(node, this.opsets.get(node.domain) ?? 1, span, inputs, this, values);
    try {
      const outputs = [...entry.convert(ctx)];
      node.outputs.forEach((name, i) => {
        if (name !== '' && outputs[i] === undefined) {
          throw new ConvertError('onnxUnsupportedFeature', `output ${i} ('${name}') of ${node.opType} is not supported`);
        }
      });
      return outputs;
    } catch (e) {
      if (e instanceof ConvertError) this.diagnostics.push(convertErrorDiagnostic(e, span));
      else if (e instanceof ShapeError) this.diagnostics.push(diag(e.code, span, ...e.args));
      else if (e instanceof RangeError && /call stack/i.test(e.message)) this.diagnostics.push(diag('onnxTooLarge', span, 'the graph is nested too deeply to convert'));
      else throw e;
      return poison;
    }
  }

  /** Node indices in an order where every input is defined first; reports cycles and unknown values. */
  private topologicalOrder(nodes: readonly NodeProto[], defined: ReadonlyMap<string, Node>): number[] {
    const producer = new Map<string, number>();
    nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o !== '' && !producer.has(o) && producer.set(o, i)));
    const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
    const order: number[] = [];
    const reported = new Set<string>();
    // A node's dependencies: its inputs, and the values its subgraphs (If/Loop bodies) read
    // from enclosing scopes, which must be converted before it too.
    const dependencies = nodes.map((n) => [...(n.input ?? []), ...outerReads(n)]);
    for (let start = 0; start < nodes.length; start++) {
      if (state[start]) continue;
      // Iterative DFS over producers (graphs can be deep).
      const stack: [number, number][] = [[start, 0]];
      state[start] = 1;
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const [i, k] = top;
        const ins = dependencies[i]!;
        if (k < ins.length) {
          top[1]++;
          const name = ins[k]!;
          if (name === '' || defined.has(name)) continue;
          const p = producer.get(name);
          if (p === undefined) {
            // (a subgraph's unknown value is reported when the subgraph is converted)
            const explicit = k < (nodes[i]!.input ?? []).length;
            if (explicit && !this.isOuterScopeValue(name) && !reported.has(name)) {
              reported.add(name);
              this.diagnostics.push(diag('onnxMissingValue', { kind: 'node', file: this.path, node: nodeLabel(nodes[i]!, i), op: nodes[i]!.opType ?? '' }, name));
            }
            continue;
          }
          if (state[p] === 1) {
            if (!reported.has(`cycle:${p}`)) {
              reported.add(`cycle:${p}`);
              this.diagnostics.push(diag('onnxCycle', { kind: 'node', file: this.path, node: nodeLabel(nodes[p]!, p), op: nodes[p]!.opType ?? '' }, `'${name}'`));
            }
            continue;
          }
          if (state[p] === 0) {
            state[p] = 1;
            stack.push([p, 0]);
          }
        } else {
          state[i] = 2;
          order.push(i);
          stack.pop();
        }
      }
    }
    return order;
  }

  /** Subgraphs may read values of enclosing graphs; those are resolved by the scope at conversion. */
  private outerScopes: ReadonlyMap<string, Node>[] = [];
  private isOuterScopeValue(name: string): boolean {
    return this.outerScopes.some((s) => s.has(name));
  }

  convertSubgraph(graph: GraphProto, inputs: readonly Node[], scope: ReadonlyMap<string, Node>): Node[] {
    const declared = graph.input ?? [];
    if (declared.length !== inputs.length) {
      throw new ConvertError('onnxBadInput', `the subgraph '${graph.name ?? ''}' declares ${declared.length} inputs, ${inputs.length} are bound`);
    }
    const values = new Map(scope);
    declared.forEach((d, i) => values.set(d.name ?? '', inputs[i]!));
    for (const init of graph.initializer ?? []) {
      const t = this.tensor(() => tensorFromInitializer(init, this.path, this.options), init.name ?? '');
      values.set(init.name ?? '', t ? this.b.constant(t) : this.b.poison());
    }
    this.outerScopes.push(scope);
    const before = this.diagnostics.length;
    const builderBefore = this.b.diagnostics.length;
    try {
      this.convertNodes(graph, values);
    } finally {
      this.outerScopes.pop();
    }
    if (this.diagnostics.length > before || this.b.diagnostics.length > builderBefore) {
      throw new ConvertError('onnxBadInput', `the subgraph '${graph.name ?? ''}' has errors (above)`);
    }
    return (graph.output ?? []).map((o) => {
      const n = values.get(o.name ?? '');
      if (!n) throw new ConvertError('onnxMissingOutput', o.name ?? '');
      return n;
    });
  }

  /** The value of a node when it is known now: constants, and ops on them (folded and cached). */
  valueOf(node: Node): Tensor | undefined {
    if (node.op === 'constant') return node.attrs.value;
    // Large initializers are params; a converter rarely needs their values, but they are at hand.
    if (node.op === 'param') return this.weights.get(node.attrs.name);
    const cached = this.folded.get(node);
    if (cached !== undefined) return cached ?? undefined;
    let value: Tensor | undefined;
    const info = opInfo(node.op);
    const shape = node.shape.map((d) => constValue(d));
    const size = shape.reduce<number | undefined>((acc, d) => (acc === undefined || d === undefined ? undefined : acc * d), 1);
    if (info.category !== 'source' && info.evaluate && size !== undefined && size <= MAX_FOLD_ELEMENTS) {
      const srcValues = node.src.map((s) => this.valueOf(s));
      if (srcValues.every((v) => v !== undefined)) {
        // A dim in the attributes that is still symbolic (dim_values of a symbolic shape, a
        // slice bound) makes the value unknown until run time.
        const dim = (d: Dim): number => {
          const v = constValue(d);
          if (v === undefined) throw new SymbolicDim();
          return v;
        };
        try {
          value = info.evaluate(srcValues as Tensor[], node.attrs as never, { dtype: node.dtype, shape: shape as number[], env: new Map(), dim });
        } catch (e) {
          if (!(e instanceof SymbolicDim)) throw e;
        }
      }
    }
    this.folded.set(node, value ?? null);
    return value;
  }

  /** Runs a tensor decode, turning its diagnostics into ours (named after the tensor). */
  private tensor(read: () => Tensor, name: string): Tensor | undefined {
    try {
      return read();
    } catch (e) {
      if (e && typeof e === 'object' && 'diagnostics' in e) {
        for (const d of (e as { diagnostics: Diagnostic[] }).diagnostics) this.diagnostics.push({ ...d, notes: [...d.notes, `while reading initializer '${name}'`] });
        return undefined;
      }
      throw e;
    }
  }

  /** The dtype and shape a graph input declares; dims without a value become symbols. */
  private valueType(v: ValueInfoProto, role: string): { dtype: DType; shape: Dim[] } | undefined {
    const name = v.name ?? '';
    const tt = v.type?.tensorType;
    if (!tt) {
      if (v.type) this.diagnostics.push(diag('onnxNotATensor', { kind: 'node', file: this.path, node: name, op: `graph ${role}` }, role, name, describeType(v.type)));
      else this.diagnostics.push(diag('onnxUnsupportedFeature', undefined, `${role} '${name}' has no type (its dtype and rank must be declared)`));
      return undefined;
    }
    const dtype = dtypeFromOnnx(tt.elemType ?? 0);
    if (!dtype) {
      const type = tt.elemType ?? 0;
      this.diagnostics.push(diag('onnxUnsupportedDtype', undefined, `${ONNX_TYPE_NAMES[type] ?? type} (${type}) of ${role} '${name}'`));
      return undefined;
    }
    if (!tt.shape) {
      this.diagnostics.push(diag('onnxUnsupportedFeature', undefined, `${role} '${name}' has no shape (its rank must be known)`));
      return undefined;
    }
    const shape = (tt.shape.dim ?? []).map((d, axis) => {
      if (d.dimParam) return this.declare(d.dimParam);
      if (d.dimValue !== undefined && d.dimValue !== null && (typeof d.dimValue !== 'number' || d.dimValue >= 0)) {
        const n = int64(d.dimValue);
        if (Number.isSafeInteger(n) && n >= 0) return constDim(n);
      }
      return this.declare(`${name}_dim${axis}_${this.unknownDims++}`);
    });
    return { dtype, shape };
  }

  private declared = new Set<string>();
  private declare(name: string): Dim {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.b.declareDim(name);
    }
    return symDim(name);
  }

  /** A graph output's declared dtype and constant dims must match what the graph computes. */
  private checkDeclared(out: ValueInfoProto, node: Node): void {
    const label: Span = { kind: 'node', file: this.path, node: out.name ?? '', op: 'graph output' };
    const tt = out.type?.tensorType;
    if (!tt) return; // (non-tensor outputs were refused before converting)
    const dtype = tt.elemType ? dtypeFromOnnx(tt.elemType) : undefined;
    if (dtype && dtype !== node.dtype) {
      this.diagnostics.push(diag('onnxShapeMismatch', label, `output '${out.name}' is declared ${dtype} but computes ${node.dtype}`));
      return;
    }
    const dims = tt.shape?.dim;
    if (!dims) return;
    const mismatch =
      dims.length !== node.shape.length ||
      dims.some((d, i) => {
        if (d.dimParam || d.dimValue === undefined || d.dimValue === null) return false;
        const declared = int64(d.dimValue);
        const actual = node.shape[i]!;
        return constValue(actual) !== undefined && !dimEquals(actual, constDim(declared));
      });
    if (mismatch) {
      const declared = `[${dims.map((d) => d.dimParam || String(int64(d.dimValue))).join(', ')}]`;
      this.diagnostics.push(diag('onnxShapeMismatch', label, `output '${out.name}' is declared ${declared} but computes ${printShape(node.shape)}`));
    }
  }
}
