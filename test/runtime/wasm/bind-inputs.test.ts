// Input checking and symbol binding against a manifest: each mistake names the input (or the
// dimension) and says what was expected and what was given.

import { describe, expect, it } from 'vitest';
import { bindInputs, InputError } from '../../../runtime/wasm/bind-inputs.js';
import type { Manifest } from '../../../runtime/manifest.js';
import { SCALE } from './hand-module.js';
import { biasProgram, count, handPackage, kernelStub, pairProgram, val, type HandProgram } from './hand-package.js';
import { mulDim, symDim, addDim, constDim } from '../../../compiler/ir/dim.js';
import { tensor } from '../../../compiler/interpret/tensor.js';

const bias: Manifest = handPackage(biasProgram(4), [], new Map([['b', tensor('f32', [4], [1, 2, 3, 4])]])).manifest;
const pair: Manifest = handPackage(pairProgram(), [SCALE]).manifest;

/** x [S+1, 2·S]: the shape is expressions, not bare symbols. */
function exprProgram(): HandProgram {
  const rows = addDim(symDim('S'), constDim(1));
  const cols = mulDim(constDim(2), symDim('S'));
  return {
    name: 'Expr',
    dims: [{ name: 'S' }],
    values: [val('x', 'input', [rows, cols]), val('y', 'output', [rows, cols])],
    kernels: [kernelStub('scale', [['a', 'f32', 'read'], ['y', 'f32', 'write']], ['n'])],
    dispatches: [{ kernel: 'scale', buffers: { a: 'x', y: 'y' }, uniforms: { n: count([rows, cols]) }, grid: [count([rows, cols])] }],
  };
}
const expr: Manifest = handPackage(exprProgram(), [SCALE]).manifest;

function error(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

const f32 = (n: number) => new Float32Array(n).map((_, i) => i + 0.5);

describe('bindInputs', () => {
  it('binds symbols from shapes and from a bare array whose length fixes one symbol', () => {
    expect([...bindInputs(bias, { x: { data: f32(12), shape: [3, 4] } }).dims]).toEqual([['S', 3]]);
    expect([...bindInputs(bias, { x: f32(28) }).dims]).toEqual([['S', 7]]);
    const call = bindInputs(pair, { x: { data: f32(10), shape: [2, 5] }, w: f32(10) });
    expect(Object.fromEntries(call.dims)).toEqual({ B: 2, D: 5 });
    expect(call.inputs.map((i) => i.shape)).toEqual([[2, 5], [2, 5]]);
  });

  it('uses the dims option and defaults', () => {
    // D defaults to 3; w's length then fixes B.
    expect(Object.fromEntries(bindInputs(pair, { x: f32(6), w: f32(6) }).dims)).toEqual({ B: 2, D: 3 });
    expect(Object.fromEntries(bindInputs(pair, { x: f32(10), w: f32(10) }, { D: 5 }).dims)).toEqual({ B: 2, D: 5 });
  });

  it('names an unknown input and a missing one', () => {
    expect(error(() => bindInputs(bias, { x: f32(4), q: f32(1) })).message).toBe("unknown input 'q'; the model's inputs are x");
    const e = error(() => bindInputs(bias, {}));
    expect(e.message).toBe("input 'x' (f32[S, 4]) is missing");
    expect(e.input).toBe('x');
  });

  it('refuses a wrong array type or something that is not an array', () => {
    expect(error(() => bindInputs(bias, { x: new Int32Array(4) })).message).toBe("input 'x' is f32: give a Float32Array, got an Int32Array");
    expect(error(() => bindInputs(bias, { x: [1, 2, 3, 4] })).message).toMatch(/^input 'x' \(f32\[S, 4\]\) must be a Float32Array or \{ data, shape \}, got an array/);
  });

  it('refuses a wrong rank, a shape that disagrees with the data, and a wrong constant dim', () => {
    expect(error(() => bindInputs(bias, { x: { data: f32(12), shape: [12] } })).message).toBe("input 'x' expects rank 2 (f32[S, 4]), got shape [12]");
    expect(error(() => bindInputs(bias, { x: { data: f32(11), shape: [3, 4] } })).message).toBe("input 'x': shape [3, 4] has 12 elements but its data has 11");
    expect(error(() => bindInputs(bias, { x: { data: f32(15), shape: [3, 5] } })).message).toBe("input 'x' expects shape [S, 4] = [3, 4] (with S=3), got [3, 5]");
    expect(error(() => bindInputs(bias, { x: { data: f32(12), shape: [3, -4] as number[] } })).message).toMatch(/shape must be an array of non-negative integers/);
  });

  it('refuses inputs that disagree on a shared symbol, naming both', () => {
    const e = error(() => bindInputs(pair, { x: { data: f32(6), shape: [2, 3] }, w: { data: f32(9), shape: [3, 3] } }));
    expect(e.message).toBe("dimension B is bound twice with different values: input 'x' (axis 0) gives B = 2, input 'w' (axis 0) gives B = 3");
    const d = error(() => bindInputs(pair, { x: { data: f32(6), shape: [2, 3] }, w: f32(6) }, { D: 2 }));
    expect(d.message).toBe("dimension D is bound twice with different values: the dims option gives D = 2, input 'x' (axis 1) gives D = 3");
  });

  it('refuses a bare array whose length fixes nothing, and one of the wrong length', () => {
    expect(error(() => bindInputs(bias, { x: f32(7) })).message).toBe("input 'x' (f32[S, 4]) was given without a shape, and its length 7 does not fix S: pass { data, shape }");
    expect(error(() => bindInputs(expr, { x: f32(12) })).message).toMatch(/^input 'x' \(f32\[S \+ 1, 2 \* S\]\) was given without a shape/);
    expect(error(() => bindInputs(bias, { x: f32(7) }, { S: 2 })).message).toBe("input 'x' expects shape [S, 4] = [2, 4] (8 elements), got an array of 7");
  });

  it('checks expression dims once the symbol is bound, and asks for symbols nothing binds', () => {
    expect(Object.fromEntries(bindInputs(expr, { x: { data: f32(12), shape: [3, 4] } }, { S: 2 }).dims)).toEqual({ S: 2 });
    expect(error(() => bindInputs(expr, { x: { data: f32(12), shape: [3, 4] } }, { S: 3 })).message).toBe("input 'x' expects shape [S + 1, 2 * S] = [4, 6] (with S=3), got [3, 4]");
    expect(error(() => bindInputs(expr, { x: { data: f32(12), shape: [3, 4] } })).message).toMatch(/^dimension S is not bound \(needed by input 'x'\): no input shape fixes it and it has no default; pass it in the dims option/);
  });

  it('refuses unknown and invalid dims', () => {
    expect(error(() => bindInputs(bias, { x: f32(4) }, { T: 1 })).message).toBe('unknown dimension T in the dims option; the model\'s dimensions are S');
    expect(error(() => bindInputs(bias, { x: f32(4) }, { S: 1.5 })).message).toBe('dimension S must be a non-negative integer, got 1.5');
  });
});
