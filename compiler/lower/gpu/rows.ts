// Row-parallel GPU structure for reductions and norms: each row (an output element's reduced
// elements, or a norm's row) is taken by threadsPerRow threads (thread.x) that stride over it,
// and a workgroup holds rowsPerGroup rows (thread.y) — one row per workgroup for long rows,
// several for short ones. Partial results meet in a `workgroup` array through a tree
// reduction with a barrier per level; on targets with 32-lane warps (CUDA) and rows of whole
// warps, add/max/min of f32/i32 reduce inside each warp by `warp_reduce` instead and only the
// warps' results meet in the array (rowReduce). On targets with subgroups of a width known
// only at run time (WebGPU's `subgroups` variant), the same with `subgroup_reduce`: the
// runtime runs such a kernel only where the width is at most the row's threads, so a row is
// whole subgroups (both powers of two).
//
// Barriers must be reached by every thread, so no thread leaves early: a thread of a row
// past the end works on the last row (valid reads) and only its stores are guarded.

import { ceilDivDim, constValue, type Dim } from '../../ir/dim.js';
import { add, arrayLoad, binary, eq, i32, lt, min, mul, sub, subgroupReduce, subgroupSize, warpReduce, type KernelBuilder } from '../../kernel/builder.js';
import type { Expr, ScalarType } from '../../kernel/ir.js';
import type { TargetDescription } from '../../kernel/program.js';
import { dimExpr, type UniformDims } from '../uniforms.js';
import { workgroupGrid } from './grid.js';

/** Threads of a row-parallel workgroup (WebGPU's guaranteed maximum). */
export const ROW_GROUP_THREADS = 256;

export interface RowLayout {
  /** Threads sharing one row: a power of two. */
  readonly threadsPerRow: number;
  readonly rowsPerGroup: number;
  /** A row is whole 32-lane warps on a target that has them: rowReduce may use warp_reduce. */
  readonly warps: boolean;
  /**
   * Rows reduce by subgroup_reduce (a target with `subgroups` and a row of at least
   * MIN_SUBGROUP_SIZE threads); the kernel then needs subgroups no wider than threadsPerRow.
   */
  readonly subgroups: boolean;
}

/** WebGPU's smallest subgroup width: a row of fewer threads keeps the tree. */
export const MIN_SUBGROUP_SIZE = 4;

/** Enough threads to cover a short row (rounded up to a power of two), the whole workgroup for a long or symbolic one. */
export function chooseRowLayout(target: TargetDescription, rowLength: Dim): RowLayout {
  const threads = Math.min(ROW_GROUP_THREADS, target.maxWorkgroupInvocations ?? ROW_GROUP_THREADS);
  const L = constValue(rowLength);
  const perRow = L === undefined ? threads : Math.min(threads, 2 ** Math.ceil(Math.log2(Math.max(1, L))));
  const warps = target.subgroupSize === 32 && perRow % 32 === 0;
  return { threadsPerRow: perRow, rowsPerGroup: threads / perRow, warps, subgroups: !warps && target.subgroups === true && perRow >= MIN_SUBGROUP_SIZE };
}

/** What the code of one thread of a row group sees. */
export interface RowThread {
  readonly layout: RowLayout;
  /** The row this thread works on (clamped to the last row: always valid to read). */
  readonly row: Expr;
  /** Whether the row is a real one (stores only where this holds). */
  readonly valid: Expr;
  /** The thread's index within its row (thread.x). */
  readonly lane: Expr;
  /** This thread's slot in the workgroup arrays. */
  readonly slot: Expr;
  /** The slot of the row's first thread. */
  readonly rowSlot: Expr;
  /** The workgroup arrays declared for this kernel, in the order asked for. */
  readonly arrays: readonly { readonly name: string; readonly type: ScalarType }[];
}

/**
 * Emits the grid, the workgroup arrays (one slot per thread each) and the thread nest for
 * `rows` rows, and calls `body` once, inside the nest. Returns the dispatch grid.
 */
export function emitRowGroups(
  kb: KernelBuilder, uniforms: UniformDims, rows: Dim, layout: RowLayout,
  arrayTypes: readonly ScalarType[], body: (t: RowThread) => void,
): Dim[] {
  const { threadsPerRow: P, rowsPerGroup: R } = layout;
  kb.workgroupSize = [P, R, 1];
  return workgroupGrid(kb, uniforms, ceilDivDim(rows, R), (wg) => {
    const arrays = arrayTypes.map((type) => ({ name: kb.array('partial', type, P * R, 'workgroup'), type }));
    const inRows = (ty: Expr): void => {
      kb.loop('tx', i32(0), i32(P), 'thread.x', (tx) => {
        const rowsN = dimExpr(rows, kb, uniforms);
        const raw = kb.let('row', add(mul(wg, i32(R)), ty));
        const valid = kb.let('valid', lt(raw, rowsN));
        const row = R === 1 ? raw : kb.let('row_c', min(raw, sub(rowsN, i32(1))));
        const rowSlot = mul(ty, i32(P));
        body({ layout, row, valid, lane: tx, slot: add(rowSlot, tx), rowSlot, arrays });
      });
    };
    if (R === 1) inRows(i32(0));
    else kb.loop('ty', i32(0), i32(R), 'thread.y', inRows);
  });
}

/**
 * Combines every thread's `values` across its row: each value goes to its workgroup array,
 * then log2(threadsPerRow) levels each fold the upper half onto the lower. Every thread gets
 * the row's result (read back after a barrier; a last barrier lets the arrays be reused).
 */
export function treeReduce(
  kb: KernelBuilder, t: RowThread, values: readonly Expr[],
  combine: (mine: readonly Expr[], other: readonly Expr[]) => readonly Expr[],
): Expr[] {
  const arrays = t.arrays.slice(0, values.length);
  if (arrays.length !== values.length) throw new Error('treeReduce: fewer workgroup arrays than values');
  arrays.forEach((a, i) => kb.emit({ kind: 'array_store', array: a.name, index: t.slot, value: values[i]! }));
  kb.emit({ kind: 'barrier' });
  for (let s = t.layout.threadsPerRow / 2; s >= 1; s /= 2) {
    kb.when(lt(t.lane, i32(s)), () => {
      const mine = arrays.map((a) => kb.let('mine', arrayLoad(a.name, a.type, t.slot)));
      const other = arrays.map((a) => kb.let('other', arrayLoad(a.name, a.type, add(t.slot, i32(s)))));
      const combined = combine(mine, other);
      arrays.forEach((a, i) => kb.emit({ kind: 'array_store', array: a.name, index: t.slot, value: combined[i]! }));
    });
    kb.emit({ kind: 'barrier' });
  }
  const result = arrays.map((a) => kb.let('reduced', arrayLoad(a.name, a.type, t.rowSlot)));
  kb.emit({ kind: 'barrier' });
  return result;
}

/** Warp lanes (Kernel IR warp_reduce). */
const WARP = 32;

/**
 * The row's reduction of one value with add, max or min, in every thread of the row. With
 * warps (layout.warps, f32/i32 values) each warp reduces by warp_reduce, its lane 0 puts the
 * result in the first workgroup array (slot / 32: one slot per warp, a row's warps adjacent),
 * and after a barrier every thread folds its row's warp results in order; otherwise treeReduce.
 */
export function rowReduce(kb: KernelBuilder, t: RowThread, value: Expr, op: 'add' | 'max' | 'min'): Expr {
  const array = t.arrays[0];
  const fits = array !== undefined && array.type === value.type && (value.type === 'f32' || value.type === 'i32');
  if (fits && t.layout.subgroups) return subgroupRowReduce(kb, t, value, op);
  if (!t.layout.warps || !fits) {
    return treeReduce(kb, t, [value], ([a], [b]) => [binary(op, a!, b!)])[0]!;
  }
  const warpTotal = kb.let('warp_total', warpReduce(op, value));
  kb.when(eq(binary('rem', t.lane, i32(WARP)), i32(0)), () =>
    kb.emit({ kind: 'array_store', array: array.name, index: binary('div', t.slot, i32(WARP)), value: warpTotal }));
  kb.emit({ kind: 'barrier' });
  const firstWarp = binary('div', t.rowSlot, i32(WARP));
  const total = kb.let('reduced', arrayLoad(array.name, array.type, firstWarp));
  for (let w = 1; w < t.layout.threadsPerRow / WARP; w++) {
    kb.set(total, binary(op, total, arrayLoad(array.name, array.type, add(firstWarp, i32(w)))));
  }
  kb.emit({ kind: 'barrier' });
  return total;
}

/**
 * rowReduce with subgroups of the run-time width W (≤ threadsPerRow, both powers of two, so
 * a row is whole subgroups): each subgroup reduces by subgroup_reduce, its first invocation
 * (linear id a multiple of W) puts the result at slot / W, and after a barrier every thread
 * folds its row's threadsPerRow / W results in order (a loop whose bound is the same in every
 * thread, so the barrier after it is reached by all).
 */
function subgroupRowReduce(kb: KernelBuilder, t: RowThread, value: Expr, op: 'add' | 'max' | 'min'): Expr {
  const array = t.arrays[0]!;
  const width = kb.let('subgroup_width', subgroupSize());
  const subgroupTotal = kb.let('subgroup_total', subgroupReduce(op, value));
  kb.when(eq(binary('rem', t.slot, width), i32(0)), () =>
    kb.emit({ kind: 'array_store', array: array.name, index: binary('div', t.slot, width), value: subgroupTotal }));
  kb.emit({ kind: 'barrier' });
  const first = kb.let('first_subgroup', binary('div', t.rowSlot, width));
  const total = kb.let('reduced', arrayLoad(array.name, array.type, first));
  kb.loop('s', i32(1), binary('div', i32(t.layout.threadsPerRow), width), 'serial', (s) =>
    kb.set(total, binary(op, total, arrayLoad(array.name, array.type, add(first, s)))));
  kb.emit({ kind: 'barrier' });
  return total;
}

/**
 * The widest subgroup a row kernel's subgroup form is correct for: its row's threads (the
 * workgroup's x size), so that a row is whole subgroups.
 */
export function rowKernelMaxSubgroupSize(workgroupSize: readonly [number, number, number]): number {
  return workgroupSize[0];
}
