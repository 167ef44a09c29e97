import { describe, expect, it } from 'vitest';
import {
  add, and, arrayLoad, assign, bool, cast, comment, constant, div, f32, fma, i32, ifThen, KernelBuilder, lane, load, lt, max,
  mul, reduceLanes, rem, select, splat, store, sub, unary, variable,
} from '../../../compiler/kernel/builder.js';
import { compileKernel, KernelRunError, runKernel } from '../../../compiler/kernel/interpret.js';
import type { Expr, Kernel } from '../../../compiler/kernel/ir.js';
import { roundToBf16, roundToHalf } from '../../../compiler/interpret/float-formats.js';
import { seededRandom } from '../../helpers/random.js';

function randomF32(n: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => next());
}

function ceilDiv(a: Expr, b: number): Expr {
  return div(add(a, i32(b - 1)), i32(b));
}

/** out[r, c] = a[r, c] + b[c]: a row vector broadcast over rows. */
function broadcastAddKernel(): Kernel {
  const kb = new KernelBuilder('add_bcast', ['add_1']);
  const a = kb.buffer('a', 'f32', 'read');
  const b = kb.buffer('b', 'f32', 'read');
  const out = kb.buffer('out', 'f32', 'write');
  const rows = kb.uniform('rows');
  const cols = kb.uniform('cols');
  kb.loop('r', i32(0), rows, 'grid.y', (r) => {
    kb.loop('c', i32(0), cols, 'grid.x', (c) => {
      const at = add(mul(r, cols), c);
      kb.emit(store(out, at, add(load(a, at), load(b, c))));
    });
  });
  return kb.finish();
}

describe('Kernel IR interpreter', () => {
  it.each([[1, 1], [7, 1], [1, 7], [7, 129], [129, 7]])('adds with broadcasting on %i x %i', (rows, cols) => {
    const k = broadcastAddKernel();
    const a = randomF32(rows * cols, 1);
    const b = randomF32(cols, 2);
    const out = new Float32Array(rows * cols).fill(NaN);
    runKernel(k, { a, b, out }, { rows, cols }, [rows, cols]);
    const want = Float32Array.from({ length: rows * cols }, (_, i) => Math.fround(a[i]! + b[i % cols]!));
    expect([...out]).toEqual([...want]);
  });

  it.each([1, 7, 129])('sums rows with an f32x4 vector loop and a scalar tail (%i columns)', (cols) => {
    const rows = 5;
    const kb = new KernelBuilder('row_sum', ['reduce_sum_1']);
    const x = kb.buffer('x', 'f32', 'read');
    const y = kb.buffer('y', 'f32', 'write');
    const nRows = kb.uniform('rows');
    const n = kb.uniform('cols');
    const nVec = kb.uniform('cols_vec'); // cols rounded down to a multiple of 4
    kb.loop('r', i32(0), nRows, 'grid.x', (r) => {
      const base = mul(r, n);
      const acc = kb.let('acc', splat(f32(0), 4));
      kb.loop('j', i32(0), nVec, 'vectorized', (j) => kb.set(acc, add(acc, load(x, add(base, j), 4))), 4);
      const s = kb.let('s', reduceLanes('add', acc));
      kb.loop('t', nVec, n, 'serial', (t) => kb.set(s, add(s, load(x, add(base, t)))));
      kb.emit(store(y, r, s));
    });
    const k = kb.finish();
    const data = randomF32(rows * cols, 3);
    const out = new Float32Array(rows);
    const colsVec = cols - (cols % 4);
    runKernel(k, { x: data, y: out }, { rows, cols, cols_vec: colsVec }, [rows]);
    for (let r = 0; r < rows; r++) {
      // The same order of f32 additions in plain JS: four lane sums, then lanes, then the tail.
      const lanes = [0, 0, 0, 0];
      for (let j = 0; j < colsVec; j++) lanes[j % 4] = Math.fround(lanes[j % 4]! + data[r * cols + j]!);
      let s = Math.fround(Math.fround(Math.fround(lanes[0]! + lanes[1]!) + lanes[2]!) + lanes[3]!);
      for (let j = colsVec; j < cols; j++) s = Math.fround(s + data[r * cols + j]!);
      expect(out[r]).toBe(s);
      let exact = 0;
      for (let j = 0; j < cols; j++) exact += data[r * cols + j]!;
      expect(out[r]).toBeCloseTo(exact, 4);
    }
  });

  it('runs a tiled GPU matmul with workgroup arrays and barriers (7x129x33)', () => {
    const T = 8;
    const [M, K, N] = [7, 129, 33];
    const kb = new KernelBuilder('matmul_tiled', ['matmul_1']);
    kb.workgroupSize = [T, T, 1];
    const A = kb.buffer('a', 'f32', 'read');
    const B = kb.buffer('b', 'f32', 'read');
    const C = kb.buffer('c', 'f32', 'write');
    const m = kb.uniform('M'), kk = kb.uniform('K'), n = kb.uniform('N');
    kb.loop('by', i32(0), ceilDiv(m, T), 'grid.y', (by) => {
      kb.loop('bx', i32(0), ceilDiv(n, T), 'grid.x', (bx) => {
        const as = kb.array('a_tile', 'f32', T * T, 'workgroup');
        const bs = kb.array('b_tile', 'f32', T * T, 'workgroup');
        kb.loop('ty', i32(0), i32(T), 'thread.y', (ty) => {
          kb.loop('tx', i32(0), i32(T), 'thread.x', (tx) => {
            const row = kb.let('row', add(mul(by, i32(T)), ty));
            const col = kb.let('col', add(mul(bx, i32(T)), tx));
            const acc = kb.let('acc', f32(0));
            const slot = add(mul(ty, i32(T)), tx);
            kb.loop('k0', i32(0), kk, 'serial', (k0) => {
              kb.when(and(lt(row, m), lt(add(k0, tx), kk)),
                () => kb.emit({ kind: 'array_store', array: as, index: slot, value: load(A, add(mul(row, kk), add(k0, tx))) }),
                () => kb.emit({ kind: 'array_store', array: as, index: slot, value: f32(0) }));
              kb.when(and(lt(add(k0, ty), kk), lt(col, n)),
                () => kb.emit({ kind: 'array_store', array: bs, index: slot, value: load(B, add(mul(add(k0, ty), n), col)) }),
                () => kb.emit({ kind: 'array_store', array: bs, index: slot, value: f32(0) }));
              kb.emit({ kind: 'barrier' });
              kb.loop('k1', i32(0), i32(T), 'unrolled', (k1) => {
                kb.set(acc, fma(arrayLoad(as, 'f32', add(mul(ty, i32(T)), k1)), arrayLoad(bs, 'f32', add(mul(k1, i32(T)), tx)), acc));
              });
              kb.emit({ kind: 'barrier' });
            }, T);
            kb.when(and(lt(row, m), lt(col, n)), () => kb.emit(store(C, add(mul(row, n), col), acc)));
          });
        });
      });
    });
    const k = kb.finish();
    const a = randomF32(M * K, 4);
    const b = randomF32(K * N, 5);
    const c = new Float32Array(M * N).fill(NaN);
    runKernel(k, { a, b, c }, { M, K, N }, [Math.ceil(M / T), Math.ceil(N / T)]);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let q = 0; q < K; q++) s += a[i * K + q]! * b[q * N + j]!;
        expect(Math.abs(c[i * N + j]! - s)).toBeLessThan(1e-4);
      }
    }
  });

  it('computes softmax with an online (running max and sum) loop', () => {
    const [rows, cols] = [3, 129];
    const kb = new KernelBuilder('softmax', ['softmax_1']);
    const x = kb.buffer('x', 'f32', 'read');
    const y = kb.buffer('y', 'f32', 'write');
    const nr = kb.uniform('rows'), n = kb.uniform('cols');
    kb.loop('r', i32(0), nr, 'grid.x', (r) => {
      const base = mul(r, n);
      const runMax = kb.let('m', f32(-Infinity));
      const runSum = kb.let('s', f32(0));
      kb.loop('j', i32(0), n, 'serial', (j) => {
        const v = kb.let('v', load(x, add(base, j)));
        const newMax = kb.let('m_new', max(runMax, v));
        kb.set(runSum, add(mul(runSum, unary('exp', sub(runMax, newMax))), unary('exp', sub(v, newMax))));
        kb.set(runMax, newMax);
      });
      kb.loop('j', i32(0), n, 'serial', (j) => {
        kb.emit(store(y, add(base, j), div(unary('exp', sub(load(x, add(base, j)), runMax)), runSum)));
      });
    });
    const data = randomF32(rows * cols, 6).map((v) => v * 8);
    const out = new Float32Array(rows * cols);
    runKernel(kb.finish(), { x: data, y: out }, { rows, cols }, [rows]);
    for (let r = 0; r < rows; r++) {
      const row = [...data.subarray(r * cols, (r + 1) * cols)];
      const mx = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - mx), 0);
      row.forEach((v, j) => expect(Math.abs(out[r * cols + j]! - Math.exp(v - mx) / sum)).toBeLessThan(1e-6));
    }
  });

  it('names kernel, buffer, index and bound on an out-of-bounds load', () => {
    const kb = new KernelBuilder('shift_left', []);
    const x = kb.buffer('x', 'f32', 'read');
    const y = kb.buffer('y', 'f32', 'write');
    const n = kb.uniform('n');
    kb.loop('i', i32(0), n, 'grid.x', (i) => kb.emit(store(y, i, load(x, add(i, i32(1))))));
    const run = (): void => runKernel(kb.finish(), { x: randomF32(7, 7), y: new Float32Array(7) }, { n: 7 }, [7]);
    expect(run).toThrow(KernelRunError);
    expect(run).toThrow("kernel 'shift_left': load of x[7] is out of bounds (x has 7 elements)");
  });

  it('refuses a grid that disagrees with the grid loop extents, and missing uniforms', () => {
    const k = broadcastAddKernel();
    const bufs = { a: new Float32Array(4), b: new Float32Array(2), out: new Float32Array(4) };
    expect(() => runKernel(k, bufs, { rows: 2, cols: 2 }, [2, 3])).toThrow(/grid loop 'c' runs to 2, the dispatch grid says 3/);
    expect(() => runKernel(k, bufs, { rows: 2 }, [2, 2])).toThrow(/no value for uniform 'cols'/);
    expect(() => runKernel(k, { ...bufs, b: new Int32Array(2) }, { rows: 2, cols: 2 })).toThrow(/buffer 'b' of f32 needs a Float32Array/);
  });

  it('models integer wraparound, saturating casts and narrow stores', () => {
    const kb = new KernelBuilder('int_semantics', []);
    const out = kb.buffer('out', 'i32', 'write');
    const i8 = kb.buffer('small', 'i8', 'write');
    const half = kb.buffer('half', 'f16', 'write');
    const brain = kb.buffer('brain', 'bf16', 'write');
    const flags = kb.buffer('flags', 'bool', 'write');
    const wide = kb.buffer('wide', 'i64', 'write');
    const big = i32(2147483647);
    kb.emit(
      store(out, i32(0), add(big, i32(1))), // wraps to -2^31
      store(out, i32(1), mul(i32(65536), kb.let('s', i32(65536)))), // 2^32 wraps to 0
      store(out, i32(2), cast(kb.let('huge', f32(3e9)), 'i32')), // saturates (a let: the builder would fold a constant)
      store(out, i32(3), cast(kb.let('neg', f32(-2.7)), 'i32')), // truncates toward zero
      store(out, i32(4), rem(i32(-7), kb.let('three', i32(3)))), // dividend's sign
      store(out, i32(5), cast(cast(i32(-1), 'u32'), 'i32')),
      store(i8, i32(0), i32(300)), // wraps to 44
      store(half, i32(0), cast(f32(0.1), 'f16')),
      store(brain, i32(0), f32(0.1)),
      store(flags, i32(0), lt(f32(1), f32(2))),
      store(wide, i32(0), add(cast(big, 'i64'), constant('i64', 1))),
    );
    const bufs = {
      out: new Int32Array(6), small: new Int8Array(1), half: new Float32Array(1), brain: new Float32Array(1),
      flags: new Uint8Array(1), wide: new BigInt64Array(1),
    };
    runKernel(kb.finish(), bufs, {});
    expect([...bufs.out]).toEqual([-2147483648, 0, 2147483647, -2, -1, -1]);
    expect(bufs.small[0]).toBe(44);
    expect(bufs.half[0]).toBe(roundToHalf(Math.fround(0.1)));
    expect(bufs.brain[0]).toBe(roundToBf16(Math.fround(0.1)));
    expect(bufs.flags[0]).toBe(1);
    expect(bufs.wide[0]).toBe(2147483648n);
  });

  it('evaluates both sides of select, lanes, and vector comparisons', () => {
    const kb = new KernelBuilder('vec', []);
    const x = kb.buffer('x', 'f32', 'read');
    const y = kb.buffer('y', 'f32', 'write');
    const v = kb.let('v', load(x, i32(0), 4));
    const positive = kb.let('pos', { kind: 'binary', op: 'gt', type: 'boolx4', a: v, b: splat(f32(0), 4) });
    kb.emit(store(y, i32(0), select(positive, v, splat(f32(0), 4))));
    kb.emit(store(y, i32(4), lane(v, 2)));
    kb.emit(comment('scalar select keeps whole vectors'));
    kb.emit(store(y, i32(5), select(bool(true), lane(v, 3), f32(9))));
    const out = new Float32Array(6);
    runKernel(kb.finish(), { x: Float32Array.from([1, -2, 3, -4]), y: out }, {});
    expect([...out]).toEqual([1, 0, 3, 0, 3, -4]);
    // select evaluates both sides, so a select-guarded load still faults.
    const kb2 = new KernelBuilder('guarded', []);
    const a = kb2.buffer('a', 'f32', 'read');
    const b = kb2.buffer('b', 'f32', 'write');
    kb2.emit(store(b, i32(0), select(bool(false), load(a, i32(5)), f32(0))));
    expect(() => runKernel(kb2.finish(), { a: new Float32Array(2), b: new Float32Array(1) }, {})).toThrow(/load of a\[5\]/);
  });

  it('reports a barrier that only some threads reach', () => {
    const kb = new KernelBuilder('divergent', []);
    kb.workgroupSize = [4, 1, 1];
    const y = kb.buffer('y', 'f32', 'write');
    kb.loop('g', i32(0), i32(1), 'grid.x', () => {
      kb.loop('t', i32(0), i32(4), 'thread.x', (t) => {
        kb.emit(ifThen(lt(t, i32(2)), [{ kind: 'barrier' }]));
        kb.emit(store(y, t, f32(1)));
      });
    });
    const k = kb.finish();
    expect(() => compileKernel(k)).toThrow(/barrier under control flow that differs between threads/);
    const run = compileKernel(k, { check: false });
    expect(() => run({ y: new Float32Array(4) }, {})).toThrow(/2 of 4 threads wait at a barrier/);
  });

  it('keeps loop variables per thread and workgroup arrays shared', () => {
    // Each thread writes its slot, then (after a barrier) reads its neighbour's.
    const kb = new KernelBuilder('rotate', []);
    kb.workgroupSize = [8, 1, 1];
    const x = kb.buffer('x', 'f32', 'read');
    const y = kb.buffer('y', 'f32', 'write');
    kb.loop('g', i32(0), kb.uniform('groups'), 'grid.x', (g) => {
      const tile = kb.array('tile', 'f32', 8, 'workgroup');
      kb.loop('t', i32(0), i32(8), 'thread.x', (t) => {
        const at = add(mul(g, i32(8)), t);
        kb.emit({ kind: 'array_store', array: tile, index: t, value: load(x, at) });
        kb.emit({ kind: 'barrier' });
        kb.emit(store(y, at, arrayLoad(tile, 'f32', rem(add(t, i32(1)), i32(8)))));
      });
    });
    const data = randomF32(24, 8);
    const out = new Float32Array(24);
    runKernel(kb.finish(), { x: data, y: out }, { groups: 3 }, [3]);
    for (let i = 0; i < 24; i++) expect(out[i]).toBe(data[Math.floor(i / 8) * 8 + ((i % 8) + 1) % 8]);
  });

  it('assigns through plain variables', () => {
    const kb = new KernelBuilder('count', []);
    const y = kb.buffer('y', 'i32', 'write');
    const c = kb.let('c', i32(0));
    kb.loop('i', i32(0), i32(10), 'serial', () => kb.emit(assign(c, add(c, i32(3)))), 2);
    kb.emit(store(y, i32(0), variable(c.kind === 'var' ? c.name : '', 'i32')));
    const out = new Int32Array(1);
    runKernel(kb.finish(), { y: out }, {});
    expect(out[0]).toBe(15);
  });
});
