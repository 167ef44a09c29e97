// What a converter sees of the node it converts: its inputs as Graph IR nodes, the values
// known at import time (constants and shape arithmetic, folded on demand), its attributes,
// the opset, and a builder whose ops carry the node's span. Converters are small functions
// `(ctx) => outputs`; everything they need is here.

import type { Span } from '../../diagnostics/diagnostic.js';
import type { MessageCode } from '../../diagnostics/messages.js';
import type { GraphBuilder } from '../../ir/builder.js';
import { constDim, constValue, type Dim } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import type { Node, OpAttrs, OpKind } from '../../ir/node.js';
import { getNumber, tensor, type Tensor } from '../../interpret/tensor.js';
import type { Attributes } from './attributes.js';
import { ConvertError } from './convert-error.js';
import type { GraphProto } from './proto.js';

/** Results above this many elements are not folded at import time (the op stays in the graph). */
export const MAX_FOLD_ELEMENTS = 1 << 20;

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  /** Input value names; '' marks an optional input that is left out. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attributes;
}

/** The importer services a context needs (implemented by the graph importer). */
export interface ImportServices {
  readonly b: GraphBuilder;
  /** The value of a node when it is known at import time (folds constant subgraphs). */
  valueOf(node: Node): Tensor | undefined;
  /** Converts a subgraph (If/Loop bodies) with its inputs bound; returns its outputs. */
  convertSubgraph(graph: GraphProto, inputs: readonly Node[], scope: ReadonlyMap<string, Node>): Node[];
}

export class ConvertContext {
  constructor(
    readonly node: OnnxNode,
    /** The opset version of the node's domain. */
    readonly opset: number,
    readonly span: Span,
    private readonly inputNodes: readonly (Node | undefined)[],
    private readonly services: ImportServices,
    /** Values visible to subgraphs: everything defined so far. */
    readonly scope: ReadonlyMap<string, Node>,
  ) {}

  get b(): GraphBuilder {
    return this.services.b;
  }

  get attrs(): Attributes {
    return this.node.attrs;
  }

  /** How many inputs are given (optional trailing inputs left out do not count). */
  get inputCount(): number {
    let n = this.inputNodes.length;
    while (n > 0 && this.inputNodes[n - 1] === undefined) n--;
    return n;
  }

  /** Input `i`; a required input that is missing is a user error. */
  input(i: number): Node {
    const n = this.inputNodes[i];
    if (n === undefined) this.fail('onnxBadInput', `${this.node.opType} needs input ${i}, which is not given`);
    return n;
  }

  optionalInput(i: number): Node | undefined {
    return this.inputNodes[i];
  }

  /** The value of any node when known at import time (a subgraph's result, say). */
  valueOf(node: Node): Tensor | undefined {
    return this.services.valueOf(node);
  }

  /** The value of input `i` when known at import time. */
  constant(i: number): Tensor | undefined {
    const n = this.inputNodes[i];
    return n === undefined ? undefined : this.services.valueOf(n);
  }

  requireConstant(i: number, what: string): Tensor {
    const t = this.constant(i);
    if (t === undefined) this.failNotConstant(`${what} (input ${i} of ${this.node.opType})`, this.inputNodes[i]);
    return t;
  }

  /** Constant integer values of input `i` as numbers. */
  ints(i: number, what: string): number[] {
    const t = this.requireConstant(i, what);
    return Array.from({ length: t.data.length }, (_, k) => getNumber(t, k));
  }

  /**
   * Input `i` as dims, when it is a 0-D or 1-D integer tensor whose elements are known dims:
   * a constant, a `dim_values` node (Shape of symbolic dims), or folded arithmetic on them.
   */
  dims(i: number): Dim[] | undefined {
    const n = this.inputNodes[i];
    return n === undefined ? undefined : dimsOf(n, this.services);
  }

  requireDims(i: number, what: string): Dim[] {
    const d = this.dims(i);
    if (d === undefined) this.failNotConstant(`${what} (input ${i} of ${this.node.opType})`, this.inputNodes[i]);
    return d;
  }

  /** Makes an op carrying this node's span; shape errors are reported at the node. */
  op<K extends OpKind>(op: K, src: readonly Node[], attrs: OpAttrs[K]): Node {
    return this.b.op(op, src, attrs, this.span);
  }

  /** Dims as an i64 value: a constant when every dim is known, else a `dim_values` node. */
  dimValues(dims: readonly Dim[], scalar = false): Node {
    const values = dims.map((d) => constValue(d));
    if (values.every((v) => v !== undefined)) return this.b.constant(tensor('i64', scalar ? [] : [dims.length], values as number[]));
    return this.op('dim_values', [], { values: dims, scalar });
  }

  constantTensor(t: Tensor): Node {
    return this.b.constant(t);
  }

  scalar(value: number, dtype: DType): Node {
    return this.b.scalar(value, dtype);
  }

  convertSubgraph(graph: GraphProto, inputs: readonly Node[]): Node[] {
    return this.services.convertSubgraph(graph, inputs, this.scope);
  }

  fail(code: MessageCode, ...args: (string | number)[]): never {
    throw new ConvertError(code, ...args);
  }

  /** onnxNotConstant for `what`, computed from `from` (the diagnostic names the graph inputs behind them). */
  failNotConstant(what: string, ...from: readonly (Node | undefined)[]): never {
    const e = new ConvertError('onnxNotConstant', what);
    e.from = from.filter((n): n is Node => n !== undefined);
    throw e;
  }
}

/** Known integer elements of a 0-D/1-D node, as dims. */
export function dimsOf(n: Node, services: Pick<ImportServices, 'valueOf'>): Dim[] | undefined {
  if (n.op === 'dim_values') return [...n.attrs.values];
  if (n.shape.length > 1 || (n.dtype !== 'i64' && n.dtype !== 'i32')) return undefined;
  const t = services.valueOf(n);
  if (t === undefined) return undefined;
  return Array.from({ length: t.data.length }, (_, k) => constDim(getNumber(t, k)));
}
