// Small packages for runtime tests: a Program written by hand, laid out by the real memory
// plan and manifest builder, with a module written by hand (hand-module.ts).

import { constDim, mulDim, symDim, type Dim } from '../../../compiler/ir/dim.js';
import type { DType } from '../../../compiler/ir/dtype.js';
import type { Tensor } from '../../../compiler/interpret/tensor.js';
import { KernelBuilder } from '../../../compiler/kernel/builder.js';
import type { BufferParam, Kernel } from '../../../compiler/kernel/ir.js';
import type { DimDecl } from '../../../compiler/ir/graph.js';
import type { Dispatch, Program, ProgramValue } from '../../../compiler/kernel/program.js';
import { buildManifest } from '../../../compiler/package/build-manifest.js';
import { packWeights } from '../../../compiler/package/pack-weights.js';
import { planMemory } from '../../../compiler/schedule/memory-plan.js';
import type { Manifest } from '../../../runtime/manifest.js';
import { handModule, type HandKernel } from './hand-module.js';

export interface HandPackage {
  readonly manifest: Manifest;
  readonly wasm: Uint8Array;
  readonly weights: Uint8Array;
}

/** A kernel's parameters only (the module is written by hand; the body is not needed). */
export function kernelStub(name: string, buffers: readonly [string, DType, BufferParam['access']][], uniforms: readonly string[]): Kernel {
  const kb = new KernelBuilder(name, [name]);
  for (const [b, dtype, access] of buffers) kb.buffer(b, dtype, access);
  for (const u of uniforms) kb.uniform(u);
  return kb.finish();
}

type DimLike = Dim | number | string;
const dim = (d: DimLike): Dim => (typeof d === 'number' ? constDim(d) : typeof d === 'string' ? symDim(d) : d);

export function val(id: string, role: ProgramValue['role'], shape: readonly DimLike[], dtype: DType = 'f32', name = id): ProgramValue {
  return { id, role, name, dtype, shape: shape.map(dim) };
}

export function count(shape: readonly DimLike[]): Dim {
  return shape.map(dim).reduce<Dim>((a, d) => mulDim(a, d), constDim(1));
}

export interface HandProgram {
  readonly name: string;
  readonly dims: readonly DimDecl[];
  readonly values: readonly ProgramValue[];
  readonly kernels: readonly Kernel[];
  readonly dispatches: readonly Dispatch[];
}

export function handPackage(
  p: HandProgram,
  hand: readonly HandKernel[],
  params: ReadonlyMap<string, Tensor> = new Map(),
  scratchBytes: ReadonlyMap<string, number> = new Map(),
): HandPackage {
  const program: Program = {
    ...p,
    inputs: p.values.filter((v) => v.role === 'input').map((v) => v.id),
    outputs: p.values.filter((v) => v.role === 'output').map((v) => v.id),
  };
  const plan = planMemory(program);
  const packed = packWeights(program, plan, params);
  const statsDims = new Map(program.dims.map((d) => [d.name, d.defaultValue ?? 4]));
  const manifest = buildManifest({ program, plan, weights: packed.entries, statsDims, scratchBytes });
  // Through JSON, as a package's manifest.json would be.
  return { manifest: JSON.parse(JSON.stringify(manifest)) as Manifest, wasm: handModule(hand), weights: packed.bin };
}

// ---- the programs ----

export const SCALE_STUB = kernelStub('scale', [['a', 'f32', 'read'], ['y', 'f32', 'write']], ['n']);
export const ADD_BIAS_STUB = kernelStub('add_bias', [['a', 'f32', 'read'], ['b', 'f32', 'read'], ['y', 'f32', 'write']], ['n', 'm']);

/** y = (x·2 + 1) + b: x [S, D] input, b [D] weight (D constant), a temporary between. */
export function biasProgram(D = 4): HandProgram {
  const n = count(['S', D]);
  return {
    name: 'Bias',
    dims: [{ name: 'S' }],
    values: [val('x', 'input', ['S', D]), val('b', 'weight', [D]), val('t', 'temp', ['S', D]), val('y', 'output', ['S', D])],
    kernels: [SCALE_STUB, ADD_BIAS_STUB],
    dispatches: [
      { kernel: 'scale', buffers: { a: 'x', y: 't' }, uniforms: { n }, grid: [n] },
      { kernel: 'add_bias', buffers: { a: 't', b: 'b', y: 'y' }, uniforms: { n, m: constDim(D) }, grid: [n] },
    ],
  };
}

/** y = x·2 + 1 and z = w·2 + 1 with x, w both [B, D]: two inputs that share B and D. */
export function pairProgram(): HandProgram {
  const n = count(['B', 'D']);
  return {
    name: 'Pair',
    dims: [{ name: 'B' }, { name: 'D', defaultValue: 3 }],
    values: [val('x', 'input', ['B', 'D']), val('w', 'input', ['B', 'D']), val('y', 'output', ['B', 'D']), val('z', 'output', ['B', 'D'])],
    kernels: [SCALE_STUB],
    dispatches: [
      { kernel: 'scale', buffers: { a: 'x', y: 'y' }, uniforms: { n }, grid: [n] },
      { kernel: 'scale', buffers: { a: 'w', y: 'z' }, uniforms: { n }, grid: [n] },
    ],
  };
}

/** s += x; y = s, with s [N] state. */
export function accumulateProgram(): HandProgram {
  return {
    name: 'Accumulate',
    dims: [{ name: 'N' }],
    values: [val('x', 'input', ['N']), val('s', 'state', ['N'], 'f32', 'sum'), val('y', 'output', ['N'])],
    kernels: [kernelStub('accumulate', [['x', 'f32', 'read'], ['s', 'f32', 'read_write'], ['y', 'f32', 'write']], ['n'])],
    dispatches: [{ kernel: 'accumulate', buffers: { x: 'x', s: 's', y: 'y' }, uniforms: { n: symDim('N') }, grid: [symDim('N')] }],
  };
}

/** A kernel that traps on every item. */
export function trapProgram(): HandProgram {
  return {
    name: 'Trap',
    dims: [{ name: 'N' }],
    values: [val('x', 'input', ['N']), val('y', 'output', ['N'])],
    kernels: [kernelStub('trap', [['a', 'f32', 'read'], ['y', 'f32', 'write']], ['n'])],
    dispatches: [{ kernel: 'trap', buffers: { a: 'x', y: 'y' }, uniforms: { n: symDim('N') }, grid: [symDim('N')] }],
  };
}

/** y = x through per-thread scratch (hand-module.ts THROUGH_SCRATCH); who[i] = the scratch address. */
export function scratchProgram(spin: number): HandProgram {
  return {
    name: 'Scratch',
    dims: [{ name: 'N' }],
    values: [val('x', 'input', ['N']), val('y', 'output', ['N']), val('who', 'output', ['N'], 'i32')],
    kernels: [kernelStub('through_scratch', [['a', 'f32', 'read'], ['y', 'f32', 'write'], ['who', 'i32', 'write']], ['n', 'spin'])],
    dispatches: [{ kernel: 'through_scratch', buffers: { a: 'x', y: 'y', who: 'who' }, uniforms: { n: symDim('N'), spin: constDim(spin) }, grid: [symDim('N')] }],
  };
}
