import { describe, expect, it } from 'vitest';
import { binary, cast, erf, erfc, unary, where } from '../../../../compiler/interpret/kernels/elementwise.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

const f32 = (values: number[], shape = [values.length]): Tensor => tensor('f32', shape, values);
const f64Values = (t: Tensor): number[] => toNumbers(t);

describe('unary', () => {
  it('computes simple ops exactly', () => {
    expect(f64Values(unary('neg', f32([1, -2, 0])))).toEqual([-1, 2, -0]);
    expect(f64Values(unary('abs', f32([-1.5, 2])))).toEqual([1.5, 2]);
    expect(f64Values(unary('sqrt', f32([4, 0.25])))).toEqual([2, 0.5]);
    expect(f64Values(unary('rsqrt', f32([4, 0.25])))).toEqual([0.5, 2]);
    expect(f64Values(unary('relu', f32([-1, 0, 2, NaN])))).toEqual([0, 0, 2, NaN]);
    expect(f64Values(unary('floor', f32([1.5, -1.5])))).toEqual([1, -2]);
    expect(f64Values(unary('ceil', f32([1.5, -1.5])))).toEqual([2, -1]);
    expect(f64Values(unary('sign', f32([-3, 0, 2])))).toEqual([-1, 0, 1]);
    expect(f64Values(unary('reciprocal', f32([4, -0.5])))).toEqual([0.25, -2]);
    expect(f64Values(unary('not', tensor('bool', [3], [1, 0, 1])))).toEqual([0, 1, 0]);
    expect(f64Values(unary('sigmoid', f32([0])))).toEqual([0.5]);
    expect(f64Values(unary('tanh', f32([0])))).toEqual([0]);
  });

  it('rounds half to even', () => {
    const x = f32([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 3.5]);
    expect(f64Values(unary('round', x))).toEqual([0, 2, 2, -0, -2, -2, 2, -3, 4]);
  });

  it('computes in f64 and rounds once to the dtype', () => {
    const x = randomTensor('f32', [1000], 1);
    const y = unary('exp', x);
    const xs = toNumbers(x);
    expect(toNumbers(y)).toEqual(xs.map((v) => Math.fround(Math.exp(v))));
    expect(toNumbers(unary('exp', tensor('f16', [1], [1])))).toEqual([2.71875]);
    expect(toNumbers(unary('log', f32([1, 0, -1])))).toEqual([0, -Infinity, NaN]);
  });

  it('keeps sigmoid, silu and gelu stable at the extremes', () => {
    expect(f64Values(unary('sigmoid', f32([-1000, 1000, -Infinity, Infinity])))).toEqual([0, 1, 0, 1]);
    expect(unary('sigmoid', f32([-80])).data[0]).toBeCloseTo(Math.fround(Math.exp(-80)), 40);
    for (const op of ['silu', 'gelu_erf', 'gelu_tanh'] as const) {
      const y = toNumbers(unary(op, f32([-1000, -Infinity, 1000, Infinity])));
      expect(y.map((v) => v + 0)).toEqual([0, 0, 1000, Infinity]);
    }
  });

  it('satisfies sigmoid(x) + sigmoid(-x) = 1 and silu(x) = x·sigmoid(x) on random data', () => {
    const x = randomTensor('f32', [7, 129], 2);
    const s = toNumbers(unary('sigmoid', x));
    const sn = toNumbers(unary('sigmoid', unary('neg', x)));
    expectClose(s.map((v, i) => v + sn[i]!), s.map(() => 1), 1e-7);
    const silu = toNumbers(unary('silu', x));
    expectClose(silu, toNumbers(x).map((v, i) => v * s[i]!), 1e-7);
  });

  it('has an accurate erf', () => {
    const known: [number, number][] = [
      [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [-3, -0.9999779095030014],
      [0, 0], [0.1, 0.1124629160182849], [3.5, 0.9999992569016276], [6, 1],
    ];
    for (const [x, e] of known) expect(Math.abs(erf(x) - e)).toBeLessThan(1e-7);
    for (const [x, e] of known) expect(Math.abs(erf(x) - e)).toBeLessThan(1e-14);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
    expect(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1)).toBeLessThan(1e-13);
    for (let x = -4; x <= 4; x += 0.37) {
      expect(erf(-x)).toBe(-erf(x));
      expect(Math.abs(erfc(x) - (1 - erf(x)))).toBeLessThan(1e-15);
    }
  });

  it('evaluates both gelus, which agree closely', () => {
    expect(unary('gelu_erf', f32([1])).data[0]).toBe(Math.fround(0.8413447460685429));
    const x = tensor('f32', [129], Array.from({ length: 129 }, (_, i) => (i - 64) / 8));
    const exact = toNumbers(unary('gelu_erf', x));
    const approx = toNumbers(unary('gelu_tanh', x));
    expectClose(approx, exact, 1e-3);
    expect(exact[64]).toBe(0);
  });
});

describe('binary', () => {
  it('broadcasts [7,1,3] with [4,1]', () => {
    const a = randomTensor('f32', [7, 1, 3], 3);
    const b = randomTensor('f32', [4, 1], 4);
    const y = binary('add', a, b);
    expect(y.shape).toEqual([7, 4, 3]);
    const expected: number[] = [];
    for (let i = 0; i < 7; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) {
      expected.push(Math.fround(a.data[i * 3 + k]! as number + (b.data[j] as number)));
    }
    expect(toNumbers(y)).toEqual(expected);
  });

  it('computes float ops in f64 and rounds once', () => {
    const a = randomTensor('f32', [1000], 5);
    const b = randomTensor('f32', [1000], 6);
    const av = toNumbers(a);
    const bv = toNumbers(b);
    expect(toNumbers(binary('mul', a, b))).toEqual(av.map((v, i) => Math.fround(v * bv[i]!)));
    expect(toNumbers(binary('div', a, b))).toEqual(av.map((v, i) => Math.fround(v / bv[i]!)));
    expect(toNumbers(binary('sub', a, b))).toEqual(av.map((v, i) => Math.fround(v - bv[i]!)));
  });

  it('follows C semantics for float mod, pow, max and min', () => {
    expect(toNumbers(binary('mod', f32([-7.5, 7.5, 5]), f32([2, -2, 0])))).toEqual([-1.5, 1.5, NaN]);
    expect(toNumbers(binary('pow', f32([2, 4, NaN, 1, -1, -8]), f32([10, 0.5, 0, NaN, Infinity, 1 / 3]))))
      .toEqual([1024, 2, 1, 1, 1, NaN]);
    expect(toNumbers(binary('max', f32([1, NaN, -1]), f32([2, 0, NaN])))).toEqual([2, NaN, NaN]);
    expect(toNumbers(binary('min', f32([1, NaN, -1]), f32([2, 0, -3])))).toEqual([1, NaN, -3]);
  });

  it('compares to bool, NaN comparing false except ne', () => {
    const a = f32([1, 2, 3, NaN]);
    const b = f32([2, 2, 2, NaN]);
    const expected = { eq: [0, 1, 0, 0], ne: [1, 0, 1, 1], lt: [1, 0, 0, 0], le: [1, 1, 0, 0], gt: [0, 0, 1, 0], ge: [0, 1, 1, 0] };
    for (const [op, want] of Object.entries(expected)) {
      const y = binary(op as keyof typeof expected, a, b);
      expect(y.dtype).toBe('bool');
      expect(toNumbers(y)).toEqual(want);
    }
  });

  it('computes logic on bools', () => {
    const a = tensor('bool', [4], [0, 0, 1, 1]);
    const b = tensor('bool', [4], [0, 1, 0, 1]);
    expect(toNumbers(binary('and', a, b))).toEqual([0, 0, 0, 1]);
    expect(toNumbers(binary('or', a, b))).toEqual([0, 1, 1, 1]);
    expect(toNumbers(binary('xor', a, b))).toEqual([0, 1, 1, 0]);
  });

  it('wraps i32 like C', () => {
    const i32 = (v: number[]): Tensor => tensor('i32', [v.length], v);
    expect(toNumbers(binary('add', i32([2147483647, -2147483648]), i32([1, -1])))).toEqual([-2147483648, 2147483647]);
    expect(toNumbers(binary('mul', i32([65536, 46341, -3]), i32([65536, 46341, 7])))).toEqual([0, -2147479015, -21]);
    expect(toNumbers(unary('neg', i32([-2147483648])))).toEqual([-2147483648]);
    expect(toNumbers(unary('abs', i32([-2147483648, -5])))).toEqual([-2147483648, 5]);
  });

  it('truncates integer div and mod toward zero, and gives 0 for a zero divisor', () => {
    const a = tensor('i32', [5], [-7, 7, -7, 7, 5]);
    const b = tensor('i32', [5], [2, -2, -2, 2, 0]);
    expect(toNumbers(binary('div', a, b))).toEqual([-3, -3, 3, 3, 0]);
    expect(toNumbers(binary('mod', a, b)).map((v) => v + 0)).toEqual([-1, 1, -1, 1, 0]);
    expect(toNumbers(binary('div', tensor('i32', [1], [-2147483648]), tensor('i32', [1], [-1])))).toEqual([-2147483648]);
  });

  it('raises integers to integer powers with wrap', () => {
    const a = tensor('i32', [8], [2, 3, -2, 2, 1, -1, 2, 3]);
    const b = tensor('i32', [8], [10, 3, 3, -1, -5, -3, 31, 40]);
    expect(toNumbers(binary('pow', a, b))).toEqual([1024, 27, -8, 0, 1, -1, -2147483648, Number(BigInt.asIntN(32, 3n ** 40n))]);
    expect(toNumbers(binary('pow', tensor('i8', [1], [3]), tensor('i8', [1], [5])))).toEqual([Number(BigInt.asIntN(8, 243n))]);
  });

  it('keeps i64 arithmetic exact with 64-bit wrap', () => {
    const big = (v: bigint[]): Tensor => ({ dtype: 'i64', shape: [v.length], data: BigInt64Array.from(v) });
    const a = big([2n ** 53n + 1n, 2n ** 63n - 1n, 3n ** 39n, -7n, 3n]);
    const b = big([1n, 1n, 3n, 2n, 41n]);
    expect([...(binary('add', a, b).data as BigInt64Array)]).toEqual([2n ** 53n + 2n, -(2n ** 63n), 3n ** 39n + 3n, -5n, 44n]);
    expect([...(binary('mul', a, b).data as BigInt64Array)]).toEqual([2n ** 53n + 1n, 2n ** 63n - 1n, BigInt.asIntN(64, 3n ** 40n), -14n, 123n]);
    expect([...(binary('div', a, b).data as BigInt64Array)]).toEqual([2n ** 53n + 1n, 2n ** 63n - 1n, 3n ** 38n, -3n, 0n]);
    expect([...(binary('pow', big([3n]), big([41n])).data as BigInt64Array)]).toEqual([BigInt.asIntN(64, 3n ** 41n)]);
    expect(toNumbers(binary('lt', big([2n ** 60n]), big([2n ** 60n + 1n])))).toEqual([1]);
    const mixed = binary('mul', big([2n ** 40n + 1n]), tensor('i32', [1], [2 ** 20]));
    expect([...(mixed.data as BigInt64Array)]).toEqual([2n ** 60n + 2n ** 20n]);
  });

  it('rounds f16 results', () => {
    const a = tensor('f16', [3], [2048, 1, 0.1]);
    const b = tensor('f16', [3], [1, 2 ** -11, 0]);
    expect(toNumbers(binary('add', a, b))).toEqual([2048, 1, 0.0999755859375]);
  });
});

describe('where', () => {
  it('broadcasts three ways', () => {
    const cond = tensor('bool', [2, 1], [1, 0]);
    const a = f32([1, 2, 3], [1, 3]);
    const b = f32([-1], []);
    const y = where(cond, a, b);
    expect(y.shape).toEqual([2, 3]);
    expect(toNumbers(y)).toEqual([1, 2, 3, -1, -1, -1]);
  });

  it('moves i64 values exactly', () => {
    const a: Tensor = { dtype: 'i64', shape: [2], data: BigInt64Array.from([2n ** 62n + 1n, 5n]) };
    const b: Tensor = { dtype: 'i64', shape: [], data: BigInt64Array.from([-1n]) };
    expect([...(where(tensor('bool', [2], [1, 0]), a, b).data as BigInt64Array)]).toEqual([2n ** 62n + 1n, -1n]);
  });

  it('matches a select loop on random data', () => {
    const cond = randomTensor('bool', [7, 1, 129], 7);
    const a = randomTensor('f32', [1, 3, 129], 8);
    const b = randomTensor('f32', [7, 3, 1], 9);
    const y = where(cond, a, b);
    expect(y.shape).toEqual([7, 3, 129]);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 129; k++) {
      const want = cond.data[i * 129 + k] ? a.data[j * 129 + k] : b.data[i * 3 + j];
      if (y.data[(i * 3 + j) * 129 + k] !== want) expect.fail(`mismatch at ${i},${j},${k}`);
    }
  });
});

describe('cast', () => {
  it('truncates floats to ints, NaN and infinities to 0, wrapping out of range', () => {
    expect(toNumbers(cast(f32([2.7, -2.7, NaN, Infinity, 3e9]), 'i32'))).toEqual([2, -2, 0, 0, 3e9 - 2 ** 32]);
    expect(toNumbers(cast(f32([200, -129, 127.9]), 'i8'))).toEqual([-56, 127, 127]);
    expect(toNumbers(cast(tensor('i32', [3], [300, -1, 255]), 'u8'))).toEqual([44, 255, 255]);
    expect(toNumbers(cast(tensor('i32', [2], [300, -129]), 'i8'))).toEqual([44, 127]);
    expect([...(cast(f32([-2.5, NaN, 1e10]), 'i64').data as BigInt64Array)]).toEqual([-2n, 0n, 10000000000n]);
  });

  it('casts to bool as != 0 and from bool as 0/1', () => {
    expect(toNumbers(cast(f32([0, -0, 0.5, NaN, -3]), 'bool'))).toEqual([0, 0, 1, 1, 1]);
    expect(toNumbers(cast(tensor('bool', [2], [1, 0]), 'f32'))).toEqual([1, 0]);
  });

  it('rounds to f16 to nearest even', () => {
    const x = f32([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 65519, 0.1, 2 ** -25, 2 ** -24]);
    expect(toNumbers(cast(x, 'f16'))).toEqual([1, 1 + 2 ** -9, Infinity, 65504, 0.0999755859375, 0, 2 ** -24]);
  });

  it('wraps i64 exactly into narrower ints', () => {
    const x: Tensor = { dtype: 'i64', shape: [4], data: BigInt64Array.from([2n ** 40n + 5n, 300n, -1n, 0n]) };
    expect(toNumbers(cast(x, 'i32'))).toEqual([5, 300, -1, 0]);
    expect(toNumbers(cast(x, 'i8'))).toEqual([5, 44, -1, 0]);
    expect(toNumbers(cast(x, 'u8'))).toEqual([5, 44, 255, 0]);
    expect(toNumbers(cast(x, 'bool'))).toEqual([1, 1, 1, 0]);
  });

  it('round-trips ints through f32 on random data', () => {
    const x = randomTensor('i32', [1000], 10);
    expect(toNumbers(cast(cast(x, 'f32'), 'i32'))).toEqual(toNumbers(x));
  });
});

describe('the wider dtype set', () => {
  const big = (t: Tensor): bigint[] => [...(t.data as BigInt64Array | BigUint64Array)];

  it('wraps u32 add, sub and mul modulo 2^32, and divides as unsigned', () => {
    const a = tensor('u32', [4], [4294967295, 3, 2 ** 31, 4000000000]);
    const b = tensor('u32', [4], [1, 5, 2, 3]);
    expect(toNumbers(binary('add', a, b))).toEqual([0, 8, 2 ** 31 + 2, 4000000003]);
    expect(toNumbers(binary('sub', a, b))).toEqual([4294967294, 4294967294, 2 ** 31 - 2, 3999999997]);
    expect(toNumbers(binary('mul', a, b))).toEqual([4294967295, 15, 0, 3410065408]);
    expect(toNumbers(binary('div', a, b))).toEqual([4294967295, 0, 2 ** 30, 1333333333]);
    expect(toNumbers(binary('gt', a, b))).toEqual([1, 0, 1, 1]);
    expect(toNumbers(binary('pow', tensor('u32', [1], [3]), tensor('u32', [1], [21])))).toEqual([10460353203 % 2 ** 32]);
  });

  it('wraps i16 and u16 like C', () => {
    expect(toNumbers(binary('add', tensor('i16', [2], [32767, -32768]), tensor('i16', [2], [1, -1])))).toEqual([-32768, 32767]);
    expect(toNumbers(binary('mul', tensor('i16', [1], [300]), tensor('i16', [1], [300])))).toEqual([90000 - 65536]);
    expect(toNumbers(binary('sub', tensor('u16', [2], [0, 5]), tensor('u16', [2], [1, 7])))).toEqual([65535, 65534]);
    expect(toNumbers(unary('neg', tensor('u16', [2], [1, 0])))).toEqual([65535, 0]);
  });

  it('keeps u64 exact with wrap modulo 2^64, comparing and dividing as unsigned', () => {
    const max = 2n ** 64n - 1n;
    const a = tensor('u64', [4], [max, 2n ** 63n, 3n, 2n ** 53n + 1n]);
    const b = tensor('u64', [4], [1n, 2n, 5n, 2n]);
    expect(big(binary('add', a, b))).toEqual([0n, 2n ** 63n + 2n, 8n, 2n ** 53n + 3n]);
    expect(big(binary('sub', a, b))).toEqual([max - 1n, 2n ** 63n - 2n, max - 1n, 2n ** 53n - 1n]);
    expect(big(binary('mul', a, b))).toEqual([max, 0n, 15n, 2n ** 54n + 2n]);
    expect(big(binary('div', a, b))).toEqual([max, 2n ** 62n, 0n, 2n ** 52n]);
    expect(big(binary('mod', a, b))).toEqual([0n, 0n, 3n, 1n]);
    expect(big(binary('max', a, b))).toEqual([max, 2n ** 63n, 5n, 2n ** 53n + 1n]);
    expect(toNumbers(binary('gt', a, b))).toEqual([1, 1, 0, 1]);
    expect(binary('add', a, b).data).toBeInstanceOf(BigUint64Array);
    expect(big(unary('neg', tensor('u64', [2], [1n, 0n])))).toEqual([max, 0n]);
  });

  it('computes f64 in f64: 0.1 + 0.2 is not rounded through f32', () => {
    const s = binary('add', tensor('f64', [1], [0.1]), tensor('f64', [1], [0.2]));
    expect(s.dtype).toBe('f64');
    expect(s.data).toBeInstanceOf(Float64Array);
    expect(toNumbers(s)).toEqual([0.30000000000000004]);
    expect(toNumbers(binary('add', f32([0.1]), f32([0.2])))).toEqual([Math.fround(Math.fround(0.1) + Math.fround(0.2))]);
    expect(toNumbers(unary('exp', tensor('f64', [1], [1])))).toEqual([Math.E]);
    expect(toNumbers(binary('div', tensor('f64', [1], [1]), tensor('f64', [1], [3])))).toEqual([1 / 3]);
  });

  it('rounds bf16 and fp8 results on store, fp8 saturating', () => {
    expect(toNumbers(binary('add', tensor('bf16', [1], [1]), tensor('bf16', [1], [2 ** -8 + 2 ** -9])))).toEqual([1 + 2 ** -7]);
    expect(toNumbers(binary('mul', tensor('f8e4m3fn', [2], [448, 3]), tensor('f8e4m3fn', [2], [2, 0.3125])))).toEqual([448, 0.9375]);
    expect(toNumbers(binary('mul', tensor('f8e5m2', [1], [57344]), tensor('f8e5m2', [1], [2])))).toEqual([57344]);
    expect(toNumbers(binary('add', tensor('f4e2m1', [2], [4, 1]), tensor('f4e2m1', [2], [4, 1.5])))).toEqual([6, 2]);
  });

  it('wraps the sub-byte integers', () => {
    expect(toNumbers(binary('add', tensor('i4', [3], [7, -8, 3]), tensor('i4', [3], [1, -1, 2])))).toEqual([-8, 7, 5]);
    expect(toNumbers(binary('mul', tensor('u4', [2], [15, 4]), tensor('u4', [2], [15, 4])))).toEqual([1, 0]);
    expect(toNumbers(binary('add', tensor('i2', [4], [1, -2, -1, 0]), tensor('i2', [4], [1, -1, -1, 1])))).toEqual([-2, 1, -2, 1]);
    expect(toNumbers(binary('sub', tensor('u2', [2], [0, 3]), tensor('u2', [2], [1, 1])))).toEqual([3, 2]);
  });

  it('moves every dtype through where exactly', () => {
    const c = tensor('bool', [2], [1, 0]);
    expect(big(where(c, tensor('u64', [2], [2n ** 64n - 1n, 1n]), tensor('u64', [2], [5n, 2n ** 63n])))).toEqual([2n ** 64n - 1n, 2n ** 63n]);
    expect(toNumbers(where(c, tensor('f64', [2], [0.1, 0.2]), tensor('f64', [2], [0.3, 0.4])))).toEqual([0.1, 0.4]);
  });
});

describe('cast between the wider dtypes (ONNX Cast semantics)', () => {
  const big = (t: Tensor): bigint[] => [...(t.data as BigInt64Array | BigUint64Array)];

  it('float → int truncates and wraps; → 4- and 2-bit ints round half to even, then wrap', () => {
    expect(toNumbers(cast(f32([2.7, -2.7, 70000, -1]), 'u16'))).toEqual([2, 65534, 70000 - 65536, 65535]);
    expect(toNumbers(cast(f32([2.7, -2.7, -1, 5e9]), 'u32'))).toEqual([2, 4294967294, 4294967295, 5e9 - 2 ** 32]);
    expect(big(cast(tensor('f64', [3], [-1, 2 ** 64 + 4096, 1.5]), 'u64'))).toEqual([2n ** 64n - 1n, 4096n, 1n]);
    expect(toNumbers(cast(f32([2.5, 3.5, -2.5, 7.6, 8, -9, 15, NaN]), 'i4'))).toEqual([2, 4, -2, -8, -8, 7, -1, 0]);
    expect(toNumbers(cast(f32([2.5, 3.5, -1, 16, 17.5]), 'u4'))).toEqual([2, 4, 15, 0, 2]);
    expect(toNumbers(cast(f32([-3, -2, 1.5, 2, 3]), 'i2'))).toEqual([1, -2, -2, -2, -1]);
    expect(toNumbers(cast(f32([-3, -1, 2.5, 4]), 'u2'))).toEqual([1, 3, 2, 0]);
  });

  it('int → int wraps (two\'s complement), exactly from u64 and i64', () => {
    expect(toNumbers(cast(tensor('u64', [3], [2n ** 64n - 1n, 2n ** 32n + 7n, 2n ** 63n]), 'i32'))).toEqual([-1, 7, 0]);
    expect(toNumbers(cast(tensor('i64', [2], [-1n, 2n ** 40n + 9n]), 'u16'))).toEqual([65535, 9]);
    expect(big(cast(tensor('i64', [2], [-1n, -(2n ** 63n)]), 'u64'))).toEqual([2n ** 64n - 1n, 2n ** 63n]);
    expect(big(cast(tensor('u64', [1], [2n ** 64n - 2n]), 'i64'))).toEqual([-2n]);
    expect(toNumbers(cast(tensor('u32', [2], [4294967295, 200]), 'i8'))).toEqual([-1, -56]);
    expect(toNumbers(cast(tensor('i8', [3], [-1, 9, -9]), 'i4'))).toEqual([-1, -7, 7]);
    expect(toNumbers(cast(tensor('i4', [2], [-8, 7]), 'u2'))).toEqual([0, 3]);
  });

  it('int → float rounds the exact integer once (no double rounding through f64)', () => {
    // 2^60 + 2^36 + 1 lies just above the f32 half-way point 2^60 + 2^36; Number() alone would
    // land on the tie and round to even (2^60).
    expect(toNumbers(cast(tensor('u64', [1], [2n ** 60n + 2n ** 36n + 1n]), 'f32'))).toEqual([2 ** 60 + 2 ** 37]);
    expect(toNumbers(cast(tensor('u64', [1], [2n ** 60n + 2n ** 36n]), 'f32'))).toEqual([2 ** 60]);
    expect(toNumbers(cast(tensor('u64', [1], [2n ** 64n - 1n]), 'f64'))).toEqual([2 ** 64]);
    expect(toNumbers(cast(tensor('u32', [1], [70000]), 'f16'))).toEqual([Infinity]);
    expect(toNumbers(cast(tensor('i32', [2], [1000, -1000]), 'f8e4m3fn'))).toEqual([448, -448]);
    expect(toNumbers(cast(tensor('i32', [1], [1000]), 'f8e4m3fn', { saturate: false }))).toEqual([NaN]);
  });

  it('float → float goes straight from the value; saturate and round_mode pass through', () => {
    expect(toNumbers(cast(tensor('f64', [1], [1 + 2 ** -11 + 2 ** -40]), 'f16'))).toEqual([1 + 2 ** -10]);
    expect(toNumbers(cast(tensor('f64', [2], [1e300, -1e-300]), 'f32'))).toEqual([Infinity, -0]);
    expect(toNumbers(cast(f32([1e6]), 'f8e5m2', { saturate: false }))).toEqual([Infinity]);
    expect(toNumbers(cast(f32([1e6]), 'f8e5m2'))).toEqual([57344]);
    expect(toNumbers(cast(f32([1.1, 3]), 'f8e8m0', { roundMode: 'down' }))).toEqual([1, 2]);
    expect(toNumbers(cast(f32([1.1, 3]), 'f8e8m0'))).toEqual([2, 4]);
    expect(toNumbers(cast(tensor('f8e4m3fnuz', [2], [240, -0.5]), 'f8e5m2'))).toEqual([256, -0.5]); // 240 is a tie between 224 and 256
    expect(toNumbers(cast(tensor('bf16', [1], [2 ** 100]), 'f16'))).toEqual([Infinity]);
    expect(cast(tensor('f16', [1], [1]), 'f64').data).toBeInstanceOf(Float64Array);
  });

  it('→ bool is != 0 (NaN true); bool → anything is 0 or 1', () => {
    expect(toNumbers(cast(tensor('f8e5m2', [3], [0, -0, NaN]), 'bool'))).toEqual([0, 0, 1]);
    expect(toNumbers(cast(tensor('u64', [2], [0n, 2n ** 64n - 1n]), 'bool'))).toEqual([0, 1]);
    expect(big(cast(tensor('bool', [2], [1, 0]), 'u64'))).toEqual([1n, 0n]);
    expect(toNumbers(cast(tensor('bool', [2], [1, 0]), 'f8e8m0'))).toEqual([1, 2 ** -127]);
  });
});
