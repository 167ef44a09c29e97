// Control flow whose path is known when the model is imported. If with a constant condition
// inlines the chosen branch. Loop with a known trip count (or none) and a condition that stays
// known is unrolled: each iteration converts the body again with the iteration number, the
// condition and the values carried from the last one; scan outputs are stacked along a new
// axis 0. A data-dependent condition or trip count is SL3014 (onnxNotConstant).

import { constValue } from '../../../ir/dim.js';
import { isPoison } from '../../../ir/builder.js';
import type { Node } from '../../../ir/node.js';
import { getNumber, tensor, type Tensor } from '../../../interpret/tensor.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import type { GraphProto } from '../proto.js';

/** Loops are unrolled at import; past this many iterations the model is refused. */
export const MAX_UNROLLED_ITERATIONS = 4096;

function truth(ctx: ConvertContext, t: Tensor, what: string): boolean {
  if (t.data.length !== 1) ctx.fail('onnxBadInput', `${what} must hold one value, got ${t.data.length}`);
  return getNumber(t, 0) !== 0;
}

function subgraph(ctx: ConvertContext, name: string): GraphProto {
  return ctx.attrs.required(name, ctx.attrs.graph(name));
}

function If(ctx: ConvertContext): Node[] {
  const cond = truth(ctx, ctx.requireConstant(0, 'the If condition'), 'the If condition');
  const outputs = ctx.convertSubgraph(subgraph(ctx, cond ? 'then_branch' : 'else_branch'), []);
  if (outputs.length !== ctx.node.outputs.length) {
    ctx.fail('onnxBadInput', `the If branch has ${outputs.length} outputs, the node ${ctx.node.outputs.length}`);
  }
  return outputs;
}

/** Scan outputs of a loop that ran no iteration: empty tensors shaped like one iteration's. */
function emptyScans(ctx: ConvertContext, body: GraphProto, carried: readonly Node[], scanCount: number): Node[] {
  if (scanCount === 0) return [];
  const once = ctx.convertSubgraph(body, [ctx.scalar(0, 'i64'), ctx.scalar(1, 'bool'), ...carried]);
  return once.slice(once.length - scanCount).map((n) => {
    const dims = n.shape.map((d) => constValue(d));
    if (dims.some((d) => d === undefined)) ctx.fail('onnxUnsupportedFeature', 'a Loop that runs no iteration with scan outputs of symbolic shape');
    return ctx.constantTensor(tensor(n.dtype, [0, ...(dims as number[])]));
  });
}

function stack(ctx: ConvertContext, items: readonly Node[]): Node {
  const rows = items.map((n) => ctx.op('unsqueeze', [n], { axes: [0] }));
  return rows.length === 1 ? rows[0]! : ctx.op('concat', rows, { axis: 0 });
}

function Loop(ctx: ConvertContext): Node[] {
  const body = subgraph(ctx, 'body');
  const op = ctx.node.opType;
  const tripCount = ctx.optionalInput(0) === undefined ? Infinity : ctx.ints(0, `the ${op} trip count`)[0] ?? ctx.fail('onnxBadInput', 'the Loop trip count is empty');
  let cond = ctx.optionalInput(1) === undefined ? true : truth(ctx, ctx.requireConstant(1, 'the Loop condition'), 'the Loop condition');
  const carriedCount = Math.max(ctx.node.inputs.length - 2, 0);
  let carried = Array.from({ length: carriedCount }, (_, k) => ctx.input(2 + k));
  const bodyOutputs = body.output?.length ?? 0;
  const scanCount = bodyOutputs - 1 - carriedCount;
  if (scanCount < 0) ctx.fail('onnxBadInput', `the Loop body has ${bodyOutputs} outputs; it needs the condition and the ${carriedCount} carried values`);
  if (ctx.node.outputs.length > carriedCount + scanCount) ctx.fail('onnxBadInput', `Loop has ${ctx.node.outputs.length} outputs, its body gives ${carriedCount + scanCount}`);
  const scans: Node[][] = Array.from({ length: scanCount }, () => []);
  let i = 0;
  while (i < tripCount && cond) {
    if (i >= MAX_UNROLLED_ITERATIONS) {
      ctx.fail('onnxUnsupportedFeature', `a Loop of more than ${MAX_UNROLLED_ITERATIONS} iterations (loops are unrolled when the model is imported)`);
    }
    const outputs = ctx.convertSubgraph(body, [ctx.scalar(i, 'i64'), ctx.scalar(1, 'bool'), ...carried]);
    // An error already reported (here or in an enclosing graph): pass it on quietly.
    if (outputs.some(isPoison)) return ctx.node.outputs.map(() => ctx.b.poison());
    carried = outputs.slice(1, 1 + carriedCount);
    outputs.slice(1 + carriedCount).forEach((n, k) => scans[k]!.push(n));
    i++;
    if (i < tripCount) {
      const next = ctx.valueOf(outputs[0]!);
      if (next === undefined) ctx.failNotConstant(`the Loop condition after iteration ${i} (the body's first output)`, outputs[0]);
      cond = truth(ctx, next, 'the Loop condition');
    }
  }
  const stacked = i === 0 ? emptyScans(ctx, body, carried, scanCount) : scans.map((items) => stack(ctx, items));
  return [...carried, ...stacked].slice(0, ctx.node.outputs.length);
}

export const CONTROL_FLOW_CONVERTERS: ConverterTable = { If, Loop };
