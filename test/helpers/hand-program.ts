// Small Programs built by hand (no lowering involved), for tests of the memory plan, the
// manifest and the package writer.

import { constDim, mulDim, symDim, type Dim } from '../../compiler/ir/dim.js';
import type { DType } from '../../compiler/ir/dtype.js';
import { add, f32, i32, KernelBuilder, load, mul, rem, store } from '../../compiler/kernel/builder.js';
import type { Kernel } from '../../compiler/kernel/ir.js';
import type { Dispatch, Program, ProgramValue } from '../../compiler/kernel/program.js';

/** y[i] = a[i] * 2 + 1 over n items on the grid. */
export function scaleKernel(name = 'scale'): Kernel {
  const kb = new KernelBuilder(name, ['mul', 'add']);
  const a = kb.buffer('a', 'f32', 'read');
  const y = kb.buffer('y', 'f32', 'write');
  const n = kb.uniform('n');
  kb.loop('i', i32(0), n, 'grid.x', (i) => {
    kb.emit(store(y, i, add(mul(load(a, i), f32(2)), f32(1))));
  });
  return kb.finish();
}

/** y[i] = a[i] + b[i % m] over n items (a bias add when b is a weight). */
export function addKernel(name = 'add_bias'): Kernel {
  const kb = new KernelBuilder(name, ['add']);
  const a = kb.buffer('a', 'f32', 'read');
  const b = kb.buffer('b', 'f32', 'read');
  const y = kb.buffer('y', 'f32', 'write');
  const n = kb.uniform('n');
  const m = kb.uniform('m');
  kb.loop('i', i32(0), n, 'grid.x', (i) => {
    kb.emit(store(y, i, add(load(a, i), load(b, rem(i, m)))));
  });
  return kb.finish();
}

export function value(id: string, role: ProgramValue['role'], shape: readonly (Dim | number | string)[], dtype: DType = 'f32', name = id): ProgramValue {
  return { id, role, name, dtype, shape: shape.map((d) => (typeof d === 'number' ? constDim(d) : typeof d === 'string' ? symDim(d) : d)) };
}

function count(shape: readonly Dim[]): Dim {
  return shape.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
}

/**
 * x [S, D] → scale → t1 → scale → t2 … → t{n-1} → scale → y: a chain of `links` elementwise
 * dispatches with links-1 temporaries, all of shape [S, D].
 */
export function chainProgram(links: number, shape: readonly (Dim | string | number)[] = ['S', 'D']): Program {
  const values: ProgramValue[] = [value('x', 'input', shape)];
  for (let i = 1; i < links; i++) values.push(value(`t${i}`, 'temp', shape));
  values.push(value('y', 'output', shape));
  const n = count(values[0]!.shape);
  const dispatches: Dispatch[] = [];
  for (let i = 0; i < links; i++) {
    dispatches.push({
      kernel: 'scale',
      buffers: { a: i === 0 ? 'x' : `t${i}`, y: i === links - 1 ? 'y' : `t${i + 1}` },
      uniforms: { n },
      grid: [n],
    });
  }
  return {
    name: 'Chain',
    dims: [{ name: 'S' }, { name: 'D', defaultValue: 8 }],
    values,
    kernels: [scaleKernel()],
    dispatches,
    inputs: ['x'],
    outputs: ['y'],
  };
}

/** y = scale(x) + b, with a weight `b` [8] and a temp; S is free (D is fixed at 8, as a compile does). */
export function biasProgram(): Program {
  const shape = [symDim('S'), constDim(8)];
  const n = mulDim('S', 8);
  return {
    name: 'Bias',
    dims: [{ name: 'S' }],
    values: [value('x', 'input', shape), value('b', 'weight', [8]), value('t', 'temp', shape), value('y', 'output', shape)],
    kernels: [scaleKernel(), addKernel()],
    dispatches: [
      { kernel: 'scale', buffers: { a: 'x', y: 't' }, uniforms: { n }, grid: [n] },
      { kernel: 'add_bias', buffers: { a: 't', b: 'b', y: 'y' }, uniforms: { n, m: constDim(8) }, grid: [n] },
    ],
    inputs: ['x'],
    outputs: ['y'],
  };
}
