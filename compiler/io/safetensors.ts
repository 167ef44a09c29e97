// safetensors files: named tensors in one buffer.
//
//   u64 LE header length N | N bytes of JSON | byte buffer
//   JSON: {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//          "__metadata__": {"<key>": "<string>"}}        offsets are relative to the buffer
//
// Read and write: every dtype with a safetensors name (F64 F32 F16 BF16 F8_E4M3 F8_E5M2
// F8_E8M0 I64 I32 I16 I8 U64 U32 U16 U8 BOOL), each as the dtype of that name (F64 and BF16
// stay f64 and bf16). Other dtypes (f8e4m3fnuz, f8e5m2fnuz, f4e2m1, i4, u4, i2, u2) have no
// safetensors name; writing them is refused with a cannotWrite diagnostic. Files are treated as hostile: the header length is bounded and must
// lie within the file, every tensor's offsets must lie within the buffer, match its dtype and
// shape, and not overlap another tensor's, and all of it is checked before any tensor is
// allocated. Every failure is a badFile (or hugeTensor) diagnostic.
// Write: tensors in the order given, packed back to back; the header is padded with spaces to
// a multiple of 8 bytes, as the reference implementation does.

import { DiagnosticError, diag } from '../diagnostics/diagnostic.js';
import { ALL_DTYPES, DTYPES, packedBytes, type DType } from '../ir/dtype.js';
import type { Tensor } from '../interpret/tensor.js';
import {
  DEFAULT_MAX_TENSOR_BYTES, checkedSize, decodeLittleEndian, encodeLittleEndian, failFile, formatShape, type ReadOptions,
} from './raw-data.js';

/** Largest JSON header we parse (the reference implementation allows 100 MB too). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

const SAFETENSORS_TYPES: Readonly<Record<string, DType>> = Object.fromEntries(
  ALL_DTYPES.flatMap((d) => (DTYPES[d].safetensors === undefined ? [] : [[DTYPES[d].safetensors!, d] as const])),
);

const METADATA_KEY = '__metadata__';

interface Entry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly size: number;
  readonly begin: number;
  readonly end: number;
}

export function readSafetensors(bytes: Uint8Array, path: string, opts: ReadOptions = {}): Map<string, Tensor> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  if (bytes.length < 8) failFile(path, `a safetensors file starts with an 8-byte header length; this file has ${bytes.length} bytes`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    failFile(path, `the safetensors header length ${headerLength} is over the limit of ${MAX_SAFETENSORS_HEADER_BYTES} bytes`);
  }
  const bufferStart = 8 + Number(headerLength);
  if (bufferStart > bytes.length) {
    failFile(path, `the safetensors header length ${headerLength} points past the end of the file (${bytes.length} bytes)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, bufferStart)));
  } catch (e) {
    failFile(path, `the safetensors header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(header)) failFile(path, 'the safetensors header must be a JSON object');

  const bufferLength = bytes.length - bufferStart;
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      checkMetadata(value, path);
      continue;
    }
    entries.push(checkEntry(name, value, bufferLength, path, maxBytes));
  }
  checkNoOverlap(entries, path);

  const out = new Map<string, Tensor>();
  for (const e of entries) {
    const data = decodeLittleEndian(e.dtype, bytes.subarray(bufferStart + e.begin, bufferStart + e.end), e.size);
    out.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function checkMetadata(value: unknown, path: string): void {
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    failFile(path, `'${METADATA_KEY}' must map names to strings`);
  }
}

function checkEntry(name: string, value: unknown, bufferLength: number, path: string, maxBytes: number): Entry {
  const where = `tensor '${name}'`;
  if (!isObject(value)) failFile(path, `${where} must be an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') failFile(path, `${where} has no dtype`);
  const ours = Object.prototype.hasOwnProperty.call(SAFETENSORS_TYPES, dtype) ? SAFETENSORS_TYPES[dtype]! : undefined;
  if (ours === undefined) {
    failFile(path, `${where} has dtype ${dtype}, which is not supported (supported: ${Object.keys(SAFETENSORS_TYPES).join(' ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) failFile(path, `${where} has a shape that is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    failFile(path, `${where} needs data_offsets [begin, end] of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > bufferLength) {
    failFile(path, `${where} has data_offsets [${begin}, ${end}] outside the ${bufferLength}-byte data buffer`);
  }
  const size = checkedSize(shape, ours, path, maxBytes, `${path}: ${name}`);
  const expected = packedBytes(ours, size);
  if (end - begin !== expected) {
    failFile(path, `${where} has ${end - begin} bytes of data, but shape ${formatShape(shape)} of ${dtype} needs ${expected}`);
  }
  return { name, dtype: ours, shape: [...shape], size, begin, end };
}

function checkNoOverlap(entries: readonly Entry[], path: string): void {
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end) failFile(path, `tensors '${prev.name}' and '${cur.name}' overlap in the data buffer`);
  }
}

export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const list: [string, Tensor][] = tensors instanceof Map
    ? [...(tensors as ReadonlyMap<string, Tensor>)]
    : Object.entries(tensors as Readonly<Record<string, Tensor>>);
  // A null-prototype object: a tensor named "__proto__" stays an ordinary key.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (metadata !== undefined) header[METADATA_KEY] = { ...metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === METADATA_KEY) throw new Error(`encodeSafetensors: '${METADATA_KEY}' cannot name a tensor`);
    const stName = DTYPES[t.dtype].safetensors;
    if (stName === undefined) {
      throw new DiagnosticError([diag('cannotWrite', undefined, name,
        `safetensors has no ${t.dtype} dtype; cast the tensor first, or save it as an ONNX TensorProto`)]);
    }
    const data = encodeLittleEndian(t);
    header[name] = { dtype: stName, shape: [...t.shape], data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
