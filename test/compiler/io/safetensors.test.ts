import { describe, expect, it } from 'vitest';
import { ALL_DTYPES, DTYPES } from '../../../compiler/ir/dtype.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { encodeSafetensors, readSafetensors } from '../../../compiler/io/safetensors.js';
import { SHAPES, expectDiagnostic, expectQuickDiagnostic, expectSameTensor, sample } from './helpers.js';

/** A safetensors file from a header object (or raw header text) and a data buffer. */
function file(header: object | string, data: ArrayLike<number> = [], headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('safetensors round trips', () => {
  it('every dtype and awkward shape in one file', () => {
    const tensors = new Map<string, Tensor>();
    for (const dtype of ALL_DTYPES.filter((d) => DTYPES[d].safetensors !== undefined)) {
      for (const shape of SHAPES) tensors.set(`${dtype}.${shape.join('x')}`, sample(dtype, shape));
    }
    expect(tensors.size).toBe(16 * SHAPES.length);
    const back = readSafetensors(encodeSafetensors(tensors, { format: 'pt' }), 'all.safetensors');
    expect([...back.keys()]).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) expectSameTensor(back.get(name)!, t);
  });

  it('takes a record, and lays the file out like the reference implementation', () => {
    const bytes = encodeSafetensors({ b: tensor('i64', [2], [1, -1]), a: tensor('f16', [3], [1, 2, 3]) }, { note: 'hi' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as unknown;
    expect(header).toEqual({
      __metadata__: { note: 'hi' },
      b: entry('I64', [2], 0, 16),
      a: entry('F16', [3], 16, 22),
    });
    expect(bytes.length).toBe(8 + n + 22);
    expect([...readSafetensors(bytes, 'r.safetensors').get('b')!.data]).toEqual([1n, -1n]);
  });

  it('keeps a tensor named __proto__ as an ordinary name', () => {
    const t = tensor('f32', [1], [4]);
    const back = readSafetensors(encodeSafetensors(new Map([['__proto__', t]])), 'p.safetensors');
    expectSameTensor(back.get('__proto__')!, t);
  });

  it('reads an empty file (no tensors)', () => {
    expect(readSafetensors(file({}), 'e.safetensors').size).toBe(0);
    expect(readSafetensors(encodeSafetensors({}), 'e.safetensors').size).toBe(0);
  });
});

describe('safetensors dtypes', () => {
  it('BF16 stays bf16, exactly', () => {
    const bits = new Uint16Array([0x3f80, 0xc040, 0x7f80, 0x0001]);
    const bytes = file({ w: entry('BF16', [2, 2], 0, 8) }, new Uint8Array(bits.buffer));
    const t = readSafetensors(bytes, 'b.safetensors').get('w')!;
    expect(t.dtype).toBe('bf16');
    expect(t.shape).toEqual([2, 2]);
    expect(toNumbers(t)).toEqual([1, -3, Infinity, 2 ** -133]);
    expect(encodeSafetensors({ w: t }).slice(-8)).toEqual(new Uint8Array(bits.buffer));
  });

  it('F64 stays f64, exactly', () => {
    const v = new Float64Array([0.1, -1 / 3, 1e300]);
    const t = readSafetensors(file({ w: entry('F64', [3], 0, 24) }, new Uint8Array(v.buffer)), 'd.safetensors').get('w')!;
    expect(t.dtype).toBe('f64');
    expect(toNumbers(t)).toEqual([0.1, -1 / 3, 1e300]);
  });

  it('F8_E4M3, F8_E5M2 and F8_E8M0 are one bit pattern per byte', () => {
    const bytes = [0x38, 0xb8, 0x7e, 0x01];
    const read = (name: string) => readSafetensors(file({ w: entry(name, [4], 0, 4) }, bytes), 'f8.safetensors').get('w')!;
    expect(read('F8_E4M3').dtype).toBe('f8e4m3fn');
    expect(toNumbers(read('F8_E4M3'))).toEqual([1, -1, 448, 2 ** -9]);
    expect(toNumbers(read('F8_E5M2'))).toEqual([0.5, -0.5, NaN, 2 ** -16]);
    expect(toNumbers(read('F8_E8M0'))).toEqual([2 ** -71, 2 ** 57, 2 ** -1, 2 ** -126]);
    expect([...encodeSafetensors({ w: read('F8_E5M2') }).slice(-4)]).toEqual(bytes);
  });

  it('refuses to write dtypes safetensors has no name for', () => {
    for (const dtype of ['f8e4m3fnuz', 'f8e5m2fnuz', 'f4e2m1', 'i4', 'u4', 'i2', 'u2'] as const) {
      expect(DTYPES[dtype].safetensors).toBeUndefined();
      expectDiagnostic(() => encodeSafetensors({ w: sample(dtype, [2]) }), 5017, `cannot write 'w': safetensors has no ${dtype} dtype`);
    }
  });

  it('reads data at unaligned offsets', () => {
    const data = new Uint8Array(9);
    new DataView(data.buffer).setFloat32(1, 2.5, true);
    new DataView(data.buffer).setFloat32(5, -1, true);
    const t = readSafetensors(file({ x: entry('U8', [1], 0, 1), w: entry('F32', [2], 1, 9) }, data), 'u.safetensors');
    expect(toNumbers(t.get('w')!)).toEqual([2.5, -1]);
  });
});

describe('hostile safetensors files', () => {
  it('refuses a header length of 2^60 before reading anything', () => {
    expectQuickDiagnostic(() => readSafetensors(file({}, [], 2n ** 60n), 'h.safetensors'), 5006,
      'the safetensors header length 1152921504606846976 is over the limit of 100000000 bytes');
  });

  it('refuses a header length that points past the end, and short files', () => {
    expectDiagnostic(() => readSafetensors(file({}, [], 1000n), 'h.safetensors'), 5006, /header length 1000 points past the end of the file \(10 bytes\)/);
    expectDiagnostic(() => readSafetensors(new Uint8Array(5), 's.safetensors'), 5006, /8-byte header length; this file has 5 bytes/);
  });

  it('refuses headers that are not a JSON object', () => {
    expectDiagnostic(() => readSafetensors(file('{"a": '), 'j.safetensors'), 5006, /not valid JSON/);
    expectDiagnostic(() => readSafetensors(file('[1, 2]'), 'j.safetensors'), 5006, /must be a JSON object/);
    expectDiagnostic(() => readSafetensors(file('null'), 'j.safetensors'), 5006, /must be a JSON object/);
    const badUtf8 = file('{"\u00ff": 1}');
    badUtf8[10] = 0xff;
    expectDiagnostic(() => readSafetensors(badUtf8, 'j.safetensors'), 5006, /not valid JSON/);
  });

  it('refuses offsets outside the buffer', () => {
    const data = new Uint8Array(8);
    expectDiagnostic(() => readSafetensors(file({ w: entry('F32', [4], 0, 16) }, data), 'o.safetensors'), 5006,
      "tensor 'w' has data_offsets [0, 16] outside the 8-byte data buffer");
    expectDiagnostic(() => readSafetensors(file({ w: entry('F32', [1], 8, 4) }, data), 'o.safetensors'), 5006, /outside/);
    expectDiagnostic(() => readSafetensors(file({ w: entry('F32', [1], 2 ** 60, 2 ** 60 + 4) }, data), 'o.safetensors'), 5006, /data_offsets/);
    expectDiagnostic(() => readSafetensors(file({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, data), 'o.safetensors'), 5006,
      /needs data_offsets \[begin, end\]/);
    expectDiagnostic(() => readSafetensors(file({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, data), 'o.safetensors'), 5006,
      /needs data_offsets/);
  });

  it('refuses offsets that disagree with dtype and shape, and overlapping tensors', () => {
    const data = new Uint8Array(16);
    expectDiagnostic(() => readSafetensors(file({ w: entry('F32', [3], 0, 16) }, data), 'm.safetensors'), 5006,
      "tensor 'w' has 16 bytes of data, but shape [3] of F32 needs 12");
    expectDiagnostic(() => readSafetensors(file({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 4, 12) }, data), 'm.safetensors'), 5006,
      "tensors 'a' and 'b' overlap in the data buffer");
  });

  it('refuses a shape of [1e12, 1e12] without allocating', () => {
    expectQuickDiagnostic(() => readSafetensors(file({ w: entry('F32', [1e12, 1e12], 0, 0) }), 'big.safetensors'), 5013,
      /'big.safetensors: w' would need 4,000,000,000,000,000,000,000,000 bytes/);
  });

  it('refuses bad dtypes, shapes, entries and metadata', () => {
    const data = new Uint8Array(8);
    const cases: [object, RegExp][] = [
      [{ w: entry('C64', [1], 0, 8) }, /tensor 'w' has dtype C64, which is not supported \(supported: F32 F16 I32 I64 I8 U8 BOOL F64 BF16 F8_E4M3 F8_E5M2 F8_E8M0 I16 U16 U32 U64\)/],
      [{ w: { shape: [2], data_offsets: [0, 8] } }, /tensor 'w' has no dtype/],
      [{ w: entry('F32', [-2], 0, 8) }, /shape that is not a list of non-negative integers/],
      [{ w: entry('F32', [1.5], 0, 8) }, /shape that is not a list/],
      [{ w: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, /shape that is not a list/],
      [{ w: [1, 2] }, /tensor 'w' must be an object/],
      [{ __metadata__: { n: 1 } }, /'__metadata__' must map names to strings/],
      [{ __metadata__: 'x' }, /'__metadata__' must map names to strings/],
    ];
    for (const [header, message] of cases) {
      expectDiagnostic(() => readSafetensors(file(header, data), 'bad.safetensors'), 5006, message);
    }
  });
});
