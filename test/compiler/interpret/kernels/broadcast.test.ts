import { describe, expect, it } from 'vitest';
import {
  broadcastOffsets, broadcastShapes, broadcastStrides, contiguousStrides, stridedOffsets,
} from '../../../../compiler/interpret/kernels/broadcast.js';
import { seededRandom } from '../../../helpers/random.js';

describe('broadcastShapes', () => {
  it('follows NumPy rules', () => {
    expect(broadcastShapes([7, 1, 3], [4, 1])).toEqual([7, 4, 3]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes([5, 1], [1])).toEqual([5, 1]);
    expect(broadcastShapes([0], [1])).toEqual([0]);
    expect(broadcastShapes([1, 0], [3, 1])).toEqual([3, 0]);
  });
  it('throws on incompatible shapes', () => {
    expect(() => broadcastShapes([2, 3], [3, 2])).toThrow(/cannot broadcast/);
    expect(() => broadcastShapes([4], [5])).toThrow(/cannot broadcast/);
  });
});

describe('strides and offsets', () => {
  it('computes contiguous and broadcast strides', () => {
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(contiguousStrides([])).toEqual([]);
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(() => broadcastStrides([3], [4])).toThrow();
    expect(() => broadcastStrides([2, 3], [3])).toThrow();
  });

  it('tabulates broadcast offsets', () => {
    expect([...broadcastOffsets([3, 1], [2, 3, 2])]).toEqual([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
    expect([...broadcastOffsets([], [2, 2])]).toEqual([0, 0, 0, 0]);
    expect([...broadcastOffsets([1, 3], [2, 3])]).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('tabulates strided offsets (a transpose, a scalar, an empty shape)', () => {
    expect([...stridedOffsets([2, 3], [1, 2])]).toEqual([0, 2, 4, 1, 3, 5]);
    expect([...stridedOffsets([], [], 5)]).toEqual([5]);
    expect([...stridedOffsets([3, 0], [1, 1])]).toEqual([]);
    expect([...stridedOffsets([3], [-2], 6)]).toEqual([6, 4, 2]);
  });

  it('matches a naive multi-index walk on random strides', () => {
    const next = seededRandom(11);
    const shape = [3, 1, 4, 7, 2];
    const strides = shape.map(() => Math.floor(next() * 50));
    const offset = 1000;
    const table = stridedOffsets(shape, strides, offset);
    const expected: number[] = [];
    const walk = (d: number, acc: number): void => {
      if (d === shape.length) return void expected.push(acc);
      for (let i = 0; i < shape[d]!; i++) walk(d + 1, acc + i * strides[d]!);
    };
    walk(0, offset);
    expect([...table]).toEqual(expected);
  });
});
