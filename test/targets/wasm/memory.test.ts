// Address arithmetic of the wasm printer (targets/wasm/memory.ts): constants pulled out of an
// index are added after the scaling, which is exact modulo 2^32, so the result is the same
// element whatever the sign of the parts; a constant goes into the offset immediate only when
// the variable part is never negative (non-negative.ts); a splatted f32 load becomes one
// load32_splat.

import { describe, expect, it } from 'vitest';
import { KernelBuilder, add, i32, load, mul, splat, store, sub, variable } from '../../../compiler/kernel/builder.js';
import { splitIndex } from '../../../targets/wasm/memory.js';
import { nonNegativeVariables } from '../../../targets/wasm/non-negative.js';
import { printWasmModule } from '../../../targets/wasm/module.js';
import { expectWasmMatchesInterpreter, freshSeed, loadKernels } from './harness.js';
import { seededRandom } from '../../helpers/random.js';

describe('splitIndex', () => {
  const x = variable('x', 'i32'), y = variable('y', 'i32');

  it('pulls added and subtracted constants out of sums', () => {
    expect(splitIndex(add(add(x, i32(3)), add(y, i32(5))))).toEqual({ rest: add(x, y), elements: 8 });
    expect(splitIndex(sub(add(x, i32(3)), i32(7)))).toEqual({ rest: x, elements: -4 });
    expect(splitIndex(i32(9))).toEqual({ rest: undefined, elements: 9 });
    expect(splitIndex(mul(add(x, i32(1)), i32(4)))).toEqual({ rest: mul(add(x, i32(1)), i32(4)), elements: 0 });
  });

  it('keeps a non-constant subtrahend whole and moves only the minuend\'s constant', () => {
    expect(splitIndex(sub(add(x, i32(2)), add(y, i32(1))))).toEqual({ rest: sub(x, add(y, i32(1))), elements: 2 });
  });
});

describe('split addresses in wasm', () => {
  it('reads and writes the same elements as the interpreter, negative variable parts included', () => {
    const kb = new KernelBuilder('offsets', []);
    const src = kb.buffer('src', 'f32', 'read');
    const dst = kb.buffer('dst', 'f32', 'write');
    const splats = kb.buffer('splats', 'f32', 'write');
    kb.loop('i', i32(0), i32(29), 'grid.x', (i) => {
      // (i − 5) + 7 and 9 − (5 − i): the variable part is negative for small i
      kb.emit(store(dst, add(sub(i, i32(5)), i32(5)), add(load(src, add(sub(i, i32(5)), i32(7))), load(src, sub(i32(9), sub(i32(5), i))))));
      kb.emit(store(splats, mul(i, i32(4)), splat(load(src, add(i, i32(1))), 4)));
    });
    const kernel = kb.finish();
    const next = seededRandom(freshSeed());
    const buffers = { src: Float32Array.from({ length: 40 }, () => next()), dst: new Float32Array(29), splats: new Float32Array(29 * 4) };
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, buffers, {}, { ranges: [[0, 10], [10, 29]] });
    const text = printWasmModule([kernel], { debugNames: true }).text!;
    expect(text).toContain('v128.load32_splat');
  });
});

describe('offset immediates', () => {
  it('knows which variables are never negative', () => {
    const kb = new KernelBuilder('signs', []);
    const y = kb.buffer('y', 'f32', 'write');
    const n = kb.uniform('n');
    kb.loop('i', i32(0), n, 'grid.x', (i) => {
      const up = kb.let('up', add(i, i32(1)));
      const down = kb.let('down', sub(i, i32(1)));
      const walk = kb.let('walk', i32(0));
      kb.set(walk, add(walk, n));
      const back = kb.let('back', i32(0));
      kb.set(back, sub(back, i32(1)));
      kb.emit(store(y, add(add(up, walk), i32(0)), load(y, add(down, add(back, i32(2))))));
    });
    const known = [...nonNegativeVariables(kb.finish())];
    for (const v of known) expect(v.startsWith('down') || v.startsWith('back'), v).toBe(false);
    expect(known.some((v) => v.startsWith('up'))).toBe(true);
    expect(known.some((v) => v.startsWith('walk'))).toBe(true);
    expect(known).toContain('n');
  });

  it('puts constants into the offset immediate only over a non-negative variable part', () => {
    const kb = new KernelBuilder('immediates', []);
    const src = kb.buffer('src', 'f32', 'read');
    const dst = kb.buffer('dst', 'f32', 'write');
    kb.loop('i', i32(0), i32(8), 'grid.x', (i) => {
      const j = kb.let('j', add(i, i32(20)));
      // i + 3: folded; (i − j) + 25 = i + 5 with i − j = −20: a folded constant would wrap past 4 GiB
      kb.emit(store(dst, i, add(load(src, add(i, i32(3))), load(src, add(sub(i, j), i32(25))))));
    });
    const kernel = kb.finish();
    const text = printWasmModule([kernel], { debugNames: true }).text!;
    expect(text).toMatch(/f32\.load offset=12/);
    expect(text).not.toMatch(/offset=100/);
    const next = seededRandom(freshSeed());
    const buffers = { src: Float32Array.from({ length: 16 }, () => next()), dst: new Float32Array(8) };
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, buffers, {});
  });
});
