// Writing a CUDA package:
//
//   kernels.cu  model.h  model.cu  runner.cu  Makefile  CMakeLists.txt  sluice_cuda_emu.h
//   manifest.json  weights.bin
//
// sluice_cuda_emu.h (targets/cuda/emulation) ships so `make emulated` builds on a machine
// without a GPU. A folder that holds something other than an earlier CUDA package is refused.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diag, DiagnosticError } from '../diagnostics/diagnostic.js';
import type { CudaCompilation } from '../driver/compile-cuda.js';
import type { WrittenPackage } from './write-package.js';

export const CUDA_EMULATION_HEADER = 'sluice_cuda_emu.h';

/** The emulation header's text, from the source tree (beside src or dist). */
export function cudaEmulationHeader(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const path = resolve(here, up, 'targets/cuda/emulation', CUDA_EMULATION_HEADER);
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new Error(`cannot find targets/cuda/emulation/${CUDA_EMULATION_HEADER} beside ${here}`);
}

function fail(path: string, e: unknown): never {
  throw new DiagnosticError([diag('cannotWrite', undefined, path, e instanceof Error ? e.message : String(e))]);
}

function checkOutDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) fail(dir, new Error('it exists and is not a folder'));
  if (readdirSync(dir).length === 0) return;
  let isPackage = false;
  try {
    isPackage = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { target?: unknown }).target === 'cuda';
  } catch {
    isPackage = false;
  }
  if (!isPackage) fail(dir, new Error('the folder is not empty and does not hold a sluice CUDA package; choose another --out'));
}

export function writeCudaPackage(c: CudaCompilation, outDir: string): WrittenPackage {
  const dir = resolve(outDir);
  checkOutDir(dir);
  const files: [string, string | Uint8Array][] = [
    ...Object.entries(c.sources),
    [CUDA_EMULATION_HEADER, cudaEmulationHeader()],
    ['manifest.json', `${JSON.stringify(c.manifest, null, 1)}\n`],
    [c.manifest.files.weights, c.weights],
  ];
  try {
    mkdirSync(dir, { recursive: true });
    for (const [path, data] of files) writeFileSync(join(dir, path), data);
  } catch (e) {
    fail(dir, e);
  }
  const written = files.map(([path]) => ({ path, bytes: statSync(join(dir, path)).size }));
  return { outDir: dir, files: written, bytes: written.reduce((n, f) => n + f.bytes, 0) };
}
