// Elementwise ops: unary math, binary math and comparisons with NumPy broadcasting, where,
// cast. Operands of a binary op must have the same dtype (no implicit promotion: the DSL
// gives literals the other operand's dtype, and importers insert casts).

import { DTYPES, type DType } from '../dtype.js';
import type { BinaryOp, UnaryOp } from '../node.js';
import { broadcastShapes, fail, type TensorType } from '../types.js';
import type { OpInfo, OpTable } from './op-info.js';
import { binary, cast, unary, where } from '../../interpret/kernels/elementwise.js';

type Domain = 'float' | 'numeric' | 'bool' | 'any';

function accepts(domain: Domain, dtype: DType): boolean {
  switch (domain) {
    case 'float': return DTYPES[dtype].isFloat;
    case 'numeric': return dtype !== 'bool';
    case 'bool': return dtype === 'bool';
    case 'any': return true;
  }
}

const DOMAIN_TEXT: Record<Domain, string> = {
  float: 'a floating-point tensor',
  numeric: 'a numeric tensor',
  bool: 'a bool tensor',
  any: 'a tensor',
};

function checkDomain(op: string, domain: Domain, t: TensorType): void {
  if (!accepts(domain, t.dtype)) fail('dtypeMismatch', `${op} needs ${DOMAIN_TEXT[domain]}, got ${t.dtype}`);
}

function unaryOp(op: UnaryOp, domain: Domain): OpInfo<UnaryOp> {
  return {
    category: 'elementwise',
    arity: [1, 1],
    infer([x]) {
      checkDomain(op, domain, x!);
      return x!;
    },
    evaluate: ([x], _attrs, ctx) => unary(op, x!, ctx.dtype),
  };
}

function binaryOp(op: BinaryOp, domain: Domain, result: 'same' | 'bool', commutative: boolean): OpInfo<BinaryOp> {
  return {
    category: 'elementwise',
    arity: [2, 2],
    commutative,
    infer([a, b]) {
      checkDomain(op, domain, a!);
      if (a!.dtype !== b!.dtype) fail('dtypeMismatch', `${op} needs operands of one dtype, got ${a!.dtype} and ${b!.dtype}`);
      return { dtype: result === 'bool' ? 'bool' : a!.dtype, shape: broadcastShapes(a!.shape, b!.shape) };
    },
    evaluate: ([a, b], _attrs, ctx) => binary(op, a!, b!, ctx.dtype),
  };
}

export const ELEMENTWISE_OPS = {
  neg: unaryOp('neg', 'numeric'),
  abs: unaryOp('abs', 'numeric'),
  sign: unaryOp('sign', 'numeric'),
  relu: unaryOp('relu', 'numeric'),
  exp: unaryOp('exp', 'float'),
  log: unaryOp('log', 'float'),
  sqrt: unaryOp('sqrt', 'float'),
  rsqrt: unaryOp('rsqrt', 'float'),
  tanh: unaryOp('tanh', 'float'),
  sigmoid: unaryOp('sigmoid', 'float'),
  erf: unaryOp('erf', 'float'),
  silu: unaryOp('silu', 'float'),
  sin: unaryOp('sin', 'float'),
  cos: unaryOp('cos', 'float'),
  floor: unaryOp('floor', 'float'),
  ceil: unaryOp('ceil', 'float'),
  round: unaryOp('round', 'float'),
  reciprocal: unaryOp('reciprocal', 'float'),
  not: unaryOp('not', 'bool'),

  add: binaryOp('add', 'numeric', 'same', true),
  sub: binaryOp('sub', 'numeric', 'same', false),
  mul: binaryOp('mul', 'numeric', 'same', true),
  div: binaryOp('div', 'numeric', 'same', false),
  pow: binaryOp('pow', 'numeric', 'same', false),
  max: binaryOp('max', 'numeric', 'same', true),
  min: binaryOp('min', 'numeric', 'same', true),
  mod: binaryOp('mod', 'numeric', 'same', false),
  eq: binaryOp('eq', 'any', 'bool', true),
  ne: binaryOp('ne', 'any', 'bool', true),
  lt: binaryOp('lt', 'numeric', 'bool', false),
  le: binaryOp('le', 'numeric', 'bool', false),
  gt: binaryOp('gt', 'numeric', 'bool', false),
  ge: binaryOp('ge', 'numeric', 'bool', false),
  and: binaryOp('and', 'bool', 'same', true),
  or: binaryOp('or', 'bool', 'same', true),
  xor: binaryOp('xor', 'bool', 'same', true),

  gelu: {
    category: 'elementwise',
    arity: [1, 1],
    infer([x], attrs) {
      checkDomain('gelu', 'float', x!);
      if (attrs.approximate !== 'none' && attrs.approximate !== 'tanh') fail('badAttribute', `gelu approximate must be "none" or "tanh", got "${String(attrs.approximate)}"`);
      return x!;
    },
    evaluate: ([x], attrs, ctx) => unary(attrs.approximate === 'tanh' ? 'gelu_tanh' : 'gelu_erf', x!, ctx.dtype),
  },
  where: {
    category: 'elementwise',
    arity: [3, 3],
    infer([c, a, b]) {
      if (c!.dtype !== 'bool') fail('dtypeMismatch', `where needs a bool condition, got ${c!.dtype}`);
      if (a!.dtype !== b!.dtype) fail('dtypeMismatch', `where needs both branches of one dtype, got ${a!.dtype} and ${b!.dtype}`);
      return { dtype: a!.dtype, shape: broadcastShapes(c!.shape, broadcastShapes(a!.shape, b!.shape)) };
    },
    evaluate: ([c, a, b]) => where(c!, a!, b!),
  },
  cast: {
    category: 'elementwise',
    arity: [1, 1],
    infer([x], attrs) {
      if (!Object.prototype.hasOwnProperty.call(DTYPES, attrs.to)) fail('badAttribute', `cast to unknown dtype '${String(attrs.to)}'`);
      return { dtype: attrs.to, shape: x!.shape };
    },
    evaluate: ([x], attrs) => cast(x!, attrs.to, attrs.saturate === undefined ? undefined : { saturate: attrs.saturate }),
  },
} satisfies Partial<OpTable>;
