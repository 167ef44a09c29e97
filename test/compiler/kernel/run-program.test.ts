import { describe, expect, it } from 'vitest';
import { add, f32, i32, KernelBuilder, load, max, mul, store } from '../../../compiler/kernel/builder.js';
import type { Program } from '../../../compiler/kernel/program.js';
import { executeProgram, runProgram } from '../../../compiler/kernel/run-program.js';
import { constDim, mulDim, symDim } from '../../../compiler/ir/dim.js';
import { tensor, toNumbers } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';

/** y = relu(x) + bias, as two dispatches with a temp between them; x is [S, 7]. */
function reluAddProgram(): Program {
  const relu = new KernelBuilder('relu', ['relu_1']);
  {
    const x = relu.buffer('x', 'f32', 'read');
    const y = relu.buffer('y', 'f32', 'write');
    const n = relu.uniform('n');
    relu.loop('i', i32(0), n, 'grid.x', (i) => relu.emit(store(y, i, max(load(x, i), f32(0)))));
  }
  const addBias = new KernelBuilder('add_bias', ['add_2']);
  {
    const x = addBias.buffer('x', 'f32', 'read');
    const b = addBias.buffer('bias', 'f32', 'read');
    const y = addBias.buffer('y', 'f32', 'write');
    const rows = addBias.uniform('rows');
    const cols = 7;
    addBias.loop('r', i32(0), rows, 'grid.y', (r) => {
      addBias.loop('c', i32(0), i32(cols), 'grid.x', (c) => {
        const at = add(mul(r, i32(cols)), c);
        addBias.emit(store(y, at, add(load(x, at), load(b, c))));
      });
    });
  }
  const S = symDim('S');
  return {
    name: 'relu_add',
    dims: [{ name: 'S' }],
    values: [
      { id: 'v0', role: 'input', name: 'x', dtype: 'f32', shape: [S, constDim(7)] },
      { id: 'v1', role: 'weight', name: 'bias', dtype: 'f32', shape: [constDim(7)] },
      { id: 'v2', role: 'temp', name: 't', dtype: 'f32', shape: [S, constDim(7)] },
      { id: 'v3', role: 'output', name: 'y', dtype: 'f32', shape: [S, constDim(7)] },
    ],
    kernels: [relu.finish(), addBias.finish()],
    dispatches: [
      { kernel: 'relu', buffers: { x: 'v0', y: 'v2' }, uniforms: { n: mulDim(S, 7) }, grid: [mulDim(S, 7)] },
      { kernel: 'add_bias', buffers: { x: 'v2', bias: 'v1', y: 'v3' }, uniforms: { rows: S }, grid: [S, constDim(7)] },
    ],
    inputs: ['v0'],
    outputs: ['v3'],
  };
}

describe('runProgram', () => {
  it.each([1, 7, 129])('runs two dispatches through a temp value (S = %i)', (s) => {
    const p = reluAddProgram();
    const x = randomTensor('f32', [s, 7], 11);
    const bias = randomTensor('f32', [7], 12);
    const out = runProgram(p, new Map([['x', x]]), new Map([['bias', bias]]), new Map([['S', s]]));
    const y = out.get('y')!;
    expect(y.shape).toEqual([s, 7]);
    const xs = toNumbers(x), bs = toNumbers(bias);
    expect(toNumbers(y)).toEqual(xs.map((v, i) => Math.fround(Math.max(v, 0) + bs[i % 7]!)));
  });

  it('binds dims from input shapes and exposes temps', () => {
    const p = reluAddProgram();
    const x = randomTensor('f32', [3, 7], 13);
    const values = executeProgram(p, new Map([['x', x]]), new Map([['bias', randomTensor('f32', [7], 14)]]), new Map());
    expect(toNumbers(values.get('v2')!)).toEqual(toNumbers(x).map((v) => Math.max(v, 0)));
  });

  it('says which input is wrong', () => {
    const p = reluAddProgram();
    const bias = new Map([['bias', randomTensor('f32', [7], 15)]]);
    expect(() => runProgram(p, new Map([['x', tensor('f32', [2, 6])]]), bias, new Map([['S', 2]])))
      .toThrow(/input 'x' \(v0\): expected shape \[2, 7\], got \[2, 6\]/);
    expect(() => runProgram(p, new Map([['x', tensor('f32', [2, 7])]]), new Map(), new Map([['S', 2]])))
      .toThrow(/weight 'bias' \(v1\): no data given/);
  });

  it('poisons unwritten output elements', () => {
    const p = reluAddProgram();
    // A dispatch whose grid covers only part of the output leaves NaN behind.
    const short: Program = { ...p, dispatches: [p.dispatches[0]!, { ...p.dispatches[1]!, uniforms: { rows: constDim(1) }, grid: [constDim(1), constDim(7)] }] };
    const out = runProgram(short, new Map([['x', randomTensor('f32', [2, 7], 16)]]), new Map([['bias', randomTensor('f32', [7], 17)]]), new Map());
    expect(toNumbers(out.get('y')!).slice(7).every(Number.isNaN)).toBe(true);
  });
});
