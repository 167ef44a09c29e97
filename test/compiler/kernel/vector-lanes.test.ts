// Kernel IR `vector` (a vector built from scalars, lane i = parts[i]): the checker's rules,
// the interpreter's value, wasm against the interpreter, and the GPU printers' refusal.

import { describe, expect, it } from 'vitest';
import { checkKernel } from '../../../compiler/kernel/check.js';
import { add, cast, f32, i32, KernelBuilder, lane, le, load, mul, select, splat, store, vectorOfLanes } from '../../../compiler/kernel/builder.js';
import type { Expr, Kernel } from '../../../compiler/kernel/ir.js';
import { printKernel } from '../../../compiler/kernel/print.js';
import { printWgslKernel } from '../../../targets/wgsl/module.js';
import { expectWasmMatchesInterpreter, loadKernels, runInterpreter } from '../../targets/wasm/harness.js';

/** out[4i + l] = (x[i + 3l]·2, compared against lane-distinct ints) lane l: a transpose through lanes. */
function transposeKernel(): Kernel {
  const kb = new KernelBuilder('lanes', ['test']);
  const x = kb.buffer('x', 'f32', 'read');
  const out = kb.buffer('out', 'f32', 'write');
  kb.loop('i', i32(0), i32(3), 'grid.x', (i) => {
    const parts = [0, 1, 2, 3].map((l) => load(x, add(i, i32(3 * l))));
    const v = kb.let('v', mul(vectorOfLanes(parts), splat(f32(2), 4)));
    const limit = kb.let('limit', vectorOfLanes([i32(0), i32(1), i32(2), i32(3)]));
    const kept = kb.let('kept', select(le(splat(i, 4), limit), v, splat(f32(-1), 4)));
    for (let l = 0; l < 4; l++) kb.emit(store(out, add(mul(i, i32(4)), i32(l)), lane(kept, l)));
  });
  return kb.finish();
}

describe('Kernel IR vector', () => {
  it('puts each part in its lane (interpreter)', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i + 0.5);
    const out = runInterpreter(transposeKernel(), { x, out: new Float32Array(12) }, {}).out as Float32Array;
    // row i, lane l: x[i + 3l]·2 when i <= l, else -1
    const want = [0, 1, 2].flatMap((i) => [0, 1, 2, 3].map((l) => (i <= l ? (i + 3 * l + 0.5) * 2 : -1)));
    expect(Array.from(out)).toEqual(want);
  });

  it('runs the same on wasm', () => {
    const kernel = transposeKernel();
    const x = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 3);
    expectWasmMatchesInterpreter(loadKernels([kernel]), kernel, { x, out: new Float32Array(12) }, {});
  });

  it('is checked: as many parts as lanes, each of the element type', () => {
    expect(checkKernel(transposeKernel())).toEqual([]);
    const bad = (e: Expr): Kernel => {
      const kb = new KernelBuilder('bad', ['test']);
      const out = kb.buffer('out', 'f32', 'write');
      kb.loop('i', i32(0), i32(1), 'grid.x', (i) => kb.emit(store(out, i, lane(e, 0))));
      return kb.finish();
    };
    const threeParts: Expr = { kind: 'vector', type: 'f32x4', parts: [f32(1), f32(2), f32(3)] };
    expect(checkKernel(bad(threeParts)).join('\n')).toMatch(/3 parts/);
    const mixed: Expr = { kind: 'vector', type: 'f32x4', parts: [f32(1), f32(2), f32(3), cast(i32(4), 'i32')] };
    expect(checkKernel(bad(mixed)).join('\n')).toMatch(/vector f32x4 of/);
    expect(() => vectorOfLanes([f32(1), i32(2)])).toThrow();
  });

  it('prints in the Kernel IR text and is refused by the GPU printers', () => {
    expect(printKernel(transposeKernel())).toMatch(/f32x4\(/);
    expect(() => printWgslKernel(transposeKernel(), { f16: false })).toThrow(/vector built from lanes/);
  });
});
