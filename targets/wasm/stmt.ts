// Kernel IR statements → binaryen. Loops become `if (start < end) loop { body; v += step;
// br_if (v < end) }` (the engine's favourite shape); `unrolled` loops with constant bounds
// are unrolled here, their index a constant in each copy, so arrays indexed by it can live in
// locals. Every name gets one local for the whole function (names are unique per kernel).

import binaryen from 'binaryen';
import type { KType, Stmt } from '../../compiler/kernel/ir.js';
import { compilerBug, wasmType, zeroOf, type ArrayPlacement, type KernelContext } from './context.js';
import { arrayAddress, compileExpr, compileIndex, constIndexOf, storeWasmValue } from './expr.js';
import type { Ref } from './function-builder.js';
import { compileStore } from './memory.js';
import { unrolledIterations } from './private-arrays.js';

export function compileStmts(ctx: KernelContext, stmts: readonly Stmt[]): void {
  for (const s of stmts) compileStmt(ctx, s);
}

function compileStmt(ctx: KernelContext, s: Stmt): void {
  const { m, fb } = ctx;
  switch (s.kind) {
    case 'let': {
      const init = compileExpr(ctx, s.init);
      fb.emit(m.local.set(localFor(ctx, s.name, s.type), init));
      return;
    }
    case 'assign': {
      const b = ctx.names.get(s.name);
      if (b?.kind !== 'local') throw compilerBug(ctx, `assignment to '${s.name}', which is not a local`);
      fb.emit(m.local.set(b.index, compileExpr(ctx, s.value)));
      return;
    }
    case 'store': {
      const index = compileIndex(ctx, s.index);
      const value = compileExpr(ctx, s.value);
      fb.emit(compileStore(ctx, s.buffer, s.value.type, index, value));
      return;
    }
    case 'array': {
      // a fresh array starts zeroed, as in the interpreter
      const placement = placementOf(ctx, s.name);
      if (placement.kind === 'locals') {
        for (const local of placement.locals) fb.emit(m.local.set(local, zeroOf(m, s.type)));
      } else {
        const base = m.i32.add(fb.get(ctx.scratchParam), m.i32.const(placement.offset));
        fb.emit(m.memory.fill(base, m.i32.const(0), m.i32.const(s.size * placement.elementBytes)));
      }
      return;
    }
    case 'array_store': {
      const placement = placementOf(ctx, s.array);
      const value = compileExpr(ctx, s.value);
      if (placement.kind === 'locals') {
        const local = placement.locals[constIndexOf(ctx, s.index)];
        if (local === undefined) throw compilerBug(ctx, `array '${s.array}' index out of range`);
        fb.emit(m.local.set(local, value));
      } else {
        const v = fb.let(wasmType(placement.type), value);
        fb.emit(storeWasmValue(ctx, placement.type, arrayAddress(ctx, placement.offset, placement.elementBytes, s.index), fb.get(v)));
      }
      return;
    }
    case 'for': return compileFor(ctx, s);
    case 'if': {
      const cond = compileExpr(ctx, s.cond);
      const then = fb.capture(() => compileStmts(ctx, s.then));
      const otherwise = s.else.length > 0 ? fb.capture(() => compileStmts(ctx, s.else)) : undefined;
      fb.emit(m.if(cond, then, otherwise));
      return;
    }
    case 'barrier': throw compilerBug(ctx, 'a barrier in a CPU kernel');
    case 'mma': throw new Error(`wasm: kernel '${ctx.kernelName}' holds a tensor-core statement on a target without tensor cores`);
    case 'comment': return;
  }
}

function placementOf(ctx: KernelContext, name: string): ArrayPlacement {
  const p = ctx.arrays.get(name);
  if (!p) throw compilerBug(ctx, `unknown array '${name}'`);
  return p;
}

/** The local of a `let` or loop variable, made on first sight (an unrolled body declares it once per copy). */
export function localFor(ctx: KernelContext, name: string, type: KType): number {
  const b = ctx.names.get(name);
  if (b?.kind === 'local') return b.index;
  const index = ctx.fb.local(wasmType(type, ctx.kernelName), name);
  ctx.names.set(name, { kind: 'local', index, type });
  return index;
}

function compileFor(ctx: KernelContext, s: Extract<Stmt, { kind: 'for' }>): void {
  const { m, fb } = ctx;
  if (s.mode.startsWith('thread.')) throw compilerBug(ctx, `loop '${s.var}' is mapped to GPU threads`);
  if (s.mode.startsWith('grid.')) throw compilerBug(ctx, `grid loop '${s.var}' is not in the leading grid nest`);
  const iterations = unrolledIterations(s, ctx.names);
  if (iterations) {
    for (const value of iterations) {
      ctx.names.set(s.var, { kind: 'const', value });
      compileStmts(ctx, s.body);
    }
    ctx.names.delete(s.var);
    return;
  }
  const v = localFor(ctx, s.var, 'i32');
  fb.emit(m.local.set(v, compileExpr(ctx, s.start)));
  // start and end are evaluated once, on entry (Kernel IR semantics)
  const end = fb.let(binaryen.i32, compileExpr(ctx, s.end), `${s.var}_end`);
  const bound = (): Ref => fb.get(end);
  const label = ctx.label(`loop_${s.var}`);
  const entry = m.i32.lt_s(fb.get(v), bound());
  const body = fb.capture(() => {
    compileStmts(ctx, s.body);
    fb.emit(m.local.set(v, m.i32.add(fb.get(v), m.i32.const(s.step))));
    fb.emit(m.br(label, m.i32.lt_s(fb.get(v), bound())));
  });
  fb.emit(m.if(entry, m.loop(label, body)));
}
