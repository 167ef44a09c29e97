// The table a C-family language fills in to print Kernel IR through targets/c-style (STYLE 11):
// spellings of types, literals, operators, builtins, casts, declarations, buffers and loops.
// The shared printer (expr.ts, stmt.ts) walks the IR and asks the dialect only for text;
// a dialect never walks the IR itself. WGSL (targets/wgsl/dialect.ts) and CUDA C
// (targets/cuda) are the two dialects.

import type {
  BufferParam, Expr, Kernel, KBinaryOp, KType, KUnaryOp, LoopMode, MmaInputType, MmaStmt, ScalarType, Stmt, VectorType,
} from '../../compiler/kernel/ir.js';

/** Precedences the printer uses: higher binds tighter. Infix operators sit between. */
export const PREC = { primary: 16, unary: 14, lowest: 0 } as const;

/**
 * An infix operator. `operands` says which infix operands need parentheses beyond what
 * precedence implies (WGSL forbids mixing some operators without them):
 * - `precedence` (default): only by precedence, left-associative (C);
 * - `tighter`: an operand of equal precedence is parenthesized too (WGSL comparisons do not chain);
 * - `same-op`: any infix operand except the same operator (WGSL `&`, `|`, `^`, `&&`, `||`);
 * - `unary`: every infix operand (WGSL `<<`, `>>`).
 */
export interface InfixOp {
  readonly text: string;
  readonly prec: number;
  readonly operands?: 'precedence' | 'tighter' | 'same-op' | 'unary';
}

/** A `for` loop as the printer receives it. */
export type ForStmt = Extract<Stmt, { kind: 'for' }>;

/** What the dialect knows while printing one kernel. */
export interface PrintContext {
  readonly kernel: Kernel;
  buffer(name: string): BufferParam;
  /** Declared type of a local array (for dialects that spell array element access by type). */
  arrayType(name: string): KType;
  /** The 16-bit element storage of a tensor-core operand array, if it has one. */
  arrayStorage(name: string): MmaInputType | undefined;
}

/**
 * How a `grid.*` or `thread.*` loop becomes hardware indices: `index` is an i32 expression
 * for the loop variable (declared as a constant before the body); `guard`, when given, is a
 * bool expression the body runs under (a launch that covers more than the extent).
 */
export interface MappedLoop {
  readonly index: string;
  readonly guard?: string;
}

export interface CDialect {
  /** A legal identifier for a Kernel IR name (buffers, uniforms, locals, arrays); must be injective. */
  identifier(name: string): string;
  typeName(t: KType): string;
  /** A scalar constant's text; may start with `-` (the printer then treats it as unary). */
  literal(value: number | boolean, t: ScalarType): string;

  /** The infix spelling of a binary op on operands of type `t`, or undefined to print a call. */
  infix(op: KBinaryOp, t: KType): InfixOp | undefined;
  /** The function printed for a binary op without an infix spelling: `name(a, b)`. */
  binaryFunction(op: KBinaryOp, t: KType): string;
  /**
   * Optional: `a == a` / `a != a` on floats (a NaN test), for languages whose compilers may
   * assume no NaNs and fold it (WGSL): the text of the test, or undefined for the infix form.
   */
  selfComparison?(op: 'eq' | 'ne', t: KType, a: string): string | undefined;
  /** The prefix operator (`-`, `!`, `~`) of a unary op, or undefined to print a call. */
  prefix(op: KUnaryOp, t: KType): string | undefined;
  /** The function printed for a unary op without a prefix spelling: `name(a)`. */
  unaryFunction(op: KUnaryOp, t: KType): string;

  // Each of these gets its operands already printed at the lowest precedence (so they may be
  // put between commas or parentheses as they are) and returns a primary expression.
  cast(to: KType, from: KType, a: string): string;
  select(t: KType, cond: string, a: string, b: string): string;
  fma(t: KType, a: string, b: string, c: string): string;
  splat(t: VectorType, a: string): string;
  /** Lane `lane` of `a`, where `a` is printed as a primary expression. */
  lane(a: string, lane: number): string;
  reduceLanes(op: 'add' | 'max' | 'min', t: KType, a: string): string;
  /** Reduction of scalar `a` over a 32-lane warp (Kernel IR `warp_reduce`); absent: the target refuses it. */
  warpReduce?(op: 'add' | 'max' | 'min', t: KType, a: string): string;
  /** Reduction of scalar `a` over a subgroup of the hardware's width (Kernel IR `subgroup_reduce`); absent: refused. */
  subgroupReduce?(op: 'add' | 'max' | 'min', t: KType, a: string): string;
  /** The subgroup width as an i32 expression (Kernel IR `subgroup_size`); absent: refused. */
  subgroupSize?(): string;
  /** Element `index` of a buffer as type `t` (a vector type: consecutive elements). */
  load(buffer: BufferParam, t: KType, index: string, ctx: PrintContext): string;
  arrayLoad(array: string, index: string, ctx: PrintContext): string;

  // Statements: whole lines, with their terminators.
  declareVar(name: string, t: KType, init: string): string;
  declareConst(name: string, t: KType, init: string): string;
  /** A `private` or `workgroup` array, or undefined when the dialect declares it elsewhere (WGSL hoists workgroup arrays). */
  declareArray(name: string, t: KType, size: number, scope: 'private' | 'workgroup', storage?: MmaInputType): string | undefined;
  store(buffer: BufferParam, t: KType, index: string, value: string, ctx: PrintContext): string;
  arrayStore(array: string, index: string, value: string, ctx: PrintContext): string;
  readonly barrier: string;
  /** `for (…)` header of a serial/unrolled/vectorized loop (no brace). */
  forHeader(loop: ForStmt, variable: string, start: string, end: string): string;
  /** Lines printed before a loop (CUDA `#pragma unroll`); may be empty. */
  loopPrefix(mode: LoopMode): readonly string[];
  /** The hardware indices of a grid/thread loop. */
  mappedLoop(loop: ForStmt, ctx: PrintContext): MappedLoop;
  /**
   * Optional: the lines of a tensor-core multiply (printed in a block of their own), given its
   * operands' offsets already printed. A dialect without it refuses kernels that hold one.
   */
  mma?(s: MmaStmt, offsets: { readonly a: string; readonly b: string; readonly acc: string }, ctx: PrintContext): readonly string[];
}

/** The expression type a printer callback may want to inspect (re-exported for dialects). */
export type { Expr };
