// The work-item loop of a kernel function (abi.ts, "Work items"). The leading perfect nest
// of grid loops is replaced by one loop over items [itemStart, itemEnd): the grid indices of
// itemStart come from one division per axis, then advance like an odometer (innermost axis
// fastest), so a work item costs no division.

import binaryen from 'binaryen';
import type { Expr, Stmt } from '../../compiler/kernel/ir.js';
import { compilerBug, type KernelContext } from './context.js';
import { compileExpr } from './expr.js';
import type { Ref } from './function-builder.js';
import { compileStmts, localFor } from './stmt.js';

export interface GridNest {
  /** Grid loops, outermost first. */
  readonly axes: readonly { readonly var: string; readonly extent: Expr }[];
  /** What one work item runs. */
  readonly body: readonly Stmt[];
}

/** Splits a kernel body into its leading grid nest and the per-item statements. */
export function gridNestOf(kernelName: string, body: readonly Stmt[]): GridNest {
  const axes: { var: string; extent: Expr }[] = [];
  let inner = body;
  for (;;) {
    const significant = inner.filter((s) => s.kind !== 'comment');
    const first = significant[0];
    if (significant.length !== 1 || first?.kind !== 'for' || !first.mode.startsWith('grid.')) break;
    const startsAtZero = first.start.kind === 'const' && Number(first.start.value) === 0;
    if (!startsAtZero || first.step !== 1) throw compilerBug({ kernelName }, `grid loop '${first.var}' must start at 0 with step 1`);
    axes.push({ var: first.var, extent: first.end });
    inner = first.body;
  }
  return { axes, body: inner };
}

/** Emits the item loop running `nest.body` for items [itemStart, itemEnd). */
export function compileItemLoop(ctx: KernelContext, nest: GridNest, itemStart: number, itemEnd: number): void {
  const { m, fb } = ctx;
  const i32 = binaryen.i32;
  const nonEmpty = (): Ref => m.i32.lt_s(fb.get(itemStart), fb.get(itemEnd));
  if (nest.axes.length === 0) {
    fb.emit(m.if(nonEmpty(), fb.capture(() => compileStmts(ctx, nest.body))));
    return;
  }
  const run = fb.capture(() => {
    const extents = nest.axes.map((axis) => fb.let(i32, compileExpr(ctx, axis.extent), `${axis.var}_extent`));
    const coords = nest.axes.map((axis) => localFor(ctx, axis.var, 'i32'));
    // grid indices of itemStart, innermost axis first
    const rest = fb.let(i32, fb.get(itemStart), 'item_rest');
    for (let k = nest.axes.length - 1; k >= 1; k--) {
      fb.emit(
        m.local.set(coords[k]!, m.i32.rem_u(fb.get(rest), fb.get(extents[k]!))),
        m.local.set(rest, m.i32.div_u(fb.get(rest), fb.get(extents[k]!))),
      );
    }
    fb.emit(m.local.set(coords[0]!, fb.get(rest)));
    const item = fb.let(i32, fb.get(itemStart), 'item');
    const done = ctx.label('items_done');
    const next = ctx.label('items');
    // odometer: bump the innermost index; on reaching its extent reset it and carry outwards
    let advance: Ref = m.nop();
    for (let k = 0; k < nest.axes.length; k++) {
      const bump = m.local.set(coords[k]!, m.i32.add(fb.get(coords[k]!), m.i32.const(1)));
      if (k === 0) { advance = bump; continue; }
      const carry = m.if(m.i32.eq(fb.get(coords[k]!), fb.get(extents[k]!)),
        m.block(null, [m.local.set(coords[k]!, m.i32.const(0)), advance], binaryen.none));
      advance = m.block(null, [bump, carry], binaryen.none);
    }
    const perItem = fb.capture(() => {
      compileStmts(ctx, nest.body);
      fb.emit(
        m.local.set(item, m.i32.add(fb.get(item), m.i32.const(1))),
        m.br(done, m.i32.ge_s(fb.get(item), fb.get(itemEnd))),
        advance,
        m.br(next),
      );
    });
    fb.emit(m.block(done, [m.loop(next, perItem)], binaryen.none));
  });
  fb.emit(m.if(nonEmpty(), run));
}
