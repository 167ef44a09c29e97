import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_DTYPES, DTYPES } from '../../../compiler/ir/dtype.js';
import { tensor, toNumbers } from '../../../compiler/interpret/tensor.js';
import { encodeNpy, readNpy } from '../../../compiler/io/npy.js';
import { NPY_FIXTURES, SHAPES, expectDiagnostic, expectQuickDiagnostic, expectSameTensor, sample } from './helpers.js';

const fixture = (name: string): Uint8Array => readFileSync(path.join(NPY_FIXTURES, name));
const readFixture = (name: string) => readNpy(fixture(name), name);

/** A .npy file with the given header text (padded as numpy does) and data bytes. */
function npyBytes(header: string, data: ArrayLike<number> = [], version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const pad = (64 - ((prefix + header.length + 1) % 64)) % 64;
  const text = new TextEncoder().encode(header + ' '.repeat(pad) + '\n');
  const out = new Uint8Array(prefix + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, prefix);
  out.set(data, prefix + text.length);
  return out;
}

const f32Bytes = (...v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);

describe('npy round trips', () => {
  for (const dtype of ALL_DTYPES.filter((d) => DTYPES[d].npy !== undefined)) {
    for (const shape of SHAPES) {
      it(`${dtype} [${shape.join(', ')}]`, () => {
        const t = sample(dtype, shape);
        expectSameTensor(readNpy(encodeNpy(t), 'mem.npy'), t);
      });
    }
  }

  it('refuses to write dtypes numpy does not have, naming the file and the dtype', () => {
    for (const dtype of ALL_DTYPES.filter((d) => DTYPES[d].npy === undefined)) {
      expectDiagnostic(() => encodeNpy(sample(dtype, [3]), 'out/y.npy'), 5017, `cannot write 'out/y.npy': numpy has no ${dtype} dtype`);
    }
    expect(ALL_DTYPES.filter((d) => DTYPES[d].npy === undefined)).toEqual(['bf16', 'f8e4m3fn', 'f8e4m3fnuz', 'f8e5m2', 'f8e5m2fnuz', 'f8e8m0', 'f4e2m1', 'i4', 'u4', 'i2', 'u2']);
  });

  it('writes the descr of every dtype numpy has', () => {
    const descr = (dtype: (typeof ALL_DTYPES)[number]): string => new TextDecoder().decode(encodeNpy(sample(dtype, [1]))).match(/'descr': '([^']*)'/)![1]!;
    expect(['f64', 'i16', 'u16', 'u32', 'u64'].map((d) => descr(d as never))).toEqual(['<f8', '<i2', '<u2', '<u4', '<u8']);
  });

  it('keeps u64 and i64 beyond 2^53 exactly', () => {
    const u = tensor('u64', [3], new BigUint64Array([2n ** 64n - 1n, 2n ** 53n + 1n, 0n]));
    expect([...readNpy(encodeNpy(u), 'u.npy').data]).toEqual([2n ** 64n - 1n, 2n ** 53n + 1n, 0n]);
  });

  it('keeps f16 specials and the sign of zero', () => {
    const t = tensor('f16', [6], [0, -0, Infinity, -Infinity, NaN, 65504]);
    const back = readNpy(encodeNpy(t), 'mem.npy');
    expect(Object.is(back.data[1], -0)).toBe(true);
    expect(toNumbers(back)).toEqual([0, -0, Infinity, -Infinity, NaN, 65504]);
  });

  it('pads the header to 64 bytes and switches to version 2.0 for headers over 64 KiB', () => {
    expect(encodeNpy(sample('f32', [3, 129])).length).toBe(128 + 3 * 129 * 4);
    const wide = tensor('u8', new Array<number>(25000).fill(1)); // rank 25000: a 75 KB shape tuple
    const bytes = encodeNpy(wide);
    expect(bytes[6]).toBe(2);
    expect((12 + new DataView(bytes.buffer).getUint32(8, true)) % 64).toBe(0);
    expectSameTensor(readNpy(bytes, 'wide.npy'), wide);
  });
});

describe('npy files written by numpy (test/fixtures/npy/make.py)', () => {
  it('reads f32 and writes the identical bytes back', () => {
    const t = readFixture('f32_2x3.npy');
    expect(t.dtype).toBe('f32');
    expect(t.shape).toEqual([2, 3]);
    expect(toNumbers(t)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
    for (const name of ['f32_2x3.npy', 'f32_scalar.npy', 'f16_special.npy', 'i64_5.npy', 'i32_4.npy', 'i8_4.npy', 'u8_4.npy', 'bool_2x2.npy', 'empty_0x3.npy']) {
      expect(encodeNpy(readFixture(name)), name).toEqual(new Uint8Array(fixture(name)));
    }
  });

  it('reads a 0-d scalar', () => {
    const t = readFixture('f32_scalar.npy');
    expect(t.shape).toEqual([]);
    expect(toNumbers(t)).toEqual([3.25]);
  });

  it('reads f16 including subnormals, infinities and NaN', () => {
    const t = readFixture('f16_special.npy');
    expect(t.dtype).toBe('f16');
    expect(toNumbers(t)).toEqual([0, -0, 1, -2.5, 65504, 2 ** -24, Infinity, -Infinity, NaN, 0.0999755859375]);
    expect(Object.is(t.data[1], -0)).toBe(true);
  });

  it('reads f64 as f64, exactly', () => {
    const t = readFixture('f64_3.npy');
    expect(t.dtype).toBe('f64');
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(toNumbers(t)).toEqual([0.1, 1 / 3, -2]);
    expect(encodeNpy(t)).toEqual(new Uint8Array(fixture('f64_3.npy')));
  });

  it('reads u16', () => {
    const t = readFixture('u16_3.npy');
    expect(t.dtype).toBe('u16');
    expect(t.data).toBeInstanceOf(Uint16Array);
    expect(toNumbers(t)).toEqual([0, 1, 2]);
    expect(encodeNpy(t)).toEqual(new Uint8Array(fixture('u16_3.npy')));
  });

  it('reads integers and bools exactly', () => {
    expect([...readFixture('i64_5.npy').data]).toEqual([2n ** 53n + 1n, -(2n ** 62n), 0n, -1n, 7n]);
    expect(toNumbers(readFixture('i32_4.npy'))).toEqual([-(2 ** 31), 2 ** 31 - 1, 0, -1]);
    expect(toNumbers(readFixture('i8_4.npy'))).toEqual([-128, 127, 0, -1]);
    expect(toNumbers(readFixture('u8_4.npy'))).toEqual([0, 255, 128, 1]);
    const b = readFixture('bool_2x2.npy');
    expect(b.dtype).toBe('bool');
    expect(b.shape).toEqual([2, 2]);
    expect(toNumbers(b)).toEqual([1, 0, 0, 1]);
  });

  it('reads an empty array', () => {
    const t = readFixture('empty_0x3.npy');
    expect(t.shape).toEqual([0, 3]);
    expect(t.data.length).toBe(0);
  });

  it('reads format versions 2.0 and 3.0', () => {
    for (const name of ['v2_f32_5.npy', 'v3_f32_5.npy']) {
      const t = readFixture(name);
      expect(t.shape).toEqual([5]);
      expect(toNumbers(t)).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('refuses Fortran order, big-endian data and unsupported dtypes', () => {
    expectDiagnostic(() => readFixture('fortran_2x3.npy'), 5006, /Fortran \(column-major\) order; only C order/);
    expectDiagnostic(() => readFixture('big_endian_f4.npy'), 5006, /big-endian data \('>f4'\) is not supported/);
    expectDiagnostic(() => readNpy(npyBytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16)), 'c.npy'), 5006,
      "dtype '<c16' is not supported (supported: <f4 <f2 <i4 <i8 |i1 |u1 |b1 <f8 <i2 <u2 <u4 <u8)");
  });
});

describe('npy headers', () => {
  it('tolerates spacing, quotes, key order, trailing commas and Python 2 longs', () => {
    const data = f32Bytes(1, 2, 3, 4, 5, 6);
    for (const header of [
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      "{'descr':'<f4','fortran_order':False,'shape':(2,3)}",
      '{ "shape" : ( 2 , 3 , ) , "fortran_order" : False , "descr" : "<f4" }',
      "{'descr': '=f4', 'fortran_order': False, 'shape': (2L, 3L), }",
      "{'descr': 'f4', 'fortran_order': False, 'shape': [2, 3]}",
    ]) {
      const t = readNpy(npyBytes(header, data), 'h.npy');
      expect(t.shape, header).toEqual([2, 3]);
      expect(toNumbers(t), header).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it("reads every spelling of bool ('|b1', '?', '|?')", () => {
    for (const descr of ['|b1', '?', '|?', 'b1']) {
      const t = readNpy(npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': (3,), }`, [0, 1, 7]), 'b.npy');
      expect(t.dtype, descr).toBe('bool');
      expect(toNumbers(t), descr).toEqual([0, 1, 1]);
    }
  });

  it('accepts a big-endian mark on one-byte types', () => {
    const t = readNpy(npyBytes("{'descr': '>i1', 'fortran_order': False, 'shape': (2,), }", [255, 1]), 'i.npy');
    expect(toNumbers(t)).toEqual([-1, 1]);
  });

  it('reads a version 2.0 header built by hand', () => {
    const t = readNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", [7, 0, 0, 0], 2), 'v2.npy');
    expect(toNumbers(t)).toEqual([7]);
  });
});

describe('hostile npy files', () => {
  const good = (): Uint8Array => encodeNpy(tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]));

  it('refuses truncated data and trailing bytes', () => {
    expectDiagnostic(() => readNpy(good().subarray(0, good().length - 1), 't.npy'), 5006, /23 bytes.*needs 24 bytes \(the file is truncated\)/);
    const longer = new Uint8Array(good().length + 4);
    longer.set(good());
    expectDiagnostic(() => readNpy(longer, 't.npy'), 5006, /28 bytes.*needs 24/);
  });

  it('refuses a header length that points past the end', () => {
    const b = good();
    new DataView(b.buffer).setUint16(8, 0xffff, true);
    expectDiagnostic(() => readNpy(b, 'h.npy'), 5006, /header length 65535 points past the end of the file/);
    const v2 = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", [], 2);
    new DataView(v2.buffer).setUint32(8, 0xffffffff, true);
    expectDiagnostic(() => readNpy(v2, 'h.npy'), 5006, /points past the end/);
    expectDiagnostic(() => readNpy(good().subarray(0, 9), 'h.npy'), 5006, /not a .npy file/);
  });

  it('refuses a shape of [1e12, 1e12] without allocating', () => {
    const huge = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }");
    expectQuickDiagnostic(() => readNpy(huge, 'huge.npy'), 5013, /'huge.npy' would need 4,000,000,000,000,000,000,000,000 bytes/);
  });

  it('honours a smaller size limit', () => {
    expectDiagnostic(() => readNpy(good(), 'g.npy', { maxBytes: 16 }), 5013, /over the limit of 16/);
    expect(readNpy(good(), 'g.npy', { maxBytes: 24 }).shape).toEqual([2, 3]);
  });

  it('refuses bad magic, versions, descrs and headers', () => {
    const b = good();
    b[1] = 0x4f;
    expectDiagnostic(() => readNpy(b, 'm.npy'), 5006, /not a .npy file/);
    const v9 = good();
    v9[6] = 9;
    expectDiagnostic(() => readNpy(v9, 'v.npy'), 5006, /version 9.0 is not supported/);
    const bad: [string, RegExp][] = [
      ["{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", /dtype '<c8' is not supported/],
      ["{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", /dtype '\|O' is not supported/],
      ["{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", /structured/],
      ["{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", /Fortran/],
      ["{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", /'fortran_order' must be True or False/],
      ["{'descr': '<f4', 'shape': (2,), }", /needs the keys/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", /non-negative integers/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }", /malformed .npy header/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", /'shape' must be a tuple/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", /expected ',' or '}'/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", /expected the end of the header/],
      ["('<f4', False, (2,))", /expected a dict/],
      ["{'descr: '<f4'}", /malformed/],
      ['{"a": ' + '('.repeat(5000) + ')'.repeat(5000) + '}', /nests too deeply/],
    ];
    for (const [header, message] of bad) {
      expectDiagnostic(() => readNpy(npyBytes(header, f32Bytes(1, 2)), 'bad.npy'), 5006, message);
    }
  });
});
