// Loading a package written by `sluice compile --target wasm` into the WASM runtime, for
// programs that use sluice as a library (`loadPackage(dir)`); the package's own index.js does
// the same for its users without sluice installed.

import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { diag, DiagnosticError } from '../diagnostics/diagnostic.js';
import { checkManifest, ManifestError } from '../../runtime/manifest.js';
import { loadModel, type Model } from '../../runtime/wasm/index.js';

export interface LoadPackageOptions {
  /** Threads that run kernels, the calling one included (default: the cores, at most 8). */
  readonly threads?: number;
}

function read(dir: string, file: string): Uint8Array {
  const path = resolve(dir, file);
  // The manifest names its files; one that points outside the package is refused unread.
  const rel = relative(dir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new DiagnosticError([diag('badFile', undefined, path, 'the manifest names a file outside the package folder')]);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new DiagnosticError([diag('badFile', undefined, path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message)]);
  }
}

export async function loadPackage(dir: string, options: LoadPackageOptions = {}): Promise<Model> {
  const root = resolve(dir);
  let manifest;
  try {
    manifest = checkManifest(JSON.parse(Buffer.from(read(root, 'manifest.json')).toString('utf8')));
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    if (e instanceof ManifestError || e instanceof SyntaxError) throw new DiagnosticError([diag('badFile', undefined, join(root, 'manifest.json'), e.message)]);
    throw e;
  }
  if (manifest.target !== 'wasm') {
    throw new DiagnosticError([diag('badFile', undefined, join(root, 'manifest.json'), `the package was compiled for ${manifest.target}; loadPackage runs WebAssembly packages (a webgpu package loads with its own index.js: load({ gpu }))`)]);
  }
  return loadModel({
    manifest,
    wasm: read(root, manifest.files.module),
    weights: read(root, manifest.files.weights),
    ...(manifest.files.relaxedModule ? { relaxedWasm: read(root, manifest.files.relaxedModule) } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  });
}
