// Writing a compiled model as a self-contained WebGPU npm package:
//
//   package.json  index.js  index.d.ts  manifest.json  weights.bin
//   wgsl/NAME.wgsl …  (wgsl-f16/NAME.wgsl … when some kernel computes in f16)
//   (wgsl-subgroups/NAME.wgsl … for the kernels with a subgroup variant)  runtime/…
//
// `runtime/` is the built runtime/webgpu (dist/) and only what it imports; the package has no
// dependencies (in Node the caller passes the `webgpu` package's GPU). The same folder rules as
// the WASM package: a folder holding something other than a sluice package is refused.

import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DiagnosticError } from '../diagnostics/diagnostic.js';
import type { WebGpuCompilation } from '../driver/compile-webgpu.js';
import { WEBGPU_PACKAGE_FILES } from './build-manifest.js';
import { printPackageJson } from './package-sources.js';
import { defaultRuntimeBase, runtimeFiles, sluiceVersion } from './runtime-files.js';
import { printWebGpuIndexDts, printWebGpuIndexJs, shaderFileNames } from './webgpu-package-sources.js';
import { checkOutDir, fail, type WritePackageOptions, type WrittenPackage } from './write-package.js';

export type WebGpuPackageContents = Pick<WebGpuCompilation, 'manifest' | 'shaders' | 'f16Shaders' | 'subgroupShaders' | 'weights'>;

export function writeWebGpuPackage(contents: WebGpuPackageContents, outDir: string, options: WritePackageOptions = {}): WrittenPackage {
  const dir = resolve(outDir);
  checkOutDir(dir);
  const base = options.runtimeBase ?? defaultRuntimeBase();
  const runtime = runtimeFiles(base, 'webgpu');
  const { manifest } = contents;
  const fileOf = shaderFileNames(manifest);

  const own: [string, string | Uint8Array][] = [
    ['manifest.json', `${JSON.stringify(manifest, null, 1)}\n`],
    [manifest.files.weights, contents.weights],
    ['index.js', printWebGpuIndexJs(manifest)],
    ['index.d.ts', printWebGpuIndexDts(manifest)],
  ];
  const folders = [manifest.files.module, manifest.files.f16Module, manifest.files.subgroupModule].filter((f) => f !== undefined);
  const everyKernel = manifest.kernels;
  const withVariant = manifest.kernels.filter((k) => k.subgroupVariant);
  for (const [folder, shaders, kernels] of [
    [manifest.files.module, contents.shaders, everyKernel],
    [manifest.files.f16Module, contents.f16Shaders, everyKernel],
    [manifest.files.subgroupModule, contents.subgroupShaders, withVariant],
  ] as const) {
    if (folder === undefined) continue;
    if (!shaders) throw new Error(`write package: the manifest names the shader folder '${folder}' but no shaders were given`);
    for (const k of kernels) {
      const code = shaders[k.name];
      if (code === undefined) throw new Error(`write package: no WGSL for kernel '${k.name}'`);
      own.push([`${folder}/${fileOf[k.name]}`, code]);
    }
  }
  const listed = ['manifest.json', manifest.files.weights, 'index.js', 'index.d.ts', ...folders.map((f) => `${f}/`), 'runtime/'];
  own.unshift(['package.json', printPackageJson(manifest, { name: options.name, sluiceVersion: sluiceVersion(), files: listed })]);

  try {
    mkdirSync(dir, { recursive: true });
    // An earlier build's runtime and kernels (kernel names change with the model).
    for (const old of new Set(['runtime', WEBGPU_PACKAGE_FILES.module, WEBGPU_PACKAGE_FILES.f16Module, WEBGPU_PACKAGE_FILES.subgroupModule, ...folders])) rmSync(join(dir, old), { recursive: true, force: true });
    for (const [path, data] of own) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), data);
    }
    for (const rel of runtime) {
      const to = join(dir, rel);
      mkdirSync(dirname(to), { recursive: true });
      // The source maps stay in dist/: drop the comment naming them, which would point nowhere.
      if (rel.endsWith('.js')) writeFileSync(to, readFileSync(join(base, rel), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
      else copyFileSync(join(base, rel), to);
    }
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    fail(dir, e);
  }
  const files = [...own.map(([p]) => p), ...runtime].map((path) => ({ path, bytes: statSync(join(dir, path)).size }));
  return { outDir: dir, files, bytes: files.reduce((n, f) => n + f.bytes, 0) };
}
