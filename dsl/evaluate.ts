// Expressions to Graph IR nodes: names, literals, operators, calls (builtins through the
// table in `builtins.ts`, user functions inlined), `.T` and subscripts. Every expression
// evaluates to a Value; a mistake is reported once where it is found and turns the value
// into `error`, which everything built from it passes on without a word.

import { diag, textSpan, unreachable, withNotes, type Diagnostic, type SourceFile, type Span } from '../compiler/diagnostics/diagnostic.js';
import type { MessageCode } from '../compiler/diagnostics/messages.js';
import { isPoison, type GraphBuilder } from '../compiler/ir/builder.js';
import { constDim, constValue, negDim, type Dim } from '../compiler/ir/dim.js';
import { DTYPES, type DType } from '../compiler/ir/dtype.js';
import type { Node, OpAttrs, OpKind } from '../compiler/ir/node.js';
import type * as A from './ast.js';
import { bindArgs, type BindContext, type CallArg, type ParamSpec } from './bind-args.js';
import { BUILTINS, transposeLastTwo, type BuiltinContext, type Signature } from './builtins.js';
import { scalarBinary, TENSOR_OPS, type OperatorContext } from './operators.js';
import { indexAxis, isWholeAxis, sliceAxis, type AxisSlice } from './slicing.js';
import { asLiteral, describeValue, dimValue, ERROR, isLiteral, tensorValue, type Operand, type Value } from './values.js';

/** Names in scope: a function's parameters and lets, the model's names, the file's. */
export interface Scope {
  readonly names: Map<string, Binding>;
  readonly parent?: Scope;
}

export interface Binding {
  readonly value: Value;
  /** Set for model inputs, so unused ones can be reported. */
  readonly input?: string;
}

export function newScope(parent?: Scope): Scope {
  return parent ? { names: new Map(), parent } : { names: new Map() };
}

export interface FunctionEntry {
  readonly fn: A.FnDecl;
  /** Where the function was declared: its body sees these names. */
  readonly scope: Scope;
}

export class Evaluator implements OperatorContext {
  /** User functions by name; filled by the model lowering before any expression is evaluated. */
  readonly functions = new Map<string, FunctionEntry>();
  readonly usedInputs = new Set<string>();
  private readonly callStack: string[] = [];

  constructor(
    readonly b: GraphBuilder,
    private readonly file: SourceFile,
  ) {}

  at(r: A.TextRange): Span {
    return textSpan(this.file, r.start, r.length);
  }

  report(r: A.TextRange | undefined, code: MessageCode, ...args: (string | number)[]): void {
    this.b.report(diag(code, r ? this.at(r) : undefined, ...args));
  }

  /** Source text of a range, on one line and shortened, for messages. */
  text(r: A.TextRange): string {
    const t = this.file.text.slice(r.start, r.start + r.length).replace(/\s+/g, ' ');
    return t.length > 40 ? `${t.slice(0, 37)}...` : t;
  }

  /** Binds a name in `scope`; a second binding of it is reported and ignored. */
  define(scope: Scope, name: A.Identifier, value: Value, binding: Partial<Binding> = {}): void {
    if (name.name === '') return;
    if (scope.names.has(name.name)) {
      this.report(name.span, 'duplicateName', name.name);
      return;
    }
    scope.names.set(name.name, { value, ...binding });
  }

  eval(e: A.Expr, scope: Scope): Value {
    switch (e.kind) {
      case 'Name': return this.lookup(e, scope);
      case 'Number':
        return e.isInteger && Number.isSafeInteger(e.value) ? dimValue(constDim(e.value)) : { kind: 'number', value: e.value };
      case 'String': return { kind: 'string', value: e.value };
      case 'Bool': return { kind: 'bool', value: e.value };
      case 'List': return { kind: 'list', items: e.items.map((i) => this.eval(i, scope)) };
      case 'Unary': return this.negate(this.eval(e.operand, scope), e);
      case 'Binary': return this.binary(e, this.eval(e.left, scope), this.eval(e.right, scope));
      case 'Call': return this.call(e, scope);
      case 'Member': return this.member(e, scope);
      case 'Index': return this.index(e, scope);
      case 'Missing': return ERROR;
      default: return unreachable(e, 'expression');
    }
  }

  private lookup(e: A.Name, scope: Scope): Value {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const b = s.names.get(e.name);
      if (b === undefined) continue;
      if (b.input !== undefined) this.usedInputs.add(b.input);
      return b.value;
    }
    let d = diag('unknownName', this.at(e.span), e.name);
    if (this.functions.has(e.name) || BUILTINS.has(e.name)) d = withNotes(d, `'${e.name}' is a function: call it, as in ${e.name}(...)`);
    this.b.report(d);
    return ERROR;
  }

  /** A value used as a dimension: undefined (reported) when it is anything else. */
  evalDim(e: A.Expr, scope: Scope): Dim | undefined {
    const v = this.eval(e, scope);
    switch (v.kind) {
      case 'dim': return v.dim;
      case 'error': return undefined;
      case 'tensor': this.report(e.span, 'notADim', this.text(e.span)); return undefined;
      default: this.report(e.span, 'badDimExpression', `'${this.text(e.span)}'`); return undefined;
    }
  }

  /** A value used as a tensor: literals become f32 (or bool) scalars. */
  toTensor(v: Value, r: A.TextRange): Node | undefined {
    const o = this.operand(v, r);
    if (o === undefined) return undefined;
    return isLiteral(o) ? this.b.scalar(o.value, o.isBool ? 'bool' : 'f32') : o;
  }

  private operand(v: Value, r: A.TextRange): Operand | undefined {
    if (v.kind === 'tensor') return v.node;
    if (v.kind === 'error') return undefined;
    const lit = asLiteral(v);
    if (lit) return lit;
    if (v.kind === 'dim') this.report(r, 'notATensor', this.text(r));
    else this.report(r, 'wrongKindOfValue', 'a tensor or a number', describeValue(v));
    return undefined;
  }

  private negate(v: Value, e: A.Unary): Value {
    switch (v.kind) {
      case 'error': return ERROR;
      case 'dim': return dimValue(negDim(v.dim));
      case 'number': return { kind: 'number', value: -v.value };
      case 'tensor': return this.built(this.b.op('neg', [v.node], {}, this.at(e.span)));
      default:
        this.report(e.operand.span, 'wrongKindOfValue', 'a tensor or a number', describeValue(v));
        return ERROR;
    }
  }

  private built(node: Node | undefined): Value {
    return node === undefined || isPoison(node) ? ERROR : tensorValue(node);
  }

  private binary(e: A.Binary, l: Value, r: Value): Value {
    if (l.kind === 'error' || r.kind === 'error') return ERROR;
    if (l.kind === 'tensor' || r.kind === 'tensor') return this.tensorBinary(e, l, r);
    return scalarBinary(this, e, l, r);
  }

  private tensorBinary(e: A.Binary, l: Value, r: Value): Value {
    const a = this.operand(l, e.left.span);
    const b = this.operand(r, e.right.span);
    if (a === undefined || b === undefined) return ERROR;
    const cx = this.builtinContext(e.span, new Map());
    const [x, y] = cx.tensors([a, b]);
    return this.built(cx.op(TENSOR_OPS[e.op], [x!, y!], {}));
  }

  private member(e: A.Member, scope: Scope): Value {
    const v = this.eval(e.object, scope);
    if (e.property.name === '') return ERROR;
    if (e.property.name !== 'T') {
      this.report(e.property.span, 'unknownProperty', e.property.name);
      return ERROR;
    }
    if (v.kind === 'error') return ERROR;
    if (v.kind !== 'tensor') {
      this.report(e.object.span, 'wrongKindOfValue', 'a tensor', describeValue(v));
      return ERROR;
    }
    return this.built(transposeLastTwo(this.builtinContext(e.span, new Map()), v.node, "'.T'"));
  }

  // ---- subscripts ----

  private index(e: A.Index, scope: Scope): Value {
    const v = this.eval(e.object, scope);
    const parts = e.subscripts.map((s) => this.subscript(s, scope));
    if (v.kind === 'error' || parts.some((p) => p === undefined)) return ERROR;
    if (v.kind !== 'tensor') {
      this.report(e.object.span, 'wrongKindOfValue', 'a tensor', describeValue(v));
      return ERROR;
    }
    const x = v.node;
    if (parts.length > x.shape.length) {
      this.report(e.span, 'tooManyIndices', parts.length, x.shape.length);
      return ERROR;
    }
    const slices: { axis: number; s: AxisSlice }[] = [];
    const dropped: number[] = [];
    for (const [axis, part] of parts.entries()) {
      const size = x.shape[axis]!;
      const sub = e.subscripts[axis]!;
      if (part!.kind === 'at') {
        const i = indexAxis(size, part!.index);
        if (i === undefined) {
          this.report(sub.span, 'indexOutOfRange', part!.index.key, size.key);
          return ERROR;
        }
        slices.push({ axis, s: { start: i, count: constDim(1), step: 1 } });
        dropped.push(axis);
      } else {
        const s = sliceAxis(size, part!.start, part!.end, part!.step);
        if (!isWholeAxis(size, s)) slices.push({ axis, s });
      }
    }
    let node: Node = x;
    const span = this.at(e.span);
    if (slices.length) {
      const attrs: OpAttrs['slice'] = {
        axes: slices.map((p) => p.axis),
        starts: slices.map((p) => p.s.start),
        steps: slices.map((p) => p.s.step),
        counts: slices.map((p) => p.s.count),
      };
      node = this.b.op('slice', [node], attrs, span);
    }
    if (dropped.length && !isPoison(node)) node = this.b.op('squeeze', [node], { axes: dropped }, span);
    return this.built(node);
  }

  private subscript(s: A.Subscript, scope: Scope):
    | { kind: 'at'; index: Dim }
    | { kind: 'slice'; start?: Dim; end?: Dim; step: number }
    | undefined {
    if (s.kind === 'At') {
      const index = this.evalDim(s.index, scope);
      return index && { kind: 'at', index };
    }
    const start = s.start ? this.evalDim(s.start, scope) : undefined;
    const end = s.end ? this.evalDim(s.end, scope) : undefined;
    let step = 1;
    if (s.step) {
      const d = this.evalDim(s.step, scope);
      if (d === undefined) return undefined;
      const c = constValue(d);
      if (c === undefined) {
        this.report(s.step.span, 'wrongKindOfValue', 'an integer step', describeValue(dimValue(d)));
        return undefined;
      }
      if (c === 0) {
        this.report(s.step.span, 'zeroStep');
        return undefined;
      }
      step = c;
    }
    if ((s.start && !start) || (s.end && !end)) return undefined;
    return { kind: 'slice', ...(start ? { start } : {}), ...(end ? { end } : {}), step };
  }

  // ---- calls ----

  private call(e: A.Call, scope: Scope): Value {
    const args: CallArg[] = e.args.map((a) => ({
      ...(a.name ? { name: a.name } : {}),
      value: this.eval(a.value, scope),
      span: a.value.span,
      text: this.text(a.value.span),
    }));
    const name = e.callee.name;
    if (name === '') return ERROR;
    const bindCx: BindContext = { callee: name, callSpan: e.span, at: (r) => this.at(r) };
    const user = this.functions.get(name);
    if (user) return this.inline(user.fn, user.scope, e, args, bindCx);
    const builtin = BUILTINS.get(name);
    if (!builtin) {
      this.report(e.callee.span, 'unknownFunction', name);
      return ERROR;
    }
    const chosen = this.chooseSignature(builtin.signatures, args, bindCx);
    if (!chosen) return ERROR;
    const spans = new Map<string, A.TextRange>();
    for (const p of chosen.signature.params) {
      const r = chosen.bound.span(p.name);
      if (r) spans.set(p.name, r);
    }
    return this.built(chosen.signature.lower(this.builtinContext(e.span, spans), chosen.bound));
  }

  /** The first signature the arguments fit; else the closest one's errors are reported. */
  private chooseSignature(signatures: readonly Signature[], args: readonly CallArg[], cx: BindContext) {
    let best: Diagnostic[] | undefined;
    for (const signature of signatures) {
      const problems: Diagnostic[] = [];
      const bound = bindArgs(cx, signature.params, args, (d) => problems.push(d));
      if (bound) return { signature, bound };
      if (best === undefined || problems.length < best.length) best = problems;
    }
    for (const d of best ?? []) this.b.report(d);
    return undefined;
  }

  private inline(fn: A.FnDecl, outer: Scope, e: A.Call, args: readonly CallArg[], bindCx: BindContext): Value {
    if (this.callStack.includes(fn.name.name)) {
      this.report(e.callee.span, 'recursiveFunction', fn.name.name);
      return ERROR;
    }
    const params: ParamSpec[] = fn.params.map((p) => ({ name: p.name, kind: 'any' }));
    const bound = bindArgs(bindCx, params, args, (d) => this.b.report(d));
    if (!bound) return ERROR;
    const scope: Scope = { names: new Map(), parent: outer };
    for (const p of fn.params) if (!scope.names.has(p.name)) scope.names.set(p.name, { value: bound.any(p.name) });
    this.callStack.push(fn.name.name);
    try {
      for (const l of fn.lets) this.define(scope, l.name, this.eval(l.value, scope));
      return fn.result ? this.eval(fn.result, scope) : ERROR;
    } finally {
      this.callStack.pop();
    }
  }

  private builtinContext(span: A.TextRange, argSpans: ReadonlyMap<string, A.TextRange>): BuiltinContext {
    const b = this.b;
    const at = this.at(span);
    const op = <K extends OpKind>(kind: K, src: readonly Node[], attrs: OpAttrs[K]): Node | undefined => {
      const n = b.op(kind, src, attrs, at);
      return isPoison(n) ? undefined : n;
    };
    return {
      op,
      tensors(operands) {
        const nodes = operands.filter((o): o is Node => !isLiteral(o));
        let dtype: DType = nodes[0]?.dtype ?? (operands.every((o) => isLiteral(o) && o.isBool) ? 'bool' : 'f32');
        // A fractional literal with integer tensors promotes them to f32 (JAX: int * 0.5 is float).
        const promote = !DTYPES[dtype].isFloat && operands.some((o) => isLiteral(o) && !o.isInteger);
        if (promote) dtype = 'f32';
        return operands.map((o) => {
          if (isLiteral(o)) return b.scalar(o.value, dtype);
          return promote && o.dtype !== dtype ? b.op('cast', [o], { to: dtype }, at) : o;
        });
      },
      tensor(operand, dtype) {
        if (!isLiteral(operand)) return operand;
        return b.scalar(operand.value, dtype ?? (operand.isBool ? 'bool' : 'f32'));
      },
      report: (param, code, ...args) => {
        const r = (param !== undefined ? argSpans.get(param) : undefined) ?? span;
        this.report(r, code, ...args);
      },
    };
  }
}
