// The builtin functions, as a table: name → signatures → lowering. A signature lists its
// parameters (kind, default, optional); `bind-args.ts` matches and checks a call's arguments
// against it, so a lowering function only ever sees well-typed arguments and only has to
// build nodes. A name with several signatures (`max(a, b)` elementwise, `max(x, axes: [..])`
// a reduction) takes the first one the arguments fit. Axes may be negative; they are
// normalised here, before they reach the IR.

import type { MessageCode } from '../compiler/diagnostics/messages.js';
import { constValue, divDim, mulDim, type Dim } from '../compiler/ir/dim.js';
import { ALL_DTYPES, type DType } from '../compiler/ir/dtype.js';
import type { BinaryOp, Node, OpAttrs, OpKind, ReduceOp, UnaryOp } from '../compiler/ir/node.js';
import { numElements } from '../compiler/ir/types.js';
import type { BoundArgs, ParamSpec } from './bind-args.js';
import { isWholeAxis, sliceAxis } from './slicing.js';
import type { Operand } from './values.js';

/** What a builtin's lowering can do; implemented by the lowerer for one call. */
export interface BuiltinContext {
  /** Builds an op at the call's span; undefined when the builder reported a problem. */
  op<K extends OpKind>(op: K, src: readonly Node[], attrs: OpAttrs[K]): Node | undefined;
  /** Operands of one dtype: literals take the first node's dtype (f32, or bool, when there is none). */
  tensors(operands: readonly Operand[]): Node[];
  /** One operand; a literal becomes a scalar of `dtype` (default f32, or bool for true/false). */
  tensor(operand: Operand, dtype?: DType): Node;
  /** Reports a problem at the named argument's span (the call's span if it was left out). */
  report(param: string | undefined, code: MessageCode, ...args: (string | number)[]): void;
}

export type Lowering = (cx: BuiltinContext, a: BoundArgs) => Node | undefined;

export interface Signature {
  readonly params: readonly ParamSpec[];
  readonly lower: Lowering;
}

export interface Builtin {
  readonly name: string;
  readonly signatures: readonly Signature[];
}

// ---- parameter shorthands ----

const tensor = (name: string): ParamSpec => ({ name, kind: 'tensor' });
const optTensor = (name: string): ParamSpec => ({ name, kind: 'tensor', optional: true });
const int = (name: string, def?: number): ParamSpec => ({ name, kind: 'int', ...(def === undefined ? {} : { default: def }) });
const float = (name: string, def: number): ParamSpec => ({ name, kind: 'float', default: def });
const bool = (name: string, def: boolean): ParamSpec => ({ name, kind: 'bool', default: def });
const X = tensor('x');

// ---- helpers ----

function rankOf(n: Node): number {
  return n.shape.length;
}

/** A possibly negative axis made non-negative; reports SL2005 at `param` when out of range. */
function normAxis(cx: BuiltinContext, param: string, axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    cx.report(param, 'badAxis', axis, rank);
    return undefined;
  }
  return a;
}

function normAxes(cx: BuiltinContext, param: string, axes: readonly number[], rank: number): number[] | undefined {
  const out: number[] = [];
  for (const axis of axes) {
    const a = normAxis(cx, param, axis, rank);
    if (a === undefined) return undefined;
    out.push(a);
  }
  return out;
}

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

/** x.T and transpose(x): swaps the last two axes; rank ≥ 2. */
export function transposeLastTwo(cx: BuiltinContext, x: Node, what: string): Node | undefined {
  if (rankOf(x) < 2) {
    cx.report(undefined, 'badRank', what, 'at least 2', rankOf(x));
    return undefined;
  }
  return cx.op('transpose', [x], { perm: swapLastTwo(rankOf(x)) });
}

// ---- signatures ----

function unary(op: UnaryOp): Signature {
  return { params: [X], lower: (cx, a) => cx.op(op, [cx.tensor(a.tensor('x'))], {}) };
}

function binary(op: BinaryOp | 'matmul'): Signature {
  return {
    params: [tensor('a'), tensor('b')],
    lower(cx, a) {
      const [l, r] = cx.tensors([a.tensor('a'), a.tensor('b')]);
      return cx.op(op, [l!, r!], {});
    },
  };
}

function reduction(op: ReduceOp): Signature {
  return {
    params: [X, { name: 'axes', kind: 'ints', optional: true }, bool('keepdims', false)],
    lower(cx, a) {
      const x = cx.tensor(a.tensor('x'));
      const given = a.optInts('axes');
      const axes = given === undefined ? [...Array(rankOf(x)).keys()] : normAxes(cx, 'axes', given, rankOf(x));
      if (axes === undefined) return undefined;
      return cx.op(op, [x], { axes: [...axes].sort((p, q) => p - q), keepdims: a.bool('keepdims') });
    },
  };
}

function argReduction(op: 'argmax' | 'argmin'): Signature {
  return {
    params: [X, int('axis', -1), bool('keepdims', false)],
    lower(cx, a) {
      const x = cx.tensor(a.tensor('x'));
      const axis = normAxis(cx, 'axis', a.int('axis'), rankOf(x));
      return axis === undefined ? undefined : cx.op(op, [x], { axis, keepdims: a.bool('keepdims') });
    },
  };
}

function softmaxLike(op: 'softmax' | 'log_softmax'): Signature {
  return {
    params: [X, int('axis', -1)],
    lower(cx, a) {
      const x = cx.tensor(a.tensor('x'));
      const axis = normAxis(cx, 'axis', a.int('axis'), rankOf(x));
      return axis === undefined ? undefined : cx.op(op, [x], { axis });
    },
  };
}

const layernorm: Signature = {
  params: [X, optTensor('scale'), optTensor('bias'), int('axis', -1), float('eps', 1e-5)],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const scale = a.optTensor('scale');
    const bias = a.optTensor('bias');
    const axis = normAxis(cx, 'axis', a.int('axis'), rankOf(x));
    if (axis === undefined) return undefined;
    const src = [x, ...(scale ? [cx.tensor(scale, x.dtype)] : []), ...(bias ? [cx.tensor(bias, x.dtype)] : [])];
    return cx.op('layer_norm', src, { axis, eps: a.float('eps'), hasScale: scale !== undefined, hasBias: bias !== undefined });
  },
};

const rmsnorm: Signature = {
  params: [X, optTensor('scale'), int('axis', -1), float('eps', 1e-6)],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const scale = a.optTensor('scale');
    const axis = normAxis(cx, 'axis', a.int('axis'), rankOf(x));
    if (axis === undefined) return undefined;
    const src = [x, ...(scale ? [cx.tensor(scale, x.dtype)] : [])];
    return cx.op('rms_norm', src, { axis, eps: a.float('eps'), hasScale: scale !== undefined });
  },
};

const reshape: Signature = {
  params: [X, { name: 'shape', kind: 'dims' }],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const shape = a.dims('shape');
    const inferred = shape.flatMap((d, i) => (constValue(d) === -1 ? [i] : []));
    if (inferred.length > 1) {
      cx.report('shape', 'badArgumentValue', 'shape', 'can have at most one -1');
      return undefined;
    }
    if (inferred.length === 1) {
      const known = numElements(shape.filter((_, i) => i !== inferred[0]));
      if (constValue(known) === 0) {
        cx.report('shape', 'badArgumentValue', 'shape', 'cannot infer -1 next to a zero-sized dimension');
        return undefined;
      }
      shape[inferred[0]!] = divDim(numElements(x.shape), known);
    }
    return cx.op('reshape', [x], { shape });
  },
};

const transpose: Signature = {
  params: [X, { name: 'perm', kind: 'ints', optional: true }],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const given = a.optInts('perm');
    if (given === undefined) return transposeLastTwo(cx, x, 'transpose');
    const perm = normAxes(cx, 'perm', given, rankOf(x));
    return perm === undefined ? undefined : cx.op('transpose', [x], { perm });
  },
};

const slice: Signature = {
  params: [X, int('axis'), { name: 'start', kind: 'dim', optional: true }, { name: 'end', kind: 'dim', optional: true }, int('step', 1)],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const axis = normAxis(cx, 'axis', a.int('axis'), rankOf(x));
    if (axis === undefined) return undefined;
    const step = a.int('step');
    if (step === 0) {
      cx.report('step', 'zeroStep');
      return undefined;
    }
    const s = sliceAxis(x.shape[axis]!, a.optDim('start'), a.optDim('end'), step);
    if (isWholeAxis(x.shape[axis]!, s)) return x;
    return cx.op('slice', [x], { axes: [axis], starts: [s.start], steps: [s.step], counts: [s.count] });
  },
};

const concat: Signature = {
  params: [{ name: 'tensors', kind: 'tensors', variadic: true }, int('axis', 0)],
  lower(cx, a) {
    const parts = cx.tensors(a.tensors('tensors'));
    if (parts.length === 0) {
      cx.report('tensors', 'badArgumentValue', 'tensors', 'must list at least one tensor');
      return undefined;
    }
    const axis = normAxis(cx, 'axis', a.int('axis'), rankOf(parts[0]!));
    return axis === undefined ? undefined : cx.op('concat', parts, { axis });
  },
};

const gather: Signature = {
  params: [X, tensor('indices'), int('axis', 0)],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const indices = cx.tensor(a.tensor('indices'), 'i32');
    const axis = normAxis(cx, 'axis', a.int('axis'), rankOf(x));
    return axis === undefined ? undefined : cx.op('gather', [x, indices], { axis });
  },
};

const expand: Signature = {
  params: [X, { name: 'shape', kind: 'dims' }],
  lower: (cx, a) => cx.op('expand', [cx.tensor(a.tensor('x'))], { shape: a.dims('shape') }),
};

const squeeze: Signature = {
  params: [X, { name: 'axes', kind: 'ints', optional: true }],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const given = a.optInts('axes');
    const axes = given === undefined ? x.shape.flatMap((d, i) => (constValue(d) === 1 ? [i] : [])) : normAxes(cx, 'axes', given, rankOf(x));
    return axes === undefined ? undefined : cx.op('squeeze', [x], { axes: axes.sort((p, q) => p - q) });
  },
};

const unsqueeze: Signature = {
  params: [X, { name: 'axes', kind: 'ints' }],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const given = a.ints('axes');
    const axes = normAxes(cx, 'axes', given, rankOf(x) + given.length);
    return axes === undefined ? undefined : cx.op('unsqueeze', [x], { axes: axes.sort((p, q) => p - q) });
  },
};

/**
 * attention(q, k, v, cache: C, sink: n, window: W): attention over a KV cache kept between
 * calls (decoding): each call appends its new k/v rows, then attends over the first `sink`
 * and the last `window` tokens seen. Give cache, or window, or both (cache = sink + window).
 */
function kvCachePolicy(cx: BuiltinContext, a: BoundArgs): { sink: number; window: number } | undefined {
  const cache = a.has('cache') ? a.int('cache') : undefined;
  const window = a.has('window') ? a.int('window') : undefined;
  const sink = a.has('sink') ? a.int('sink') : 0;
  if (cache === undefined && window === undefined) {
    cx.report('sink', 'badArgumentValue', 'sink', 'needs a KV cache: give cache (its capacity) or window as well');
    return undefined;
  }
  if (cache !== undefined && cache < 1) return void cx.report('cache', 'badArgumentValue', 'cache', `must be at least 1 token, not ${cache}`);
  if (sink < 0) return void cx.report('sink', 'badArgumentValue', 'sink', `must be 0 or more tokens, not ${sink}`);
  if (window !== undefined && window < 1) return void cx.report('window', 'badArgumentValue', 'window', `must be at least 1 token, not ${window}`);
  if (cache !== undefined && sink >= cache) {
    return void cx.report('sink', 'badArgumentValue', 'sink', `must leave room in the cache for recent tokens: ${sink} ≥ cache ${cache}`);
  }
  if (cache !== undefined && window !== undefined && sink + window !== cache) {
    return void cx.report('window', 'badArgumentValue', 'window', `must be cache − sink = ${cache - sink}, not ${window}`);
  }
  return { sink, window: window ?? cache! - sink };
}

const attention: Signature = {
  params: [
    tensor('q'), tensor('k'), tensor('v'), optTensor('mask'), bool('causal', false), { name: 'scale', kind: 'float', optional: true },
    { name: 'cache', kind: 'int', optional: true }, { name: 'sink', kind: 'int', optional: true }, { name: 'window', kind: 'int', optional: true },
  ],
  lower(cx, a) {
    const [q, k, v] = cx.tensors([a.tensor('q'), a.tensor('k'), a.tensor('v')]);
    if (a.has('cache') || a.has('sink') || a.has('window')) {
      if (a.has('mask')) {
        cx.report('mask', 'badArgumentValue', 'mask', 'cannot be given with a KV cache: each new token attends over every token the cache keeps');
        return undefined;
      }
      const policy = kvCachePolicy(cx, a);
      if (policy === undefined) return undefined;
      return cx.op('kv_attention', [q!, k!, v!], { ...policy, scale: a.optFloat('scale'), state: 'kv' });
    }
    const maskArg = a.optTensor('mask');
    const mask = maskArg === undefined ? [] : [cx.tensor(maskArg, 'bool')];
    return cx.op('attention', [q!, k!, v!, ...mask], { causal: a.bool('causal'), scale: a.optFloat('scale'), hasMask: maskArg !== undefined });
  },
};

/** heads(x, H): [..., S, H*Dh] → [..., H, S, Dh]. */
const heads: Signature = {
  params: [X, { name: 'H', kind: 'dim' }],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const h = a.dim('H');
    const rank = rankOf(x);
    if (rank < 2) {
      cx.report('x', 'badRank', 'heads', 'at least 2', rank);
      return undefined;
    }
    const last = x.shape[rank - 1]!;
    const hc = constValue(h);
    const lc = constValue(last);
    if (hc !== undefined && hc <= 0) {
      cx.report('H', 'badArgumentValue', 'H', `must be positive, not ${hc}`);
      return undefined;
    }
    if (hc !== undefined && lc !== undefined && lc % hc !== 0) {
      cx.report('H', 'divisibility', `heads: the last dimension ${lc} is not divisible by ${hc} heads`);
      return undefined;
    }
    const split = cx.op('reshape', [x], { shape: [...x.shape.slice(0, -1), h, divDim(last, h)] });
    if (split === undefined) return undefined;
    const perm = [...Array(rank + 1).keys()];
    [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
    return cx.op('transpose', [split], { perm });
  },
};

/** merge_heads(x): [..., H, S, Dh] → [..., S, H*Dh]. */
const mergeHeads: Signature = {
  params: [X],
  lower(cx, a) {
    const x = cx.tensor(a.tensor('x'));
    const rank = rankOf(x);
    if (rank < 3) {
      cx.report('x', 'badRank', 'merge_heads', 'at least 3', rank);
      return undefined;
    }
    const perm = [...Array(rank).keys()];
    [perm[rank - 3], perm[rank - 2]] = [rank - 2, rank - 3];
    const moved = cx.op('transpose', [x], { perm });
    if (moved === undefined) return undefined;
    const [h, , dh] = x.shape.slice(-3) as [Dim, Dim, Dim];
    return cx.op('reshape', [moved], { shape: [...moved.shape.slice(0, -2), mulDim(h, dh)] });
  },
};

const where: Signature = {
  params: [tensor('cond'), tensor('a'), tensor('b')],
  lower(cx, a) {
    const cond = cx.tensor(a.tensor('cond'), 'bool');
    const [l, r] = cx.tensors([a.tensor('a'), a.tensor('b')]);
    return cx.op('where', [cond, l!, r!], {});
  },
};

const cast: Signature = {
  params: [X, { name: 'to', kind: 'string', choices: ALL_DTYPES }],
  lower: (cx, a) => cx.op('cast', [cx.tensor(a.tensor('x'))], { to: a.string('to') as DType }),
};

const gelu: Signature = {
  params: [X, { name: 'approximate', kind: 'string', choices: ['none', 'tanh'], default: 'none' }],
  lower: (cx, a) => cx.op('gelu', [cx.tensor(a.tensor('x'))], { approximate: a.string('approximate') as 'none' | 'tanh' }),
};

// ---- the table ----

const UNARY: readonly UnaryOp[] = [
  'neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'erf',
  'silu', 'sin', 'cos', 'floor', 'ceil', 'round', 'sign', 'reciprocal', 'not',
];
const BINARY: readonly BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'pow', 'mod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'xor',
];

const ENTRIES: readonly [string, readonly Signature[]][] = [
  ...UNARY.map((op): [string, Signature[]] => [op, [unary(op)]]),
  ...BINARY.map((op): [string, Signature[]] => [op, [binary(op)]]),
  ['max', [binary('max'), reduction('reduce_max')]],
  ['min', [binary('min'), reduction('reduce_min')]],
  ['sum', [reduction('reduce_sum')]],
  ['mean', [reduction('reduce_mean')]],
  ['prod', [reduction('reduce_prod')]],
  ['argmax', [argReduction('argmax')]],
  ['argmin', [argReduction('argmin')]],
  ['gelu', [gelu]],
  ['where', [where]],
  ['cast', [cast]],
  ['matmul', [binary('matmul')]],
  ['softmax', [softmaxLike('softmax')]],
  ['log_softmax', [softmaxLike('log_softmax')]],
  ['layernorm', [layernorm]],
  ['rmsnorm', [rmsnorm]],
  ['reshape', [reshape]],
  ['transpose', [transpose]],
  ['slice', [slice]],
  ['concat', [concat]],
  ['gather', [gather]],
  ['expand', [expand]],
  ['squeeze', [squeeze]],
  ['unsqueeze', [unsqueeze]],
  ['attention', [attention]],
  ['heads', [heads]],
  ['merge_heads', [mergeHeads]],
];

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map(ENTRIES.map(([name, signatures]) => [name, { name, signatures }]));

