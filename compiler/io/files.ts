// Tensor files on disk: the format follows the extension (.npy, or .pb for an ONNX
// TensorProto). File-system failures (a missing file, a directory, no permission) become
// badFile / cannotWrite diagnostics like any malformed file.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { DiagnosticError, diag } from '../diagnostics/diagnostic.js';
import type { Tensor } from '../interpret/tensor.js';
import { encodeNpy, readNpy } from './npy.js';
import { DEFAULT_MAX_TENSOR_BYTES, failFile, type ReadOptions } from './raw-data.js';
import { readTensorProto } from './tensor-proto.js';

/** Room for headers on top of the largest tensor a file may hold. */
const HEADER_SLACK_BYTES = 1 << 20;

export function readTensorFile(path: string, opts: ReadOptions = {}): Tensor {
  const ext = extname(path).toLowerCase();
  if (ext !== '.npy' && ext !== '.pb') failFile(path, `expected .npy or .pb, got '${ext || path}'`);
  const bytes = readBytes(path, (opts.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES) + HEADER_SLACK_BYTES);
  return ext === '.npy' ? readNpy(bytes, path, opts) : readTensorProto(bytes, path, opts);
}

/** The whole file, refusing files over `maxFileBytes` before reading them. */
export function readBytes(path: string, maxFileBytes: number): Uint8Array {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) failFile(path, 'it is a directory');
    if (stat.size > maxFileBytes) {
      throw new DiagnosticError([diag('hugeTensor', undefined, path, stat.size.toLocaleString('en-US'), maxFileBytes.toLocaleString('en-US'))]);
    }
    return readFileSync(path);
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    failFile(path, fsReason(e));
  }
}

export function writeNpyFile(path: string, t: Tensor): void {
  const bytes = encodeNpy(t, path);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new DiagnosticError([diag('cannotWrite', undefined, path, fsReason(e))]);
  }
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ERR_FS_FILE_TOO_LARGE: 'the file is too large to read into memory',
};

function fsReason(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  return FS_REASONS[code] ?? (e instanceof Error ? e.message : String(e));
}
