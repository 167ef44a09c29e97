// The Kernel IR interpreter: runs a kernel exactly as the IR defines it, so lowering is tested
// apart from any printer (DESIGN "Two IR levels"). Scalar semantics are in interpret-ops.ts.
//
// A kernel is compiled once to JS closures (`compileKernel`, cached per Kernel object): every
// local, loop variable, uniform and array gets a slot in a frame array, every op its function,
// so running walks no tree and looks up no names.
//
// Buffers hold host storage as compiler/interpret/tensor.ts does (allocData(dtype)): f16 and
// bf16 as Float32Array of values already rounded, bool as Uint8Array, i64/u64 as BigInt arrays.
// Loads and stores outside a buffer or array throw a KernelRunError naming the kernel, the
// buffer, the index and the bound — that is how lowering bugs show up.
//
// `reduce_lanes` folds lanes in order (lane 0 first); `fma` rounds once (a·b + c in f64, then
// to the type), which may differ in the last ulp from a target that multiplies then adds.
// Loops evaluate `start` and `end` once, on entry. Grid loops run serially; when a grid is
// given, each grid loop's extent must equal its entry.
//
// GPU schedules: a `thread.*` loop whose body holds no barrier runs as a serial loop (one
// valid interleaving). A perfect nest of `thread.*` loops whose innermost body holds barriers
// runs its threads in lock-step: each thread gets its own copy of the frame (workgroup arrays
// stay shared, being one object) and runs as a coroutine up to its next barrier; when all
// threads have reached it, all continue. Restrictions: a thread that finishes while others wait
// at a barrier is an error (a divergent barrier); barrier-holding thread loops cannot nest
// inside such a body; a barrier outside any thread loop is a no-op (the interpreter runs the
// statements between thread loops once per workgroup, after all threads of the previous
// loop). Locals written by threads are lost when the nest ends, as on a GPU.
//
// Tensor-core `mma` statements (ir.ts MmaStmt) put their thread nest in lock-step too; lane 0
// of each warp (linear thread id a multiple of 32) computes the warp's whole 16×16 tile with
// its own offsets when it reaches the statement, the other lanes skip it. That is exact under
// the IR's rule that inputs are written before a preceding barrier.
//
// `let v = warp_reduce(op, a)` is a phase point like a barrier (it puts its nest in lock-step):
// each thread posts `a`, and once all have, each folds the posts of its warp (32 consecutive
// linear ids) in lane order. A GPU's butterfly sums in another order (f32 sums may differ in
// the last bits); max/min agree exactly. `subgroup_reduce` is the same phase point over
// subgroups of `subgroupSize` consecutive linear ids (an option, default 32: the hardware's
// width is known only at run time), and `subgroup_size` reads that option.

import type { TensorData } from '../interpret/tensor.js';
import { allocData } from '../interpret/tensor.js';
import { checkKernel } from './check.js';
import {
  binaryFn, castFn, fmaFn, loadConversion, storeConversion, unaryFn, zeroOf,
  type BinaryFn, type Scalar, type UnaryFn, type Value,
} from './interpret-ops.js';
import { elemOf, isVector, lanesOf, type Expr, type Kernel, type KType, type MmaStmt, type Stmt } from './ir.js';

/** The frame slot holding a thread's linear id inside a lock-step nest (not an IR identifier). */
const LINEAR_THREAD = '%linear_thread';
/** The frame slot holding the lock-step nest's shared warp_reduce mailbox (one value per linear id). */
const WARP_MAILBOX = '%warp_mailbox';

/** Host storage of one buffer (the typed array `allocData(dtype)` gives). */
export type TypedArrayLike = TensorData;

export type KernelBuffers = Readonly<Record<string, TypedArrayLike>>;
export type KernelUniforms = Readonly<Record<string, number>>;

/** Runs the compiled kernel once over the whole grid. */
export type CompiledKernel = (buffers: KernelBuffers, uniforms: KernelUniforms, grid?: readonly number[]) => void;

/** An error while running a kernel: out-of-bounds access, bad arguments, division by zero. */
export class KernelRunError extends Error {
  constructor(readonly kernel: string, message: string) {
    super(`kernel '${kernel}': ${message}`);
  }
}

export interface CompileOptions {
  /** Run checkKernel first and refuse a kernel with problems (default true). */
  readonly check?: boolean;
  /** The subgroup width `subgroup_reduce` and `subgroup_size` run with (default 32; a power of two). */
  readonly subgroupSize?: number;
}

/** The subgroup width the interpreter runs with when none is given. */
export const DEFAULT_SUBGROUP_SIZE = 32;

type Frame = unknown[];
type Ev = (f: Frame) => Value;
type Exec = (f: Frame) => void;
type GenExec = (f: Frame) => Generator<void, void, void>;

/** Mutable per-run state the closures read (buffers are bound per run). */
interface RunState {
  bufs: TypedArrayLike[];
  grid: readonly number[] | undefined;
}

const cache = new WeakMap<Kernel, Map<number, CompiledKernel>>();

/** Compiles (once per kernel object and subgroup width) and runs `k`. */
export function runKernel(
  k: Kernel, buffers: KernelBuffers, uniforms: KernelUniforms, grid?: readonly number[],
  options: { readonly subgroupSize?: number } = {},
): void {
  const width = options.subgroupSize ?? DEFAULT_SUBGROUP_SIZE;
  let byWidth = cache.get(k);
  if (!byWidth) {
    byWidth = new Map();
    cache.set(k, byWidth);
  }
  let run = byWidth.get(width);
  if (!run) {
    run = compileKernel(k, { subgroupSize: width });
    byWidth.set(width, run);
  }
  run(buffers, uniforms, grid);
}

export function compileKernel(k: Kernel, options: CompileOptions = {}): CompiledKernel {
  if (options.check ?? true) {
    const problems = checkKernel(k);
    if (problems.length > 0) throw new KernelRunError(k.name, `invalid kernel:\n  ${problems.join('\n  ')}`);
  }
  const width = options.subgroupSize ?? DEFAULT_SUBGROUP_SIZE;
  if (!(Number.isInteger(width) && width >= 1 && (width & (width - 1)) === 0)) throw new KernelRunError(k.name, `subgroup size ${width} is not a power of two`);
  return new KernelCompiler(k, width).compile();
}

/** A phase point of the lock-step threads: a barrier or a warp reduction. */
function containsBarrier(stmts: readonly Stmt[]): boolean {
  return stmts.some((s) =>
    s.kind === 'barrier'
    || isCollectiveReduce(s)
    || (s.kind === 'for' && containsBarrier(s.body))
    || (s.kind === 'if' && (containsBarrier(s.then) || containsBarrier(s.else))));
}

/** `let v = warp_reduce(…)` or `let v = subgroup_reduce(…)`. */
function isCollectiveReduce(s: Stmt): s is Extract<Stmt, { kind: 'let' }> & { readonly init: Extract<Expr, { kind: 'warp_reduce' | 'subgroup_reduce' }> } {
  return s.kind === 'let' && (s.init.kind === 'warp_reduce' || s.init.kind === 'subgroup_reduce');
}

function containsMma(stmts: readonly Stmt[]): boolean {
  return stmts.some((s) =>
    s.kind === 'mma'
    || (s.kind === 'for' && containsMma(s.body))
    || (s.kind === 'if' && (containsMma(s.then) || containsMma(s.else))));
}

function isThreadLoop(s: Stmt): s is Extract<Stmt, { kind: 'for' }> {
  return s.kind === 'for' && s.mode.startsWith('thread.');
}

function withoutComments(stmts: readonly Stmt[]): Stmt[] {
  return stmts.filter((s) => s.kind !== 'comment');
}

function mapLanes1(f: UnaryFn): (a: Value) => Value {
  return (a) => (a as readonly Scalar[]).map(f);
}

function mapLanes2(f: BinaryFn): (a: Value, b: Value) => Value {
  return (a, b) => {
    const x = a as readonly Scalar[];
    const y = b as readonly Scalar[];
    const r = new Array<Scalar>(x.length);
    for (let i = 0; i < x.length; i++) r[i] = f(x[i]!, y[i]!);
    return r;
  };
}

function zeroValue(t: KType): Value {
  const z = zeroOf(elemOf(t));
  return isVector(t) ? new Array<Scalar>(lanesOf(t)).fill(z) : z;
}

class KernelCompiler {
  private readonly slots = new Map<string, number>();
  private readonly bufferIndex = new Map<string, number>();
  private readonly state: RunState = { bufs: [], grid: undefined };
  private gridLoops = 0;
  private readonly storage = new Map<string, 'f16' | 'bf16'>();

  constructor(private readonly k: Kernel, private readonly subgroupWidth: number) {
    k.buffers.forEach((b, i) => this.bufferIndex.set(b.name, i));
    const collect = (stmts: readonly Stmt[]): void => {
      for (const s of stmts) {
        if (s.kind === 'array' && s.storage) this.storage.set(s.name, s.storage);
        else if (s.kind === 'for') collect(s.body);
        else if (s.kind === 'if') { collect(s.then); collect(s.else); }
      }
    };
    collect(k.body);
  }

  private error(message: string): KernelRunError {
    return new KernelRunError(this.k.name, message);
  }

  private slot(name: string): number {
    let s = this.slots.get(name);
    if (s === undefined) {
      s = this.slots.size;
      this.slots.set(name, s);
    }
    return s;
  }

  compile(): CompiledKernel {
    const k = this.k;
    const uniformSlots = k.uniforms.map((u) => [u.name, this.slot(u.name)] as const);
    const body = this.block(k.body);
    const gridLoops = this.gridLoops;
    const state = this.state;
    const expected = k.buffers.map((b) => allocData(b.dtype, 0).constructor);
    return (buffers, uniforms, grid) => {
      k.buffers.forEach((b, i) => {
        const data = buffers[b.name];
        if (!data) throw this.error(`no data for buffer '${b.name}'`);
        if (data.constructor !== expected[i]) {
          throw this.error(`buffer '${b.name}' of ${b.dtype} needs a ${expected[i]!.name}, got a ${data.constructor.name}`);
        }
        state.bufs[i] = data;
      });
      if (grid && grid.length !== gridLoops) throw this.error(`grid has ${grid.length} extents, the kernel has ${gridLoops} grid loops`);
      state.grid = grid;
      const frame: Frame = new Array(this.slots.size);
      for (const [name, s] of uniformSlots) {
        const v = uniforms[name];
        if (v === undefined) throw this.error(`no value for uniform '${name}'`);
        if (!Number.isInteger(v) || (v | 0) !== v) throw this.error(`uniform '${name}' = ${v} is not an i32`);
        frame[s] = v;
      }
      try {
        body(frame);
      } catch (e) {
        if (e instanceof KernelRunError) throw e;
        throw this.error(e instanceof Error ? e.message : String(e));
      }
    };
  }

  // ---- expressions ----

  private expr(e: Expr): Ev {
    switch (e.kind) {
      case 'const': {
        const scalar = castFn(typeof e.value === 'boolean' ? 'bool' : 'f64', elemOf(e.type))(e.value);
        const v: Value = isVector(e.type) ? new Array<Scalar>(lanesOf(e.type)).fill(scalar) : scalar;
        return () => v;
      }
      case 'var': {
        const s = this.slot(e.name);
        return (f) => f[s] as Value;
      }
      case 'unary': {
        const a = this.expr(e.a);
        const fn = unaryFn(e.op, elemOf(e.type));
        if (!isVector(e.type)) return (f) => fn(a(f) as Scalar);
        const lanes = mapLanes1(fn);
        return (f) => lanes(a(f));
      }
      case 'binary': {
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        const fn = binaryFn(e.op, elemOf(e.a.type));
        if (!isVector(e.a.type)) return (f) => fn(a(f) as Scalar, b(f) as Scalar);
        const lanes = mapLanes2(fn);
        return (f) => lanes(a(f), b(f));
      }
      case 'fma': {
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        const c = this.expr(e.c);
        const fn = fmaFn(elemOf(e.type));
        if (!isVector(e.type)) return (f) => fn(a(f) as Scalar, b(f) as Scalar, c(f) as Scalar);
        return (f) => {
          const x = a(f) as readonly Scalar[], y = b(f) as readonly Scalar[], z = c(f) as readonly Scalar[];
          return x.map((xi, i) => fn(xi, y[i]!, z[i]!));
        };
      }
      case 'select': {
        const c = this.expr(e.cond);
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        // Both sides are evaluated (the IR says so): a guarded load must not rely on select.
        if (!isVector(e.cond.type)) {
          return (f) => {
            const cv = c(f), av = a(f), bv = b(f);
            return cv ? av : bv;
          };
        }
        return (f) => {
          const cv = c(f) as readonly boolean[], av = a(f) as readonly Scalar[], bv = b(f) as readonly Scalar[];
          return cv.map((ci, i) => (ci ? av[i]! : bv[i]!));
        };
      }
      case 'cast': {
        const a = this.expr(e.a);
        const fn = castFn(elemOf(e.a.type), elemOf(e.type));
        if (!isVector(e.type)) return (f) => fn(a(f) as Scalar);
        const lanes = mapLanes1(fn);
        return (f) => lanes(a(f));
      }
      case 'load': return this.load(e);
      case 'array_load': {
        const s = this.slot(e.array);
        const index = this.expr(e.index);
        const name = e.array;
        return (f) => {
          const arr = f[s] as Value[] | undefined;
          if (!arr) throw this.error(`array '${name}' used before its declaration ran`);
          const i = index(f) as number;
          if (!(i >= 0 && i < arr.length)) throw this.error(`load of ${name}[${i}] is out of bounds (${name} has ${arr.length} elements)`);
          return arr[i]!;
        };
      }
      case 'splat': {
        const a = this.expr(e.a);
        const n = lanesOf(e.type);
        return (f) => new Array<Scalar>(n).fill(a(f) as Scalar);
      }
      case 'vector': {
        const parts = e.parts.map((p) => this.expr(p));
        return (f) => parts.map((p) => p(f) as Scalar);
      }
      case 'lane': {
        const a = this.expr(e.a);
        const lane = e.lane;
        return (f) => (a(f) as readonly Scalar[])[lane]!;
      }
      case 'reduce_lanes': {
        const a = this.expr(e.a);
        const fn = binaryFn(e.op, e.type);
        return (f) => {
          const v = a(f) as readonly Scalar[];
          let acc = v[0]!;
          for (let i = 1; i < v.length; i++) acc = fn(acc, v[i]!);
          return acc;
        };
      }
      case 'warp_reduce': case 'subgroup_reduce': {
        const name = this.k.name;
        const kind = e.kind;
        return () => {
          throw new KernelRunError(name, `${kind} outside a let initializer in the thread loops`);
        };
      }
      case 'subgroup_size': {
        const width = this.subgroupWidth;
        return () => width;
      }
    }
  }

  private bufferOf(name: string): { index: number; dtype: Kernel['buffers'][number]['dtype'] } {
    const index = this.bufferIndex.get(name);
    if (index === undefined) throw this.error(`no buffer '${name}'`);
    return { index, dtype: this.k.buffers[index]!.dtype };
  }

  private outOfBounds(what: 'load' | 'store', name: string, i: number, lanes: number, length: number): KernelRunError {
    const at = lanes === 1 ? `${i}` : `${i}..${i + lanes - 1}`;
    return this.error(`${what} of ${name}[${at}] is out of bounds (${name} has ${length} elements)`);
  }

  private load(e: Extract<Expr, { kind: 'load' }>): Ev {
    const { index: bi, dtype } = this.bufferOf(e.buffer);
    const index = this.expr(e.index);
    const conv = loadConversion(dtype);
    const lanes = lanesOf(e.type);
    const name = e.buffer;
    const state = this.state;
    if (lanes === 1) {
      return (f) => {
        const buf = state.bufs[bi]!;
        const i = index(f) as number;
        if (!(i >= 0 && i < buf.length)) throw this.outOfBounds('load', name, i, 1, buf.length);
        const raw = buf[i]!;
        return conv ? conv(raw) : raw;
      };
    }
    return (f) => {
      const buf = state.bufs[bi]!;
      const i = index(f) as number;
      if (!(i >= 0 && i + lanes <= buf.length)) throw this.outOfBounds('load', name, i, lanes, buf.length);
      const out = new Array<Scalar>(lanes);
      for (let l = 0; l < lanes; l++) {
        const raw = buf[i + l]!;
        out[l] = conv ? conv(raw) : raw;
      }
      return out;
    };
  }

  // ---- statements ----

  private block(stmts: readonly Stmt[]): Exec {
    const execs = stmts.filter((s) => s.kind !== 'comment').map((s) => this.stmt(s));
    if (execs.length === 0) return () => {};
    if (execs.length === 1) return execs[0]!;
    return (f) => {
      for (const x of execs) x(f);
    };
  }

  private stmt(s: Stmt): Exec {
    switch (s.kind) {
      case 'let': case 'assign': {
        const slot = this.slot(s.name);
        const v = this.expr(s.kind === 'let' ? s.init : s.value);
        return (f) => {
          f[slot] = v(f);
        };
      }
      case 'store': return this.store(s);
      case 'array': {
        const slot = this.slot(s.name);
        const zero = zeroValue(s.type);
        const size = s.size;
        return (f) => {
          f[slot] = new Array<Value>(size).fill(zero);
        };
      }
      case 'array_store': {
        const slot = this.slot(s.array);
        const index = this.expr(s.index);
        const stored = this.expr(s.value);
        // A 16-bit storage array keeps its values rounded to that type.
        const storage = this.storage.get(s.array);
        const round = storage ? storeConversion(storage) : undefined;
        const value: Ev = round ? (f) => round(stored(f) as Scalar) as number : stored;
        const name = s.array;
        return (f) => {
          const arr = f[slot] as Value[] | undefined;
          if (!arr) throw this.error(`array '${name}' used before its declaration ran`);
          const i = index(f) as number;
          if (!(i >= 0 && i < arr.length)) throw this.error(`store of ${name}[${i}] is out of bounds (${name} has ${arr.length} elements)`);
          arr[i] = value(f);
        };
      }
      case 'for':
        if (isThreadLoop(s) && (containsBarrier(s.body) || containsMma(s.body))) return this.lockStep(s);
        return this.loop(s);
      case 'if': {
        const c = this.expr(s.cond);
        const then = this.block(s.then);
        const otherwise = this.block(s.else);
        return (f) => {
          if (c(f)) then(f);
          else otherwise(f);
        };
      }
      case 'barrier': return () => {}; // outside thread loops: the interpreter is already in step
      case 'comment': return () => {};
      case 'mma': return this.mma(s);
    }
  }

  /** acc += a·b on 16×16 tiles, by lane 0 of each warp (see the header). */
  private mma(s: MmaStmt): Exec {
    const linear = this.slot(LINEAR_THREAD);
    const [M, N, K] = s.shape;
    const operand = (o: MmaStmt['a'], rows: number, cols: number) => {
      const slot = this.slot(o.array);
      const offset = this.expr(o.offset);
      return (f: Frame): ((r: number, c: number) => number) & { arr: Value[]; base: number } => {
        const arr = f[slot] as Value[] | undefined;
        if (!arr) throw this.error(`array '${o.array}' used before its declaration ran`);
        const base = offset(f) as number;
        const last = base + (rows - 1) * o.ld + cols - 1;
        if (!(base >= 0 && last < arr.length)) throw this.error(`mma tile ${o.array}[${base}..${last}] is out of bounds (${o.array} has ${arr.length} elements)`);
        return Object.assign((r: number, c: number) => arr[base + r * o.ld + c] as number, { arr, base });
      };
    };
    const a = operand(s.a, M, K), b = operand(s.b, K, N), acc = operand(s.acc, M, N);
    const ldc = s.acc.ld;
    return (f) => {
      const id = f[linear] as number | undefined;
      if (id === undefined) throw this.error('mma statement outside the thread loops');
      if (id % 32 !== 0) return;
      const A = a(f), B = b(f), C = acc(f);
      const out = new Array<number>(M * N);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let sum = 0; // products of 16-bit floats are exact in f64, as is their sum of 16
          for (let k = 0; k < K; k++) sum += A(i, k) * B(k, j);
          out[i * N + j] = Math.fround(C(i, j) + sum);
        }
      }
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) C.arr[C.base + i * ldc + j] = out[i * N + j]!;
    };
  }

  private store(s: Extract<Stmt, { kind: 'store' }>): Exec {
    const { index: bi, dtype } = this.bufferOf(s.buffer);
    const index = this.expr(s.index);
    const value = this.expr(s.value);
    const conv = storeConversion(dtype);
    const lanes = lanesOf(s.value.type);
    const name = s.buffer;
    const state = this.state;
    return (f) => {
      const buf = state.bufs[bi]! as { [i: number]: number | bigint; length: number };
      const i = index(f) as number;
      if (!(i >= 0 && i + lanes <= buf.length)) throw this.outOfBounds('store', name, i, lanes, buf.length);
      const v = value(f);
      if (lanes === 1) {
        buf[i] = conv ? conv(v as Scalar) : (v as number | bigint);
      } else {
        const lv = v as readonly Scalar[];
        for (let l = 0; l < lanes; l++) buf[i + l] = conv ? conv(lv[l]!) : (lv[l] as number | bigint);
      }
    };
  }

  private loop(s: Extract<Stmt, { kind: 'for' }>): Exec {
    const slot = this.slot(s.var);
    const start = this.expr(s.start);
    const end = this.expr(s.end);
    const step = s.step;
    // Grid loops are numbered outermost first, so the number is taken before the body compiles.
    const axis = s.mode.startsWith('grid.') ? this.gridLoops++ : -1;
    const body = this.block(s.body);
    if (axis < 0) {
      return (f) => {
        const e = end(f) as number;
        for (let v = start(f) as number; v < e; v += step) {
          f[slot] = v;
          body(f);
        }
      };
    }
    const state = this.state;
    const name = s.var;
    return (f) => {
      const e = end(f) as number;
      const given = state.grid?.[axis];
      if (given !== undefined && given !== e) throw this.error(`grid loop '${name}' runs to ${e}, the dispatch grid says ${given}`);
      for (let v = start(f) as number; v < e; v += step) {
        f[slot] = v;
        body(f);
      }
    };
  }

  // ---- lock-step threads (GPU schedules with barriers) ----

  private lockStep(outer: Extract<Stmt, { kind: 'for' }>): Exec {
    const nest: Extract<Stmt, { kind: 'for' }>[] = [outer];
    for (;;) {
      const inner = withoutComments(nest[nest.length - 1]!.body);
      if (inner.length === 1 && isThreadLoop(inner[0]!)) nest.push(inner[0]);
      else break;
    }
    const [wx, wy] = this.k.workgroupSize;
    const axisScale = { x: 1, y: wx, z: wx * wy } as const;
    const loops = nest.map((l) => ({
      slot: this.slot(l.var), start: this.expr(l.start), end: this.expr(l.end), step: l.step,
      scale: axisScale[l.mode.slice('thread.'.length) as 'x' | 'y' | 'z'],
    }));
    const linear = this.slot(LINEAR_THREAD);
    const mailbox = this.slot(WARP_MAILBOX);
    const body = this.genBlock(nest[nest.length - 1]!.body);
    return (f) => {
      // Every thread's loop indices, outermost loop varying slowest.
      const base0 = f.slice();
      base0[linear] = 0;
      base0[mailbox] = [];
      let frames: Frame[] = [base0];
      for (const l of loops) {
        const next: Frame[] = [];
        for (const base of frames) {
          const e = l.end(base) as number;
          for (let v = l.start(base) as number; v < e; v += l.step) {
            const t = base.slice();
            t[l.slot] = v;
            t[linear] = (t[linear] as number) + v * l.scale;
            next.push(t);
          }
        }
        frames = next;
      }
      const threads = frames.map((t) => body(t));
      for (let phase = 1; ; phase++) {
        let done = 0;
        for (const t of threads) if (t.next().done) done++;
        if (done === threads.length) return;
        if (done > 0) throw this.error(`barrier phase ${phase}: ${threads.length - done} of ${threads.length} threads wait at a barrier the others never reach`);
      }
    };
  }

  private genBlock(stmts: readonly Stmt[]): GenExec {
    const parts = withoutComments(stmts).map((s) =>
      containsBarrier([s]) ? { gen: this.genStmt(s) } : { plain: this.stmt(s) });
    return function* (f) {
      for (const p of parts) {
        if (p.gen) yield* p.gen(f);
        else p.plain!(f);
      }
    };
  }

  /**
   * `let v = warp_reduce(op, a)`: every thread posts `a` under its linear id and waits (a
   * phase); then each folds its warp's 32 posts in lane order and waits again, so no thread
   * posts the next warp_reduce before all have read this one. subgroup_reduce: the same over
   * subgroups of the compile option's width.
   */
  private collectiveReduce(name: string, e: Extract<Expr, { kind: 'warp_reduce' | 'subgroup_reduce' }>): GenExec {
    const width = e.kind === 'warp_reduce' ? 32 : this.subgroupWidth;
    const what = e.kind === 'warp_reduce' ? 'warp' : 'subgroup';
    const slot = this.slot(name);
    const linear = this.slot(LINEAR_THREAD);
    const mailbox = this.slot(WARP_MAILBOX);
    const a = this.expr(e.a);
    const fn = binaryFn(e.op, e.type);
    const error = (m: string) => this.error(m);
    return function* (f) {
      const posts = f[mailbox] as Value[];
      const id = f[linear] as number;
      posts[id] = a(f);
      yield;
      const first = id - (id % width);
      let acc = posts[first];
      for (let l = 1; l < width; l++) {
        const v = posts[first + l];
        if (acc === undefined || v === undefined) throw error(`${e.kind}: ${what} of threads ${first}..${first + width - 1} is not whole`);
        acc = fn(acc as Scalar, v as Scalar);
      }
      f[slot] = acc;
      yield;
    };
  }

  /** A statement that holds a barrier, as a coroutine yielding at each barrier. */
  private genStmt(s: Stmt): GenExec {
    if (isCollectiveReduce(s)) return this.collectiveReduce(s.name, s.init);
    switch (s.kind) {
      case 'barrier':
        return function* () {
          yield;
        };
      case 'if': {
        const c = this.expr(s.cond);
        const then = this.genBlock(s.then);
        const otherwise = this.genBlock(s.else);
        return function* (f) {
          if (c(f)) yield* then(f);
          else yield* otherwise(f);
        };
      }
      case 'for': {
        if (s.mode.startsWith('thread.')) throw this.error(`thread loop '${s.var}' with barriers inside another one is not supported by the interpreter`);
        const slot = this.slot(s.var);
        const start = this.expr(s.start);
        const end = this.expr(s.end);
        const step = s.step;
        const body = this.genBlock(s.body);
        return function* (f) {
          const e = end(f) as number;
          for (let v = start(f) as number; v < e; v += step) {
            f[slot] = v;
            yield* body(f);
          }
        };
      }
      default:
        throw this.error(`statement ${s.kind} cannot hold a barrier`);
    }
  }
}
