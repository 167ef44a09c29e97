/// <reference types="@webgpu/types" />
// WebGPU in Node for `sluice run/bench --target webgpu`: the `webgpu` package (Dawn). Where the
// system has no Vulkan driver but Debian's chromium ships SwiftShader's, that one is used
// (a CPU implementation: correct, slow), so the target works on machines without a GPU.

import { existsSync, readdirSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];

function hasSystemVulkanDriver(): boolean {
  return ICD_DIRS.some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')));
}

let device: Promise<GPUDevice> | undefined;
/** Dawn's GPU object must stay reachable while its devices live (collecting it crashes the process). */
let gpu: GPU | undefined;

/** One device per process, with the adapter's storage limits (not the lower defaults). */
export function nodeWebGpuDevice(): Promise<GPUDevice> {
  device ??= (async () => {
    if (!process.env.VK_ICD_FILENAMES && !hasSystemVulkanDriver() && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    let mod: { create(flags: string[]): GPU; globals: object };
    try {
      mod = (await import('webgpu')) as never;
    } catch (e) {
      throw new Error(`--target webgpu needs the 'webgpu' package (Dawn for Node): npm install webgpu (${(e as Error).message})`);
    }
    Object.assign(globalThis, mod.globals);
    gpu = mod.create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('--target webgpu: no WebGPU adapter (no Vulkan driver; on Debian, apt-get install chromium libvulkan1 gives SwiftShader)');
    const limits: Record<string, number> = {};
    for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension'] as const) limits[name] = adapter.limits[name];
    // Subgroups for the subgroup variants of the reduction kernels (used only where the f16 variant does not run).
    const features = (['shader-f16', 'subgroups'] as const).filter((f) => adapter.features.has(f));
    return adapter.requestDevice({ requiredFeatures: features, requiredLimits: limits });
  })();
  return device;
}

/** The adapter behind a device, in words (what Dawn reports: vendor, architecture, description). */
export function describeAdapter(device: GPUDevice): string {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.description].filter((p) => p && p.length > 0);
  return parts.length ? parts.join(' / ') : 'unknown adapter';
}
