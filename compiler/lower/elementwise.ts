// An elementwise group as one kernel: the root's elements are rows of its innermost dim (or,
// when the group has no broadcasting or views, one flat row). A work item takes a block of
// about ITEM_ELEMENTS elements — several short rows, or a chunk of a long one — and runs an
// f32x4 loop over the row with a scalar tail, falling back to scalar code when the group
// cannot be vectorised (see fused-expr.ts).

import { constDim, constValue, dimEquals, isConst, mulDim, type Dim } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import { add, cast, div, i32, min, mul, rem, store, sub, KernelBuilder } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { computeType, emitValue, NotVectorizable } from './fused-expr.js';
import { blocks, fusedContext, ITEM_ELEMENTS, product, rowsPerItem, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { flat, multi, unravel, type Index } from './view.js';

const FLAT_OPS = new Set([
  'neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'erf', 'silu', 'sin', 'cos', 'floor', 'ceil',
  'round', 'sign', 'reciprocal', 'not', 'add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'mod', 'eq', 'ne', 'lt', 'le',
  'gt', 'ge', 'and', 'or', 'xor', 'gelu', 'where', 'cast',
]);

function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => dimEquals(d, b[i]!));
}

/** Whether every node reads its operands at its own index (no broadcast, no view): then a flat index serves all. */
export function isFlat(g: GroupLowering): boolean {
  const root = g.group.root;
  return g.group.nodes.every((n) =>
    FLAT_OPS.has(n.op) && sameShape(n.shape, root.shape) && n.src.every((s) => sameShape(s.shape, root.shape) || s.shape.length === 0));
}

/**
 * Emits the per-element loop nest over `shape` split into work items, calling `element` for
 * each element (or each 4 elements when vectorised) with its index and flat output index.
 * Returns the grid extents. Shared by the elementwise and generic lowerings.
 */
export function emitElementLoops(
  kb: KernelBuilder, uniforms: UniformDims, shape: readonly Dim[], flatten: boolean, allowVector: boolean,
  element: ElementBody,
): Dim[] {
  const rowShape = flatten || shape.length === 0 ? [] : shape.slice(0, -1);
  const width: Dim = flatten ? product(shape) : shape.length === 0 ? constDim(1) : shape[shape.length - 1]!;
  const rows = product(rowShape);
  const chunk = ITEM_ELEMENTS;
  const widthConst = constValue(width);
  const colBlocks = widthConst !== undefined && widthConst <= chunk ? constDim(1) : blocks(width, chunk);
  const perItem = rowsPerItem(width);
  const rowBlocks = blocks(rows, perItem);
  const gridDim = mulDim(rowBlocks, colBlocks);
  kb.loop('item', i32(0), dimExpr(gridDim, kb, uniforms), 'grid.x', (item) => {
    const oneColBlock = isConst(colBlocks, 1);
    const rowBlock = oneColBlock ? item : kb.let('row_block', div(item, dimExpr(colBlocks, kb, uniforms)));
    const colStart = oneColBlock ? i32(0) : kb.let('col_start', mul(rem(item, dimExpr(colBlocks, kb, uniforms)), i32(chunk)));
    const W = dimExpr(width, kb, uniforms);
    const colEnd = oneColBlock ? W : kb.let('col_end', min(W, add(colStart, i32(chunk))));
    const row = (r: Expr): void => {
      const outer = unravel(rowShape, r, kb, uniforms).map((e) => (e.kind === 'binary' ? kb.let('i', e) : e));
      const rowBase = rowShape.length === 0 ? i32(0) : kb.let('row_base', mul(r, W));
      const indexAt = (j: Expr): Index => (flatten ? flat(j) : shape.length === 0 ? multi([]) : multi([...outer, j]));
      let scalarStart = colStart;
      const vectorWorth = allowVector && (widthConst === undefined || widthConst >= 4);
      if (vectorWorth) {
        const count = sub(colEnd, colStart);
        const vecEnd = add(colStart, sub(count, rem(count, i32(4))));
        try {
          kb.loop('j', colStart, vecEnd, 'vectorized', (j) => element(indexAt(j), add(rowBase, j), 4, varName(j)), 4);
          scalarStart = vecEnd;
        } catch (e) {
          if (!(e instanceof NotVectorizable)) throw e;
        }
      }
      kb.loop('j', scalarStart, colEnd, 'serial', (j) => element(indexAt(j), add(rowBase, j), 1, undefined));
    };
    if (perItem === 1) row(rowBlock);
    else {
      const first = kb.let('row_start', mul(rowBlock, i32(perItem)));
      kb.loop('r', first, min(dimExpr(rows, kb, uniforms), add(first, i32(perItem))), 'serial', row);
    }
  });
  return [gridDim];
}

/**
 * What a loop structure does per element (or per 4 consecutive elements along `vectorVar`):
 * `index` is the element's index in the root's shape, `outFlat` its flat output index.
 */
export type ElementBody = (index: Index, outFlat: Expr, lanes: 1 | 4, vectorVar: string | undefined) => void;

/** Whether an elementwise group may be computed with f32x4 vectors (its code may still refuse: NotVectorizable). */
export function canVectorizeElementwise(g: GroupLowering): boolean {
  return g.target.vectorLanes >= 4 && computeType(g.group.root) === 'f32' && g.out.dtype === 'f32';
}

/** The body shared by the CPU and GPU loop structures: the root's fused value stored at its output index. */
export function elementwiseBody(g: GroupLowering, kb: KernelBuilder, uniforms: UniformDims): ElementBody {
  const root: Node = g.group.root;
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const t = computeType(root);
  return (index, outFlat, lanes, vectorVar) => {
    const ctx = fusedContext(g, kb, uniforms, lanes, vectorVar);
    kb.emit(store(out, outFlat, cast(emitValue(ctx, root, index), lanes === 1 ? t : `${t}x4` as never)));
  };
}

export function lowerElementwise(g: GroupLowering): LoweredKernel {
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const grid = emitElementLoops(kb, uniforms, g.group.root.shape, isFlat(g), canVectorizeElementwise(g), elementwiseBody(g, kb, uniforms));
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid };
}

/** Buffers are named after the value ids they bind, so the dispatch maps each name to itself. */
export function bufferRecord(kernel: { buffers: readonly { name: string }[] }): Record<string, string> {
  return Object.fromEntries(kernel.buffers.map((b) => [b.name, b.name]));
}

function varName(e: Expr): string {
  if (e.kind !== 'var') throw new Error('loop variable expected');
  return e.name;
}
