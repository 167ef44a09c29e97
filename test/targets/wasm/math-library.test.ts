// The wasm math library (targets/wasm/math-library.ts, trig.ts) against Math.* rounded to
// f32, in ulps, over wide ranges: specials (±0, ±inf, NaN), denormals, huge arguments, and
// fresh random values spread over every exponent. Scalar and f32x4 forms both run. Scalar
// forms are within 1 ulp (they compute in f64); the f32x4 exp, tanh and erf compute in f32
// SIMD (targets/wasm/f32x4-math.ts) and are held to 2 ulp.

import { describe, expect, test } from 'vitest';
import { erf as referenceErf } from '../../../compiler/interpret/kernels/elementwise.js';
import { binary, i32, KernelBuilder, load, mul, store, unary } from '../../../compiler/kernel/builder.js';
import type { Kernel, KUnaryOp } from '../../../compiler/kernel/ir.js';
import { seededRandom } from '../../helpers/random.js';
import { freshSeed, loadKernels, runWasm } from './harness.js';

const SPECIALS = [
  0, -0, Infinity, -Infinity, NaN, 1, -1, 0.5, -0.5, 2, -2, 1e-45, -1e-45, 1e-40, -3e-39, 1.1754944e-38,
  3.4028235e38, -3.4028235e38, 88.7, 88.73, 89, -87.3, -103, -104, 1e-7, -1e-7, 3.1415927, 1.5707964, 6.2831855,
  1e6, 1e7, 16777215, 16777216, 1e10, 1e20, 1.7e38, -9.5, 9.2, 3.9, -3.85, 0.84, 1.25, 2.857,
];

/** Fresh values: the specials, uniform in a few ranges, and ±m·2^e over all f32 exponents. */
function inputs(seed: number, count: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(count);
  SPECIALS.forEach((v, i) => { out[i] = v; });
  for (let i = SPECIALS.length; i < count; i++) {
    const r = next();
    switch (i % 4) {
      case 0: out[i] = r * 10; break;
      case 1: out[i] = r * 100; break;
      case 2: out[i] = Math.sign(r) * (1 + Math.abs(next())) * 2 ** Math.round(next() * 138 - 10); break;
      default: out[i] = Math.sign(r) * (1 + Math.abs(next())) * 2 ** Math.round(next() * 150 - 149 / 2); break;
    }
  }
  return out;
}

/** Distance in f32 ulps (values as ordered integers); NaN matches NaN only. */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const view = new DataView(new ArrayBuffer(4));
  const ordered = (x: number): number => {
    view.setFloat32(0, x);
    const bits = view.getInt32(0);
    return bits < 0 ? -(bits & 0x7fffffff) : bits;
  };
  return Math.abs(ordered(a) - ordered(b));
}

/** Each op with its reference and the f32x4 form's ulp bound. */
const UNARY: readonly [KUnaryOp, (x: number) => number, number][] = [
  ['exp', Math.exp, 2], ['log', Math.log, 1], ['tanh', Math.tanh, 2], ['erf', referenceErf, 2], ['sin', Math.sin, 1], ['cos', Math.cos, 1],
];

function unaryKernels(op: KUnaryOp): [Kernel, Kernel] {
  const scalar = new KernelBuilder(`${op}_scalar`, []);
  const x = scalar.buffer('x', 'f32', 'read');
  const y = scalar.buffer('y', 'f32', 'write');
  scalar.loop('i', i32(0), scalar.uniform('n'), 'grid.x', (i) => scalar.emit(store(y, i, unary(op, load(x, i)))));
  const vector = new KernelBuilder(`${op}_vector`, []);
  const xv = vector.buffer('x', 'f32', 'read');
  const yv = vector.buffer('y', 'f32', 'write');
  vector.loop('i', i32(0), vector.uniform('n4'), 'grid.x', (i) =>
    vector.emit(store(yv, mul(i, i32(4)), unary(op, load(xv, mul(i, i32(4)), 4)))));
  return [scalar.finish(), vector.finish()];
}

/** Worst ulp error of `got` against `want`, with the input where it happens. */
function worst(xs: Float32Array, got: Float32Array, want: (i: number) => number): { ulps: number; at: string } {
  let max = 0;
  let at = '';
  for (let i = 0; i < xs.length; i++) {
    const d = ulps(got[i]!, Math.fround(want(i)));
    if (d > max) { max = d; at = `x=${xs[i]} got ${got[i]} want ${Math.fround(want(i))}`; }
  }
  return { ulps: max, at };
}

describe('wasm math library', () => {
  const count = 4096;
  for (const [op, reference, vectorUlps] of UNARY) {
    test(`${op} is within 1 ulp of Math.${op} (f32), ${vectorUlps} ulp (f32x4)`, () => {
      const seed = freshSeed();
      const xs = inputs(seed, count);
      const [scalar, vector] = unaryKernels(op);
      const loaded = loadKernels([scalar, vector]);
      const buffers = { x: xs, y: new Float32Array(count) };
      const s = runWasm(loaded, scalar, buffers, { n: count }).y as Float32Array;
      const v = runWasm(loaded, vector, buffers, { n4: count / 4 }).y as Float32Array;
      const ws = worst(xs, s, (i) => reference(xs[i]!));
      const wv = worst(xs, v, (i) => reference(xs[i]!));
      expect(ws.ulps, `seed ${seed}: scalar ${ws.at}`).toBeLessThanOrEqual(1);
      expect(wv.ulps, `seed ${seed}: vector ${wv.at}`).toBeLessThanOrEqual(vectorUlps);
    });
  }

  test('pow (f32 and f32x4) follows Math.pow, specials included, within 1 ulp', () => {
    const seed = freshSeed();
    const next = seededRandom(seed);
    const special = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, -3, Infinity, -Infinity, NaN, 1e-40, 10, -7.5];
    const pairs: [number, number][] = [];
    for (const a of special) for (const b of special) pairs.push([a, b]);
    while (pairs.length < count) {
      const base = Math.fround(Math.abs(next()) * 2 ** Math.round(next() * 20));
      const e = next() < 0 ? Math.round(next() * 20) : next() * 30;
      pairs.push([next() < -0.6 ? -base : base, Math.fround(e)]);
    }
    const a = Float32Array.from(pairs, (p) => p[0]);
    const b = Float32Array.from(pairs, (p) => p[1]);
    const kb = new KernelBuilder('pow_scalar', []);
    const [xa, xb, y] = [kb.buffer('a', 'f32', 'read'), kb.buffer('b', 'f32', 'read'), kb.buffer('y', 'f32', 'write')];
    kb.loop('i', i32(0), kb.uniform('n'), 'grid.x', (i) => kb.emit(store(y, i, binary('pow', load(xa, i), load(xb, i)))));
    const kv = new KernelBuilder('pow_vector', []);
    const [va, vb, vy] = [kv.buffer('a', 'f32', 'read'), kv.buffer('b', 'f32', 'read'), kv.buffer('y', 'f32', 'write')];
    kv.loop('i', i32(0), kv.uniform('n4'), 'grid.x', (i) => {
      const at = mul(i, i32(4));
      kv.emit(store(vy, at, binary('pow', load(va, at, 4), load(vb, at, 4))));
    });
    const [scalar, vector] = [kb.finish(), kv.finish()];
    const loaded = loadKernels([scalar, vector]);
    const buffers = { a, b, y: new Float32Array(count) };
    const s = runWasm(loaded, scalar, buffers, { n: count }).y as Float32Array;
    const v = runWasm(loaded, vector, buffers, { n4: count / 4 }).y as Float32Array;
    const want = (i: number): number => Math.pow(a[i]!, b[i]!);
    const ws = worst(a, s, want);
    const wv = worst(a, v, want);
    expect(ws.ulps, `seed ${seed}: scalar ${ws.at}`).toBeLessThanOrEqual(1);
    expect(wv.ulps, `seed ${seed}: vector ${wv.at}`).toBeLessThanOrEqual(1);
  });

  test.each(['f32', 'f64'] as const)('%s pow with small integer exponents is exact where Math.pow is (9³ = 729, as int Pow needs)', (dtype) => {
    const pairs: [number, number][] = [];
    for (let base = -12; base <= 12; base++) for (let e = -6; e <= 9; e++) pairs.push([base, e]);
    const Arr = dtype === 'f32' ? Float32Array : Float64Array;
    const round = dtype === 'f32' ? Math.fround : (v: number) => v;
    const a = new Arr(pairs.map((p) => p[0]));
    const b = new Arr(pairs.map((p) => p[1]));
    const kb = new KernelBuilder(`pow_int_${dtype}`, []);
    const [xa, xb, y] = [kb.buffer('a', dtype, 'read'), kb.buffer('b', dtype, 'read'), kb.buffer('y', dtype, 'write')];
    kb.loop('i', i32(0), kb.uniform('n'), 'grid.x', (i) => kb.emit(store(y, i, binary('pow', load(xa, i), load(xb, i)))));
    const kernel = kb.finish();
    const got = runWasm(loadKernels([kernel]), kernel, { a, b, y: new Arr(pairs.length) }, { n: pairs.length }).y as Float32Array | Float64Array;
    pairs.forEach(([x, e], i) => {
      const want = round(Math.pow(x, e));
      // Integer results are exact; reciprocals (negative exponents) within an ulp.
      if (e >= 0 || dtype === 'f32' || !Number.isFinite(want)) expect(got[i], `${x}^${e}`).toBe(want);
      else expect(Math.abs(got[i]! - want), `${x}^${e}`).toBeLessThanOrEqual(Math.abs(want) * 2.3e-16);
    });
  });
});
