import { describe, expect, it } from 'vitest';
import { copyElements, fromNumbers, readFloat64, readNumbers, takeElements } from '../../../../compiler/interpret/kernels/storage.js';
import { ALL_DTYPES } from '../../../../compiler/ir/dtype.js';
import { getNumber, hostBytes, setNumber, storageBytes, tensor, toNumbers } from '../../../../compiler/interpret/tensor.js';

describe('storage', () => {
  it('stores numbers with C-like conversions per dtype', () => {
    const v = [1.7, -1.7, NaN, 300, 0.1];
    expect(toNumbers(fromNumbers('i32', [5], v))).toEqual([1, -1, 0, 300, 0]);
    expect(toNumbers(fromNumbers('u8', [5], v))).toEqual([1, 255, 0, 44, 0]);
    expect(toNumbers(fromNumbers('bool', [5], v))).toEqual([1, 1, 1, 1, 1]);
    expect(toNumbers(fromNumbers('f16', [5], v))).toEqual([1.7001953125, -1.7001953125, NaN, 300, 0.0999755859375]);
    expect([...(fromNumbers('i64', [5], v).data as BigInt64Array)]).toEqual([1n, -1n, 0n, 300n, 0n]);
    expect(() => fromNumbers('f32', [2], [1])).toThrow();
  });

  it('reads i64 through Number and copies elements of one kind', () => {
    const big = { dtype: 'i64' as const, shape: [2], data: BigInt64Array.from([5n, -2n]) };
    expect([...(readNumbers(big) as Float64Array)]).toEqual([5, -2]);
    expect([...readFloat64(big)]).toEqual([5, -2]);
    expect([...(takeElements(big.data, Int32Array.from([1, 1, 0])) as BigInt64Array)]).toEqual([-2n, -2n, 5n]);
    const dst = new BigInt64Array(3);
    copyElements(dst, 1, big.data, 0, 2);
    expect([...dst]).toEqual([0n, 5n, -2n]);
    expect(() => copyElements(new Float32Array(2), 0, big.data, 0, 2)).toThrow(/mixed/);
  });
});

describe('storage of the wider dtypes', () => {
  it('stores numbers per dtype: wraps, rounds, saturates', () => {
    const v = [1.7, -1.7, NaN, 70000, 2.5];
    expect(toNumbers(fromNumbers('i16', [5], v))).toEqual([1, -1, 0, 70000 - 65536, 2]);
    expect(toNumbers(fromNumbers('u16', [5], v))).toEqual([1, 65535, 0, 70000 - 65536, 2]);
    expect(toNumbers(fromNumbers('u32', [5], v))).toEqual([1, 4294967295, 0, 70000, 2]);
    expect(toNumbers(fromNumbers('i4', [5], v))).toEqual([2, -2, 0, 0, 2]);
    expect(toNumbers(fromNumbers('u2', [5], v))).toEqual([2, 2, 0, 0, 2]);
    expect(toNumbers(fromNumbers('f64', [5], v))).toEqual(v);
    expect(toNumbers(fromNumbers('bf16', [5], v))).toEqual([1.703125, -1.703125, NaN, 70144, 2.5]);
    expect(toNumbers(fromNumbers('f8e4m3fn', [5], v))).toEqual([1.75, -1.75, NaN, 448, 2.5]);
    expect(toNumbers(fromNumbers('f8e4m3fn', [5], v, { saturate: false }))).toEqual([1.75, -1.75, NaN, NaN, 2.5]);
    expect([...(fromNumbers('u64', [5], v).data as BigUint64Array)]).toEqual([1n, 2n ** 64n - 1n, 0n, 70000n, 2n]);
  });

  it('allocates the documented typed array per dtype', () => {
    const kinds = Object.fromEntries(ALL_DTYPES.map((d) => [d, tensor(d, [1]).data.constructor.name]));
    expect(kinds).toEqual({
      f32: 'Float32Array', f16: 'Float32Array', i32: 'Int32Array', i64: 'BigInt64Array', i8: 'Int8Array', u8: 'Uint8Array',
      bool: 'Uint8Array', f64: 'Float64Array', bf16: 'Float32Array', f8e4m3fn: 'Float32Array', f8e4m3fnuz: 'Float32Array',
      f8e5m2: 'Float32Array', f8e5m2fnuz: 'Float32Array', f8e8m0: 'Float32Array', f4e2m1: 'Float32Array', i16: 'Int16Array',
      u16: 'Uint16Array', u32: 'Uint32Array', u64: 'BigUint64Array', i4: 'Int8Array', u4: 'Uint8Array', i2: 'Int8Array', u2: 'Uint8Array',
    });
  });

  it('tensor() takes BigInts exactly, and setNumber stores like fromNumbers', () => {
    expect([...tensor('u64', [2], [2n ** 64n - 1n, -1n]).data]).toEqual([2n ** 64n - 1n, 2n ** 64n - 1n]);
    expect([...tensor('i64', [1], new BigUint64Array([2n ** 63n])).data]).toEqual([-(2n ** 63n)]);
    const t = tensor('f8e5m2', [2]);
    setNumber(t, 0, 1e6);
    setNumber(t, 1, 1e6, { saturate: false });
    expect(toNumbers(t)).toEqual([57344, Infinity]);
    expect(getNumber(tensor('u64', [1], [2n ** 53n]), 0)).toBe(2 ** 53);
  });

  it('moves u64 and sub-byte elements untouched', () => {
    const u = BigUint64Array.from([1n, 2n ** 64n - 1n]);
    expect([...(takeElements(u, Int32Array.from([1, 0])) as BigUint64Array)]).toEqual([2n ** 64n - 1n, 1n]);
    const i4 = tensor('i4', [3], [-8, 7, -1]);
    expect(toNumbers({ ...i4, data: takeElements(i4.data, Int32Array.from([2, 1, 0])) })).toEqual([-1, 7, -8]);
    expect(() => copyElements(new BigInt64Array(2), 0, u, 0, 2)).toThrow(/mixed/);
  });

  it('counts file bytes packed and host bytes unpacked', () => {
    expect(storageBytes(tensor('i4', [7]))).toBe(4);
    expect(storageBytes(tensor('u2', [9]))).toBe(3);
    expect(storageBytes(tensor('f16', [3]))).toBe(6);
    expect(hostBytes('f16')).toBe(4);
    expect(hostBytes('u2')).toBe(1);
  });
});
