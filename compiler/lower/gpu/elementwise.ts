// Elementwise groups on GPU targets: one element per thread, or four consecutive elements
// (f32x4) when the group vectorises — the same fused-expression body as the CPU schedule
// (elementwiseBody), under a GPU loop structure: workgroups of ELEMENTWISE_THREADS threads,
// thread `gid` taking element gid (or elements 4·gid .. 4·gid+3, with a scalar tail for the
// last partial vector), guarded at the ragged end.

import { ceilDivDim, constValue, type Dim } from '../../ir/dim.js';
import { add, div, i32, le, lt, min, mul, rem, KernelBuilder } from '../../kernel/builder.js';
import type { Expr } from '../../kernel/ir.js';
import { canVectorizeElementwise, elementwiseBody, isFlat, bufferRecord, type ElementBody } from '../elementwise.js';
import { NotVectorizable } from '../fused-expr.js';
import { product, sources, type GroupLowering } from '../group-context.js';
import type { LoweredKernel } from '../specs.js';
import { dimExpr, uniformRecord, type UniformDims } from '../uniforms.js';
import { flat, multi, unravel, type Index } from '../view.js';
import { threadLoop, workgroupGrid } from './grid.js';

export const ELEMENTWISE_THREADS = 256;

export function lowerElementwiseGpu(g: GroupLowering): LoweredKernel {
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const body = elementwiseBody(g, kb, uniforms);
  const grid = emitElementThreads(kb, uniforms, g.group.root.shape, isFlat(g), canVectorizeElementwise(g), body);
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid };
}

/**
 * Emits the GPU loop structure over the elements of `shape` and calls `element` per thread.
 * Vector mode needs the 4 elements in one row: a flat (flattened) index, or a constant row
 * length that is a multiple of 4. Returns the dispatch grid.
 */
export function emitElementThreads(
  kb: KernelBuilder, uniforms: UniformDims, shape: readonly Dim[], flatten: boolean, allowVector: boolean,
  element: ElementBody, threads = ELEMENTWISE_THREADS,
): Dim[] {
  const width = shape.length === 0 ? 1 : constValue(shape[shape.length - 1]!);
  const rowsOfFour = flatten || (width !== undefined && width % 4 === 0);
  if (allowVector && rowsOfFour) {
    try {
      return emit(kb, uniforms, shape, flatten, 4, element, threads);
    } catch (e) {
      if (!(e instanceof NotVectorizable)) throw e;
    }
  }
  return emit(kb, uniforms, shape, flatten, 1, element, threads);
}

function emit(
  kb: KernelBuilder, uniforms: UniformDims, shape: readonly Dim[], flatten: boolean, lanes: 1 | 4,
  element: ElementBody, threads: number,
): Dim[] {
  const total = product(shape);
  const bind = (e: Expr): Expr => (e.kind === 'binary' ? kb.let('i', e) : e);
  /** The index of element `e` (scalar) of `shape`. */
  const indexOf = (e: Expr): Index =>
    flatten ? flat(e) : shape.length === 0 ? multi([]) : multi(unravel(shape, e, kb, uniforms).map(bind));
  const scalar = (e: Expr): void => element(indexOf(e), e, 1, undefined);
  return workgroupGrid(kb, uniforms, ceilDivDim(total, threads * lanes), (wg) => {
    threadLoop(kb, threads, (t) => {
      const gid = add(mul(wg, i32(threads)), t);
      const N = dimExpr(total, kb, uniforms);
      if (lanes === 1) {
        const e = kb.let('e', gid);
        kb.when(lt(e, N), () => scalar(e));
        return;
      }
      const base = kb.let('base', mul(gid, i32(4)));
      kb.when(le(add(base, i32(4)), N), () => {
        if (flatten) {
          element(flat(base), base, 4, name(base));
          return;
        }
        // Four elements of one row: the row's outer index, then the column the vector moves along.
        const W = dimExpr(shape[shape.length - 1]!, kb, uniforms);
        const outer = unravel(shape.slice(0, -1), div(base, W), kb, uniforms).map(bind);
        const col = kb.let('col', rem(base, W));
        element(multi([...outer, col]), base, 4, name(col));
      }, () => {
        kb.loop('j', base, min(N, add(base, i32(4))), 'serial', scalar);
      });
    });
  });
}

function name(e: Expr): string {
  if (e.kind !== 'var') throw new Error('variable expected');
  return e.name;
}
