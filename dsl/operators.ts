// What the binary operators mean on values that are not tensors. Two dims give dim arithmetic
// (`+ - * /`, with `/` exact, so `D / H` stays symbolic); plain numbers fold to a number or a
// bool; a symbolic dim mixed with anything else is an error, since dims only do integer
// arithmetic. Tensor operands are handled by the evaluator (`TENSOR_OPS`), which builds nodes.

import { unreachable } from '../compiler/diagnostics/diagnostic.js';
import type { MessageCode } from '../compiler/diagnostics/messages.js';
import { addDim, constValue, dimSymbols, divDim, evalDimExact, mulDim, subDim, type Dim } from '../compiler/ir/dim.js';
import type { BinaryOp } from '../compiler/ir/node.js';
import type { Binary, BinaryOperator, TextRange } from './ast.js';
import { asLiteral, describeValue, dimValue, ERROR, type Value } from './values.js';

/** The op each operator builds when a tensor is involved. */
export const TENSOR_OPS: Readonly<Record<BinaryOperator, BinaryOp | 'matmul'>> = {
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '@': 'matmul', '**': 'pow',
  '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge',
};

export interface OperatorContext {
  report(r: TextRange, code: MessageCode, ...args: (string | number)[]): void;
  /** Source text of a range, for messages. */
  text(r: TextRange): string;
}

/** `l op r` where neither side is a tensor (nor an error). */
export function scalarBinary(cx: OperatorContext, e: Binary, l: Value, r: Value): Value {
  if (l.kind === 'dim' && r.kind === 'dim') return dimBinary(cx, e, l.dim, r.dim);
  for (const [v, side] of [[l, e.left], [r, e.right]] as const) {
    if (v.kind !== 'dim' && v.kind !== 'number') {
      cx.report(side.span, 'wrongKindOfValue', 'a tensor or a number', describeValue(v));
      return ERROR;
    }
  }
  // A symbolic dim next to a fractional number: the number has no place in a dim.
  for (const [v, other] of [[l, e.right], [r, e.left]] as const) {
    if (v.kind === 'dim' && constValue(v.dim) === undefined) {
      cx.report(other.span, 'badDimExpression', `'${cx.text(other.span)}'`);
      return ERROR;
    }
  }
  return fold(cx, e, asLiteral(l)!.value, asLiteral(r)!.value);
}

function fold(cx: OperatorContext, e: Binary, x: number, y: number): Value {
  const num = (value: number): Value => ({ kind: 'number', value });
  const bool = (value: boolean): Value => ({ kind: 'bool', value });
  switch (e.op) {
    case '+': return num(x + y);
    case '-': return num(x - y);
    case '*': return num(x * y);
    case '/': return num(x / y);
    case '**': return num(x ** y);
    case '==': return bool(x === y);
    case '!=': return bool(x !== y);
    case '<': return bool(x < y);
    case '<=': return bool(x <= y);
    case '>': return bool(x > y);
    case '>=': return bool(x >= y);
    case '@':
      cx.report(e.left.span, 'wrongKindOfValue', 'a tensor', describeValue(num(x)));
      return ERROR;
    default:
      return unreachable(e.op, 'operator');
  }
}

function dimBinary(cx: OperatorContext, e: Binary, x: Dim, y: Dim): Value {
  switch (e.op) {
    case '+': return dimValue(addDim(x, y));
    case '-': return dimValue(subDim(x, y));
    case '*': return dimValue(mulDim(x, y));
    case '/': {
      if (constValue(y) === 0) {
        cx.report(e.span, 'dimDivisionByZero');
        return ERROR;
      }
      const q = divDim(x, y);
      if (dimSymbols(q).size === 0 && !Number.isInteger(evalDimExact(q, new Map()))) {
        cx.report(e.span, 'fractionalDim', q.key);
        return ERROR;
      }
      return dimValue(q);
    }
    default: {
      // `**` and comparisons are not dim arithmetic, but fold when both sides are constants.
      const a = constValue(x), b = constValue(y);
      if (a !== undefined && b !== undefined) return fold(cx, e, a, b);
      cx.report(e.opSpan, 'badDimExpression', `'${e.op}'`);
      return ERROR;
    }
  }
}
