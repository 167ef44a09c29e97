// Shape and layout ops: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Concat, Gather,
// Slice, Expand, ConstantOfShape, Range, Transpose, Split, Tile, DepthToSpace, Identity,
// Constant, Cast, CastLike. Each works on shape values (dims) when its inputs are dims, so a
// PyTorch export's run-time shape computation folds into dim arithmetic, and on data
// otherwise.

import { addDim, ceilDivDim, constDim, constValue, divDim, maxDim, mulDim, subDim, type Dim } from '../../../ir/dim.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/node.js';
import { numElements } from '../../../ir/types.js';
import { getNumber, tensor, type Tensor } from '../../../interpret/tensor.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import { dtypeFromOnnx, onnxTypeName, tensorFromInitializer } from '../initializers.js';

// ---- helpers shared by the shape converters ----

/** A possibly negative axis, normalised for `rank`; out of range is the model's error. */
export function axisOf(ctx: ConvertContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail('onnxBadAttribute', `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Axes from the attribute (old opsets) or input `i` (newer ones); undefined when not given. */
export function axesOf(ctx: ConvertContext, inputIndex: number, sinceOpset: number): number[] | undefined {
  if (ctx.opset < sinceOpset) return ctx.attrs.ints('axes');
  return ctx.optionalInput(inputIndex) === undefined ? undefined : ctx.ints(inputIndex, 'the axes');
}

export function dtypeAttr(ctx: ConvertContext, n: number): DType {
  const d = dtypeFromOnnx(n);
  if (!d) ctx.fail('onnxUnsupportedDtype', onnxTypeName(n));
  return d;
}

/** Output dims for ONNX Reshape's shape values: 0 copies the input dim (unless allowzero), -1 is inferred. */
function reshapeTarget(ctx: ConvertContext, input: readonly Dim[], shape: readonly Dim[], allowZero: boolean): Dim[] {
  const out = shape.map((d, i) => {
    if (!allowZero && constValue(d) === 0) {
      if (i >= input.length) ctx.fail('onnxBadInput', `Reshape copies dim ${i} (a 0 in the shape) but the input has rank ${input.length}`);
      return input[i]!;
    }
    return d;
  });
  const unknown = out.findIndex((d) => constValue(d) === -1);
  if (unknown >= 0) {
    if (out.findIndex((d, i) => i !== unknown && constValue(d) === -1) >= 0) ctx.fail('onnxBadInput', 'Reshape shape has more than one -1');
    const known = out.filter((_, i) => i !== unknown).reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
    out[unknown] = divDim(numElements(input), known);
  }
  for (const d of out) {
    const v = constValue(d);
    if (v !== undefined && v < 0) ctx.fail('onnxBadInput', `Reshape shape has the invalid dim ${v}`);
  }
  return out;
}

/** Start and count of ONNX Slice on a dim of size `size`, with ONNX's clamping rules. */
function sliceRange(size: Dim, rawStart: number, rawEnd: number, step: number): { start: Dim; count: Dim } {
  const n = constValue(size);
  if (n !== undefined) {
    let start = rawStart < 0 ? rawStart + n : rawStart;
    let end = rawEnd < 0 ? rawEnd + n : rawEnd;
    if (step > 0) {
      start = Math.min(Math.max(start, 0), n);
      end = Math.min(Math.max(end, 0), n);
    } else {
      start = Math.min(Math.max(start, 0), n - 1);
      end = Math.min(Math.max(end, -1), n - 1);
    }
    const count = Math.max(0, Math.ceil((end - start) / step));
    return { start: constDim(count === 0 ? 0 : start), count: constDim(count) };
  }
  // A symbolic size: negative bounds count from the end, bounds past 2^31 mean "to the end";
  // other bounds are assumed in range (they are checked when the dims are bound).
  const big = 2 ** 31;
  const bound = (v: number, endBound: boolean): Dim =>
    v >= big ? size : v <= -big ? (endBound ? constDim(-1) : constDim(0)) : v < 0 ? addDim(size, v) : constDim(v);
  if (step > 0) {
    const start = bound(rawStart, false);
    const end = rawEnd >= big ? size : bound(rawEnd, true);
    return { start, count: step === 1 ? maxDim(subDim(end, start), 0) : ceilDivDim(maxDim(subDim(end, start), 0), step) };
  }
  const start = rawStart >= big ? subDim(size, 1) : bound(rawStart, false);
  const end = rawEnd <= -big ? constDim(-1) : bound(rawEnd, true);
  return { start, count: ceilDivDim(maxDim(subDim(start, end), 0), -step) };
}

function shapeValue(ctx: ConvertContext, dims: readonly Dim[], scalar = false): Node {
  return ctx.dimValues(dims, scalar);
}

// ---- converters ----

function Shape(ctx: ConvertContext): Node[] {
  const shape = ctx.input(0).shape;
  const rank = shape.length;
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clamp(ctx.attrs.int('start', 0));
  const end = clamp(ctx.attrs.int('end', rank));
  return [shapeValue(ctx, shape.slice(start, Math.max(start, end)))];
}

function Size(ctx: ConvertContext): Node[] {
  return [shapeValue(ctx, [numElements(ctx.input(0).shape)], true)];
}

function Reshape(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const shape = ctx.opset < 5 ? ctx.attrs.required('shape', ctx.attrs.ints('shape')).map((v) => constDim(v)) : ctx.requireDims(1, 'the target shape');
  const target = reshapeTarget(ctx, x.shape, shape, ctx.attrs.int('allowzero', 0) === 1);
  const dims = ctx.dims(0);
  // A shape value reshaped to 1-D or a scalar stays a shape value.
  if (dims !== undefined && target.length <= 1) return [shapeValue(ctx, dims, target.length === 0)];
  return [ctx.op('reshape', [x], { shape: target })];
}

function Flatten(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  let axis = ctx.attrs.int('axis', 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) ctx.fail('onnxBadAttribute', `Flatten axis ${ctx.attrs.int('axis', 1)} is out of range for rank ${rank}`);
  return [ctx.op('reshape', [x], { shape: [numElements(x.shape.slice(0, axis)), numElements(x.shape.slice(axis))] })];
}

function Squeeze(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const given = axesOf(ctx, 1, 13);
  const axes = given === undefined ? x.shape.flatMap((d, i) => (constValue(d) === 1 ? [i] : [])) : given.map((a) => axisOf(ctx, a, rank));
  const dims = ctx.dims(0);
  if (dims !== undefined && rank === 1 && axes.length === 1) return [shapeValue(ctx, dims, true)];
  return [ctx.op('squeeze', [x], { axes: [...new Set(axes)].sort((a, b) => a - b) })];
}

function Unsqueeze(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const given = ctx.attrs.required('axes', axesOf(ctx, 1, 13));
  const rank = x.shape.length + given.length;
  const axes = given.map((a) => axisOf(ctx, a, rank)).sort((a, b) => a - b);
  const dims = ctx.dims(0);
  if (dims !== undefined && x.shape.length === 0 && axes.length === 1) return [shapeValue(ctx, dims)];
  return [ctx.op('unsqueeze', [x], { axes })];
}

function Concat(ctx: ConvertContext): Node[] {
  if (ctx.inputCount === 0) ctx.fail('onnxBadInput', 'Concat needs at least one input');
  const inputs = Array.from({ length: ctx.inputCount }, (_, i) => ctx.input(i));
  const rank = inputs[0]!.shape.length;
  const axis = axisOf(ctx, ctx.attrs.required('axis', ctx.attrs.int('axis')), rank);
  if (inputs.some((n) => n.shape.length !== rank)) ctx.fail('onnxBadInput', `Concat inputs differ in rank: ${inputs.map((n) => n.shape.length).join(', ')}`);
  if (rank === 1) {
    const parts = inputs.map((_, i) => ctx.dims(i));
    if (parts.every((p) => p !== undefined)) return [shapeValue(ctx, parts.flatMap((p) => p!))];
  }
  // Empty operands (a [0] shape piece) add nothing.
  const kept = inputs.filter((n) => constValue(n.shape[axis]!) !== 0);
  if (kept.length === 0) return [inputs[0]!];
  return [ctx.op('concat', kept, { axis })];
}

function Gather(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const axis = axisOf(ctx, ctx.attrs.int('axis', 0), x.shape.length);
  const dims = ctx.dims(0);
  const indices = ctx.constant(1);
  if (dims !== undefined && indices !== undefined && indices.shape.length <= 1) {
    const picked: Dim[] = [];
    for (let i = 0; i < indices.data.length; i++) {
      let k = getNumber(indices, i);
      if (k < 0) k += dims.length;
      if (k < 0 || k >= dims.length) ctx.fail('onnxBadInput', `Gather index ${getNumber(indices, i)} is out of range for ${dims.length} values`);
      picked.push(dims[k]!);
    }
    return [shapeValue(ctx, picked, indices.shape.length === 0)];
  }
  return [ctx.op('gather', [x, ctx.input(1)], { axis })];
}

/** Start and count for bounds that are shape values (symbolic): taken as in range, checked when run. */
function symbolicSliceRange(size: Dim, start: Dim, end: Dim, step: number): { start: Dim; count: Dim } {
  const big = 2 ** 31;
  const norm = (d: Dim, isEnd: boolean): Dim => {
    const v = constValue(d);
    if (v === undefined) return d;
    if (v >= big) return step > 0 ? size : subDim(size, 1);
    if (v <= -big) return isEnd && step < 0 ? constDim(-1) : constDim(0);
    return v < 0 ? addDim(size, v) : d;
  };
  const s = norm(start, false), e = norm(end, true);
  if (step > 0) return { start: s, count: step === 1 ? maxDim(subDim(e, s), 0) : ceilDivDim(maxDim(subDim(e, s), 0), step) };
  return { start: s, count: ceilDivDim(maxDim(subDim(s, e), 0), -step) };
}

function Slice(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  let starts: Dim[], ends: Dim[], axes: number[] | undefined, steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = ctx.attrs.required('starts', ctx.attrs.ints('starts')).map((v) => constDim(v));
    ends = ctx.attrs.required('ends', ctx.attrs.ints('ends')).map((v) => constDim(v));
    axes = ctx.attrs.ints('axes');
  } else {
    // Bounds may be shape values (GPT-2's `bias[:, :, k-q:k]`); axes and steps are constants.
    starts = ctx.requireDims(1, 'Slice starts');
    ends = ctx.requireDims(2, 'Slice ends');
    axes = ctx.optionalInput(3) ? ctx.ints(3, 'Slice axes') : undefined;
    steps = ctx.optionalInput(4) ? ctx.ints(4, 'Slice steps') : undefined;
  }
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    ctx.fail('onnxBadInput', 'Slice starts, ends, axes and steps differ in length');
  }
  const normAxes = axes.map((a) => axisOf(ctx, a, rank));
  if (steps.some((s) => s === 0)) ctx.fail('onnxBadInput', 'Slice step cannot be 0');
  const ranges = normAxes.map((a, i) => {
    const start = constValue(starts[i]!), end = constValue(ends[i]!);
    return start !== undefined && end !== undefined
      ? sliceRange(x.shape[a]!, start, end, steps![i]!)
      : symbolicSliceRange(x.shape[a]!, starts[i]!, ends[i]!, steps![i]!);
  });
  const dims = ctx.dims(0);
  if (dims !== undefined && rank === 1) {
    const start = constValue(ranges[0]!.start), count = constValue(ranges[0]!.count);
    if (start !== undefined && count !== undefined) return [shapeValue(ctx, Array.from({ length: count }, (_, k) => dims[start + k * steps![0]!]!))];
  }
  return [ctx.op('slice', [x], { axes: normAxes, starts: ranges.map((r) => r.start), steps, counts: ranges.map((r) => r.count) })];
}

function Expand(ctx: ConvertContext): Node[] {
  const shape = ctx.requireDims(1, 'the Expand shape');
  return [ctx.op('expand', [ctx.input(0)], { shape })];
}

function ConstantOfShape(ctx: ConvertContext): Node[] {
  const shape = ctx.requireDims(0, 'the ConstantOfShape shape');
  const proto = ctx.attrs.tensor('value');
  const value: Tensor = proto ? tensorFromInitializer(proto, ctx.span.kind === 'node' ? ctx.span.file : '') : tensor('f32', [1], [0]);
  if (value.data.length !== 1) ctx.fail('onnxBadAttribute', 'ConstantOfShape value must hold one element');
  const scalar = ctx.constantTensor({ ...value, shape: [] });
  return [shape.length === 0 ? scalar : ctx.op('expand', [scalar], { shape })];
}

/**
 * Range. Since opset 27 it also takes f16 and bf16, computed in `stash_type` (f32) and cast
 * back, as its function body does; sluice does that for those dtypes at any opset (Range-11
 * does not allow them).
 */
function Range(ctx: ConvertContext): Node[] {
  const dtype = ctx.input(0).dtype;
  const stashType = ctx.opset >= 27 ? ctx.attrs.int('stash_type', 1) : 1;
  if (stashType !== 1) ctx.fail('onnxUnsupportedFeature', `Range stash_type ${stashType} is not supported (only 1, float32)`);
  const stash: DType | undefined = dtype === 'f16' || dtype === 'bf16' ? 'f32' : undefined;
  const start = ctx.dims(0)?.[0], limit = ctx.dims(1)?.[0];
  const delta = ctx.constant(2);
  const deltaValue = delta !== undefined ? getNumber(delta, 0) : undefined;
  if (deltaValue === 0) ctx.fail('onnxBadInput', 'Range delta cannot be 0');
  const [s, l, d] = [ctx.constant(0), ctx.constant(1), delta];
  if (s !== undefined && l !== undefined && d !== undefined) {
    const a = getNumber(s, 0), b = getNumber(l, 0), c = getNumber(d, 0);
    // In the stash type, each value is rounded to f32 before the cast to the output dtype.
    const round = stash ? Math.fround : (x: number): number => x;
    const count = Math.max(Math.ceil(round(round(b - a) / c)), 0);
    return [ctx.constantTensor(tensor(dtype, [count], Array.from({ length: count }, (_, i) => round(a + i * c))))];
  }
  if (start === undefined || limit === undefined || deltaValue === undefined || !Number.isInteger(deltaValue)) {
    ctx.failNotConstant('Range start and limit must be shape values and delta a constant integer', ctx.input(0), ctx.input(1), ctx.input(2));
  }
  const count = deltaValue > 0 ? ceilDivDim(maxDim(subDim(limit, start), 0), deltaValue) : ceilDivDim(maxDim(subDim(start, limit), 0), -deltaValue);
  const compute = stash ?? dtype;
  let out = ctx.op('iota', [], { count, dtype: compute });
  if (deltaValue !== 1) out = ctx.op('mul', [out, ctx.scalar(deltaValue, compute)], {});
  if (constValue(start) !== 0) out = ctx.op('add', [out, ctx.op('cast', [ctx.dimValues([start], true)], { to: compute })], {});
  return [compute === dtype ? out : ctx.op('cast', [out], { to: dtype })];
}

function Transpose(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const perm = ctx.attrs.ints('perm', Array.from({ length: rank }, (_, i) => rank - 1 - i));
  return [ctx.op('transpose', [x], { perm: perm.map((p) => axisOf(ctx, p, rank)) })];
}

function Split(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const axis = axisOf(ctx, ctx.attrs.int('axis', 0), x.shape.length);
  const outputs = ctx.node.outputs.length;
  const size = x.shape[axis]!;
  let sizes: Dim[];
  const given = ctx.opset >= 13 ? (ctx.optionalInput(1) ? ctx.ints(1, 'Split sizes') : undefined) : ctx.attrs.ints('split');
  if (given !== undefined) {
    sizes = given.map((v) => constDim(v));
  } else {
    const n = ctx.opset >= 18 ? ctx.attrs.int('num_outputs', outputs) : outputs;
    // Equal parts; with num_outputs the last part may be smaller (ceil division).
    const part = ctx.opset >= 18 ? ceilDivDim(size, n) : divDim(size, n);
    sizes = Array.from({ length: n }, (_, i) => (i < n - 1 ? part : subDim(size, mulDim(part, n - 1))));
  }
  let start: Dim = constDim(0);
  return sizes.map((count) => {
    const piece = ctx.op('slice', [x], { axes: [axis], starts: [start], steps: [1], counts: [count] });
    start = addDim(start, count);
    return piece;
  });
}

function Tile(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const repeats = ctx.ints(1, 'Tile repeats');
  const rank = x.shape.length;
  if (repeats.length !== rank) ctx.fail('onnxBadInput', `Tile repeats has ${repeats.length} values for rank ${rank}`);
  // [d0, d1] -> [1, d0, 1, d1] -> expand [r0, d0, r1, d1] -> reshape [r0*d0, r1*d1]
  const spread = ctx.op('unsqueeze', [x], { axes: Array.from({ length: rank }, (_, i) => 2 * i) });
  const expanded = ctx.op('expand', [spread], { shape: x.shape.flatMap((d, i) => [constDim(repeats[i]!), d]) });
  return [ctx.op('reshape', [expanded], { shape: x.shape.map((d, i) => mulDim(d, repeats[i]!)) })];
}

function DepthToSpace(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  if (x.shape.length !== 4) ctx.fail('onnxBadInput', 'DepthToSpace needs a rank-4 input');
  const b = ctx.attrs.required('blocksize', ctx.attrs.int('blocksize'));
  const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
  const c2 = divDim(c, b * b);
  const crd = ctx.attrs.string('mode', 'DCR') === 'CRD';
  const split = ctx.op('reshape', [x], { shape: crd ? [n, c2, constDim(b), constDim(b), h, w] : [n, constDim(b), constDim(b), c2, h, w] });
  const moved = ctx.op('transpose', [split], { perm: crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2] });
  return [ctx.op('reshape', [moved], { shape: [n, c2, mulDim(h, b), mulDim(w, b)] })];
}

function Identity(ctx: ConvertContext): Node[] {
  return [ctx.input(0)];
}

function Constant(ctx: ConvertContext): Node[] {
  const a = ctx.attrs;
  const file = ctx.span.kind === 'node' ? ctx.span.file : '';
  const t = a.tensor('value');
  if (t) return [ctx.constantTensor(tensorFromInitializer(t, file))];
  const f = a.float('value_float');
  if (f !== undefined) return [ctx.scalar(f, 'f32')];
  const fs = a.floats('value_floats');
  if (fs !== undefined) return [ctx.constantTensor(tensor('f32', [fs.length], fs))];
  const i = a.int('value_int');
  if (i !== undefined) return [ctx.scalar(i, 'i64')];
  const is = a.ints('value_ints');
  if (is !== undefined) return [ctx.constantTensor(tensor('i64', [is.length], is))];
  if (a.has('value_string') || a.has('value_strings')) ctx.fail('onnxUnsupportedDtype', 'string (Constant)');
  return ctx.fail('onnxUnsupportedFeature', `Constant with ${a.names().join(', ') || 'no value'} is not supported`);
}

function castTo(ctx: ConvertContext, x: Node, to: DType): Node {
  if (x.dtype === to) return x;
  // A shape value cast to another integer type is still the same dims.
  const dims = ctx.dims(0);
  if (dims !== undefined && DTYPES[to].isInt && (to === 'i64' || to === 'i32') && x.op === 'dim_values') {
    return to === 'i64' ? x : ctx.op('cast', [x], { to });
  }
  const saturate = ctx.attrs.int('saturate', 1) === 1;
  return ctx.op('cast', [x], saturate ? { to } : { to, saturate });
}

function Cast(ctx: ConvertContext): Node[] {
  const to = dtypeAttr(ctx, ctx.attrs.required('to', ctx.attrs.int('to')));
  return [castTo(ctx, ctx.input(0), to)];
}

function CastLike(ctx: ConvertContext): Node[] {
  return [castTo(ctx, ctx.input(0), ctx.input(1).dtype)];
}

export const SHAPE_CONVERTERS: ConverterTable = {
  Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Concat, Gather, Slice, Expand, ConstantOfShape,
  Range: { convert: Range, latestVersion: 27 }, Transpose, Split, Tile, DepthToSpace, Identity, Constant, Cast, CastLike,
};

