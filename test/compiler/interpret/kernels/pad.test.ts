import { describe, expect, it } from 'vitest';
import { pad } from '../../../../compiler/interpret/kernels/pad.js';
import { tensor, toNumbers } from '../../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../../helpers/random.js';

const row = (values: number[]) => tensor('f32', [values.length], values);

describe('pad', () => {
  it('pads one axis in each mode by hand', () => {
    const x = row([1, 2, 3]);
    expect(toNumbers(pad(x, [2, 1], 'constant', tensor('f32', [], [9])))).toEqual([9, 9, 1, 2, 3, 9]);
    expect(toNumbers(pad(x, [1, 0], 'constant'))).toEqual([0, 1, 2, 3]);
    expect(toNumbers(pad(x, [2, 2], 'edge'))).toEqual([1, 1, 1, 2, 3, 3, 3]);
    expect(toNumbers(pad(x, [4, 2], 'wrap'))).toEqual([3, 1, 2, 3, 1, 2, 3, 1, 2]);
    // reflect repeats without the end elements: ... 2 3 2 1 2 3 2 1 ...; pads longer than the data keep reflecting
    expect(toNumbers(pad(x, [2, 1], 'reflect'))).toEqual([3, 2, 1, 2, 3, 2]);
    expect(toNumbers(pad(x, [5, 4], 'reflect'))).toEqual([2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]);
    expect(toNumbers(pad(row([7]), [2, 1], 'reflect'))).toEqual([7, 7, 7, 7]);
  });

  it('crops with negative pads before padding from what is left', () => {
    const x = row([1, 2, 3, 4]);
    expect(toNumbers(pad(x, [-1, 2], 'edge'))).toEqual([2, 3, 4, 4, 4]);
    expect(toNumbers(pad(x, [2, -2], 'reflect'))).toEqual([1, 2, 1, 2]);
    expect(toNumbers(pad(x, [-2, -2], 'constant'))).toEqual([]);
    expect(() => pad(x, [-3, -2], 'constant')).toThrow(/crop more/);
    expect(() => pad(x, [-2, -2], 'edge').data.length).not.toThrow();
    expect(() => pad(x, [1, -4], 'edge')).toThrow(/non-empty/);
  });

  it('pads several axes of a 2-D tensor', () => {
    const x = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const y = pad(x, [1, 0, 0, 1], 'constant', tensor('f32', [], [-1]));
    expect(y.shape).toEqual([3, 4]);
    expect(toNumbers(y)).toEqual([-1, -1, -1, -1, 1, 2, 3, -1, 4, 5, 6, -1]);
    expect(toNumbers(pad(x, [1, 1, 0, 0], 'edge'))).toEqual([1, 1, 2, 3, 1, 1, 2, 3, 4, 4, 5, 6]);
  });

  it('moves i64 elements exactly, fill included', () => {
    const big = 2n ** 60n + 1n;
    const x = { dtype: 'i64' as const, shape: [2], data: BigInt64Array.from([big, -big]) };
    const y = pad(x, [1, 1], 'constant', { dtype: 'i64', shape: [], data: BigInt64Array.from([big + 2n]) });
    expect(Array.from(y.data as BigInt64Array)).toEqual([big + 2n, big, -big, big + 2n]);
    expect(Array.from(pad(x, [0, 2], 'wrap').data as BigInt64Array)).toEqual([big, -big, big, -big]);
  });

  it('is the identity with zero pads, and cropping undoes padding (awkward sizes)', () => {
    for (const [shape, seed] of [[[1, 7, 129], 1], [[3, 1, 2, 5], 2], [[], 3]] as [number[], number][]) {
      const x = randomTensor('f32', shape, seed);
      const zero = new Array<number>(2 * shape.length).fill(0);
      expect(toNumbers(pad(x, zero, 'reflect'))).toEqual(toNumbers(x));
      for (const mode of ['constant', 'reflect', 'edge', 'wrap'] as const) {
        const grow = shape.map((d) => Math.min(d > 1 ? d - 1 : 0, 3));
        const padded = pad(x, [...grow, ...grow.map((g) => g + (mode === 'reflect' ? 0 : 1))], mode);
        const back = pad(padded, [...grow.map((g) => -g), ...grow.map((g) => -g - (mode === 'reflect' ? 0 : 1))], mode);
        expect(back.shape).toEqual(x.shape);
        expect(toNumbers(back)).toEqual(toNumbers(x));
      }
    }
  });
});
