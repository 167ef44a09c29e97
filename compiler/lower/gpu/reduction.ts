// reduce_* and argmax/argmin on GPU targets: one output element per row of threads
// (rows.ts). Each thread folds a strided share of the reduced elements, the shares meet
// through rowReduce (warps on CUDA, subgroups in the WebGPU subgroup variant; a workgroup tree for prod, argmax/argmin and plain WebGPU), and the CPU schedule's epilogue (emitReductionOutput) stores the
// result. argmax/argmin carry (value, index) pairs whose combine keeps the CPU order: the
// extreme value, NaN beating every number, ties to the first index (the last with selectLast).

import { DTYPES } from '../../ir/dtype.js';
import { and, binary, cast, div, eq, gt, i32, KernelBuilder, lt, ne, or, select, unary } from '../../kernel/builder.js';
import type { Expr } from '../../kernel/ir.js';
import { LoweringError } from '../errors.js';
import { bufferRecord } from '../elementwise.js';
import { computeType } from '../fused-expr.js';
import { sources, type GroupLowering } from '../group-context.js';
import { argScan, emitReductionOutput, identity, planReduction, type ReduceElements, type ReduceNode } from '../reduction.js';
import type { LoweredKernel } from '../specs.js';
import { uniformRecord, type UniformDims } from '../uniforms.js';
import { chooseRowLayout, emitRowGroups, rowReduce, treeReduce, type RowThread } from './rows.js';

export function lowerReductionGpu(g: GroupLowering): LoweredKernel {
  const plan = planReduction(g);
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  kb.buffer(g.out.value, g.out.dtype, 'write');
  const layout = chooseRowLayout(g.target, plan.K);
  const arrays = plan.isArg ? [plan.accT, 'i32' as const] : [plan.accT];
  const grid = emitRowGroups(kb, uniforms, plan.O, layout, arrays, (t) => {
    const reduce: ReduceElements = (K, xAt) =>
      plan.isArg ? argReduce(kb, t, plan.anchor, plan.accT, K, (k) => xAt(k, 1)) : foldReduce(kb, t, plan.anchor, plan.accT, K, (k) => xAt(k, 1));
    emitReductionOutput(g, kb, uniforms, plan, t.row, reduce, t.valid);
  });
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid };
}

function foldReduce(kb: KernelBuilder, t: RowThread, anchor: ReduceNode, accT: Parameters<typeof identity>[1], K: Expr, xAt: (k: Expr) => Expr): Expr {
  const op = anchor.op === 'reduce_sum' || anchor.op === 'reduce_mean' ? 'add'
    : anchor.op === 'reduce_prod' ? 'mul' : anchor.op === 'reduce_max' ? 'max' : anchor.op === 'reduce_min' ? 'min' : undefined;
  if (!op) throw new LoweringError(anchor.op);
  const info = DTYPES[anchor.src[0]!.dtype];
  const acc = kb.let('acc', identity(op, accT, info.min, info.max));
  kb.loop('k', t.lane, K, 'serial', (k) => kb.set(acc, binary(op, acc, xAt(k))), t.layout.threadsPerRow);
  const total = op === 'mul' ? treeReduce(kb, t, [acc], ([a], [b]) => [binary(op, a!, b!)])[0]! : rowReduce(kb, t, acc, op);
  return anchor.op === 'reduce_mean' ? div(total, cast(K, accT)) : total;
}

function argReduce(kb: KernelBuilder, t: RowThread, anchor: ReduceNode, accT: Parameters<typeof identity>[1], K: Expr, xAt: (k: Expr) => Expr): Expr {
  const { best, bestIndex } = argScan(kb, anchor, K, accT, xAt, { start: t.lane, step: t.layout.threadsPerRow });
  // A thread with no elements (lane ≥ K) offers index -1, which every combine passes over.
  const index = select(lt(t.lane, K), bestIndex, i32(-1));
  const isMax = anchor.op === 'argmax';
  const selectLast = Boolean((anchor.attrs as { selectLast?: boolean }).selectLast);
  const float = DTYPES[anchor.src[0]!.dtype].isFloat;
  const [, resultIndex] = treeReduce(kb, t, [best, index], ([av, ai], [bv, bi]) => {
    const a = av!, b = bv!, ia = ai!, ib = bi!;
    const aNaN = float ? ne(a, a) : undefined;
    const bNaN = float ? ne(b, b) : undefined;
    const neither = aNaN && bNaN ? and(unary('not', aNaN), unary('not', bNaN)) : undefined;
    const strictly = isMax ? gt(b, a) : lt(b, a);
    const bBetter = neither ? or(and(bNaN!, unary('not', aNaN!)), and(neither, strictly)) : strictly;
    const tie = neither ? or(and(aNaN!, bNaN!), and(neither, eq(a, b))) : eq(a, b);
    const indexPick = selectLast ? gt(ib, ia) : lt(ib, ia);
    const takeB = kb.let('take_other', and(ge0(ib), or(lt(ia, i32(0)), or(bBetter, and(tie, indexPick)))));
    return [select(takeB, b, a), select(takeB, ib, ia)];
  });
  return cast(resultIndex!, computeType(anchor));
}

function ge0(e: Expr): Expr {
  return binary('ge', e, i32(0));
}
