// Runs a LoweredKernel on the Kernel IR interpreter: binds value ids to host arrays, evaluates
// the uniforms and grid from the dims, and checks the kernel first.

import { expect } from 'vitest';
import { evalDim, type Dim } from '../../../compiler/ir/dim.js';
import { checkKernel } from '../../../compiler/kernel/check.js';
import { runKernel, type TypedArrayLike } from '../../../compiler/kernel/interpret.js';
import type { LoweredKernel } from '../../../compiler/lower/specs.js';

export function runLowered(
  lowered: LoweredKernel, values: Readonly<Record<string, TypedArrayLike>>, dims: Readonly<Record<string, number>> = {},
): void {
  expect(checkKernel(lowered.kernel)).toEqual([]);
  const env = new Map(Object.entries(dims));
  const buffers: Record<string, TypedArrayLike> = {};
  for (const [name, id] of Object.entries(lowered.buffers)) {
    const data = values[id];
    if (!data) throw new Error(`no data for value ${id}`);
    buffers[name] = data;
  }
  const uniforms: Record<string, number> = {};
  for (const [name, d] of Object.entries(lowered.uniforms)) uniforms[name] = evalDim(d as Dim, env);
  runKernel(lowered.kernel, buffers, uniforms, lowered.grid.map((d) => evalDim(d, env)));
}

import { relativeL2 } from '../../helpers/close.js';
export { relativeL2 };

/** Row-major strides of a contiguous shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}
