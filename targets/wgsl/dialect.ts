// The WGSL table for the C-family printer (targets/c-style). Types are legalized here as the
// storage table says (storage.ts): f64 computes in f32, i64 in i32 (constants clamped to
// i32's range), f16 in f32 unless the module enables f16. Buffers are `array<T>` of one word
// per element; loads and stores convert between that word and the compute type.

import { elemOf, isFloatType, isVector, lanesOf, type BufferParam, type KBinaryOp, type KType, type KUnaryOp, type ScalarType } from '../../compiler/kernel/ir.js';
import { gridLoops } from '../../compiler/kernel/check.js';
import { formatFloat, printExpr, type CDialect, type ForStmt, type InfixOp, type MappedLoop, type PrintContext } from '../c-style/index.js';
import { wgslIdentifier } from './identifiers.js';
import { HELPER_DEPENDENCIES, typeTag, type HelperName } from './math-library.js';
import { gpuElementOf, wgslScalarOf } from './storage.js';

/** Names the module printer declares for the dialect's index expressions. */
export const LINEAR_WORKGROUP = 'sl_wg';
export const LOCAL_ID = 'sl_lid';
/** The `@builtin(subgroup_size)` parameter, declared only by modules that use subgroups. */
export const SUBGROUP_SIZE = 'sl_sg_size';

/** A refusal of a kernel WGSL cannot express (the message names the kernel). */
export class WgslUnsupportedError extends Error {}

export interface WgslDialectOptions {
  /** The module enables `f16` (the adapter has shader-f16): f16 values compute in f16. */
  readonly f16: boolean;
}

export interface WgslDialect extends CDialect {
  /** Helpers the printed code called, with the float type each was called for (`erf:f32`). */
  readonly helpers: Set<string>;
  /** Buffers loaded as vectors of n lanes (`x:4`): the module printer writes a function for each. */
  readonly vectorLoads: Set<string>;
  readonly vectorStores: Set<string>;
  /** The printed code used subgroup builtins: the module needs `enable subgroups;` (set while printing). */
  readonly subgroups: { used: boolean };
}

const INFIX: Partial<Record<KBinaryOp, InfixOp>> = {
  mul: { text: '*', prec: 11 }, div: { text: '/', prec: 11 }, rem: { text: '%', prec: 11 },
  add: { text: '+', prec: 10 }, sub: { text: '-', prec: 10 },
  // WGSL puts relational and equality operators in one class whose operands may not be comparisons.
  lt: { text: '<', prec: 7, operands: 'tighter' }, le: { text: '<=', prec: 7, operands: 'tighter' },
  gt: { text: '>', prec: 7, operands: 'tighter' }, ge: { text: '>=', prec: 7, operands: 'tighter' },
  eq: { text: '==', prec: 7, operands: 'tighter' }, ne: { text: '!=', prec: 7, operands: 'tighter' },
  and: { text: '&', prec: 6, operands: 'same-op' }, xor: { text: '^', prec: 5, operands: 'same-op' },
  or: { text: '|', prec: 4, operands: 'same-op' },
};

const UNARY_BUILTIN: Partial<Record<KUnaryOp, string>> = {
  abs: 'abs', sign: 'sign', exp: 'exp', sqrt: 'sqrt', rsqrt: 'inverseSqrt', sin: 'sin', cos: 'cos',
  floor: 'floor', ceil: 'ceil', round: 'round', trunc: 'trunc',
};

export function createWgslDialect(options: WgslDialectOptions): WgslDialect {
  const helpers = new Set<string>();
  const vectorLoads = new Set<string>();
  const vectorStores = new Set<string>();
  const subgroups = { used: false };
  /** Records a helper for WGSL type `type` (helpers are keyed `name:type`). */
  const use = (name: HelperName, type = 'f32'): void => {
    helpers.add(`${name}:${type}`);
    for (const d of HELPER_DEPENDENCIES[name] ?? []) use(d);
  };
  const scalar = (t: ScalarType) => wgslScalarOf(t, options.f16);
  const floatOf = (t: KType): 'f32' | 'f16' => (scalar(elemOf(t)) === 'f16' ? 'f16' : 'f32');

  function typeName(t: KType): string {
    const s = scalar(elemOf(t));
    if (!isVector(t)) return s;
    const lanes = lanesOf(t);
    if (lanes > 4) throw new WgslUnsupportedError(`WGSL has no ${lanes}-lane vectors (${t})`);
    return `vec${lanes}<${s}>`;
  }

  function literal(value: number | boolean, t: ScalarType): string {
    if (typeof value === 'boolean' || t === 'bool') return value ? 'true' : 'false';
    const s = scalar(t);
    if (s === 'f32' || s === 'f16') {
      if (Number.isNaN(value)) { use('nan'); return s === 'f32' ? 'sl_nan_f32()' : 'f16(sl_nan_f32())'; }
      if (!Number.isFinite(value)) {
        use('inf');
        const inf = s === 'f32' ? 'sl_inf_f32()' : 'f16(sl_inf_f32())';
        return value > 0 ? inf : `-${inf}`;
      }
      const max = s === 'f32' ? 3.4028234663852886e38 : 65504;
      // Finite constants beyond the type's range round to ±Inf, as a conversion would.
      if (Math.abs(Math.fround(value)) > max || (s === 'f16' && Math.abs(value) > 65520)) { use('inf'); return value > 0 ? 'sl_inf_f32()' : '-sl_inf_f32()'; }
      return `${formatFloat(s === 'f32' ? Math.fround(value) : value)}${s === 'f32' ? 'f' : 'h'}`;
    }
    if (s === 'u32') return `${Math.trunc(value) >>> 0}u`;
    // i32 (and i64 narrowed to it): clamped, and the minimum spelled without an out-of-range literal.
    const v = Math.max(-2147483648, Math.min(2147483647, Math.trunc(value)));
    return v === -2147483648 ? 'i32(-2147483647 - 1)' : `${v}i`;
  }

  function cast(to: KType, from: KType, a: string): string {
    const target = typeName(to);
    // f16 computed in f32 (no shader-f16): a conversion to f16 still rounds to f16's precision.
    if (elemOf(to) === 'f16' && elemOf(from) !== 'f16' && !options.f16) {
      if (isVector(to)) throw new WgslUnsupportedError(`conversion to ${to} without shader-f16`);
      use('round_f16');
      return `sl_round_f16(${target}(${a}))`;
    }
    if (typeName(from) === target) return `(${a})`;
    return `${target}(${a})`;
  }

  function load(b: BufferParam, t: KType, index: string, ctx: PrintContext): string {
    const name = wgslIdentifier(b.name);
    if (isVector(t)) {
      vectorLoads.add(`${b.name}:${lanesOf(t)}`);
      return `sl_load${lanesOf(t)}_${name}(${index})`;
    }
    void ctx;
    return convertLoaded(`${name}[${index}]`, b, elemOf(t));
  }

  function convertLoaded(word: string, b: BufferParam, t: ScalarType): string {
    if (b.dtype === 'bool') return `(${word} != 0u)`;
    const from = gpuElementOf(b.dtype, options.f16);
    const to = scalar(t);
    return from === to ? word : `${to}(${word})`;
  }

  /** The word stored for `value` (of compute type `t`) in a buffer of `b.dtype`. */
  function convertStored(value: string, b: BufferParam, t: ScalarType): string {
    const to = gpuElementOf(b.dtype, options.f16);
    const v = scalar(t) === to ? value : `${to}(${value})`;
    switch (b.dtype) {
      case 'bool': return scalar(t) === 'bool' ? `select(0u, 1u, ${value})` : `select(0u, 1u, ${value} != ${literal(0, t)})`;
      case 'bf16': use('round_bf16'); return `sl_round_bf16(${v})`;
      case 'f16': if (!options.f16) { use('round_f16'); return `sl_round_f16(${v})`; } return v;
      case 'i8': return `((${v} << 24u) >> 24u)`;
      case 'i16': return `((${v} << 16u) >> 16u)`;
      case 'u8': return `(${v} & 255i)`;
      case 'u16': return `(${v} & 65535i)`;
      default: return v;
    }
  }

  function mappedLoop(loop: ForStmt, ctx: PrintContext): MappedLoop {
    const axis = loop.mode.slice(loop.mode.indexOf('.') + 1);
    const ex = (e: Parameters<typeof printExpr>[0]): string => printExpr(e, dialect, ctx, 11);
    if (loop.mode.startsWith('thread.')) {
      const size = ctx.kernel.workgroupSize['xyz'.indexOf(axis)]!;
      const end = loop.end.kind === 'const' ? Number(loop.end.value) : undefined;
      if (end !== undefined && end > size) throw new WgslUnsupportedError(`thread loop '${loop.var}' has ${end} iterations but the workgroup ${size} threads on ${axis}`);
      const index = `i32(${LOCAL_ID}.${axis})`;
      return end === size ? { index } : { index, guard: `${index} < ${printExpr(loop.end, dialect, ctx, 8)}` };
    }
    // The grid nest is flattened: the runtime launches ⌈items⌉ workgroups over x and y, and
    // each grid loop's index is unravelled from the linear workgroup index (outermost slowest).
    const nest = gridLoops(ctx.kernel);
    const d = nest.indexOf(loop);
    if (d < 0) throw new WgslUnsupportedError(`grid loop '${loop.var}' is not in the kernel's leading grid nest`);
    const inner = nest.slice(d + 1).map((l) => ex(l.end));
    const below = inner.length === 0 ? LINEAR_WORKGROUP : `${LINEAR_WORKGROUP} / (${inner.join(' * ')})`;
    const index = d === 0 ? below : `(${below}) % ${ex(loop.end)}`;
    if (d !== 0) return { index };
    const total = nest.map((l) => ex(l.end)).join(' * ');
    return { index, guard: `${LINEAR_WORKGROUP} < ${total}` };
  }

  const dialect: WgslDialect = {
    helpers, vectorLoads, vectorStores, subgroups,
    identifier: wgslIdentifier,
    typeName,
    literal,
    selfComparison(op, t, a) {
      if (!isFloatType(t) || isVector(t)) return undefined;
      use('isnan', floatOf(t));
      const test = `sl_isnan_${floatOf(t)}(${a})`;
      return op === 'ne' ? test : `!${test}`;
    },
    infix(op, t) {
      if (elemOf(t) === 'bool' && op === 'xor') return INFIX.ne;
      return INFIX[op];
    },
    binaryFunction(op, t) {
      const f = floatOf(t);
      switch (op) {
        case 'max': case 'min':
          if (!isFloatType(t)) return op;
          use(op, typeName(t));
          return `sl_${op}_${typeTag(typeName(t))}`;
        case 'pow':
          if (isFloatType(t)) { use('pow', typeName(t)); return `sl_pow_${typeTag(typeName(t))}`; }
          if (scalar(elemOf(t)) !== 'i32' || isVector(t)) throw new WgslUnsupportedError(`pow on ${t}`);
          use('ipow'); return 'sl_pow_i32';
        case 'shl': case 'shr':
          if (isVector(t)) throw new WgslUnsupportedError(`${op} on ${t}`);
          use(op); return `sl_${op}_${scalar(elemOf(t))}`;
        default: throw new Error(`WGSL: binary op ${op} has an infix spelling`);
      }
    },
    prefix(op, t) {
      if (op === 'neg') return '-';
      if (op === 'not') return elemOf(t) === 'bool' ? '!' : '~';
      return undefined;
    },
    unaryFunction(op, t) {
      if (op === 'erf' || op === 'tanh' || op === 'log') {
        use(op, typeName(t));
        return `sl_${op}_${typeTag(typeName(t))}`;
      }
      const name = UNARY_BUILTIN[op];
      if (!name) throw new Error(`WGSL: unary op ${op} has a prefix spelling`);
      return name;
    },
    cast,
    select: (_t, cond, a, b) => `select(${b}, ${a}, ${cond})`,
    fma: (t, a, b, c) => (isFloatType(t) ? `fma(${a}, ${b}, ${c})` : `((${a}) * (${b}) + (${c}))`),
    splat: (t, a) => `${typeName(t)}(${a})`,
    lane: (a, lane) => `${a}.${'xyzw'[lane]}`,
    reduceLanes(op, t, a) {
      const lanes = Array.from({ length: lanesOf(t) }, (_, i) => `(${a}).${'xyzw'[i]}`);
      if (op === 'add') return `(${lanes.join(' + ')})`;
      const f = isFloatType(t) ? dialect.binaryFunction(op, elemOf(t)) : op;
      return lanes.reduce((x, y) => `${f}(${x}, ${y})`);
    },
    subgroupReduce(op, t, a) {
      subgroups.used = true;
      const name = `subgroup${op[0]!.toUpperCase()}${op.slice(1)}`;
      if (op === 'add' || !isFloatType(t)) return `${name}(${a})`;
      // WGSL leaves subgroupMax/Min of a NaN to the implementation; the IR propagates it.
      use('nan');
      use('isnan', floatOf(t));
      return `select(${name}(${a}), sl_nan_f32(), subgroupAny(sl_isnan_${floatOf(t)}(${a})))`;
    },
    subgroupSize() {
      subgroups.used = true;
      return `i32(${SUBGROUP_SIZE})`;
    },
    load,
    arrayLoad: (array, index) => `${wgslIdentifier(array)}[${index}]`,
    declareVar: (name, t, init) => `var ${name}: ${typeName(t)} = ${init};`,
    declareConst: (name, t, init) => `let ${name}: ${typeName(t)} = ${init};`,
    declareArray: (name, t, size, scope) => (scope === 'workgroup' ? undefined : `var ${name}: array<${typeName(t)}, ${size}>;`),
    store(b, t, index, value) {
      const name = wgslIdentifier(b.name);
      if (isVector(t)) {
        vectorStores.add(`${b.name}:${lanesOf(t)}`);
        return `sl_store${lanesOf(t)}_${name}(${index}, ${value});`;
      }
      return `${name}[${index}] = ${convertStored(value, b, elemOf(t))};`;
    },
    arrayStore: (array, index, value) => `${wgslIdentifier(array)}[${index}] = ${value};`,
    barrier: 'workgroupBarrier();',
    forHeader: (loop, v, start, end) => `for (var ${v}: i32 = ${start}; ${v} < ${end}; ${v} += ${loop.step}i)`,
    loopPrefix: () => [],
    mappedLoop,
  };
  return Object.assign(dialect, { convertLoaded, convertStored });
}

/** Conversions the module printer reuses for vector load/store helper functions. */
export type WgslDialectInternals = WgslDialect & {
  convertLoaded(word: string, b: BufferParam, t: ScalarType): string;
  convertStored(value: string, b: BufferParam, t: ScalarType): string;
};
