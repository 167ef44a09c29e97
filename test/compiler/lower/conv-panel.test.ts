// The packed-panel convolution (compiler/lower/conv-panel.ts) against the reference conv, on
// the Kernel IR interpreter and printed to wasm: panels spanning output rows (widths 1, 7, 29,
// 129), the last panel past the positions, rows past a group (clamped tiles) and a second row
// block, input channels in several K blocks, strides on the last axis (scalar-gathered
// vectors), dilations, asymmetric pads, groups, 1-D and 3-D, a non-contiguous input, and
// epilogues both lane by lane and on f32x4 (a residual read by spatial coordinates).

import { describe, expect, it } from 'vitest';
import { constDim } from '../../../compiler/ir/dim.js';
import { conv, convOutputSize } from '../../../compiler/interpret/kernels/conv.js';
import { toNumbers } from '../../../compiler/interpret/tensor.js';
import { add, f32, load, max, mul, i32, splat, type KernelBuilder } from '../../../compiler/kernel/builder.js';
import type { Expr } from '../../../compiler/kernel/ir.js';
import { WASM_TARGET } from '../../../compiler/kernel/program.js';
import { canLowerConvPanel, lowerConvPanel } from '../../../compiler/lower/conv-panel.js';
import type { ConvSpec, Epilogue, EpilogueIndex, StridedOperand } from '../../../compiler/lower/specs.js';
import { chooseConvTile } from '../../../compiler/schedule/tiles.js';
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
  /** relu written for scalars only (lane by lane), or for both (on f32x4), or relu(conv + residual) on f32x4. */
  epilogue?: 'scalar-relu' | 'vector-relu' | 'residual';
  /** x given as a view of an [N, H, W, C]-ordered buffer (2-D only): no axis contiguous but C. */
  channelsLast?: boolean;
}

function operand(value: string, shape: readonly number[]): StridedOperand {
  return { value, dtype: 'f32', offset: constDim(0), strides: contiguousStrides(shape).map((s) => constDim(s)) };
}

const relu = (acc: Expr): Expr => max(acc, acc.type === 'f32' ? f32(0) : splat(f32(0), 4));

/** relu(acc + r[n, m, ...spatial]) with r contiguous of the output's shape. */
function residualEpilogue(outShape: readonly number[]): Epilogue {
  return (kb: KernelBuilder, acc: Expr, index: EpilogueIndex, _uniforms, vector) => {
    const r = kb.buffer('vr', 'f32', 'read');
    const positions = outShape.slice(2).reduce((a, b) => a * b, 1);
    let flat = add(mul(add(mul(index.batch[0]!, i32(outShape[1]!)), index.row), i32(positions)), index.col);
    if (vector) {
      // Through the spatial coordinates, as the fused epilogue reads a residual.
      let spatialFlat: Expr = i32(0);
      index.spatial!.forEach((c, d) => { spatialFlat = add(mul(spatialFlat, i32(outShape[2 + d]!)), c); });
      flat = add(mul(add(mul(index.batch[0]!, i32(outShape[1]!)), index.row), i32(positions)), spatialFlat);
    }
    return relu(add(acc, load(r, flat, vector ? 4 : 1)));
  };
}

function expectPanel(c: Case, seed: number): void {
  const spatial = c.x.length - 2;
  const strides = c.strides ?? new Array<number>(spatial).fill(1);
  const pads = c.pads ?? new Array<number>(2 * spatial).fill(0);
  const dilations = c.dilations ?? new Array<number>(spatial).fill(1);
  const group = c.group ?? 1;
  const x = randomTensor('f32', c.x, seed), w = randomTensor('f32', c.w, seed + 1), bias = randomTensor('f32', [c.w[0]!], seed + 2);
  const outShape = [c.x[0]!, c.w[0]!, ...c.x.slice(2).map((n, d) => convOutputSize(n, c.w[2 + d]!, strides[d]!, pads[d]!, pads[spatial + d]!, dilations[d]!))];
  const residual = randomTensor('f32', outShape, seed + 3);
  let want = toNumbers(conv(x, w, c.bias ? bias : undefined, { strides, pads, dilations, group }));
  if (c.epilogue === 'residual') want = want.map((v, i) => v + Number(residual.data[i]));
  if (c.epilogue) want = want.map((v) => Math.max(v, 0));

  let xData = x.data as Float32Array;
  let xOperand = operand('vx', c.x);
  if (c.channelsLast) {
    const [n, ch, h, wd] = c.x as [number, number, number, number];
    xData = new Float32Array(xData.length);
    for (let b = 0; b < n; b++) for (let k = 0; k < ch; k++) for (let i = 0; i < h; i++) for (let j = 0; j < wd; j++) {
      xData[((b * h + i) * wd + j) * ch + k] = x.data[((b * ch + k) * h + i) * wd + j] as number;
    }
    xOperand = { ...xOperand, strides: [h * wd * ch, 1, wd * ch, ch].map((s) => constDim(s)) };
  }
  const epilogue: Epilogue | undefined = c.epilogue === 'scalar-relu' ? (_kb, acc) => max(acc, f32(0))
    : c.epilogue === 'vector-relu' ? (_kb, acc) => relu(acc)
      : c.epilogue === 'residual' ? residualEpilogue(outShape) : undefined;
  const spec: ConvSpec = {
    name: 'conv_panel', sources: ['conv_0'],
    x: xOperand, xShape: c.x.map((d) => constDim(d)),
    w: operand('vw', c.w), wShape: c.w.map((d) => constDim(d)),
    ...(c.bias ? { bias: operand('vb', [c.w[0]!]) } : {}),
    attrs: { strides, pads, dilations, group, hasBias: c.bias ?? false },
    out: { value: 'vo', dtype: 'f32' }, outShape: outShape.map((d) => constDim(d)),
    ...(epilogue ? { epilogue } : {}),
    extraInputs: c.epilogue === 'residual' ? [{ value: 'vr', dtype: 'f32' }] : [],
  };
  expect(canLowerConvPanel(spec, WASM_TARGET)).toBe(true);
  const lowered = lowerConvPanel(spec, WASM_TARGET);
  const label = `${JSON.stringify(c)} seed ${seed}`;
  const values = { vx: xData, vw: w.data, vb: bias.data, vr: residual.data };
  const out = new Float32Array(want.length).fill(Number.NaN);
  runLowered(lowered, { ...values, vo: out });
  expect(relativeL2(out, want), `interpreter ${label}`).toBeLessThanOrEqual(1e-5);

  const data = { ...values, vo: new Float32Array(want.length).fill(Number.NaN) };
  const buffers = Object.fromEntries(lowered.kernel.buffers.map((b) => [b.name, data[lowered.buffers[b.name] as keyof typeof data]]));
  const got = runWasm(loadKernels([lowered.kernel]), lowered.kernel, buffers as never, {});
  expect(relativeL2(got[lowered.kernel.buffers.find((b) => lowered.buffers[b.name] === 'vo')!.name] as Float32Array, want), `wasm ${label}`)
    .toBeLessThanOrEqual(1e-5);
}

describe('lowerConvPanel (wasm schedule, packed im2col panels)', () => {
  const seed = freshSeed();
  it('padded 3×3 with bias over rows of 1, 7, 29 and 129, epilogues lane by lane and on f32x4', () => {
    expectPanel({ x: [1, 5, 3, 1], w: [8, 5, 3, 3], pads: [1, 1, 1, 1], bias: true, epilogue: 'scalar-relu' }, seed);
    expectPanel({ x: [1, 5, 4, 7], w: [9, 5, 3, 3], pads: [1, 1, 1, 1], bias: true, epilogue: 'vector-relu' }, seed);
    expectPanel({ x: [1, 3, 3, 29], w: [8, 3, 3, 3], pads: [1, 1, 1, 1], epilogue: 'residual' }, seed);
    expectPanel({ x: [1, 2, 2, 129], w: [10, 2, 3, 3], pads: [1, 1, 1, 1], bias: true }, seed);
  });
  it('a residual epilogue on rows of 7 and 8 (vectors across rows and within them), two batches', () => {
    expectPanel({ x: [2, 4, 5, 7], w: [8, 4, 3, 3], pads: [1, 1, 1, 1], bias: true, epilogue: 'residual' }, seed);
    expectPanel({ x: [2, 4, 5, 8], w: [8, 4, 3, 3], pads: [1, 1, 1, 1], bias: true, epilogue: 'residual' }, seed);
  });
  it('input channels in several K blocks, and a second row block with a clamped tile', () => {
    const channels = 3 * chooseConvTile(WASM_TARGET, 9, 9, 45, undefined).channelsPerBlock + 5;
    expectPanel({ x: [1, channels, 5, 9], w: [9, channels, 3, 3], pads: [1, 1, 1, 1], bias: true, epilogue: 'vector-relu' }, seed);
    expectPanel({ x: [1, 3, 2, 5], w: [71, 3, 3, 3], pads: [0, 1, 0, 1], bias: true, epilogue: 'residual' }, seed);
  });
  it('strides on the last axis, dilations, asymmetric pads wider than the kernel reach', () => {
    expectPanel({ x: [1, 4, 9, 17], w: [8, 4, 3, 3], strides: [2, 2], pads: [1, 0, 1, 1], bias: true, epilogue: 'vector-relu' }, seed);
    expectPanel({ x: [2, 3, 4, 31], w: [8, 3, 2, 5], pads: [0, 9, 1, 2], dilations: [1, 2], strides: [1, 3] }, seed);
    expectPanel({ x: [1, 16, 7, 7], w: [8, 16, 1, 1], strides: [2, 2] }, seed);
  });
  it('groups, 1-D, 3-D, a kernel wider than the row, and a channels-last input', () => {
    expectPanel({ x: [1, 6, 5, 11], w: [16, 3, 3, 3], group: 2, pads: [1, 1, 1, 1], bias: true, epilogue: 'residual' }, seed);
    expectPanel({ x: [1, 4, 130], w: [8, 4, 7], pads: [3, 3], bias: true, epilogue: 'vector-relu' }, seed);
    expectPanel({ x: [1, 2, 3, 4, 13], w: [8, 2, 2, 2, 3], pads: [1, 0, 1, 0, 1, 1], epilogue: 'residual' }, seed);
    expectPanel({ x: [1, 2, 3, 2], w: [8, 2, 3, 3], pads: [1, 1, 1, 1] }, seed);
    expectPanel({ x: [1, 5, 6, 10], w: [8, 5, 3, 3], pads: [1, 1, 1, 1], channelsLast: true, bias: true, epilogue: 'vector-relu' }, seed);
  });
  it('leaves depthwise and thin groups to the row schedule', () => {
    const spec = (w: number[], group: number): ConvSpec => ({
      name: 'c', sources: [], x: operand('vx', [1, 8, 6, 6]), xShape: [1, 8, 6, 6].map((d) => constDim(d)),
      w: operand('vw', w), wShape: w.map((d) => constDim(d)),
      attrs: { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group, hasBias: false },
      out: { value: 'vo', dtype: 'f32' }, outShape: [1, w[0]!, 6, 6].map((d) => constDim(d)), extraInputs: [],
    });
    expect(canLowerConvPanel(spec([8, 1, 3, 3], 8), WASM_TARGET)).toBe(false);
    expect(canLowerConvPanel(spec([16, 2, 3, 3], 4), WASM_TARGET)).toBe(false);
    expect(canLowerConvPanel(spec([16, 8, 3, 3], 1), WASM_TARGET)).toBe(true);
  });
});
