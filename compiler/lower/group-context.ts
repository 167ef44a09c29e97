// What every group lowering is given, and the small pieces they all use: the fused-expression
// context for a group, the output buffer, and the work split of a kernel's grid.

import { ceilDivDim, constDim, constValue, mulDim, type Dim } from '../ir/dim.js';
import type { DType } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import type { KernelGroup } from '../passes/group-kernels.js';
import type { KernelBuilder } from '../kernel/builder.js';
import type { TargetDescription } from '../kernel/program.js';
import type { Expr } from '../kernel/ir.js';
import type { FusedContext } from './fused-expr.js';
import type { ErrorSites } from './error-sites.js';
import type { Index } from './view.js';
import type { UniformDims } from './uniforms.js';

export interface ValueRef {
  readonly value: string;
  readonly dtype: DType;
}

export interface GroupLowering {
  readonly group: KernelGroup;
  /** The kernel's name, unique in the program. */
  readonly name: string;
  readonly target: TargetDescription;
  /** The value a materialised node lives in. */
  valueOf(node: Node): ValueRef;
  /** Where the root is written. */
  readonly out: ValueRef;
  /** Where kernels report bad data (absent: they only clamp). */
  readonly errors?: ErrorSites;
}

/** Elements one work item handles, roughly: enough to amortise a dispatch, few enough to split among threads. */
export const ITEM_ELEMENTS = 1024;

export function fusedContext(
  g: GroupLowering, kb: KernelBuilder, uniforms: UniformDims, lanes: 1 | 4, vectorVar?: string,
  anchor?: { node: Node; value(index: Index, lanes: number): Expr },
): FusedContext {
  const members = new Set(g.group.nodes);
  return {
    kb, uniforms, lanes, vectorVar, memo: new Map(),
    leaf: (n) => (members.has(n) ? undefined : g.valueOf(n)),
    ...(anchor ? { anchor } : {}),
    ...(g.errors ? { errors: g.errors } : {}),
  };
}

export function sources(group: KernelGroup): string[] {
  return group.nodes.map((n) => `%${n.id} ${n.op}`);
}

/**
 * How many rows (of `rowLength` elements) one work item takes: about ITEM_ELEMENTS elements,
 * at least one row. Symbolic row lengths take one row per item.
 */
export function rowsPerItem(rowLength: Dim, elements = ITEM_ELEMENTS): number {
  const c = constValue(rowLength);
  return c === undefined || c <= 0 ? 1 : Math.max(1, Math.floor(elements / c));
}

export function blocks(count: Dim, per: number): Dim {
  return per === 1 ? count : ceilDivDim(count, per);
}

export function product(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((a, d) => mulDim(a, d), constDim(1));
}
