// Initializers and Constant tensors: TensorProto messages already decoded with the model.
// External data (`data_location = EXTERNAL`) is read only from inside the model's folder:
// absolute paths and paths that leave it (through `..` or links) are refused, and offsets and
// lengths are checked against the file before anything is allocated.

import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { diag, DiagnosticError } from '../../diagnostics/diagnostic.js';
import { dtypeFromOnnx as dtypeOfOnnx, type DType } from '../../ir/dtype.js';
import type { Tensor } from '../../interpret/tensor.js';
import { tensorFromProto } from '../../io/tensor-proto.js';
import { DEFAULT_MAX_TENSOR_BYTES } from '../../io/raw-data.js';
import { ONNX_TYPE_NAMES, type TensorProto } from './proto.js';

export interface InitializerOptions {
  /** The folder external data may be read from (the model's folder); none: external data is refused. */
  readonly baseDir?: string;
  /** Largest tensor a model may declare, in bytes. */
  readonly maxTensorBytes?: number;
}

/** Our dtype for an ONNX TensorProto.DataType number, or undefined when unsupported (the dtype table's). */
export function dtypeFromOnnx(n: number): DType | undefined {
  return dtypeOfOnnx(n);
}

export function onnxTypeName(n: number): string {
  return ONNX_TYPE_NAMES[n] ?? `type ${n}`;
}

const EXTERNAL = 1;

function failExternal(name: string, reason: string): never {
  throw new DiagnosticError([diag('onnxExternalData', undefined, name, reason)]);
}

/** Reads the bytes an external-data tensor points at, refusing anything outside `baseDir`. */
function readExternal(t: TensorProto, options: InitializerOptions, maxBytes: number): Uint8Array {
  const name = t.name ?? '';
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) failExternal(name, "no 'location' is given");
  if (!options.baseDir) failExternal(name, 'external data can only be read when the model is loaded from a file');
  if (isAbsolute(location) || location.includes('\0')) failExternal(name, `'${location}' is an absolute path; only paths inside the model's folder are allowed`);
  const base = realpathSync(options.baseDir);
  const target = resolve(base, location);
  const escapes = (p: string): boolean => {
    const rel = relative(base, p);
    return rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel);
  };
  if (escapes(target)) failExternal(name, `'${location}' is outside the model's folder`);
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    failExternal(name, `'${location}' does not exist`);
  }
  if (escapes(real)) failExternal(name, `'${location}' leads outside the model's folder (through a link)`);
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const fd = openSync(real, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = entries.has('length') ? Number(entries.get('length')) : size - offset;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) failExternal(name, `offset ${entries.get('offset')} is outside the file (${size} bytes)`);
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > size) failExternal(name, `length ${entries.get('length')} at offset ${offset} runs past the end of the file (${size} bytes)`);
    if (length > maxBytes) failExternal(name, `${length} bytes is over the limit of ${maxBytes}`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n <= 0) break;
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** A decoded TensorProto as a host tensor (sizes checked before allocation). */
export function tensorFromInitializer(t: TensorProto, path: string, options: InitializerOptions = {}): Tensor {
  const maxBytes = options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  const label = `${path}: tensor '${t.name ?? ''}'`;
  if (t.dataType === 8) throw new DiagnosticError([diag('onnxUnsupportedDtype', undefined, `string (tensor '${t.name ?? ''}')`)]);
  let proto = t;
  if (t.dataLocation === EXTERNAL) {
    proto = { ...t, rawData: readExternal(t, options, maxBytes), dataLocation: 0, externalData: [] };
  }
  return tensorFromProto(proto, label, { maxBytes });
}
