// Kernel IR rewrites WGSL needs before printing. WGSL rejects, at shader creation, an integer
// `/` or `%` whose divisor is a constant expression equal to zero (`e / 0i`), while the same
// division by a zero held in a variable is defined (x / 0 = x, x % 0 = 0). Lowerings produce
// such divisions on zero-sized dims (an empty slice, a reshape to a 0 extent), in code that
// never runs or whose result is never stored; the Kernel IR leaves division by zero undefined
// (the interpreter throws), so any value will do, and WGSL's runtime result is the one taken.

import { elemOf, isFloatType, type Expr, type Kernel, type Stmt } from '../../compiler/kernel/ir.js';

/** Whether `e` prints as a WGSL constant expression equal to zero. */
function isConstantZero(e: Expr): boolean {
  switch (e.kind) {
    case 'const': return e.value === 0 || e.value === false;
    case 'cast': case 'splat': return isConstantZero(e.a);
    default: return false;
  }
}

function zeroLike(e: Expr): Expr {
  return { kind: 'const', type: e.type, value: 0 };
}

function legalizeExpr(e: Expr): Expr {
  switch (e.kind) {
    case 'const': case 'var': case 'subgroup_size': return e;
    case 'unary': case 'cast': case 'splat': case 'lane': case 'reduce_lanes': case 'warp_reduce': case 'subgroup_reduce': {
      const a = legalizeExpr(e.a);
      return a === e.a ? e : { ...e, a } as Expr;
    }
    case 'vector': {
      const parts = e.parts.map(legalizeExpr);
      return parts.every((p, i) => p === e.parts[i]) ? e : { ...e, parts };
    }
    case 'binary': {
      const a = legalizeExpr(e.a);
      const b = legalizeExpr(e.b);
      if ((e.op === 'div' || e.op === 'rem') && !isFloatType(elemOf(e.type)) && isConstantZero(b)) {
        return e.op === 'div' ? a : zeroLike(e);
      }
      return a === e.a && b === e.b ? e : { ...e, a, b };
    }
    case 'fma': {
      const a = legalizeExpr(e.a), b = legalizeExpr(e.b), c = legalizeExpr(e.c);
      return a === e.a && b === e.b && c === e.c ? e : { ...e, a, b, c };
    }
    case 'select': {
      const cond = legalizeExpr(e.cond), a = legalizeExpr(e.a), b = legalizeExpr(e.b);
      return cond === e.cond && a === e.a && b === e.b ? e : { ...e, cond, a, b };
    }
    case 'load': case 'array_load': {
      const index = legalizeExpr(e.index);
      return index === e.index ? e : { ...e, index };
    }
  }
}

function legalizeStmt(s: Stmt): Stmt {
  switch (s.kind) {
    case 'let': return { ...s, init: legalizeExpr(s.init) };
    case 'assign': return { ...s, value: legalizeExpr(s.value) };
    case 'store': case 'array_store': return { ...s, index: legalizeExpr(s.index), value: legalizeExpr(s.value) };
    case 'for': return { ...s, start: legalizeExpr(s.start), end: legalizeExpr(s.end), body: s.body.map(legalizeStmt) };
    case 'if': return { ...s, cond: legalizeExpr(s.cond), then: s.then.map(legalizeStmt), else: s.else.map(legalizeStmt) };
    case 'array': case 'barrier': case 'comment': case 'mma': return s;
  }
}

/** `kernel` with every integer division or remainder by a constant zero replaced by WGSL's runtime result. */
export function legalizeForWgsl(kernel: Kernel): Kernel {
  return { ...kernel, body: kernel.body.map(legalizeStmt) };
}
