// The convolution, pooling, padding and resizing converters: each ONNX op is imported from a
// one-node model and run on the interpreter; what the converter resolves (auto_pad, output_shape,
// the opset forms of Pad and Resize, the Indices output) is checked against values computed
// here, and unsupported or bad attributes are refused with a diagnostic at the node.

import { describe, expect, it } from 'vitest';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../../helpers/close.js';
import { importOneNode, refusal, runOneNode, runY } from '../../../../helpers/onnx-one-node.js';
import { randomTensor } from '../../../../helpers/random.js';

const i64 = (values: number[]): Tensor => tensor('i64', [values.length], values);
const f32s = (values: number[]): Tensor => tensor('f32', [values.length], values);

describe('Conv', () => {
  const x = randomTensor('f32', [1, 2, 5, 7], 1);
  const w = randomTensor('f32', [3, 2, 2, 3], 2);

  it('resolves auto_pad SAME_UPPER and SAME_LOWER to explicit pads (the odd one at the end or the beginning)', () => {
    // height 5, kernel 2, stride 2: output 3, total padding 1; width 7, kernel 3, stride 1: output 7, total 2
    const run = (attrs: Record<string, number[] | string>) => runY({ op: 'Conv', opset: 11, inputs: [['x', x], ['w', w]], attrs: { strides: [2, 1], ...attrs } });
    const upper = run({ auto_pad: 'SAME_UPPER' });
    expect(upper.shape).toEqual([1, 3, 3, 7]);
    expect(toNumbers(upper)).toEqual(toNumbers(run({ pads: [0, 1, 1, 1] })));
    expect(toNumbers(run({ auto_pad: 'SAME_LOWER' }))).toEqual(toNumbers(run({ pads: [1, 1, 0, 1] })));
    expect(run({ auto_pad: 'VALID' }).shape).toEqual([1, 3, 2, 5]);
  });

  it('keeps symbolic batch and spatial sizes with explicit pads', () => {
    const { graph, diagnostics } = importOneNode({ op: 'Conv', inputs: [['x', x], ['w', w]], attrs: { pads: [0, 1, 1, 1], strides: [2, 1] }, symbolic: { x: ['N', 2, 'H', 'W'] } });
    expect(diagnostics).toEqual([]);
    expect(graph!.outputs[0]!.node.shape.map((d) => d.key)).toEqual(['N', '3', 'floordiv(H-1,2)+1', 'W']);
  });

  it('refuses a kernel_shape that differs from the weights, and SAME on a symbolic size', () => {
    expect(refusal({ op: 'Conv', inputs: [['x', x], ['w', w]], attrs: { kernel_shape: [3, 3] } }).code).toBe(3015);
    const same = refusal({ op: 'Conv', inputs: [['x', x], ['w', w]], attrs: { auto_pad: 'SAME_UPPER' }, symbolic: { x: [1, 2, 'H', 7] } });
    expect(same.code).toBe(3016);
    expect(same.message).toContain('symbolic size H');
    expect(refusal({ op: 'Conv', inputs: [['x', x], ['w', w]], attrs: { auto_pad: 'SAME' } }).code).toBe(3004);
  });
});

describe('ConvTranspose', () => {
  const x = randomTensor('f32', [1, 1, 3, 3], 3);
  const w = randomTensor('f32', [1, 2, 3, 3], 4);
  const run = (attrs: Record<string, number[] | string>) => runY({ op: 'ConvTranspose', inputs: [['x', x], ['w', w]], attrs: { strides: [3, 2], ...attrs } });

  it('grows the end for an output_shape larger than the natural size', () => {
    const natural = run({});
    expect(natural.shape).toEqual([1, 2, 9, 7]);
    const bigger = run({ output_shape: [10, 8] });
    expect(bigger.shape).toEqual([1, 2, 10, 8]);
    const n = toNumbers(natural), b = toNumbers(bigger);
    for (let m = 0; m < 2; m++) {
      for (let i = 0; i < 10; i++) {
        for (let j = 0; j < 8; j++) expect(b[(m * 10 + i) * 8 + j]).toBe(i < 9 && j < 7 ? n[(m * 9 + i) * 7 + j] : 0);
      }
    }
  });

  it("splits the padding of a smaller output_shape as the spec says, and SAME gives in · stride", () => {
    // natural [9, 7]; [7, 6] needs total padding 2 (1 and 1) and 1 (the extra one at the beginning)
    expect(toNumbers(run({ output_shape: [7, 6] }))).toEqual(toNumbers(run({ pads: [1, 1, 1, 0] })));
    const same = run({ auto_pad: 'SAME_UPPER' });
    expect(same.shape).toEqual([1, 2, 9, 6]);
    expect(toNumbers(same)).toEqual(toNumbers(run({ pads: [0, 0, 0, 1] })));
    expect(toNumbers(run({ auto_pad: 'SAME_LOWER' }))).toEqual(toNumbers(run({ pads: [0, 1, 0, 0] })));
  });
});

describe('MaxPool and AveragePool', () => {
  it('gives MaxPool indices that point at the maxima, row- or column-major', () => {
    const x = randomTensor('f32', [2, 3, 5, 4], 5);
    for (const storageOrder of [0, 1]) {
      const out = runOneNode({ op: 'MaxPool', opset: 12, inputs: [['x', x]], outputs: ['y', 'i'], attrs: { kernel_shape: [2, 3], pads: [1, 1, 0, 1], storage_order: storageOrder } });
      const y = toNumbers(out.get('y')!), idx = toNumbers(out.get('i')!);
      expect(out.get('i')!.dtype).toBe('i64');
      idx.forEach((flat, k) => {
        const plane = Math.floor(flat / 20), within = flat % 20;
        const [h, wv] = storageOrder === 0 ? [Math.floor(within / 4), within % 4] : [within % 5, Math.floor(within / 5)];
        expect(toNumbers(x)[plane * 20 + h * 4 + wv]).toBe(y[k]);
      });
    }
    // only the indices wanted
    const only = runOneNode({ op: 'MaxPool', inputs: [['x', x]], outputs: ['', 'i'], attrs: { kernel_shape: [2, 2] } });
    expect(only.get('i')!.shape).toEqual([2, 3, 4, 3]);
  });

  it('averages with and without the padding, in ceil mode, with auto_pad', () => {
    const x = tensor('f32', [1, 1, 1, 5], [1, 2, 3, 4, 5]);
    const avg = (attrs: Record<string, number | number[] | string>) => toNumbers(runY({ op: 'AveragePool', opset: 19, inputs: [['x', x]], attrs: { kernel_shape: [1, 3], ...attrs } }));
    expectClose(avg({ pads: [0, 1, 0, 1] }), [1.5, 2, 3, 4, 4.5]);
    expectClose(avg({ pads: [0, 1, 0, 1], count_include_pad: 1 }), [1, 2, 3, 4, 3]);
    expectClose(avg({ kernel_shape: [1, 2], strides: [1, 2], ceil_mode: 1 }), [1.5, 3.5, 5]);
    expectClose(avg({ strides: [1, 2], auto_pad: 'SAME_UPPER' }), [1.5, 3, 4.5]);
    expectClose(avg({ dilations: [1, 2] }), [3]);
  });

  it('refuses a missing kernel_shape, max-pooling pads as wide as the window, and 4 spatial axes', () => {
    const x = randomTensor('f32', [1, 1, 4, 4], 6);
    expect(refusal({ op: 'MaxPool', inputs: [['x', x]], attrs: {} }).code).toBe(3004);
    expect(refusal({ op: 'MaxPool', inputs: [['x', x]], attrs: { kernel_shape: [2, 2], pads: [2, 0, 0, 0] } }).code).toBe(2009);
    expect(refusal({ op: 'AveragePool', inputs: [['x', randomTensor('f32', [1, 1, 2, 2, 2, 2], 7)]], attrs: { kernel_shape: [1, 1, 1, 1] } }).code).toBe(3016);
  });

  it('pools globally by reducing the spatial axes', () => {
    const x = randomTensor('f32', [2, 3, 7, 1, 5], 8);
    const mean = runY({ op: 'GlobalAveragePool', inputs: [['x', x]] });
    const max = runY({ op: 'GlobalMaxPool', inputs: [['x', x]] });
    expect(mean.shape).toEqual([2, 3, 1, 1, 1]);
    const v = toNumbers(x);
    const planes = Array.from({ length: 6 }, (_, p) => v.slice(p * 35, (p + 1) * 35));
    expectClose(mean, planes.map((p) => p.reduce((a, b) => a + b, 0) / 35), 1e-6);
    expect(toNumbers(max)).toEqual(planes.map((p) => Math.max(...p)));
  });
});

describe('Pad', () => {
  const x = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);

  it('reads pads and the value from attributes before opset 11 (paddings in opset 1)', () => {
    const expected = [7, 7, 7, 7, 7, 1, 2, 3, 7, 4, 5, 6];
    expect(toNumbers(runY({ op: 'Pad', opset: 2, inputs: [['x', x]], attrs: { pads: [1, 1, 0, 0] }, floats: { value: 7 } }))).toEqual(expected);
    expect(toNumbers(runY({ op: 'Pad', opset: 1, inputs: [['x', x]], attrs: { paddings: [1, 1, 0, 0] }, floats: { value: 7 } }))).toEqual(expected);
  });

  it('reads pads, the value and axes from inputs since opset 11 and 18', () => {
    const y = runY({ op: 'Pad', opset: 11, inputs: [['x', x], ['pads', i64([0, 2, 1, -1])], ['v', f32s([9])]], constants: ['pads'] });
    expect(y.shape).toEqual([3, 4]);
    expect(toNumbers(y)).toEqual([9, 9, 1, 2, 9, 9, 4, 5, 9, 9, 9, 9]);
    // axes [-1]: pads [begin, end] for the last axis only
    const z = runY({ op: 'Pad', opset: 18, inputs: [['x', x], ['pads', i64([1, 2])], '', ['axes', i64([-1])]], constants: ['pads', 'axes'], attrs: { mode: 'edge' } });
    expect(toNumbers(z)).toEqual([1, 1, 2, 3, 3, 3, 4, 4, 5, 6, 6, 6]);
    expect(toNumbers(runY({ op: 'Pad', opset: 19, inputs: [['x', x], ['pads', i64([0, 1, 0, 0])]], constants: ['pads'], attrs: { mode: 'wrap' } }))).toEqual([3, 1, 2, 3, 6, 4, 5, 6]);
  });

  it('refuses an unknown mode, pads of the wrong length, and a value of another dtype', () => {
    expect(refusal({ op: 'Pad', inputs: [['x', x], ['pads', i64([0, 0, 0, 0])]], constants: ['pads'], attrs: { mode: 'symmetric' } }).code).toBe(3016);
    expect(refusal({ op: 'Pad', inputs: [['x', x], ['pads', i64([1, 1])]], constants: ['pads'] }).code).toBe(3015);
    expect(refusal({ op: 'Pad', inputs: [['x', x], ['pads', i64([1, 1, 0, 0])], ['v', tensor('i32', [], [1])]], constants: ['pads'] }).code).toBe(3015);
    expect(refusal({ op: 'Pad', inputs: [['x', x], ['pads', i64([1, 1, 0, 0])]] }).code).toBe(3014);
  });
});

describe('Resize and Upsample', () => {
  const x = tensor('f32', [1, 1, 2, 2], [1, 2, 3, 4]);
  const nearest2x = [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4];

  it('resizes from scales or sizes (opsets 11, 13, 19), and on listed axes', () => {
    expect(toNumbers(runY({ op: 'Resize', opset: 11, inputs: [['x', x], ['roi', f32s([])], ['s', f32s([1, 1, 2, 2])]], constants: ['roi', 's'], attrs: { coordinate_transformation_mode: 'asymmetric' } }))).toEqual(nearest2x);
    expect(toNumbers(runY({ op: 'Resize', opset: 13, inputs: [['x', x], '', '', ['sizes', i64([1, 1, 4, 4])]], constants: ['sizes'], attrs: { coordinate_transformation_mode: 'asymmetric' } }))).toEqual(nearest2x);
    expect(toNumbers(runY({ op: 'Resize', opset: 19, inputs: [['x', x], '', ['s', f32s([2, 2])]], constants: ['s'], attrs: { axes: [3, -2], coordinate_transformation_mode: 'asymmetric' } }))).toEqual(nearest2x);
    const linear = runY({ op: 'Resize', opset: 19, inputs: [['x', x], '', '', ['sizes', i64([3])]], constants: ['sizes'], attrs: { axes: [3], mode: 'linear', coordinate_transformation_mode: 'align_corners' } });
    expect(toNumbers(linear)).toEqual([1, 1.5, 2, 3, 3.5, 4]);
  });

  it('keeps the aspect ratio when asked: one scale for the listed axes, sizes rounded half up', () => {
    const y = runY({ op: 'Resize', opset: 18, inputs: [['x', x], '', '', ['sizes', i64([7, 5])]], constants: ['sizes'], attrs: { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' } });
    expect(y.shape).toEqual([1, 1, 5, 5]);
    const z = runY({ op: 'Resize', opset: 18, inputs: [['x', x], '', '', ['sizes', i64([7, 5])]], constants: ['sizes'], attrs: { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' } });
    expect(z.shape).toEqual([1, 1, 7, 7]);
  });

  it('gives floor(in · scale) on a symbolic axis', () => {
    const { graph, diagnostics } = importOneNode({ op: 'Resize', opset: 13, inputs: [['x', x], '', ['s', f32s([1, 1, 2, 1.5])]], constants: ['s'], symbolic: { x: [1, 1, 'H', 'W'] } });
    expect(diagnostics).toEqual([]);
    expect(graph!.outputs[0]!.node.shape.map((d) => d.key)).toEqual(['1', '1', '2*H', 'floordiv(3*W,2)']);
  });

  it('resizes like Upsample for Resize-10 and Upsample-7/9: asymmetric, nearest rounding down', () => {
    expect(toNumbers(runY({ op: 'Resize', opset: 10, inputs: [['x', x], ['s', f32s([1, 1, 2, 2])]], constants: ['s'] }))).toEqual(nearest2x);
    expect(toNumbers(runY({ op: 'Upsample', opset: 9, inputs: [['x', x], ['s', f32s([1, 1, 2, 2])]], constants: ['s'] }))).toEqual(nearest2x);
    expect(toNumbers(runY({ op: 'Upsample', opset: 7, inputs: [['x', x]], attrs: { scales: [1, 1, 2, 2.5] } })).slice(0, 5)).toEqual([1, 1, 1, 2, 2]);
    const linear = runY({ op: 'Upsample', opset: 9, inputs: [['x', x], ['s', f32s([1, 1, 1, 2])]], constants: ['s'], attrs: { mode: 'linear' } });
    expect(toNumbers(linear)).toEqual([1, 1.5, 2, 2, 3, 3.5, 4, 4]);
  });

  it('refuses what it cannot resolve', () => {
    const unsupported = refusal({ op: 'Resize', opset: 19, inputs: [['x', x], '', ['s', f32s([1, 1, 2, 2])]], constants: ['s'], attrs: { mode: 'bicubic' } });
    expect(unsupported.code).toBe(3016);
    expect(unsupported.message).toContain("mode 'bicubic'");
    expect(refusal({ op: 'Resize', opset: 19, inputs: [['x', x], '', ['s', f32s([1, 1, 2, 2])], ['sizes', i64([1, 1, 4, 4])]], constants: ['s', 'sizes'] }).code).toBe(3015);
    expect(refusal({ op: 'Resize', opset: 19, inputs: [['x', x], '', ['s', f32s([1, 1, 2, 2])]] }).code).toBe(3014);
    expect(refusal({ op: 'Resize', opset: 19, inputs: [['x', x], '', ['s', f32s([1, 1, 2, 2])]], constants: ['s'], attrs: { coordinate_transformation_mode: 'tf_crop_and_resize' } }).code).toBe(3015);
    expect(refusal({ op: 'Resize', opset: 19, inputs: [['x', x], '', '', ['sizes', i64([1, 1, 4, 4])]], constants: ['sizes'], symbolic: { x: [1, 1, 'H', 2] } }).code).toBe(3016);
    expect(refusal({ op: 'Resize', opset: 10, inputs: [['x', x], ['s', f32s([1, 1, 2, 0.5])]], constants: ['s'] }).code).toBe(3016);
  });
});
