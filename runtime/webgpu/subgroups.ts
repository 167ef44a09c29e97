/// <reference types="@webgpu/types" />
// Which kernels run their subgroup variant (Kernel IR subgroup_reduce, manifest
// `subgroupVariant`), decided once at load time. A variant is correct only where:
// - the device has the `subgroups` feature (the runtime requests it when the adapter has it);
// - no subgroup is wider than the kernel allows (a row of the reduction is whole subgroups):
//   the adapter's subgroupMaxSize ≤ maxSubgroupSize;
// - a workgroup of the kernel's size is cut into subgroups of one width made of consecutive
//   local_invocation_index values, as the Kernel IR assumes. WGSL does not promise that, so a
//   probe shader checks it once per workgroup size.
// Anything else, or a probe that fails in any way, keeps the fallback kernel.

import type { Manifest } from '../manifest.js';

const BUFFER_MAP_READ = 0x1, BUFFER_COPY_SRC = 0x4, BUFFER_COPY_DST = 0x8, BUFFER_STORAGE = 0x80;
const MAP_READ = 0x1;
/** Workgroups the probe runs (more than one, so a second workgroup's layout is seen too). */
const PROBE_WORKGROUPS = 2;

/** The adapter's subgroup widths, when the device has subgroups. */
export interface SubgroupSizes {
  readonly min: number;
  readonly max: number;
}

/** The subgroup widths of `device` (read from `info`, else its adapterInfo), or undefined without the feature. */
export function subgroupSizes(device: GPUDevice, info?: GPUAdapterInfo): SubgroupSizes | undefined {
  if (!device.features.has('subgroups')) return undefined;
  const adapter = info ?? (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const min = adapter?.subgroupMinSize, max = adapter?.subgroupMaxSize;
  if (typeof min !== 'number' || typeof max !== 'number' || min < 1 || max < min) return undefined;
  return { min, max };
}

/** The probe for one workgroup size: each invocation writes the subgroup width where the layout holds for it, else 0. */
export function subgroupProbeShader(workgroupSize: readonly [number, number, number]): string {
  const [x, y, z] = workgroupSize;
  return `enable subgroups;

@group(0) @binding(0) var<storage, read_write> result: array<u32>;

@compute @workgroup_size(${x}, ${y}, ${z})
fn probe(@builtin(local_invocation_index) index: u32, @builtin(workgroup_id) wg: vec3<u32>,
         @builtin(subgroup_size) size: u32, @builtin(subgroup_invocation_id) id: u32) {
  // Consecutive indices: my id is my index modulo the width, my subgroup's smallest index is
  // mine less my id, and the subgroup is full.
  let first = subgroupMin(index);
  let members = subgroupAdd(1u);
  let ok = size > 0u && id == index % size && first == index - id && members == size;
  result[wg.x * ${x * y * z}u + index] = select(0u, size, ok);
}
`;
}

/** Whether subgroups in a workgroup of `workgroupSize` are consecutive runs of one width no wider than `maxWidth`. */
export async function probeSubgroupLayout(device: GPUDevice, workgroupSize: readonly [number, number, number], maxWidth: number): Promise<boolean> {
  const invocations = workgroupSize[0] * workgroupSize[1] * workgroupSize[2];
  const bytes = PROBE_WORKGROUPS * invocations * 4;
  const buffers: GPUBuffer[] = [];
  try {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: subgroupProbeShader(workgroupSize), label: 'sluice subgroup probe' });
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'probe' }, label: 'sluice subgroup probe' });
    const result = device.createBuffer({ size: bytes, usage: BUFFER_STORAGE | BUFFER_COPY_SRC, label: 'subgroup probe' });
    const read = device.createBuffer({ size: bytes, usage: BUFFER_MAP_READ | BUFFER_COPY_DST, label: 'read subgroup probe' });
    buffers.push(result, read);
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: result } }] });
    const encoder = device.createCommandEncoder({ label: 'sluice subgroup probe' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(PROBE_WORKGROUPS);
    pass.end();
    encoder.copyBufferToBuffer(result, 0, read, 0, bytes);
    device.queue.submit([encoder.finish()]);
    if (await device.popErrorScope()) return false;
    await read.mapAsync(MAP_READ);
    const widths = new Uint32Array(read.getMappedRange().slice(0));
    const width = widths[0]!;
    return width > 0 && width <= maxWidth && invocations % width === 0 && widths.every((w) => w === width);
  } catch {
    return false;
  } finally {
    for (const b of buffers) b.destroy();
  }
}

/**
 * The names of the kernels whose subgroup variant may run on `device` with subgroups of
 * `sizes`: each kernel's bound on the width is checked, and the layout probed once per
 * workgroup size.
 */
export async function chooseSubgroupKernels(device: GPUDevice, manifest: Manifest, sizes: SubgroupSizes): Promise<Set<string>> {
  const candidates = manifest.kernels.filter((k) => k.subgroupVariant && sizes.max <= k.subgroupVariant.maxSubgroupSize);
  const probes = new Map<string, Promise<boolean>>();
  for (const k of candidates) {
    const v = k.subgroupVariant!;
    const key = v.workgroupSize.join('x');
    if (!probes.has(key)) probes.set(key, probeSubgroupLayout(device, v.workgroupSize, sizes.max));
  }
  const chosen = new Set<string>();
  for (const k of candidates) if (await probes.get(k.subgroupVariant!.workgroupSize.join('x'))!) chosen.add(k.name);
  return chosen;
}
