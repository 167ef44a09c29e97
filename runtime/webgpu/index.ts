/// <reference types="@webgpu/types" />
// The WebGPU runtime: loads a package compiled for `webgpu` (manifest, one WGSL module per
// kernel, weights) and runs it on a GPUDevice, in a browser (navigator.gpu) or in Node (the
// `webgpu` package's `create()`). Pipelines are created once; buffers and bind groups once per
// set of dims; a run uploads the inputs, records every dispatch in one command buffer and
// reads back only the outputs. It ships inside packages: it imports nothing from the compiler.
//
//   const model = await loadModel({ manifest, shaders, weights, gpu: navigator.gpu });
//   const { y } = await model.run({ x: { data: new Float32Array(2 * 768), shape: [2, 768] } });
//   model.dispose();
//
// Memory: one GPU buffer per value (the arena plan of the manifest is for linear memories).
//
// Variants: with shader-f16 the f16 kernels run (files.f16Module); otherwise each kernel with
// a subgroup variant (files.subgroupModule) runs it where the adapter's subgroups fit
// (subgroups.ts), and its fallback elsewhere.

import { evalDimJson, evalShapeJson } from '../dim-eval.js';
import { checkManifest, type Manifest, type ManifestDType, type ManifestKernel } from '../manifest.js';
import { statusError } from '../data-error.js';
import { bindInputs, InputError, type InputValue } from '../wasm/bind-inputs.js';
import type { TensorData } from '../wasm/tensor-data.js';
import { decodeWeight, fromGpuWords, gpuElementBytes, toGpuWords } from './gpu-data.js';
import { chooseSubgroupKernels, subgroupSizes } from './subgroups.js';

export { InputError, type InputValue } from '../wasm/bind-inputs.js';
export type { TensorData } from '../wasm/tensor-data.js';
export { ManifestError, type Manifest } from '../manifest.js';
export { DataError } from '../data-error.js';

export type Bytes = Uint8Array | ArrayBuffer;

export interface LoadOptions {
  /** manifest.json, parsed (or its text). */
  readonly manifest: unknown;
  /** Kernel name → WGSL module text (the package's `files.module` folder, NAME.wgsl). */
  readonly shaders: Readonly<Record<string, string>>;
  /** The same for the f16 variant (`files.f16Module`), used when the adapter has shader-f16. */
  readonly f16Shaders?: Readonly<Record<string, string>>;
  /**
   * The subgroup variants (`files.subgroupModule`) of the kernels whose manifest entry has a
   * `subgroupVariant`; each runs where the adapter's subgroups fit (f32 kernels only: not
   * with the f16 variant).
   */
  readonly subgroupShaders?: Readonly<Record<string, string>>;
  /** Whether subgroup variants may run (default true); false keeps every fallback kernel. */
  readonly subgroups?: boolean;
  readonly weights: Bytes;
  /** A device to run on (request its `subgroups` feature for the subgroup variants); else one is requested from `gpu` (default navigator.gpu). */
  readonly device?: GPUDevice;
  readonly gpu?: GPU;
}

export interface OutputTensor {
  readonly data: TensorData;
  readonly shape: number[];
  readonly dtype: ManifestDType;
}

export interface RunOptions {
  readonly dims?: Readonly<Record<string, number>>;
}

export interface Model {
  readonly manifest: Manifest;
  readonly device: GPUDevice;
  /** Whether the f16 variant of the kernels runs (the adapter has shader-f16). */
  readonly f16: boolean;
  /** Whether some kernel runs its subgroup variant. */
  readonly subgroups: boolean;
  run(inputs: Readonly<Record<string, InputValue>>, options?: RunOptions): Promise<Record<string, OutputTensor>>;
  resetState(): void;
  dispose(): void;
}

/** A device limit the model exceeds: names the limit, the value and what needed more. */
export class LimitError extends Error {
  constructor(readonly limit: string, message: string) {
    super(message);
    this.name = 'LimitError';
  }
}

/** A WGSL module the device refused; names the kernel and the line. */
export class ShaderError extends Error {
  constructor(readonly kernel: string, message: string) {
    super(message);
    this.name = 'ShaderError';
  }
}

// The spec's flag values, so the runtime needs no GPUBufferUsage/… globals (Node's `webgpu`
// package only installs them when asked).
const BUFFER_MAP_READ = 0x1, BUFFER_COPY_SRC = 0x4, BUFFER_COPY_DST = 0x8, BUFFER_UNIFORM = 0x40, BUFFER_STORAGE = 0x80;
const STAGE_COMPUTE = 0x4;
const MAP_READ = 0x1;

interface OpenedDevice {
  readonly device: GPUDevice;
  readonly f16: boolean;
  /** The adapter's description (subgroup sizes), when the device was requested here. */
  readonly info?: GPUAdapterInfo;
  /** The device was requested here, so the model destroys it. */
  readonly owned: boolean;
  /** Kept reachable while the device lives (Dawn in Node crashes when its GPU object is collected). */
  readonly gpu?: GPU;
}

async function getDevice(options: LoadOptions, wantF16: boolean, wantSubgroups: boolean): Promise<OpenedDevice> {
  if (options.device) return { device: options.device, f16: wantF16 && options.device.features.has('shader-f16'), owned: false };
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new Error('sluice webgpu: WebGPU is not available here (no navigator.gpu; in Node pass `gpu` from the webgpu package)');
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('sluice webgpu: no WebGPU adapter');
  const f16 = wantF16 && adapter.features.has('shader-f16');
  const limits: Record<string, number> = {};
  // Ask for what the adapter offers: the defaults are lower than most adapters' limits.
  for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension'] as const) {
    limits[name] = adapter.limits[name];
  }
  const features: GPUFeatureName[] = f16 ? ['shader-f16'] : [];
  // Subgroup variants are f32 kernels: only wanted where the f16 variant does not run.
  if (!f16 && wantSubgroups && adapter.features.has('subgroups')) features.push('subgroups');
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits: limits });
  return { device, f16, info: adapter.info, owned: true, gpu };
}

/** The 1-based line `lineNum` of `code`, for error messages. */
function sourceLine(code: string, lineNum: number): string {
  return code.split('\n')[lineNum - 1]?.trim() ?? '';
}

async function createPipeline(device: GPUDevice, kernel: ManifestKernel, code: string): Promise<GPUComputePipeline> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: kernel.name });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  const scopeError = await device.popErrorScope();
  if (errors.length > 0) {
    const text = errors.map((m) => `line ${m.lineNum}:${m.linePos}: ${m.message}\n    ${sourceLine(code, m.lineNum)}`).join('\n  ');
    throw new ShaderError(kernel.name, `sluice webgpu: kernel '${kernel.name}' does not compile:\n  ${text}`);
  }
  if (scopeError) throw new ShaderError(kernel.name, `sluice webgpu: kernel '${kernel.name}': ${scopeError.message}`);
  const entries: GPUBindGroupLayoutEntry[] = [];
  if (kernel.uniforms.length > 0) entries.push({ binding: 0, visibility: STAGE_COMPUTE, buffer: { type: 'uniform' } });
  kernel.buffers.forEach((b, k) => entries.push({
    binding: k + 1, visibility: STAGE_COMPUTE, buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' },
  }));
  const layout = device.createPipelineLayout({ bindGroupLayouts: [device.createBindGroupLayout({ entries, label: kernel.name })] });
  try {
    return await device.createComputePipelineAsync({ layout, compute: { module, entryPoint: kernelEntryPoint(code, kernel.name) }, label: kernel.name });
  } catch (e) {
    throw new ShaderError(kernel.name, `sluice webgpu: kernel '${kernel.name}': the pipeline could not be created: ${(e as Error).message}`);
  }
}

/** The entry point the module declares after `@compute` (the kernel's name as a WGSL identifier). */
function kernelEntryPoint(code: string, name: string): string {
  const at = code.indexOf('@compute');
  const fn = at < 0 ? -1 : code.indexOf('fn ', at);
  if (fn < 0) throw new ShaderError(name, `sluice webgpu: the module of kernel '${name}' has no @compute entry point`);
  return code.slice(fn + 3, code.indexOf('(', fn)).trim();
}

export async function loadModel(options: LoadOptions): Promise<Model> {
  const manifest = checkManifest(typeof options.manifest === 'string' ? JSON.parse(options.manifest) : options.manifest);
  if (manifest.target !== 'webgpu') throw new Error(`sluice webgpu: this package was compiled for the ${manifest.target} target; the WebGPU runtime runs only packages compiled with --target webgpu`);
  const wantSubgroups = options.subgroups !== false && options.subgroupShaders !== undefined && manifest.kernels.some((k) => k.subgroupVariant);
  const opened = await getDevice(options, options.f16Shaders !== undefined, wantSubgroups);
  const { device, f16 } = opened;
  const sizes = wantSubgroups && !f16 ? subgroupSizes(device, opened.info) : undefined;
  let withSubgroups = new Set<string>();
  try {
    if (sizes) withSubgroups = await chooseSubgroupKernels(device, manifest, sizes);
  } catch (e) {
    if (opened.owned) device.destroy();
    throw e;
  }
  const shaders: Readonly<Record<string, string | undefined>> = f16 ? options.f16Shaders! : options.shaders;
  const codeOf = (name: string): string | undefined => (withSubgroups.has(name) ? options.subgroupShaders![name] : shaders[name]);
  const maxBuffers = device.limits.maxStorageBuffersPerShaderStage;
  for (const k of manifest.kernels) {
    if (k.buffers.length > maxBuffers) {
      throw new LimitError('maxStorageBuffersPerShaderStage', `sluice webgpu: kernel '${k.name}' binds ${k.buffers.length} storage buffers, over the device's maxStorageBuffersPerShaderStage (${maxBuffers})`);
    }
  }
  let pipelines: GPUComputePipeline[];
  try {
    pipelines = await Promise.all(manifest.kernels.map((k) => {
      const code = codeOf(k.name);
      if (code === undefined) throw new Error(`sluice webgpu: no WGSL module for kernel '${k.name}'${withSubgroups.has(k.name) ? ' (subgroup variant)' : ''}`);
      return createPipeline(device, k, code);
    }));
  } catch (e) {
    if (opened.owned) device.destroy();
    throw e;
  }
  const model = new WebGpuModel(manifest, device, f16, withSubgroups.size > 0, new Map(manifest.kernels.map((k, i) => [k.name, pipelines[i]!])), opened);
  model.uploadWeights(options.weights instanceof Uint8Array ? options.weights : new Uint8Array(options.weights));
  return model;
}

interface DimsState {
  readonly key: string;
  readonly buffers: Map<string, GPUBuffer>;
  readonly elements: Map<string, number>;
  readonly steps: { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; x: number; y: number }[];
  readonly owned: GPUBuffer[];
}

const USAGE = BUFFER_STORAGE | BUFFER_COPY_DST | BUFFER_COPY_SRC;

class WebGpuModel implements Model {
  private readonly persistent = new Map<string, GPUBuffer>();
  private state: DimsState | undefined;
  private disposed = false;

  constructor(
    readonly manifest: Manifest,
    readonly device: GPUDevice,
    readonly f16: boolean,
    readonly subgroups: boolean,
    private readonly pipelines: ReadonlyMap<string, GPUComputePipeline>,
    private readonly opened: OpenedDevice,
  ) {}

  private createBuffer(valueId: string, elements: number): GPUBuffer {
    const v = this.manifest.values.find((x) => x.id === valueId)!;
    const bytes = Math.max(16, Math.ceil((elements * gpuElementBytes(v.dtype, this.f16)) / 4) * 4);
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (bytes > limit) {
      throw new LimitError('maxStorageBufferBindingSize', `sluice webgpu: '${v.name}' needs a buffer of ${bytes} bytes, over the device's maxStorageBufferBindingSize (${limit} bytes)`);
    }
    return this.device.createBuffer({ size: bytes, usage: USAGE, label: v.name });
  }

  uploadWeights(weights: Uint8Array): void {
    for (const w of this.manifest.weights) {
      if (w.offset + w.bytes > weights.byteLength) throw new InputError(`weights: '${w.name}' lies past the end of weights.bin (${weights.byteLength} bytes)`);
      const count = w.shape.reduce((n, d) => n * d, 1);
      const buffer = this.createBuffer(w.value, count);
      const words = toGpuWords(decodeWeight(weights.subarray(w.offset, w.offset + w.bytes), w.dtype), w.dtype, this.f16, `weight '${w.name}'`);
      writeWords(this.device, buffer, words);
      this.persistent.set(w.value, buffer);
    }
  }

  private stateFor(dims: ReadonlyMap<string, number>): DimsState {
    const key = this.manifest.dims.map((d) => dims.get(d.name)).join(',');
    if (this.state?.key === key) return this.state;
    if (this.state) for (const b of this.state.owned) b.destroy();
    const buffers = new Map<string, GPUBuffer>();
    const elements = new Map<string, number>();
    const owned: GPUBuffer[] = [];
    for (const v of this.manifest.values) {
      const count = evalShapeJson(v.shape, dims).reduce((n, d) => n * d, 1);
      elements.set(v.id, count);
      const existing = this.persistent.get(v.id);
      if (existing) { buffers.set(v.id, existing); continue; }
      const b = this.createBuffer(v.id, count); // zero-filled, as state starts
      buffers.set(v.id, b);
      owned.push(b);
    }
    const maxPerDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    const steps: DimsState['steps'] = [];
    for (const d of this.manifest.dispatches) {
      const kernel = this.manifest.kernels.find((k) => k.name === d.kernel)!;
      const workgroups = d.grid.reduce<number>((n, g) => n * evalDimJson(g, dims), 1);
      if (workgroups === 0) continue;
      const x = Math.min(workgroups, maxPerDim);
      const y = Math.ceil(workgroups / x);
      if (y > maxPerDim) throw new LimitError('maxComputeWorkgroupsPerDimension', `sluice webgpu: kernel '${d.kernel}' needs ${workgroups} workgroups, over ${maxPerDim}² (maxComputeWorkgroupsPerDimension)`);
      const pipeline = this.pipelines.get(d.kernel)!;
      const entries: GPUBindGroupEntry[] = [];
      if (kernel.uniforms.length > 0) {
        const values = Int32Array.from(kernel.uniforms, (u) => evalDimJson(d.uniforms[u.name]!, dims));
        const ub = this.device.createBuffer({ size: Math.ceil(values.byteLength / 16) * 16, usage: BUFFER_UNIFORM | BUFFER_COPY_DST, label: `${d.kernel} uniforms` });
        writeWords(this.device, ub, values);
        owned.push(ub);
        entries.push({ binding: 0, resource: { buffer: ub } });
      }
      kernel.buffers.forEach((b, k) => entries.push({ binding: k + 1, resource: { buffer: buffers.get(d.buffers[b.name]!)! } }));
      steps.push({ pipeline, bindGroup: this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: d.kernel }), x, y });
    }
    this.state = { key, buffers, elements, steps, owned };
    return this.state;
  }

  async run(inputs: Readonly<Record<string, InputValue>>, options: RunOptions = {}): Promise<Record<string, OutputTensor>> {
    if (this.disposed) throw new Error('sluice webgpu: the model was disposed');
    const call = bindInputs(this.manifest, inputs, options.dims);
    const s = this.stateFor(call.dims);
    for (const input of call.inputs) {
      writeWords(this.device, s.buffers.get(input.tensor.value)!, toGpuWords(input.data, input.tensor.dtype, this.f16, `input '${input.tensor.name}'`));
    }
    this.device.pushErrorScope('validation');
    const encoder = this.device.createCommandEncoder({ label: this.manifest.model });
    // Kernels only ever set status words, so they are cleared before the dispatches of each run.
    const statusId = this.manifest.errors?.status;
    const status = statusId === undefined ? undefined : s.buffers.get(statusId)!;
    if (status) encoder.clearBuffer(status);
    const pass = encoder.beginComputePass();
    for (const step of s.steps) {
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      pass.dispatchWorkgroups(step.x, step.y);
    }
    pass.end();
    const reads = this.manifest.outputs.map((o) => {
      const count = s.elements.get(o.value)!;
      const size = Math.max(4, Math.ceil((count * gpuElementBytes(o.dtype, this.f16)) / 4) * 4);
      const staging = this.device.createBuffer({ size, usage: BUFFER_MAP_READ | BUFFER_COPY_DST, label: `read ${o.name}` });
      encoder.copyBufferToBuffer(s.buffers.get(o.value)!, 0, staging, 0, size);
      return { o, count, staging };
    });
    const statusRead = status && this.device.createBuffer({ size: status.size, usage: BUFFER_MAP_READ | BUFFER_COPY_DST, label: 'read status' });
    if (status && statusRead) encoder.copyBufferToBuffer(status, 0, statusRead, 0, status.size);
    this.device.queue.submit([encoder.finish()]);
    const error = await this.device.popErrorScope();
    if (error) {
      for (const r of reads) r.staging.destroy();
      statusRead?.destroy();
      throw new Error(`sluice webgpu: running '${this.manifest.model}' failed: ${error.message}`);
    }
    if (statusRead) {
      await statusRead.mapAsync(MAP_READ);
      const words = new Int32Array(statusRead.getMappedRange().slice(0));
      statusRead.destroy();
      const dataError = statusError(this.manifest, words, call.dims);
      if (dataError) {
        for (const r of reads) r.staging.destroy();
        throw dataError;
      }
    }
    const outputs: Record<string, OutputTensor> = {};
    for (const { o, count, staging } of reads) {
      await staging.mapAsync(MAP_READ);
      const data = fromGpuWords(staging.getMappedRange().slice(0), o.dtype, this.f16, count);
      staging.destroy();
      outputs[o.name] = { data, shape: evalShapeJson(o.shape, call.dims), dtype: o.dtype };
    }
    return outputs;
  }

  resetState(): void {
    if (!this.state) return;
    for (const st of this.manifest.state) {
      const b = this.state.buffers.get(st.value)!;
      this.device.queue.writeBuffer(b, 0, new Uint8Array(b.size));
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.state) for (const b of this.state.owned) b.destroy();
    for (const b of this.persistent.values()) b.destroy();
    if (this.opened.owned) this.device.destroy();
  }
}

/** Writes `words` at the start of `buffer`, padded to a multiple of 4 bytes as writeBuffer needs. */
function writeWords(device: GPUDevice, buffer: GPUBuffer, words: ArrayBufferView): void {
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  if (bytes.byteLength === 0) return;
  const padded = bytes.byteLength % 4 === 0 ? bytes : (() => { const p = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4); p.set(bytes); return p; })();
  device.queue.writeBuffer(buffer, 0, padded);
}
