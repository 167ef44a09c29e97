// Which i32 values of a kernel are never negative, so the printer may put an index's added
// constant into a load's or store's offset immediate (memory.ts, elementAddress): wasm adds
// the immediate without wrapping, which equals the wrapped i32 sum only when the variable part
// of the address does not wrap, i.e. when that part is ≥ 0 for every valid access.
//
// Uniforms are sizes (dims), never negative. A loop variable is when its start is and it
// counts up; a `let` when its initial value and every value assigned to it are. Sums,
// products, quotients, remainders and minimums of non-negative values are (i32 overflow
// aside, which no valid index reaches), and a maximum is when either side is.

import type { Expr, Kernel, Stmt } from '../../compiler/kernel/ir.js';

/** The variables of `kernel` that hold non-negative i32 values wherever they are read. */
export function nonNegativeVariables(kernel: Kernel): Set<string> {
  const definitions = new Map<string, Expr[]>();
  const define = (name: string, value: Expr | undefined): void => {
    const list = definitions.get(name) ?? [];
    // undefined: a definition that is not an i32 expression (never non-negative here)
    list.push(value ?? { kind: 'const', type: 'i32', value: -1 });
    definitions.set(name, list);
  };
  const visit = (stmts: readonly Stmt[]): void => {
    for (const s of stmts) {
      switch (s.kind) {
        case 'let': define(s.name, s.type === 'i32' ? s.init : undefined); break;
        case 'assign': define(s.name, s.value); break;
        case 'for': define(s.var, s.step > 0 ? s.start : undefined); visit(s.body); break;
        case 'if': visit(s.then); visit(s.else); break;
        default: break;
      }
    }
  };
  visit(kernel.body);
  const known = new Set<string>([...kernel.uniforms.map((u) => u.name), ...definitions.keys()]);
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, values] of definitions) {
      if (known.has(name) && !values.every((v) => isNonNegative(v, known))) {
        known.delete(name);
        changed = true;
      }
    }
  }
  return known;
}

/** Whether an i32 expression is never negative, given the variables known to be. */
export function isNonNegative(e: Expr, known: ReadonlySet<string>): boolean {
  if (e.type !== 'i32') return false;
  switch (e.kind) {
    case 'const': return Number(e.value) >= 0;
    case 'var': return known.has(e.name);
    case 'select': return isNonNegative(e.a, known) && isNonNegative(e.b, known);
    case 'binary':
      switch (e.op) {
        case 'add': case 'mul': case 'div': case 'rem': case 'min': return isNonNegative(e.a, known) && isNonNegative(e.b, known);
        case 'max': return isNonNegative(e.a, known) || isNonNegative(e.b, known);
        default: return false;
      }
    default: return false;
  }
}
