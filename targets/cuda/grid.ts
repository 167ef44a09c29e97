// The grid of a CUDA kernel. Kernel IR's leading perfect nest of `grid.*` loops is flattened
// into work items (row-major, outermost slowest), one block per item: the kernel computes
// the extents from its uniforms (`sl_grid0` …), its item from blockIdx (x, then y past 2³¹−1
// blocks, see `sl_grid_of` in prelude.ts), returns when the launch covers more items than the
// grid has, and each grid loop's index is a digit of the item. Blocks return whole, so the
// early return never splits a block at a barrier.

import type { Kernel, Stmt } from '../../compiler/kernel/ir.js';
import { printExpr, PREC, type CDialect, type ForStmt, type PrintContext } from '../c-style/index.js';

/** The leading nest of grid loops, outermost first. */
export function gridNest(kernel: Kernel): ForStmt[] {
  const nest: ForStmt[] = [];
  let body: readonly Stmt[] = kernel.body;
  for (;;) {
    const loop = body.find((s) => s.kind !== 'comment');
    if (!loop || loop.kind !== 'for' || !loop.mode.startsWith('grid.')) return nest;
    nest.push(loop);
    body = loop.body;
  }
}

/** The lines that open a kernel body: grid extents, the block's item, the early return. */
export function gridPreamble(kernel: Kernel, d: CDialect, ctx: PrintContext): string[] {
  const nest = gridNest(kernel);
  const lines = nest.map((l, k) => {
    if (!(l.start.kind === 'const' && l.start.value === 0 && l.step === 1)) throw new Error(`cuda: grid loop ${l.var} of ${kernel.name} must start at 0 with step 1`);
    return `const long long sl_grid${k} = ${printExpr(l.end, d, ctx, PREC.unary)};`;
  });
  const items = nest.length ? nest.map((_, k) => `sl_grid${k}`).join(' * ') : '1';
  lines.push(`const long long sl_item = (long long)blockIdx.x + (long long)blockIdx.y * gridDim.x;`);
  lines.push(`if (sl_item >= ${items}) return;`);
  return lines;
}

/** Loop `loop`'s index: its digit of the flattened item. */
export function gridIndexOf(loop: ForStmt, kernel: Kernel): string {
  const nest = gridNest(kernel);
  const k = nest.indexOf(loop);
  if (k < 0) throw new Error(`cuda: grid loop ${loop.var} of ${kernel.name} is not in the leading grid nest`);
  const inner = nest.slice(k + 1).map((_, j) => `sl_grid${k + 1 + j}`);
  const quotient = inner.length ? `sl_item / (${inner.join(' * ')})` : 'sl_item';
  return k === 0 ? `(int)(${quotient})` : `(int)((${quotient}) % sl_grid${k})`;
}
