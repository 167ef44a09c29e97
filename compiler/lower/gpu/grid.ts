// The grid and thread structure every GPU schedule shares (README.md in this folder):
// workgroups as the leading `grid.*` nest, split over grid.y when WebGPU's 65535-per-dimension
// limit could be exceeded, and the workgroup's threads as one `thread.x` loop inside it.

import { ceilDivDim, constValue, type Dim } from '../../ir/dim.js';
import { add, i32, lt, mul, type KernelBuilder } from '../../kernel/builder.js';
import type { Expr } from '../../kernel/ir.js';
import type { TargetDescription } from '../../kernel/program.js';
import { dimExpr, type UniformDims } from '../uniforms.js';

/** Workgroups per grid dimension that every target accepts (WebGPU's guaranteed limit). */
export const MAX_GRID_DIMENSION = 65535;

export function isGpuTarget(target: TargetDescription): boolean {
  return target.name === 'webgpu' || target.name === 'cuda';
}

/**
 * Emits the grid nest for `count` workgroups and calls `body` with the linear workgroup index
 * (0 ≤ wg < count). A count that may exceed MAX_GRID_DIMENSION is split as gy × gx with
 * gy = ⌈count / 65535⌉ and gx = ⌈count / gy⌉, and the few surplus workgroups skip the body.
 * Returns the dispatch grid, outermost first.
 */
export function workgroupGrid(kb: KernelBuilder, uniforms: UniformDims, count: Dim, body: (wg: Expr) => void): Dim[] {
  const c = constValue(count);
  if (c !== undefined && c <= MAX_GRID_DIMENSION) {
    kb.loop('wg', i32(0), i32(c), 'grid.x', body);
    return [count];
  }
  const gy = ceilDivDim(count, MAX_GRID_DIMENSION);
  const gx = ceilDivDim(count, gy);
  kb.loop('wg_y', i32(0), dimExpr(gy, kb, uniforms), 'grid.y', (y) => {
    kb.loop('wg_x', i32(0), dimExpr(gx, kb, uniforms), 'grid.x', (x) => {
      const wg = kb.let('wg', add(mul(y, dimExpr(gx, kb, uniforms)), x));
      kb.when(lt(wg, dimExpr(count, kb, uniforms)), () => body(wg));
    });
  });
  return [gy, gx];
}

/** One `thread.x` loop over a 1-D workgroup of `size` threads (sets kb.workgroupSize). */
export function threadLoop(kb: KernelBuilder, size: number, body: (t: Expr) => void): void {
  kb.workgroupSize = [size, 1, 1];
  kb.loop('t', i32(0), i32(size), 'thread.x', body);
}

/** The largest power of two ≤ n (n ≥ 1). */
export function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}
