// The Kernel IR verifier: `checkKernel` lists everything wrong with a kernel (empty = valid),
// `checkProgram` does the same for a whole Program (bindings, dtypes, uniforms, grid, the
// order values are written and read). `compileWasm` runs `checkProgram` on every program it
// lowers, and the Kernel IR interpreter refuses a kernel they reject.
//
// Rules (ir.ts has the semantics behind them):
// - names are unique in a kernel; every `var` is a uniform, a loop variable or a `let` in scope,
//   used with its declared type; loop variables and uniforms are never assigned;
// - operand types agree exactly (vectors lane for lane); comparisons give bool/boolxN; select's
//   condition is bool or a bool vector of the value's lanes; indices and loop bounds are i32;
// - loads and stores name a buffer parameter, respect its access, and carry
//   computeTypeOf(dtype) (or a vector of it); arrays are declared before use and used with
//   their element type;
// - grid loops form the leading perfect nest (start 0, step 1, extents of uniforms and
//   constants, one per axis);
// - `thread.*` loops, barriers and `workgroup` arrays appear only in GPU schedules (a
//   workgroup of more than one thread), and no barrier sits under control flow that differs
//   between the threads of a workgroup (an `if` or loop bound depending on a thread index);
// - `warp_reduce` only as a let's whole initializer, of f32/i32, inside the thread loops of a
//   workgroup whose x size is whole warps, never under thread-dependent control flow, and
//   (when checkKernel is given a target) only where subgroupSize is 32;
// - `subgroup_reduce` under the same rules (any width: the runtime checks the workgroup fits),
//   and it and `subgroup_size` (when checkKernel is given a target) only where it has `subgroups`.

import { dimSymbols, type Dim } from '../ir/dim.js';
import {
  computeTypeOf, elemOf, isFloatType, isIntType, isVector, lanesOf,
  type Expr, type GridAxis, type Kernel, type KType, type MmaInputType, type MmaStmt, type Stmt,
} from './ir.js';
import type { Program } from './program.js';

type ForStmt = Extract<Stmt, { kind: 'for' }>;

const SCALAR_TYPES = new Set(['f32', 'f64', 'f16', 'i32', 'u32', 'i64', 'bool']);
const VECTOR_ELEMS = new Set(['f32', 'f16', 'i32', 'u32', 'bool']);
const VECTOR_LANES = new Set([2, 4, 8]);
const COMPARISONS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const FLOAT_ONLY_UNARY = new Set(['exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'erf', 'sin', 'cos']);
const AXIS_INDEX: Record<GridAxis, number> = { x: 0, y: 1, z: 2 };

function isValidType(t: string): t is KType {
  if (SCALAR_TYPES.has(t)) return true;
  const m = /^([a-z0-9]+)x(\d+)$/.exec(t);
  return m !== null && VECTOR_ELEMS.has(m[1]!) && VECTOR_LANES.has(Number(m[2]));
}

function comparisonType(t: KType): string {
  return isVector(t) ? `boolx${lanesOf(t)}` : 'bool';
}

function withoutComments(stmts: readonly Stmt[]): Stmt[] {
  return stmts.filter((s) => s.kind !== 'comment');
}

function isGridLoop(s: Stmt): s is ForStmt {
  return s.kind === 'for' && s.mode.startsWith('grid.');
}

/** The kernel's leading perfect nest of grid loops, outermost first. */
export function gridLoops(k: Kernel): ForStmt[] {
  const nest: ForStmt[] = [];
  for (let stmts = withoutComments(k.body); stmts.length === 1 && isGridLoop(stmts[0]!); ) {
    nest.push(stmts[0]);
    stmts = withoutComments(stmts[0].body);
  }
  return nest;
}

interface Decl {
  readonly kind: 'uniform' | 'let' | 'loop' | 'array';
  readonly type: KType;
  readonly scope?: 'private' | 'workgroup';
  readonly storage?: MmaInputType;
}

interface Context {
  /** Inside a thread loop. */
  readonly inThread: boolean;
  /** Under control flow whose outcome may differ between the threads of a workgroup. */
  readonly divergent: boolean;
  /** Statements here may be (only) a grid loop continuing the leading nest. */
  readonly gridNest: boolean;
  readonly threadAxes: ReadonlySet<string>;
}

class KernelChecker {
  problems: string[] = [];
  private readonly gpu: boolean;
  private readonly buffers: Map<string, Kernel['buffers'][number]>;
  private scopes: Map<string, Decl>[] = [];
  private declared = new Set<string>();
  private gridAxes = new Set<string>();

  /**
   * Variables whose value may differ between threads of a workgroup. It only grows, and the
   * walk repeats until it stops growing, so an assignment late in a loop taints earlier uses.
   */
  readonly varying = new Set<string>();

  constructor(private readonly k: Kernel, private readonly subgroupSize?: number, private readonly subgroups?: boolean) {
    this.gpu = k.workgroupSize[0] * k.workgroupSize[1] * k.workgroupSize[2] > 1;
    this.buffers = new Map(k.buffers.map((b) => [b.name, b]));
  }

  run(): string[] {
    for (;;) {
      const before = this.varying.size;
      this.problems = [];
      this.scopes = [new Map()];
      this.declared = new Set();
      this.gridAxes = new Set();
      this.params();
      this.block(this.k.body, { inThread: false, divergent: false, gridNest: true, threadAxes: new Set() });
      if (this.varying.size === before) return this.problems;
    }
  }

  private problem(message: string): void {
    this.problems.push(message);
  }

  private declare(name: string, decl: Decl): void {
    if (this.declared.has(name)) this.problem(`name '${name}' is declared twice`);
    this.declared.add(name);
    this.scopes[this.scopes.length - 1]!.set(name, decl);
  }

  private lookup(name: string): Decl | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const d = this.scopes[i]!.get(name);
      if (d) return d;
    }
    return undefined;
  }

  private params(): void {
    const [x, y, z] = this.k.workgroupSize;
    if (![x, y, z].every((n) => Number.isInteger(n) && n >= 1)) this.problem(`workgroupSize [${x}, ${y}, ${z}] must be positive integers`);
    for (const b of this.k.buffers) {
      if (this.declared.has(b.name)) this.problem(`name '${b.name}' is declared twice`);
      this.declared.add(b.name);
      if (!computeTypeOf(b.dtype)) this.problem(`buffer '${b.name}' of ${b.dtype} cannot be a kernel buffer (unpack it first)`);
    }
    for (const u of this.k.uniforms) this.declare(u.name, { kind: 'uniform', type: 'i32' });
  }

  private type(t: string, what: string): void {
    if (!isValidType(t)) this.problem(`${what} has invalid type '${t}'`);
  }

  private index(e: Expr, what: string): boolean {
    const varying = this.expr(e);
    if (e.type !== 'i32') this.problem(`${what} index must be i32, got ${e.type}`);
    return varying;
  }

  // ---- expressions: each check returns whether the value may differ between threads ----

  private expr(e: Expr): boolean {
    this.type(e.type, `${e.kind} expression`);
    switch (e.kind) {
      case 'const': {
        const elem = elemOf(e.type);
        if ((elem === 'bool') !== (typeof e.value === 'boolean')) this.problem(`constant ${String(e.value)} does not fit type ${e.type}`);
        else if (isIntType(e.type) && !Number.isInteger(e.value)) this.problem(`integer constant ${String(e.value)} of ${e.type} is not an integer`);
        else if (elem === 'i32' && ((e.value as number) | 0) !== e.value) this.problem(`constant ${String(e.value)} is out of i32 range`);
        return false;
      }
      case 'var': {
        const d = this.lookup(e.name);
        if (!d) this.problem(`'${e.name}' is not declared in scope`);
        else if (d.kind === 'array') this.problem(`array '${e.name}' used as a value`);
        else if (d.type !== e.type) this.problem(`'${e.name}' is ${d.type} but used as ${e.type}`);
        return this.varying.has(e.name);
      }
      case 'unary': {
        const v = this.expr(e.a);
        if (e.type !== e.a.type) this.problem(`unary ${e.op} of ${e.a.type} cannot give ${e.type}`);
        const t = e.a.type;
        if (FLOAT_ONLY_UNARY.has(e.op) && !isFloatType(t)) this.problem(`unary ${e.op} needs a float operand, got ${t}`);
        else if (e.op === 'not' && isFloatType(t)) this.problem(`unary not needs a bool or integer operand, got ${t}`);
        else if (e.op !== 'not' && elemOf(t) === 'bool') this.problem(`unary ${e.op} is not defined on ${t}`);
        return v;
      }
      case 'binary': {
        const v = [this.expr(e.a), this.expr(e.b)].some(Boolean);
        const t = e.a.type;
        if (t !== e.b.type) {
          this.problem(`binary ${e.op}: operand types ${t} and ${e.b.type} differ`);
          return v;
        }
        const want = COMPARISONS.has(e.op) ? comparisonType(t) : t;
        if (e.type !== want) this.problem(`binary ${e.op} of ${t} gives ${want}, not ${e.type}`);
        const elem = elemOf(t);
        if (['and', 'or', 'xor'].includes(e.op) && isFloatType(t)) this.problem(`binary ${e.op} is not defined on ${t}`);
        else if (['shl', 'shr'].includes(e.op) && !isIntType(t)) this.problem(`binary ${e.op} needs integer operands, got ${t}`);
        else if (!COMPARISONS.has(e.op) && !['and', 'or', 'xor'].includes(e.op) && elem === 'bool') this.problem(`binary ${e.op} is not defined on ${t}`);
        return v;
      }
      case 'fma': {
        const v = [this.expr(e.a), this.expr(e.b), this.expr(e.c)].some(Boolean);
        if (e.a.type !== e.type || e.b.type !== e.type || e.c.type !== e.type) {
          this.problem(`fma operands ${e.a.type}, ${e.b.type}, ${e.c.type} must all be ${e.type}`);
        } else if (elemOf(e.type) === 'bool') this.problem('fma is not defined on bool');
        return v;
      }
      case 'select': {
        const v = [this.expr(e.cond), this.expr(e.a), this.expr(e.b)].some(Boolean);
        if (e.a.type !== e.type || e.b.type !== e.type) this.problem(`select branches ${e.a.type} and ${e.b.type} must both be ${e.type}`);
        if (e.cond.type !== 'bool' && e.cond.type !== comparisonType(e.type)) {
          this.problem(`select condition must be bool or ${comparisonType(e.type)}, got ${e.cond.type}`);
        }
        return v;
      }
      case 'cast': {
        const v = this.expr(e.a);
        if (lanesOf(e.a.type) !== lanesOf(e.type)) this.problem(`cast from ${e.a.type} to ${e.type} changes the lane count`);
        return v;
      }
      case 'load': {
        const v = this.index(e.index, `load of '${e.buffer}'`);
        const b = this.buffers.get(e.buffer);
        if (!b) {
          this.problem(`load of unknown buffer '${e.buffer}'`);
          return v;
        }
        if (b.access === 'write') this.problem(`load of write-only buffer '${e.buffer}'`);
        const want = computeTypeOf(b.dtype);
        if (want && elemOf(e.type) !== want) this.problem(`load of '${e.buffer}' (${b.dtype}) gives ${want} or a vector of it, not ${e.type}`);
        return v;
      }
      case 'array_load': {
        const v = this.index(e.index, `load of array '${e.array}'`);
        const d = this.lookup(e.array);
        if (!d || d.kind !== 'array') this.problem(`array '${e.array}' is not declared in scope`);
        else if (d.type !== e.type) this.problem(`array '${e.array}' holds ${d.type}, loaded as ${e.type}`);
        return v;
      }
      case 'splat': {
        const v = this.expr(e.a);
        if (isVector(e.a.type) || elemOf(e.type) !== e.a.type) this.problem(`splat of ${e.a.type} cannot give ${e.type}`);
        return v;
      }
      case 'vector': {
        const v = e.parts.map((p) => this.expr(p)).some(Boolean);
        if (e.parts.length !== lanesOf(e.type)) this.problem(`vector ${e.type} of ${e.parts.length} parts`);
        if (e.parts.some((p) => p.type !== elemOf(e.type))) this.problem(`vector ${e.type} of ${e.parts.map((p) => p.type).join(', ')}`);
        return v;
      }
      case 'lane': {
        const v = this.expr(e.a);
        if (!isVector(e.a.type)) this.problem(`lane of scalar ${e.a.type}`);
        else if (!(Number.isInteger(e.lane) && e.lane >= 0 && e.lane < lanesOf(e.a.type))) this.problem(`lane ${e.lane} of ${e.a.type} does not exist`);
        if (e.type !== elemOf(e.a.type)) this.problem(`lane of ${e.a.type} gives ${elemOf(e.a.type)}, not ${e.type}`);
        return v;
      }
      case 'reduce_lanes': {
        const v = this.expr(e.a);
        if (!isVector(e.a.type)) this.problem(`reduce_lanes of scalar ${e.a.type}`);
        if (e.type !== elemOf(e.a.type)) this.problem(`reduce_lanes of ${e.a.type} gives ${elemOf(e.a.type)}, not ${e.type}`);
        if (elemOf(e.a.type) === 'bool') this.problem(`reduce_lanes ${e.op} is not defined on ${e.a.type}`);
        return v;
      }
      case 'warp_reduce': case 'subgroup_reduce':
        // A let's whole initializer is checked by collectiveReduce; anywhere else it is refused.
        this.problem(`${e.kind} stands only as the whole initializer of a let`);
        this.expr(e.a);
        return true;
      case 'subgroup_size':
        if (this.subgroups === false) this.problem('subgroup_size on a target without subgroups');
        return false; // one width for the whole dispatch
    }
  }

  /** Grid extents may use only uniforms and constants. */
  private onlyUniforms(e: Expr): boolean {
    switch (e.kind) {
      case 'const': return true;
      case 'var': return this.lookup(e.name)?.kind === 'uniform';
      case 'unary': case 'cast': return this.onlyUniforms(e.a);
      case 'binary': return this.onlyUniforms(e.a) && this.onlyUniforms(e.b);
      case 'select': return this.onlyUniforms(e.cond) && this.onlyUniforms(e.a) && this.onlyUniforms(e.b);
      default: return false;
    }
  }

  // ---- statements ----

  private block(stmts: readonly Stmt[], ctx: Context): void {
    const real = withoutComments(stmts);
    const nestContinues = ctx.gridNest && real.length === 1 && isGridLoop(real[0]!);
    this.scopes.push(new Map());
    for (const s of stmts) this.stmt(s, { ...ctx, gridNest: nestContinues });
    this.scopes.pop();
  }

  private stmt(s: Stmt, ctx: Context): void {
    switch (s.kind) {
      case 'let': {
        this.type(s.type, `let '${s.name}'`);
        const v = s.init.kind === 'warp_reduce' || s.init.kind === 'subgroup_reduce' ? this.collectiveReduce(s.init, ctx) : this.expr(s.init);
        if (s.init.type !== s.type) this.problem(`let '${s.name}': ${s.type} initialised with ${s.init.type}`);
        this.declare(s.name, { kind: 'let', type: s.type });
        if (v) this.varying.add(s.name);
        return;
      }
      case 'assign': {
        const v = this.expr(s.value);
        const d = this.lookup(s.name);
        if (!d) this.problem(`assignment to undeclared '${s.name}'`);
        else if (d.kind === 'loop') this.problem(`loop variable '${s.name}' is assigned`);
        else if (d.kind === 'uniform') this.problem(`uniform '${s.name}' is assigned`);
        else if (d.kind === 'array') this.problem(`array '${s.name}' is assigned as a whole`);
        else if (d.type !== s.value.type) this.problem(`'${s.name}' is ${d.type} but assigned ${s.value.type}`);
        if (v || ctx.divergent) this.varying.add(s.name);
        return;
      }
      case 'store': {
        this.index(s.index, `store to '${s.buffer}'`);
        this.expr(s.value);
        const b = this.buffers.get(s.buffer);
        if (!b) {
          this.problem(`store to unknown buffer '${s.buffer}'`);
          return;
        }
        if (b.access === 'read') this.problem(`store to read-only buffer '${s.buffer}'`);
        const want = computeTypeOf(b.dtype);
        if (want && elemOf(s.value.type) !== want) this.problem(`store to '${s.buffer}' (${b.dtype}) needs ${want} or a vector of it, got ${s.value.type}`);
        return;
      }
      case 'array': {
        this.type(s.type, `array '${s.name}'`);
        if (!(Number.isInteger(s.size) && s.size > 0)) this.problem(`array '${s.name}' has size ${s.size}`);
        if (s.scope === 'workgroup' && !this.gpu) this.problem(`workgroup array '${s.name}' in a CPU schedule (workgroupSize has one thread)`);
        if (s.scope === 'workgroup' && ctx.inThread) this.problem(`workgroup array '${s.name}' declared inside a thread loop`);
        if (s.storage && (s.type !== 'f32' || s.scope !== 'workgroup')) this.problem(`array '${s.name}' with ${s.storage} storage must be a workgroup array of f32`);
        this.declare(s.name, { kind: 'array', type: s.type, scope: s.scope, ...(s.storage ? { storage: s.storage } : {}) });
        return;
      }
      case 'array_store': {
        this.index(s.index, `store to array '${s.array}'`);
        this.expr(s.value);
        const d = this.lookup(s.array);
        if (!d || d.kind !== 'array') this.problem(`array '${s.array}' is not declared in scope`);
        else if (d.type !== s.value.type) this.problem(`array '${s.array}' holds ${d.type}, stored ${s.value.type}`);
        return;
      }
      case 'for': return this.loop(s, ctx);
      case 'if': {
        const v = this.expr(s.cond);
        if (s.cond.type !== 'bool') this.problem(`if condition must be bool, got ${s.cond.type}`);
        const inner = { ...ctx, divergent: ctx.divergent || v, gridNest: false };
        this.block(s.then, inner);
        this.block(s.else, inner);
        return;
      }
      case 'barrier':
        if (!this.gpu) this.problem('barrier in a CPU schedule (workgroupSize has one thread)');
        else if (ctx.divergent) this.problem('barrier under control flow that differs between threads');
        return;
      case 'comment':
        return;
      case 'mma': return this.mma(s, ctx);
    }
  }

  /**
   * warp_reduce's and subgroup_reduce's rules (ir.ts): a scalar f32/i32, reached by every
   * thread; a warp_reduce by whole warps of 32, a subgroup_reduce on a target with subgroups.
   */
  private collectiveReduce(e: Extract<Expr, { kind: 'warp_reduce' | 'subgroup_reduce' }>, ctx: Context): boolean {
    const what = e.kind;
    this.expr(e.a);
    if (e.a.type !== 'f32' && e.a.type !== 'i32') this.problem(`${what} of ${e.a.type} (only f32 and i32)`);
    if (e.type !== e.a.type) this.problem(`${what} of ${e.a.type} gives ${e.a.type}, not ${e.type}`);
    if (what === 'warp_reduce') {
      if (!this.gpu || this.k.workgroupSize[0] % 32 !== 0) this.problem(`warp_reduce needs a workgroup x size that is a multiple of 32 (whole warps), got ${this.k.workgroupSize[0]}`);
      if (this.subgroupSize !== undefined && this.subgroupSize !== 32) this.problem(`warp_reduce on a target without 32-lane subgroups`);
    } else {
      if (!this.gpu) this.problem('subgroup_reduce outside a GPU schedule (one thread per workgroup)');
      if (this.subgroups === false) this.problem('subgroup_reduce on a target without subgroups');
    }
    if (!ctx.inThread) this.problem(`${what} outside the thread loops (every thread of the workgroup must reach it)`);
    if (ctx.divergent) this.problem(`${what} under control flow that differs between threads`);
    return true; // the same within a warp/subgroup, different between them
  }

  /** The rules of ir.ts MmaStmt: warp-collective, on workgroup tiles of the right storage. */
  private mma(s: MmaStmt, ctx: Context): void {
    const [x, y, z] = this.k.workgroupSize;
    if (!this.gpu || (x * y * z) % 32 !== 0) this.problem(`mma needs a workgroup of whole warps (a multiple of 32 threads), got ${x * y * z}`);
    if (!ctx.inThread) this.problem('mma outside the thread loops (every thread of the workgroup must reach it)');
    if (ctx.divergent) this.problem('mma under control flow that differs between threads');
    if (s.shape.join('x') !== '16x16x16') this.problem(`mma shape ${s.shape.join('x')} (only 16x16x16)`);
    const operand = (role: 'a' | 'b' | 'acc', storage: MmaInputType | undefined): void => {
      const o = s[role];
      this.index(o.offset, `mma ${role} offset`);
      if (!(Number.isInteger(o.ld) && o.ld >= 16)) this.problem(`mma ${role} leading dimension ${o.ld} is below 16`);
      const d = this.lookup(o.array);
      if (!d || d.kind !== 'array' || d.scope !== 'workgroup') this.problem(`mma ${role} '${o.array}' is not a workgroup array in scope`);
      else if (d.type !== 'f32' || d.storage !== storage) this.problem(`mma ${role} '${o.array}' must hold f32 ${storage ? `in ${storage} storage` : 'without 16-bit storage'}`);
    };
    operand('a', s.aType);
    operand('b', s.aType);
    operand('acc', undefined);
  }

  private loop(s: ForStmt, ctx: Context): void {
    const v = [this.expr(s.start), this.expr(s.end)].some(Boolean);
    if (s.start.type !== 'i32' || s.end.type !== 'i32') this.problem(`loop '${s.var}' bounds must be i32, got ${s.start.type} and ${s.end.type}`);
    if (!(Number.isInteger(s.step) && s.step > 0)) this.problem(`loop '${s.var}' has step ${s.step}`);
    const zeroStart = s.start.kind === 'const' && s.start.value === 0;
    const [kind, axis] = s.mode.split('.') as [string, GridAxis | undefined];
    if (kind === 'grid') {
      if (!ctx.gridNest) this.problem(`grid loop '${s.var}' is outside the kernel's leading perfect nest of grid loops`);
      if (this.gridAxes.has(axis!)) this.problem(`grid axis ${axis} has two loops`);
      this.gridAxes.add(axis!);
      if (!zeroStart || s.step !== 1) this.problem(`grid loop '${s.var}' must start at 0 with step 1`);
      if (!this.onlyUniforms(s.end)) this.problem(`grid loop '${s.var}' extent must use only uniforms and constants`);
    }
    if (kind === 'thread') {
      if (!this.gpu) this.problem(`thread loop '${s.var}' in a CPU schedule (workgroupSize has one thread)`);
      if (ctx.threadAxes.has(axis!)) this.problem(`thread loop '${s.var}' nests inside another thread.${axis} loop`);
      if (!zeroStart || s.step !== 1) this.problem(`thread loop '${s.var}' must start at 0 with step 1`);
      const size = this.k.workgroupSize[AXIS_INDEX[axis!]];
      if (s.end.kind === 'const' && s.end.value !== size) this.problem(`thread loop '${s.var}' runs to ${String(s.end.value)}, workgroup size on ${axis} is ${size}`);
    }
    const isThread = kind === 'thread';
    if (v || isThread) this.varying.add(s.var);
    this.scopes.push(new Map());
    this.declare(s.var, { kind: 'loop', type: 'i32' });
    this.block(s.body, {
      inThread: ctx.inThread || isThread,
      divergent: ctx.divergent || v,
      gridNest: kind === 'grid' && ctx.gridNest,
      threadAxes: isThread ? new Set([...ctx.threadAxes, axis!]) : ctx.threadAxes,
    });
    this.scopes.pop();
  }
}

/**
 * `target` (optional): the target the kernel is for; warp_reduce is refused where its
 * subgroupSize is not 32, subgroup_reduce and subgroup_size where it has no `subgroups`
 * (without one, only the target-independent rules apply).
 */
export function checkKernel(k: Kernel, target?: { readonly subgroupSize?: number; readonly subgroups?: boolean }): string[] {
  return new KernelChecker(k, target ? target.subgroupSize ?? 0 : undefined, target ? target.subgroups ?? false : undefined).run();
}

// ---- programs ----

export function checkProgram(p: Program): string[] {
  const problems: string[] = [];
  const symbols = new Set(p.dims.map((d) => d.name));
  const undeclared = (d: Dim, what: string): void => {
    for (const s of dimSymbols(d)) if (!symbols.has(s)) problems.push(`${what} uses undeclared dim '${s}'`);
  };

  const kernels = new Map<string, Kernel>();
  for (const k of p.kernels) {
    if (kernels.has(k.name)) problems.push(`kernel name '${k.name}' is used twice`);
    kernels.set(k.name, k);
    for (const msg of checkKernel(k)) problems.push(`kernel '${k.name}': ${msg}`);
  }

  const values = new Map<string, Program['values'][number]>();
  for (const v of p.values) {
    if (values.has(v.id)) problems.push(`value id '${v.id}' is used twice`);
    values.set(v.id, v);
    v.shape.forEach((d) => undeclared(d, `value ${v.id} shape`));
    if (v.constant && v.role !== 'weight') problems.push(`value ${v.id} holds constant data but is a ${v.role}`);
    if (v.constant && v.constant.dtype !== v.dtype) problems.push(`value ${v.id} is ${v.dtype} but its constant is ${v.constant.dtype}`);
  }
  const listed = (ids: readonly string[], role: 'input' | 'output'): void => {
    for (const id of ids) {
      const v = values.get(id);
      if (!v) problems.push(`${role} '${id}' is not a value`);
      else if (v.role !== role) problems.push(`${role} '${id}' has role ${v.role}`);
    }
    for (const v of p.values) if (v.role === role && !ids.includes(v.id)) problems.push(`value ${v.id} has role ${role} but is not in the program's ${role}s`);
  };
  listed(p.inputs, 'input');
  listed(p.outputs, 'output');

  const written = new Set(p.values.filter((v) => v.role === 'input' || v.role === 'weight' || v.role === 'state').map((v) => v.id));
  p.dispatches.forEach((d, i) => {
    const where = `dispatch ${i} (${d.kernel})`;
    const k = kernels.get(d.kernel);
    if (!k) {
      problems.push(`${where}: no kernel '${d.kernel}'`);
      return;
    }
    const params = new Set(k.buffers.map((b) => b.name));
    for (const name of Object.keys(d.buffers)) if (!params.has(name)) problems.push(`${where}: binds '${name}', which is not a buffer of the kernel`);
    const boundTo = new Map<string, string[]>();
    for (const b of k.buffers) {
      const id = d.buffers[b.name];
      if (id === undefined) {
        problems.push(`${where}: buffer '${b.name}' is not bound`);
        continue;
      }
      const v = values.get(id);
      if (!v) {
        problems.push(`${where}: buffer '${b.name}' is bound to unknown value '${id}'`);
        continue;
      }
      boundTo.set(id, [...(boundTo.get(id) ?? []), b.name]);
      if (v.dtype !== b.dtype) problems.push(`${where}: buffer '${b.name}' is ${b.dtype} but value ${id} is ${v.dtype}`);
      if (b.access === 'read' && !written.has(id)) problems.push(`${where}: reads value ${id} ('${v.name}') before any dispatch writes it`);
      if (b.access !== 'read' && (v.role === 'weight' || v.role === 'input')) problems.push(`${where}: writes ${v.role} value ${id} ('${v.name}')`);
    }
    for (const [id, names] of boundTo) {
      const writes = names.some((n) => k.buffers.find((b) => b.name === n)!.access !== 'read');
      if (names.length > 1 && writes) problems.push(`${where}: value ${id} is bound to ${names.join(' and ')}, and one of them is written`);
    }
    for (const b of k.buffers) if (b.access !== 'read' && d.buffers[b.name] !== undefined) written.add(d.buffers[b.name]!);

    const uniforms = new Set(k.uniforms.map((u) => u.name));
    for (const u of k.uniforms) if (!(u.name in d.uniforms)) problems.push(`${where}: uniform '${u.name}' is not given`);
    for (const [name, dim] of Object.entries(d.uniforms)) {
      if (!uniforms.has(name)) problems.push(`${where}: gives '${name}', which is not a uniform of the kernel`);
      undeclared(dim, `${where} uniform '${name}'`);
    }
    const nest = gridLoops(k).length;
    if (d.grid.length !== nest) problems.push(`${where}: grid has ${d.grid.length} extents, the kernel has ${nest} grid loops`);
    d.grid.forEach((g) => undeclared(g, `${where} grid`));
  });
  for (const id of p.outputs) if (values.has(id) && !written.has(id)) problems.push(`output ${id} ('${values.get(id)!.name}') is never written`);
  return problems;
}
