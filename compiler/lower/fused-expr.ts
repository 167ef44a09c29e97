// The value of a fused group's node at an index, as Kernel IR. A group's elementwise ops,
// views, gathers, concats and pads are not kernels of their own: every kernel that reads them
// asks for `emitValue(ctx, node, index)`, which recurses through the group down to the
// materialised values it loads (or to the group's anchor: a reduction, norm or matmul whose
// value the kernel computed itself).
//
// Vector mode (`lanes` 4) computes four consecutive elements along the loop variable
// `vectorVar`: a leaf whose flat index moves by 1 with that variable is a vector load, one that
// does not move is a splatted scalar load. Anything else (a transposed read, a gather, a
// concat, integer math) throws NotVectorizable and the caller falls back to scalar code.

import type { DType } from '../ir/dtype.js';
import { constValue, type Dim } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import {
  add, binary, cast, constant, div, eq, ge, i32, lt, max, min, mul, or, rem, select, splat, sub, unary, and,
  type KernelBuilder, load, fma,
} from '../kernel/builder.js';
import { computeTypeOf, type Expr, type KType, type ScalarType, type VectorType } from '../kernel/ir.js';
import { dimExpr, type UniformDims } from './uniforms.js';
import { broadcastIndex, clampIndex, isView, multi, toFlat, toMulti, viewSourceIndex, type Index } from './view.js';
import { LoweringError } from './errors.js';
import type { ErrorSites } from './error-sites.js';

export class NotVectorizable extends Error {}

export interface FusedContext {
  readonly kb: KernelBuilder;
  readonly uniforms: UniformDims;
  /** Where a node is read from memory (a materialised value), or undefined when it is computed here. */
  leaf(node: Node): { readonly value: string; readonly dtype: DType } | undefined;
  /** The group's anchor and its value at an index of the anchor's shape. */
  readonly anchor?: { readonly node: Node; value(index: Index, lanes: number): Expr };
  readonly lanes: 1 | 4;
  readonly vectorVar?: string;
  /** Memo of values already computed at an index, so shared subtrees are computed once. */
  readonly memo?: Map<string, Expr>;
  /** Where bad data (a gather index out of range) is reported; without it the kernel only clamps. */
  readonly errors?: ErrorSites;
}

/** One-element constants are written into the code instead of being loaded. */
export function isInlineConstant(node: Node): boolean {
  return node.op === 'constant' && node.attrs.value.data.length === 1 && computeTypeOf(node.dtype) !== undefined;
}

/** The type a node's values have inside a kernel. */
export function computeType(node: Node): ScalarType {
  const t = computeTypeOf(node.dtype);
  if (!t) throw new LoweringError(node.op, ` (dtype ${node.dtype} cannot live in a kernel buffer)`);
  return t;
}

function typed(ctx: FusedContext, t: ScalarType): KType {
  return ctx.lanes === 1 ? t : (`${t}x${ctx.lanes}` as VectorType);
}

/** A literal of scalar type `t` (splatted in vector mode). */
export function literal(ctx: FusedContext, t: ScalarType, v: number | boolean): Expr {
  const c = constant(t, t === 'bool' ? Boolean(v) : Number(v));
  return ctx.lanes === 1 ? c : splat(c, ctx.lanes);
}

function indexKey(index: Index): string {
  return JSON.stringify(index);
}

/** The value of `node` at `index` (an index of node.shape). */
export function emitValue(ctx: FusedContext, node: Node, index: Index): Expr {
  if (ctx.anchor && node === ctx.anchor.node) return ctx.anchor.value(index, ctx.lanes);
  const key = `${node.id}@${indexKey(index)}`;
  const hit = ctx.memo?.get(key);
  if (hit) return hit;
  let value = emitUncached(ctx, node, index);
  // Bind computed values to a local, so a shared subtree costs one evaluation.
  const literalValue = value.kind === 'const' || (value.kind === 'splat' && value.a.kind === 'const');
  if (ctx.memo && value.kind !== 'var' && !literalValue) {
    value = ctx.kb.let(`t_${node.op}`, value);
  }
  ctx.memo?.set(key, value);
  return value;
}

function emitUncached(ctx: FusedContext, node: Node, index: Index): Expr {
  const { kb, uniforms } = ctx;
  if (isInlineConstant(node) && node.op === 'constant') {
    const t = computeType(node);
    const v = node.attrs.value.data[0]!;
    return literal(ctx, t, typeof v === 'bigint' ? Number(v) : v);
  }
  const leaf = ctx.leaf(node);
  if (leaf) return emitLoad(ctx, node, leaf, index);
  if (isView(node)) return emitValue(ctx, node.src[0]!, viewSourceIndex(node, index, kb, uniforms));
  if (ctx.lanes !== 1 && computeType(node) !== 'f32' && computeType(node) !== 'bool') throw new NotVectorizable(node.op);
  const operand = (k: number): Expr => {
    const s = node.src[k]!;
    return emitValue(ctx, s, broadcastIndex(index, s.shape, node.shape, kb, uniforms));
  };
  const t = computeType(node);
  const lit = (v: number): Expr => literal(ctx, t, v);
  switch (node.op) {
    case 'neg': case 'abs': case 'exp': case 'log': case 'sqrt': case 'rsqrt': case 'tanh': case 'erf':
    case 'sin': case 'cos': case 'floor': case 'ceil': case 'round': case 'sign': case 'not':
      return unary(node.op, operand(0));
    case 'relu': {
      const x = operand(0);
      return select(lt(x, lit(0)), lit(0), x);
    }
    case 'sigmoid':
      return sigmoid(operand(0), lit);
    case 'silu': {
      const x = operand(0);
      return mul(x, sigmoid(x, lit));
    }
    case 'reciprocal':
      return div(lit(1), operand(0));
    case 'gelu': {
      const x = operand(0);
      if (node.attrs.approximate === 'tanh') {
        // x · sigmoid(2u), u = √(2/π)(x + 0.044715x³): the interpreter's cancellation-free form.
        const u = mul(lit(Math.sqrt(2 / Math.PI)), fma(mul(lit(0.044715), mul(x, x)), x, x));
        return mul(x, sigmoid(mul(lit(2), u), lit));
      }
      return mul(mul(lit(0.5), x), add(lit(1), unary('erf', mul(x, lit(Math.SQRT1_2)))));
    }
    case 'add': case 'sub': case 'mul': case 'div': case 'pow': case 'max': case 'min':
    case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': case 'and': case 'or': case 'xor':
      return binary(node.op, operand(0), operand(1));
    case 'mod':
      return binary('rem', operand(0), operand(1));
    case 'where':
      return select(operand(0), operand(1), operand(2));
    case 'cast': {
      const x = operand(0);
      if (ctx.lanes !== 1 && x.type !== typed(ctx, t)) throw new NotVectorizable('cast');
      return cast(x, typed(ctx, t));
    }
    case 'gather':
      return emitGather(ctx, node as Extract<Node, { op: 'gather' }>, index);
    case 'concat':
      return emitConcat(ctx, node as Extract<Node, { op: 'concat' }>, index);
    case 'pad':
      return emitPad(ctx, node as Extract<Node, { op: 'pad' }>, index);
    case 'iota': {
      if (ctx.lanes !== 1) throw new NotVectorizable('iota');
      return cast(toMulti(index, node.shape, kb, uniforms)[0]!, t);
    }
    case 'dim_values': {
      if (ctx.lanes !== 1) throw new NotVectorizable('dim_values');
      const values = node.attrs.values.map((d) => cast(dimExpr(d, kb, uniforms), t));
      if (node.attrs.scalar || values.length === 1) return values[0]!;
      const k = toMulti(index, node.shape, kb, uniforms)[0]!;
      let v = values[values.length - 1]!;
      for (let i = values.length - 2; i >= 0; i--) v = select(eq(k, i32(i)), values[i]!, v);
      return v;
    }
    default:
      throw new LoweringError(node.op);
  }
}

function sigmoid(x: Expr, lit: (v: number) => Expr): Expr {
  // 1/(1+e^-x): e^-x overflows to inf for very negative x, giving 0 as it should.
  return div(lit(1), add(lit(1), unary('exp', unary('neg', x))));
}

/** ∂(flat index)/∂(vector variable) when it is a constant, else undefined. */
export function strideAlong(e: Expr, v: string): number | undefined {
  switch (e.kind) {
    case 'const': return 0;
    case 'var': return e.name === v ? 1 : 0;
    case 'binary': {
      const a = strideAlong(e.a, v), b = strideAlong(e.b, v);
      if (a === undefined || b === undefined) return undefined;
      if (e.op === 'add') return a + b;
      if (e.op === 'sub') return a - b;
      if (a === 0 && b === 0) return 0;
      if (e.op === 'mul') {
        if (a === 0 && e.a.kind === 'const') return Number(e.a.value) * b;
        if (b === 0 && e.b.kind === 'const') return Number(e.b.value) * a;
      }
      return undefined;
    }
    default:
      return mentions(e, v) ? undefined : 0;
  }
}

function mentions(e: Expr, v: string): boolean {
  switch (e.kind) {
    case 'const': return false;
    case 'var': return e.name === v;
    case 'unary': case 'cast': case 'splat': case 'lane': case 'reduce_lanes': case 'warp_reduce': case 'subgroup_reduce': return mentions(e.a, v);
    case 'subgroup_size': return false;
    case 'binary': return mentions(e.a, v) || mentions(e.b, v);
    case 'vector': return e.parts.some((p) => mentions(p, v));
    case 'fma': return mentions(e.a, v) || mentions(e.b, v) || mentions(e.c, v);
    case 'select': return mentions(e.cond, v) || mentions(e.a, v) || mentions(e.b, v);
    case 'load': return mentions(e.index, v);
    case 'array_load': return mentions(e.index, v);
  }
}

function emitLoad(ctx: FusedContext, node: Node, leaf: { value: string; dtype: DType }, index: Index): Expr {
  if (!computeTypeOf(leaf.dtype)) {
    const what = node.op === 'input' || node.op === 'param' ? `${node.op} '${node.attrs.name}'` : `the ${node.op} value read here`;
    throw new LoweringError(node.op, ` (${what} is ${leaf.dtype}; sub-byte and fp8 dtypes cannot live in a kernel buffer)`);
  }
  const buffer = ctx.kb.buffer(leaf.value, leaf.dtype, 'read');
  const f = toFlat(index, node.shape, ctx.kb, ctx.uniforms);
  if (ctx.lanes === 1) return load(buffer, f);
  if (leaf.dtype !== 'f32') throw new NotVectorizable(`load of ${leaf.dtype}`);
  const stride = strideAlong(f, ctx.vectorVar!);
  if (stride === 0) return splat(load(buffer, f), ctx.lanes);
  if (stride === 1) return load(buffer, f, ctx.lanes);
  throw new NotVectorizable('strided load');
}

function emitGather(ctx: FusedContext, node: Extract<Node, { op: 'gather' }>, index: Index): Expr {
  if (ctx.lanes !== 1) throw new NotVectorizable('gather');
  const { kb, uniforms } = ctx;
  const [data, indices] = node.src as [Node, Node];
  const axis = node.attrs.axis;
  const idx = toMulti(index, node.shape, kb, uniforms);
  const rankI = indices.shape.length;
  const given = emitValue(ctx, indices, multi(idx.slice(axis, axis + rankI)));
  const raw = cast(given, 'i32');
  const extent = dimExpr(data.shape[axis]!, kb, uniforms);
  if (ctx.errors) {
    // Checked in the index's own type, so an i64 index past the i32 range is caught too.
    const wide = given.type === 'i64' ? (e: Expr) => cast(e, 'i64') : (e: Expr) => e;
    const bad = or(lt(given, wide(sub(i32(0), extent))), ge(given, wide(extent)));
    ctx.errors.check(kb, node, bad, [given], 'gatherIndexOutOfRange', [{ value: 0 }, axis, { dim: data.shape[axis]! }]);
  }
  // Clamped all the same: a kernel never reads outside a buffer, whatever the data.
  const k = clampIndex(select(lt(raw, i32(0)), add(raw, extent), raw), extent);
  return emitValue(ctx, data, multi([...idx.slice(0, axis), k, ...idx.slice(axis + rankI)]));
}

/** Runs `body` in its own memo scope: values computed inside an `if` are not visible after it. */
function scoped(ctx: FusedContext, body: (inner: FusedContext) => void): void {
  body(ctx.memo ? { ...ctx, memo: new Map(ctx.memo) } : ctx);
}

function emitConcat(ctx: FusedContext, node: Extract<Node, { op: 'concat' }>, index: Index): Expr {
  if (ctx.lanes !== 1) throw new NotVectorizable('concat');
  const { kb, uniforms } = ctx;
  const axis = node.attrs.axis;
  const idx = toMulti(index, node.shape, kb, uniforms);
  const t = computeType(node);
  const result = kb.let('cat', literal(ctx, t, 0));
  let offset: Expr = i32(0);
  const branch = (k: number): void => {
    const s = node.src[k]!;
    const at = [...idx];
    at[axis] = sub(idx[axis]!, offset);
    offset = add(offset, dimExpr(s.shape[axis]!, kb, uniforms));
    if (k === node.src.length - 1) {
      scoped(ctx, (inner) => kb.set(result, emitValue(inner, s, multi(at))));
      return;
    }
    kb.when(
      lt(idx[axis]!, offset),
      () => scoped(ctx, (inner) => kb.set(result, emitValue(inner, s, multi(at)))),
      () => branch(k + 1),
    );
  };
  branch(0);
  return result;
}

function dimNumber(d: Dim): number | undefined {
  return constValue(d);
}

function emitPad(ctx: FusedContext, node: Extract<Node, { op: 'pad' }>, index: Index): Expr {
  if (ctx.lanes !== 1) throw new NotVectorizable('pad');
  const { kb, uniforms } = ctx;
  const x = node.src[0]!;
  const rank = x.shape.length;
  const idx = toMulti(index, node.shape, kb, uniforms);
  const src: Expr[] = [];
  let inside: Expr | undefined;
  for (let a = 0; a < rank; a++) {
    const pb = node.attrs.pads[a]!, pe = node.attrs.pads[rank + a]!;
    const nb = dimNumber(pb), ne = dimNumber(pe);
    // Negative pads (constants only) crop that side first.
    const cropBegin = nb !== undefined && nb < 0 ? -nb : 0;
    const cropEnd = ne !== undefined && ne < 0 ? -ne : 0;
    const before = nb !== undefined ? i32(Math.max(0, nb)) : dimExpr(pb, kb, uniforms);
    const size = dimExpr(x.shape[a]!, kb, uniforms);
    const kept = sub(size, i32(cropBegin + cropEnd));
    const j = sub(idx[a]!, before);
    let k: Expr;
    switch (node.attrs.mode) {
      case 'constant': {
        const ok = and(ge(j, i32(0)), lt(j, kept));
        inside = inside ? and(inside, ok) : ok;
        k = clampIndex(j, kept);
        break;
      }
      case 'edge':
        k = clampIndex(j, kept);
        break;
      case 'wrap':
        k = rem(add(rem(j, kept), kept), kept);
        break;
      case 'reflect': {
        const period = max(mul(i32(2), sub(kept, i32(1))), i32(1));
        const r = rem(add(rem(j, period), period), period);
        k = select(lt(r, kept), r, sub(period, r));
        k = select(eq(kept, i32(1)), i32(0), k);
        break;
      }
    }
    src.push(add(k, i32(cropBegin)));
  }
  const value = (inner: FusedContext): Expr => emitValue(inner, x, multi(src));
  if (node.attrs.mode !== 'constant' || !inside) return value(ctx);
  const t = computeType(node);
  const fill = node.attrs.hasValue ? emitValue(ctx, node.src[1]!, multi([])) : literal(ctx, t, 0);
  const result = kb.let('padded', fill);
  kb.when(inside, () => scoped(ctx, (inner) => kb.set(result, value(inner))));
  return result;
}
