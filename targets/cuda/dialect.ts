// CUDA C as a targets/c-style dialect: the table of spellings for Kernel IR (STYLE 11).
// Scalars print as C (`float`, `long long`, infix operators, CUDA math builtins: expf, erff,
// rintf for round-half-even); what C leaves undefined or spells loosely goes through the
// `sl_` helpers of prelude.ts (NaN-propagating max/min, saturating float → int casts, masked
// shifts). f16 values are floats rounded to half after every op; vectors are `sl_vec<T, N>`.
// Grid loops read a flattened work-item index (`sl_item`, see kernel.ts); thread loops read
// threadIdx.

import type { DType } from '../../compiler/ir/dtype.js';
import { elemOf, isVector, lanesOf, type BufferParam, type KBinaryOp, type KType, type KUnaryOp, type ScalarType, type Stmt } from '../../compiler/kernel/ir.js';
import { mmaLines } from './mma.js';
import { formatFloat, printExpr, PREC, type CDialect, type ForStmt, type InfixOp, type MappedLoop, type PrintContext } from '../c-style/index.js';
import { gridIndexOf } from './grid.js';

/** C++ and CUDA words an IR name must not become, and names the emulator defines as macros. */
const RESERVED = new Set([
  'alignas', 'alignof', 'and', 'asm', 'auto', 'bool', 'break', 'case', 'catch', 'char', 'class', 'const', 'constexpr',
  'continue', 'default', 'delete', 'do', 'double', 'else', 'enum', 'explicit', 'export', 'extern', 'false', 'float',
  'for', 'friend', 'goto', 'if', 'inline', 'int', 'long', 'mutable', 'namespace', 'new', 'not', 'operator', 'or',
  'private', 'protected', 'public', 'register', 'return', 'short', 'signed', 'sizeof', 'static', 'struct', 'switch',
  'template', 'this', 'throw', 'true', 'try', 'typedef', 'typename', 'union', 'unsigned', 'using', 'virtual', 'void',
  'volatile', 'while', 'xor', 'half', 'dim3', 'threadIdx', 'blockIdx', 'blockDim', 'gridDim', 'warpSize', 'uint3',
  'float4', 'uint4', 'int4', 'float2', 'NAN', 'INFINITY', 'assert', 'max', 'min', 'abs', 'exp', 'log', 'pow', 'sqrt',
  'erf', 'tanh', 'sin', 'cos', 'floor', 'ceil', 'rint', 'trunc', 'fma', 'fmod', 'memcpy', 'main', 'stream',
  // C library functions an op-named kernel (`extern "C"`) could collide with.
  'div', 'ldiv', 'labs', 'round', 'remainder', 'tan', 'atan', 'atan2', 'asin', 'acos', 'sinh', 'cosh', 'asinh', 'acosh',
  'atanh', 'expm1', 'log1p', 'log2', 'log10', 'exp2', 'cbrt', 'hypot', 'erfc', 'lgamma', 'tgamma', 'gamma', 'j0', 'j1',
  'y0', 'y1', 'fabs', 'fmax', 'fmin', 'fdim', 'copysign', 'nearbyint', 'ldexp', 'frexp', 'modf', 'nan', 'isnan',
  'isinf', 'signbit', 'select', 'index', 'rindex', 'rand', 'random', 'free', 'malloc', 'calloc', 'realloc', 'exit',
  'abort', 'time', 'clock', 'signal', 'raise', 'kill', 'read', 'write', 'open', 'close', 'sleep', 'wait', 'stat', 'link',
  'sync', 'pipe', 'dup', 'fork', 'system', 'remove', 'rename', 'memset', 'memmove', 'strlen', 'printf', 'puts',
]);

/** The name an IR name prints as: unchanged unless reserved, in our `sl_` space, or ending in `_` (then one more `_`). */
export function cudaIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`cuda: '${name}' is not an identifier`);
  return RESERVED.has(name) || name.startsWith('sl_') || name.startsWith('__') || name.endsWith('_') ? `${name}_` : name;
}

const SCALAR_TYPE: Readonly<Record<ScalarType, string>> = {
  f32: 'float', f64: 'double', f16: 'float', i32: 'int', u32: 'unsigned int', i64: 'long long', bool: 'bool',
};

/** The C element type of a buffer holding `dtype` (what the bytes are). */
export function storageType(dtype: DType): string {
  switch (dtype) {
    case 'f32': return 'float';
    case 'f64': return 'double';
    case 'f16': return '__half';
    case 'bf16': return '__nv_bfloat16';
    case 'i8': return 'signed char';
    case 'u8': case 'bool': return 'unsigned char';
    case 'i16': return 'short';
    case 'u16': return 'unsigned short';
    case 'i32': return 'int';
    case 'u32': return 'unsigned int';
    case 'i64': return 'long long';
    case 'u64': return 'unsigned long long';
    default: throw new Error(`cuda: dtype ${dtype} cannot be a kernel buffer`);
  }
}

function typeName(t: KType): string {
  if (!isVector(t)) return SCALAR_TYPE[t];
  const e = elemOf(t);
  return `sl_vec<${SCALAR_TYPE[e]}, ${lanesOf(t)}>`;
}

function literal(value: number | boolean, t: ScalarType): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  switch (t) {
    case 'bool': return value ? 'true' : 'false';
    case 'f32': case 'f16': {
      const v = Math.fround(value);
      if (Number.isNaN(v)) return '__int_as_float(0x7fc00000)';
      if (!Number.isFinite(v)) return v > 0 ? '__int_as_float(0x7f800000)' : '__int_as_float((int)0xff800000u)';
      return `${formatFloat(v)}f`;
    }
    case 'f64':
      if (Number.isNaN(value)) return '__longlong_as_double(0x7ff8000000000000LL)';
      if (!Number.isFinite(value)) return value > 0 ? '__longlong_as_double(0x7ff0000000000000LL)' : '__longlong_as_double((long long)0xfff0000000000000ULL)';
      return formatFloat(value);
    case 'i32': return value === -(2 ** 31) ? '(-2147483647 - 1)' : String(value | 0);
    case 'u32': return `${value >>> 0}u`;
    case 'i64': {
      const big = BigInt.asIntN(64, BigInt(Math.trunc(value)));
      return big === -(2n ** 63n) ? '(-9223372036854775807LL - 1)' : `${big}LL`;
    }
  }
}

// C precedence, higher binds tighter.
const C_INFIX: Partial<Record<KBinaryOp, InfixOp>> = {
  mul: { text: '*', prec: 13 }, div: { text: '/', prec: 13 }, rem: { text: '%', prec: 13 },
  add: { text: '+', prec: 12 }, sub: { text: '-', prec: 12 },
  lt: { text: '<', prec: 10 }, le: { text: '<=', prec: 10 }, gt: { text: '>', prec: 10 }, ge: { text: '>=', prec: 10 },
  eq: { text: '==', prec: 9 }, ne: { text: '!=', prec: 9 },
};
const BITWISE: Partial<Record<KBinaryOp, InfixOp>> = { and: { text: '&', prec: 8 }, xor: { text: '^', prec: 7 }, or: { text: '|', prec: 6 } };
const LOGICAL: Partial<Record<KBinaryOp, InfixOp>> = { and: { text: '&&', prec: 5 }, or: { text: '||', prec: 4 }, xor: { text: '!=', prec: 9 } };

/** Ops on f16 values that round (computed in float, then rounded to half). */
const F16_ROUNDING_BINARY = new Set<KBinaryOp>(['add', 'sub', 'mul', 'div', 'rem', 'pow']);
const F16_ROUNDING_UNARY = new Set<KUnaryOp>(['exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'erf', 'sin', 'cos']);

function infix(op: KBinaryOp, t: KType): InfixOp | undefined {
  const e = elemOf(t);
  if (e === 'f16' && F16_ROUNDING_BINARY.has(op)) return undefined;
  if (e === 'bool') return C_INFIX[op] ?? LOGICAL[op];
  if (isFloat(e) && op === 'rem') return undefined;
  if (e === 'f32' || e === 'f64' || e === 'f16') return C_INFIX[op];
  return C_INFIX[op] ?? BITWISE[op];
}

function isFloat(e: ScalarType): boolean {
  return e === 'f32' || e === 'f64' || e === 'f16';
}

/** CUDA builtins for scalar f32 math (f64 drops the `f`); the rest are prelude helpers. */
const F32_MATH: Partial<Record<KUnaryOp, string>> = {
  exp: 'expf', log: 'logf', sqrt: 'sqrtf', rsqrt: 'rsqrtf', tanh: 'tanhf', erf: 'erff', sin: 'sinf', cos: 'cosf',
  floor: 'floorf', ceil: 'ceilf', round: 'rintf', trunc: 'truncf', abs: 'fabsf',
};

function unaryFunction(op: KUnaryOp, t: KType): string {
  const e = elemOf(t);
  if (!isFloat(e) && (op === 'floor' || op === 'ceil' || op === 'round' || op === 'trunc')) return ''; // integers are whole already
  if (e === 'f16' && F16_ROUNDING_UNARY.has(op)) return `sl_h_${op}`;
  if (!isVector(t) && e === 'f32' && F32_MATH[op]) return F32_MATH[op]!;
  if (!isVector(t) && e === 'f64' && F32_MATH[op] && op !== 'rsqrt') return F32_MATH[op]!.slice(0, -1); // expf → exp
  return `sl_${op}`;
}

function binaryFunction(op: KBinaryOp, t: KType): string {
  if (elemOf(t) === 'f16' && F16_ROUNDING_BINARY.has(op)) return `sl_h_${op}`;
  return `sl_${op}`;
}

function prefix(op: KUnaryOp, t: KType): string | undefined {
  if (op === 'neg') return '-';
  if (op === 'not') return elemOf(t) === 'bool' ? '!' : '~';
  return undefined;
}

function cast(to: KType, from: KType, a: string): string {
  const toE = elemOf(to), fromE = elemOf(from);
  if (isVector(to)) {
    const v = `sl_conv<${SCALAR_TYPE[toE]}>(${a})`;
    return toE === 'f16' && fromE !== 'f16' ? `sl_rh(${v})` : v;
  }
  if (toE === 'f16') return fromE === 'f16' ? `(${a})` : `sl_rh((float)(${a}))`;
  const saturating = isFloat(fromE) && (toE === 'i32' || toE === 'u32' || toE === 'i64');
  if (saturating || toE === 'bool') return `sl_conv<${SCALAR_TYPE[toE]}>(${a})`;
  return `(${SCALAR_TYPE[toE]})(${a})`;
}

/** What a scalar load of a buffer element prints as, given the element text `p[i]`. */
function loadElement(dtype: DType, element: string): string {
  switch (dtype) {
    case 'f32': case 'f64': case 'i32': case 'u32': case 'i64': return element;
    case 'bool': return `(${element} != 0)`;
    case 'u8': case 'i8': case 'i16': case 'u16': return `(int)${element}`;
    default: return `sl_ld(${element})`;
  }
}

function storeElement(dtype: DType, value: string): string {
  switch (dtype) {
    case 'f32': case 'f64': case 'i32': case 'u32': case 'i64': return value;
    case 'f16': return `__float2half_rn(${value})`;
    case 'bf16': return `__float2bfloat16_rn(${value})`;
    default: return `(${storageType(dtype)})(${value})`;
  }
}

function holdsBarrier(stmts: readonly Stmt[]): boolean {
  return stmts.some((s) => s.kind === 'barrier' || (s.kind === 'for' && holdsBarrier(s.body)) || (s.kind === 'if' && (holdsBarrier(s.then) || holdsBarrier(s.else))));
}

export const CUDA_DIALECT: CDialect = {
  identifier: cudaIdentifier,
  typeName,
  literal,
  infix,
  binaryFunction,
  prefix,
  unaryFunction,
  cast,
  select: (t, c, a, b) => (isVector(t) ? `sl_select(${c}, ${a}, ${b})` : `(${c} ? ${a} : ${b})`),
  fma: (t, a, b, c) => (elemOf(t) === 'f16' ? `sl_h_fma(${a}, ${b}, ${c})` : !isVector(t) && elemOf(t) === 'f32' ? `fmaf(${a}, ${b}, ${c})` : `sl_fma(${a}, ${b}, ${c})`),
  splat: (t, a) => `sl_splat<${SCALAR_TYPE[elemOf(t)]}, ${lanesOf(t)}>(${a})`,
  lane: (a, lane) => `${a}.v[${lane}]`,
  warpReduce: (op, t, a) => `sl_warp_${op}_${t}(${a})`,
  reduceLanes: (op, t, a) => (elemOf(t) === 'f16' && op === 'add' ? `sl_h_reduce_add(${a})` : `sl_reduce_${op}(${a})`),
  load(buffer: BufferParam, t: KType, index: string): string {
    const name = cudaIdentifier(buffer.name);
    if (isVector(t)) return `sl_vload<${SCALAR_TYPE[elemOf(t)]}, ${lanesOf(t)}>(${name}, ${index})`;
    return loadElement(buffer.dtype, `${name}[${index}]`);
  },
  // A 16-bit storage array (tensor-core operand) holds __half / __nv_bfloat16 elements.
  arrayLoad: (array, index, ctx) => (ctx.arrayStorage(array)
    ? `sl_ld(${cudaIdentifier(array)}[${index}])`
    : `${cudaIdentifier(array)}[${index}]`),
  declareVar: (name, t, init) => `${typeName(t)} ${name} = ${init};`,
  declareConst: (name, t, init) => `const ${typeName(t)} ${name} = ${init};`,
  // 32-byte aligned: tensor-core tile loads and stores (wmma) need it.
  declareArray: (name, t, size, scope, storage) => (scope === 'workgroup'
    ? `alignas(32) __shared__ ${storage ? storageType(storage) : typeName(t)} ${name}[${size}];`
    // Kernel IR arrays start zeroed; registers do not.
    : `${typeName(t)} ${name}[${size}] = {};`),
  store(buffer: BufferParam, t: KType, index: string, value: string): string {
    const name = cudaIdentifier(buffer.name);
    if (isVector(t)) return `sl_vstore(${name}, ${index}, ${value});`;
    return `${name}[${index}] = ${storeElement(buffer.dtype, value)};`;
  },
  arrayStore(array, index, value, ctx) {
    const storage = ctx.arrayStorage(array);
    return `${cudaIdentifier(array)}[${index}] = ${storage ? storeElement(storage, value) : value};`;
  },
  barrier: '__syncthreads();',
  forHeader(loop: ForStmt, v: string, start: string, end: string): string {
    // The IR evaluates the end once, on entry.
    const step = loop.step === 1 ? `++${v}` : `${v} += ${loop.step}`;
    return `for (int ${v} = ${start}, sl_end_${v} = ${end}; ${v} < sl_end_${v}; ${step})`;
  },
  loopPrefix: (mode) => (mode === 'unrolled' ? ['#pragma unroll'] : []),
  mappedLoop(loop: ForStmt, ctx: PrintContext): MappedLoop {
    if (loop.mode.startsWith('grid.')) return { index: gridIndexOf(loop, ctx.kernel) };
    const axis = loop.mode.slice('thread.'.length) as 'x' | 'y' | 'z';
    const size = ctx.kernel.workgroupSize['xyz'.indexOf(axis)]!;
    const index = `(int)threadIdx.${axis}`;
    if (!(loop.start.kind === 'const' && loop.start.value === 0)) throw new Error(`cuda: thread loop ${loop.var} of ${ctx.kernel.name} does not start at 0`);
    const exact = loop.end.kind === 'const' && loop.end.value === size;
    if (exact) return { index };
    // A guarded __syncthreads() would hang the threads outside the guard.
    if (holdsBarrier(loop.body)) throw new Error(`cuda: thread loop ${loop.var} of ${ctx.kernel.name} holds a barrier but does not span the block`);
    return { index, guard: `${index} < ${printExpr(loop.end, CUDA_DIALECT, ctx, PREC.primary)}` };
  },
  mma: (s, offsets) => mmaLines(s, offsets, cudaIdentifier),
};
