// Folding of i32 index expressions made of constants and unrolled loop indices: what decides
// whether a private array can live in locals (private-arrays.ts) and which local an index
// names once the loop is unrolled (expr.ts).

import type { Expr } from '../../compiler/kernel/ir.js';

/** Folds an i32 expression of constants and unrolled loop indices; undefined otherwise. */
export function evalConstInt(e: Expr, names: ReadonlyMap<string, { readonly kind: string; readonly value?: number }>): number | undefined {
  switch (e.kind) {
    case 'const': return e.type === 'i32' && typeof e.value === 'number' ? e.value | 0 : undefined;
    case 'var': {
      const b = names.get(e.name);
      return b?.kind === 'const' ? b.value : undefined;
    }
    case 'binary': {
      if (e.type !== 'i32') return undefined;
      const a = evalConstInt(e.a, names);
      const b = evalConstInt(e.b, names);
      if (a === undefined || b === undefined) return undefined;
      switch (e.op) {
        case 'add': return (a + b) | 0;
        case 'sub': return (a - b) | 0;
        case 'mul': return Math.imul(a, b);
        case 'div': return b === 0 ? 0 : Math.trunc(a / b) | 0;
        case 'rem': return b === 0 ? 0 : a % b;
        case 'max': return Math.max(a, b);
        case 'min': return Math.min(a, b);
        case 'shl': return a << b;
        case 'shr': return a >> b;
        default: return undefined;
      }
    }
    default: return undefined;
  }
}
