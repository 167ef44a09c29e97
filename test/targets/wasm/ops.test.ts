// Every Kernel IR unary and binary op the interpreter defines, on every scalar type and on
// the 4-lane vectors, and every cast, printed to wasm and compared with the interpreter on
// fresh random inputs (specials included: NaN, ±inf, saturating float → int).

import { describe, test } from 'vitest';
import type { DType } from '../../../compiler/ir/dtype.js';
import { roundToHalf } from '../../../compiler/interpret/float-formats.js';
import { allocData, type TensorData } from '../../../compiler/interpret/tensor.js';
import { binary, cast, i32, KernelBuilder, load, mul, store, unary } from '../../../compiler/kernel/builder.js';
import { binaryFn, unaryFn } from '../../../compiler/kernel/interpret-ops.js';
import type { KBinaryOp, KType, KUnaryOp, ScalarType } from '../../../compiler/kernel/ir.js';
import { seededRandom } from '../../helpers/random.js';
import { expectWasmMatchesInterpreter, freshSeed, loadKernels } from './harness.js';

const UNARY_OPS: readonly KUnaryOp[] = ['neg', 'abs', 'sign', 'not', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'erf', 'sin', 'cos', 'floor', 'ceil', 'round', 'trunc'];
const BINARY_OPS: readonly KBinaryOp[] = ['add', 'sub', 'mul', 'div', 'rem', 'pow', 'max', 'min', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'xor', 'shl', 'shr'];
const TRANSCENDENTAL = new Set<string>(['exp', 'log', 'tanh', 'erf', 'sin', 'cos', 'pow']);

const STORAGE: Readonly<Record<ScalarType, DType>> = { f32: 'f32', f64: 'f64', f16: 'f16', i32: 'i32', u32: 'u32', i64: 'i64', bool: 'bool' };
const COMPARISONS = new Set<KBinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function defined(f: () => unknown): boolean {
  try { f(); return true; } catch { return false; }
}

/** Random storage data of `dtype`: no zeros where `nonzero`, small non-negative values where `small`. */
function randomData(dtype: DType, n: number, next: () => number, kind: 'any' | 'nonzero' | 'small' = 'any'): TensorData {
  const data = allocData(dtype, n);
  for (let i = 0; i < n; i++) {
    const r = next();
    let v: number;
    if (kind === 'small') v = Math.floor(((r + 1) / 2) * 7);
    else if (dtype === 'f32' || dtype === 'f64' || dtype === 'f16') v = r * 6;
    else if (dtype === 'bool') v = r < 0 ? 0 : 1;
    else if (dtype === 'u32') v = Math.floor(((r + 1) / 2) * 4e9);
    else v = Math.floor(r * 1000);
    if (kind === 'nonzero' && v === 0) v = dtype === 'bool' ? 1 : 3;
    if (dtype === 'i64') (data as BigInt64Array)[i] = BigInt(v) * (kind === 'small' ? 1n : 1234567n);
    else (data as Float32Array)[i] = dtype === 'f16' ? roundToHalf(v) : v;
  }
  return data;
}

function tolerance(op: string, t: ScalarType): { rtol: number; atol: number } {
  if (!TRANSCENDENTAL.has(op)) return { rtol: 0, atol: 0 };
  if (t === 'f16') return { rtol: 1e-3, atol: 1e-7 };
  if (t === 'f64') return { rtol: 1e-13, atol: 1e-15 };
  return { rtol: 2.4e-7, atol: 1e-38 };
}

const SCALARS: readonly ScalarType[] = ['f32', 'f64', 'f16', 'i32', 'u32', 'i64', 'bool'];
const VECTORS: readonly ScalarType[] = ['f32', 'i32', 'u32', 'bool'];

describe('wasm ops match the interpreter', () => {
  for (const lanes of [1, 4]) {
    for (const t of lanes === 1 ? SCALARS : VECTORS) {
      const type: KType = lanes === 1 ? t : (`${t}x4` as KType);
      const unaries = UNARY_OPS.filter((op) => defined(() => unaryFn(op, t)));
      // the checker refuses max/min on bool, which the interpreter alone would run
      const binaries = BINARY_OPS.filter((op) => defined(() => binaryFn(op, t)) && !(t === 'bool' && (op === 'max' || op === 'min')));
      for (const size of [1, 7, 129]) {
        test(`${type}: ${unaries.length} unary and ${binaries.length} binary ops (size ${size})`, () => {
          const seed = freshSeed();
          const next = seededRandom(seed);
          const dtype = STORAGE[t];
          const n = size * lanes;
          const kb = new KernelBuilder(`ops_${type}`, []);
          const [a, b, nz, small] = [kb.buffer('a', dtype, 'read'), kb.buffer('b', dtype, 'read'), kb.buffer('nz', dtype, 'read'), kb.buffer('small', dtype, 'read')];
          const outs = new Map<string, { dtype: DType; op: string }>();
          kb.loop('i', i32(0), kb.uniform('n'), 'grid.x', (i) => {
            const at = lanes === 1 ? i : mul(i, i32(lanes));
            const [va, vb] = [load(a, at, lanes), load(b, at, lanes)];
            for (const op of unaries) {
              const out = kb.buffer(`u_${op}`, dtype, 'write');
              outs.set(out.name, { dtype, op });
              kb.emit(store(out, at, unary(op, va)));
            }
            for (const op of binaries) {
              const outType = COMPARISONS.has(op) ? 'bool' : dtype;
              const out = kb.buffer(`b_${op}`, outType, 'write');
              outs.set(out.name, { dtype: outType, op });
              const isInt = t === 'i32' || t === 'u32' || t === 'i64';
              const rhs = isInt && (op === 'div' || op === 'rem') ? load(nz, at, lanes)
                : isInt && (op === 'shl' || op === 'shr' || op === 'pow') ? load(small, at, lanes) : vb;
              kb.emit(store(out, at, binary(op, va, rhs)));
            }
          });
          const kernel = kb.finish();
          const buffers: Record<string, TensorData> = {
            a: randomData(dtype, n, next), b: randomData(dtype, n, next),
            nz: randomData(dtype, n, next, 'nonzero'), small: randomData(dtype, n, next, 'small'),
          };
          if (t === 'f32' || t === 'f64' || t === 'f16') {
            const specials = [NaN, Infinity, -Infinity, -0, 0.5, -2.5];
            specials.forEach((v, k) => { if (k < n) (buffers.a as Float32Array)[k] = v; });
          }
          for (const [name, { dtype: d }] of outs) buffers[name] = allocData(d, n);
          const loaded = loadKernels([kernel]);
          // one comparison per op so a failure names it
          const worst = [...outs.values()].reduce((acc, { op }) => {
            const tol = tolerance(op, t);
            return { rtol: Math.max(acc.rtol, tol.rtol), atol: Math.max(acc.atol, tol.atol) };
          }, { rtol: 0, atol: 0 });
          expectWasmMatchesInterpreter(loaded, kernel, buffers, { n: size }, { ...worst, label: `seed ${seed} ${type}` });
        });
      }
    }
  }
});

describe('wasm casts match the interpreter (saturating, NaN → 0)', () => {
  const SPECIALS = [NaN, Infinity, -Infinity, 1e10, -1e10, 3.7, -3.7, 0.5, -0.5, 2 ** 31, -(2 ** 31) - 256, 4294967296, 9.3e18, -9.3e18, -0];
  for (const from of SCALARS) {
    test(`from ${from} to every scalar type, and f32x4/i32x4/u32x4/boolx4 casts`, () => {
      const seed = freshSeed();
      const next = seededRandom(seed);
      const n = 129;
      const dtype = STORAGE[from];
      const kb = new KernelBuilder(`cast_${from}`, []);
      const x = kb.buffer('x', dtype, 'read');
      const targets = SCALARS.filter((to) => to !== from);
      kb.loop('i', i32(0), kb.uniform('n'), 'grid.x', (i) => {
        for (const to of targets) kb.emit(store(kb.buffer(`to_${to}`, STORAGE[to], 'write'), i, cast(load(x, i), to)));
      });
      const kernel = kb.finish();
      const buffers: Record<string, TensorData> = { x: randomData(dtype, n, next) };
      if (from === 'f32' || from === 'f64' || from === 'f16') {
        SPECIALS.forEach((v, k) => { (buffers.x as Float32Array)[k] = from === 'f16' ? roundToHalf(v) : v; });
      }
      if (from === 'i64') (buffers.x as BigInt64Array)[0] = -(2n ** 62n) - 12345n;
      for (const to of targets) buffers[`to_${to}`] = allocData(STORAGE[to], n);
      expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, buffers, { n }, { label: `seed ${seed}` });
    });
  }

  test('vector casts', () => {
    const seed = freshSeed();
    const next = seededRandom(seed);
    const n4 = 33;
    const pairs: [ScalarType, ScalarType][] = [['f32', 'i32'], ['f32', 'u32'], ['i32', 'f32'], ['u32', 'f32'], ['bool', 'f32'], ['bool', 'i32'], ['f32', 'bool'], ['i32', 'bool'], ['i32', 'u32']];
    const kb = new KernelBuilder('vector_casts', []);
    const ins = new Map<ScalarType, ReturnType<typeof kb.buffer>>();
    for (const t of ['f32', 'i32', 'u32', 'bool'] as const) ins.set(t, kb.buffer(`x_${t}`, STORAGE[t], 'read'));
    kb.loop('i', i32(0), kb.uniform('n4'), 'grid.x', (i) => {
      const at = mul(i, i32(4));
      for (const [from, to] of pairs) {
        const out = kb.buffer(`${from}_to_${to}`, STORAGE[to], 'write');
        kb.emit(store(out, at, cast(load(ins.get(from)!, at, 4), `${to}x4` as KType)));
      }
    });
    const kernel = kb.finish();
    const buffers: Record<string, TensorData> = {};
    for (const t of ['f32', 'i32', 'u32', 'bool'] as const) buffers[`x_${t}`] = randomData(STORAGE[t], n4 * 4, next);
    SPECIALS.forEach((v, k) => { (buffers.x_f32 as Float32Array)[k] = v; });
    for (const [from, to] of pairs) buffers[`${from}_to_${to}`] = allocData(STORAGE[to], n4 * 4);
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, buffers, { n4 }, { label: `seed ${seed}` });
  });
});
