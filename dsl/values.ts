// What a DSL expression evaluates to while lowering. Tensors are Graph IR nodes; integers and
// dimension arithmetic stay symbolic dims (so `D / H` is a dim, not a tensor); other literals
// stay literals until an operation gives them a dtype (weak typing, as in JAX: in `x * 0.5`
// the 0.5 takes x's dtype). `error` stands for a value whose error is already reported:
// anything computed from it is an error too, quietly.

import { unreachable } from '../compiler/diagnostics/diagnostic.js';
import { constValue, type Dim } from '../compiler/ir/dim.js';
import type { Node } from '../compiler/ir/node.js';

export type Value =
  | { readonly kind: 'tensor'; readonly node: Node }
  | { readonly kind: 'dim'; readonly dim: Dim }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly items: readonly Value[] }
  | { readonly kind: 'error' };

export const ERROR: Value = { kind: 'error' };

export function tensorValue(node: Node): Value {
  return { kind: 'tensor', node };
}

export function dimValue(dim: Dim): Value {
  return { kind: 'dim', dim };
}

/** A scalar literal waiting for a dtype. `isInteger` literals fit any numeric dtype. */
export interface Literal {
  readonly kind: 'literal';
  readonly value: number;
  readonly isInteger: boolean;
  readonly isBool: boolean;
}

/** A tensor operand of an op: a node, or a literal that takes its dtype from the other operands. */
export type Operand = Node | Literal;

export function isLiteral(o: Operand): o is Literal {
  return (o as Partial<Literal>).kind === 'literal';
}

/** The literal a value stands for, if it is a scalar constant (an integer dim counts). */
export function asLiteral(v: Value): Literal | undefined {
  switch (v.kind) {
    case 'number': return { kind: 'literal', value: v.value, isInteger: Number.isInteger(v.value), isBool: false };
    case 'bool': return { kind: 'literal', value: v.value ? 1 : 0, isInteger: true, isBool: true };
    case 'dim': {
      const c = constValue(v.dim);
      return c === undefined ? undefined : { kind: 'literal', value: c, isInteger: true, isBool: false };
    }
    case 'tensor': case 'string': case 'list': case 'error': return undefined;
    default: return unreachable(v, 'value');
  }
}

/** How a value reads in "expected X but found Y" messages. */
export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'tensor': return 'a tensor';
    case 'dim': return constValue(v.dim) === undefined ? `the dimension ${v.dim.key}` : `the number ${v.dim.key}`;
    case 'number': return `the number ${v.value}`;
    case 'bool': return `'${v.value}'`;
    case 'string': return `the string ${JSON.stringify(v.value)}`;
    case 'list': return 'a list';
    case 'error': return 'an error';
    default: return unreachable(v, 'value');
  }
}
