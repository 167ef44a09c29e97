// NumPy .npy files (format versions 1.0, 2.0 and 3.0).
//
//   "\x93NUMPY" major minor | header length (u16 LE for 1.x, u32 LE for 2.x/3.x)
//   | header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//   | packed element data
//
// Read: descr <f8 <f4 <f2 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1 (and ? for bool), byte order
// '<', '=' or '|'; each becomes the dtype of that name (f64 stays f64). C order only.
// Big-endian data, Fortran order, structured and other dtypes are refused with a badFile
// diagnostic, as is any size inconsistency.
// Write: version 1.0 (2.0 when the header would not fit), header padded to 64 bytes like numpy.
// numpy has no bf16, fp8, f4e2m1 or sub-byte integer dtype (ml_dtypes' are not readable by
// plain numpy), so writing those is refused with a cannotWrite diagnostic rather than silently
// widened: cast to f32 (or an integer type) first, or save a TensorProto or safetensors file.
import { DiagnosticError, diag } from '../diagnostics/diagnostic.js';
import { ALL_DTYPES, DTYPES, packedBytes, type DType } from '../ir/dtype.js';
import type { Tensor } from '../interpret/tensor.js';
import {
  DEFAULT_MAX_TENSOR_BYTES, checkedSize, decodeLittleEndian, encodeLittleEndian, failFile, formatShape, type ReadOptions,
} from './raw-data.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** descr type codes (without the byte-order character) we read: every dtype with an npy descr, and '?'. */
const DESCR_TYPES: Readonly<Record<string, DType>> = Object.fromEntries([
  ...ALL_DTYPES.flatMap((d) => (DTYPES[d].npy === undefined ? [] : [[DTYPES[d].npy!.slice(1), d] as const])),
  ['?', 'bool'],
]);

const SUPPORTED_DESCRS = ALL_DTYPES.flatMap((d) => DTYPES[d].npy ?? []).join(' ');

export function readNpy(bytes: Uint8Array, path: string, opts: ReadOptions = {}): Tensor {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    failFile(path, 'not a .npy file (it does not start with "\\x93NUMPY")');
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) failFile(path, 'the .npy header is truncated');
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    failFile(path, `.npy format version ${major}.${minor} is not supported (expected 1.0, 2.0 or 3.0)`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    failFile(path, `the .npy header length ${headerLength} points past the end of the file (${bytes.length} bytes)`);
  }
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { dtype, shape } = parseHeader(headerText, path);

  const size = checkedSize(shape, dtype, path, maxBytes);
  const expected = packedBytes(dtype, size);
  const actual = bytes.length - dataStart;
  if (actual !== expected) {
    failFile(path, `the data is ${actual} bytes, but shape ${formatShape(shape)} of ${dtype} needs ${expected} bytes`
      + (actual < expected ? ' (the file is truncated)' : ''));
  }
  const data = decodeLittleEndian(dtype, bytes.subarray(dataStart), size);
  return { dtype, shape, data };
}

/**
 * The .npy bytes of `t`. A dtype numpy has no descr for (bf16, fp8, f4e2m1, i4, u4, i2, u2) is
 * refused with a cannotWrite diagnostic naming `path` and the dtype.
 */
export function encodeNpy(t: Tensor, path = 'the .npy file'): Uint8Array {
  const descr = DTYPES[t.dtype].npy;
  if (descr === undefined) {
    throw new DiagnosticError([diag('cannotWrite', undefined, path,
      `numpy has no ${t.dtype} dtype, so a .npy file cannot hold this ${t.dtype} tensor; cast it to f32 (or an integer type) first, or save it as an ONNX TensorProto or safetensors file`)]);
  }
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy pads with spaces and ends with '\n' so the data starts on a 64-byte boundary.
  let prefix = 10;
  let pad = padTo64(prefix + dict.length + 1);
  if (dict.length + pad + 1 > 0xffff) {
    prefix = 12;
    pad = padTo64(prefix + dict.length + 1);
  }
  const header = new TextEncoder().encode(`${dict}${' '.repeat(pad)}\n`);
  const data = encodeLittleEndian(t);
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = prefix === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (prefix === 10) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, prefix);
  out.set(data, prefix + header.length);
  return out;
}

function padTo64(n: number): number {
  return (64 - (n % 64)) % 64;
}

// ---- the header dict ----------------------------------------------------------------------------

function parseHeader(text: string, path: string): { dtype: DType; shape: number[] } {
  let value: PyValue;
  try {
    value = parsePyLiteral(text);
  } catch (e) {
    if (e instanceof HeaderSyntaxError) failFile(path, `malformed .npy header: ${e.message}`);
    throw e;
  }
  if (!(value instanceof Map)) failFile(path, 'malformed .npy header: expected a dict');
  const descr = value.get('descr');
  const fortran = value.get('fortran_order');
  const shape = value.get('shape');
  if (descr === undefined || fortran === undefined || shape === undefined) {
    failFile(path, "malformed .npy header: it needs the keys 'descr', 'fortran_order' and 'shape'");
  }
  if (typeof descr !== 'string') failFile(path, 'structured (record) dtypes are not supported');
  if (typeof fortran !== 'boolean') failFile(path, "malformed .npy header: 'fortran_order' must be True or False");
  if (fortran) {
    failFile(path, 'the array is stored in Fortran (column-major) order; only C order is supported '
      + '(save np.ascontiguousarray(a) instead)');
  }
  if (!Array.isArray(shape)) failFile(path, "malformed .npy header: 'shape' must be a tuple of integers");
  const dims = shape.map((d) => (typeof d === 'number' ? d : NaN));
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    failFile(path, `malformed .npy header: shape (${shape.map(String).join(', ')}) must hold non-negative integers`);
  }
  return { dtype: descrType(descr, path), shape: dims };
}

function descrType(descr: string, path: string): DType {
  const order = '<>=|'.includes(descr[0] ?? '') ? descr[0]! : '';
  const code = order === '' ? descr : descr.slice(1);
  const dtype = Object.prototype.hasOwnProperty.call(DESCR_TYPES, code) ? DESCR_TYPES[code]! : undefined;
  if (dtype === undefined) {
    failFile(path, `dtype '${descr}' is not supported (supported: ${SUPPORTED_DESCRS})`);
  }
  if (order === '>' && DTYPES[dtype].bits > 8) {
    failFile(path, `big-endian data ('${descr}') is not supported; save a little-endian copy with a.astype('<${code}')`);
  }
  return dtype;
}

// ---- a small parser for the Python literals numpy writes --------------------------------------

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

class HeaderSyntaxError extends Error {}

const MAX_DEPTH = 8;

/** Parses a dict/tuple/list/str/int/True/False/None literal (ints may carry Python 2's 'L'). */
function parsePyLiteral(text: string): PyValue {
  let pos = 0;

  const skipSpace = (): void => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos]!)) pos++;
  };
  const error = (what: string): never => {
    const found = pos < text.length ? `'${text[pos]}'` : 'the end of the header';
    throw new HeaderSyntaxError(`expected ${what} at offset ${pos}, found ${found}`);
  };
  const eat = (ch: string): boolean => {
    skipSpace();
    if (text[pos] === ch) {
      pos++;
      return true;
    }
    return false;
  };

  /** Items up to `close`, separated by commas, trailing comma allowed. */
  const sequence = (close: string, item: () => void): void => {
    while (!eat(close)) {
      item();
      if (!eat(',')) {
        if (!eat(close)) error(`',' or '${close}'`);
        return;
      }
    }
  };

  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) throw new HeaderSyntaxError('the header nests too deeply');
    skipSpace();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      const map = new Map<string, PyValue>();
      sequence('}', () => {
        const key = value(depth + 1);
        if (typeof key !== 'string') throw new HeaderSyntaxError('dict keys must be strings');
        if (!eat(':')) error("':'");
        map.set(key, value(depth + 1));
      });
      return map;
    }
    if (ch === '(' || ch === '[') {
      pos++;
      const items: PyValue[] = [];
      sequence(ch === '(' ? ')' : ']', () => items.push(value(depth + 1)));
      return items;
    }
    if (ch === "'" || ch === '"') return str(ch);
    const m = /^(-?\d+)L?|^(True|False|None)\b/.exec(text.slice(pos, pos + 64));
    if (m === null) return error('a value');
    pos += m[0].length;
    if (m[1] !== undefined) return Number(m[1]);
    return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
  };

  const str = (quote: string): string => {
    pos++;
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] === '\n') break;
      if (text[pos] === '\\' && pos + 1 < text.length) pos++;
      out += text[pos++];
    }
    if (text[pos] !== quote) error(`a closing ${quote}`);
    pos++;
    return out;
  };

  const result = value(0);
  skipSpace();
  if (pos !== text.length) error('the end of the header');
  return result;
}
