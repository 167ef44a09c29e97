import { describe, expect, it } from 'vitest';
import { constDim } from '../../../compiler/ir/dim.js';
import { conv, convOutputSize } from '../../../compiler/interpret/kernels/conv.js';
import { toNumbers } from '../../../compiler/interpret/tensor.js';
import { f32, max } from '../../../compiler/kernel/builder.js';
import { WASM_TARGET, type TargetDescription } from '../../../compiler/kernel/program.js';
import { lowerConv } from '../../../compiler/lower/conv.js';
import type { ConvSpec, StridedOperand } from '../../../compiler/lower/specs.js';
import { randomTensor } from '../../helpers/random.js';
import { contiguousStrides, relativeL2, runLowered } from './run-lowered.js';

interface Case {
  x: number[];
  /** [M, C/group, ...kernel] */
  w: number[];
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  group?: number;
  bias?: boolean;
  relu?: boolean;
}

function operand(value: string, shape: readonly number[]): StridedOperand {
  return { value, dtype: 'f32', offset: constDim(0), strides: contiguousStrides(shape).map((s) => constDim(s)) };
}

function expectConv(c: Case, target: TargetDescription = WASM_TARGET): void {
  const spatial = c.x.length - 2;
  const strides = c.strides ?? new Array<number>(spatial).fill(1);
  const pads = c.pads ?? new Array<number>(2 * spatial).fill(0);
  const dilations = c.dilations ?? new Array<number>(spatial).fill(1);
  const group = c.group ?? 1;
  const x = randomTensor('f32', c.x, 11), w = randomTensor('f32', c.w, 12), bias = randomTensor('f32', [c.w[0]!], 13);
  let want = toNumbers(conv(x, w, c.bias ? bias : undefined, { strides, pads, dilations, group }));
  if (c.relu) want = want.map((v) => Math.max(v, 0));
  const outShape = [c.x[0]!, c.w[0]!, ...c.x.slice(2).map((n, d) => convOutputSize(n, c.w[2 + d]!, strides[d]!, pads[d]!, pads[spatial + d]!, dilations[d]!))];
  const spec: ConvSpec = {
    name: 'conv', sources: ['conv_0'],
    x: operand('vx', c.x), xShape: c.x.map((d) => constDim(d)),
    w: operand('vw', c.w), wShape: c.w.map((d) => constDim(d)),
    ...(c.bias ? { bias: operand('vb', [c.w[0]!]) } : {}),
    attrs: { strides, pads, dilations, group, hasBias: c.bias ?? false },
    out: { value: 'vo', dtype: 'f32' }, outShape: outShape.map((d) => constDim(d)),
    ...(c.relu ? { epilogue: (_kb, acc) => max(acc, f32(0)) } : {}),
    extraInputs: [],
  };
  const out = new Float32Array(want.length).fill(Number.NaN);
  runLowered(lowerConv(spec, target), { vx: x.data, vw: w.data, vb: bias.data, vo: out });
  expect(relativeL2(out, want)).toBeLessThanOrEqual(1e-5);
}

describe('lowerConv (wasm schedule)', () => {
  it('matches the reference for a padded 3×3 conv with bias and relu', () => {
    expectConv({ x: [2, 3, 7, 7], w: [5, 3, 3, 3], pads: [1, 1, 1, 1], bias: true, relu: true });
  });

  it('handles strides, dilations and uneven pads', () => {
    expectConv({ x: [1, 4, 9, 8], w: [7, 4, 3, 2], strides: [2, 3], dilations: [2, 1], pads: [1, 0, 2, 1] });
  });

  it('handles groups and depthwise convs', () => {
    expectConv({ x: [1, 6, 5, 5], w: [4, 3, 3, 3], group: 2, pads: [1, 1, 1, 1], bias: true });
    expectConv({ x: [1, 8, 6, 6], w: [8, 1, 3, 3], group: 8, pads: [1, 1, 1, 1] });
  });

  it('handles strides on the last axis of depthwise and thin-group convs (packed panels of one or two rows)', () => {
    expectConv({ x: [1, 8, 9, 11], w: [8, 1, 3, 3], group: 8, strides: [2, 2], pads: [1, 1, 1, 1], bias: true, relu: true });
    expectConv({ x: [1, 6, 7, 13], w: [6, 2, 3, 2], group: 3, strides: [1, 3], dilations: [2, 1], pads: [0, 2, 1, 0] });
  });

  it('keeps the scalar tile for a target without vectors', () => {
    const scalar = { ...WASM_TARGET, vectorLanes: 1 };
    expectConv({ x: [2, 3, 7, 7], w: [5, 3, 3, 3], pads: [1, 1, 1, 1], bias: true, relu: true }, scalar);
    expectConv({ x: [1, 4, 9, 8], w: [7, 4, 3, 2], strides: [2, 3], dilations: [2, 1], pads: [1, 0, 2, 1] }, scalar);
    expectConv({ x: [1, 6, 5, 5], w: [4, 3, 3, 3], group: 2, pads: [1, 1, 1, 1], bias: true }, scalar);
  });

  it('handles 1-D and 3-D convs and a 1×1 kernel', () => {
    expectConv({ x: [2, 3, 17], w: [4, 3, 5], pads: [2, 2], bias: true });
    expectConv({ x: [1, 2, 4, 5, 3], w: [3, 2, 2, 3, 1], pads: [0, 1, 0, 0, 1, 0] });
    expectConv({ x: [1, 16, 7, 7], w: [9, 16, 1, 1] });
  });
});
