// A WebGPU implementation for tests in Node: Dawn (the `webgpu` package) on SwiftShader's
// Vulkan driver from Debian's chromium package, so no GPU is needed. The environment is set
// before the package loads. Without an adapter the tests skip, except under CI=true, where
// they fail (the machine was meant to have one).

import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface TestGpu {
  readonly gpu: GPU;
  readonly device: GPUDevice;
}

let cached: Promise<TestGpu | undefined> | undefined;

async function open(): Promise<TestGpu | undefined> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]) as GPU;
    const adapter = await gpu.requestAdapter();
    if (!adapter) return undefined;
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
    return { gpu, device };
  } catch (e) {
    if (process.env.CI === 'true') throw e;
    return undefined;
  }
}

/** The shared test device, or undefined (tests skip) — under CI=true a missing adapter throws. */
export async function testGpu(): Promise<TestGpu | undefined> {
  cached ??= open();
  const g = await cached;
  if (!g && process.env.CI === 'true') throw new Error('no WebGPU adapter (Dawn on SwiftShader): install chromium (Vulkan ICD) and libvulkan1');
  return g;
}
