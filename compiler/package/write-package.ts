// Writing a compiled model as a self-contained npm package:
//
//   package.json  index.js  index.d.ts  manifest.json  model.wasm  weights.bin  runtime/…
//
// `runtime/` is the built runtime (dist/runtime/wasm and what it imports); nothing else goes
// in, and the package has no dependencies. A folder that already holds something other than
// a sluice package is refused rather than overwritten.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { diag, DiagnosticError } from '../diagnostics/diagnostic.js';
import type { Manifest } from '../../runtime/manifest.js';
import { PACKAGE_FILES } from './build-manifest.js';
import { printIndexDts, printIndexJs, printPackageJson } from './package-sources.js';
import { defaultRuntimeBase, runtimeFiles, sluiceVersion } from './runtime-files.js';

export interface PackageContents {
  readonly manifest: Manifest;
  readonly wasm: Uint8Array;
  /** The relaxed-SIMD build of the same kernels, when the manifest names one. */
  readonly relaxedWasm?: Uint8Array;
  readonly weights: Uint8Array;
}

export interface WritePackageOptions {
  /** npm package name (default: from the model's name). */
  readonly name?: string;
  /** Folder holding the built `runtime/` to copy (default: sluice's dist/). */
  readonly runtimeBase?: string;
}

export interface WrittenPackage {
  readonly outDir: string;
  /** Every file written, relative to outDir, with its size. */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  /** Total bytes of the package. */
  readonly bytes: number;
}

export function fail(path: string, e: unknown): never {
  throw new DiagnosticError([diag('cannotWrite', undefined, path, e instanceof Error ? e.message : String(e))]);
}

/** Whether `dir` may be written: missing, empty, or an earlier sluice package. */
export function checkOutDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) fail(dir, new Error('it exists and is not a folder'));
  if (readdirSync(dir).length === 0) return;
  const pkg = join(dir, 'package.json');
  let isPackage = false;
  try {
    isPackage = existsSync(pkg) && typeof (JSON.parse(readFileSync(pkg, 'utf8')) as { sluice?: unknown }).sluice === 'object';
  } catch {
    isPackage = false;
  }
  if (!isPackage) fail(dir, new Error('the folder is not empty and does not hold a sluice package; choose another --out'));
}

export function writePackage(contents: PackageContents, outDir: string, options: WritePackageOptions = {}): WrittenPackage {
  const dir = resolve(outDir);
  checkOutDir(dir);
  const base = options.runtimeBase ?? defaultRuntimeBase();
  const runtime = runtimeFiles(base);
  const { manifest } = contents;

  const own: [string, string | Uint8Array][] = [
    ['manifest.json', `${JSON.stringify(manifest, null, 1)}\n`],
    [PACKAGE_FILES.module, contents.wasm],
    [PACKAGE_FILES.weights, contents.weights],
    ['index.js', printIndexJs(manifest)],
    ['index.d.ts', printIndexDts(manifest)],
  ];
  if (manifest.files.relaxedModule !== undefined) {
    if (!contents.relaxedWasm) throw new Error('write package: the manifest names a relaxed-SIMD module but none was given');
    own.push([manifest.files.relaxedModule, contents.relaxedWasm]);
  }
  const listed = [...own.map(([p]) => p), 'runtime/'];
  own.unshift(['package.json', printPackageJson(manifest, { name: options.name, sluiceVersion: sluiceVersion(), files: listed })]);

  try {
    mkdirSync(dir, { recursive: true });
    rmSync(join(dir, 'runtime'), { recursive: true, force: true }); // an earlier build's runtime
    for (const [path, data] of own) writeFileSync(join(dir, path), data);
    for (const rel of runtime) {
      const to = join(dir, rel);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(join(base, rel), to);
    }
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    fail(dir, e);
  }
  const files = [...own.map(([p]) => p), ...runtime].map((path) => ({ path, bytes: statSync(join(dir, path)).size }));
  return { outDir: dir, files, bytes: files.reduce((n, f) => n + f.bytes, 0) };
}
