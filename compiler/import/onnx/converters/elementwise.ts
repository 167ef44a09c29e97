// Elementwise math, comparisons, logic, activations and matmul. Arithmetic and comparisons on
// shape values go through shape-arith.ts first, so shape computations stay dims; everything
// else becomes IR elementwise ops. The IR has no implicit promotion, so every scalar here takes
// its operand's dtype, and ops whose ONNX operands may differ in dtype (Pow) cast explicitly.
// Activations are compositions of IR ops that follow the ONNX definitions (and their function
// bodies) term by term.

import { constValue, printShape, type Dim } from '../../../ir/dim.js';
import { DTYPES, type DType } from '../../../ir/dtype.js';
import type { BinaryOp, Node, UnaryOp } from '../../../ir/node.js';
import { broadcastsTo, sameShape } from '../../../ir/types.js';
import { getNumber, tensor, toNumbers } from '../../../interpret/tensor.js';
import type { ConvertContext } from '../context.js';
import type { Converter, ConverterTable } from '../converter.js';
import { dimArithmetic, dimEquality, dimSelect, type DimBinaryOp } from './shape-arith.js';

// ---- helpers ----

/** The largest finite f32: Clip's bounds before opset 11 default to ∓ this. */
const F32_MAX = 3.4028234663852886e38;

/** Bits of precision (significand with the hidden bit) of each float dtype. */
const FLOAT_PRECISION: Partial<Record<DType, number>> = {
  f64: 53, f32: 24, f16: 11, bf16: 8, f8e4m3fn: 4, f8e4m3fnuz: 4, f8e5m2: 3, f8e5m2fnuz: 3, f8e8m0: 1, f4e2m1: 2,
};

function isFloat(dtype: DType): boolean {
  return DTYPES[dtype].isFloat;
}

/** A user error unless `x` is a floating-point tensor (activations with float parameters). */
function requireFloat(ctx: ConvertContext, x: Node): void {
  if (!isFloat(x.dtype)) ctx.fail('onnxBadInput', `${ctx.node.opType} needs a floating-point input, got ${x.dtype}`);
}

function op(ctx: ConvertContext, kind: BinaryOp, a: Node, b: Node): Node {
  return ctx.op(kind, [a, b], {});
}

function unaryOp(ctx: ConvertContext, kind: UnaryOp, x: Node): Node {
  return ctx.op(kind, [x], {});
}

/** `v` as a scalar constant of `like`'s dtype. */
function scalarLike(ctx: ConvertContext, v: number, like: Node): Node {
  return ctx.scalar(v, like.dtype);
}

/** Every given input, for the variadic ops (Max, Min, Sum, Mean). */
function allInputs(ctx: ConvertContext): Node[] {
  if (ctx.inputCount === 0) ctx.fail('onnxBadInput', `${ctx.node.opType} needs at least one input`);
  return Array.from({ length: ctx.inputCount }, (_, i) => ctx.input(i));
}

/**
 * Inputs 0 and 1 of a binary op. Before opset 7, broadcasting was opt-in (`broadcast=1`) and
 * `axis` placed the second operand's dims at that axis of the first's; since opset 7 it is
 * NumPy's multidirectional broadcasting.
 */
function binaryOperands(ctx: ConvertContext): [Node, Node] {
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (ctx.opset >= 7) return [a, b];
  if (ctx.attrs.int('broadcast', 0) === 0) {
    if (!sameShape(a.shape, b.shape)) ctx.fail('onnxBadInput', `${ctx.node.opType} without broadcast=1 needs operands of one shape`);
    return [a, b];
  }
  const axis = ctx.attrs.int('axis');
  if (axis === undefined) return [a, b];
  const rank = a.shape.length;
  const start = axis < 0 ? axis + rank : axis;
  const trailing = rank - start - b.shape.length;
  if (start < 0 || trailing < 0) ctx.fail('onnxBadAttribute', `${ctx.node.opType} axis ${axis} does not place a rank-${b.shape.length} operand in rank ${rank}`);
  if (trailing === 0) return [a, b];
  const axes = Array.from({ length: trailing }, (_, i) => b.shape.length + i);
  return [a, ctx.op('unsqueeze', [b], { axes })];
}

/** Whether every known element of `dims` satisfies `ok` (symbolic dims are never negative). */
function constantsAll(dims: readonly Dim[], ok: (v: number) => boolean): boolean {
  return dims.every((d) => {
    const v = constValue(d);
    return v === undefined || ok(v);
  });
}

/**
 * `kind` on shape values as dims, in the inputs' dtype, when both operands are shape values.
 * Division and remainder are left to the data ops unless the dividend is non-negative and the
 * divisor positive, where ONNX's truncating and dims' flooring forms agree.
 */
function shapeArithmetic(ctx: ConvertContext, kind: DimBinaryOp): Node | undefined {
  if (ctx.inputCount !== 2 || ctx.opset < 7 || ctx.input(0).dtype !== ctx.input(1).dtype) return undefined;
  if (kind === 'div' || kind === 'mod') {
    const a = ctx.dims(0), b = ctx.dims(1);
    if (a === undefined || b === undefined) return undefined;
    if (!constantsAll(a, (v) => v >= 0) || !constantsAll(b, (v) => v > 0)) return undefined;
  }
  const out = dimArithmetic(ctx, kind);
  return out === undefined ? undefined : castTo(ctx, out, ctx.input(0).dtype);
}

function castTo(ctx: ConvertContext, x: Node, to: DType): Node {
  return x.dtype === to ? x : ctx.op('cast', [x], { to });
}

// ---- unary ----

function unary(kind: UnaryOp): Converter {
  return (ctx) => [unaryOp(ctx, kind, ctx.input(0))];
}

// ---- binary arithmetic ----

function arithmetic(kind: 'add' | 'sub' | 'mul' | 'div'): Converter {
  return (ctx) => {
    const dims = shapeArithmetic(ctx, kind);
    if (dims !== undefined) return [dims];
    const [a, b] = binaryOperands(ctx);
    return [op(ctx, kind, a, b)];
  };
}

/**
 * Mod: fmod=1 is C's fmod / truncated remainder (the IR's `mod`, sign of the dividend);
 * fmod=0 (integers only) is Python's remainder, with the sign of the divisor: a nonzero
 * truncated remainder whose sign differs from the divisor's moves by one divisor.
 */
function Mod(ctx: ConvertContext): Node[] {
  const fmod = ctx.attrs.int('fmod', 0);
  if (fmod !== 0 && fmod !== 1) ctx.fail('onnxBadAttribute', `Mod fmod must be 0 or 1, got ${fmod}`);
  const [a, b] = binaryOperands(ctx);
  if (fmod === 0 && isFloat(a.dtype)) ctx.fail('onnxBadAttribute', `Mod on ${a.dtype} needs fmod=1 (fmod=0 is for integers)`);
  const dims = shapeArithmetic(ctx, 'mod');
  if (dims !== undefined) return [dims];
  const r = op(ctx, 'mod', a, b);
  if (fmod === 1 || !DTYPES[a.dtype].isSigned) return [r];
  const zero = scalarLike(ctx, 0, a);
  const signsDiffer = op(ctx, 'xor', op(ctx, 'lt', r, zero), op(ctx, 'lt', b, zero));
  const fix = op(ctx, 'and', op(ctx, 'ne', r, zero), signsDiffer);
  return [ctx.op('where', [fix, op(ctx, 'add', r, b), r], {})];
}

/** The largest magnitude of an integer dtype (bool counts as unsigned 1-bit). */
function intMagnitude(dtype: DType): number {
  const { bits, isSigned } = DTYPES[dtype];
  return dtype === 'bool' ? 1 : isSigned ? 2 ** (bits - 1) : 2 ** bits - 1;
}

/** Whether every value of dtype `from` is exactly a value of dtype `to`. */
function holdsAll(to: DType, from: DType): boolean {
  if (to === from) return true;
  const t = DTYPES[to], f = DTYPES[from];
  if (!t.isFloat) {
    if (f.isFloat) return false;
    if (t.isSigned === f.isSigned || from === 'bool') return t.bits >= f.bits;
    return t.isSigned && t.bits > f.bits;
  }
  const precision = FLOAT_PRECISION[to] ?? 0;
  if (!f.isFloat) return intMagnitude(from) <= 2 ** precision;
  return (FLOAT_PRECISION[from] ?? Infinity) <= precision && f.max <= t.max && f.min >= t.min;
}

/** Whether input `i` is a constant whose every value is exactly a value of `dtype`. */
function constantFits(ctx: ConvertContext, i: number, dtype: DType): boolean {
  const c = ctx.constant(i);
  if (c === undefined) return false;
  const values = Array.from({ length: c.data.length }, (_, k) => getNumber(c, k));
  if (!isFloat(dtype) && !values.every((v) => Number.isInteger(v))) return false;
  const stored = toNumbers(tensor(dtype, [values.length], values));
  return stored.every((v, k) => v === values[k] || (Number.isNaN(v) && Number.isNaN(values[k])));
}

/**
 * Pow: the result has the base's dtype. The exponent may have another dtype: when its values
 * are all values of the base's dtype it is cast to it; otherwise both are computed in a dtype
 * holding both (i64 for integers, f64 once a float is involved) and the result is cast back,
 * as ONNX's reference (NumPy's promotion, then a cast to the base's dtype) does.
 */
function Pow(ctx: ConvertContext): Node[] {
  const [x, y] = binaryOperands(ctx);
  if (x.dtype === y.dtype) return [op(ctx, 'pow', x, y)];
  if (holdsAll(x.dtype, y.dtype) || constantFits(ctx, 1, x.dtype)) return [op(ctx, 'pow', x, castTo(ctx, y, x.dtype))];
  const wide: DType = isFloat(x.dtype) || isFloat(y.dtype) ? 'f64' : 'i64';
  return [castTo(ctx, op(ctx, 'pow', castTo(ctx, x, wide), castTo(ctx, y, wide)), x.dtype)];
}

// ---- variadic ----

/** Max, Min, Sum: a left fold with NumPy broadcasting; one input is returned as is. */
function variadic(kind: 'max' | 'min' | 'add'): Converter {
  return (ctx) => {
    const dims = shapeArithmetic(ctx, kind);
    if (dims !== undefined) return [dims];
    const [first, ...rest] = allInputs(ctx);
    return [rest.reduce((acc, x) => op(ctx, kind, acc, x), first!)];
  };
}

function Mean(ctx: ConvertContext): Node[] {
  const inputs = allInputs(ctx);
  const sum = inputs.slice(1).reduce((acc, x) => op(ctx, 'add', acc, x), inputs[0]!);
  if (inputs.length === 1) return [sum];
  return [op(ctx, 'div', sum, scalarLike(ctx, inputs.length, sum))];
}

// ---- comparisons and logic ----

function compare(kind: 'gt' | 'ge' | 'lt' | 'le' | 'and' | 'or' | 'xor'): Converter {
  return (ctx) => {
    const [a, b] = binaryOperands(ctx);
    return [op(ctx, kind, a, b)];
  };
}

function Equal(ctx: ConvertContext): Node[] {
  const dims = ctx.opset >= 7 ? dimEquality(ctx) : undefined;
  if (dims !== undefined) return [dims];
  const [a, b] = binaryOperands(ctx);
  return [op(ctx, 'eq', a, b)];
}

function Where(ctx: ConvertContext): Node[] {
  const dims = dimSelect(ctx);
  if (dims !== undefined) return [castTo(ctx, dims, ctx.input(1).dtype)];
  return [ctx.op('where', [ctx.input(0), ctx.input(1), ctx.input(2)], {})];
}

// ---- Clip ----

/** A Clip bound given as an input: a scalar (a one-element tensor is read as one). */
function boundInput(ctx: ConvertContext, i: number): Node | undefined {
  const n = ctx.optionalInput(i);
  if (n === undefined || n.shape.length === 0) return n;
  if (!n.shape.every((d) => constValue(d) === 1)) ctx.fail('onnxBadInput', `Clip ${i === 1 ? 'min' : 'max'} must be a scalar`);
  return ctx.op('reshape', [n], { shape: [] });
}

/**
 * Clip: min(max(x, lo), hi), so a min above max gives max everywhere, as the spec says. Bounds
 * are attributes before opset 11 (defaulting to ∓ the largest f32) and optional inputs since.
 */
function Clip(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  let lo: Node | undefined, hi: Node | undefined;
  if (ctx.opset < 11) {
    lo = scalarLike(ctx, ctx.attrs.float('min', -F32_MAX), x);
    hi = scalarLike(ctx, ctx.attrs.float('max', F32_MAX), x);
  } else {
    lo = boundInput(ctx, 1);
    hi = boundInput(ctx, 2);
  }
  let y = x;
  if (lo !== undefined) y = op(ctx, 'max', y, lo);
  if (hi !== undefined) y = op(ctx, 'min', y, hi);
  return [y];
}

// ---- activations ----

/** x < 0 ? negative : x (LeakyRelu, PRelu, Elu). */
function whereNegative(ctx: ConvertContext, x: Node, negative: Node): Node {
  return ctx.op('where', [op(ctx, 'lt', x, scalarLike(ctx, 0, x)), negative, x], {});
}

function LeakyRelu(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  return [whereNegative(ctx, x, op(ctx, 'mul', x, scalarLike(ctx, ctx.attrs.float('alpha', 0.01), x)))];
}

/** PRelu: the slope broadcasts to x (unidirectionally). */
function PRelu(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  const slope = ctx.input(1);
  if (!broadcastsTo(slope.shape, x.shape)) ctx.fail('onnxBadInput', 'PRelu slope must broadcast to the shape of x');
  return [whereNegative(ctx, x, op(ctx, 'mul', x, slope))];
}

/** exp(x) - 1, as the ONNX definitions write it. */
function expMinusOne(ctx: ConvertContext, x: Node): Node {
  return op(ctx, 'sub', unaryOp(ctx, 'exp', x), scalarLike(ctx, 1, x));
}

function Elu(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  return [whereNegative(ctx, x, op(ctx, 'mul', expMinusOne(ctx, x), scalarLike(ctx, ctx.attrs.float('alpha', 1), x)))];
}

/** gamma · (x > 0 ? x : alpha·exp(x) - alpha). */
function Selu(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  const alpha = scalarLike(ctx, ctx.attrs.float('alpha', 1.67326319217681884765625), x);
  const gamma = scalarLike(ctx, ctx.attrs.float('gamma', 1.05070102214813232421875), x);
  const negative = op(ctx, 'sub', op(ctx, 'mul', unaryOp(ctx, 'exp', x), alpha), alpha);
  const positive = op(ctx, 'gt', x, scalarLike(ctx, 0, x));
  return [op(ctx, 'mul', ctx.op('where', [positive, x, negative], {}), gamma)];
}

/** max(0, x) + min(0, alpha · (exp(x / alpha) - 1)). */
function Celu(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  const alpha = scalarLike(ctx, ctx.attrs.float('alpha', 1), x);
  const zero = scalarLike(ctx, 0, x);
  const negative = op(ctx, 'mul', alpha, expMinusOne(ctx, op(ctx, 'div', x, alpha)));
  return [op(ctx, 'add', op(ctx, 'max', zero, x), op(ctx, 'min', zero, negative))];
}

/** max(0, min(1, alpha · x + beta)). */
function hardSigmoid(ctx: ConvertContext, x: Node, alpha: number, beta: number): Node {
  const line = op(ctx, 'add', op(ctx, 'mul', x, scalarLike(ctx, alpha, x)), scalarLike(ctx, beta, x));
  return op(ctx, 'max', scalarLike(ctx, 0, x), op(ctx, 'min', scalarLike(ctx, 1, x), line));
}

function HardSigmoid(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  return [hardSigmoid(ctx, x, ctx.attrs.float('alpha', 0.2), ctx.attrs.float('beta', 0.5))];
}

/** x · HardSigmoid(x) with alpha 1/6 (as an f32, like ONNX's function body) and beta 0.5. */
function HardSwish(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  return [op(ctx, 'mul', x, hardSigmoid(ctx, x, Math.fround(1 / 6), 0.5))];
}

/** ln(exp(x) + 1), computed as relu(x) + ln(1 + exp(-|x|)) so large x does not overflow. */
function Softplus(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  const tail = op(ctx, 'add', scalarLike(ctx, 1, x), unaryOp(ctx, 'exp', unaryOp(ctx, 'neg', unaryOp(ctx, 'abs', x))));
  return [op(ctx, 'add', unaryOp(ctx, 'relu', x), unaryOp(ctx, 'log', tail))];
}

/** x / (1 + |x|). */
function Softsign(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  return [op(ctx, 'div', x, op(ctx, 'add', scalarLike(ctx, 1, x), unaryOp(ctx, 'abs', x)))];
}

/** x > alpha ? x : 0. */
function ThresholdedRelu(ctx: ConvertContext): Node[] {
  const x = ctx.input(0);
  requireFloat(ctx, x);
  const above = op(ctx, 'gt', x, scalarLike(ctx, ctx.attrs.float('alpha', 1), x));
  return [ctx.op('where', [above, x, scalarLike(ctx, 0, x)], {})];
}

function Gelu(ctx: ConvertContext): Node[] {
  const approximate = ctx.attrs.string('approximate', 'none');
  if (approximate !== 'none' && approximate !== 'tanh') ctx.fail('onnxUnsupportedFeature', `Gelu approximate '${approximate}' is not supported (only 'none' and 'tanh')`);
  return [ctx.op('gelu', [ctx.input(0)], { approximate })];
}

// ---- matmul ----

function MatMul(ctx: ConvertContext): Node[] {
  return [ctx.op('matmul', [ctx.input(0), ctx.input(1)], {})];
}

/**
 * Gemm: alpha · A' · B' + beta · C, with A' = transA ? Aᵀ : A (likewise B'). C is optional
 * since opset 11 and broadcasts to [M, N] (unidirectionally; before opset 7 only with
 * broadcast=1). beta = 0 drops C, as ONNX's reference does. Integer operands with a
 * fractional alpha or beta are scaled in f64 and cast back (NumPy's promotion).
 */
function Gemm(ctx: ConvertContext): Node[] {
  let a = ctx.input(0), b = ctx.input(1);
  const c = ctx.opset >= 11 ? ctx.optionalInput(2) : ctx.input(2);
  if (a.shape.length !== 2 || b.shape.length !== 2) ctx.fail('onnxBadInput', `Gemm needs rank-2 A and B, got rank ${a.shape.length} and ${b.shape.length}`);
  if (ctx.attrs.int('transA', 0) !== 0) a = ctx.op('transpose', [a], { perm: [1, 0] });
  if (ctx.attrs.int('transB', 0) !== 0) b = ctx.op('transpose', [b], { perm: [1, 0] });
  const alpha = ctx.attrs.float('alpha', 1), beta = ctx.attrs.float('beta', 1);
  const dtype = a.dtype;
  const product = ctx.op('matmul', [a, b], {});
  const outShape = product.shape;
  const useC = c !== undefined && beta !== 0;
  if (useC) {
    const ok = ctx.opset < 7 && ctx.attrs.int('broadcast', 0) === 0 ? sameShape(c.shape, outShape) : broadcastsTo(c.shape, outShape);
    if (!ok) ctx.fail('onnxBadInput', `Gemm C of shape ${printShape(c.shape)} does not broadcast to ${printShape(outShape)}`);
  }
  const work: DType = !isFloat(dtype) && !(Number.isInteger(alpha) && Number.isInteger(beta)) ? 'f64' : dtype;
  let y = castTo(ctx, product, work);
  if (alpha !== 1) y = op(ctx, 'mul', y, ctx.scalar(alpha, work));
  if (useC) {
    const cw = castTo(ctx, c, work);
    y = op(ctx, 'add', y, beta === 1 ? cw : op(ctx, 'mul', cw, ctx.scalar(beta, work)));
  }
  return [castTo(ctx, y, dtype)];
}

export const ELEMENTWISE_CONVERTERS: ConverterTable = {
  Abs: unary('abs'),
  Neg: unary('neg'),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Reciprocal: unary('reciprocal'),
  Erf: { convert: unary('erf'), minOpset: 9 },
  Tanh: unary('tanh'),
  Sigmoid: unary('sigmoid'),
  Relu: unary('relu'),
  Sign: { convert: unary('sign'), minOpset: 9 },
  Floor: unary('floor'),
  Ceil: unary('ceil'),
  Round: { convert: unary('round'), minOpset: 11 },
  Sin: { convert: unary('sin'), minOpset: 7 },
  Cos: { convert: unary('cos'), minOpset: 7 },
  Not: unary('not'),

  Add: arithmetic('add'),
  Sub: arithmetic('sub'),
  Mul: arithmetic('mul'),
  Div: arithmetic('div'),
  Pow: Pow,
  Mod: { convert: Mod, minOpset: 10 },
  Max: variadic('max'),
  Min: variadic('min'),
  Sum: variadic('add'),
  Mean,

  Equal,
  Greater: compare('gt'),
  GreaterOrEqual: { convert: compare('ge'), minOpset: 12 },
  Less: compare('lt'),
  LessOrEqual: { convert: compare('le'), minOpset: 12 },
  And: compare('and'),
  Or: compare('or'),
  Xor: compare('xor'),
  Where: { convert: Where, minOpset: 9 },

  Clip,
  LeakyRelu,
  PRelu,
  Elu,
  Selu,
  Celu: { convert: Celu, minOpset: 12 },
  HardSigmoid,
  HardSwish: { convert: HardSwish, minOpset: 14 },
  Softplus,
  Softsign,
  ThresholdedRelu: { convert: ThresholdedRelu, minOpset: 10 },
  Gelu: { convert: Gelu, minOpset: 20 },

  MatMul,
  Gemm,
};
