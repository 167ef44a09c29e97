// Kernels printed to wasm against the Kernel IR interpreter on fresh random inputs, sizes 1,
// 7 and 129: grid flattening with item ranges split in pieces, broadcasting, vector loops
// with scalar tails, reductions, nested loops, private arrays, and the module's ABI shape.

import { describe, expect, test } from 'vitest';
import { roundToHalf } from '../../../compiler/interpret/float-formats.js';
import { allocData } from '../../../compiler/interpret/tensor.js';
import {
  add, arrayLoad, cast, div, f32, fma, i32, KernelBuilder, lane, load, lt, max, mul, reduceLanes, select, splat, store, sub, unary,
} from '../../../compiler/kernel/builder.js';
import { MEMORY_IMPORT } from '../../../targets/wasm/abi.js';
import { printWasmModule } from '../../../targets/wasm/module.js';
import { seededRandom } from '../../helpers/random.js';
import { expectWasmMatchesInterpreter, freshSeed, gridItems, loadKernels, randomRanges, WA, type Buffers } from './harness.js';

const SIZES = [1, 7, 129];

function randomF32(n: number, next: () => number, scale = 10): Float32Array {
  return Float32Array.from({ length: n }, () => Math.fround(next() * scale));
}

describe('wasm module ABI', () => {
  const kb = new KernelBuilder('copy', []);
  const x = kb.buffer('x', 'f32', 'read');
  const y = kb.buffer('y', 'f32', 'write');
  kb.loop('i', i32(0), kb.uniform('n'), 'grid.x', (i) => kb.emit(store(y, i, load(x, i))));
  const kernel = kb.finish();

  test('imports one shared env.memory and exports each kernel under its name', () => {
    const artifact = printWasmModule([kernel]);
    const module = new WA.Module(artifact.binary);
    expect(WA.Module.imports(module)).toEqual([{ module: MEMORY_IMPORT.module, name: MEMORY_IMPORT.name, kind: 'memory' }]);
    expect(WA.Module.exports(module)).toEqual([{ name: 'copy', kind: 'function' }]);
    expect(artifact.exports).toEqual([{
      name: 'copy', buffers: [{ name: 'x', dtype: 'f32', elementBytes: 4 }, { name: 'y', dtype: 'f32', elementBytes: 4 }],
      uniforms: ['n'], gridRank: 1, scratchBytes: 0,
    }]);
    expect(artifact.features).not.toContain('relaxed-simd');
  });

  test('debug names give the text format; relaxed SIMD turns f32x4 fma into relaxed_madd', () => {
    const kv = new KernelBuilder('axpy4', []);
    const [a, b] = [kv.buffer('a', 'f32', 'read'), kv.buffer('b', 'f32', 'read_write')];
    kv.loop('i', i32(0), kv.uniform('n4'), 'grid.x', (i) => {
      const at = mul(i, i32(4));
      kv.emit(store(b, at, fma(load(a, at, 4), splat(f32(2), 4), load(b, at, 4))));
    });
    const relaxed = printWasmModule([kv.finish()], { debugNames: true, relaxedSimd: true });
    expect(relaxed.text).toContain('f32x4.relaxed_madd');
    expect(relaxed.features).toContain('relaxed-simd');
    expect(printWasmModule([kernel], { debugNames: true }).text).toContain('(import "env" "memory" (memory $0 1 65536 shared))');
  });

  test('GPU-only constructs are refused with the kernel named', () => {
    const kg = new KernelBuilder('gpu_only', []);
    kg.loop('t', i32(0), i32(64), 'thread.x', () => kg.emit({ kind: 'barrier' }));
    expect(() => printWasmModule([kg.finish()])).toThrow(/gpu_only/);
  });
});

describe('wasm kernels match the Kernel IR interpreter', () => {
  test.each(SIZES)('broadcast add over a 2-axis grid, item ranges split in pieces (size %i)', (size) => {
    const seed = freshSeed();
    const next = seededRandom(seed);
    const kb = new KernelBuilder('add_bcast', []);
    const [a, b, y] = [kb.buffer('a', 'f32', 'read'), kb.buffer('b', 'f32', 'read'), kb.buffer('y', 'f32', 'write')];
    const [rows, cols] = [kb.uniform('rows'), kb.uniform('cols')];
    kb.loop('r', i32(0), rows, 'grid.y', (r) => kb.loop('c', i32(0), cols, 'grid.x', (c) =>
      kb.emit(store(y, add(mul(r, cols), c), add(load(a, add(mul(r, cols), c)), load(b, c))))));
    const kernel = kb.finish();
    const [R, C] = [size, size === 1 ? 1 : size + 2];
    const uniforms = { rows: R, cols: C };
    const loaded = loadKernels([kernel]);
    const buffers = { a: randomF32(R * C, next), b: randomF32(C, next), y: new Float32Array(R * C) };
    expectWasmMatchesInterpreter(loaded, kernel, buffers, uniforms, { ranges: randomRanges(gridItems(kernel, uniforms), 4, next), label: `seed ${seed}` });
  });

  test.each(SIZES)('3-axis grid with one-item ranges (size %i)', (size) => {
    const kb = new KernelBuilder('iota3', []);
    const y = kb.buffer('y', 'i32', 'write');
    const [d0, d1, d2] = [kb.uniform('d0'), kb.uniform('d1'), kb.uniform('d2')];
    kb.loop('a', i32(0), d0, 'grid.z', (a) => kb.loop('b', i32(0), d1, 'grid.y', (b) => kb.loop('c', i32(0), d2, 'grid.x', (c) => {
      const at = add(mul(add(mul(a, d1), b), d2), c);
      kb.emit(store(y, at, add(mul(a, i32(10000)), add(mul(b, i32(100)), c))));
    })));
    const kernel = kb.finish();
    const uniforms = { d0: 2, d1: size, d2: 3 };
    const total = gridItems(kernel, uniforms);
    const ranges = Array.from({ length: total }, (_, i) => [i, i + 1] as const);
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, { y: new Int32Array(total).fill(-1) }, uniforms, { ranges });
  });

  test.each(SIZES)('f32x4 loop with a scalar tail and a row reduction (size %i)', (size) => {
    const seed = freshSeed();
    const next = seededRandom(seed);
    // y[r, :] = exp(x[r, :] − max_r) and s[r] = Σ y[r, :]: vector main loop, scalar tail
    const kb = new KernelBuilder('softmax_parts', []);
    const [x, y, s] = [kb.buffer('x', 'f32', 'read'), kb.buffer('y', 'f32', 'write'), kb.buffer('s', 'f32', 'write')];
    const [rows, n] = [kb.uniform('rows'), kb.uniform('n')];
    kb.loop('r', i32(0), rows, 'grid.x', (r) => {
      const base = mul(r, n);
      const n4 = kb.let('n4', mul(div(n, i32(4)), i32(4)));
      const vmax = kb.let('vmax', splat(f32(-Infinity), 4));
      kb.loop('i', i32(0), n4, 'vectorized', (i) => kb.set(vmax, max(vmax, load(x, add(base, i), 4))), 4);
      const m = kb.let('m', reduceLanes('max', vmax));
      kb.loop('t', n4, n, 'serial', (t) => kb.set(m, max(m, load(x, add(base, t)))));
      const vsum = kb.let('vsum', splat(f32(0), 4));
      kb.loop('j', i32(0), n4, 'vectorized', (j) => {
        const e = kb.let('e', unary('exp', sub(load(x, add(base, j), 4), splat(m, 4))));
        kb.emit(store(y, add(base, j), e));
        kb.set(vsum, add(vsum, e));
      }, 4);
      const total = kb.let('total', reduceLanes('add', vsum));
      kb.loop('u', n4, n, 'serial', (u) => {
        const e = kb.let('eu', unary('exp', sub(load(x, add(base, u)), m)));
        kb.emit(store(y, add(base, u), e));
        kb.set(total, add(total, e));
      });
      kb.emit(store(s, r, total));
    });
    const kernel = kb.finish();
    const uniforms = { rows: 3, n: size };
    const buffers = { x: randomF32(3 * size, next), y: new Float32Array(3 * size), s: new Float32Array(3) };
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, buffers, uniforms, { rtol: 1e-6, label: `seed ${seed}` });
  });

  test.each(SIZES)('nested serial loop: a small matmul (size %i)', (size) => {
    const seed = freshSeed();
    const next = seededRandom(seed);
    const kb = new KernelBuilder('matmul', []);
    const [a, b, c] = [kb.buffer('a', 'f32', 'read'), kb.buffer('b', 'f32', 'read'), kb.buffer('c', 'f32', 'write')];
    const [M, K, N] = [kb.uniform('M'), kb.uniform('K'), kb.uniform('N')];
    kb.loop('i', i32(0), M, 'grid.y', (i) => kb.loop('j', i32(0), N, 'grid.x', (j) => {
      const acc = kb.let('acc', f32(0));
      kb.loop('k', i32(0), K, 'serial', (k) => kb.set(acc, add(acc, mul(load(a, add(mul(i, K), k)), load(b, add(mul(k, N), j))))));
      kb.emit(store(c, add(mul(i, N), j), acc));
    }));
    const kernel = kb.finish();
    const [m, k, n] = [size, size === 1 ? 1 : 5, size === 129 ? 3 : size];
    const uniforms = { M: m, K: k, N: n };
    const buffers = { a: randomF32(m * k, next), b: randomF32(k * n, next), c: new Float32Array(m * n) };
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, buffers, uniforms, { ranges: randomRanges(m * n, 3, next), label: `seed ${seed}` });
  });

  test.each(SIZES)('private arrays: an unrolled accumulator tile in locals and a dynamic one in scratch (size %i)', (size) => {
    const seed = freshSeed();
    const next = seededRandom(seed);
    const kb = new KernelBuilder('arrays', []);
    const [x, y, z] = [kb.buffer('x', 'f32', 'read'), kb.buffer('y', 'f32', 'write'), kb.buffer('z', 'f32', 'write')];
    const [rows, n] = [kb.uniform('rows'), kb.uniform('n')];
    kb.loop('r', i32(0), rows, 'grid.x', (r) => {
      // tile[4] in locals: tile[q] = Σ_i x[r, i]·(q + 1)
      const tile = kb.array('tile', 'f32', 4, 'private');
      kb.loop('i', i32(0), n, 'serial', (i) => kb.loop('q', i32(0), i32(4), 'unrolled', (q) =>
        kb.emit({ kind: 'array_store', array: tile, index: q, value: add(arrayLoad(tile, 'f32', q), mul(load(x, add(mul(r, n), i)), f32(1))) })));
      kb.loop('q2', i32(0), i32(4), 'unrolled', (q) => kb.emit(store(y, add(mul(r, i32(4)), q), arrayLoad(tile, 'f32', q))));
      // rev[129] in scratch, indexed by a loop variable: z[r, :] = reverse of x[r, :]
      const rev = kb.array('rev', 'f32', 129, 'private');
      kb.loop('i2', i32(0), n, 'serial', (i) => kb.emit({ kind: 'array_store', array: rev, index: sub(sub(n, i), i32(1)), value: load(x, add(mul(r, n), i)) }));
      kb.loop('i3', i32(0), n, 'serial', (i) => kb.emit(store(z, add(mul(r, n), i), arrayLoad(rev, 'f32', i))));
    });
    const kernel = kb.finish();
    const loaded = loadKernels([kernel]);
    expect(loaded.scratchBytes.arrays).toBe(Math.ceil((129 * 4) / 16) * 16); // rev only
    expect(printWasmModule([kernel], { debugNames: true, optimize: false }).text).toContain('$tile_3'); // the tile became locals
    const rowsN = 3;
    const buffers = { x: randomF32(rowsN * size, next), y: new Float32Array(rowsN * 4), z: new Float32Array(rowsN * size) };
    expectWasmMatchesInterpreter(loaded, kernel, buffers, { rows: rowsN, n: size }, { ranges: randomRanges(rowsN, 2, next), label: `seed ${seed}` });
  });

  test('select, comparisons and lanes on f32x4 with NaN inputs', () => {
    const seed = freshSeed();
    const next = seededRandom(seed);
    const kb = new KernelBuilder('select4', []);
    const [a, b, y, l] = [kb.buffer('a', 'f32', 'read'), kb.buffer('b', 'f32', 'read'), kb.buffer('y', 'f32', 'write'), kb.buffer('l', 'f32', 'write')];
    kb.loop('i', i32(0), kb.uniform('n4'), 'grid.x', (i) => {
      const at = mul(i, i32(4));
      const [va, vb] = [load(a, at, 4), load(b, at, 4)];
      kb.emit(store(y, at, select(lt(va, vb), unary('abs', va), max(va, vb))));
      kb.emit(store(l, i, add(lane(va, 1), lane(vb, 3))));
    });
    const kernel = kb.finish();
    const n4 = 33;
    const xs = randomF32(n4 * 4, next);
    xs[5] = NaN;
    const buffers: Buffers = { a: xs, b: randomF32(n4 * 4, next), y: new Float32Array(n4 * 4), l: new Float32Array(n4) };
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, buffers, { n4 }, { label: `seed ${seed}` });
  });

  test('f16 and bf16 storage round-trips and f16 arithmetic match the interpreter bit for bit', () => {
    const seed = freshSeed();
    const next = seededRandom(seed);
    const n = 4096;
    const kb = new KernelBuilder('half_round_trip', []);
    const x = kb.buffer('x', 'f32', 'read');
    const hin = kb.buffer('hin', 'f16', 'read');
    const [h, bf, sum] = [kb.buffer('h', 'f16', 'write'), kb.buffer('bf', 'bf16', 'write'), kb.buffer('sum', 'f32', 'write')];
    kb.loop('i', i32(0), kb.uniform('n'), 'grid.x', (i) => {
      kb.emit(store(h, i, cast(load(x, i), 'f16')));
      kb.emit(store(bf, i, load(x, i)));
      // f16 arithmetic rounds to f16 after every op
      kb.emit(store(sum, i, cast(mul(add(load(hin, i), load(hin, i)), load(hin, i)), 'f32')));
    });
    const kernel = kb.finish();
    const special = [0, -0, Infinity, -Infinity, NaN, 65504, 65519, 65520, 1e-8, 6e-8, 3e-8, -2.98e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8];
    const xs = Float32Array.from({ length: n }, (_, i) => (i < special.length ? special[i]! : Math.fround(next() * 2 ** Math.round(next() * 24 - 12))));
    const halves = allocData('f16', n) as Float32Array;
    for (let i = 0; i < n; i++) halves[i] = roundToHalf(next() * 200);
    const buffers = { x: xs, hin: halves, h: allocData('f16', n), bf: allocData('bf16', n), sum: new Float32Array(n) };
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, buffers, { n }, { label: `seed ${seed}` });
  });
});
