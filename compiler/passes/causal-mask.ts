// Proves that a mask is the causal triangle aligned to the last query row (key j visible to
// query i exactly when j <= i + Skv - Sq), so fuse-attention can drop it for `causal: true`.
//
// Each mask node is read as a function of its own element indices: an integer-valued affine
// form Σ c_a·idx_a + offset (iota, dims, integer constants, index ranges folded to constants,
// and +, -, ×const, views of them), a predicate "affine ≤ 0" (comparisons of affine forms, not,
// a constant or weight holding a triangle, slices of it), or an additive float mask (0 where a
// predicate holds, a large negative value elsewhere). Anything else is not understood, and the
// mask stays an operand.

import { addDim, constDim, constValue, dimEquals, isConst, mulDim, negDim, subDim, type Dim } from '../ir/dim.js';
import { DTYPES } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import { getNumber, type Tensor } from '../interpret/tensor.js';

/**
 * A masked score at or below this is treated as -inf: exp(score - max) is exactly 0 in f32 for
 * any realistic score (covers -inf, f32/f16 lowest, and the -10000 of older BERT code).
 */
export const LARGE_NEGATIVE = -1e4;

/** affine: the value itself; predicate: true where the form ≤ 0; additive: 0 there, masked elsewhere. */
export interface IndexForm {
  readonly kind: 'affine' | 'predicate' | 'additive';
  /** One coefficient per axis of the node. */
  readonly coeffs: readonly number[];
  readonly offset: Dim;
  /**
   * Read through a slice whose bounds are known only at run time: the graph refuses sizes
   * that slice past its tensor (a range condition), which a bare causal flag would not.
   */
  readonly bounded?: boolean;
}

export interface MaskContext {
  /** The value of a param the model carries (ONNX initializers), else undefined. */
  readonly weightOf: (param: Node) => Tensor | undefined;
}

/** True exactly where `form` (of a node with `shape`) is not; integer forms make < into ≤. */
function negate(form: IndexForm): IndexForm {
  // ¬(L ≤ 0) ⇔ L ≥ 1 ⇔ -L + 1 ≤ 0
  return { kind: 'predicate', coeffs: form.coeffs.map((c) => -c), offset: addDim(negDim(form.offset), 1) };
}

/** The form seen through broadcasting to `toShape` (right-aligned; a const-1 axis reads index 0). */
function broadcastForm(form: IndexForm, fromShape: readonly Dim[], toShape: readonly Dim[]): IndexForm | undefined {
  if (fromShape.length > toShape.length) return undefined;
  const lead = toShape.length - fromShape.length;
  const coeffs = toShape.map((_, a) => (a < lead || isConst(fromShape[a - lead]!, 1) ? 0 : form.coeffs[a - lead]!));
  return { ...form, coeffs };
}

/** The value of a node all of whose elements are equal (a splat constant or weight, or an expand of one). */
export function splatOf(n: Node, ctx: MaskContext): number | undefined {
  if (n.op === 'expand') return splatOf(n.src[0]!, ctx);
  const t = n.op === 'constant' ? n.attrs.value : n.op === 'param' ? ctx.weightOf(n) : undefined;
  if (!t || t.data.length === 0) return undefined;
  const first = getNumber(t, 0);
  for (let i = 1; i < t.data.length; i++) if (getNumber(t, i) !== first) return undefined;
  return first;
}

/** Whether a masked-out value may stand for -inf. */
export function isMaskedValue(v: number | undefined): boolean {
  return v !== undefined && v <= LARGE_NEGATIVE;
}

/**
 * A tensor whose last two axes hold a triangle (leading axes of size 1): attended where
 * col - row ≤ d for one d, read as a predicate (bool) or additive mask (float: 0 and masked values).
 */
function triangleOf(t: Tensor): IndexForm | undefined {
  const rank = t.shape.length;
  if (rank < 2 || t.shape.slice(0, -2).some((d) => d !== 1)) return undefined;
  const rows = t.shape[rank - 2]!;
  const cols = t.shape[rank - 1]!;
  const isBool = t.dtype === 'bool';
  if (!isBool && !DTYPES[t.dtype].isFloat) return undefined;
  const attended = (i: number): boolean | undefined => {
    const v = getNumber(t, i);
    if (isBool) return v !== 0;
    if (v === 0) return true;
    return isMaskedValue(v) ? false : undefined;
  };
  // Each row must attend a prefix; its length fixes d.
  const lengths: number[] = [];
  for (let r = 0; r < rows; r++) {
    let len = 0;
    while (len < cols && attended(r * cols + len) === true) len++;
    for (let c = len; c < cols; c++) if (attended(r * cols + c) !== false) return undefined;
    lengths.push(len);
  }
  const probe = lengths.findIndex((len) => len > 0 && len < cols);
  if (probe < 0) return undefined;
  const d = lengths[probe]! - 1 - probe;
  if (!lengths.every((len, r) => len === Math.min(cols, Math.max(0, r + d + 1)))) return undefined;
  const coeffs = t.shape.map((_, a) => (a === rank - 2 ? -1 : a === rank - 1 ? 1 : 0));
  return { kind: isBool ? 'predicate' : 'additive', coeffs, offset: constDim(-d) };
}

function scalarForm(v: number, rank: number): IndexForm | undefined {
  return Number.isSafeInteger(v) ? { kind: 'affine', coeffs: new Array<number>(rank).fill(0), offset: constDim(v) } : undefined;
}

/** Integers up to this magnitude stay exact in f32 arithmetic on the values. */
const EXACT_INTEGER_LIMIT = 2 ** 24;

/**
 * A non-bool tensor whose elements are an integer affine function of their indices: the index
 * ranges (iota, Range, their unsqueezes and differences) that fold-constants turns into
 * constants while the S×S mask built from them is too large to fold.
 */
function affineTensorOf(t: Tensor): IndexForm | undefined {
  if (t.dtype === 'bool' || t.data.length === 0) return undefined;
  const rank = t.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1]! * t.shape[a + 1]!;
  const origin = getNumber(t, 0);
  if (!Number.isSafeInteger(origin)) return undefined;
  const coeffs = t.shape.map((d, a) => (d > 1 ? getNumber(t, strides[a]!) - origin : 0));
  if (!coeffs.every(Number.isSafeInteger)) return undefined;
  // Walk the elements in order, tracking the expected value incrementally (no per-element divisions).
  const index = new Array<number>(rank).fill(0);
  let expected = origin;
  for (let i = 0; i < t.data.length; i++) {
    if (getNumber(t, i) !== expected || Math.abs(expected) > EXACT_INTEGER_LIMIT) return undefined;
    for (let a = rank - 1; a >= 0; a--) {
      if (++index[a]! < t.shape[a]!) {
        expected += coeffs[a]!;
        break;
      }
      expected -= coeffs[a]! * (t.shape[a]! - 1);
      index[a] = 0;
    }
  }
  return { kind: 'affine', coeffs, offset: constDim(origin) };
}

function tensorForm(n: Node, t: Tensor): IndexForm | undefined {
  if (t.data.length === 1 && t.dtype !== 'bool') return scalarForm(getNumber(t, 0), n.shape.length);
  return triangleOf(t) ?? affineTensorOf(t);
}

/** Both operands of a binary op as affine forms over the result's axes. */
function affineOperands(n: Node, ctx: MaskContext, memo: Map<Node, IndexForm | undefined>): [IndexForm, IndexForm] | undefined {
  const forms = n.src.map((s) => {
    const f = analyze(s, ctx, memo);
    return f && f.kind === 'affine' ? broadcastForm(f, s.shape, n.shape) : undefined;
  });
  return forms[0] && forms[1] ? [forms[0], forms[1]] : undefined;
}

/** a - b + k ≤ 0 as a predicate. */
function lessOrEqual(a: IndexForm, b: IndexForm, k: number): IndexForm {
  return { kind: 'predicate', coeffs: a.coeffs.map((c, i) => c - b.coeffs[i]!), offset: addDim(subDim(a.offset, b.offset), k) };
}

function analyzeNode(n: Node, ctx: MaskContext, memo: Map<Node, IndexForm | undefined>): IndexForm | undefined {
  const rank = n.shape.length;
  const sub = (i: number): IndexForm | undefined => analyze(n.src[i]!, ctx, memo);
  switch (n.op) {
    case 'constant':
      return tensorForm(n, n.attrs.value);
    case 'param': {
      const w = ctx.weightOf(n);
      return w ? tensorForm(n, w) : undefined;
    }
    case 'iota':
      return { kind: 'affine', coeffs: [1], offset: constDim(0) };
    case 'dim_values':
      return n.attrs.values.length === 1 ? { kind: 'affine', coeffs: new Array<number>(rank).fill(0), offset: n.attrs.values[0]! } : undefined;
    case 'cast': {
      const f = sub(0);
      if (!f) return undefined;
      // Integer values convert exactly (they are small); a predicate stays one only as bool.
      if (f.kind === 'affine') return f;
      return n.attrs.to === 'bool' && f.kind === 'predicate' ? f : undefined;
    }
    case 'unsqueeze': {
      const f = sub(0);
      if (!f) return undefined;
      const src = [...f.coeffs];
      return { ...f, coeffs: n.shape.map((_, a) => (n.attrs.axes.includes(a) ? 0 : src.shift()!)) };
    }
    case 'squeeze': {
      const f = sub(0);
      return f && { ...f, coeffs: f.coeffs.filter((_, a) => !n.attrs.axes.includes(a)) };
    }
    case 'reshape': {
      // Only reshapes that add or drop size-1 axes keep the index arithmetic simple.
      const f = sub(0);
      if (!f) return undefined;
      const from = n.src[0]!.shape;
      const kept = from.map((d, a) => [d, f.coeffs[a]!] as const).filter(([d]) => !isConst(d, 1));
      const to = n.shape.map((d, a) => [d, a] as const).filter(([d]) => !isConst(d, 1));
      if (kept.length !== to.length || !kept.every(([d], i) => dimEquals(d, to[i]![0]))) return undefined;
      const coeffs = new Array<number>(rank).fill(0);
      to.forEach(([, a], i) => (coeffs[a] = kept[i]![1]));
      return { ...f, coeffs };
    }
    case 'expand': {
      const f = sub(0);
      return f && broadcastForm(f, n.src[0]!.shape, n.shape);
    }
    case 'transpose': {
      const f = sub(0);
      return f && { ...f, coeffs: n.attrs.perm.map((p) => f.coeffs[p]!) };
    }
    case 'slice': {
      // Output index o reads input index start + step·o on each sliced axis.
      const f = sub(0);
      if (!f) return undefined;
      const coeffs = [...f.coeffs];
      let offset = f.offset;
      n.attrs.axes.forEach((a, i) => {
        offset = addDim(offset, mulDim(n.attrs.starts[i]!, coeffs[a]!));
        coeffs[a] = coeffs[a]! * n.attrs.steps[i]!;
      });
      return { ...f, coeffs, offset };
    }
    case 'add':
    case 'sub': {
      const ops = affineOperands(n, ctx, memo);
      if (!ops) return undefined;
      const [a, b] = ops;
      const sign = n.op === 'add' ? 1 : -1;
      return { kind: 'affine', coeffs: a.coeffs.map((c, i) => c + sign * b.coeffs[i]!), offset: n.op === 'add' ? addDim(a.offset, b.offset) : subDim(a.offset, b.offset) };
    }
    case 'mul': {
      const ops = affineOperands(n, ctx, memo);
      if (!ops) return undefined;
      const [a, b] = ops;
      const constant = (f: IndexForm): number | undefined => (f.coeffs.every((c) => c === 0) ? constValue(f.offset) : undefined);
      const k = constant(b) ?? constant(a);
      const other = constant(b) !== undefined ? a : b;
      return k === undefined ? undefined : { kind: 'affine', coeffs: other.coeffs.map((c) => c * k), offset: mulDim(other.offset, k) };
    }
    case 'le':
    case 'lt':
    case 'ge':
    case 'gt': {
      const ops = affineOperands(n, ctx, memo);
      if (!ops) return undefined;
      const [a, b] = ops;
      if (n.op === 'le') return lessOrEqual(a, b, 0);
      if (n.op === 'lt') return lessOrEqual(a, b, 1);
      if (n.op === 'ge') return lessOrEqual(b, a, 0);
      return lessOrEqual(b, a, 1);
    }
    case 'not': {
      const f = sub(0);
      return f && f.kind === 'predicate' ? negate(f) : undefined;
    }
    case 'where': {
      // where(p, 0, masked) / where(p, masked, 0): an additive mask (Trilu of a -inf fill too).
      const p = sub(0);
      if (!p || p.kind !== 'predicate') return undefined;
      const cond = broadcastForm(p, n.src[0]!.shape, n.shape);
      const a = splatOf(n.src[1]!, ctx);
      const b = splatOf(n.src[2]!, ctx);
      if (!cond || !DTYPES[n.dtype].isFloat) return undefined;
      if (a === 0 && isMaskedValue(b)) return { ...cond, kind: 'additive' };
      if (isMaskedValue(a) && b === 0) return { ...negate(cond), kind: 'additive' };
      return undefined;
    }
    default:
      return undefined;
  }
}

function analyze(n: Node, ctx: MaskContext, memo: Map<Node, IndexForm | undefined>): IndexForm | undefined {
  if (memo.has(n)) return memo.get(n);
  memo.set(n, undefined); // graphs are acyclic; this only guards re-entry
  const f = analyzeNode(n, ctx, memo);
  const symbolicSlice = n.op === 'slice' && [...n.attrs.starts, ...n.attrs.counts].some((d) => constValue(d) === undefined);
  const bounded = symbolicSlice || n.src.some((src) => memo.get(src)?.bounded === true);
  const ok = f && f.coeffs.length === n.shape.length ? { ...f, bounded } : undefined;
  memo.set(n, ok);
  return ok;
}

/**
 * Whether `mask` (a bool mask attending where true, or a float mask added to the scores; with
 * `negated`, a bool mask attending where false) over scores of `scoreShape` is exactly the
 * causal triangle aligned to the last query row: 'exact', or 'bounded' when it is read from a
 * finite buffer through slices sized at run time (GPT-2's mask buffer), whose range condition
 * only the mask itself carries; else undefined.
 */
export function causalMaskKind(mask: Node, negated: boolean, scoreShape: readonly Dim[], ctx: MaskContext): 'exact' | 'bounded' | undefined {
  let f = analyze(mask, ctx, new Map());
  if (!f) return undefined;
  const wanted = mask.dtype === 'bool' ? 'predicate' : 'additive';
  if (f.kind !== wanted || (negated && f.kind !== 'predicate')) return undefined;
  const bounded = f.bounded === true;
  if (negated) f = negate(f);
  const aligned = broadcastForm(f, mask.shape, scoreShape);
  const rank = scoreShape.length;
  if (!aligned || rank < 2) return undefined;
  const shapeOk = aligned.coeffs.every((c, a) => c === (a === rank - 1 ? 1 : a === rank - 2 ? -1 : 0));
  // j - i + offset ≤ 0 ⇔ j ≤ i - offset; causal needs -offset = Skv - Sq.
  const causal = shapeOk && dimEquals(negDim(aligned.offset), subDim(scoreShape[rank - 1]!, scoreShape[rank - 2]!));
  if (!causal) return undefined;
  return bounded ? 'bounded' : 'exact';
}
