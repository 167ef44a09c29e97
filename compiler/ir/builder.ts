// GraphBuilder: the only way nodes are made. It runs each op's inference, interns nodes
// (structurally equal nodes are one object: free CSE), and collects diagnostics. On a user
// error it records a diagnostic and returns a poison node; ops on poison return poison
// quietly, so one mistake is reported once and lowering can go on to find the next.

import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { constDim, symDim, type Dim } from './dim.js';
import type { DType } from './dtype.js';
import type { DimDecl, Graph, GraphOutput } from './graph.js';
import type { Node, NodeOf, OpAttrs, OpKind } from './node.js';
import { opInfo } from './ops/index.js';
import { ShapeError, type TensorType } from './types.js';
import { verifyGraph } from './verify.js';
import { tensor, type Tensor } from '../interpret/tensor.js';

/** Constants with more elements than this are never merged (hashing them costs more than it saves). */
const MAX_INTERNED_CONSTANT = 64;

export class GraphBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly interned = new Map<string, Node>();
  private readonly dims: DimDecl[] = [];
  private readonly inputs: NodeOf<'input'>[] = [];
  private readonly params: NodeOf<'param'>[] = [];
  private readonly outputs: GraphOutput[] = [];
  private readonly weights = new Map<string, Tensor>();
  private readonly spans = new Map<Node, Span>();
  private readonly names = new Set<string>();
  private nextId = 0;
  private poisonNode: Node | undefined;

  constructor(readonly name: string) {}

  /** Declares a symbolic dim of the model. */
  declareDim(name: string, defaultValue?: number, span?: Span): Dim {
    if (this.dims.some((d) => d.name === name)) this.report(diag('duplicateName', span, name));
    else this.dims.push(defaultValue === undefined ? { name } : { name, defaultValue });
    return symDim(name);
  }

  input(name: string, dtype: DType, shape: readonly Dim[], span?: Span): Node {
    if (!this.claimName(name, span)) return this.poison();
    const node = this.make('input', [], { name }, { dtype, shape }) as NodeOf<'input'>;
    this.inputs.push(node);
    this.setSpan(node, span);
    return node;
  }

  param(name: string, dtype: DType, shape: readonly Dim[], span?: Span, value?: Tensor): Node {
    if (!this.claimName(name, span)) return this.poison();
    const node = this.make('param', [], { name }, { dtype, shape }) as NodeOf<'param'>;
    this.params.push(node);
    if (value) this.weights.set(name, value);
    this.setSpan(node, span);
    return node;
  }

  constant(value: Tensor): Node {
    const shape = value.shape.map((d) => constDim(d));
    return this.make('constant', [], { value }, { dtype: value.dtype, shape });
  }

  scalar(value: number, dtype: DType): Node {
    return this.constant(tensor(dtype, [], [value]));
  }

  /** Makes an op node: checks arity, infers its type, interns it. */
  op<K extends OpKind>(op: K, src: readonly Node[], attrs: OpAttrs[K], span?: Span): Node {
    if (src.some(isPoison)) return this.poison();
    const info = opInfo(op);
    if (src.length < info.arity[0] || src.length > info.arity[1]) {
      throw new Error(`${op} takes ${info.arity[0]}..${info.arity[1]} operands, got ${src.length}`);
    }
    let type: TensorType;
    try {
      type = info.infer(src, attrs);
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      this.report(diag(e.code, span, ...e.args));
      return this.poison();
    }
    const node = this.make(op, src, attrs, type);
    this.setSpan(node, span);
    return node;
  }

  output(name: string, node: Node, span?: Span): void {
    if (isPoison(node)) return;
    if (this.outputs.some((o) => o.name === name)) {
      this.report(diag('duplicateName', span, name));
      return;
    }
    this.outputs.push({ name, node });
  }

  report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  spanOf(node: Node): Span | undefined {
    return this.spans.get(node);
  }

  setSpan(node: Node, span: Span | undefined): void {
    if (span && !this.spans.has(node)) this.spans.set(node, span);
  }

  /** The graph, or undefined when errors were reported (the diagnostics say why). */
  finish(): { graph: Graph | undefined; diagnostics: Diagnostic[] } {
    if (!hasErrors(this.diagnostics) && this.outputs.length === 0) this.report(diag('noOutputs', undefined, this.name));
    if (hasErrors(this.diagnostics)) return { graph: undefined, diagnostics: this.diagnostics };
    const graph: Graph = {
      name: this.name,
      dims: [...this.dims],
      inputs: [...this.inputs],
      params: [...this.params],
      outputs: [...this.outputs],
      weights: new Map(this.weights),
      spans: new Map(this.spans),
    };
    const problems = verifyGraph(graph);
    if (problems.length) throw new Error(`builder produced an invalid graph:\n${problems.join('\n')}`);
    return { graph, diagnostics: this.diagnostics };
  }

  private claimName(name: string, span: Span | undefined): boolean {
    if (this.names.has(name)) {
      this.report(diag('duplicateName', span, name));
      return false;
    }
    this.names.add(name);
    return true;
  }

  /** The poison node: stands for a value whose error has been reported. */
  poison(): Node {
    this.poisonNode ??= { id: this.nextId++, op: 'error', dtype: 'f32', shape: [], src: [], attrs: {} };
    return this.poisonNode;
  }

  private make<K extends OpKind>(op: K, src: readonly Node[], attrs: OpAttrs[K], type: TensorType): Node {
    const key = internKey(op, src, attrs, type);
    if (key !== undefined) {
      const existing = this.interned.get(key);
      if (existing) return existing;
    }
    const node = Object.freeze({ id: this.nextId++, op, dtype: type.dtype, shape: Object.freeze([...type.shape]), src: Object.freeze([...src]), attrs: Object.freeze(attrs) }) as unknown as Node;
    if (key !== undefined) this.interned.set(key, node);
    return node;
  }
}

export function isPoison(node: Node): boolean {
  return node.op === 'error';
}

/** Structural identity of a node; undefined for nodes that are never merged. */
function internKey(op: OpKind, src: readonly Node[], attrs: object, type: TensorType): string | undefined {
  if (op === 'input' || op === 'param') return `${op}:${(attrs as { name: string }).name}`;
  if (op === 'constant') {
    const value = (attrs as OpAttrs['constant']).value;
    if (value.data.length > MAX_INTERNED_CONSTANT) return undefined;
    return `constant:${value.dtype}[${value.shape.join(',')}]:${Array.from(value.data, (v: number | bigint) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}`;
  }
  return `${op}(${src.map((s) => s.id).join(',')})${stableJson(attrs)}:${type.dtype}`;
}

function stableJson(v: unknown): string {
  if (v === undefined) return 'u';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if ('key' in v && 'terms' in v) return `dim(${(v as Dim).key})`;
  const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, x]) => `${k}:${stableJson(x)}`).join(',')}}`;
}
