// Kernel IR statements and kernel bodies → C-family text through a dialect table. Loops mapped
// to the grid or to threads become a constant index from the dialect (plus a guard when the
// launch covers more than the extent); the rest is one line or one block per statement.

import type { Kernel, KType, MmaInputType, Stmt } from '../../compiler/kernel/ir.js';
import type { CodeWriter } from '../../compiler/kernel/code-writer.js';
import type { CDialect, PrintContext } from './dialect.js';
import { printExpr } from './expr.js';

/** The context for printing `kernel`'s body; unknown buffers or arrays are printer bugs. */
export function kernelContext(kernel: Kernel): PrintContext {
  const arrays = new Map<string, KType>();
  const storage = new Map<string, MmaInputType>();
  const collect = (stmts: readonly Stmt[]): void => {
    for (const s of stmts) {
      if (s.kind === 'array') arrays.set(s.name, s.type);
      if (s.kind === 'array' && s.storage) storage.set(s.name, s.storage);
      else if (s.kind === 'for') collect(s.body);
      else if (s.kind === 'if') { collect(s.then); collect(s.else); }
    }
  };
  collect(kernel.body);
  return {
    kernel,
    buffer(name) {
      const b = kernel.buffers.find((x) => x.name === name);
      if (!b) throw new Error(`kernel ${kernel.name}: no buffer '${name}'`);
      return b;
    },
    arrayType(name) {
      const t = arrays.get(name);
      if (!t) throw new Error(`kernel ${kernel.name}: no array '${name}'`);
      return t;
    },
    arrayStorage: (name) => storage.get(name),
  };
}

export function writeStmts(w: CodeWriter, stmts: readonly Stmt[], d: CDialect, ctx: PrintContext): void {
  for (const s of stmts) writeStmt(w, s, d, ctx);
}

function writeStmt(w: CodeWriter, s: Stmt, d: CDialect, ctx: PrintContext): void {
  const ex = (e: Parameters<typeof printExpr>[0]): string => printExpr(e, d, ctx);
  switch (s.kind) {
    case 'let': w.line(d.declareVar(d.identifier(s.name), s.type, ex(s.init))); return;
    case 'assign': w.line(`${d.identifier(s.name)} = ${ex(s.value)};`); return;
    case 'store': w.line(d.store(ctx.buffer(s.buffer), s.value.type, ex(s.index), ex(s.value), ctx)); return;
    case 'array': {
      const line = d.declareArray(d.identifier(s.name), s.type, s.size, s.scope, s.storage);
      if (line !== undefined) w.line(line);
      return;
    }
    case 'array_store': w.line(d.arrayStore(s.array, ex(s.index), ex(s.value), ctx)); return;
    case 'for': {
      const variable = d.identifier(s.var);
      if (s.mode.startsWith('grid.') || s.mode.startsWith('thread.')) {
        const mapped = d.mappedLoop(s, ctx);
        const body = (): void => {
          w.line(d.declareConst(variable, 'i32', mapped.index));
          writeStmts(w, s.body, d, ctx);
        };
        // Grid loops are a perfect nest at the top, each once: their indices need no scope of
        // their own. A thread loop may recur, so a block scopes its index like a loop would.
        if (mapped.guard !== undefined) w.block(`if (${mapped.guard})`, body);
        else if (s.mode.startsWith('thread.')) w.block('', body);
        else body();
        return;
      }
      for (const line of d.loopPrefix(s.mode)) w.line(line);
      w.block(d.forHeader(s, variable, ex(s.start), ex(s.end)), () => writeStmts(w, s.body, d, ctx));
      return;
    }
    case 'if':
      w.chain([
        [`if (${ex(s.cond)})`, () => writeStmts(w, s.then, d, ctx)],
        ...(s.else.length > 0 ? [['else', () => writeStmts(w, s.else, d, ctx)] as const] : []),
      ]);
      return;
    case 'barrier': w.line(d.barrier); return;
    case 'mma': {
      if (!d.mma) throw new Error(`kernel '${ctx.kernel.name}': tensor-core statement on a target without tensor cores`);
      const lines = d.mma(s, { a: ex(s.a.offset), b: ex(s.b.offset), acc: ex(s.acc.offset) }, ctx);
      w.block('', () => { for (const line of lines) w.line(line); });
      return;
    }
    case 'comment': for (const line of s.text.split('\n')) w.line(`// ${line}`); return;
  }
}
