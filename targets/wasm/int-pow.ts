// Integer power by squaring, wrapping as i32/u32/i64 do (Kernel IR `pow` on integers). A
// negative exponent gives 0 unless |a| = 1 (what integer division would give); 0^negative,
// an error in the interpreter, gives 0 here.

import binaryen from 'binaryen';
import { FunctionBuilder, i64Const, type Ref } from './function-builder.js';

export function intPowCall(m: binaryen.Module, added: Set<string>, width: 'i32' | 'i64', a: Ref, b: Ref): Ref {
  const name = `int$pow_${width}`;
  const type = width === 'i32' ? binaryen.i32 : binaryen.i64;
  if (!added.has(name)) {
    added.add(name);
    const I = width === 'i32' ? m.i32 : m.i64;
    const c = (x: number): Ref => (width === 'i32' ? m.i32.const(x) : i64Const(m, x, x < 0 ? -1 : 0));
    const fb = new FunctionBuilder(m, [type, type]);
    const [base, exp] = [0, 1];
    const result = fb.let(type, c(1));
    const negative = m.block(null, [
      m.return(m.select(I.eq(fb.get(base), c(1)), c(1),
        m.select(I.eq(fb.get(base), c(-1)), m.select(I.eqz(I.and(fb.get(exp), c(1))), c(1), c(-1)), c(0)))),
    ], binaryen.none);
    fb.emit(m.if(I.lt_s(fb.get(exp), c(0)), negative));
    const loop = m.loop('square', m.block(null, [
      m.br('done', I.eqz(fb.get(exp))),
      m.if(m.i32.eqz(I.eqz(I.and(fb.get(exp), c(1)))), m.local.set(result, I.mul(fb.get(result), fb.get(base)))),
      m.local.set(base, I.mul(fb.get(base), fb.get(base))),
      m.local.set(exp, I.shr_u(fb.get(exp), c(1))),
      m.br('square'),
    ], binaryen.none));
    fb.emit(m.block('done', [loop], binaryen.none));
    fb.finish(name, type, fb.get(result));
  }
  return m.call(name, [a, b], type);
}
