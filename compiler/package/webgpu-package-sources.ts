// index.js and index.d.ts of a WebGPU package. load() reads manifest.json, weights.bin and
// one WGSL module per kernel (files.module/NAME.wgsl, and the shader-f16 variant's folder when
// there is one, and the subgroup variants of the kernels that have one) next to itself, and starts runtime/webgpu on navigator.gpu in a browser or on
// the `gpu` the caller passes in Node (`create([])` of the `webgpu` package: the package does
// not depend on it).

import type { Manifest } from '../../runtime/manifest.js';
import { commentText, ioDeclarations } from './package-sources.js';

/** Kernel name → its WGSL file name inside the module folder (names made safe, kept distinct). */
export function shaderFileNames(manifest: Manifest): Record<string, string> {
  const used = new Set<string>();
  const out: Record<string, string> = {};
  for (const k of manifest.kernels) {
    const safe = k.name.replace(/[^A-Za-z0-9_-]/g, '_') || 'kernel';
    let file = `${safe}.wgsl`;
    for (let n = 2; used.has(file.toLowerCase()); n++) file = `${safe}_${n}.wgsl`;
    used.add(file.toLowerCase());
    out[k.name] = file;
  }
  return out;
}

export function printWebGpuIndexJs(manifest: Manifest): string {
  const files = {
    manifest: 'manifest.json',
    module: manifest.files.module,
    weights: manifest.files.weights,
    ...(manifest.files.f16Module ? { f16Module: manifest.files.f16Module } : {}),
    ...(manifest.files.subgroupModule ? { subgroupModule: manifest.files.subgroupModule } : {}),
  };
  const subgroupKernels = manifest.kernels.filter((k) => k.subgroupVariant).map((k) => k.name);
  return `// ${commentText(manifest.model)}, compiled by sluice for WebGPU. Generated file.
//
//   import { load } from './index.js';
//   const model = await load();                 // a browser: navigator.gpu
//   const model = await load({ gpu: create([]) });  // Node: import { create } from 'webgpu'
//   const outputs = await model.run({ ${commentText(manifest.inputs.map((i) => `${JSON.stringify(i.name)}: ...`).join(', '))} });
//
// Files are read next to this one: from disk in Node, with fetch elsewhere.

import { loadModel } from './runtime/webgpu/index.js';

const FILES = ${JSON.stringify(files)};
/** Kernel name → its WGSL file in FILES.module (and FILES.f16Module). */
const SHADERS = ${JSON.stringify(shaderFileNames(manifest))};
/** The kernels whose subgroup variant FILES.subgroupModule holds (same file names). */
const SUBGROUP_KERNELS = ${JSON.stringify(subgroupKernels)};

async function readPackageFile(name) {
  const url = new URL(name, import.meta.url);
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(\`cannot fetch \${url}: \${response.status} \${response.statusText}\`);
  return new Uint8Array(await response.arrayBuffer());
}

async function readShaders(folder, kernels = Object.keys(SHADERS)) {
  const decoder = new TextDecoder();
  const entries = await Promise.all(kernels.map(async (kernel) => [kernel, decoder.decode(await readPackageFile(folder + '/' + SHADERS[kernel]))]));
  return Object.fromEntries(entries);
}

/**
 * Loads the model: reads manifest.json, the kernels and the weights, and creates the pipelines.
 * options: { gpu } (default navigator.gpu) or { device }. The f16 kernels run where the
 * adapter has shader-f16; the f32 ones elsewhere. The subgroup variants run where the adapter
 * has subgroups that fit (\`subgroups: false\` turns them off).
 */
export async function load(options = {}) {
  const wantSubgroups = FILES.subgroupModule !== undefined && options.subgroups !== false;
  const [manifestBytes, weights, shaders, f16Shaders, subgroupShaders] = await Promise.all([
    readPackageFile(FILES.manifest),
    readPackageFile(FILES.weights),
    readShaders(FILES.module),
    FILES.f16Module === undefined ? undefined : readShaders(FILES.f16Module),
    wantSubgroups ? readShaders(FILES.subgroupModule, SUBGROUP_KERNELS) : undefined,
  ]);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  return loadModel({ ...options, manifest, shaders, weights, ...(f16Shaders ? { f16Shaders } : {}), ...(subgroupShaders ? { subgroupShaders } : {}) });
}

export const modelName = ${JSON.stringify(manifest.model)};
export const inputNames = ${JSON.stringify(manifest.inputs.map((i) => i.name))};
export const outputNames = ${JSON.stringify(manifest.outputs.map((o) => o.name))};
`;
}

export function printWebGpuIndexDts(manifest: Manifest): string {
  const { dimsLine, types } = ioDeclarations(manifest);
  return `// ${commentText(manifest.model)}, compiled by sluice for WebGPU. Generated file.
${dimsLine}
// GPU objects are typed loosely so the package needs no @webgpu/types; with them installed,
// GPU and GPUDevice fit GpuLike and GpuDeviceLike.

${types}
/** navigator.gpu, or in Node \`create([])\` from the \`webgpu\` package. */
export interface GpuLike {
  requestAdapter(options?: any): Promise<any>;
}

/** A GPUDevice. */
export interface GpuDeviceLike {
  readonly queue: any;
  readonly limits: any;
  readonly features: any;
}

export interface LoadOptions {
  /** Where to request a device (default navigator.gpu; required in Node). */
  readonly gpu?: GpuLike;
  /** A device to run on instead (its limits must fit the model; request its \`subgroups\` feature for the subgroup kernels). */
  readonly device?: GpuDeviceLike;
  /** Run the subgroup variants of the reduction kernels where the adapter allows (default true). */
  readonly subgroups?: boolean;
}

export interface Model {
  readonly device: GpuDeviceLike;
  /** Whether the f16 kernels run (the adapter has shader-f16). */
  readonly f16: boolean;
  /** Whether some kernel runs its subgroup variant (the adapter has subgroups that fit; f32 kernels only). */
  readonly subgroups: boolean;
  /**
   * Runs the model: one command buffer, only the outputs read back. Every input's dtype and
   * shape is checked against the manifest. \`dims\` gives symbols that no input shape fixes.
   */
  run(inputs: Inputs, options?: { readonly dims?: Readonly<Record<string, number>> }): Promise<Outputs>;
  /** Zeroes the state buffers (KV caches) that persist between runs. */
  resetState(): void;
  /** Frees the GPU buffers (a device the model requested is destroyed too). */
  dispose(): void;
}

export declare function load(options?: LoadOptions): Promise<Model>;
export declare const modelName: string;
export declare const inputNames: readonly string[];
export declare const outputNames: readonly string[];
`;
}
