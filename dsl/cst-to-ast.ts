// CST to AST: a Chevrotain visitor (it calls `validateVisitor()`, so a grammar rule without a
// method here fails at startup). After error recovery the CST can lack any child and can hold
// tokens inserted by recovery (empty image, NaN offsets), so every child is read as optional:
// a missing expression becomes `Missing`, a missing name an Identifier with an empty name, and
// inserted tokens never contribute to spans.

import type { CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type * as C from './cst.js';
import { parser } from './parser.js';

const BaseVisitor = parser.getBaseCstVisitorConstructor<undefined, unknown>();

const OPERATORS: ReadonlySet<string> = new Set<A.BinaryOperator>(['+', '-', '*', '/', '@', '**', '==', '!=', '<', '<=', '>', '>=']);

/** The source range of a real token; undefined for tokens made up by recovery. */
function tokenRange(t: IToken | undefined): A.TextRange | undefined {
  if (t === undefined || t.isInsertedInRecovery || !Number.isFinite(t.startOffset) || t.startOffset < 0) return undefined;
  return { start: t.startOffset, length: t.image.length };
}

type PostfixOp =
  | { readonly kind: 'property'; readonly property: A.Identifier; readonly end: A.TextRange }
  | { readonly kind: 'index'; readonly subscripts: readonly A.Subscript[]; readonly end: A.TextRange };

class CstToAst extends BaseVisitor implements C.CstVisitor<undefined, unknown> {
  /** End of the last real token seen: where zero-length ranges of missing pieces sit. */
  private lastEnd = 0;

  constructor() {
    super();
    this.validateVisitor();
  }

  convert(cst: CstNode): A.Module {
    this.lastEnd = 0;
    return this.visit(cst) as A.Module;
  }

  // ---- helpers ----

  private cover(...parts: readonly (A.TextRange | undefined)[]): A.TextRange {
    let start = Infinity;
    let end = -Infinity;
    for (const p of parts) {
      if (p === undefined || !Number.isFinite(p.start)) continue;
      start = Math.min(start, p.start);
      end = Math.max(end, p.start + p.length);
    }
    if (start === Infinity) return { start: this.lastEnd, length: 0 };
    this.lastEnd = Math.max(this.lastEnd, end);
    return { start, length: end - start };
  }

  private tok(tokens: readonly IToken[] | undefined): A.TextRange | undefined {
    const r = tokenRange(tokens?.[0]);
    if (r) this.lastEnd = Math.max(this.lastEnd, r.start + r.length);
    return r;
  }

  private ident(tokens: readonly IToken[] | undefined): A.Identifier {
    const t = tokens?.[0];
    const range = this.tok(tokens);
    return { kind: 'Identifier', name: range ? t!.image : '', span: range ?? this.cover() };
  }

  private sub<R>(nodes: readonly CstNode[] | undefined): R | undefined {
    const n = nodes?.[0];
    return n === undefined ? undefined : (this.visit(n) as R);
  }

  private expr(nodes: readonly CstNode[] | undefined): A.Expr {
    return this.sub<A.Expr>(nodes) ?? this.missing();
  }

  private missing(): A.Missing {
    return { kind: 'Missing', span: this.cover() };
  }

  // ---- declarations ----

  module(ctx: C.ModuleCstChildren): A.Module {
    const models = (ctx.modelDecl ?? []).map((n) => this.visit(n) as A.ModelDecl);
    const functions = (ctx.fnDecl ?? []).map((n) => this.visit(n) as A.FnDecl);
    return { kind: 'Module', models, functions, span: this.cover(...models.map((m) => m.span), ...functions.map((f) => f.span)) };
  }

  modelDecl(ctx: C.ModelDeclCstChildren): A.ModelDecl {
    const open = this.tok(ctx.ModelKeyword);
    const name = this.ident(ctx.name);
    const dims = (ctx.dimParam ?? []).map((n) => this.visit(n) as A.DimParam);
    const body = (ctx.statement ?? []).map((n) => this.visit(n) as A.Statement | undefined).filter((s) => s !== undefined);
    const close = this.tok(ctx.RBrace);
    return { kind: 'Model', name, dims, body, span: this.cover(open, name.span, ...body.map((s) => s.span), close) };
  }

  dimParam(ctx: C.DimParamCstChildren): A.DimParam {
    const name = this.ident(ctx.name);
    const defaultValue = ctx.default ? this.numberLiteral(ctx.default) : undefined;
    return { kind: 'DimParam', name, ...(defaultValue ? { defaultValue } : {}), span: this.cover(name.span, defaultValue?.span) };
  }

  statement(ctx: C.StatementCstChildren): A.Statement | undefined {
    return this.sub<A.Statement>(ctx.letStmt ?? ctx.inputDecl ?? ctx.paramDecl ?? ctx.fnDecl ?? ctx.outputDecl);
  }

  letStmt(ctx: C.LetStmtCstChildren): A.LetStmt {
    const open = this.tok(ctx.LetKeyword);
    const name = this.ident(ctx.name);
    const value = this.expr(ctx.value);
    return { kind: 'Let', name, value, span: this.cover(open, name.span, value.span) };
  }

  inputDecl(ctx: C.InputDeclCstChildren): A.InputDecl {
    const open = this.tok(ctx.InputKeyword);
    const name = this.ident(ctx.name);
    const type = this.tensorTypeOf(ctx.type);
    return { kind: 'Input', name, type, span: this.cover(open, name.span, type.span) };
  }

  paramDecl(ctx: C.ParamDeclCstChildren): A.ParamDecl {
    const open = this.tok(ctx.ParamKeyword);
    const name = this.ident(ctx.name);
    const type = this.tensorTypeOf(ctx.type);
    return { kind: 'Param', name, type, span: this.cover(open, name.span, type.span) };
  }

  outputDecl(ctx: C.OutputDeclCstChildren): A.OutputDecl {
    const open = this.tok(ctx.OutputKeyword);
    const name = this.ident(ctx.name);
    const type = ctx.type ? this.tensorTypeOf(ctx.type) : undefined;
    const value = this.expr(ctx.value);
    return { kind: 'Output', name, ...(type ? { type } : {}), value, span: this.cover(open, name.span, value.span) };
  }

  fnDecl(ctx: C.FnDeclCstChildren): A.FnDecl {
    const open = this.tok(ctx.FnKeyword);
    const name = this.ident(ctx.name);
    const params = (ctx.params ?? []).map((t) => this.ident([t])).filter((p) => p.name !== '');
    const block = this.sub<{ lets: A.LetStmt[]; result?: A.Expr; span: A.TextRange }>(ctx.block);
    const lets = block?.lets ?? [];
    const result = block ? block.result : this.expr(ctx.value);
    return { kind: 'Fn', name, params, lets, ...(result ? { result } : {}), span: this.cover(open, name.span, result?.span, block?.span) };
  }

  fnBlock(ctx: C.FnBlockCstChildren): { lets: A.LetStmt[]; result?: A.Expr; span: A.TextRange } {
    const open = this.tok(ctx.LBrace);
    const lets = (ctx.letStmt ?? []).map((n) => this.visit(n) as A.LetStmt);
    const result = ctx.ReturnKeyword ? this.expr(ctx.value) : undefined;
    const close = this.tok(ctx.RBrace);
    return { lets, ...(result ? { result } : {}), span: this.cover(open, ...lets.map((l) => l.span), result?.span, close) };
  }

  private tensorTypeOf(nodes: readonly CstNode[] | undefined): A.TensorType {
    return this.sub<A.TensorType>(nodes) ?? { kind: 'TensorType', dtype: this.ident(undefined), dims: [], span: this.cover() };
  }

  tensorType(ctx: C.TensorTypeCstChildren): A.TensorType {
    const dtype = this.ident(ctx.dtype);
    const dims = (ctx.dims ?? []).map((n) => this.visit(n) as A.Expr);
    const close = this.tok(ctx.RBracket);
    return { kind: 'TensorType', dtype, dims, span: this.cover(dtype.span, ...dims.map((d) => d.span), close) };
  }

  // ---- expressions ----

  private binary(op: IToken | undefined, left: A.Expr, right: A.Expr): A.Expr {
    const opSpan = tokenRange(op);
    if (op === undefined || opSpan === undefined || !OPERATORS.has(op.image)) return left;
    return { kind: 'Binary', op: op.image as A.BinaryOperator, left, right, opSpan, span: this.cover(left.span, opSpan, right.span) };
  }

  expression(ctx: C.ExpressionCstChildren): A.Expr {
    const left = this.expr(ctx.lhs);
    if (ctx.op === undefined) return left;
    return this.binary(ctx.op[0], left, this.expr(ctx.rhs));
  }

  additive(ctx: C.AdditiveCstChildren): A.Expr {
    return this.leftFold(ctx.operands, ctx.ops);
  }

  multiplicative(ctx: C.MultiplicativeCstChildren): A.Expr {
    return this.leftFold(ctx.operands, ctx.ops);
  }

  /** `a op b op c` as `(a op b) op c`. */
  private leftFold(operands: readonly CstNode[] | undefined, ops: readonly IToken[] | undefined): A.Expr {
    let acc = this.expr(operands);
    (ops ?? []).forEach((op, i) => {
      const right = this.expr(operands?.slice(i + 1, i + 2));
      acc = this.binary(op, acc, right);
    });
    return acc;
  }

  unary(ctx: C.UnaryCstChildren): A.Expr {
    if (ctx.Minus) {
      const minus = this.tok(ctx.Minus);
      const operand = this.expr(ctx.operand);
      return { kind: 'Unary', op: '-', operand, span: this.cover(minus, operand.span) };
    }
    return this.expr(ctx.power);
  }

  power(ctx: C.PowerCstChildren): A.Expr {
    const base = this.expr(ctx.base);
    if (ctx.StarStar === undefined) return base;
    return this.binary(ctx.StarStar[0], base, this.expr(ctx.exponent));
  }

  postfix(ctx: C.PostfixCstChildren): A.Expr {
    let acc = this.expr(ctx.atom);
    for (const n of ctx.postfixOp ?? []) {
      const op = this.visit(n) as PostfixOp;
      acc =
        op.kind === 'property'
          ? { kind: 'Member', object: acc, property: op.property, span: this.cover(acc.span, op.end) }
          : { kind: 'Index', object: acc, subscripts: op.subscripts, span: this.cover(acc.span, op.end) };
    }
    return acc;
  }

  postfixOp(ctx: C.PostfixOpCstChildren): PostfixOp {
    if (ctx.Dot) {
      const dot = this.tok(ctx.Dot);
      const property = this.ident(ctx.property);
      return { kind: 'property', property, end: this.cover(dot, property.span) };
    }
    const open = this.tok(ctx.LBracket);
    const subscripts = (ctx.subscript ?? []).map((n) => this.visit(n) as A.Subscript);
    const close = this.tok(ctx.RBracket);
    return { kind: 'index', subscripts, end: this.cover(open, ...subscripts.map((s) => s.span), close) };
  }

  subscript(ctx: C.SubscriptCstChildren): A.Subscript {
    const start = this.sub<A.Expr>(ctx.start);
    const tail = this.sub<Omit<Extract<A.Subscript, { kind: 'Slice' }>, 'start'>>(ctx.sliceTail);
    if (tail === undefined) {
      const index = start ?? this.missing();
      return { kind: 'At', index, span: index.span };
    }
    return { ...tail, ...(start ? { start } : {}), span: this.cover(start?.span, tail.span) };
  }

  sliceTail(ctx: C.SliceTailCstChildren): Omit<Extract<A.Subscript, { kind: 'Slice' }>, 'start'> {
    const colon1 = this.tok(ctx.Colon);
    const end = this.sub<A.Expr>(ctx.end);
    const colon2 = this.tok(ctx.stepColon);
    const step = this.sub<A.Expr>(ctx.step);
    return { kind: 'Slice', ...(end ? { end } : {}), ...(step ? { step } : {}), span: this.cover(colon1, end?.span, colon2, step?.span) };
  }

  atom(ctx: C.AtomCstChildren): A.Expr {
    if (ctx.NumberLiteral) return this.numberLiteral(ctx.NumberLiteral);
    if (ctx.StringLiteral) {
      const t = ctx.StringLiteral[0]!;
      return { kind: 'String', value: unquote(t.image), span: this.tok(ctx.StringLiteral) ?? this.cover() };
    }
    if (ctx.TrueKeyword) return { kind: 'Bool', value: true, span: this.tok(ctx.TrueKeyword) ?? this.cover() };
    if (ctx.FalseKeyword) return { kind: 'Bool', value: false, span: this.tok(ctx.FalseKeyword) ?? this.cover() };
    return this.expr(ctx.nameOrCall ?? ctx.listLiteral ?? ctx.parenExpr);
  }

  private numberLiteral(tokens: readonly IToken[]): A.NumberLiteral {
    const range = this.tok(tokens);
    const text = range ? tokens[0]!.image : '0';
    return { kind: 'Number', value: Number(text), isInteger: /^\d+$/.test(text), text, span: range ?? this.cover() };
  }

  nameOrCall(ctx: C.NameOrCallCstChildren): A.Expr {
    const name = this.ident(ctx.name);
    if (ctx.LParen === undefined) {
      if (name.name === '') return { kind: 'Missing', span: name.span };
      return { kind: 'Name', name: name.name, span: name.span };
    }
    const args = (ctx.args ?? []).map((n) => this.visit(n) as A.Argument);
    const close = this.tok(ctx.RParen);
    return { kind: 'Call', callee: name, args, span: this.cover(name.span, ...args.map((a) => a.span), close) };
  }

  argument(ctx: C.ArgumentCstChildren): A.Argument {
    const name = ctx.name ? this.ident(ctx.name) : undefined;
    const value = this.expr(ctx.value);
    return { kind: 'Argument', ...(name && name.name !== '' ? { name } : {}), value, span: this.cover(name?.span, value.span) };
  }

  listLiteral(ctx: C.ListLiteralCstChildren): A.ListLiteral {
    const open = this.tok(ctx.LBracket);
    const items = (ctx.items ?? []).map((n) => this.visit(n) as A.Expr);
    const close = this.tok(ctx.RBracket);
    return { kind: 'List', items, span: this.cover(open, ...items.map((i) => i.span), close) };
  }

  parenExpr(ctx: C.ParenExprCstChildren): A.Expr {
    this.tok(ctx.LParen);
    const inner = this.expr(ctx.inner);
    this.tok(ctx.RParen);
    return inner;
  }
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

function unquote(image: string): string {
  return image.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
}

const visitor = new CstToAst();

export function cstToAst(cst: CstNode): A.Module {
  return visitor.convert(cst);
}
