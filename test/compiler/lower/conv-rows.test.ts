// The row-vectorised convolution (compiler/lower/conv-rows.ts) against the reference conv, on
// the Kernel IR interpreter and printed to wasm: rows wide enough for full register tiles,
// single-vector blocks and scalar ends, pads reaching past a whole kernel, dilations, groups,
// 1-D and 3-D, kernels too wide to unroll, rows narrower than the kernel.

import { describe, expect, it } from 'vitest';
import { constDim } from '../../../compiler/ir/dim.js';
import { conv, convOutputSize } from '../../../compiler/interpret/kernels/conv.js';
import { toNumbers } from '../../../compiler/interpret/tensor.js';
import { f32, max } from '../../../compiler/kernel/builder.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { canLowerConvRows, lowerConvRows } from '../../../compiler/lower/conv-rows.js';
import type { ConvSpec, StridedOperand } from '../../../compiler/lower/specs.js';
import { randomTensor } from '../../helpers/random.js';
import { freshSeed, loadKernels, runWasm } from '../../targets/wasm/harness.js';
import { contiguousStrides, relativeL2, runLowered } from './run-lowered.js';

interface Case {
  x: number[];
  w: number[];
  pads?: number[];
  dilations?: number[];
  strides?: number[];
  group?: number;
  bias?: boolean;
  relu?: boolean;
}

function operand(value: string, shape: readonly number[]): StridedOperand {
  return { value, dtype: 'f32', offset: constDim(0), strides: contiguousStrides(shape).map((s) => constDim(s)) };
}

function expectRows(c: Case, seed: number): void {
  const spatial = c.x.length - 2;
  const strides = c.strides ?? new Array<number>(spatial).fill(1);
  const pads = c.pads ?? new Array<number>(2 * spatial).fill(0);
  const dilations = c.dilations ?? new Array<number>(spatial).fill(1);
  const group = c.group ?? 1;
  const x = randomTensor('f32', c.x, seed), w = randomTensor('f32', c.w, seed + 1), bias = randomTensor('f32', [c.w[0]!], seed + 2);
  let want = toNumbers(conv(x, w, c.bias ? bias : undefined, { strides, pads, dilations, group }));
  if (c.relu) want = want.map((v) => Math.max(v, 0));
  const outShape = [c.x[0]!, c.w[0]!, ...c.x.slice(2).map((n, d) => convOutputSize(n, c.w[2 + d]!, strides[d]!, pads[d]!, pads[spatial + d]!, dilations[d]!))];
  const spec: ConvSpec = {
    name: 'conv_rows', sources: ['conv_0'],
    x: operand('vx', c.x), xShape: c.x.map((d) => constDim(d)),
    w: operand('vw', c.w), wShape: c.w.map((d) => constDim(d)),
    ...(c.bias ? { bias: operand('vb', [c.w[0]!]) } : {}),
    attrs: { strides, pads, dilations, group, hasBias: c.bias ?? false },
    out: { value: 'vo', dtype: 'f32' }, outShape: outShape.map((d) => constDim(d)),
    ...(c.relu ? { epilogue: (_kb, acc) => max(acc, f32(0)) } : {}),
    extraInputs: [],
  };
  expect(canLowerConvRows(spec, WASM_TARGET)).toBe(true);
  const lowered = lowerConvRows(spec, WASM_TARGET);
  const label = `${JSON.stringify(c)} seed ${seed}`;
  const out = new Float32Array(want.length).fill(Number.NaN);
  runLowered(lowered, { vx: x.data, vw: w.data, vb: bias.data, vo: out });
  expect(relativeL2(out, want), `interpreter ${label}`).toBeLessThanOrEqual(1e-5);

  const data = { vx: x.data, vw: w.data, vb: bias.data, vo: new Float32Array(want.length).fill(Number.NaN) };
  const buffers = Object.fromEntries(lowered.kernel.buffers.map((b) => [b.name, data[lowered.buffers[b.name] as keyof typeof data]]));
  const got = runWasm(loadKernels([lowered.kernel]), lowered.kernel, buffers as never, {});
  expect(relativeL2(got[lowered.kernel.buffers.find((b) => lowered.buffers[b.name] === 'vo')!.name] as Float32Array, want), `wasm ${label}`)
    .toBeLessThanOrEqual(1e-5);
}

describe('lowerConvRows (wasm schedule, vectorised along output rows)', () => {
  const seed = freshSeed();
  it('padded 3×3 with bias and relu over rows of 1, 7, 29 and 129', () => {
    for (const width of [1, 7, 29, 129]) expectRows({ x: [1, 5, 3, width], w: [7, 5, 3, 3], pads: [1, 1, 1, 1], bias: true, relu: true }, seed);
  });
  it('asymmetric pads wider than the kernel reach, dilation, two batches', () => {
    expectRows({ x: [2, 3, 4, 61], w: [4, 3, 2, 5], pads: [0, 9, 1, 2], dilations: [1, 2] }, seed);
  });
  it('a stride on an outer axis, groups, and rows narrower than the kernel', () => {
    expectRows({ x: [1, 6, 9, 40], w: [6, 3, 3, 3], strides: [2, 1], group: 2, pads: [1, 1, 1, 1], bias: true }, seed);
    expectRows({ x: [1, 2, 3, 2], w: [2, 2, 3, 3], pads: [1, 1, 1, 1] }, seed);
  });
  it('1-D, 3-D and a kernel too wide to unroll', () => {
    expectRows({ x: [1, 4, 130], w: [6, 4, 7], pads: [3, 3], bias: true }, seed);
    expectRows({ x: [1, 2, 3, 4, 33], w: [3, 2, 2, 2, 3], pads: [1, 0, 1, 0, 1, 1] }, seed);
    expectRows({ x: [1, 2, 3, 40], w: [3, 2, 1, 9], pads: [0, 4, 0, 4] }, seed);
  });
});
