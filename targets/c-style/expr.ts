// Kernel IR expressions → C-family text through a dialect table. Parentheses come from the
// dialect's precedence table (STYLE 15): an operand is parenthesized only when its
// precedence (or the dialect's stricter mixing rule) asks for it.

import { elemOf, type Expr } from '../../compiler/kernel/ir.js';
import { PREC, type CDialect, type InfixOp, type PrintContext } from './dialect.js';

interface Printed {
  readonly text: string;
  readonly prec: number;
  /** The infix operator at the top, if any (for the dialect's mixing rules). */
  readonly op?: InfixOp;
}

/** `e` as text, parenthesized when its precedence is below `min`. */
export function printExpr(e: Expr, d: CDialect, ctx: PrintContext, min: number = PREC.lowest): string {
  const p = exprText(e, d, ctx);
  return p.prec < min ? `(${p.text})` : p.text;
}

function primary(text: string): Printed {
  return { text, prec: PREC.primary };
}

/** An operand of an infix operator, parenthesized by precedence and by the operator's mixing rule. */
function operand(e: Expr, parent: InfixOp, right: boolean, d: CDialect, ctx: PrintContext): string {
  const p = exprText(e, d, ctx);
  let paren = right ? p.prec <= parent.prec : p.prec < parent.prec;
  if (p.op) {
    switch (parent.operands ?? 'precedence') {
      case 'precedence': break;
      case 'tighter': paren ||= p.prec <= parent.prec; break;
      case 'same-op': paren ||= p.op.text !== parent.text; break;
      case 'unary': paren = true; break;
    }
  }
  return paren ? `(${p.text})` : p.text;
}

function exprText(e: Expr, d: CDialect, ctx: PrintContext): Printed {
  const low = (x: Expr): string => printExpr(x, d, ctx);
  switch (e.kind) {
    case 'const': {
      const text = d.literal(e.value, elemOf(e.type));
      if (e.type !== elemOf(e.type)) return primary(d.splat(e.type as never, text));
      return { text, prec: text.startsWith('-') ? PREC.unary : PREC.primary };
    }
    case 'var': return primary(d.identifier(e.name));
    case 'unary': {
      const op = d.prefix(e.op, e.a.type);
      if (op === undefined) return primary(`${d.unaryFunction(e.op, e.a.type)}(${low(e.a)})`);
      const inner = printExpr(e.a, d, ctx, PREC.unary);
      // `- -x` must not print as `--x`.
      return { text: inner.startsWith(op) ? `${op}(${inner})` : `${op}${inner}`, prec: PREC.unary };
    }
    case 'binary': {
      if ((e.op === 'eq' || e.op === 'ne') && d.selfComparison && JSON.stringify(e.a) === JSON.stringify(e.b)) {
        const text = d.selfComparison(e.op, e.a.type, low(e.a));
        if (text !== undefined) return primary(text);
      }
      const op = d.infix(e.op, e.a.type);
      if (!op) return primary(`${d.binaryFunction(e.op, e.a.type)}(${low(e.a)}, ${low(e.b)})`);
      return { text: `${operand(e.a, op, false, d, ctx)} ${op.text} ${operand(e.b, op, true, d, ctx)}`, prec: op.prec, op };
    }
    case 'fma': return primary(d.fma(e.type, low(e.a), low(e.b), low(e.c)));
    case 'select': return primary(d.select(e.type, low(e.cond), low(e.a), low(e.b)));
    case 'cast': return primary(d.cast(e.type, e.a.type, low(e.a)));
    case 'load': return primary(d.load(ctx.buffer(e.buffer), e.type, low(e.index), ctx));
    case 'array_load': return primary(d.arrayLoad(e.array, low(e.index), ctx));
    case 'splat': return primary(d.splat(e.type, low(e.a)));
    case 'vector': throw new Error(`kernel '${ctx.kernel.name}': a vector built from lanes (a CPU schedule's) on a GPU target`);
    case 'lane': return primary(d.lane(printExpr(e.a, d, ctx, PREC.primary), e.lane));
    case 'reduce_lanes': return primary(d.reduceLanes(e.op, e.a.type, low(e.a)));
    case 'warp_reduce':
      if (!d.warpReduce) throw new Error(`kernel '${ctx.kernel.name}': warp_reduce (warp-level reduction) on a target without 32-lane subgroups`);
      return primary(d.warpReduce(e.op, e.type, low(e.a)));
    case 'subgroup_reduce':
      if (!d.subgroupReduce) throw new Error(`kernel '${ctx.kernel.name}': subgroup_reduce (subgroup operation) on a target without subgroups`);
      return primary(d.subgroupReduce(e.op, e.type, low(e.a)));
    case 'subgroup_size':
      if (!d.subgroupSize) throw new Error(`kernel '${ctx.kernel.name}': subgroup_size on a target without subgroups`);
      return primary(d.subgroupSize());
  }
}
